/**
 * LAMB — layer-wise adaptive moments for large-batch training — and its building block
 * {@link scaleByTrustRatio}.
 *
 * Y. You, J. Li, S. Reddi, J. Hseu, S. Kumar, S. Bhojanapalli, X. Song, J. Demmel, K. Keutzer,
 * C.-J. Hsieh, "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * arXiv 1904.00962 (ICLR 2020); reference code `tensorflow_addons/optimizers/lamb.py`.
 * Method card: shared/methods/lamb.md.
 */
import {
  OptkitError,
  addDecayedWeights,
  chain,
  checkOption,
  checkParams,
  checkParamsMatch,
  checkScalarOrSchedule,
  resolve,
  scaleByAdam,
  scaleByLearningRate,
  zerosLike,
  type AddDecayedWeightsState,
  type CountState,
  type GradientTransformation,
  type ParamArray,
  type Params,
  type ScalarOrSchedule,
  type ScaleByAdamState,
} from '@optkit/core';
import { lambDirectionPass } from './lamb-step.js';
import { checkClamp, scaledNorm, trustRatio } from './lamb-trust.js';

/**
 * The Euclidean norm √(Σ a²) of one tensor: one pass with a single accumulator in index order (the
 * fused LAMB loop repeats exactly this order, so both give the same bits), and a scaled second pass
 * only when the plain sum of squares overflows (BLAS nrm2's concern, lamb.md §7).
 */
export function tensorNorm(a: ParamArray): number {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * a[i];
  if (s < Number.POSITIVE_INFINITY) return Math.sqrt(s);
  return scaledNorm(a, s);
}

// ---------------------------------------------------------------------------------------------
// scaleByTrustRatio

export interface ScaleByTrustRatioOptions {
  /**
   * φ = clamp of the weight norm to `[lo, hi]` (0 ≤ lo ≤ hi, finite). Default: none (φ = identity, as
   * TF-Addons and the paper's experiments; the cybertronai port uses [0, 10]).
   */
  clampWeightNorm?: readonly [number, number];
  /** Tensors excluded from layer adaptation (ρ = 1 for them). Default: none excluded. */
  exclude?: (name: string) => boolean;
}

export interface TrustRatioState {
  /** Per tensor, whether it is layer-adapted (`exclude` evaluated once at init). */
  adapted: Record<string, boolean>;
  /** Per tensor, the trust ratio ρ applied by the last update (1 before the first). */
  ratios: Record<string, number>;
}

function checkNameFilter(f: unknown, name: string, fn: string): void {
  if (f !== undefined && typeof f !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${fn}: option ${name} must be a function (name) => boolean`, name);
  }
}

/**
 * The layer-wise trust ratio of LAMB (optax `scale_by_trust_ratio`): for each parameter tensor w
 * with incoming update u, u ← ρ·u with ρ = φ(‖w‖₂)/‖u‖₂ when both norms are positive, else ρ = 1;
 * ρ = 1 for tensors matched by `exclude`. φ is the identity unless `clampWeightNorm` is given. The
 * zero-norm test is on the raw ‖w‖ (as the cybertronai port), so a zero tensor gets ρ = 1 even with a
 * clamp whose lower end is positive. Needs `params` in `update` (INVALID_ARGUMENT otherwise).
 * Placed before `scaleByLearningRate(lr)`, every adapted tensor moves by ‖Δw‖ = lr·φ(‖w‖).
 */
export function scaleByTrustRatio(options: ScaleByTrustRatioOptions = {}): GradientTransformation<TrustRatioState> {
  const fn = 'scaleByTrustRatio';
  const clamp = checkClamp(options.clampWeightNorm, fn);
  checkNameFilter(options.exclude, 'exclude', fn);
  const exclude = options.exclude;
  return {
    init(params) {
      checkParams(params, 'params', fn);
      const adapted: Record<string, boolean> = {};
      const ratios: Record<string, number> = {};
      for (const key in params) {
        adapted[key] = exclude ? exclude(key) !== true : true;
        ratios[key] = 1;
      }
      return { adapted, ratios };
    },
    update(updates, state, params) {
      if (params === undefined) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs params (the current parameters)`, 'params');
      }
      checkParamsMatch(params, updates, fn, { reference: 'params', other: 'updates' });
      for (const key in updates) {
        if (state.adapted[key] !== true) {
          state.ratios[key] = 1;
          continue;
        }
        const u = updates[key];
        const rho = trustRatio(tensorNorm(params[key]), tensorNorm(u), clamp);
        state.ratios[key] = rho;
        const n = u.length;
        for (let i = 0; i < n; i++) u[i] *= rho;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// LAMB

export interface LambOptions {
  /** Learning rate (number ≥ 0 or schedule of the update count). Default 1e-3. */
  lr?: ScalarOrSchedule;
  /** First-moment decay in [0, 1). Default 0.9. */
  beta1?: ScalarOrSchedule;
  /** Second-moment decay in [0, 1). Default 0.999. */
  beta2?: ScalarOrSchedule;
  /** Added to √v̂ (outside the root). Default 1e-6. */
  epsilon?: ScalarOrSchedule;
  /** Decoupled weight decay λ ≥ 0, added to the Adam ratio before the norms. Default 0 (BERT: 0.01). */
  weightDecay?: ScalarOrSchedule;
  /** Names excluded from weight decay. Default: none (BERT excludes LayerNorm and bias). */
  excludeFromWeightDecay?: (name: string) => boolean;
  /** Names excluded from layer adaptation (ρ = 1). Default: `excludeFromWeightDecay`. */
  excludeFromLayerAdaptation?: (name: string) => boolean;
  /** Adam's bias corrections (default true; arXiv v3 of the paper and the cybertronai port have none). */
  biasCorrection?: boolean;
  /** false gives ρ ≡ 1, i.e. exactly AdamW with λ inside the step (default true). */
  layerAdaptation?: boolean;
  /** φ clamp of the weight norm, see {@link ScaleByTrustRatioOptions}. Default none. */
  clampWeightNorm?: readonly [number, number];
}

/** The state of {@link lamb} and {@link lambChain}: the states of the four chained blocks, in order. */
export type LambState = [ScaleByAdamState, AddDecayedWeightsState, TrustRatioState, CountState];

const BETA = { min: 0, max: 1, maxExclusive: true };

interface ResolvedLambOptions {
  lr: ScalarOrSchedule;
  beta1: ScalarOrSchedule;
  beta2: ScalarOrSchedule;
  epsilon: ScalarOrSchedule;
  weightDecay: ScalarOrSchedule;
  decayMask: (name: string) => boolean;
  adaptExclude: ((name: string) => boolean) | undefined;
  biasCorrection: boolean;
  layerAdaptation: boolean;
  clamp: readonly [number, number] | undefined;
}

function resolveLambOptions(options: LambOptions, fn: string): ResolvedLambOptions {
  if (options === null || typeof options !== 'object') {
    throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object`, 'options');
  }
  const lr = checkScalarOrSchedule(options.lr ?? 1e-3, 'lr', { min: 0 }, fn);
  const beta1 = checkScalarOrSchedule(options.beta1 ?? 0.9, 'beta1', BETA, fn);
  const beta2 = checkScalarOrSchedule(options.beta2 ?? 0.999, 'beta2', BETA, fn);
  const epsilon = checkScalarOrSchedule(options.epsilon ?? 1e-6, 'epsilon', { min: 0 }, fn);
  const weightDecay = checkScalarOrSchedule(options.weightDecay ?? 0, 'weightDecay', { min: 0 }, fn);
  checkNameFilter(options.excludeFromWeightDecay, 'excludeFromWeightDecay', fn);
  checkNameFilter(options.excludeFromLayerAdaptation, 'excludeFromLayerAdaptation', fn);
  const wdExclude = options.excludeFromWeightDecay;
  const adaptExclude = options.excludeFromLayerAdaptation ?? wdExclude;
  return {
    lr,
    beta1,
    beta2,
    epsilon,
    weightDecay,
    decayMask: (name) => (wdExclude ? wdExclude(name) !== true : true),
    adaptExclude,
    biasCorrection: options.biasCorrection !== false,
    layerAdaptation: options.layerAdaptation !== false,
    clamp: checkClamp(options.clampWeightNorm, fn),
  };
}

/** Adam's ratio m/(√v + ε) without bias corrections (LAMB arXiv v3); same state shape as scaleByAdam. */
function scaleByAdamUncorrected(b1o: ScalarOrSchedule, b2o: ScalarOrSchedule, epso: ScalarOrSchedule): GradientTransformation<ScaleByAdamState> {
  const fn = 'lamb';
  return {
    init(params) {
      checkParams(params, 'params', fn);
      return { count: 0, mu: zerosLike(params), nu: zerosLike(params), b1Power: 1, b2Power: 1 };
    },
    update(updates, state) {
      checkParamsMatch(state.mu, updates, fn, { reference: 'the params given to init', other: 'updates' });
      const t = state.count;
      const b1 = resolve(b1o, t, 'beta1');
      const b2 = resolve(b2o, t, 'beta2');
      if (!(b1 >= 0 && b1 < 1)) checkOption(b1, 'beta1', BETA, fn);
      if (!(b2 >= 0 && b2 < 1)) checkOption(b2, 'beta2', BETA, fn);
      const eps = resolve(epso, t, 'epsilon');
      state.b1Power *= b1;
      state.b2Power *= b2;
      state.count = t + 1;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      for (const key in updates) {
        const u = updates[key];
        const m = state.mu[key];
        const v = state.nu[key];
        const n = u.length;
        for (let i = 0; i < n; i++) {
          const g = u[i];
          const mi = b1 * m[i] + c1 * g;
          const vi = b2 * v[i] + c2 * g * g;
          m[i] = mi;
          v[i] = vi;
          u[i] = mi / (Math.sqrt(vi) + eps);
        }
      }
    },
  };
}

/**
 * LAMB as the literal composition `chain(scaleByAdam({b1, b2, eps}), addDecayedWeights(λ, mask),
 * scaleByTrustRatio({exclude, clampWeightNorm}), scaleByLearningRate(lr))`. {@link lamb} computes
 * the same thing in two fused passes per tensor; this form is the specification its tests compare
 * against (and the one to read).
 */
export function lambChain(options: LambOptions = {}): GradientTransformation<LambState> {
  const o = resolveLambOptions(options, 'lamb');
  const moments = o.biasCorrection
    ? scaleByAdam({ b1: o.beta1, b2: o.beta2, eps: o.epsilon })
    : scaleByAdamUncorrected(o.beta1, o.beta2, o.epsilon);
  const adaptExclude = o.layerAdaptation ? o.adaptExclude : () => true;
  return chain(
    moments,
    addDecayedWeights(o.weightDecay, o.decayMask),
    scaleByTrustRatio({ exclude: adaptExclude, clampWeightNorm: o.clamp }),
    scaleByLearningRate(o.lr),
  ) as unknown as GradientTransformation<LambState>;
}

/** Scratch for the two sums of squares returned by {@link lambPass1} (no allocation per step). */
const sums = new Float64Array(2);

/**
 * LAMB's first pass over one tensor: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
 * u = (m·r1)/(√(v·r2) + ε) + λw (λ = 0: no decay term), and out = [‖u‖², ‖w‖²] summed in index order.
 * r1 = r2 = 1 gives the uncorrected ratio with the same bits as m/(√v + ε). For float32 tensors every
 * intermediate u is rounded with Math.fround exactly where the chain's stores round (the moments feed
 * the ratio unrounded, as in core's scaleByAdam), so the fused and chained
 * forms agree bit for bit; the loops (and their specialised kernels) are lamb-step.ts's.
 */
function lambPass1(
  u: ParamArray, m: ParamArray, v: ParamArray, w: ParamArray,
  b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, wd: number,
  out: Float64Array,
): void {
  // One set of loops for the transform, lambStep and the threaded stepper: lamb-step.ts's pass 1 with
  // the gradient buffer as its own output (u aliases grad, which that pass allows).
  lambDirectionPass(w, u, m, v, u, { b1, c1, b2, c2, r1, r2, eps }, wd, out, 0);
}

/** u ← fround(u·ρ)·s (the chain's two rounded stores). */
function scalePass32(u: Float32Array, rho: number, s: number): void {
  const n = u.length;
  for (let i = 0; i < n; i++) u[i] = Math.fround(u[i] * rho) * s;
}

/** u ← (u·ρ)·s. */
function scalePass64(u: Float64Array, rho: number, s: number): void {
  const n = u.length;
  for (let i = 0; i < n; i++) u[i] = u[i] * rho * s;
}

/**
 * LAMB (You et al. 2020, Algorithm 2; TF-Addons `LAMB`). Per parameter tensor w with gradient g,
 * state m, v (zero at start), update count t ≥ 1:
 *
 *     m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *     r = m̂ / (√v̂ + ε),        m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)   (biasCorrection)
 *     u = r + λ·w               (λ term skipped for names in excludeFromWeightDecay)
 *     ρ = φ(‖w‖)/‖u‖ if ‖w‖ > 0 and ‖u‖ > 0, else 1   (1 for excludeFromLayerAdaptation)
 *     w ← w − lr_t·ρ·u
 *
 * so ‖Δw‖ = lr_t·‖w‖ for every adapted tensor. Defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-6, λ 0,
 * no exclusions, biasCorrection true, layerAdaptation true (false gives AdamW exactly), no φ clamp.
 * Bias corrections use running products Πβ (equal to β^t for constant betas up to rounding), as
 * core's scaleByAdam. A zero-initialised tensor (e.g. a bias) gets ρ = 1, a plain AdamW step, until
 * it becomes non-zero; this breaks LAMB's invariance to layer rescaling for that tensor (lamb.md §7).
 *
 * This is a fused form of {@link lambChain} (two passes per tensor instead of five; measured 1.3–1.5×
 * faster on 10⁷ float32 parameters here); its state is the chain's state, and a test checks that both
 * give bit-identical params and state, in float64 and float32. Deviation from the card's API sketch:
 * like every optimizer in this package it returns a GradientTransformation (wrap it in core's
 * `Optimizer`), and the trust ratios of the last step are read with {@link lastTrustRatios}(state)
 * instead of a method on the optimizer. `lambStep` (src/lamb-step.ts) is the in-place kernel form
 * (θ, m, v updated directly, as lionStep / adamwStep), with this transform's arithmetic.
 */
export function lamb(options: LambOptions = {}): GradientTransformation<LambState> {
  const fn = 'lamb';
  const o = resolveLambOptions(options, fn);
  const chained = lambChain(options);
  const initNames = { reference: 'the params given to init', other: 'updates' };
  return {
    init: (params) => chained.init(params),
    update(updates, state, params) {
      const [adam, wdState, trust, lrState] = state;
      checkParamsMatch(adam.mu, updates, fn, initNames);
      if (params === undefined) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs params (the current parameters)`, 'params');
      }
      checkParamsMatch(params, updates, fn, { reference: 'params', other: 'updates' });
      // Hyperparameters, resolved in the order and at the counts the chain would use.
      const t = adam.count;
      const b1 = resolve(o.beta1, t, 'beta1');
      const b2 = resolve(o.beta2, t, 'beta2');
      if (!(b1 >= 0 && b1 < 1)) checkOption(b1, 'beta1', BETA, fn);
      if (!(b2 >= 0 && b2 < 1)) checkOption(b2, 'beta2', BETA, fn);
      const eps = resolve(o.epsilon, t, o.biasCorrection ? 'eps' : 'epsilon');
      const wd = resolve(o.weightDecay, wdState.count, 'weightDecay');
      const lr = resolve(o.lr, lrState.count, 'lr');
      adam.b1Power *= b1;
      adam.b2Power *= b2;
      adam.count = t + 1;
      wdState.count++;
      lrState.count++;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const r1 = o.biasCorrection ? 1 / (1 - adam.b1Power) : 1;
      const r2 = o.biasCorrection ? 1 / (1 - adam.b2Power) : 1;
      const s = -lr;
      for (const key in updates) {
        const u = updates[key];
        const m = adam.mu[key];
        const v = adam.nu[key];
        const w = params[key];
        const decay = wd !== 0 && wdState.decayed[key] === true;
        const adapted = trust.adapted[key] === true;
        // Pass 1: moments, Adam ratio, decay, and both sums of squares.
        lambPass1(u, m, v, w, b1, c1, b2, c2, r1, r2, eps, decay ? wd : 0, sums);
        const uu = sums[0];
        const ww = sums[1];
        let rho = 1;
        if (adapted) {
          const un = uu < Number.POSITIVE_INFINITY ? Math.sqrt(uu) : scaledNorm(u, uu);
          const wn = ww < Number.POSITIVE_INFINITY ? Math.sqrt(ww) : scaledNorm(w, ww);
          rho = trustRatio(wn, un, o.clamp);
        }
        trust.ratios[key] = rho;
        // Pass 2: u ← (u·ρ)·(−lr), with the intermediate rounding of the chain's two stores.
        if (u instanceof Float32Array) scalePass32(u, rho, s);
        else scalePass64(u as Float64Array, rho, s);
      }
    },
  };
}

/** The trust ratios ρ per tensor applied by the last update of a {@link lamb} / {@link lambChain} state. */
export function lastTrustRatios(state: LambState): Record<string, number> {
  const trust = Array.isArray(state) ? (state[2] as TrustRatioState | undefined) : undefined;
  if (trust === undefined || trust === null || typeof trust.ratios !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', 'lastTrustRatios: state is not a lamb state', 'state');
  }
  return { ...trust.ratios };
}
