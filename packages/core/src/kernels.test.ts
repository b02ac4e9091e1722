import { afterEach, describe, expect, it } from 'vitest';
import { DenseMatrix } from './dense.js';
import { OptkitError } from './errors.js';
import { checkGemmArgs, gemm, gemv, gemvT, getKernels, setKernels, tsKernels, type KernelSet } from './kernels.js';
import { Rng } from './rng.js';

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

const M = (rows: number[][]) => DenseMatrix.fromRows(rows);

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

/** Naive product for checking factorizations. */
function prod(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  const C = new DenseMatrix(A.rows, B.cols);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let p = 0; p < A.cols; p++) s += A.data[i * A.cols + p] * B.data[p * B.cols + j];
      C.data[i * B.cols + j] = s;
    }
  return C;
}

function transposeOf(A: DenseMatrix): DenseMatrix {
  const T = new DenseMatrix(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.data[j * A.rows + i] = A.data[i * A.cols + j];
  return T;
}

function expectOrthonormalColumns(Q: DenseMatrix, tol = 1e-12): void {
  const G = prod(transposeOf(Q), Q);
  expect(maxAbsDiff(G.data, DenseMatrix.identity(Q.cols).data)).toBeLessThan(tol);
}

afterEach(() => {
  setKernels(tsKernels);
});

describe('raw gemm / gemv validation', () => {
  const A = new Float64Array(6);
  const B = new Float64Array(6);
  const C = new Float64Array(4);

  it('accepts valid arguments and computes', () => {
    const X = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2×3
    const Y = Float64Array.from([1, 0, 0, 1, 1, 1]); // 3×2
    const Z = new Float64Array(4);
    gemm(false, false, 2, 2, 3, 1, X, 3, Y, 2, 0, Z, 2);
    expect(Array.from(Z)).toEqual([4, 5, 10, 11]);
  });

  it('rejects negative or fractional sizes', () => {
    expect(errorOf(() => gemm(false, false, -1, 2, 3, 1, A, 3, B, 2, 0, C, 2)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => gemm(false, false, 2, 2.5, 3, 1, A, 3, B, 2, 0, C, 2)).argument).toBe('n');
  });

  it('rejects a leading dimension smaller than the stored columns', () => {
    const e = errorOf(() => gemm(false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('lda');
    // Transposed A is stored k×m = 3×2, so lda = 2 is fine there.
    gemm(true, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2);
  });

  it('rejects buffers too short for their shape', () => {
    const e = errorOf(() => gemm(false, false, 2, 2, 3, 1, A, 3, new Float64Array(5), 2, 0, C, 2));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('B');
    expect(errorOf(() => gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, new Float64Array(3), 2)).argument).toBe('C');
  });

  it('rejects non-finite α/β and non-Float64Array storage', () => {
    expect(errorOf(() => checkGemmArgs(false, false, 2, 2, 3, Number.NaN, A, 3, B, 2, 0, C, 2)).code).toBe('NOT_FINITE');
    expect(errorOf(() => gemm(false, false, 2, 2, 3, 1, [1, 2] as unknown as Float64Array, 3, B, 2, 0, C, 2)).argument).toBe('A');
  });

  it('gemv and gemvT check vector lengths', () => {
    expect(errorOf(() => gemv(2, 3, 1, A, 3, new Float64Array(2), 0, new Float64Array(2))).argument).toBe('x');
    expect(errorOf(() => gemvT(2, 3, 1, A, 3, new Float64Array(2), 0, new Float64Array(2))).argument).toBe('y');
  });
});

describe('gemv / gemvT', () => {
  const rng = new Rng(3);
  for (const [m, n, pad] of [
    [1, 1, 0],
    [3, 5, 2],
    [4, 4, 0],
    [7, 9, 1],
    [13, 6, 3],
  ]) {
    it(`match the definition for ${m}×${n} with lda = n + ${pad} and α, β`, () => {
      const lda = n + pad;
      const A = rng.fillUniform(new Float64Array(m * lda), -1, 1) as Float64Array;
      const x = rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
      const xt = rng.fillUniform(new Float64Array(m), -1, 1) as Float64Array;
      for (const [alpha, beta] of [
        [1, 0],
        [-2, 0.5],
        [0.3, 1],
      ]) {
        const y0 = rng.fillUniform(new Float64Array(m), -1, 1) as Float64Array;
        const y = y0.slice();
        gemv(m, n, alpha, A, lda, x, beta, y);
        const yt0 = rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
        const yt = yt0.slice();
        gemvT(m, n, alpha, A, lda, xt, beta, yt);
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += A[i * lda + j] * x[j];
          expect(y[i]).toBeCloseTo(alpha * s + beta * y0[i], 13);
        }
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += A[i * lda + j] * xt[i];
          expect(yt[j]).toBeCloseTo(alpha * s + beta * yt0[j], 13);
        }
      }
    });
  }

  it('with β = 0 overwrite NaN in y', () => {
    const A = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 5×2
    const y = new Float64Array(5).fill(Number.NaN);
    gemv(5, 2, 1, A, 2, Float64Array.from([1, 1]), 0, y);
    expect(Array.from(y)).toEqual([3, 7, 11, 15, 19]);
    const yt = new Float64Array(2).fill(Number.NaN);
    gemvT(5, 2, 1, A, 2, Float64Array.from([1, 1, 1, 1, 1]), 0, yt);
    expect(Array.from(yt)).toEqual([25, 30]);
  });
});

describe('kernel set selection', () => {
  it('defaults to the TypeScript kernels', () => {
    expect(getKernels()).toBe(tsKernels);
    expect(tsKernels.name).toBe('typescript');
  });

  it('routes DenseMatrix products through the installed set and restores the previous one', () => {
    const calls: string[] = [];
    const spy: KernelSet = {
      ...tsKernels,
      name: 'spy',
      gemm: (...args) => {
        calls.push('gemm');
        tsKernels.gemm(...args);
      },
      gemv: (...args) => {
        calls.push('gemv');
        tsKernels.gemv(...args);
      },
    };
    const previous = setKernels(spy);
    expect(previous).toBe(tsKernels);
    const A = M([
      [1, 2],
      [3, 4],
    ]);
    expect(A.mul(A).toRows()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    A.gemv(Float64Array.from([1, 1]));
    gemm(false, false, 1, 1, 1, 1, Float64Array.of(2), 1, Float64Array.of(3), 1, 0, new Float64Array(1), 1);
    expect(calls).toEqual(['gemm', 'gemv', 'gemm']);
    expect(setKernels(previous)).toBe(spy);
    expect(getKernels()).toBe(tsKernels);
  });

  it('rejects an incomplete kernel set, naming the missing kernel', () => {
    const { svd: _omit, ...partial } = tsKernels;
    const e = errorOf(() => setKernels(partial as KernelSet));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.argument).toBe('kernels.svd');
    expect(getKernels()).toBe(tsKernels);
  });
});

describe('svd', () => {
  it('finds the singular values of a known matrix', () => {
    // diag(3, -2) rotated: singular values 3 and 2.
    const { s } = tsKernels.svd(M([
      [0, 3],
      [-2, 0],
    ]));
    expect(Array.from(s)).toEqual([3, 2].map((v) => expect.closeTo(v, 13)));
  });

  for (const [m, n] of [
    [6, 4],
    [4, 6],
    [5, 5],
    [1, 3],
  ]) {
    it(`reconstructs a random ${m}×${n} matrix with thin and full factors`, () => {
      const A = DenseMatrix.random(m, n, { seed: m * 10 + n, low: -1, high: 1 });
      const r = Math.min(m, n);
      const thin = tsKernels.svd(A);
      expect([thin.U.rows, thin.U.cols, thin.s.length, thin.V.rows, thin.V.cols]).toEqual([m, r, r, n, r]);
      for (let i = 1; i < r; i++) expect(thin.s[i]).toBeLessThanOrEqual(thin.s[i - 1]);
      expectOrthonormalColumns(thin.U);
      expectOrthonormalColumns(thin.V);
      const US = new DenseMatrix(m, r);
      for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) US.data[i * r + j] = thin.U.data[i * r + j] * thin.s[j];
      expect(maxAbsDiff(prod(US, transposeOf(thin.V)).data, A.data)).toBeLessThan(1e-13);

      const full = tsKernels.svd(A, { thin: false });
      expect([full.U.rows, full.U.cols, full.V.rows, full.V.cols]).toEqual([m, m, n, n]);
      expectOrthonormalColumns(full.U);
      expectOrthonormalColumns(full.V);
      expect(maxAbsDiff(full.s, thin.s)).toBeLessThan(1e-14);
    });
  }
});

describe('qr', () => {
  for (const [m, n] of [
    [7, 4],
    [4, 4],
    [3, 6],
    [1, 1],
  ]) {
    it(`factors a random ${m}×${n} matrix as Q·R with R upper triangular`, () => {
      const A = DenseMatrix.random(m, n, { seed: 5 + m + n, low: -1, high: 1 });
      const { Q, R } = tsKernels.qr(A);
      const r = Math.min(m, n);
      expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([m, r, r, n]);
      expectOrthonormalColumns(Q);
      for (let i = 0; i < r; i++) for (let j = 0; j < Math.min(i, n); j++) expect(R.data[i * n + j]).toBe(0);
      expect(maxAbsDiff(prod(Q, R).data, A.data)).toBeLessThan(1e-13);
    });
  }
});

describe('symmetricEigen', () => {
  it('finds known eigenpairs in ascending order', () => {
    // [[2,1],[1,2]]: eigenvalues 1 and 3, eigenvectors (1,-1)/√2 and (1,1)/√2.
    const { values, vectors } = tsKernels.symmetricEigen(M([
      [2, 1],
      [1, 2],
    ]));
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors.data[0 * 2 + 1])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors.data[0 * 2 + 0] * vectors.data[1 * 2 + 0]).toBeCloseTo(-0.5, 14);
  });

  it('satisfies A·V = V·Λ on a random symmetric matrix', () => {
    const B = DenseMatrix.random(8, 8, { seed: 11, low: -1, high: 1 });
    const A = new DenseMatrix(8, 8);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) A.data[i * 8 + j] = B.data[i * 8 + j] + B.data[j * 8 + i];
    const { values, vectors } = tsKernels.symmetricEigen(A);
    for (let i = 1; i < 8; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    expectOrthonormalColumns(vectors);
    const AV = prod(A, vectors);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(AV.data[i * 8 + j]).toBeCloseTo(vectors.data[i * 8 + j] * values[j], 12);
  });

  it('rejects a non-symmetric or non-square matrix', () => {
    expect(errorOf(() => tsKernels.symmetricEigen(M([[1, 2], [0, 1]]))).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => tsKernels.symmetricEigen(new DenseMatrix(2, 3))).code).toBe('SHAPE_MISMATCH');
  });
});

describe('cholesky', () => {
  it('factors a known SPD matrix', () => {
    // [[4,2],[2,5]] = L·Lᵀ with L = [[2,0],[1,2]].
    const L = tsKernels.cholesky(M([
      [4, 2],
      [2, 5],
    ]));
    expect(L.toRows()).toEqual([
      [2, 0],
      [1, 2],
    ]);
  });

  it('accepts rounding-level asymmetry and reconstructs A', () => {
    const B = DenseMatrix.random(6, 6, { seed: 2 });
    const A = prod(transposeOf(B), B);
    for (let i = 0; i < 6; i++) A.data[i * 7] += 1;
    A.data[1] *= 1 + 1e-15;
    const L = tsKernels.cholesky(A);
    expect(maxAbsDiff(prod(L, transposeOf(L)).data, A.data)).toBeLessThan(1e-12);
  });

  it('throws NOT_SPD for indefinite or non-symmetric matrices', () => {
    expect(errorOf(() => tsKernels.cholesky(M([[1, 2], [2, 1]]))).code).toBe('NOT_SPD');
    expect(errorOf(() => tsKernels.cholesky(M([[2, 1], [0, 2]]))).code).toBe('NOT_SPD');
    expect(errorOf(() => tsKernels.cholesky(M([[0, 0], [0, 0]]))).code).toBe('NOT_SPD');
  });
});

describe('luSolve / solve / inverse', () => {
  it('solve gives a known answer', () => {
    // 2x + y = 3, x + 3y = 5  →  x = 0.8, y = 1.4.
    const x = tsKernels.solve(M([[2, 1], [1, 3]]), Float64Array.from([3, 5]));
    expect(x[0]).toBeCloseTo(0.8, 14);
    expect(x[1]).toBeCloseTo(1.4, 14);
  });

  it('luSolve solves for several right-hand sides; inverse is A⁻¹', () => {
    const A = DenseMatrix.random(5, 5, { seed: 9, low: -1, high: 1 });
    const B = DenseMatrix.random(5, 3, { seed: 10 });
    const X = tsKernels.luSolve(A, B);
    expect(maxAbsDiff(prod(A, X).data, B.data)).toBeLessThan(1e-12);
    const Ainv = tsKernels.inverse!(A);
    expect(maxAbsDiff(prod(A, Ainv).data, DenseMatrix.identity(5).data)).toBeLessThan(1e-12);
  });

  it('throws SINGULAR for a singular matrix', () => {
    const S = M([
      [1, 2],
      [2, 4],
    ]);
    expect(errorOf(() => tsKernels.solve(S, Float64Array.from([1, 2]))).code).toBe('SINGULAR');
    expect(errorOf(() => tsKernels.inverse!(S)).code).toBe('SINGULAR');
    expect(errorOf(() => tsKernels.luSolve(new DenseMatrix(3, 3), DenseMatrix.identity(3))).code).toBe('SINGULAR');
  });

  it('checks shapes', () => {
    expect(errorOf(() => tsKernels.solve(DenseMatrix.identity(2), Float64Array.from([1, 2, 3]))).argument).toBe('b');
    expect(errorOf(() => tsKernels.luSolve(DenseMatrix.identity(2), new DenseMatrix(3, 1))).argument).toBe('B');
    expect(errorOf(() => tsKernels.luSolve(new DenseMatrix(2, 3), new DenseMatrix(2, 1))).code).toBe('SHAPE_MISMATCH');
  });
});

describe('decomposition input checks', () => {
  it('rejects NaN and Infinity entries written into data, and empty matrices', () => {
    const A = DenseMatrix.identity(3);
    A.data[4] = Number.NaN;
    for (const run of [() => tsKernels.svd(A), () => tsKernels.qr(A), () => tsKernels.symmetricEigen(A), () => tsKernels.cholesky(A), () => tsKernels.inverse!(A)]) {
      expect(errorOf(run).code).toBe('NOT_FINITE');
    }
    expect(errorOf(() => tsKernels.svd(new DenseMatrix(0, 3))).code).toBe('EMPTY_INPUT');
    expect(errorOf(() => tsKernels.qr(new DenseMatrix(2, 0))).code).toBe('EMPTY_INPUT');
  });
});
