import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';
import { OptkitError } from './errors.js';
import { poisson1d, poisson2d, poisson2dStencil, poisson3d, randomSparse, randomSpd } from './problems.js';
import { Rng } from './rng.js';

function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
}

/** Dense Kronecker product, the textbook definition (row-major). */
function kron(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  const rows = A.rows * B.rows;
  const cols = A.cols * B.cols;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < A.cols; j++)
      for (let p = 0; p < B.rows; p++)
        for (let q = 0; q < B.cols; q++) out[(i * B.rows + p) * cols + j * B.cols + q] = A.data[i * A.cols + j] * B.data[p * B.cols + q] + 0; // + 0 turns -0 into 0
  return new DenseMatrix(rows, cols, out);
}

function addDense(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  return new DenseMatrix(A.rows, A.cols, A.data.map((v, t) => v + B.data[t]));
}

/** T_n = tridiag(-1, 2, -1), written out densely. */
function tridiag(n: number): DenseMatrix {
  const T = new DenseMatrix(n, n);
  for (let i = 0; i < n; i++) {
    T.data[i * n + i] = 2;
    if (i > 0) T.data[i * n + i - 1] = -1;
    if (i < n - 1) T.data[i * n + i + 1] = -1;
  }
  return T;
}

function symmetricEigenvalues(a: Float64Array, n: number): number[] {
  const e = new EigenvalueDecomposition(Matrix.from1DArray(n, n, a), { assumeSymmetric: true });
  return [...e.realEigenvalues].sort((p, q) => p - q);
}

function isCanonical(A: CsrMatrix): boolean {
  for (let i = 0; i < A.rows; i++) for (let k = A.indptr[i] + 1; k < A.indptr[i + 1]; k++) if (A.indices[k] <= A.indices[k - 1]) return false;
  return true;
}

describe('Poisson matrices', () => {
  it('poisson1d is tridiag(-1, 2, -1) with eigenvalues 2 - 2cos(kπ/(n+1))', () => {
    const n = 12;
    const A = poisson1d(n);
    expect(A.toDense().data).toEqual(tridiag(n).data);
    const ev = symmetricEigenvalues(A.toDense().data, n);
    for (let k = 1; k <= n; k++) expect(ev[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 12);
    expect(poisson1d(1).toDense().data).toEqual(new Float64Array([2]));
  });

  it('poisson2d equals kron(T_nx, I_ny) + kron(I_nx, T_ny), also for nx != ny', () => {
    for (const [nx, ny] of [
      [4, 4],
      [3, 5],
      [1, 4],
    ]) {
      const A = poisson2d(nx, ny);
      expect(A.rows).toBe(nx * ny);
      expect(isCanonical(A)).toBe(true);
      const K = addDense(kron(tridiag(nx), DenseMatrix.identity(ny)), kron(DenseMatrix.identity(nx), tridiag(ny)));
      expect(A.toDense().data).toEqual(K.data);
    }
    expect(poisson2d(3).nnz).toBe(9 + 2 * 2 * 3 * 2);
  });

  it('poisson3d equals the three-term Kronecker sum', () => {
    const [nx, ny, nz] = [2, 3, 4];
    const A = poisson3d(nx, ny, nz);
    expect(isCanonical(A)).toBe(true);
    const I = DenseMatrix.identity;
    const K = addDense(
      addDense(kron(tridiag(nx), kron(I(ny), I(nz))), kron(I(nx), kron(tridiag(ny), I(nz)))),
      kron(I(nx), kron(I(ny), tridiag(nz))),
    );
    expect(A.toDense().data).toEqual(K.data);
    expect(poisson3d(3).rows).toBe(27);
  });

  it('rejects bad sizes', () => {
    expectCode(() => poisson1d(0), 'INVALID_ARGUMENT');
    expectCode(() => poisson2d(3, 2.5), 'INVALID_ARGUMENT');
    expectCode(() => poisson3d(2, 2, -1), 'INVALID_ARGUMENT');
    expectCode(() => poisson2d(50000, 50000), 'LIMIT_EXCEEDED');
    expectCode(() => poisson2dStencil(0), 'INVALID_ARGUMENT');
  });

  it('the 2D stencil equals the CSR product exactly, on several grid shapes', () => {
    const rng = new Rng(3);
    for (const [nx, ny] of [
      [1, 1],
      [1, 7],
      [7, 1],
      [2, 2],
      [3, 3],
      [13, 9],
      [70, 70],
    ]) {
      const A = poisson2d(nx, ny);
      const S = poisson2dStencil(nx, ny);
      expect([S.rows, S.cols]).toEqual([nx * ny, nx * ny]);
      const x = rng.fillNormal(new Float64Array(nx * ny)) as Float64Array;
      const expected = A.spmv(x);
      const got = S.apply(x);
      for (let i = 0; i < got.length; i++) expect(got[i] === expected[i]).toBe(true);
      const out = new Float64Array(nx * ny);
      expect(S.applyT!(x, out)).toBe(out);
      for (let i = 0; i < got.length; i++) expect(out[i] === expected[i]).toBe(true);
    }
    expectCode(() => poisson2dStencil(3).apply(new Float64Array(8)), 'SHAPE_MISMATCH');
  });
});

describe('randomSpd', () => {
  it('has the requested condition number and eigenvalues', () => {
    const n = 30;
    const condition = 1e4;
    const { matrix, eigenvalues } = randomSpd(n, condition, { seed: 5 });
    expect(matrix.rows).toBe(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(matrix.data[i * n + j]).toBe(matrix.data[j * n + i]);
    expect(eigenvalues[0]).toBe(1);
    expect(eigenvalues[n - 1]).toBe(condition);
    for (let k = 1; k < n; k++) expect(eigenvalues[k] / eigenvalues[k - 1]).toBeCloseTo(condition ** (1 / (n - 1)), 12);
    const ev = symmetricEigenvalues(matrix.data, n);
    for (let k = 0; k < n; k++) expect(Math.abs(ev[k] - eigenvalues[k])).toBeLessThan(1e-9 * condition);
    expect(Math.abs(ev[n - 1] / ev[0] - condition) / condition).toBeLessThan(1e-9);
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const a = randomSpd(8, 10, { seed: 1 }).matrix.data;
    const b = randomSpd(8, 10, { seed: 1 }).matrix.data;
    const c = randomSpd(8, 10, { seed: 2 }).matrix.data;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const r1 = new Rng(9);
    const r2 = new Rng(9);
    expect(randomSpd(5, 3, { rng: r1 }).matrix.data).toEqual(randomSpd(5, 3, { rng: r2 }).matrix.data);
  });

  it('condition 1 gives the identity; rejects bad input', () => {
    const { matrix } = randomSpd(6, 1, { seed: 4 });
    const I = DenseMatrix.identity(6).data;
    for (let t = 0; t < 36; t++) expect(Math.abs(matrix.data[t] - I[t])).toBeLessThan(1e-14);
    expect(randomSpd(1, 1).matrix.data).toEqual(new Float64Array([1]));
    expectCode(() => randomSpd(1, 2), 'INVALID_ARGUMENT');
    expectCode(() => randomSpd(0, 2), 'INVALID_ARGUMENT');
    expectCode(() => randomSpd(4, 0.5), 'INVALID_OPTION');
    expectCode(() => randomSpd(4, Number.NaN), 'INVALID_OPTION');
  });
});

describe('randomSparse', () => {
  it('has the requested number of distinct entries, values in [-1, 1)', () => {
    const A = randomSparse(40, 25, 0.1, { seed: 3 });
    expect(A.nnz).toBe(100);
    expect(isCanonical(A)).toBe(true);
    for (const v of A.values) {
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThan(1);
    }
    expect(randomSparse(5, 5, 1).nnz).toBe(25);
    expect(randomSparse(5, 5, 0).nnz).toBe(0);
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const a = randomSparse(30, 30, 0.2, { seed: 8 });
    const b = randomSparse(30, 30, 0.2, { seed: 8 });
    const c = randomSparse(30, 30, 0.2, { seed: 9 });
    expect(a.indices).toEqual(b.indices);
    expect(a.values).toEqual(b.values);
    expect(a.toDense().data).not.toEqual(c.toDense().data);
  });

  it('symmetric, diagonally dominant and SPD variants have those properties', () => {
    const n = 40;
    const S = randomSparse(n, n, 0.15, { seed: 1, symmetric: true });
    expect(S.isSymmetric()).toBe(true);
    expect(S.nnz).toBeGreaterThan(0);
    const D = randomSparse(n, 30 + 10, 0.1, { seed: 2, diagonallyDominant: true });
    const d = D.toDense();
    for (let i = 0; i < n; i++) {
      let off = 0;
      for (let j = 0; j < n; j++) if (j !== i) off += Math.abs(d.data[i * n + j]);
      expect(d.data[i * n + i]).toBeCloseTo(1 + off, 12);
    }
    const P = randomSparse(n, n, 0.2, { seed: 3, spd: true });
    expect(P.isSymmetric()).toBe(true);
    const ev = symmetricEigenvalues(P.toDense().data, n);
    expect(ev[0]).toBeGreaterThanOrEqual(1 - 1e-10);
  });

  it('rejects bad input', () => {
    expectCode(() => randomSparse(3, 3, 1.5), 'INVALID_OPTION');
    expectCode(() => randomSparse(3, 3, -0.1), 'INVALID_OPTION');
    expectCode(() => randomSparse(3, 4, 0.5, { symmetric: true }), 'INVALID_ARGUMENT');
    expectCode(() => randomSparse(3, 4, 0.5, { spd: true }), 'INVALID_ARGUMENT');
    expectCode(() => randomSparse(-1, 4, 0.5), 'INVALID_ARGUMENT');
    expectCode(() => randomSparse(100000, 100000, 0.01), 'LIMIT_EXCEEDED');
  });
});
