/**
 * What every Krylov solver of this package shares: its options (named as scipy.sparse.linalg names
 * them), its result, the stopping threshold `max(rtol·‖b‖, atol)`, and the entry-point validation of
 * the system. One place, so `cg`, `gmres`, `minres`, `gcrodr` and the sequence solvers agree.
 */
import {
  OptkitError,
  aslinearoperator,
  assertFinite,
  checkOption,
  type LinearOperator,
  type OperatorLike,
  type SolveResult,
} from '@optkit/core';

/**
 * A preconditioner in scipy's convention: an operator that applies an approximation of A⁻¹ (so `M.apply(r)`
 * returns z ≈ A⁻¹ r). Jacobi, SSOR, IC(0) and ILU(0) of this package all build one.
 */
export type Preconditioner = LinearOperator;

export interface KrylovOptions {
  /** Initial guess (default: zeros). Not modified. */
  x0?: Float64Array;
  /** Relative tolerance: stop when ‖b − A x‖ ≤ max(rtol·‖b‖, atol). Default 1e-5 (scipy's). */
  rtol?: number;
  /** Absolute tolerance. Default 0. */
  atol?: number;
  /** Most iterations (for restarted methods: inner iterations in total). Default per solver, documented there. */
  maxIter?: number;
  /** Preconditioner applying ≈ A⁻¹ (see {@link Preconditioner}). Default: none. */
  M?: OperatorLike;
  /** Called once per iteration with the iteration number, the current residual norm and the iterate (do not keep it: it is reused). Return `false` to stop (reason `callback`). */
  callback?: (iteration: number, residualNorm: number, x: Float64Array) => boolean | void;
  signal?: AbortSignal;
}

/**
 * A Krylov solve's outcome: `x`, `converged`, `iterations`, `reason` (`converged`, `maxIter`,
 * `breakdown`, `zeroRhs`, `aborted`, `callback`), `history.residual` (one entry per iteration,
 * starting with the initial residual), `residualNorm` (the true ‖b − A x‖ at exit), `matvecs` and
 * `seconds`.
 */
export interface KrylovResult extends SolveResult {
  residualNorm: number;
  matvecs: number;
  seconds: number;
}

/** The validated system: A as an operator, its size, and the stopping threshold. */
export interface CheckedSystem {
  A: LinearOperator;
  n: number;
  M?: LinearOperator;
  x0?: Float64Array;
  rtol: number;
  atol: number;
  bnorm: number;
  /** max(rtol·‖b‖, atol). */
  threshold: number;
}

/**
 * Validates a square system and the shared options for the solver named `fn`: A square, b of A's
 * size and finite, x0 of the same size and finite, rtol/atol non-negative and finite, M square of
 * the same size. Throws OptkitError (SHAPE_MISMATCH, NOT_FINITE, INVALID_OPTION) naming the argument.
 */
export function checkSystem(fn: string, A: OperatorLike, b: Float64Array, options: KrylovOptions): CheckedSystem {
  const op = aslinearoperator(A);
  if (op.rows !== op.cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: A must be square, got ${op.rows}x${op.cols}`, 'A');
  }
  const n = op.rows;
  if (!(b instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: b must be a Float64Array`, 'b');
  }
  if (b.length !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b has length ${b.length}, A is ${n}x${n}`, 'b');
  }
  assertFinite(b, 'b', fn);
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${n}`, 'options.x0');
    }
    assertFinite(options.x0, 'options.x0', fn);
  }
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 0;
  checkOption(rtol, 'rtol', { min: 0 }, fn);
  checkOption(atol, 'atol', { min: 0 }, fn);
  let M: LinearOperator | undefined;
  if (options.M !== undefined) {
    M = aslinearoperator(options.M);
    if (M.rows !== n || M.cols !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: preconditioner M is ${M.rows}x${M.cols}, A is ${n}x${n}`, 'options.M');
    }
  }
  let bnorm = 0;
  for (let i = 0; i < n; i++) bnorm += b[i] * b[i];
  bnorm = Math.sqrt(bnorm);
  return { A: op, n, M, x0: options.x0, rtol, atol, bnorm, threshold: Math.max(rtol * bnorm, atol) };
}
