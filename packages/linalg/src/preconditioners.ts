/**
 * Preconditioners on CSR matrices for the Krylov solvers of this package: Jacobi, SSOR, incomplete
 * Cholesky IC(0) and incomplete LU ILU(0). Each returns a {@link Preconditioner}: a linear operator
 * whose `apply(r, out?)` returns z ≈ A⁻¹ r (scipy's `M` convention), computed with triangular sweeps
 * over CSR arrays built once, writing into `out` (no allocation per apply when `out` is given; `out`
 * may be `r` itself, the sweeps work in place). References: Saad, "Iterative Methods for Sparse
 * Linear Systems", 2nd ed., SIAM 2003, §4.1 (SSOR), §10.3 (ILU(0), Algorithm 10.4), §10.3.4 and
 * Meijerink & van der Vorst 1977 (IC(0)).
 *
 * Every builder checks: A a CsrMatrix (INVALID_ARGUMENT), square (SHAPE_MISMATCH), finite values
 * (NOT_FINITE), every diagonal entry stored and nonzero (SINGULAR, naming the row). The preconditioner
 * keeps references to (or copies of) A's arrays as stated per builder; A must not be modified while a
 * preconditioner built from it is in use.
 */
import { CsrMatrix, OptkitError, assertFinite, checkOption } from '@optkit/core';
import type { Preconditioner } from './krylov-options.js';

/** Jacobi: M = D⁻¹. `diagonal` holds A's diagonal (a copy). */
export interface JacobiPreconditioner extends Preconditioner {
  readonly diagonal: Float64Array;
}

/** SSOR with relaxation ω; see {@link ssor}. */
export interface SsorPreconditioner extends Preconditioner {
  readonly omega: number;
}

/** IC(0): M = (L Lᵀ)⁻¹ with `L` lower triangular (diagonal included) on the pattern of tril(A). */
export interface IncompleteCholesky extends Preconditioner {
  readonly L: CsrMatrix;
}

/** ILU(0): M = (L U)⁻¹ on the pattern of A; `factors()` returns L (unit diagonal stored) and U. */
export interface IncompleteLu extends Preconditioner {
  factors(): { L: CsrMatrix; U: CsrMatrix };
}

export interface SsorOptions {
  /** Relaxation factor ω in (0, 2); default 1 (symmetric Gauss–Seidel). */
  omega?: number;
}

/**
 * Checks a square finite CsrMatrix with every diagonal entry stored and nonzero, and returns the
 * position of each row's diagonal entry in `indices`/`values`.
 */
function checkMatrix(A: CsrMatrix, fn: string): Int32Array {
  if (!(A instanceof CsrMatrix)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a CsrMatrix`, 'A');
  }
  if (A.rows !== A.cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: A must be square, got ${A.rows}x${A.cols}`, 'A');
  }
  assertFinite(A.values, 'A.values', fn);
  const n = A.rows;
  const { indptr, indices, values } = A;
  const diag = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let pos = -1;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
      if (indices[k] === i) {
        pos = k;
        break;
      }
      if (indices[k] > i) break;
    }
    if (pos < 0) {
      throw new OptkitError('SINGULAR', `${fn}: A has no diagonal entry in row ${i}; a diagonal is needed`, 'A');
    }
    if (values[pos] === 0) {
      throw new OptkitError('SINGULAR', `${fn}: A has a zero diagonal entry in row ${i}`, 'A');
    }
    diag[i] = pos;
  }
  return diag;
}

/** Validates x and out for an apply and returns the output vector (allocated when out is omitted). */
function prepare(x: Float64Array, out: Float64Array | undefined, n: number, fn: string): Float64Array {
  if (!(x instanceof Float64Array) || x.length !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}.apply: x must be a Float64Array of length ${n}`, 'x');
  }
  if (out === undefined) return new Float64Array(n);
  if (!(out instanceof Float64Array) || out.length !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}.apply: out must be a Float64Array of length ${n}`, 'out');
  }
  if (
    out !== x &&
    x.buffer === out.buffer &&
    x.byteOffset < out.byteOffset + out.byteLength &&
    out.byteOffset < x.byteOffset + x.byteLength
  ) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}.apply: out partly overlaps x; pass x itself or a separate vector`, 'out');
  }
  return out;
}

/**
 * The Jacobi (diagonal) preconditioner M = D⁻¹, D = diag(A). Symmetric (applyT = apply). For a
 * matrix with constant diagonal (the 2D Poisson matrix: 4 on the diagonal) it is a multiple of the
 * identity and leaves CG's and GMRES's iterates, hence their iteration counts, unchanged.
 */
export function jacobi(A: CsrMatrix): JacobiPreconditioner {
  const fn = 'jacobi';
  const diagPos = checkMatrix(A, fn);
  const n = A.rows;
  const diagonal = new Float64Array(n);
  const inv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diagonal[i] = A.values[diagPos[i]];
    inv[i] = 1 / diagonal[i];
  }
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, fn);
    for (let i = 0; i < n; i++) y[i] = inv[i] * x[i];
    return y;
  };
  return { rows: n, cols: n, apply, applyT: apply, diagonal };
}

/**
 * The symmetric SOR preconditioner M = ω(2 − ω)·(D + ωU)⁻¹ D (D + ωL)⁻¹, where A = L + D + U
 * (strictly lower, diagonal, strictly upper): a forward SOR sweep, a scaling by D, and a backward
 * sweep (Saad 2003, §4.1 and §10.2). The factor ω(2 − ω) makes M⁻¹ = A's SSOR splitting matrix, so
 * M ≈ A⁻¹ in scale too. For symmetric A, M is symmetric, and positive definite when A is SPD and
 * 0 < ω < 2 (so it suits CG). ω = 1 is symmetric Gauss–Seidel. Reads A's arrays at apply time
 * (no copy); O(nnz) per apply, no work vector.
 */
export function ssor(A: CsrMatrix, options: SsorOptions = {}): SsorPreconditioner {
  const fn = 'ssor';
  const omega = options.omega ?? 1;
  checkOption(omega, 'omega', { min: 0, max: 2, minExclusive: true, maxExclusive: true }, fn);
  const diagPos = checkMatrix(A, fn);
  const n = A.rows;
  const { indptr, indices, values } = A;
  const scale = omega * (2 - omega);
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, fn);
    // Forward: (D + ωL) y = x, so y_i = (x_i − ω Σ_{j<i} a_ij y_j) / a_ii.
    for (let i = 0; i < n; i++) {
      let s = 0;
      const d = diagPos[i];
      for (let k = indptr[i]; k < d; k++) s += values[k] * y[indices[k]];
      y[i] = (x[i] - omega * s) / values[d];
    }
    // Backward: (D + ωU) z = D y; z_i = y_i − (ω / a_ii) Σ_{j>i} a_ij z_j (y_i still in place).
    for (let i = n - 1; i >= 0; i--) {
      let s = 0;
      const d = diagPos[i];
      for (let k = d + 1, end = indptr[i + 1]; k < end; k++) s += values[k] * y[indices[k]];
      y[i] -= (omega * s) / values[d];
    }
    if (scale !== 1) for (let i = 0; i < n; i++) y[i] *= scale;
    return y;
  };
  return { rows: n, cols: n, apply, omega };
}

/**
 * Zero fill-in incomplete Cholesky IC(0): L lower triangular with the sparsity pattern of tril(A),
 * such that (L Lᵀ)_ij = a_ij on that pattern (Meijerink & van der Vorst, "An iterative solution
 * method for linear systems of which the coefficient matrix is a symmetric M-matrix", Math. Comp.
 * 31, 1977). Where the exact Cholesky factor has no fill (tridiagonal, banded without holes), L is
 * the exact factor. A must be symmetric: only its lower triangle is read, and a matrix that is not
 * symmetric (|a_ij − a_ji| > 1e-12·max|a|, or a pattern that differs) is rejected with NOT_SPD, as is
 * a pivot a_ii − Σ_k l_ik² ≤ 0 (the factorisation breaks down; the message names the row), instead
 * of producing NaN. IC(0) exists for M-matrices and diagonally dominant SPD matrices; for other SPD
 * matrices it can break down, then use a shifted matrix or another preconditioner.
 *
 * Apply: forward sweep with L, backward sweep with Lᵀ (kept as its own CSR copy so both sweeps are
 * row-oriented); symmetric, applyT = apply.
 */
export function ichol0(A: CsrMatrix): IncompleteCholesky {
  const fn = 'ichol0';
  checkMatrix(A, fn);
  checkSymmetric(A, fn);
  const n = A.rows;
  const { indptr, indices, values } = A;
  // The pattern of tril(A): row i keeps the columns j <= i (sorted), the diagonal last.
  const lptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end && indices[k] <= i; k++) c++;
    lptr[i + 1] = lptr[i] + c;
  }
  const nnzL = lptr[n];
  const lind = new Int32Array(nnzL);
  const lval = new Float64Array(nnzL);
  for (let i = 0; i < n; i++) {
    let q = lptr[i];
    for (let k = indptr[i], end = indptr[i + 1]; k < end && indices[k] <= i; k++) {
      lind[q] = indices[k];
      lval[q++] = values[k];
    }
  }
  // Row-oriented (left-looking) factorisation: l_ij = (a_ij − Σ_{m<j} l_im l_jm) / l_jj over the
  // common pattern of rows i and j; `where[m]` maps a column of row i to its position in lval.
  const where = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const start = lptr[i];
    const last = lptr[i + 1] - 1; // the diagonal
    for (let k = start; k <= last; k++) where[lind[k]] = k;
    for (let k = start; k < last; k++) {
      const j = lind[k];
      let s = lval[k];
      const jdiag = lptr[j + 1] - 1;
      for (let t = lptr[j]; t < jdiag; t++) {
        const pos = where[lind[t]];
        if (pos >= 0 && pos < k) s -= lval[pos] * lval[t];
      }
      lval[k] = s / lval[jdiag];
    }
    let d = lval[last];
    for (let k = start; k < last; k++) d -= lval[k] * lval[k];
    if (!(d > 0)) {
      throw new OptkitError(
        'NOT_SPD',
        `${fn}: pivot ${d} <= 0 in row ${i}: IC(0) breaks down (A is not positive definite, or IC(0) does not exist for it)`,
        'A',
      );
    }
    lval[last] = Math.sqrt(d);
    for (let k = start; k <= last; k++) where[lind[k]] = -1;
  }
  const L = new CsrMatrix(n, n, lptr, lind, lval);
  const Lt = L.transpose(); // upper triangular, diagonal first in each row
  const uptr = Lt.indptr;
  const uind = Lt.indices;
  const uval = Lt.values;
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, fn);
    for (let i = 0; i < n; i++) {
      let s = x[i];
      const dk = lptr[i + 1] - 1;
      for (let k = lptr[i]; k < dk; k++) s -= lval[k] * y[lind[k]];
      y[i] = s / lval[dk];
    }
    for (let i = n - 1; i >= 0; i--) {
      const dk = uptr[i];
      let s = y[i];
      for (let k = dk + 1, end = uptr[i + 1]; k < end; k++) s -= uval[k] * y[uind[k]];
      y[i] = s / uval[dk];
    }
    return y;
  };
  return { rows: n, cols: n, apply, applyT: apply, L };
}

/** NOT_SPD unless A's pattern is symmetric and its values are within 1e-12·max|a| of symmetric. */
function checkSymmetric(A: CsrMatrix, fn: string): void {
  const T = A.transpose();
  const { indptr, indices, values } = A;
  let amax = 0;
  for (let k = 0; k < values.length; k++) amax = Math.max(amax, Math.abs(values[k]));
  const tol = 1e-12 * amax;
  for (let i = 0; i < A.rows; i++) {
    if (indptr[i + 1] !== T.indptr[i + 1]) {
      throw new OptkitError('NOT_SPD', `${fn}: A is not symmetric (row ${i} and column ${i} hold different patterns)`, 'A');
    }
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
      if (indices[k] !== T.indices[k] || Math.abs(values[k] - T.values[k]) > tol) {
        throw new OptkitError('NOT_SPD', `${fn}: A is not symmetric (entry (${i}, ${indices[k]}) differs from its transpose)`, 'A');
      }
    }
  }
}

/**
 * Zero fill-in incomplete LU ILU(0) (Saad 2003, Algorithm 10.4, the IKJ variant): L unit lower and U
 * upper triangular on A's own pattern with (L U)_ij = a_ij there. Where A's exact LU (without
 * pivoting) has no fill, L U = A exactly. A zero (or non-finite) pivot u_ii stops with SINGULAR
 * naming the row. The factors are stored together in one copy of A's values (L strictly below the
 * diagonal, U on and above it); apply is a unit-lower forward sweep and an upper backward sweep.
 */
export function ilu0(A: CsrMatrix): IncompleteLu {
  const fn = 'ilu0';
  const diagPos = checkMatrix(A, fn);
  const n = A.rows;
  const { indptr, indices } = A;
  const lu = Float64Array.from(A.values);
  const where = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    const d = diagPos[i];
    for (let k = start; k < end; k++) where[indices[k]] = k;
    for (let k = start; k < d; k++) {
      const j = indices[k];
      const lij = lu[k] / lu[diagPos[j]];
      lu[k] = lij;
      for (let t = diagPos[j] + 1, tend = indptr[j + 1]; t < tend; t++) {
        const pos = where[indices[t]];
        if (pos >= 0) lu[pos] -= lij * lu[t];
      }
    }
    const piv = lu[d];
    if (piv === 0 || !Number.isFinite(piv)) {
      throw new OptkitError('SINGULAR', `${fn}: pivot ${piv} in row ${i}: ILU(0) breaks down (zero pivot)`, 'A');
    }
    for (let k = start; k < end; k++) where[indices[k]] = -1;
  }
  const apply = (x: Float64Array, out?: Float64Array): Float64Array => {
    const y = prepare(x, out, n, fn);
    for (let i = 0; i < n; i++) {
      let s = x[i];
      for (let k = indptr[i], d = diagPos[i]; k < d; k++) s -= lu[k] * y[indices[k]];
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      const d = diagPos[i];
      let s = y[i];
      for (let k = d + 1, end = indptr[i + 1]; k < end; k++) s -= lu[k] * y[indices[k]];
      y[i] = s / lu[d];
    }
    return y;
  };
  const factors = (): { L: CsrMatrix; U: CsrMatrix } => {
    const lr: number[] = [];
    const lc: number[] = [];
    const lv: number[] = [];
    const ur: number[] = [];
    const uc: number[] = [];
    const uv: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
        const j = indices[k];
        if (j < i) {
          lr.push(i);
          lc.push(j);
          lv.push(lu[k]);
        } else {
          ur.push(i);
          uc.push(j);
          uv.push(lu[k]);
        }
      }
      lr.push(i);
      lc.push(i);
      lv.push(1);
    }
    return { L: CsrMatrix.fromCoo(n, n, lr, lc, lv), U: CsrMatrix.fromCoo(n, n, ur, uc, uv) };
  };
  return { rows: n, cols: n, apply, factors };
}
