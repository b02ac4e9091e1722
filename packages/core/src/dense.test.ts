import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, matmul, matvec, matvecT } from './dense.js';
import { OptkitError } from './errors.js';

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

const A23 = () =>
  DenseMatrix.fromRows([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('construction', () => {
  it('stores row-major data and adopts a Float64Array without copying', () => {
    const data = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const A = new DenseMatrix(2, 3, data);
    expect(A.data).toBe(data);
    expect(A.get(1, 0)).toBe(4);
    expect(new DenseMatrix(2, 2, [1, 2, 3, 4]).data).toBeInstanceOf(Float64Array);
    expect(Array.from(new DenseMatrix(2, 2).data)).toEqual([0, 0, 0, 0]);
  });

  it('rejects bad sizes, wrong data length and non-finite data', () => {
    expect(errorOf(() => new DenseMatrix(-1, 2)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => new DenseMatrix(2, 1.5)).argument).toBe('cols');
    const e = errorOf(() => new DenseMatrix(2, 2, [1, 2, 3]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('data');
    const f = errorOf(() => new DenseMatrix(1, 2, [1, Number.NaN]));
    expect(f.code).toBe('NOT_FINITE');
    expect(f.message).toMatch(/data\[1\]/);
    expect(errorOf(() => new DenseMatrix(1, 1, [Number.POSITIVE_INFINITY])).code).toBe('NOT_FINITE');
  });

  it('zeros, identity, diag', () => {
    expect(DenseMatrix.zeros(2, 3).toRows()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(DenseMatrix.identity(2).toRows()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(DenseMatrix.diag([2, 3]).toRows()).toEqual([
      [2, 0],
      [0, 3],
    ]);
    expect(errorOf(() => DenseMatrix.identity(-2)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => DenseMatrix.diag([1, Number.NaN])).code).toBe('NOT_FINITE');
  });

  it('fromRows rejects ragged rows, naming the row', () => {
    const e = errorOf(() => DenseMatrix.fromRows([[1, 2], [3]]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('rows[1]');
    const E = DenseMatrix.fromRows([]);
    expect([E.rows, E.cols]).toEqual([0, 0]);
  });

  it('random is reproducible from its seed and honours the distribution options', () => {
    const a = DenseMatrix.random(3, 4, { seed: 5 });
    const b = DenseMatrix.random(3, 4, { seed: 5 });
    const c = DenseMatrix.random(3, 4, { seed: 6 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(a.data.every((v) => v >= 0 && v < 1)).toBe(true);
    const u = DenseMatrix.random(10, 10, { seed: 1, low: 5, high: 6 });
    expect(u.data.every((v) => v >= 5 && v < 6)).toBe(true);
    const g = DenseMatrix.random(100, 100, { seed: 1, distribution: 'normal', mean: 3, std: 2 });
    let mean = 0;
    for (const v of g.data) mean += v / g.data.length;
    expect(mean).toBeGreaterThan(2.9);
    expect(mean).toBeLessThan(3.1);
    expect(errorOf(() => DenseMatrix.random(2, 2, { distribution: 'cauchy' as 'normal' })).code).toBe('INVALID_OPTION');
    expect(errorOf(() => DenseMatrix.random(2, 2, { distribution: 'normal', std: -1 })).argument).toBe('std');
  });

  it('round-trips through ml-matrix', () => {
    const A = A23();
    const m = A.toMlMatrix();
    expect(m).toBeInstanceOf(Matrix);
    expect(m.to2DArray()).toEqual(A.toRows());
    expect(DenseMatrix.fromMlMatrix(m).toRows()).toEqual(A.toRows());
    expect(errorOf(() => DenseMatrix.fromMlMatrix({} as Matrix)).code).toBe('INVALID_ARGUMENT');
  });

  it('wrap checks sizes but adopts data as is', () => {
    const d = new Float64Array(4);
    expect(DenseMatrix.wrap(2, 2, d).data).toBe(d);
    expect(DenseMatrix.wrap(2, 2, d)).toBeInstanceOf(DenseMatrix);
    expect(errorOf(() => DenseMatrix.wrap(2, 3, d)).code).toBe('SHAPE_MISMATCH');
    // The next ordinary construction is validated again.
    expect(errorOf(() => new DenseMatrix(1, 1, [Number.NaN])).code).toBe('NOT_FINITE');
  });
});

describe('element access', () => {
  it('get/set with bounds and finiteness checks', () => {
    const A = A23();
    A.set(0, 2, 9);
    expect(A.get(0, 2)).toBe(9);
    expect(errorOf(() => A.get(2, 0)).argument).toBe('i');
    expect(errorOf(() => A.get(0, 3)).argument).toBe('j');
    expect(errorOf(() => A.set(0, -1, 1)).argument).toBe('j');
    expect(errorOf(() => A.set(0, 0, Number.NaN)).code).toBe('NOT_FINITE');
  });

  it('row and column are copies', () => {
    const A = A23();
    expect(Array.from(A.row(1))).toEqual([4, 5, 6]);
    expect(Array.from(A.column(2))).toEqual([3, 6]);
    A.row(0)[0] = 100;
    expect(A.get(0, 0)).toBe(1);
    expect(errorOf(() => A.row(2)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => A.column(-1)).argument).toBe('j');
  });

  it('clone is deep; transpose is correct beyond one 32×32 block', () => {
    const A = A23();
    const B = A.clone();
    B.data[0] = 7;
    expect(A.data[0]).toBe(1);
    expect(A.transpose().toRows()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const R = DenseMatrix.random(37, 70, { seed: 3 });
    const T = R.transpose();
    expect([T.rows, T.cols]).toEqual([70, 37]);
    for (let i = 0; i < 37; i++) for (let j = 0; j < 70; j++) expect(T.data[j * 37 + i]).toBe(R.data[i * 70 + j]);
  });
});

describe('products', () => {
  it('mul / matmul give known products and check shapes naming B', () => {
    const A = A23();
    const B = DenseMatrix.fromRows([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(A.mul(B).toRows()).toEqual([
      [4, 5],
      [10, 11],
    ]);
    expect(matmul(A, B).toRows()).toEqual(A.matmul(B).toRows());
    const e = errorOf(() => A.mul(A));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('B');
    expect(errorOf(() => A.mul([[1]] as unknown as DenseMatrix)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => matmul({} as DenseMatrix, B)).argument).toBe('A');
  });

  it('mul matches a triple loop on a blocked size, and handles empty inner dimensions', () => {
    const A = DenseMatrix.random(70, 45, { seed: 1 });
    const B = DenseMatrix.random(45, 33, { seed: 2 });
    const C = A.mul(B);
    for (let i = 0; i < 70; i += 7)
      for (let j = 0; j < 33; j += 4) {
        let s = 0;
        for (let p = 0; p < 45; p++) s += A.data[i * 45 + p] * B.data[p * 33 + j];
        expect(C.get(i, j)).toBeCloseTo(s, 12);
      }
    const Z = new DenseMatrix(3, 0).mul(new DenseMatrix(0, 2));
    expect(Z.toRows()).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('gemv / gemvT compute A·x and Aᵀ·x, into out when given', () => {
    const A = A23();
    expect(Array.from(A.gemv(Float64Array.from([1, 1, 1])))).toEqual([6, 15]);
    expect(Array.from(A.gemvT(Float64Array.from([1, -1])))).toEqual([-3, -3, -3]);
    const out = new Float64Array(2).fill(Number.NaN);
    expect(matvec(A, Float64Array.from([1, 0, 0]), out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 4]);
    expect(Array.from(matvecT(A, Float64Array.from([0, 1])))).toEqual([4, 5, 6]);
  });

  it('gemv / gemvT name the mismatched argument', () => {
    const A = A23();
    expect(errorOf(() => A.gemv(new Float64Array(2))).argument).toBe('x');
    expect(errorOf(() => A.gemv(new Float64Array(3), new Float64Array(3))).argument).toBe('out');
    expect(errorOf(() => A.gemvT(new Float64Array(3))).argument).toBe('x');
    expect(errorOf(() => A.gemv([1, 2, 3] as unknown as Float64Array)).code).toBe('INVALID_ARGUMENT');
  });

  it('frobeniusNorm', () => {
    expect(DenseMatrix.fromRows([[3, 0], [0, 4]]).frobeniusNorm()).toBe(5);
    expect(DenseMatrix.fromRows([[3e200, 4e200]]).frobeniusNorm() / 5e200).toBeCloseTo(1, 15);
  });
});

describe('decompositions through the kernel set', () => {
  it('solve with a vector or a matrix, inverse, cholesky', () => {
    const A = DenseMatrix.fromRows([
      [4, 2],
      [2, 5],
    ]);
    const x = A.solve(Float64Array.from([8, 9]));
    expect(x[0]).toBeCloseTo(1.375, 14);
    expect(x[1]).toBeCloseTo(1.25, 14);
    const X = A.solve(DenseMatrix.identity(2));
    const Ainv = A.inverse();
    for (let i = 0; i < 4; i++) expect(X.data[i]).toBeCloseTo(Ainv.data[i], 14);
    expect(Ainv.mul(A).data[0]).toBeCloseTo(1, 14);
    expect(A.cholesky().toRows()).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(errorOf(() => A.solve(new Float64Array(3))).argument).toBe('b');
  });

  it('svd, qr and symmetricEigen return the documented shapes', () => {
    const A = DenseMatrix.random(5, 3, { seed: 4 });
    const { U, s, V } = A.svd();
    expect([U.rows, U.cols, s.length, V.rows, V.cols]).toEqual([5, 3, 3, 3, 3]);
    const { Q, R } = A.qr();
    expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([5, 3, 3, 3]);
    const S = A.transpose().mul(A);
    const { values, vectors } = S.symmetricEigen();
    // The eigenvalues of AᵀA are the squared singular values of A.
    const sq = Array.from(s, (v) => v * v).sort((a, b) => a - b);
    for (let i = 0; i < 3; i++) expect(values[i]).toBeCloseTo(sq[i], 12);
    expect([vectors.rows, vectors.cols]).toEqual([3, 3]);
  });
});
