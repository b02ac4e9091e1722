import { describe, expect, it } from 'vitest';
import { DenseMatrix, OptkitError, Optimizer, Rng, chain, getKernels, scaleByLearningRate, addDecayedWeights } from '@optkit/core';
import { MfacInverse, createMfacWindow, mfac, scaleByMfac } from './mfac.js';

/** x ↦ (λI + GᵀG/m)⁻¹x by a dense LU solve with core's kernels (the explicit reference). */
function denseIfvp(rows: Float64Array[], m: number, damp: number, x: Float64Array): Float64Array {
  const d = x.length;
  const F = DenseMatrix.zeros(d, d);
  for (let i = 0; i < d; i++) F.data[i * d + i] = damp;
  for (const g of rows) {
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) F.data[i * d + j] += (g[i] * g[j]) / m;
  }
  return getKernels().solve(F, x);
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function normal(rng: Rng, n: number): Float64Array {
  return rng.fillNormal(new Float64Array(n)) as Float64Array;
}

describe('MfacInverse (dynamic M-FAC operator)', () => {
  it('tiny window by hand: m = 1, d = 2 gives (λI + ggᵀ)⁻¹x', () => {
    // g = (1, 2), λ = 0.5: F = [[1.5, 2], [2, 4.5]], det = 2.75, F⁻¹(1, 0) = (4.5, −2)/2.75.
    const op = new MfacInverse(1, 2, { damp: 0.5 });
    op.push(new Float64Array([1, 2]));
    const y = op.apply(new Float64Array([1, 0]));
    expect(y[0]).toBeCloseTo(4.5 / 2.75, 14);
    expect(y[1]).toBeCloseTo(-2 / 2.75, 14);
  });

  it('card E0: m = 16, d = 60, λ ∈ {1e-1, 1e-3} matches the dense inverse to 1e-10, also after 5 replacements', () => {
    const m = 16;
    const d = 60;
    for (const damp of [1e-1, 1e-3]) {
      const rng = new Rng(11);
      const op = new MfacInverse(m, d, { damp });
      const window: Float64Array[] = [];
      for (let i = 0; i < m; i++) {
        const g = normal(rng, d);
        op.push(g);
        window.push(g);
      }
      const x = normal(rng, d);
      expect(relErr(op.apply(x), denseIfvp(window, m, damp, x))).toBeLessThan(1e-10);
      // F·apply(x) = x.
      const y = op.apply(x);
      const Fy = new Float64Array(d);
      for (let i = 0; i < d; i++) Fy[i] = damp * y[i];
      for (const g of window) {
        let s = 0;
        for (let i = 0; i < d; i++) s += g[i] * y[i];
        for (let i = 0; i < d; i++) Fy[i] += (g[i] * s) / m;
      }
      expect(relErr(Fy, x)).toBeLessThan(1e-10);
      // Five ring-buffer replacements, checked through pushAndApply against the current window.
      for (let r = 0; r < 5; r++) {
        const g = normal(rng, d);
        window[r] = g;
        const u = op.pushAndApply(g);
        expect(relErr(u, denseIfvp(window, m, damp, g))).toBeLessThan(1e-10);
      }
      expect(relErr(op.apply(x), denseIfvp(window, m, damp, x))).toBeLessThan(1e-10);
      // A full wrap-around.
      for (let r = 5; r < m + 3; r++) {
        const g = normal(rng, d);
        window[r % m] = g;
        op.push(g);
      }
      expect(relErr(op.apply(x), denseIfvp(window, m, damp, x))).toBeLessThan(1e-10);
    }
  });

  it('partly filled window keeps m in the denominators (first product ≈ g/(λ + ‖g‖²/m))', () => {
    const m = 8;
    const damp = 1e-3;
    const g = new Float64Array([3, -1, 2, 0.5]);
    const op = new MfacInverse(m, 4, { damp });
    const u = op.pushAndApply(g);
    const gg = 9 + 1 + 4 + 0.25;
    for (let i = 0; i < 4; i++) expect(u[i]).toBeCloseTo(g[i] / (damp + gg / m), 10);
    // Removing a gradient = pushing zeros: after m zero pushes F = λI.
    for (let i = 0; i < m; i++) op.push(new Float64Array(4));
    const y = op.apply(g);
    for (let i = 0; i < 4; i++) expect(y[i]).toBeCloseTo(g[i] / damp, 6);
  });

  it('bad input: window size 0, damp ≤ 0, wrong lengths and NaN', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        return [(e as OptkitError).code, (e as OptkitError).argument];
      }
      throw new Error('did not throw');
    };
    expect(code(() => new MfacInverse(0, 3))).toEqual(['INVALID_OPTION', 'ngrads']);
    expect(code(() => createMfacWindow(2, 3, 0))).toEqual(['INVALID_OPTION', 'damp']);
    expect(code(() => new MfacInverse(2, 0))).toEqual(['INVALID_ARGUMENT', 'dim']);
    const op = new MfacInverse(2, 3);
    expect(code(() => op.push(new Float64Array(2)))).toEqual(['SHAPE_MISMATCH', 'g']);
    expect(code(() => op.apply(new Float64Array([1, NaN, 0])))).toEqual(['NOT_FINITE', 'x']);
  });
});

describe('scaleByMfac / mfac', () => {
  it('window size 0 → INVALID_OPTION naming ngrads; bad lr, damp, momentum, weightDecay named', () => {
    const expectOption = (f: () => unknown, name: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        expect((e as OptkitError).code).toBe('INVALID_OPTION');
        expect((e as OptkitError).argument).toBe(name);
        expect((e as OptkitError).message).toContain(name);
        return;
      }
      throw new Error(`did not throw for ${name}`);
    };
    expectOption(() => scaleByMfac({ ngrads: 0 }), 'ngrads');
    expectOption(() => mfac({ ngrads: 0 }), 'ngrads');
    expectOption(() => mfac({ ngrads: 2.5 }), 'ngrads');
    expectOption(() => mfac({ lr: -1 }), 'lr');
    expectOption(() => mfac({ lr: NaN }), 'lr');
    expectOption(() => mfac({ damp: 0 }), 'damp');
    expectOption(() => mfac({ momentum: 1 }), 'momentum');
    expectOption(() => mfac({ weightDecay: -0.1 }), 'weightDecay');
  });

  it('first steps by hand: update = −lr·F⁻¹g over concatenated params, with momentum EMA', () => {
    const m = 4;
    const damp = 0.01;
    const lr = 0.1;
    const mu = 0.5;
    const params = { a: new Float64Array([1, 2]), b: new Float64Array([-1]) };
    const opt = new Optimizer(mfac({ lr, ngrads: m, damp, momentum: mu }), params);
    const g1 = new Float64Array([0.3, -0.2, 0.5]);
    const g2 = new Float64Array([-0.1, 0.4, 0.2]);
    const ref = new MfacInverse(m, 3, { damp });
    const u1 = ref.pushAndApply(g1);
    const u2 = ref.pushAndApply(g2);
    const v1 = u1.map((u) => (1 - mu) * u);
    const v2 = v1.map((v, i) => mu * v + (1 - mu) * u2[i]);
    const x = new Float64Array([1, 2, -1]);
    opt.step({ a: g1.slice(0, 2), b: g1.slice(2) });
    opt.step({ a: g2.slice(0, 2), b: g2.slice(2) });
    const expected = x.map((xi, i) => xi - lr * v1[i] - lr * v2[i]);
    expect(params.a[0]).toBeCloseTo(expected[0], 12);
    expect(params.a[1]).toBeCloseTo(expected[1], 12);
    expect(params.b[0]).toBeCloseTo(expected[2], 12);
  });

  it('weight decay is L2 added before preconditioning (equals the explicit chain bit for bit)', () => {
    const mk = () => ({ w: new Float64Array([0.5, -1.5, 2]) });
    const p1 = mk();
    const p2 = mk();
    const o1 = new Optimizer(mfac({ lr: 0.05, ngrads: 3, damp: 0.1, weightDecay: 0.01 }), p1);
    const o2 = new Optimizer(chain(addDecayedWeights(0.01), scaleByMfac({ ngrads: 3, damp: 0.1 }), scaleByLearningRate(0.05)), p2);
    const rng = new Rng(2);
    for (let k = 0; k < 6; k++) {
      const g = normal(rng, 3);
      o1.step({ w: g.slice() });
      o2.step({ w: g.slice() });
    }
    expect(Array.from(p1.w)).toEqual(Array.from(p2.w));
  });

  it('float32 params get float32 updates computed in float64', () => {
    const p = { w: new Float32Array([1, -2]) };
    const opt = new Optimizer(mfac({ lr: 0.1, ngrads: 2, damp: 0.5 }), p);
    opt.step({ w: new Float32Array([1, 2]) });
    // F = 0.5I + ggᵀ/2 with g = (1, 2): F⁻¹g = g/(0.5 + 5/2) = g/3.
    expect(p.w).toBeInstanceOf(Float32Array);
    expect(p.w[0]).toBeCloseTo(1 - 0.1 / 3, 6);
    expect(p.w[1]).toBeCloseTo(-2 - 0.2 / 3, 6);
  });
});

describe('mfac sparse (optimise only the initial support)', () => {
  it('keeps pruned weights at exactly 0 and equals M-FAC run on the compressed support', () => {
    const rng = new Rng(21);
    const d = 40;
    const w0 = rng.fillNormal(new Float64Array(d)) as Float64Array;
    for (let i = 0; i < d; i += 3) w0[i] = 0; // prune a third
    const support: number[] = [];
    for (let i = 0; i < d; i++) if (w0[i] !== 0) support.push(i);
    const target = rng.fillNormal(new Float64Array(d)) as Float64Array;
    const scales = Float64Array.from({ length: d }, () => 0.5 + rng.uniform());
    const grad = (w: Float64Array, out: Float64Array) => {
      for (let i = 0; i < d; i++) out[i] = scales[i] * (w[i] - target[i]);
    };
    const hyper = { lr: 0.05, ngrads: 8, damp: 1e-3, weightDecay: 0.01 };
    const full = w0.slice();
    const sparseOpt = new Optimizer(mfac({ ...hyper, sparse: true }), full);
    const compressed = Float64Array.from(support, (i) => w0[i]);
    const compressedOpt = new Optimizer(mfac(hyper), compressed);
    const g = new Float64Array(d);
    const gc = new Float64Array(support.length);
    for (let t = 0; t < 25; t++) {
      grad(full, g);
      sparseOpt.step(g);
      for (let k = 0; k < support.length; k++) {
        const i = support[k];
        gc[k] = scales[i] * (compressed[k] - target[i]);
      }
      compressedOpt.step(gc);
    }
    for (let i = 0; i < d; i += 3) expect(full[i]).toBe(0);
    for (let k = 0; k < support.length; k++) expect(full[support[k]]).toBeCloseTo(compressed[k], 10);
    expect(Math.abs(full[1] - w0[1])).toBeGreaterThan(1e-3); // the support did move
    expect(() => mfac({ sparse: 'yes' as never })).toThrow(/sparse/);
  });
});
