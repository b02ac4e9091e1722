/**
 * Result conventions shared by every iterative method (DESIGN.md, "Results").
 *
 * A method returns its natural output together with `converged`, `iterations`, a `reason` and a
 * `history` of per-iteration diagnostics. Non-convergence and numerical breakdown are reported here,
 * never thrown; only bad input throws (see errors.ts).
 */

/**
 * Why an iteration stopped. Mirrors scipy's `info`: `converged` (info = 0), `maxIter` (info > 0),
 * `breakdown` (info < 0), plus the cases scipy has no code for.
 */
export type StopReason =
  | 'converged'
  | 'maxIter'
  | 'breakdown'
  | 'stagnation'
  | 'aborted'
  | 'callback'
  | 'timeLimit'
  | 'zeroRhs';

/** Per-iteration diagnostics; each series is either absent or has one entry per recorded iteration. */
export interface History {
  /** Residual norm (solvers) or gradient norm (optimizers), in the units of the problem. */
  residual?: number[];
  /** Objective value, where the method has one. */
  objective?: number[];
  /** Wall time since the start of the call, in seconds. */
  time?: number[];
  /** Any further per-iteration series a method records (named in its doc comment). */
  [series: string]: number[] | undefined;
}

export interface IterativeResult {
  converged: boolean;
  iterations: number;
  reason: StopReason;
  history: History;
  /** Wall-clock seconds the whole call took. */
  seconds?: number;
}

/** The result of a linear or nonlinear solve for a vector `x`. */
export interface SolveResult extends IterativeResult {
  x: Float64Array;
  /** Final residual norm ‖b − A x‖ (linear solvers) or gradient norm (optimizers). */
  residualNorm?: number;
  /** Operator applications (matrix-vector products) used, when the method counts them. */
  matvecs?: number;
}

/** Small helper for methods that time themselves. */
export class Stopwatch {
  private readonly start = performance.now();
  /** Seconds since construction. */
  seconds(): number {
    return (performance.now() - this.start) / 1000;
  }
}
