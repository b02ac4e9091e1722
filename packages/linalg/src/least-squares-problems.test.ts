import { describe, it, expect } from 'vitest';
import { CsrMatrix, OptkitError, getKernels } from '@optkit/core';
import { randomLeastSquares, randomSparseLeastSquares } from './least-squares-problems.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

/** r = b − A·x for the row-major n×d data. */
function residual(A: Float64Array, n: number, d: number, x: Float64Array, b: Float64Array): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += A[i * d + j] * x[j];
    r[i] = b[i] - s;
  }
  return r;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(s);
}

describe('randomLeastSquares', () => {
  it('has the requested condition number and singular values (checked by the core SVD)', () => {
    for (const cond of [10, 1e4, 1e6]) {
      const p = randomLeastSquares(60, 8, { cond, seed: 3 });
      expect(p.A.rows).toBe(60);
      expect(p.A.cols).toBe(8);
      const s = getKernels().svd(p.A).s;
      expect(s.length).toBe(8);
      expect(Math.abs(s[0] / s[7] - cond) / cond).toBeLessThan(1e-8);
      // σ geometric from 1 down to 1/cond, descending, as reported.
      for (let i = 0; i < 8; i++) {
        const expected = cond ** (-i / 7);
        expect(Math.abs(p.singularValues[i] - expected) / expected).toBeLessThan(1e-14);
        expect(Math.abs(s[i] - expected) / expected).toBeLessThan(1e-8);
      }
    }
  });

  it('defaults to cond 1e6 and a consistent system (b = A·xTrue, opt = 0)', () => {
    const p = randomLeastSquares(40, 5, { seed: 11 });
    const s = getKernels().svd(p.A).s;
    expect(Math.abs(s[0] / s[4] - 1e6) / 1e6).toBeLessThan(1e-8);
    expect(p.opt).toBe(0);
    expect(norm(residual(p.A.data, 40, 5, p.xTrue, p.b))).toBeLessThan(1e-12 * norm(p.b));
  });

  it('with noise: ‖b − A·xTrue‖ = opt = noise·‖A·xTrue‖ and xTrue satisfies the normal equations', () => {
    const n = 50;
    const d = 6;
    const noise = 0.25;
    const p = randomLeastSquares(n, d, { cond: 100, noise, seed: 5 });
    const r = residual(p.A.data, n, d, p.xTrue, p.b);
    const Ax = new Float64Array(n);
    for (let i = 0; i < n; i++) Ax[i] = p.b[i] - r[i];
    expect(Math.abs(p.opt - noise * norm(Ax)) / p.opt).toBeLessThan(1e-12);
    expect(Math.abs(norm(r) - p.opt) / p.opt).toBeLessThan(1e-10);
    // Aᵀr = 0: r is orthogonal to range(A), so xTrue is the least-squares solution.
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += p.A.data[i * d + j] * r[i];
      expect(Math.abs(s)).toBeLessThan(1e-10 * p.opt);
    }
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const a = randomLeastSquares(30, 4, { cond: 1e3, noise: 0.1, seed: 42 });
    const b = randomLeastSquares(30, 4, { cond: 1e3, noise: 0.1, seed: 42 });
    const c = randomLeastSquares(30, 4, { cond: 1e3, noise: 0.1, seed: 43 });
    expect(Array.from(a.A.data)).toEqual(Array.from(b.A.data));
    expect(Array.from(a.b)).toEqual(Array.from(b.b));
    expect(Array.from(a.xTrue)).toEqual(Array.from(b.xTrue));
    expect(a.opt).toBe(b.opt);
    expect(Array.from(a.A.data)).not.toEqual(Array.from(c.A.data));
  });

  it('handles d = 1 (σ = [1]) and n = d without noise', () => {
    const p = randomLeastSquares(5, 1, { cond: 1e3, seed: 1 });
    expect(Array.from(p.singularValues)).toEqual([1]);
    expect(getKernels().svd(p.A).s[0]).toBeCloseTo(1, 12);
    const q = randomLeastSquares(4, 4, { cond: 50, seed: 2 });
    const s = getKernels().svd(q.A).s;
    expect(Math.abs(s[0] / s[3] - 50) / 50).toBeLessThan(1e-8);
  });

  it('rejects bad sizes and options', () => {
    expect(codeOf(() => randomLeastSquares(3, 5))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => randomLeastSquares(0, 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => randomLeastSquares(10, 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => randomLeastSquares(10.5, 2))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => randomLeastSquares(10, 2, { cond: 0.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomLeastSquares(10, 2, { cond: NaN }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomLeastSquares(10, 2, { noise: -1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomLeastSquares(4, 4, { noise: 0.1 }))).toBe('SHAPE_MISMATCH');
  });
});

describe('randomSparseLeastSquares', () => {
  it('is sparse at the requested density, every column stored, x* = xTrue and OPT as constructed (normal equations)', () => {
    const n = 3000;
    const d = 20;
    const p = randomSparseLeastSquares(n, d, { density: 0.02, cond: 100, noise: 0.1, seed: 4 });
    expect(p.A).toBeInstanceOf(CsrMatrix);
    expect(p.A.rows).toBe(n);
    expect(p.A.cols).toBe(d);
    expect(Math.abs(p.A.nnz - 0.02 * n * d)).toBeLessThanOrEqual(d);
    const colCount = new Int32Array(d);
    for (const j of p.A.indices) colCount[j]++;
    expect(Math.min(...colCount)).toBeGreaterThan(0);
    // Aᵀ(b − A·xTrue) = 0 (x* = xTrue) and ‖b − A·xTrue‖ = OPT.
    const r = p.A.spmv(p.xTrue).map((v, i) => p.b[i] - v);
    expect(norm(r)).toBeCloseTo(p.opt, 10);
    expect(p.opt).toBeCloseTo(0.1 * norm(p.A.spmv(p.xTrue)), 10);
    expect(norm(p.A.spmvT(r)) / (norm(r) * 1)).toBeLessThan(1e-10);
    // Same seed, same problem; column scaling spans cond.
    const q = randomSparseLeastSquares(n, d, { density: 0.02, cond: 100, noise: 0.1, seed: 4 });
    expect(Array.from(q.b)).toEqual(Array.from(p.b));
  });

  it('rejects bad arguments', () => {
    expect(codeOf(() => randomSparseLeastSquares(5, 6))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => randomSparseLeastSquares(50, 5, { density: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomSparseLeastSquares(50, 5, { density: 1.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomSparseLeastSquares(50, 5, { cond: 0.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => randomSparseLeastSquares(5, 5, { noise: 1 }))).toBe('SHAPE_MISMATCH');
  });
});
