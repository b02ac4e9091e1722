/**
 * Linear operators: matrices known only through their action, the shape of scipy's
 * `scipy.sparse.linalg.LinearOperator` (DESIGN.md, "Shared vocabulary"). Iterative solvers take a
 * {@link LinearOperator}, so a dense matrix, a CSR matrix, a stencil or any function computing A·x
 * can be handed to the same method; {@link aslinearoperator} converts the first two.
 *
 * Contract: `apply(x, out?)` computes out = A·x for x of length `cols` and returns out (length
 * `rows`), allocating it only when not given; `applyT` likewise computes Aᵀ·x. The adapters here
 * check x's length (SHAPE_MISMATCH) and that out neither has the wrong length nor overlaps x, and
 * allocate nothing per call when out is given: composed operators keep their own scratch vectors, so
 * one composed operator must not be applied re-entrantly (from inside its own apply).
 */
import { OptkitError, assertFinite, assertFiniteNumber, assertInteger } from './errors.js';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';

/** A linear map from R^cols to R^rows. */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** out = A·x (x of length cols; out of length rows, allocated when omitted). Returns out. */
  apply(x: Float64Array, out?: Float64Array): Float64Array;
  /** out = Aᵀ·x (x of length rows; out of length cols). Absent when the transpose is unknown. */
  applyT?(x: Float64Array, out?: Float64Array): Float64Array;
}

/** The callback of {@link functionOperator}: writes A·x (or Aᵀ·x) into `out`, which is preallocated. */
export type ApplyFunction = (x: Float64Array, out: Float64Array) => void;

/** Anything {@link aslinearoperator} accepts. */
export type OperatorLike = LinearOperator | CsrMatrix | DenseMatrix;

/** Whether `x` has the shape of a {@link LinearOperator} (integer rows/cols >= 0 and an apply method). */
export function isLinearOperator(x: unknown): x is LinearOperator {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Partial<LinearOperator>;
  return (
    Number.isInteger(o.rows) &&
    (o.rows as number) >= 0 &&
    Number.isInteger(o.cols) &&
    (o.cols as number) >= 0 &&
    typeof o.apply === 'function' &&
    (o.applyT === undefined || typeof o.applyT === 'function')
  );
}

/**
 * Validates x (a Float64Array of length `inLength`) and out (length `outLength`, not overlapping x)
 * and returns the output vector, allocated when `out` is undefined.
 */
function prepare(x: Float64Array, out: Float64Array | undefined, inLength: number, outLength: number, fn: string): Float64Array {
  if (!(x instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: x must be a Float64Array`, 'x');
  if (x.length !== inLength) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: x has length ${x.length}; expected ${inLength}`, 'x');
  }
  if (out === undefined) return new Float64Array(outLength);
  if (!(out instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: out must be a Float64Array`, 'out');
  if (out.length !== outLength) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: out has length ${out.length}; expected ${outLength}`, 'out');
  }
  if (x.buffer === out.buffer && x.byteOffset < out.byteOffset + out.byteLength && out.byteOffset < x.byteOffset + x.byteLength) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: out overlaps x; pass a separate output vector`, 'out');
  }
  return out;
}

/**
 * Runs `op.apply(x, y)` (or applyT) for a composed operator and makes sure the result is in `y`: an
 * operator written outside optkit may return a new vector instead of filling the one it was given.
 */
function applyInto(op: LinearOperator, transposed: boolean, x: Float64Array, y: Float64Array, fn: string): void {
  const r = transposed ? op.applyT!(x, y) : op.apply(x, y);
  if (r === y) return;
  if (!(r instanceof Float64Array) || r.length !== y.length) {
    throw new OptkitError(
      'SHAPE_MISMATCH',
      `${fn}: an operand's ${transposed ? 'applyT' : 'apply'} returned ${r instanceof Float64Array ? `length ${r.length}` : 'no Float64Array'}; expected length ${y.length}`,
      'op',
    );
  }
  y.set(r);
}

function checkOperator(op: unknown, name: string, fn: string): asserts op is LinearOperator {
  if (!isLinearOperator(op)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a LinearOperator ({rows, cols, apply(x, out?)})`, name);
  }
}

/** The operator of a dense row-major matrix: apply = gemv, applyT = gemvT (the kernel set's). */
export function denseOperator(A: DenseMatrix | { rows: number; cols: number; data: Float64Array }): LinearOperator {
  const fn = 'denseOperator';
  if (A === null || typeof A !== 'object') throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  const M = A instanceof DenseMatrix ? A : new DenseMatrix(A.rows, A.cols, A.data);
  const { rows, cols } = M;
  return {
    rows,
    cols,
    apply: (x, out) => M.gemv(x, prepare(x, out, cols, rows, `${fn}.apply`)),
    applyT: (x, out) => M.gemvT(x, prepare(x, out, rows, cols, `${fn}.applyT`)),
  };
}

/** The operator of a CSR matrix: apply = spmv, applyT = spmvT. */
export function csrOperator(A: CsrMatrix): LinearOperator {
  const fn = 'csrOperator';
  if (!(A instanceof CsrMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a CsrMatrix`, 'A');
  const { rows, cols } = A;
  return {
    rows,
    cols,
    apply: (x, out) => A.spmv(x, prepare(x, out, cols, rows, `${fn}.apply`)),
    applyT: (x, out) => A.spmvT(x, prepare(x, out, rows, cols, `${fn}.applyT`)),
  };
}

/**
 * An operator from functions: `apply(x, out)` writes A·x into the preallocated `out` (length rows),
 * `applyT(x, out)` writes Aᵀ·x (length cols). The wrapper checks lengths and allocates `out` when the
 * caller gave none, so the functions themselves need not.
 */
export function functionOperator(rows: number, cols: number, apply: ApplyFunction, applyT?: ApplyFunction): LinearOperator {
  const fn = 'functionOperator';
  assertInteger(rows, 'rows', 0, fn);
  assertInteger(cols, 'cols', 0, fn);
  if (typeof apply !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: apply must be a function (x, out) => void`, 'apply');
  if (applyT !== undefined && typeof applyT !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: applyT must be a function (x, out) => void or undefined`, 'applyT');
  }
  const op: LinearOperator = {
    rows,
    cols,
    apply: (x, out) => {
      const y = prepare(x, out, cols, rows, `${fn}.apply`);
      apply(x, y);
      return y;
    },
  };
  if (applyT) {
    op.applyT = (x, out) => {
      const y = prepare(x, out, rows, cols, `${fn}.applyT`);
      applyT(x, y);
      return y;
    };
  }
  return op;
}

/** Aᵀ as an operator; UNSUPPORTED when `op` has no applyT. */
export function transposeOperator(op: LinearOperator): LinearOperator {
  const fn = 'transposeOperator';
  checkOperator(op, 'op', fn);
  if (!op.applyT) throw new OptkitError('UNSUPPORTED', `${fn}: op has no applyT, so its transpose is unknown`, 'op');
  const { rows, cols } = op;
  return {
    rows: cols,
    cols: rows,
    apply: (x, out) => {
      const y = prepare(x, out, rows, cols, `${fn}.apply`);
      applyInto(op, true, x, y, fn);
      return y;
    },
    applyT: (x, out) => {
      const y = prepare(x, out, cols, rows, `${fn}.applyT`);
      applyInto(op, false, x, y, fn);
      return y;
    },
  };
}

/** A + B; SHAPE_MISMATCH unless both have the same shape. applyT exists when both have one. */
export function sumOperator(a: LinearOperator, b: LinearOperator): LinearOperator {
  const fn = 'sumOperator';
  checkOperator(a, 'a', fn);
  checkOperator(b, 'b', fn);
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b is ${b.rows}×${b.cols}; expected ${a.rows}×${a.cols} (the shape of a)`, 'b');
  }
  const { rows, cols } = a;
  const scratch = new Float64Array(rows);
  let scratchT: Float64Array | undefined;
  const op: LinearOperator = {
    rows,
    cols,
    apply: (x, out) => {
      const y = prepare(x, out, cols, rows, `${fn}.apply`);
      applyInto(a, false, x, y, fn);
      applyInto(b, false, x, scratch, fn);
      for (let i = 0; i < rows; i++) y[i] += scratch[i];
      return y;
    },
  };
  if (a.applyT && b.applyT) {
    op.applyT = (x, out) => {
      const y = prepare(x, out, rows, cols, `${fn}.applyT`);
      const s = (scratchT ??= new Float64Array(cols));
      applyInto(a, true, x, y, fn);
      applyInto(b, true, x, s, fn);
      for (let j = 0; j < cols; j++) y[j] += s[j];
      return y;
    };
  }
  return op;
}

/**
 * The product A·B (apply: x ↦ A(Bx)); SHAPE_MISMATCH unless a.cols = b.rows. One scratch vector of
 * length a.cols is allocated here and reused by every apply and applyT (which needs both applyTs:
 * (AB)ᵀx = Bᵀ(Aᵀx)).
 */
export function productOperator(a: LinearOperator, b: LinearOperator): LinearOperator {
  const fn = 'productOperator';
  checkOperator(a, 'a', fn);
  checkOperator(b, 'b', fn);
  if (a.cols !== b.rows) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b has ${b.rows} rows; expected ${a.cols} (the columns of a)`, 'b');
  }
  const rows = a.rows;
  const cols = b.cols;
  const scratch = new Float64Array(a.cols);
  const op: LinearOperator = {
    rows,
    cols,
    apply: (x, out) => {
      const y = prepare(x, out, cols, rows, `${fn}.apply`);
      applyInto(b, false, x, scratch, fn);
      applyInto(a, false, scratch, y, fn);
      return y;
    },
  };
  if (a.applyT && b.applyT) {
    op.applyT = (x, out) => {
      const y = prepare(x, out, rows, cols, `${fn}.applyT`);
      applyInto(a, true, x, scratch, fn);
      applyInto(b, true, scratch, y, fn);
      return y;
    };
  }
  return op;
}

/** alpha·A. */
export function scaledOperator(alpha: number, op: LinearOperator): LinearOperator {
  const fn = 'scaledOperator';
  assertFiniteNumber(alpha, 'alpha', fn);
  checkOperator(op, 'op', fn);
  const { rows, cols } = op;
  const scaled: LinearOperator = {
    rows,
    cols,
    apply: (x, out) => {
      const y = prepare(x, out, cols, rows, `${fn}.apply`);
      applyInto(op, false, x, y, fn);
      for (let i = 0; i < rows; i++) y[i] *= alpha;
      return y;
    },
  };
  if (op.applyT) {
    scaled.applyT = (x, out) => {
      const y = prepare(x, out, rows, cols, `${fn}.applyT`);
      applyInto(op, true, x, y, fn);
      for (let j = 0; j < cols; j++) y[j] *= alpha;
      return y;
    };
  }
  return scaled;
}

/** diag(d) (d copied; finite). Symmetric, so applyT = apply. */
export function diagonalOperator(d: ArrayLike<number>): LinearOperator {
  const fn = 'diagonalOperator';
  if (d === null || typeof d !== 'object' || typeof d.length !== 'number') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: d must be an array of numbers`, 'd');
  }
  assertFinite(d, 'd', fn);
  const diag = Float64Array.from(d);
  const n = diag.length;
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, n, `${fn}.apply`);
    for (let i = 0; i < n; i++) y[i] = diag[i] * x[i];
    return y;
  };
  return { rows: n, cols: n, apply, applyT: apply };
}

/** The n×n identity. */
export function identityOperator(n: number): LinearOperator {
  const fn = 'identityOperator';
  assertInteger(n, 'n', 0, fn);
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, n, `${fn}.apply`);
    y.set(x);
    return y;
  };
  return { rows: n, cols: n, apply, applyT: apply };
}

/**
 * `A` as a LinearOperator (scipy's `aslinearoperator`): a CsrMatrix or DenseMatrix is wrapped, an
 * operator is returned as is. INVALID_ARGUMENT for anything else.
 */
export function aslinearoperator(A: OperatorLike): LinearOperator {
  if (A instanceof CsrMatrix) return csrOperator(A);
  if (A instanceof DenseMatrix) return denseOperator(A);
  if (isLinearOperator(A)) return A;
  throw new OptkitError(
    'INVALID_ARGUMENT',
    'aslinearoperator: A must be a CsrMatrix, a DenseMatrix or a LinearOperator ({rows, cols, apply(x, out?)})',
    'A',
  );
}
