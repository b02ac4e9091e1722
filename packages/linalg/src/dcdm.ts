/**
 * DCDM — the deep conjugate direction method's solver loop (float64, model-agnostic, no tfjs).
 *
 * A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran, "A Deep Conjugate Direction Method
 * for Iteratively Solving Linear Systems", ICML 2023 (PMLR 202), arXiv 2205.10763; the loop follows
 * `dcdm` in the official `lib/conjugate_gradient.py` (ayano721/2023_DCDM).
 *
 * A direction model f (a trained network that acts like A⁻¹ up to a scalar, or any map) turns the
 * normalised residual into a search direction q = f(r/‖r‖); q is A-orthogonalised against the last
 * i_s directions (classical Gram–Schmidt in the A-inner product, coefficients from the unmodified q),
 * and x moves by the exact line search α = qᵀr / qᵀAq, which minimises the A-norm error along q, so
 * the error energy never increases. With f = identity and i_s ≥ 1 this is CG; with f = D⁻¹ it is
 * Jacobi-preconditioned CG (both in exact arithmetic; dcdm.test.ts checks the floating-point match).
 *
 * Everything here is float64 even when the model is float32: α, the orthogonalisation and the residual
 * in float32 make the method stall near 1e-6 (card, pitfalls).
 */
import { OptkitError, Stopwatch, checkChoice, checkOption, axpy, dot, nrm2, throwIfAborted, type OperatorLike } from '@optkit/core';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';

/**
 * Maps the unit-norm residual r/‖r‖ to a search direction of the same length (its scale does not
 * matter). May be async (a tfjs network reading back its output). Must not keep `rUnit`: it is reused.
 */
export type DirectionModel = (rUnit: Float64Array) => Float64Array | Float32Array | Promise<Float64Array | Float32Array>;

/**
 * DCDM's options: the shared {@link KrylovOptions} (x0, rtol, atol, maxIter, callback, signal; no
 * preconditioner `M` — the direction model plays that role) plus the method's own. The stopping test
 * is the package's: ‖b − A x‖ ≤ max(rtol·‖b‖, atol).
 */
export interface DcdmOptions extends Omit<KrylovOptions, 'M'> {
  /**
   * Relative tolerance: stop when ‖b − A x‖ ≤ max(rtol·‖b‖, atol). Default 1e-4 (the paper's and the
   * reference code's, in place of the package-wide 1e-5).
   */
  rtol?: number;
  /**
   * @deprecated Use `rtol`. The former name, kept with its former meaning: stop when
   * ‖b − A x‖ ≤ max(tol·‖r₀‖, atol), r₀ = b − A x₀ (the paper's test). It equals `rtol` when x₀ = 0
   * (then ‖r₀‖ = ‖b‖); with a nonzero x₀ it is relative to the initial residual. Give `tol` or
   * `rtol`, not both (INVALID_OPTION).
   */
  tol?: number;
  /** Absolute tolerance. Default 0. */
  atol?: number;
  /** Most iterations (one model call each). Default 100 (the reference's). */
  maxIter?: number;
  /** i_s: how many previous directions each new one is A-orthogonalised against. Default 2 (the reference code). 0 gives a model-driven steepest descent. */
  orthogonalizeAgainst?: number;
  /**
   * `'recompute'` (default, as the reference): r = b − A x every step (2 matvecs per iteration);
   * `'recurrence'`: r ← r − α A q (1 matvec per iteration; drifts from the true residual slowly).
   */
  residual?: 'recompute' | 'recurrence';
  /** Called after each iteration with its number (1-based) and ‖r‖/‖r₀‖. */
  onIteration?: (iteration: number, relres: number) => void;
}

/**
 * The solve's outcome (see KrylovResult): `reason` is `converged`, `maxIter`, `breakdown` (the model
 * returned NaN/Infinity, or A is not positive definite along r), `zeroRhs` or `callback` (the card's
 * `'tol'` is `'converged'` here, as in every solver of the package); `residualNorm` is the true
 * ‖b − A x‖ of the returned x (one extra matvec at exit in `'recurrence'` mode);
 * `history.residual` holds ‖r_k‖ from k = 0, `history.relres` ‖r_k‖/‖r₀‖, `history.time` seconds;
 * `modelCalls` counts model evaluations and `fallbacks` the steps where qᵀAq ≤ 0 made the step use r.
 */
export interface DcdmResult extends KrylovResult {
  modelCalls: number;
  fallbacks: number;
}

const FN = 'dcdm';

/**
 * Solves A x = b (A symmetric positive definite, given as any operator) by conjugate directions
 * proposed by `model`, stopping when ‖b − A x‖ ≤ max(rtol·‖b‖, atol). Defaults: rtol 1e-4, atol 0, maxIter 100, i_s = 2, true residual
 * recomputed every step. If qᵀAq ≤ 0 (the model returned a null-space or zero direction) the step falls
 * back to q = r, as the card prescribes; if even rᵀAr ≤ 0 the result reports `breakdown`. A model
 * output of the wrong length throws SHAPE_MISMATCH; NaN/Infinity in it ends the solve with `breakdown`.
 * Bad input (non-square A, b of the wrong length, NaN in b or x₀, bad options) throws OptkitError.
 */
export async function dcdm(A: OperatorLike, b: Float64Array, model: DirectionModel, options: DcdmOptions = {}): Promise<DcdmResult> {
  const watch = new Stopwatch();
  if (typeof model !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${FN}: model must be a function (r/‖r‖) => direction`, 'model');
  if (options.tol !== undefined && options.rtol !== undefined) {
    throw new OptkitError('INVALID_OPTION', `${FN}: give rtol or its deprecated alias tol, not both`, 'tol');
  }
  // The deprecated `tol` keeps its old test, relative to ‖r₀‖ (equal to rtol's when x₀ = 0).
  const legacyTol = options.tol === undefined ? undefined : checkOption(options.tol, 'tol', { min: 0 }, FN);
  const sys = checkSystem(FN, A, b, { x0: options.x0, rtol: options.rtol ?? legacyTol ?? 1e-4, atol: options.atol ?? 0 });
  const maxIter = checkOption(options.maxIter ?? 100, 'maxIter', { min: 0, integer: true }, FN);
  const is = checkOption(options.orthogonalizeAgainst ?? 2, 'orthogonalizeAgainst', { min: 0, integer: true }, FN);
  const recompute = checkChoice(options.residual ?? 'recompute', ['recompute', 'recurrence'], 'residual', FN) === 'recompute';
  const op = sys.A;
  const n = sys.n;

  const x = sys.x0 ? sys.x0.slice() : new Float64Array(n);
  const r = new Float64Array(n);
  let matvecs = 0;
  if (sys.x0) {
    op.apply(x, r);
    matvecs++;
    for (let i = 0; i < n; i++) r[i] = b[i] - r[i];
  } else {
    r.set(b);
  }
  let rnorm = nrm2(r);
  const rho0 = rnorm;
  const residual = [rnorm];
  const relres = [1];
  const time = [watch.seconds()];
  const done = (reason: DcdmResult['reason'], iterations: number, modelCalls: number, fallbacks: number): DcdmResult => {
    let residualNorm = rnorm;
    if (!recompute && iterations > 0) {
      // The recurrence drifts from b − A x; report the true residual of the returned x.
      const t = op.apply(x, new Float64Array(n));
      matvecs++;
      for (let i = 0; i < n; i++) t[i] = b[i] - t[i];
      residualNorm = nrm2(t);
    }
    return {
      x,
      converged: reason === 'converged' || reason === 'zeroRhs',
      iterations,
      reason,
      history: { residual, relres, time },
      residualNorm,
      matvecs,
      seconds: watch.seconds(),
      modelCalls,
      fallbacks,
    };
  };
  if (sys.bnorm === 0) {
    x.fill(0);
    rnorm = 0;
    residual[0] = 0;
    relres[0] = 0;
    return done('zeroRhs', 0, 0, 0);
  }
  const threshold = legacyTol === undefined ? sys.threshold : Math.max(legacyTol * rho0, sys.atol);
  if (rnorm <= threshold) return done('converged', 0, 0, 0);

  // FIFO of the last i_s directions p_j, A p_j and p_jᵀ A p_j, as a ring buffer.
  const P: Float64Array[] = [];
  const AP: Float64Array[] = [];
  const pAp = new Float64Array(is);
  for (let j = 0; j < is; j++) {
    P.push(new Float64Array(n));
    AP.push(new Float64Array(n));
  }
  let stored = 0;
  let head = 0; // slot the next pair goes to
  const rUnit = new Float64Array(n);
  const q = new Float64Array(n);
  const Aq = new Float64Array(n);
  const coef = new Float64Array(is);
  let modelCalls = 0;
  let fallbacks = 0;

  for (let k = 1; k <= maxIter; k++) {
    throwIfAborted(options.signal, FN);
    const inv = 1 / rnorm;
    for (let i = 0; i < n; i++) rUnit[i] = r[i] * inv;
    const out = await model(rUnit);
    modelCalls++;
    if (out === null || typeof out !== 'object' || typeof (out as ArrayLike<number>).length !== 'number') {
      throw new OptkitError('INVALID_ARGUMENT', `${FN}: the model must return a Float64Array or Float32Array`, 'model');
    }
    if (out.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${FN}: the model returned a direction of length ${out.length}; expected ${n} (the size of A)`, 'model');
    }
    let finite = true;
    for (let i = 0; i < n; i++) {
      const v = out[i];
      q[i] = v;
      if (v - v !== 0) finite = false;
    }
    if (!finite) return done('breakdown', k - 1, modelCalls, fallbacks);

    let qAq = orthogonalizeAndApply(q, Aq);
    if (!(qAq > 0)) {
      // The network proposed a direction with no energy (null space, zero, or A-dependent on the stored
      // ones): take the residual instead, orthogonalised the same way.
      fallbacks++;
      q.set(r);
      qAq = orthogonalizeAndApply(q, Aq);
      if (!(qAq > 0)) return done('breakdown', k - 1, modelCalls, fallbacks);
    }
    const alpha = dot(q, r) / qAq;
    axpy(alpha, q, x);
    if (recompute) {
      op.apply(x, r);
      matvecs++;
      for (let i = 0; i < n; i++) r[i] = b[i] - r[i];
    } else {
      axpy(-alpha, Aq, r);
    }
    rnorm = nrm2(r);
    if (is > 0) {
      P[head].set(q);
      AP[head].set(Aq);
      pAp[head] = qAq;
      head = (head + 1) % is;
      if (stored < is) stored++;
    }
    residual.push(rnorm);
    relres.push(rnorm / rho0);
    time.push(watch.seconds());
    options.onIteration?.(k, rnorm / rho0);
    const stop = options.callback !== undefined && options.callback(k, rnorm, x) === false;
    if (rnorm <= threshold) return done('converged', k, modelCalls, fallbacks);
    if (stop) return done('callback', k, modelCalls, fallbacks);
  }
  return done('maxIter', maxIter, modelCalls, fallbacks);

  /** q ← q − Σ_j (qᵀAp_j / p_jᵀAp_j) p_j (coefficients from the unmodified q); Aq ← A q; returns qᵀAq. */
  function orthogonalizeAndApply(qv: Float64Array, Aqv: Float64Array): number {
    for (let j = 0; j < stored; j++) coef[j] = dot(qv, AP[j]) / pAp[j];
    for (let j = 0; j < stored; j++) axpy(-coef[j], P[j], qv);
    op.apply(qv, Aqv);
    matvecs++;
    return dot(qv, Aqv);
  }
}
