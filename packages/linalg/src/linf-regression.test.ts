import { describe, it, expect } from 'vitest';
import { DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { exactLeastSquares, linfDiagnostics, linfRegression, linfRowCount } from './linf-regression.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

// A = [[1,0],[0,1],[1,1]]: AᵀA = [[2,1],[1,2]] has eigenvalues 3 and 1, so σ_min(A) = 1 and ‖A†‖ = 1.
// With b = [1,1,0]: x* = [1/3, 1/3], r = [2/3, 2/3, −2/3], OPT = 2/√3.
const A = DenseMatrix.fromRows([
  [1, 0],
  [0, 1],
  [1, 1],
]);
const b = new Float64Array([1, 1, 0]);

describe('linfRowCount', () => {
  it('is ⌈constant·ε⁻²·d·ln³(n/δ)⌉ on hand cases', () => {
    // 4·ln³(2000)/0.25 = 16·7.600902…³ = 7026.118… → 7027.
    expect(linfRowCount({ d: 4, n: 100, eps: 0.5, delta: 0.05 })).toBe(7027);
    // 0.5·3·ln³(500)/0.01 = 150·6.214608…³ = 36002.49… → 36003.
    expect(linfRowCount({ d: 3, n: 50, eps: 0.1, delta: 0.1, constant: 0.5 })).toBe(36003);
  });

  it('rejects bad arguments with INVALID_OPTION', () => {
    const ok = { d: 4, n: 100, eps: 0.5, delta: 0.05 };
    expect(codeOf(() => linfRowCount({ ...ok, d: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, d: 2.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, n: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, eps: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, delta: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, delta: 1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ ...ok, constant: -1 }))).toBe('INVALID_OPTION');
  });
});

describe('exactLeastSquares', () => {
  it('gives x*, OPT and ‖A†‖ of the hand case', () => {
    const ex = exactLeastSquares(A, b);
    expect(ex.xStar[0]).toBeCloseTo(1 / 3, 14);
    expect(ex.xStar[1]).toBeCloseTo(1 / 3, 14);
    expect(ex.opt).toBeCloseTo(2 / Math.sqrt(3), 14);
    expect(ex.normApinv).toBeCloseTo(1, 14);
  });

  it('throws SINGULAR for a rank-deficient A and SHAPE_MISMATCH for a wide one', () => {
    const B = DenseMatrix.fromRows([
      [1, 2],
      [2, 4],
      [3, 6],
    ]);
    expect(codeOf(() => exactLeastSquares(B, b))).toBe('SINGULAR');
    expect(codeOf(() => exactLeastSquares(DenseMatrix.fromRows([[1, 2]]), new Float64Array([1])))).toBe('SHAPE_MISMATCH');
  });
});

describe('linfDiagnostics', () => {
  it('x = x* gives linfError 0 and normalized 0', () => {
    const ex = exactLeastSquares(A, b);
    const diag = linfDiagnostics(A, b, Float64Array.from(ex.xStar));
    expect(diag.linfError).toBe(0);
    expect(diag.l2Error).toBe(0);
    expect(diag.normalized).toBe(0);
    expect(diag.opt).toBeCloseTo(2 / Math.sqrt(3), 14);
  });

  it('a perturbation δ = [0.1, −0.2] gives ‖δ‖∞ = 0.2, ‖δ‖₂ = √0.05, normalized √2·0.2/(2/√3) = 0.1·√6', () => {
    const x = new Float64Array([1 / 3 + 0.1, 1 / 3 - 0.2]);
    const diag = linfDiagnostics(A, b, x);
    expect(diag.linfError).toBeCloseTo(0.2, 14);
    expect(diag.l2Error).toBeCloseTo(Math.sqrt(0.05), 14);
    expect(diag.normalized).toBeCloseTo(0.1 * Math.sqrt(6), 13);
    // Passing the precomputed exact solution gives the same numbers.
    const again = linfDiagnostics(A, b, x, exactLeastSquares(A, b));
    expect(again.normalized).toBe(diag.normalized);
  });

  it('with OPT = 0, a nonzero error is normalised to +Infinity', () => {
    const ex = { xStar: new Float64Array([1, 2]), opt: 0, normApinv: 1 };
    expect(linfDiagnostics(A, b, new Float64Array([1, 2]), ex).normalized).toBe(0);
    expect(linfDiagnostics(A, b, new Float64Array([1, 2.5]), ex).normalized).toBe(Infinity);
  });

  it('rejects a wrong-length or non-finite x and a mis-sized exact', () => {
    expect(codeOf(() => linfDiagnostics(A, b, new Float64Array(3)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => linfDiagnostics(A, b, new Float64Array([0, NaN])))).toBe('NOT_FINITE');
    expect(codeOf(() => linfDiagnostics(A, b, new Float64Array(2), { xStar: new Float64Array(3), opt: 1, normApinv: 1 }))).toBe('SHAPE_MISMATCH');
  });
});

describe('linfRegression', () => {
  it('refuses sparse sketch kinds with INVALID_OPTION', () => {
    for (const kind of ['countsketch', 'osnap'] as const) {
      let err: OptkitError | undefined;
      try {
        linfRegression(A, b, { kind });
      } catch (e) {
        err = e as OptkitError;
      }
      expect(err).toBeInstanceOf(OptkitError);
      expect(err?.code).toBe('INVALID_OPTION');
      expect(err?.argument).toBe('options.kind');
    }
  });

  it('solves exactly when the formula m reaches n (default options on a small problem)', () => {
    const r = linfRegression(A, b);
    expect(r.exact).toBe(true);
    expect(r.m).toBe(3);
    expect(r.x[0]).toBeCloseTo(1 / 3, 14);
    expect(r.x[1]).toBeCloseTo(1 / 3, 14);
  });

  it('sketches with an explicit m and recovers x of a consistent system', () => {
    const n = 64;
    const d = 3;
    const rng = new Rng(9);
    const M = new DenseMatrix(n, d, rng.fillNormal(new Float64Array(n * d)));
    const xTrue = new Float64Array([1, -2, 0.5]);
    const rhs = M.gemv(xTrue);
    const r = linfRegression(M, rhs, { kind: 'gaussian', m: 16, seed: 1 });
    expect(r.exact).toBe(false);
    expect(r.m).toBe(16);
    expect(r.kind).toBe('gaussian');
    for (let j = 0; j < d; j++) expect(Math.abs(r.x[j] - xTrue[j])).toBeLessThan(1e-10);
    expect(codeOf(() => linfRegression(M, rhs, { m: 0 }))).toBe('INVALID_OPTION');
  });
});
