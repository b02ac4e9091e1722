/**
 * Successive over-relaxation (SOR) and symmetric SOR (SSOR) as stand-alone iterative solvers on CSR
 * matrices, as used by "Learning to Relax: Setting Solver Parameters Across a Sequence of Linear
 * System Instances" (Khodak, Chow, Balcan, Talwalkar, ICLR 2024), whose bandits choose ω.
 *
 * One iteration is one relaxed Gauss–Seidel sweep x_i ← (1−ω)x_i + ω(b_i − Σ_{j≠i} a_ij x_j)/a_ii,
 * i = 1..n (SSOR: the forward sweep followed by the backward sweep i = n..1), then the residual
 * r = b − A x is computed to test ‖r‖ ≤ tol·‖r₀‖. So one iteration costs about 2·nnz(A) (SSOR 3·nnz).
 */
import {
  OptkitError,
  assertFinite,
  checkOption,
  type CsrMatrix,
  type IterativeResult,
} from '@optkit/core';

export interface SorOptions {
  /** Relaxation factor ω in (0, 2). Default 1 (Gauss–Seidel). */
  omega?: number;
  /** Stop when ‖b − A x‖₂ ≤ tol·‖b − A x₀‖₂. Default 1e-8 (the paper's ε). */
  tol?: number;
  /** Most sweeps. Default 10000 (the paper's cost cap). */
  maxIter?: number;
  /** Initial guess (default zeros). Not modified. */
  x0?: Float64Array;
  /** false: SOR (forward sweeps); true: SSOR (forward then backward sweep). Default false. */
  symmetric?: boolean;
  /** Record ‖r‖ after every sweep in `history.residual` (default true). Off saves memory in long bandit runs. */
  recordHistory?: boolean;
  signal?: AbortSignal;
}

/**
 * The outcome of {@link sor}: `x`, `iterations` (sweeps; the bandits' cost), `converged`, `reason`
 * (`converged`, `maxIter`, `zeroRhs` when r₀ = 0, `aborted`), `residualNorm` (‖b − A x‖ at exit) and
 * `history.residual` (‖r‖ after each sweep, starting with ‖r₀‖).
 */
export interface SorResult extends IterativeResult {
  x: Float64Array;
  residualNorm: number;
  /** ‖b − A x₀‖. */
  initialResidualNorm: number;
}

/**
 * The positions of the diagonal entries of a square CSR matrix in its `values` array. Throws
 * SINGULAR naming the first row whose diagonal is missing or zero.
 */
export function diagonalPositions(A: CsrMatrix, fn = 'diagonalPositions'): Int32Array {
  const { rows, indptr, indices, values } = A;
  const pos = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let found = -1;
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      if (indices[p] === i) {
        found = p;
        break;
      }
    }
    if (found < 0 || values[found] === 0) {
      throw new OptkitError('SINGULAR', `${fn}: A[${i},${i}] is ${found < 0 ? 'missing' : 'zero'}; SOR needs a non-zero diagonal`, 'A');
    }
    pos[i] = found;
  }
  return pos;
}

function forwardSweep(n: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, diag: Int32Array, b: Float64Array, x: Float64Array, omega: number): void {
  const keep = 1 - omega;
  for (let i = 0; i < n; i++) {
    let sigma = b[i];
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) sigma -= values[p] * x[indices[p]];
    const d = values[diag[i]];
    // sigma subtracted a_ii x_i too; add it back rather than branching on j === i in the inner loop.
    x[i] = keep * x[i] + (omega * (sigma + d * x[i])) / d;
  }
}

function backwardSweep(n: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, diag: Int32Array, b: Float64Array, x: Float64Array, omega: number): void {
  const keep = 1 - omega;
  for (let i = n - 1; i >= 0; i--) {
    let sigma = b[i];
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) sigma -= values[p] * x[indices[p]];
    const d = values[diag[i]];
    x[i] = keep * x[i] + (omega * (sigma + d * x[i])) / d;
  }
}

function residualNorm(n: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, b: Float64Array, x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let r = b[i];
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) r -= values[p] * x[indices[p]];
    sum += r * r;
  }
  return Math.sqrt(sum);
}

/**
 * Solves A x = b by SOR (or SSOR with `symmetric: true`) with relaxation factor ω. Converges for SPD A
 * and 0 < ω < 2. Non-convergence within `maxIter` is reported (`reason: 'maxIter'`), not thrown.
 *
 * Deviation from the card's sketch: `reason` uses the package-wide `converged` instead of `tol`.
 */
export function sor(A: CsrMatrix, b: Float64Array, options: SorOptions = {}): SorResult {
  const fn = 'sor';
  const start = performance.now();
  if (A.rows !== A.cols) throw new OptkitError('SHAPE_MISMATCH', `${fn}: A must be square, got ${A.rows}x${A.cols}`, 'A');
  const n = A.rows;
  if (!(b instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: b must be a Float64Array`, 'b');
  if (b.length !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: b has length ${b.length}, A is ${n}x${n}`, 'b');
  const omega = checkOption(options.omega ?? 1, 'omega', { min: 0, max: 2, minExclusive: true, maxExclusive: true }, fn);
  const tol = checkOption(options.tol ?? 1e-8, 'tol', { min: 0 }, fn);
  const maxIter = checkOption(options.maxIter ?? 10000, 'maxIter', { min: 0, integer: true }, fn);
  assertFinite(A.values, 'A', fn);
  assertFinite(b, 'b', fn);
  const x = new Float64Array(n);
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${n}`, 'options.x0');
    }
    assertFinite(options.x0, 'options.x0', fn);
    x.set(options.x0);
  }
  const diag = diagonalPositions(A, fn);
  const { indptr, indices, values } = A;
  const record = options.recordHistory ?? true;
  const residual: number[] = [];
  const r0 = residualNorm(n, indptr, indices, values, b, x);
  if (record) residual.push(r0);
  const done = (iterations: number, converged: boolean, reason: SorResult['reason'], rn: number): SorResult => {
    const seconds = (performance.now() - start) / 1000;
    return { x, iterations, converged, reason, residualNorm: rn, initialResidualNorm: r0, history: record ? { residual } : {}, seconds };
  };
  if (r0 === 0) return done(0, true, 'zeroRhs', 0);
  const threshold = tol * r0;
  const symmetric = options.symmetric ?? false;
  let rn = r0;
  for (let k = 1; k <= maxIter; k++) {
    if (options.signal?.aborted) return done(k - 1, false, 'aborted', rn);
    forwardSweep(n, indptr, indices, values, diag, b, x, omega);
    if (symmetric) backwardSweep(n, indptr, indices, values, diag, b, x, omega);
    rn = residualNorm(n, indptr, indices, values, b, x);
    if (record) residual.push(rn);
    if (!Number.isFinite(rn)) return done(k, false, 'breakdown', rn);
    if (rn <= threshold) return done(k, true, 'converged', rn);
  }
  return done(maxIter, false, 'maxIter', rn);
}
