/**
 * Deflated (preconditioned) conjugate gradients: Y. Saad, M. Yeung, J. Erhel, F. Guyomarc'h, "A
 * deflated version of the conjugate gradient algorithm", SIAM J. Sci. Comput. 21(5), 2000; J. Frank,
 * C. Vuik, "On the construction of deflation-based preconditioners", SIAM J. Sci. Comput. 23(2), 2001.
 * The card deep-conjugate-direction.md lists it as a baseline ("Deflated PCG with 16 approximate
 * eigenvectors", reference `deflated_pcg` of ayano721/2023_DCDM).
 *
 * With deflation vectors W (n×k, full column rank), E = WᵀAW, Q = W E⁻¹ Wᵀ and P = I − A Q, the
 * method starts from x₀ = x_in + Q(b − A x_in) (with x_in = 0: x₀ = W(WᵀAW)⁻¹Wᵀb), so Wᵀr₀ = 0, and
 * runs CG with every search direction made A-orthogonal to span W: p = z + βp − W E⁻¹ (AW)ᵀ z. That is
 * CG on the deflated system P A x̃ = P b (Frank & Vuik's DEF form) in exact arithmetic — the iterates
 * coincide — written as Saad et al.'s Algorithm (their "Deflated-CG", with z = M r for a preconditioner)
 * because it needs no final correction x = Q b + Pᵀ x̃ and keeps the residual of the original system,
 * so the stopping test is the package's ‖b − A x‖ ≤ max(rtol·‖b‖, atol). Convergence is governed by
 * the effective condition number λ_n / λ_{k+1} when W spans the eigenvectors of the k smallest
 * eigenvalues: CG then behaves as on A with those eigenvalues removed.
 *
 * Implementation: the columns of W are A-orthonormalised once (scaled to unit A-norm, then Cholesky of
 * E: Z = W L⁻ᵀ, ZᵀAZ = I), so each iteration costs one product with A, one with M, and two passes over
 * the n×k blocks Z and AZ (core gemvT/gemv) on top of CG's vector work. Setup: k products with A.
 *
 * When W is not given, the deflation vectors are the Ritz vectors of the `deflationDim` smallest Ritz
 * values from a Lanczos run on A with full reorthogonalisation (dcdm-training-set.ts `ritzPairs`), the
 * reference's choice. With a preconditioner M they are still A's (not M A's) approximate eigenvectors.
 * A single Lanczos start vector sees one direction per eigenspace, so for a repeated eigenvalue (grid
 * Laplacians have many) only part of the eigenspace is deflated — pass exact eigenvectors as W when
 * they are known.
 */
import {
  DenseMatrix,
  OptkitError,
  Stopwatch,
  assertFinite,
  checkOption,
  dot,
  getKernels,
  type LinearOperator,
  type OperatorLike,
  type StopReason,
} from '@optkit/core';
import { ritzPairs } from './dcdm-training-set.js';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';

export interface DeflatedCgOptions extends KrylovOptions {
  /**
   * Deflation vectors: an n×k DenseMatrix (row-major, column j is w_j) or an array of k vectors of
   * length n. Must have full column rank and span a subspace on which A is positive definite. An empty
   * W (k = 0) gives plain (P)CG. Default: `deflationDim` approximate eigenvectors from Lanczos.
   */
  W?: DenseMatrix | Float64Array[];
  /** Number of Lanczos Ritz vectors to deflate when W is not given. Default min(16, n − 1) (the card's 16). */
  deflationDim?: number;
  /** Lanczos steps when W is not given, in [deflationDim, n]. Default min(n, max(64, 4·deflationDim)). */
  lanczosSteps?: number;
  /** Seed of the Lanczos start vector. Default 0. */
  seed?: number;
}

/**
 * The deflated CG result: {@link KrylovResult} (history.residual: ‖r₀‖ after the deflated start, then
 * one recursive ‖r_k‖ per iteration; residualNorm: the true ‖b − A x‖ at exit) plus the deflation
 * space used and its setup cost. `matvecs` counts every product with A, setup included.
 */
export interface DeflatedCgResult extends KrylovResult {
  /** k, the number of deflation vectors. */
  deflationDim: number;
  /** The deflation vectors used (n×k, as given or the Lanczos Ritz vectors): pass it as `W` to later solves with the same A. */
  W: DenseMatrix;
  /** The Ritz values of the columns of W when they came from Lanczos (ascending). */
  ritzValues?: Float64Array;
  /** Products with A spent on setup (Lanczos steps and A·W). */
  setupMatvecs: number;
  /** Seconds spent on setup (Lanczos, A·W, the Cholesky factor). */
  setupSeconds: number;
}

const FN = 'deflatedCg';
/**
 * A squared pivot of the Cholesky factor of the unit-diagonal WᵀAW — the squared sine of the A-angle
 * between w_j and the span of the columns before it — at or below this means W is numerically
 * rank-deficient (rounding leaves ~1e-16 for an exactly dependent column; 1e-12 keeps L⁻¹ below 1e6).
 */
const PIVOT_TOL = 1e-12;

/** W as a row-major n×k block, validated. */
function deflationBlock(W: DenseMatrix | Float64Array[], n: number): { data: Float64Array; k: number } {
  if (W instanceof DenseMatrix) {
    if (W.rows !== n) throw new OptkitError('SHAPE_MISMATCH', `${FN}: W has ${W.rows} rows; A is ${n}x${n}`, 'options.W');
    assertFinite(W.data, 'options.W', FN);
    return { data: W.data.slice(), k: W.cols };
  }
  if (!Array.isArray(W)) {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: W must be a DenseMatrix (n×k) or an array of Float64Array vectors of length n`, 'options.W');
  }
  const k = W.length;
  const data = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const w = W[j];
    if (!(w instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${FN}: W[${j}] must be a Float64Array`, 'options.W');
    if (w.length !== n) throw new OptkitError('SHAPE_MISMATCH', `${FN}: W[${j}] has length ${w.length}; A is ${n}x${n}`, 'options.W');
    assertFinite(w, `options.W[${j}]`, FN);
    for (let i = 0; i < n; i++) data[i * k + j] = w[i];
  }
  return { data, k };
}

/** out = op·x, copying when an operator returns a new vector instead of filling out. */
function applyInto(op: LinearOperator, x: Float64Array, out: Float64Array): void {
  const r = op.apply(x, out);
  if (r !== out) {
    if (!(r instanceof Float64Array) || r.length !== out.length) {
      throw new OptkitError('SHAPE_MISMATCH', `${FN}: an operator's apply returned no Float64Array of length ${out.length}`, 'A');
    }
    out.set(r);
  }
}

/**
 * Solves A x = b (A symmetric positive definite) by deflated (preconditioned) CG (module comment).
 * Defaults: W from Lanczos with deflationDim = min(16, n − 1), x0 = 0, rtol = 1e-5, atol = 0,
 * maxIter = 10·n, M = none. Stops like {@link cg}: 'converged', 'maxIter', 'breakdown' (pᵀAp ≤ 0 or
 * rᵀMr ≤ 0: A or M not positive definite, or NaN), 'callback', 'aborted', 'zeroRhs' (b = 0 → x = 0 at
 * once, no setup).
 *
 * Throws OptkitError: SHAPE_MISMATCH (A not square, b/x0/M/W of the wrong size), NOT_FINITE (NaN in b,
 * x0 or W), INVALID_OPTION (bad rtol/atol/maxIter/deflationDim/lanczosSteps), SINGULAR (W is
 * rank-deficient — dependent or zero columns — so WᵀAW is singular), NOT_SPD (WᵀAW is not positive
 * definite: A is not positive definite on span W).
 */
export function deflatedCg(A: OperatorLike, b: Float64Array, options: DeflatedCgOptions = {}): DeflatedCgResult {
  const clock = new Stopwatch();
  const sys = checkSystem(FN, A, b, options);
  const { n, threshold } = sys;
  const op = sys.A;
  const M = sys.M;
  const maxIter = checkOption(options.maxIter ?? 10 * n, 'maxIter', { min: 0, integer: true }, FN);
  const callback = options.callback;
  if (callback !== undefined && typeof callback !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option callback must be a function`, 'callback');
  }
  if (options.seed !== undefined) checkOption(options.seed, 'seed', { integer: true }, FN);
  let deflationDim = 0;
  let lanczosSteps = 0;
  if (options.W === undefined) {
    deflationDim = checkOption(options.deflationDim ?? Math.min(16, n - 1), 'deflationDim', { min: 0, max: Math.max(0, n - 1), integer: true }, FN);
    lanczosSteps = checkOption(options.lanczosSteps ?? Math.min(n, Math.max(64, 4 * deflationDim)), 'lanczosSteps', { min: Math.max(1, deflationDim), max: n, integer: true }, FN);
  } else if (options.deflationDim !== undefined || options.lanczosSteps !== undefined) {
    throw new OptkitError('INVALID_OPTION', `${FN}: deflationDim and lanczosSteps apply only when W is not given`, 'options.deflationDim');
  }
  const given = options.W === undefined ? undefined : deflationBlock(options.W, n);
  const signal = options.signal;

  const x = new Float64Array(n);
  const residual: number[] = [];
  let matvecs = 0;
  let setupMatvecs = 0;
  let setupSeconds = 0;
  let Wused = given ? DenseMatrix.wrap(n, given.k, given.data.slice()) : new DenseMatrix(n, 0);
  let ritzValues: Float64Array | undefined;
  const finish = (reason: StopReason, iterations: number, residualNorm: number): DeflatedCgResult => ({
    x,
    converged: reason === 'converged' || reason === 'zeroRhs',
    iterations,
    reason,
    history: { residual },
    residualNorm,
    matvecs,
    seconds: clock.seconds(),
    deflationDim: Wused.cols,
    W: Wused,
    ritzValues,
    setupMatvecs,
    setupSeconds,
  });
  if (sys.bnorm === 0) {
    residual.push(0);
    return finish('zeroRhs', 0, 0);
  }

  // Deflation space: W (n×k) and AW.
  let Wd: Float64Array;
  let k: number;
  if (given) {
    Wd = given.data;
    k = given.k;
  } else if (deflationDim > 0) {
    const pairs = ritzPairs(op, { steps: lanczosSteps, seed: options.seed ?? 0 });
    setupMatvecs += lanczosSteps;
    k = deflationDim;
    const m = pairs.vectors.cols;
    Wd = new Float64Array(n * k);
    for (let i = 0; i < n; i++) Wd.set(pairs.vectors.data.subarray(i * m, i * m + k), i * k);
    ritzValues = pairs.values.slice(0, k);
    Wused = DenseMatrix.wrap(n, k, Wd.slice());
  } else {
    Wd = new Float64Array(0);
    k = 0;
  }
  const K = getKernels();
  let Z = Wd;
  const AZ = new Float64Array(n * k);
  if (k > 0) {
    if (k > n) throw new OptkitError('SINGULAR', `${FN}: W has ${k} columns but only ${n} rows, so it is rank-deficient`, 'options.W');
    const col = new Float64Array(n);
    const Acol = new Float64Array(n);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < n; i++) col[i] = Wd[i * k + j];
      applyInto(op, col, Acol);
      matvecs++;
      setupMatvecs++;
      for (let i = 0; i < n; i++) AZ[i * k + j] = Acol[i];
    }
    assertFinite(AZ, 'A·W', FN);
    // E = WᵀAW, scaled to unit diagonal (columns of W to unit A-norm), then Cholesky E = L Lᵀ.
    const E = new Float64Array(k * k);
    K.gemm(true, false, k, k, n, 1, Wd, k, AZ, k, 0, E, k);
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) E[i * k + j] = E[j * k + i] = 0.5 * (E[i * k + j] + E[j * k + i]);
    const scale = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      const e = E[j * k + j];
      if (e === 0) throw new OptkitError('SINGULAR', `${FN}: column ${j} of W is zero or in the null space of A (wᵀAw = 0); W must have full column rank`, 'options.W');
      if (!(e > 0)) throw new OptkitError('NOT_SPD', `${FN}: w_${j}ᵀ A w_${j} = ${e} ≤ 0: A is not positive definite on span W`, 'A');
      scale[j] = 1 / Math.sqrt(e);
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) E[i * k + j] *= scale[i] * scale[j];
    const L = choleskyUnitDiagonal(E, k);
    // Z = W·D^{-1/2}·L⁻ᵀ, AZ likewise: row i of Z solves L zᵢ = D^{-1/2} wᵢ (forward substitution).
    Z = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let j = 0; j < k; j++) {
        let s = Wd[o + j] * scale[j];
        let t = AZ[o + j] * scale[j];
        for (let l = 0; l < j; l++) {
          s -= L[j * k + l] * Z[o + l];
          t -= L[j * k + l] * AZ[o + l];
        }
        const d = L[j * k + j];
        Z[o + j] = s / d;
        AZ[o + j] = t / d;
      }
    }
  }

  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  const z = M !== undefined ? new Float64Array(n) : r;
  const mu = new Float64Array(k);
  let rr: number; // ‖r‖², summed as cg does so that k = 0 reproduces cg exactly
  if (sys.x0 !== undefined) {
    x.set(sys.x0);
    applyInto(op, x, q);
    matvecs++;
    rr = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - q[i];
      r[i] = d;
      rr += d * d;
    }
  } else {
    r.set(b);
    rr = sys.bnorm * sys.bnorm;
  }
  if (k > 0) {
    // x₀ ← x₀ + Q r, r₀ ← r − A Q r with Q = Z Zᵀ (ZᵀAZ = I): then Zᵀ r₀ = 0.
    K.gemvT(n, k, 1, Z, k, r, 0, mu);
    K.gemv(n, k, 1, Z, k, mu, 1, x);
    K.gemv(n, k, -1, AZ, k, mu, 1, r);
    rr = dot(r, r);
  }
  let rnorm = Math.sqrt(rr);
  residual.push(rnorm);
  setupSeconds = clock.seconds();
  if (!Number.isFinite(rnorm)) return finish('breakdown', 0, rnorm);

  let iterations = 0;
  let rhoPrev = 0;
  let reason: StopReason;
  for (;;) {
    if (rnorm <= threshold) {
      reason = 'converged';
      break;
    }
    if (iterations >= maxIter) {
      reason = 'maxIter';
      break;
    }
    let rho: number;
    if (M !== undefined) {
      applyInto(M, r, z);
      rho = dot(r, z);
      if (!(rho > 0)) {
        reason = 'breakdown'; // rᵀM r ≤ 0 with r ≠ 0: M is not positive definite (or gave NaN)
        break;
      }
    } else {
      rho = rr;
    }
    if (iterations === 0) p.set(z);
    else {
      const beta = rho / rhoPrev;
      for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    }
    if (k > 0) {
      // p ← p − Z (AZ)ᵀ z: the new direction is A-orthogonal to span W.
      K.gemvT(n, k, 1, AZ, k, z, 0, mu);
      K.gemv(n, k, -1, Z, k, mu, 1, p);
    }
    applyInto(op, p, q);
    matvecs++;
    const pq = dot(p, q);
    if (!(pq > 0)) {
      reason = 'breakdown'; // pᵀA p ≤ 0: A is not positive definite (or gave NaN)
      break;
    }
    const alpha = rho / pq;
    let s = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      const a = r[i] - alpha * q[i];
      r[i] = a;
      s += a * a;
    }
    rr = s;
    rhoPrev = rho;
    rnorm = Math.sqrt(rr);
    iterations++;
    residual.push(rnorm);
    if (callback !== undefined && callback(iterations, rnorm, x) === false) {
      reason = rnorm <= threshold ? 'converged' : 'callback';
      break;
    }
    if (signal?.aborted) {
      reason = rnorm <= threshold ? 'converged' : 'aborted';
      break;
    }
  }
  let trueNorm = rnorm;
  if (iterations > 0 || k > 0) {
    applyInto(op, x, q);
    matvecs++;
    let t = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - q[i];
      t += d * d;
    }
    trueNorm = Math.sqrt(t);
  }
  return finish(reason, iterations, trueNorm);
}

/**
 * Lower Cholesky factor of a symmetric k×k matrix with unit diagonal (row-major). A squared pivot at
 * or below PIVOT_TOL means dependent columns: SINGULAR; a clearly negative one an indefinite matrix:
 * NOT_SPD.
 */
function choleskyUnitDiagonal(E: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = E[j * k + j];
    for (let l = 0; l < j; l++) d -= L[j * k + l] * L[j * k + l];
    if (!(d > PIVOT_TOL)) {
      if (d < -1e-8) throw new OptkitError('NOT_SPD', `${FN}: WᵀAW is not positive definite (pivot ${d.toExponential(2)} at column ${j}): A is not positive definite on span W`, 'A');
      throw new OptkitError('SINGULAR', `${FN}: W is rank-deficient: column ${j} depends on the columns before it (WᵀAW is singular to working precision); W must have full column rank`, 'options.W');
    }
    const djj = Math.sqrt(d);
    L[j * k + j] = djj;
    for (let i = j + 1; i < k; i++) {
      let s = E[i * k + j];
      for (let l = 0; l < j; l++) s -= L[i * k + l] * L[j * k + l];
      L[i * k + j] = s / djj;
    }
  }
  return L;
}
