import { describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { OptkitError, csrOperator, poisson2d, Rng } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import { buildDcdmNet } from './dcdm-net.js';
import { POISSON2D_STENCIL, dcdmLoss, evaluateDcdmLoss, tfOperator, trainDcdm } from './dcdm-train.js';

const { tf } = await useBestBackend();

/** ‖b − Aq·(qᵀb)/(qᵀAq)‖² in float64, the hand formula. */
function loss64(A: number[][], b: number[], q: number[]): number {
  const Aq = A.map((row) => row.reduce((s, a, j) => s + a * q[j], 0));
  const qb = q.reduce((s, v, i) => s + v * b[i], 0);
  const qAq = q.reduce((s, v, i) => s + v * Aq[i], 0);
  return b.reduce((s, v, i) => s + (v - (Aq[i] * qb) / qAq) ** 2, 0);
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return 'no error';
}

describe('dcdm loss and training', () => {
  it('the loss on a tiny case equals the hand computation and is invariant to q -> 3q', () => {
    // A = [[2, -1], [-1, 2]], b = (1, 0), q = (1, 1): Aq = (1, 1), qᵀb = 1, qᵀAq = 2,
    // b − Aq/2 = (0.5, −0.5): loss 0.5.
    const A = [
      [2, -1],
      [-1, 2],
    ];
    const At = tf.tensor2d([2, -1, -1, 2], [2, 2]);
    const b = tf.tensor2d([[1, 0]]);
    const q = tf.tensor2d([[1, 1]]);
    expect(dcdmLoss(tf, b, q, tf.matMul(q, At)).dataSync()[0]).toBeCloseTo(0.5, 6);
    const q3 = tf.mul(q, 3) as tfjs.Tensor2D;
    expect(dcdmLoss(tf, b, q3, tf.matMul(q3, At)).dataSync()[0]).toBeCloseTo(0.5, 6);
    // q = A⁻¹b = (2/3, 1/3) gives 0; a batch averages.
    const qs = tf.tensor2d([[2 / 3, 1 / 3], [1, 1]]);
    const bs = tf.tensor2d([[1, 0], [1, 0]]);
    expect(dcdmLoss(tf, bs, qs, tf.matMul(qs, At)).dataSync()[0]).toBeCloseTo(0.25, 6);
    expect(loss64(A, [1, 0], [1, 1])).toBeCloseTo(0.5, 14);
    tf.dispose([At, b, q, q3, qs, bs]);
  });

  it('its gradient w.r.t. q matches float64 finite differences (3x3 Poisson grid)', () => {
    const P = poisson2d(3);
    const n = 9;
    const A: number[][] = [];
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(n);
      e[i] = 1;
      A.push(Array.from(P.spmv(e)));
    }
    const rng = new Rng(4);
    const b = Array.from(rng.fillNormal(new Float64Array(n)));
    const bn = Math.hypot(...b);
    for (let i = 0; i < n; i++) b[i] /= bn;
    const q = Array.from(rng.fillNormal(new Float64Array(n)));
    const op = tfOperator(tf, POISSON2D_STENCIL, [3, 3]);
    const bt = tf.tensor2d([b]);
    const g = tf.grad((qt: tfjs.Tensor) => dcdmLoss(tf, bt, qt as tfjs.Tensor2D, op.apply(qt as tfjs.Tensor2D)))(tf.tensor2d([q])).dataSync();
    const l0 = loss64(A, b, q);
    const tfl = dcdmLoss(tf, bt, tf.tensor2d([q]), op.apply(tf.tensor2d([q]))).dataSync()[0];
    expect(Math.abs(tfl - l0)).toBeLessThan(1e-5 * Math.max(1, l0));
    const h = 1e-6;
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]));
    for (let i = 0; i < n; i++) {
      const qp = q.slice();
      const qm = q.slice();
      qp[i] += h;
      qm[i] -= h;
      const fd = (loss64(A, b, qp) - loss64(A, b, qm)) / (2 * h);
      expect(Math.abs(g[i] - fd)).toBeLessThan(1e-4 * gmax);
    }
    // Scale invariance ⇒ the gradient is orthogonal to q.
    expect(Math.abs(q.reduce((s, v, i) => s + v * g[i], 0))).toBeLessThan(1e-5 * gmax * Math.hypot(...q));
    bt.dispose();
  });

  it('the stencil operator matches the CSR Poisson matrix (and the dense fallback does too)', () => {
    const nx = 6;
    const ny = 4;
    const P = poisson2d(nx, ny);
    const rng = new Rng(9);
    const X = new Float32Array(3 * nx * ny);
    rng.fillNormal(X);
    const want: number[] = [];
    for (let s = 0; s < 3; s++) want.push(...P.spmv(Float64Array.from(X.subarray(s * 24, (s + 1) * 24))));
    const xt = tf.tensor2d(X, [3, 24]);
    const st = tfOperator(tf, POISSON2D_STENCIL, [nx, ny]);
    const dn = tfOperator(tf, csrOperator(P), [nx, ny]);
    const a = st.apply(xt).dataSync();
    const d = dn.apply(xt).dataSync();
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(a[i] - want[i])).toBeLessThan(1e-5);
      expect(Math.abs(d[i] - want[i])).toBeLessThan(1e-5);
    }
    dn.dispose();
    xt.dispose();
    expect(code(() => tfOperator(tf, { stencil: [1, 2, 3] }, [2, 2]))).toBe('SHAPE_MISMATCH');
    expect(code(() => tfOperator(tf, poisson2d(3), [2, 2]))).toBe('SHAPE_MISMATCH');
  });

  it('a few seeded training steps reduce the loss and are reproducible', async () => {
    const rng = new Rng(1);
    const data: Float32Array[] = [];
    for (let s = 0; s < 16; s++) {
      const v = rng.fillNormal(new Float32Array(16));
      const nrm = Math.hypot(...v);
      data.push(v.map((x) => x / nrm));
    }
    const run = async (steps: number) => {
      const net = buildDcdmNet({ shape: [4, 4], channels: 4, seed: 3 }, tf);
      const before = evaluateDcdmLoss(net, POISSON2D_STENCIL, data);
      const r = await trainDcdm(net, POISSON2D_STENCIL, data, { lr: 3e-3, batchSize: 4, steps, seed: 2 });
      const after = evaluateDcdmLoss(net, POISSON2D_STENCIL, data);
      net.dispose();
      return { before, after, r };
    };
    const a = await run(15);
    expect(a.r.lossHistory).toHaveLength(15);
    expect(a.after).toBeLessThan(0.8 * a.before);
    expect(a.r.finalLoss).toBeCloseTo(a.r.lossHistory[14], 6); // mean of the last max(1, ⌊15/10⌋) = 1 steps
    const b = await run(4);
    expect(b.r.lossHistory).toEqual(a.r.lossHistory.slice(0, 4));
  });

  it('rejects bad training input', async () => {
    const net = buildDcdmNet({ shape: [4, 4], channels: 2 }, tf);
    const ok = [new Float32Array(16).fill(0.25)];
    const rej = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return (e as OptkitError).code;
      }
      return 'no error';
    };
    expect(await rej(trainDcdm(net, POISSON2D_STENCIL, []))).toBe('EMPTY_INPUT');
    expect(await rej(trainDcdm(net, POISSON2D_STENCIL, [new Float32Array(15)]))).toBe('SHAPE_MISMATCH');
    const bad = new Float32Array(16);
    bad[0] = NaN;
    expect(await rej(trainDcdm(net, POISSON2D_STENCIL, [bad]))).toBe('NOT_FINITE');
    expect(await rej(trainDcdm(net, POISSON2D_STENCIL, ok, { lr: 0 }))).toBe('INVALID_OPTION');
    expect(await rej(trainDcdm(net, POISSON2D_STENCIL, ok, { batchSize: 0 }))).toBe('INVALID_OPTION');
    expect(await rej(trainDcdm(net, poisson2d(5), ok))).toBe('SHAPE_MISMATCH');
    net.dispose();
  });
});
