/**
 * Gradient-norm-refined learning-rate schedules (closed form) and the last-iterate bound they
 * minimise.
 *
 * Paper: A. Defazio, A. Cutkosky, H. Mehta, K. Mishchenko, "When, Why and How Much? Adaptive
 * Learning Rate Scheduling by Refinement" (v2: "Optimal Linear Decay Learning Rate Schedules and
 * Further Refinements"), arXiv 2310.07831; recipe as in the official `find_closed_form_schedule`
 * and README of `facebookresearch/adaptive_scheduling` (method card shared/methods/refined-schedules.md).
 * Linear decay and warm-up + cosine are core's `linearSchedule` / `warmupCosineSchedule`.
 */
import { OptkitError, assertFinite, checkOption, type Schedule } from '@optkit/core';

// ---------------------------------------------------------------------------------------------
// Baseline multipliers of the card's comparison (§3) that core does not have. Linear decay is core's
// `linearSchedule({init: 1, end: 0, steps: T})` (with `warmup(...)` for a warm-up) and cosine is
// core's `cosineDecaySchedule` / `warmupCosineSchedule`.

/** 1/√(t + 1) (inverse square root, no warm-up). */
export function inverseSqrtSchedule(): Schedule {
  return (step) => 1 / Math.sqrt((step > 0 ? step : 0) + 1);
}

export interface StepScheduleOptions {
  /** Fractions of T at which the multiplier is multiplied by `gamma`, increasing in (0, 1) (default [0.5, 0.75]). */
  milestones?: readonly number[];
  /** Factor at each milestone, in (0, 1] (default 0.1). */
  gamma?: number;
}

/** Step-wise decay: gamma^(number of milestones·T already reached), e.g. ×0.1 at 50% and 75% of T. */
export function stepSchedule(T: number, options: StepScheduleOptions = {}): Schedule {
  const fn = 'stepSchedule';
  checkOption(T, 'T', { min: 1, integer: true }, fn);
  const gamma = checkOption(options.gamma ?? 0.1, 'gamma', { min: 0, max: 1, minExclusive: true }, fn);
  const ms = (options.milestones ?? [0.5, 0.75]).map((m, i, a) =>
    checkOption(m, `milestones[${i}]`, { min: i === 0 ? 0 : a[i - 1], max: 1, minExclusive: true, maxExclusive: true }, fn) * T,
  );
  return (step) => {
    let v = 1;
    for (const m of ms) if (step >= m) v *= gamma;
    return v;
  };
}

export interface PolynomialDecayOptions {
  /** Power p > 0 (default 1 = linear decay). */
  power?: number;
  /** Warm-up steps W in [0, T) with s(t) = (t + 1)/W for t < W (default 0). */
  warmup?: number;
}

/** Polynomial decay with warm-up (the BERT/LAMB recipe): (t + 1)/W for t < W, then (1 − (t − W)/(T − W))^p, 0 from T on. */
export function polynomialDecaySchedule(T: number, options: PolynomialDecayOptions = {}): Schedule {
  const fn = 'polynomialDecaySchedule';
  checkOption(T, 'T', { min: 1, integer: true }, fn);
  const p = checkOption(options.power ?? 1, 'power', { min: 0, minExclusive: true }, fn);
  const W = checkOption(options.warmup ?? 0, 'warmup', { min: 0, max: T, maxExclusive: true, integer: true }, fn);
  return (step) => {
    const t = step > 0 ? step : 0;
    if (t < W) return (t + 1) / W;
    const r = 1 - (t - W) / (T - W);
    return r > 0 ? r ** p : 0;
  };
}

export interface RefineOptions {
  /** Length T ≥ 2 of the new run (default: the number of finite norms); the norms are resampled by linear interpolation when it differs. */
  T?: number;
  /** Median-filter width as a fraction of T, in [0, 1] (default 0.1; 0 = no filter). */
  tau?: number;
  /** Exponent q > 0 of the weights Ĝ^(−q) (default 2: SGD with ℓ2 norms; use 1 with ℓ1 norms for Adam-type methods). */
  power?: number;
}

export interface RefineResult {
  /** Multiplier in [0, 1] (maximum exactly 1) for 0-based step t; 0 from step T − 1 on. Multiply by the peak lr. */
  schedule: Schedule;
  /** The T multipliers. */
  values: Float64Array;
  /** The cleaned, resampled and median-filtered norms Ĝ. */
  smoothedNorms: Float64Array;
  /** Index of the maximum multiplier (the length of the emergent warm-up). */
  warmupSteps: number;
}

/**
 * numpy `np.pad(x, (0, p), mode='reflect')` followed by scipy `ndimage.median_filter(size=w,
 * mode='nearest')`, then the pad dropped: the official recipe's end handling (card §2 B.2).
 */
export function medianFilterEndReflect(x: Float64Array, width: number): Float64Array {
  const n = x.length;
  if (width <= 1 || n === 0) return x.slice();
  const pad = 2 * width;
  const ext = new Float64Array(n + pad);
  ext.set(x);
  // numpy 'reflect' without repeating the edge sample; period 2(n − 1) for long pads.
  const period = 2 * (n - 1);
  for (let k = 0; k < pad; k++) {
    if (n === 1) {
      ext[n + k] = x[0];
      continue;
    }
    // Position n − 1 + (k + 1) reflected back into [0, n − 1].
    let p = (n - 1 + k + 1) % period;
    if (p > n - 1) p = period - p;
    ext[n + k] = x[p];
  }
  const half = (width - 1) >> 1;
  const N = ext.length;
  const at = (i: number) => ext[i < 0 ? 0 : i >= N ? N - 1 : i];
  // Sliding sorted window (insertion by binary search): O(n·w) moves, fine for one-off use.
  const win: number[] = [];
  const insert = (v: number) => {
    let lo = 0;
    let hi = win.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (win[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    win.splice(lo, 0, v);
  };
  const remove = (v: number) => {
    let lo = 0;
    let hi = win.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (win[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    win.splice(lo, 1);
  };
  for (let j = -half; j <= half; j++) insert(at(j));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = win[half];
    remove(at(i - half));
    insert(at(i + half + 1));
  }
  return out;
}

/** Linear interpolation of `x` (taken at n equispaced points of [0, 1]) onto T equispaced points. */
export function resampleLinear(x: Float64Array, T: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(T);
  if (n === 1) return out.fill(x[0]);
  for (let t = 0; t < T; t++) {
    const pos = T === 1 ? 0 : (t * (n - 1)) / (T - 1);
    const i = Math.min(Math.floor(pos), n - 2);
    const f = pos - i;
    out[t] = x[i] * (1 - f) + x[i + 1] * f;
  }
  return out;
}

/**
 * The refined schedule (official `find_closed_form_schedule`), card §2 B:
 * 1. drop non-finite norms; resample to T points if needed;
 * 2. median filter of odd width w = 2·⌊τT/2⌋ + 1 with the end padded by 2w reflected values;
 * 3. weights wₜ = Ĝₜ^(−q); 4. tail sums Sₜ = Σ_{p≥t} w_p;
 * 5. ηₜ = wₜ·Sₜ₊₁/S₀ for t < T − 1, η_{T−1} = 0; 6. η ← η / max η.
 * For constant norms this is linear decay (T − 1 − t)/(T − 1) exactly. Scale-invariant in G.
 * Throws EMPTY_INPUT (no finite norms), INVALID_ARGUMENT (a norm ≤ 0 after cleaning),
 * INVALID_OPTION (T < 2, τ ∉ [0, 1], q ≤ 0).
 */
export function refineSchedule(gradNorms: ArrayLike<number>, options: RefineOptions = {}): RefineResult {
  const fn = 'refineSchedule';
  if (gradNorms === null || typeof gradNorms !== 'object' || typeof gradNorms.length !== 'number') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: gradNorms must be an array of numbers`, 'gradNorms');
  }
  const clean: number[] = [];
  for (let i = 0; i < gradNorms.length; i++) {
    const v = gradNorms[i];
    if (typeof v === 'number' && v - v === 0) {
      if (!(v > 0)) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: gradNorms[${i}] is ${v}; expected positive norms`, 'gradNorms');
      }
      clean.push(v);
    }
  }
  if (clean.length === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: gradNorms has no finite values`, 'gradNorms');
  const T = checkOption(options.T ?? clean.length, 'T', { min: 2, integer: true }, fn);
  const tau = checkOption(options.tau ?? 0.1, 'tau', { min: 0, max: 1 }, fn);
  const q = checkOption(options.power ?? 2, 'power', { min: 0, minExclusive: true }, fn);
  let G: Float64Array = Float64Array.from(clean);
  if (G.length !== T) G = resampleLinear(G, T);
  const width = 2 * Math.floor((tau * T) / 2) + 1;
  const smoothed = medianFilterEndReflect(G, width);
  const w = new Float64Array(T);
  // Normalise by the smallest norm first so that G^(−q) neither overflows nor underflows (scale-free).
  let gmin = Infinity;
  for (let t = 0; t < T; t++) if (smoothed[t] < gmin) gmin = smoothed[t];
  for (let t = 0; t < T; t++) w[t] = (smoothed[t] / gmin) ** -q;
  const values = new Float64Array(T);
  let tail = 0; // S_{t+1}
  for (let t = T - 1; t >= 0; t--) {
    values[t] = w[t] * tail;
    tail += w[t];
  }
  // values[T−1] = 0 by construction; dividing by S₀ is absorbed by the max normalisation.
  let vmax = 0;
  let argmax = 0;
  for (let t = 0; t < T; t++) {
    if (values[t] > vmax) {
      vmax = values[t];
      argmax = t;
    }
  }
  for (let t = 0; t < T; t++) values[t] /= vmax;
  values[argmax] = 1;
  const schedule: Schedule = (step) => {
    if (!(step >= 0)) return values[0];
    if (step >= T) return 0;
    return values[Math.floor(step)];
  };
  return { schedule, values, smoothedNorms: smoothed, warmupSteps: argmax };
}

/**
 * The paper's last-iterate bound for SGD with step sizes wₜ and gradient norms Gₜ (official
 * `find_schedule`'s objective): (D² + Σ wₜ²Gₜ²)/(2Σwₜ) + ½ Σ_{k<T−1} w_k/(S_k S_{k+1}) · Σ_{t≥k} wₜ²Gₜ²,
 * S_k = Σ_{t≥k} wₜ. Infinite when a tail sum S_{k+1} with k < T − 1 is 0 (so never evaluate the
 * closed-form schedule, whose last weight is 0, on it). Weights must be ≥ 0, norms finite.
 */
export function lastIterateBound(weights: ArrayLike<number>, gradNorms: ArrayLike<number>, D = 1): number {
  const fn = 'lastIterateBound';
  assertFinite(weights, 'weights', fn);
  assertFinite(gradNorms, 'gradNorms', fn);
  checkOption(D, 'D', { min: 0 }, fn);
  const T = weights.length;
  if (T === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: weights is empty`, 'weights');
  if (gradNorms.length !== T) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: gradNorms has length ${gradNorms.length}; expected ${T} like weights`, 'gradNorms');
  }
  // Tail sums S_k and tail sums of w²G², from the back.
  const S = new Float64Array(T + 1);
  const Q = new Float64Array(T + 1);
  for (let t = T - 1; t >= 0; t--) {
    const w = weights[t];
    if (w < 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: weights[${t}] is ${w}; expected ≥ 0`, 'weights');
    S[t] = S[t + 1] + w;
    Q[t] = Q[t + 1] + w * w * gradNorms[t] * gradNorms[t];
  }
  let bound = (D * D + Q[0]) / (2 * S[0]);
  for (let k = 0; k < T - 1; k++) bound += (0.5 * weights[k] * Q[k]) / (S[k] * S[k + 1]);
  return bound;
}
