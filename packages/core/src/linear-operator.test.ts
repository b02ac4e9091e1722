import { describe, expect, it } from 'vitest';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';
import { OptkitError } from './errors.js';
import {
  aslinearoperator,
  csrOperator,
  denseOperator,
  diagonalOperator,
  functionOperator,
  identityOperator,
  isLinearOperator,
  productOperator,
  scaledOperator,
  sumOperator,
  transposeOperator,
  type LinearOperator,
} from './linear-operator.js';
import { Rng } from './rng.js';

function expectCode(f: () => unknown, code: string): OptkitError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
  return caught as OptkitError;
}

const rng = new Rng(42);
const randn = (n: number) => rng.fillNormal(new Float64Array(n)) as Float64Array;

/** Brute-force dense product, independent of the kernels under test. */
function mv(A: DenseMatrix, x: Float64Array): Float64Array {
  const y = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let j = 0; j < A.cols; j++) s += A.data[i * A.cols + j] * x[j];
    y[i] = s;
  }
  return y;
}

function expectClose(a: Float64Array, b: Float64Array, tol = 1e-12): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

/** The dense matrix of an operator, column by column (apply to unit vectors). */
function materialize(op: LinearOperator): DenseMatrix {
  const M = new DenseMatrix(op.rows, op.cols);
  const e = new Float64Array(op.cols);
  for (let j = 0; j < op.cols; j++) {
    e.fill(0);
    e[j] = 1;
    const col = op.apply(e);
    for (let i = 0; i < op.rows; i++) M.data[i * op.cols + j] = col[i];
  }
  return M;
}

const A = DenseMatrix.random(5, 3, { seed: 1, distribution: 'normal' });
const B = DenseMatrix.random(5, 3, { seed: 2, distribution: 'normal' });
const C = DenseMatrix.random(3, 4, { seed: 3, distribution: 'normal' });

describe('adapters', () => {
  it('denseOperator and csrOperator apply A and Aᵀ', () => {
    for (const op of [denseOperator(A), csrOperator(CsrMatrix.fromDense(A)), aslinearoperator(A), aslinearoperator(CsrMatrix.fromDense(A))]) {
      expect([op.rows, op.cols]).toEqual([5, 3]);
      const x = randn(3);
      const z = randn(5);
      expectClose(op.apply(x), mv(A, x));
      expectClose(op.applyT!(z), mv(A.transpose(), z));
      const out = new Float64Array(5).fill(7);
      expect(op.apply(x, out)).toBe(out);
      expectClose(out, mv(A, x));
    }
    // A plain {rows, cols, data} matrix is accepted by denseOperator.
    expectClose(denseOperator({ rows: 5, cols: 3, data: A.data }).apply(new Float64Array([1, 0, 0])), A.column(0));
  });

  it('functionOperator calls the functions with a preallocated output', () => {
    let calls = 0;
    const op = functionOperator(2, 3, (x, out) => {
      calls++;
      out[0] = x[0] + x[1];
      out[1] = x[2];
    });
    expect(op.apply(new Float64Array([1, 2, 3]))).toEqual(new Float64Array([3, 3]));
    expect(calls).toBe(1);
    expect(op.applyT).toBeUndefined();
    expectCode(() => op.apply(new Float64Array(2)), 'SHAPE_MISMATCH');
    expectCode(() => op.apply(new Float64Array(3), new Float64Array(3)), 'SHAPE_MISMATCH');
    expect(calls).toBe(1); // validation happens before the user function runs
  });

  it('diagonal and identity operators', () => {
    const D = diagonalOperator([1, -2, 3]);
    expect(D.apply(new Float64Array([1, 1, 2]))).toEqual(new Float64Array([1, -2, 6]));
    expect(D.applyT!(new Float64Array([1, 1, 2]))).toEqual(new Float64Array([1, -2, 6]));
    const I = identityOperator(4);
    const x = randn(4);
    expect(I.apply(x)).toEqual(x);
    expect(I.apply(x)).not.toBe(x);
    expectCode(() => diagonalOperator([1, Number.NaN]), 'NOT_FINITE');
    expectCode(() => identityOperator(-1), 'INVALID_ARGUMENT');
  });

  it('aslinearoperator passes operators through and rejects other values', () => {
    const op = identityOperator(2);
    expect(aslinearoperator(op)).toBe(op);
    expect(isLinearOperator(op)).toBe(true);
    expect(isLinearOperator({ rows: 2, cols: 2 })).toBe(false);
    expect(isLinearOperator({ rows: -1, cols: 2, apply: () => new Float64Array() })).toBe(false);
    expectCode(() => aslinearoperator([[1, 2]] as unknown as LinearOperator), 'INVALID_ARGUMENT');
    expectCode(() => csrOperator(A as unknown as CsrMatrix), 'INVALID_ARGUMENT');
  });
});

describe('compositions', () => {
  it('sum, product, scaled and transpose equal their dense matrices', () => {
    const a = denseOperator(A);
    const b = csrOperator(CsrMatrix.fromDense(B));
    const c = denseOperator(C);
    const sum = addDense(A, B);
    const cases: [string, LinearOperator, DenseMatrix][] = [
      ['a + b', sumOperator(a, b), sum],
      ['a·c', productOperator(a, c), A.mul(C)],
      ['-2.5·a', scaledOperator(-2.5, a), scaleDense(-2.5, A)],
      ['aᵀ', transposeOperator(a), A.transpose()],
      ['(a + b)ᵀ·a', productOperator(transposeOperator(sumOperator(a, b)), a), sum.transpose().mul(A)],
    ];
    for (const [name, op, M] of cases) {
      expect([op.rows, op.cols], name).toEqual([M.rows, M.cols]);
      expectClose(materialize(op).data, M.data);
      // applyT against the dense transpose, with and without out.
      const z = randn(M.rows);
      expectClose(op.applyT!(z), mv(M.transpose(), z));
      const out = new Float64Array(M.cols).fill(3);
      expect(op.applyT!(z, out)).toBe(out);
      expectClose(out, mv(M.transpose(), z));
    }
  });

  it('composed operators reuse their scratch and give the same answer on repeated calls', () => {
    const op = sumOperator(productOperator(denseOperator(A), denseOperator(C)), scaledOperator(2, productOperator(denseOperator(B), denseOperator(C))));
    const x = randn(4);
    const y1 = op.apply(x).slice();
    const out = new Float64Array(5);
    op.apply(x, out);
    op.apply(x, out);
    expect(out).toEqual(y1);
  });

  it('composition without applyT has no applyT; transposeOperator then refuses', () => {
    const f = functionOperator(3, 3, (x, out) => out.set(x));
    const s = sumOperator(f, identityOperator(3));
    expect(s.applyT).toBeUndefined();
    expect(productOperator(f, f).applyT).toBeUndefined();
    expect(scaledOperator(2, f).applyT).toBeUndefined();
    expectCode(() => transposeOperator(s), 'UNSUPPORTED');
    expect(s.apply(new Float64Array([1, 2, 3]))).toEqual(new Float64Array([2, 4, 6]));
  });

  it('accepts operand operators that return a new vector instead of filling out', () => {
    const M = new DenseMatrix(2, 2, [1, 2, 3, 4]);
    const careless: LinearOperator = {
      rows: 2,
      cols: 2,
      apply: (x) => mv(M, x),
      applyT: (x) => mv(M.transpose(), x),
    };
    const x = new Float64Array([1, -1]);
    expect(sumOperator(careless, careless).apply(x)).toEqual(new Float64Array([-2, -2]));
    expect(productOperator(careless, careless).apply(x)).toEqual(mv(M, mv(M, x)));
    expect(scaledOperator(3, careless).applyT!(x)).toEqual(new Float64Array([-6, -6]));
    expect(transposeOperator(careless).apply(x)).toEqual(new Float64Array([-2, -2]));
    const wrong: LinearOperator = { rows: 2, cols: 2, apply: () => new Float64Array(3) };
    expectCode(() => scaledOperator(2, wrong).apply(x), 'SHAPE_MISMATCH');
  });

  it('shape mismatches name the operand', () => {
    const a = denseOperator(A);
    const c = denseOperator(C);
    expect(expectCode(() => sumOperator(a, c), 'SHAPE_MISMATCH').argument).toBe('b');
    expect(expectCode(() => productOperator(c, a), 'SHAPE_MISMATCH').argument).toBe('b');
    expect(expectCode(() => productOperator(a, a), 'SHAPE_MISMATCH').message).toMatch(/b has 5 rows; expected 3/);
    expectCode(() => sumOperator(a, {} as LinearOperator), 'INVALID_ARGUMENT');
    expectCode(() => scaledOperator(Number.NaN, a), 'NOT_FINITE');
  });

  it('apply validates x and out', () => {
    for (const op of [denseOperator(A), csrOperator(CsrMatrix.fromDense(A)), sumOperator(denseOperator(A), denseOperator(B)), transposeOperator(denseOperator(C))]) {
      expectCode(() => op.apply(new Float64Array(op.cols + 1)), 'SHAPE_MISMATCH');
      expectCode(() => op.apply(new Float64Array(op.cols), new Float64Array(op.rows + 1)), 'SHAPE_MISMATCH');
      expectCode(() => op.applyT!(new Float64Array(op.rows + 1)), 'SHAPE_MISMATCH');
      expectCode(() => op.apply(Array.from({ length: op.cols }, () => 0) as unknown as Float64Array), 'INVALID_ARGUMENT');
    }
    const sq = identityOperator(3);
    const v = new Float64Array(3);
    expectCode(() => sq.apply(v, v), 'INVALID_ARGUMENT');
  });
});

function addDense(P: DenseMatrix, Q: DenseMatrix): DenseMatrix {
  return new DenseMatrix(P.rows, P.cols, P.data.map((v, t) => v + Q.data[t]));
}

function scaleDense(alpha: number, P: DenseMatrix): DenseMatrix {
  return new DenseMatrix(P.rows, P.cols, P.data.map((v) => alpha * v));
}
