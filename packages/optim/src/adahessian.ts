/**
 * AdaHessian — Adam with a Hutchinson estimate of the Hessian diagonal in place of squared
 * gradients — and its pieces: {@link scaleByAdahessian}, {@link hutchinsonDiagonal},
 * {@link centralDifferenceHvp}.
 *
 * Z. Yao, A. Gholami, S. Shen, M. Mustafa, K. Keutzer, M. W. Mahoney, "ADAHESSIAN: An Adaptive Second
 * Order Optimizer for Machine Learning", arXiv 2006.00719 (AAAI 2021); official code
 * `amirgholami/adahessian`. Method card: shared/methods/adahessian.md.
 */
import {
  OptkitError,
  Rng,
  addDecayedWeights,
  chain,
  checkChoice,
  checkOption,
  checkParams,
  checkParamsMatch,
  checkScalarOrSchedule,
  resolve,
  scaleByLearningRate,
  zerosLike,
  type AddDecayedWeightsState,
  type CountState,
  type GradientTransformation,
  type ParamArray,
  type Params,
  type ScalarOrSchedule,
  type StepContext,
} from '@optkit/core';

// ---------------------------------------------------------------------------------------------
// Rademacher draws

/**
 * One step of mulberry32 (T. Ettinger's 32-bit generator): returns the next state; the output word
 * is {@link mulberryOutput} of that state. The generator state is a plain number so that it lives in
 * the transform's state (copyable, comparable) rather than in an object.
 */
function mulberryNext(s: number): number {
  return (s + 0x6d2b79f5) | 0;
}

function mulberryOutput(s: number): number {
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

/** Fills `z` with i.i.d. ±1 from the 32-bit generator state `s`, 32 signs per word; returns the new state. */
function fillRademacher(z: ParamArray, s: number): number {
  const n = z.length;
  let i = 0;
  while (i < n) {
    s = mulberryNext(s);
    let bits = mulberryOutput(s);
    const end = i + 32 < n ? i + 32 : n;
    for (; i < end; i++) {
      z[i] = (bits & 1) === 1 ? 1 : -1;
      bits >>>= 1;
    }
  }
  return s;
}

function fillRademacherFromRng(z: ParamArray, rng: Rng): void {
  for (let i = 0; i < z.length; i++) z[i] = rng.sign();
}

// ---------------------------------------------------------------------------------------------
// Hutchinson estimator and finite-difference HVP

export interface HutchinsonOptions {
  /** Number of Rademacher vectors averaged (integer ≥ 1, default 1). */
  samples?: number;
  /** Seed of the Rademacher draws (default 0). */
  seed?: number;
}

/**
 * Hutchinson's estimate of diag(H) for a symmetric operator given by `hvp(z) = H·z` on ℝ^dim:
 * the mean over `samples` Rademacher vectors z (i.i.d. ±1) of z ⊙ Hz. Unbiased: E[z ⊙ Hz]ᵢ = Hᵢᵢ,
 * with variance Σ_{j≠i} Hᵢⱼ² per sample; exact with one sample when H is diagonal.
 * (M. F. Hutchinson 1990; AdaHessian eq. (6).)
 */
export function hutchinsonDiagonal(
  hvp: (z: Float64Array) => ArrayLike<number>,
  dim: number,
  options: HutchinsonOptions = {},
): Float64Array {
  const fn = 'hutchinsonDiagonal';
  if (typeof hvp !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: hvp must be a function (z) => H·z`, 'hvp');
  }
  checkOption(dim, 'dim', { min: 1, integer: true }, fn);
  const samples = checkOption(options.samples ?? 1, 'samples', { min: 1, integer: true }, fn);
  const rng = new Rng(checkOption(options.seed ?? 0, 'seed', { integer: true }, fn));
  const z = new Float64Array(dim);
  const d = new Float64Array(dim);
  for (let k = 0; k < samples; k++) {
    fillRademacherFromRng(z, rng);
    const h = hvp(z);
    if (h === null || typeof h !== 'object' || h.length !== dim) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: hvp(z) must return ${dim} numbers`, 'hvp');
    }
    for (let i = 0; i < dim; i++) d[i] += z[i] * h[i];
  }
  if (samples > 1) for (let i = 0; i < dim; i++) d[i] /= samples;
  return d;
}

export interface CentralDifferenceHvpOptions {
  /** Step h along v/‖v‖∞ (default 1e-6·(1 + ‖x‖∞), adahessian.md §2 for float64). */
  step?: number;
}

/**
 * A Hessian-vector product from gradients by central differences (adahessian.md §2):
 * H·v ≈ ‖v‖∞·(∇f(x + h·v̂) − ∇f(x − h·v̂)) / (2h) with v̂ = v/‖v‖∞, error O(h²). `grad(x, out)` writes
 * ∇f(x); `x` is read at each call (the closure follows later changes of the array) and is never
 * modified. Returns `hvp(v, out?)`, which writes and returns H·v (zeros for v = 0).
 */
export function centralDifferenceHvp(
  grad: (x: Float64Array, out: Float64Array) => unknown,
  x: Float64Array,
  options: CentralDifferenceHvpOptions = {},
): (v: Float64Array, out?: Float64Array) => Float64Array {
  const fn = 'centralDifferenceHvp';
  if (typeof grad !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: grad must be a function (x, out) => void`, 'grad');
  }
  if (!(x instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: x must be a Float64Array`, 'x');
  }
  const fixedStep = options.step === undefined ? undefined : checkOption(options.step, 'step', { min: 0, minExclusive: true }, fn);
  const n = x.length;
  const xp = new Float64Array(n);
  const gp = new Float64Array(n);
  const gm = new Float64Array(n);
  return (v, out) => {
    if (!(v instanceof Float64Array) || v.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: v must be a Float64Array of length ${n}`, 'v');
    }
    const y = out ?? new Float64Array(n);
    let vmax = 0;
    let xmax = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(v[i]);
      if (a > vmax) vmax = a;
      const b = Math.abs(x[i]);
      if (b > xmax) xmax = b;
    }
    if (vmax === 0) {
      y.fill(0);
      return y;
    }
    const h = fixedStep ?? 1e-6 * (1 + xmax);
    const c = h / vmax;
    for (let i = 0; i < n; i++) xp[i] = x[i] + c * v[i];
    grad(xp, gp);
    for (let i = 0; i < n; i++) xp[i] = x[i] - c * v[i];
    grad(xp, gm);
    const s = vmax / (2 * h);
    for (let i = 0; i < n; i++) y[i] = (gp[i] - gm[i]) * s;
    return y;
  };
}

// ---------------------------------------------------------------------------------------------
// scaleByAdahessian

/** Layout of conv kernels given in `shapes` (rank ≥ 3): tfjs `[kh, kw, in, out]` or PyTorch `[out, in, kh, kw]`. */
export type ConvLayout = 'hwio' | 'oihw';

export interface ScaleByAdahessianOptions {
  /** First-moment decay in [0, 1) (default 0.9). */
  beta1?: ScalarOrSchedule;
  /** Decay of the EMA of squared Hessian-diagonal estimates, in [0, 1) (default 0.999). */
  beta2?: ScalarOrSchedule;
  /** Added to the denominator after the power (default 1e-4). */
  epsilon?: ScalarOrSchedule;
  /** Hessian power k in [0, 1] (default 1; 0 gives momentum SGD). */
  hessianPower?: ScalarOrSchedule;
  /**
   * Shapes of the tensors (row-major), used only by spatial averaging: 2-D tensors get block
   * averaging with `blockSize`, tensors of rank ≥ 3 (conv kernels) are averaged over their spatial
   * axes per (in, out) channel pair. Tensors without a shape here are treated as 1-D (no averaging).
   */
  shapes?: Record<string, readonly number[]>;
  /** Block length for 2-D tensors (integer ≥ 1, default 1 = no averaging); must divide their size. */
  blockSize?: number;
  /** Layout of rank ≥ 3 kernels in `shapes` (default `'hwio'`, tfjs). */
  convLayout?: ConvLayout;
  /** Average |D| instead of the signed D (default false = paper/fairseq; true = the CV code). */
  absBeforeAverage?: boolean;
  /** Re-estimate the diagonal every this many updates and reuse it in between (integer ≥ 1, default 1). */
  hessianEvery?: number;
  /** Rademacher vectors averaged per estimate (integer ≥ 1, default 1). */
  samples?: number;
  /**
   * Seed of the Rademacher draws. When given, the transform draws from its own generator (state kept
   * in its state); when omitted, it draws from `ctx.rng` if the step has one, else from its own
   * generator with seed 0.
   */
  seed?: number;
}

export interface ScaleByAdahessianState extends CountState {
  /** First-moment EMA m. */
  mu: Params;
  /** EMA s of the squared (averaged) Hessian-diagonal estimate D̄². */
  nu: Params;
  /** The last averaged estimate D̄ (reused between estimates when hessianEvery > 1). */
  diag: Params;
  /** Scratch: the Rademacher vector z and H·z (allocated once). */
  z: Params;
  hz: Params;
  /** Π β1, Π β2 over the updates so far (β^t for constant betas), for the bias corrections. */
  b1Power: number;
  b2Power: number;
  /** State of the internal Rademacher generator (mulberry32). */
  rngState: number;
  /** Hessian-vector products computed so far. */
  hvpCalls: number;
}

/** How one tensor's estimate is averaged: none, consecutive blocks of `block`, or over `spatial` strided positions. */
interface Averaging {
  kind: 'none' | 'blocks' | 'strided';
  /** blocks: block length; strided: spatial count S (positions s·C + c for s < S). */
  size: number;
  /** strided: channel-pair count C. */
  channels: number;
}

function planAveraging(
  name: string,
  length: number,
  shape: readonly number[] | undefined,
  blockSize: number,
  layout: ConvLayout,
  fn: string,
): Averaging {
  const none: Averaging = { kind: 'none', size: 1, channels: 1 };
  if (shape === undefined) return none;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new OptkitError('INVALID_OPTION', `${fn}: shapes["${name}"] must be an array of positive integers`, `shapes.${name}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== length) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: shapes["${name}"] = [${shape.join(', ')}] has ${size} entries; the tensor has ${length}`, `shapes.${name}`);
  }
  const rank = shape.length;
  if (rank <= 1) return none;
  if (rank === 2) {
    if (blockSize === 1) return none;
    if (length % blockSize !== 0) {
      throw new OptkitError('INVALID_OPTION', `${fn}: blockSize ${blockSize} does not divide the size ${length} of tensor "${name}"`, 'blockSize');
    }
    return { kind: 'blocks', size: blockSize, channels: 1 };
  }
  if (layout === 'oihw') {
    const spatial = shape.slice(2).reduce((a, b) => a * b, 1);
    return spatial === 1 ? none : { kind: 'blocks', size: spatial, channels: 1 };
  }
  const spatial = shape.slice(0, rank - 2).reduce((a, b) => a * b, 1);
  return spatial === 1 ? none : { kind: 'strided', size: spatial, channels: shape[rank - 2] * shape[rank - 1] };
}

/** Replaces every entry of d by the mean of its averaging group (|d| first when `abs`). */
function averageInPlace(d: ParamArray, plan: Averaging, abs: boolean): void {
  const n = d.length;
  if (abs) for (let i = 0; i < n; i++) d[i] = Math.abs(d[i]);
  if (plan.kind === 'blocks') {
    const b = plan.size;
    for (let start = 0; start < n; start += b) {
      let s = 0;
      for (let i = start; i < start + b; i++) s += d[i];
      const mean = s / b;
      for (let i = start; i < start + b; i++) d[i] = mean;
    }
  } else if (plan.kind === 'strided') {
    const S = plan.size;
    const C = plan.channels;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let p = 0; p < S; p++) s += d[p * C + c];
      const mean = s / S;
      for (let p = 0; p < S; p++) d[p * C + c] = mean;
    }
  }
}

const BETA = { min: 0, max: 1, maxExclusive: true };
const POWER = { min: 0, max: 1 };

/**
 * AdaHessian's preconditioning (adahessian.md §2 steps 2–5), without learning rate and weight decay:
 *
 *     D = mean over `samples` of z ⊙ (H z),  z Rademacher over ALL tensors at once (ctx.hvp)
 *     D̄ = spatial average of D (see `shapes`, `blockSize`; signed unless absBeforeAverage)
 *     m ← β1·m + (1 − β1)·g,   s ← β2·s + (1 − β2)·D̄ ⊙ D̄
 *     u = (m / (1 − β1^t)) / ((√s / √(1 − β2^t))^k + ε)
 *
 * The HVP comes from `ctx.hvp(v, out)` at the current parameters (INVALID_ARGUMENT naming `ctx.hvp`
 * when a step needs an estimate and has none). With `hessianEvery = p` > 1 the estimate is drawn on
 * updates 0, p, 2p, … and D̄ is reused in between (s is still updated every step, as the davda54
 * port). Defaults: β1 0.9, β2 0.999, ε 1e-4, k 1, blockSize 1, absBeforeAverage false,
 * hessianEvery 1, samples 1, convLayout 'hwio'.
 */
export function scaleByAdahessian(options: ScaleByAdahessianOptions = {}): GradientTransformation<ScaleByAdahessianState> {
  const fn = 'scaleByAdahessian';
  if (options === null || typeof options !== 'object') {
    throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object`, 'options');
  }
  const b1o = checkScalarOrSchedule(options.beta1 ?? 0.9, 'beta1', BETA, fn);
  const b2o = checkScalarOrSchedule(options.beta2 ?? 0.999, 'beta2', BETA, fn);
  const epso = checkScalarOrSchedule(options.epsilon ?? 1e-4, 'epsilon', { min: 0 }, fn);
  const ko = checkScalarOrSchedule(options.hessianPower ?? 1, 'hessianPower', POWER, fn);
  const blockSize = checkOption(options.blockSize ?? 1, 'blockSize', { min: 1, integer: true }, fn);
  const layout = checkChoice(options.convLayout ?? 'hwio', ['hwio', 'oihw'] as const, 'convLayout', fn);
  const abs = options.absBeforeAverage === true;
  const every = checkOption(options.hessianEvery ?? 1, 'hessianEvery', { min: 1, integer: true }, fn);
  const samples = checkOption(options.samples ?? 1, 'samples', { min: 1, integer: true }, fn);
  const ownSeed = options.seed === undefined ? undefined : checkOption(options.seed, 'seed', { integer: true }, fn);
  const shapes = options.shapes;
  if (shapes !== undefined && (shapes === null || typeof shapes !== 'object')) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option shapes must be an object {name: shape}`, 'shapes');
  }
  // Averaging plans per tensor name, made at init.
  const plans = new WeakMap<ScaleByAdahessianState, Record<string, Averaging>>();
  const initNames = { reference: 'the params given to init', other: 'updates' };

  const estimate = (state: ScaleByAdahessianState, ctx: StepContext | undefined): void => {
    const hvp = ctx?.hvp;
    if (typeof hvp !== 'function') {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs ctx.hvp (a Hessian-vector product at the current params)`, 'ctx.hvp');
    }
    const useCtxRng = ownSeed === undefined && ctx?.rng !== undefined;
    const { z, hz, diag } = state;
    for (let k = 0; k < samples; k++) {
      for (const key in z) {
        if (useCtxRng) fillRademacherFromRng(z[key], ctx!.rng!);
        else state.rngState = fillRademacher(z[key], state.rngState);
      }
      hvp(z, hz);
      state.hvpCalls++;
      for (const key in diag) {
        const d = diag[key];
        const zk = z[key];
        const hk = hz[key];
        const n = d.length;
        if (k === 0) for (let i = 0; i < n; i++) d[i] = zk[i] * hk[i];
        else for (let i = 0; i < n; i++) d[i] += zk[i] * hk[i];
      }
    }
    let plan = plans.get(state);
    if (plan === undefined) {
      // A state made by another instance of this transform (e.g. deserialised): plan it now.
      plan = makePlans(diag);
      plans.set(state, plan);
    }
    for (const key in diag) {
      const d = diag[key];
      if (samples > 1) for (let i = 0; i < d.length; i++) d[i] /= samples;
      averageInPlace(d, plan[key], abs);
    }
  };

  const makePlans = (params: Params): Record<string, Averaging> => {
    const plan: Record<string, Averaging> = {};
    for (const key in params) plan[key] = planAveraging(key, params[key].length, shapes?.[key], blockSize, layout, fn);
    return plan;
  };

  return {
    init(params) {
      checkParams(params, 'params', fn);
      if (shapes !== undefined) {
        for (const key in shapes) {
          if (!(key in params)) {
            throw new OptkitError('INVALID_OPTION', `${fn}: shapes has an entry "${key}" that params lack`, `shapes.${key}`);
          }
        }
      }
      const plan = makePlans(params);
      const state: ScaleByAdahessianState = {
        count: 0,
        mu: zerosLike(params),
        nu: zerosLike(params),
        diag: zerosLike(params),
        z: zerosLike(params),
        hz: zerosLike(params),
        b1Power: 1,
        b2Power: 1,
        rngState: (ownSeed ?? 0) | 0,
        hvpCalls: 0,
      };
      plans.set(state, plan);
      return state;
    },
    update(updates, state, _params, ctx) {
      checkParamsMatch(state.mu, updates, fn, initNames);
      const t = state.count;
      const b1 = resolve(b1o, t, 'beta1');
      const b2 = resolve(b2o, t, 'beta2');
      if (!(b1 >= 0 && b1 < 1)) checkOption(b1, 'beta1', BETA, fn);
      if (!(b2 >= 0 && b2 < 1)) checkOption(b2, 'beta2', BETA, fn);
      const eps = resolve(epso, t, 'epsilon');
      const k = resolve(ko, t, 'hessianPower');
      if (!(k >= 0 && k <= 1)) checkOption(k, 'hessianPower', POWER, fn);
      if (t % every === 0) estimate(state, ctx);
      state.b1Power *= b1;
      state.b2Power *= b2;
      state.count = t + 1;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const bc1 = 1 - state.b1Power;
      const sqrtBc2 = Math.sqrt(1 - state.b2Power);
      for (const key in updates) {
        const u = updates[key];
        const m = state.mu[key];
        const s = state.nu[key];
        const d = state.diag[key];
        const n = u.length;
        for (let i = 0; i < n; i++) {
          const mi = b1 * m[i] + c1 * u[i];
          const di = d[i];
          const si = b2 * s[i] + c2 * di * di;
          m[i] = mi;
          s[i] = si;
          const root = Math.sqrt(si) / sqrtBc2;
          const den = (k === 1 ? root : Math.pow(root, k)) + eps;
          u[i] = mi / bc1 / den;
        }
      }
    },
  };
}

export interface AdahessianOptions extends ScaleByAdahessianOptions {
  /** Learning rate (number ≥ 0 or schedule of the update count). Default 0.15. */
  lr?: ScalarOrSchedule;
  /** Decoupled weight decay λ ≥ 0 (default 0; the official CV script uses 5e-4/lr). */
  weightDecay?: ScalarOrSchedule;
}

/** The state of {@link adahessian}: the states of its three chained blocks. */
export type AdahessianState = [ScaleByAdahessianState, AddDecayedWeightsState, CountState];

/**
 * AdaHessian (Yao et al., AAAI 2021): `chain(scaleByAdahessian(options), addDecayedWeights(λ),
 * scaleByLearningRate(lr))`, i.e. θ ← θ − lr_t·((m/(1 − β1^t)) / den + λθ) with den from
 * {@link scaleByAdahessian}. Defaults from the official `optim_adahessian.py`: lr 0.15, β1 0.9,
 * β2 0.999, ε 1e-4, λ 0, k 1; plus blockSize 1, hessianEvery 1, samples 1. Every step needs
 * `ctx.hvp` (Optimizer.step(grads, {hvp}) or core's `minimize` on an Objective with `hvp`); without an
 * analytic HVP use {@link centralDifferenceHvp}.
 */
export function adahessian(options: AdahessianOptions = {}): GradientTransformation<AdahessianState> {
  const fn = 'adahessian';
  if (options === null || typeof options !== 'object') {
    throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object`, 'options');
  }
  const lr = checkScalarOrSchedule(options.lr ?? 0.15, 'lr', { min: 0 }, fn);
  const wd = checkScalarOrSchedule(options.weightDecay ?? 0, 'weightDecay', { min: 0 }, fn);
  return chain(scaleByAdahessian(options), addDecayedWeights(wd), scaleByLearningRate(lr)) as unknown as GradientTransformation<AdahessianState>;
}

/** Summary of the current averaged Hessian-diagonal estimate D̄ of an AdaHessian state. */
export interface HessianDiagonalStats {
  /** Mean of |D̄| over all entries. */
  mean: number;
  /** Minimum of |D̄| (small values mean large steps, capped by ε). */
  min: number;
  /** Hessian-vector products computed so far. */
  hvpCalls: number;
}

/** {@link HessianDiagonalStats} of a {@link scaleByAdahessian} or {@link adahessian} state. */
export function hessianDiagonalStats(state: ScaleByAdahessianState | AdahessianState): HessianDiagonalStats {
  const s = (Array.isArray(state) ? state[0] : state) as ScaleByAdahessianState;
  if (s === null || typeof s !== 'object' || typeof s.diag !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', 'hessianDiagonalStats: state is not an AdaHessian state', 'state');
  }
  let sum = 0;
  let count = 0;
  let min = Number.POSITIVE_INFINITY;
  for (const key in s.diag) {
    const d = s.diag[key];
    for (let i = 0; i < d.length; i++) {
      const a = Math.abs(d[i]);
      sum += a;
      if (a < min) min = a;
    }
    count += d.length;
  }
  return { mean: count > 0 ? sum / count : 0, min: count > 0 ? min : 0, hvpCalls: s.hvpCalls };
}
