/**
 * Least squares with an ℓ∞ (coordinate-wise) forward-error guarantee by dense sketch-and-solve
 * (method card linf-regression.md). Paper: Z. Song, M. Ye, J. Yin, L. Zhang, "A Nearly-Optimal Bound
 * for Fast Regression with ℓ∞ Guarantee", ICML 2023 (PMLR 202:32463–32482), arXiv 2302.00248.
 *
 * For A (n×d, full column rank), x* = argmin ‖Ax − b‖₂, OPT = ‖Ax* − b‖₂ and ‖A†‖ = 1/σ_min(A), the
 * claim is that x' = (SA)†(Sb) with a dense sketch S (SRHT, Gaussian) of m = ε⁻²·d·log³(n/δ) rows
 * satisfies ‖x' − x*‖∞ ≤ (ε/√d)·OPT·‖A†‖ with probability ≥ 1 − δ, while sparse sketches
 * (CountSketch, OSNAP) of the same size cannot. Caveats (card §7): the paper's constants are not given,
 * so {@link linfRowCount} is a formula, not a certified m; and a later preprint by two of the authors
 * (Song & Zhang, "Hadamard Flattening and Gaussian Pooling Sketch ...") reports a gap in the main
 * proof, so the SRHT row count is treated as conjectural. Only the qualitative dense-vs-sparse
 * separation and the ~1/√m scaling are checked by the experiment `linf-regression`.
 */
import { DenseMatrix, OptkitError, assertFinite, checkChoice, checkOption, getKernels } from '@optkit/core';
import { denseLeastSquares } from './dense-least-squares.js';
import { DENSE_SKETCH_KINDS, type SketchKind } from './sketch.js';
import { sketchAndSolve, type SketchAndSolveResult } from './sketch-and-solve.js';

export interface LinfRowCountOptions {
  /** Columns of A. */
  d: number;
  /** Rows of A. */
  n: number;
  /** Target normalised ℓ∞ error ε > 0. */
  eps: number;
  /** Failure probability δ in (0, 1). */
  delta: number;
  /** Multiplier of the formula (the paper gives none). Default 1. */
  constant?: number;
}

/**
 * SYYZ23's row count m = ⌈constant·ε⁻²·d·ln³(n/δ)⌉ for SRHT (Thm 1.1 as summarised by the later
 * preprint; natural logarithm). Not certified: the constants are unknown and the proof has a reported
 * gap (module comment). Throws INVALID_OPTION for bad arguments.
 */
export function linfRowCount(options: LinfRowCountOptions): number {
  const fn = 'linfRowCount';
  const { d, n, eps, delta } = options;
  checkOption(d, 'd', { min: 1, integer: true }, fn);
  checkOption(n, 'n', { min: 1, integer: true }, fn);
  checkOption(eps, 'eps', { min: 0, minExclusive: true }, fn);
  checkOption(delta, 'delta', { min: 0, max: 1, minExclusive: true, maxExclusive: true }, fn);
  const c = checkOption(options.constant ?? 1, 'constant', { min: 0, minExclusive: true }, fn);
  return Math.ceil((c * d * Math.log(n / delta) ** 3) / (eps * eps));
}

/** The exact least-squares quantities the ℓ∞ guarantee is measured against. */
export interface ExactLeastSquares {
  xStar: Float64Array;
  /** ‖A·x* − b‖₂. */
  opt: number;
  /** ‖A†‖₂ = 1/σ_min(A). */
  normApinv: number;
}

/**
 * x*, OPT and ‖A†‖ for A (n×d, n ≥ d, full column rank) by Householder QR (σ_min from the SVD of the
 * d×d factor R, which has A's singular values). Throws SINGULAR when A is rank-deficient.
 */
export function exactLeastSquares(A: DenseMatrix, b: Float64Array): ExactLeastSquares {
  const fn = 'exactLeastSquares';
  if (!(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  if (A.rows < A.cols) throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${A.rows}×${A.cols}; expected n >= d`, 'A');
  const sol = denseLeastSquares(A, b);
  if (sol.method !== 'qr' || !sol.R) throw new OptkitError('SINGULAR', `${fn}: A does not have full column rank (rank ${sol.rank} < ${A.cols})`, 'A');
  const s = getKernels().svd(sol.R).s;
  return { xStar: sol.x, opt: sol.residualNorm, normApinv: 1 / s[s.length - 1] };
}

export interface LinfDiagnostics extends ExactLeastSquares {
  /** ‖x − x*‖∞. */
  linfError: number;
  /** ‖x − x*‖₂. */
  l2Error: number;
  /**
   * √d·‖x − x*‖∞ / (OPT·‖A†‖): the theorem asks for ≤ ε. When OPT = 0 (consistent system) it is 0 for
   * x = x* exactly and +Infinity otherwise.
   */
  normalized: number;
}

/**
 * The ℓ∞ diagnostics of a candidate x for min ‖Ax − b‖₂: x*, OPT, ‖A†‖, ‖x − x*‖∞ and the
 * normalised error √d‖x − x*‖∞/(OPT‖A†‖). Pass `exact` (from {@link exactLeastSquares}) to skip
 * recomputing x* over many trials on one instance.
 */
export function linfDiagnostics(A: DenseMatrix, b: Float64Array, x: Float64Array, exact?: ExactLeastSquares): LinfDiagnostics {
  const fn = 'linfDiagnostics';
  if (!(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  if (!(x instanceof Float64Array) || x.length !== A.cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: x must be a Float64Array of length ${A.cols} (the columns of A)`, 'x');
  }
  assertFinite(x, 'x', fn);
  const ex = exact ?? exactLeastSquares(A, b);
  if (ex.xStar.length !== A.cols) throw new OptkitError('SHAPE_MISMATCH', `${fn}: exact.xStar has length ${ex.xStar.length}; expected ${A.cols}`, 'exact');
  let linf = 0;
  let l2 = 0;
  for (let j = 0; j < x.length; j++) {
    const e = Math.abs(x[j] - ex.xStar[j]);
    linf = Math.max(linf, e);
    l2 += e * e;
  }
  const denom = ex.opt * ex.normApinv;
  const normalized = denom > 0 ? (Math.sqrt(A.cols) * linf) / denom : linf === 0 ? 0 : Infinity;
  return { ...ex, linfError: linf, l2Error: Math.sqrt(l2), normalized };
}

export interface LinfRegressionOptions {
  /** Dense sketch family: `'srht'` (default, the paper's) or `'gaussian'`, `'fjlt'`, `'rademacher'`. */
  kind?: SketchKind;
  /** Sketch size. Default: min(n, linfRowCount({d, n, eps, delta})). */
  m?: number;
  /** Target ε for the default m. Default 1. */
  eps?: number;
  /** Failure probability for the default m. Default 0.05. */
  delta?: number;
  seed?: number;
}

export interface LinfRegressionResult extends SketchAndSolveResult {
  /** True when the requested m reached n and the problem was solved exactly instead (QR of A). */
  exact: boolean;
}

/**
 * ℓ∞-accurate regression by dense sketch-and-solve (module comment). Sparse kinds are refused
 * (INVALID_OPTION): the paper shows they cannot give the guarantee. When the formula's m is ≥ n the
 * sketch saves nothing and the exact QR solution is returned (`exact: true`).
 */
export function linfRegression(A: DenseMatrix, b: Float64Array, options: LinfRegressionOptions = {}): LinfRegressionResult {
  const fn = 'linfRegression';
  if (!(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  const kind = checkChoice(options.kind ?? 'srht', DENSE_SKETCH_KINDS, 'options.kind', fn);
  const { rows: n, cols: d } = A;
  const eps = options.eps ?? 1;
  const delta = options.delta ?? 0.05;
  const m = options.m ?? Math.min(n, linfRowCount({ d, n: Math.max(n, 1), eps, delta }));
  checkOption(m, 'options.m', { min: 1, integer: true }, fn);
  if (m >= n && options.m === undefined) {
    const t0 = performance.now();
    const sol = denseLeastSquares(A, b);
    return {
      x: sol.x,
      kind,
      m: n,
      rank: sol.rank,
      residualSketched: sol.residualNorm,
      sketchSeconds: 0,
      solveSeconds: (performance.now() - t0) / 1000,
      exact: true,
    };
  }
  return { ...sketchAndSolve(A, b, { kind, m, seed: options.seed }), exact: false };
}
