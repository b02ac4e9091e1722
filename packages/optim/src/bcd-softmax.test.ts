import { describe, it, expect } from 'vitest';
import { DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { softmaxProblem, syntheticSoftmaxLabels } from './bcd-softmax.js';
import { toColumns } from './bcd-problems.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

const rng = new Rng(11);
const m = 5;
const p = 3;
const k = 3;
const Adata = rng.fillNormal(new Float64Array(m * p));
const A = DenseMatrix.wrap(m, p, Adata);
const labels = [0, 2, 1, 1, 0];
const x0 = rng.fillNormal(new Float64Array(p * k));

/** Direct f(W) = Σ_i logsumexp(a_iᵀW) − a_iᵀw_{y_i}, x[j·k + c] = W_jc. */
function directF(x: ArrayLike<number>): number {
  let f = 0;
  for (let i = 0; i < m; i++) {
    const z = new Float64Array(k);
    for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) z[c] += Adata[i * p + j] * x[j * k + c];
    let se = 0;
    for (let c = 0; c < k; c++) se += Math.exp(z[c]);
    f += Math.log(se) - z[labels[i]];
  }
  return f;
}

describe('softmaxProblem', () => {
  it('f(0) = m·log(k) and f matches a direct computation', () => {
    const P = softmaxProblem(A, labels, k);
    expect(P.n).toBe(p * k);
    expect(P.f(new Float64Array(p * k))).toBeCloseTo(m * Math.log(k), 13);
    expect(P.f(x0)).toBeCloseTo(directF(x0), 12);
  });

  it('grad and gradBlock vs central differences', () => {
    const P = softmaxProblem(A, labels, k);
    const g = P.grad(x0);
    const h = 1e-6;
    const xt = Float64Array.from(x0);
    for (let i = 0; i < x0.length; i++) {
      xt[i] = x0[i] + h;
      const fp = P.f(xt);
      xt[i] = x0[i] - h;
      const fm = P.f(xt);
      xt[i] = x0[i];
      expect(g[i]).toBeCloseTo((fp - fm) / (2 * h), 6);
    }
    const gb = P.gradBlock!(x0, Int32Array.of(7, 2, 4));
    expect(gb[0]).toBeCloseTo(g[7], 14);
    expect(gb[1]).toBeCloseTo(g[2], 14);
    expect(gb[2]).toBeCloseTo(g[4], 14);
  });

  it('hessBlock vs finite differences of the gradient, and blockBound ⪰ hessBlock on a 2-block', () => {
    const P = softmaxProblem(A, labels, k);
    const b = Int32Array.of(1, 2, 5);
    const H = P.hessBlock(x0, b);
    const h = 1e-6;
    for (let l = 0; l < b.length; l++) {
      const xp = Float64Array.from(x0);
      const xm = Float64Array.from(x0);
      xp[b[l]] += h;
      xm[b[l]] -= h;
      const gp = P.gradBlock!(xp, b);
      const gm = P.gradBlock!(xm, b);
      for (let i = 0; i < b.length; i++) expect(H.data[i * 3 + l]).toBeCloseTo((gp[i] - gm[i]) / (2 * h), 5);
    }
    // Böhning bound minus the exact Hessian is PSD: check vᵀ(B − H)v ≥ 0 for random v
    const B = P.blockBound(b);
    const r = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const v = r.fillNormal(new Float64Array(3));
      let q = 0;
      for (let i = 0; i < 3; i++) for (let l = 0; l < 3; l++) q += v[i] * (B.data[i * 3 + l] - H.data[i * 3 + l]) * v[l];
      expect(q).toBeGreaterThanOrEqual(-1e-12);
    }
  });

  it('lipschitz = ¼‖A_j‖² per (feature, class)', () => {
    const P = softmaxProblem(A, labels, k);
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += Adata[i * p + j] ** 2;
      for (let c = 0; c < k; c++) expect(P.lipschitz[j * k + c]).toBeCloseTo(0.25 * s, 12);
    }
  });

  it('the cached scores follow block updates', () => {
    const P = softmaxProblem(A, labels, k);
    const fresh = softmaxProblem(A, labels, k);
    const x = Float64Array.from(x0);
    P.bind!(x);
    const b = Int32Array.of(0, 4, 8);
    const delta = Float64Array.of(0.2, -0.5, 0.7);
    const xn = Float64Array.from(x);
    for (let i = 0; i < 3; i++) xn[b[i]] += delta[i];
    expect(P.fBlockTrial!(x, b, delta)).toBeCloseTo(fresh.f(xn), 12);
    x.set(xn);
    P.onBlockUpdate!(b, delta);
    expect(P.f(x)).toBeCloseTo(fresh.f(xn), 12);
    const g1 = P.grad(x);
    const g2 = fresh.grad(xn);
    for (let i = 0; i < g1.length; i++) expect(g1[i]).toBeCloseTo(g2[i], 12);
  });

  it('rejects bad input', () => {
    expect(codeOf(() => softmaxProblem(A, [0, 1, 2], k))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => softmaxProblem(A, [0, 1, 3, 0, 0], k))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => softmaxProblem(A, [0, 1, -1, 0, 0], k))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => softmaxProblem(A, [0, 1, 0.5, 0, 0], k))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => softmaxProblem(A, [0, 0, 0, 0, 0], 1))).toBe('INVALID_ARGUMENT');
  });
});

describe('syntheticSoftmaxLabels', () => {
  it('is reproducible for a seed and gives labels in 0..k−1', () => {
    const cols = toColumns(DenseMatrix.wrap(40, 3, new Rng(5).fillNormal(new Float64Array(120))));
    const a = syntheticSoftmaxLabels(cols, 4, 9);
    const b = syntheticSoftmaxLabels(cols, 4, 9);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.length).toBe(40);
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(4);
    }
    const c = syntheticSoftmaxLabels(cols, 4, 10);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(codeOf(() => syntheticSoftmaxLabels(cols, 1))).toBe('INVALID_ARGUMENT');
  });
});
