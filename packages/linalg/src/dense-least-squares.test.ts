import { describe, it, expect } from 'vitest';
import { DenseMatrix, OptkitError } from '@optkit/core';
import { denseLeastSquares, solveUpperInPlace, solveUpperTransposeInPlace } from './dense-least-squares.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

function expectClose(actual: Float64Array, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol);
}

// A 3×2 full-rank design used by several cases.
const A = DenseMatrix.fromRows([
  [1, 0],
  [0, 1],
  [1, 1],
]);

describe('denseLeastSquares', () => {
  it('solves a consistent overdetermined system exactly (QR path)', () => {
    const b = new Float64Array([2, -1, 1]); // = A·[2, −1]
    const r = denseLeastSquares(A, b);
    expect(r.method).toBe('qr');
    expect(r.rank).toBe(2);
    expect(r.R).toBeDefined();
    expectClose(r.x, [2, -1], 1e-14);
    expect(r.residualNorm).toBeLessThan(1e-14);
  });

  it('matches the normal-equations solution of an inconsistent system', () => {
    // AᵀA = [[2,1],[1,2]], Aᵀb = [1,1] ⇒ x = [1/3, 1/3]; r = b − Ax = [2/3, 2/3, −2/3], ‖r‖ = 2/√3.
    const b = new Float64Array([1, 1, 0]);
    for (const method of ['qr', 'svd'] as const) {
      const r = denseLeastSquares(A, b, { method });
      expect(r.method).toBe(method);
      expectClose(r.x, [1 / 3, 1 / 3], 1e-14);
      expect(r.residualNorm).toBeCloseTo(2 / Math.sqrt(3), 14);
    }
  });

  it('returns the minimum-norm solution for a rank-deficient A', () => {
    // Two equal columns: any x with x₁ + x₂ = mean(b) = 2 is optimal; the minimum-norm one is [1, 1].
    const B = DenseMatrix.fromRows([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    const b = new Float64Array([1, 2, 3]);
    const r = denseLeastSquares(B, b);
    expect(r.method).toBe('svd');
    expect(r.rank).toBe(1);
    expect(r.R).toBeUndefined();
    expectClose(r.x, [1, 1], 1e-13);
    expect(r.residualNorm).toBeCloseTo(Math.SQRT2, 13);
  });

  it('returns the minimum-norm solution of an underdetermined (wide) system', () => {
    // x₁ + 2x₂ = 5: minimum-norm x = 5·[1, 2]/5 = [1, 2].
    const W = DenseMatrix.fromRows([[1, 2]]);
    const r = denseLeastSquares(W, new Float64Array([5]));
    expect(r.method).toBe('svd');
    expect(r.rank).toBe(1);
    expectClose(r.x, [1, 2], 1e-13);
    expect(r.residualNorm).toBeLessThan(1e-13);
  });

  it('rejects bad input with the right code', () => {
    const b = new Float64Array(3);
    expect(codeOf(() => denseLeastSquares(A, new Float64Array(2)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => denseLeastSquares(A, new Float64Array([0, NaN, 0])))).toBe('NOT_FINITE');
    expect(codeOf(() => denseLeastSquares(DenseMatrix.wrap(3, 2, new Float64Array([1, 0, 0, Infinity, 1, 1])), b))).toBe('NOT_FINITE');
    expect(codeOf(() => denseLeastSquares(A, b, { rcond: 1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => denseLeastSquares(A, b, { rcond: -0.1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => denseLeastSquares(A, b, { method: 'lu' as 'qr' }))).toBe('INVALID_OPTION');
    expect(codeOf(() => denseLeastSquares(new DenseMatrix(0, 2), new Float64Array(0)))).toBe('EMPTY_INPUT');
    expect(codeOf(() => denseLeastSquares({ rows: 3, cols: 2 } as unknown as DenseMatrix, b))).toBe('INVALID_ARGUMENT');
  });
});

describe('triangular solves', () => {
  // R = [[2, 1], [0, 4]].
  const R = new Float64Array([2, 1, 0, 4]);

  it('solveUpperInPlace solves R·x = y', () => {
    // R·[1, 2] = [4, 8].
    const y = new Float64Array([4, 8]);
    expect(solveUpperInPlace(R, 2, y)).toBe(y);
    expectClose(y, [1, 2], 1e-15);
  });

  it('solveUpperTransposeInPlace solves Rᵀ·x = y', () => {
    // Rᵀ = [[2, 0], [1, 4]]; Rᵀ·[1, 2] = [2, 9].
    const y = new Float64Array([2, 9]);
    expect(solveUpperTransposeInPlace(R, 2, y)).toBe(y);
    expectClose(y, [1, 2], 1e-15);
  });
});
