/**
 * Gradient transformations: optax's optimizer shape (`optax/_src/base.py`, `transform.py`,
 * `alias.py`), rewritten to work in place on typed arrays.
 *
 * An optimizer is a {@link GradientTransformation}: a pair `init(params) → state` and
 * `update(updates, state, params?, ctx?)`. Small transformations (`scaleByAdam`, `addDecayedWeights`,
 * `clipByGlobalNorm`, `scaleByLearningRate`, …) are composed with {@link chain}; a named optimizer is
 * literally a chain (`adam(lr) = chain(scaleByAdam(), scaleByLearningRate(lr))`). Every numeric
 * hyperparameter accepts a number or a {@link Schedule} of the step count.
 *
 * ## The in-place contract (differs from optax, for speed)
 *
 * - `update` returns nothing. It overwrites `updates` in place: the caller passes the gradients and
 *   afterwards the same buffers hold the step to add to the parameters (`applyUpdates`). Callers
 *   that need the gradients afterwards must copy them first.
 * - `state` is mutated in place. Every typed array in a state is allocated once, by `init`, with the
 *   same dtype (Float64Array or Float32Array) and length as the parameter it mirrors; `update` never
 *   replaces or reallocates them, and never allocates per element or per step.
 * - `params` (the current parameters, before this step) are read, never written, by `update`.
 * - A transform counts its own updates (`count` in its state, optax's convention): schedules are
 *   evaluated at the number of updates already applied, so the first update uses `schedule(0)`.
 *   `ctx.step` is informational (the caller's step index) and does not drive schedules.
 * - Stateful transforms check that `updates` has exactly the names, lengths and dtypes of the
 *   params given to `init` (SHAPE_MISMATCH naming the key); this is O(number of tensors) per step.
 * - Arithmetic runs in float64; writes into Float32Array state and updates round to float32.
 */
import { OptkitError, checkOption } from './errors.js';
import type { Rng } from './rng.js';
import { checkScalarOrSchedule, resolve, type ScalarOrSchedule, type Schedule } from './schedule.js';

/** One parameter tensor, flattened. */
export type ParamArray = Float64Array | Float32Array;

/** Named parameter tensors (the "pytree" of optax, flattened to one level of names). */
export type Params = Record<string, ParamArray>;

/** Extra information a step may carry (optax's `GradientTransformationExtraArgs` keywords). */
export interface StepContext {
  /** 0-based index of this step as counted by the caller (the number of steps applied before it). */
  step: number;
  /** The loss at the current parameters, for methods that use it (Polyak-type steps, MoMo). */
  loss?: number;
  /**
   * Hessian-vector product at the current parameters: writes ∇²f(params)·v into `out` (same names,
   * lengths and dtypes as the params; must not modify `v`). For second-order methods (AdaHessian).
   */
  hvp?: (v: Params, out: Params) => void;
  /** A generator for methods that draw random numbers per step. */
  rng?: Rng;
}

/**
 * An optimizer in optax's shape, in place (see the file comment for the contract).
 * `S` is the state type; it must be a plain object or array whose leaves are numbers, booleans or
 * typed arrays allocated by `init`.
 */
export interface GradientTransformation<S = unknown> {
  /** Allocates and returns the state for `params` (read only for names, shapes and dtypes). */
  init(params: Params): S;
  /**
   * Transforms `updates` (on entry: gradients or the previous transform's output) in place into the
   * updates to add to the parameters, mutating `state` in place. `params` are the current
   * parameters (required by transforms that read them, e.g. weight decay).
   */
  update(updates: Params, state: S, params?: Params, ctx?: StepContext): void;
}

/** The state type of a transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

// ---------------------------------------------------------------------------------------------
// Params helpers

function isParamArray(a: unknown): a is ParamArray {
  return a instanceof Float64Array || a instanceof Float32Array;
}

function dtypeOf(a: unknown): string {
  if (a instanceof Float64Array) return 'Float64Array';
  if (a instanceof Float32Array) return 'Float32Array';
  if (a === null) return 'null';
  if (typeof a === 'object') return (a as object).constructor?.name ?? 'object';
  return typeof a;
}

/** Wraps a single parameter vector as {@link Params}: `{[name]: x}` (name default `'x'`). */
export function asParams(x: ParamArray, name = 'x'): Params {
  if (!isParamArray(x)) {
    throw new OptkitError('INVALID_ARGUMENT', `asParams: x is ${dtypeOf(x)}; expected a Float64Array or Float32Array`, 'x');
  }
  return { [name]: x };
}

/**
 * Checks that `params` is an object of Float64Array/Float32Array values (INVALID_ARGUMENT naming
 * the key otherwise). Empty params are allowed.
 */
export function checkParams(params: Params, name = 'params', fn?: string): void {
  const where = fn ? `${fn}: ` : '';
  if (params === null || typeof params !== 'object' || isParamArray(params)) {
    throw new OptkitError(
      'INVALID_ARGUMENT',
      `${where}${name} must be an object of named Float64Array/Float32Array tensors (use asParams(x) for one vector)`,
      name,
    );
  }
  for (const key in params) {
    if (!isParamArray(params[key])) {
      throw new OptkitError(
        'INVALID_ARGUMENT',
        `${where}${name}["${key}"] is ${dtypeOf(params[key])}; expected a Float64Array or Float32Array`,
        `${name}.${key}`,
      );
    }
  }
}

export interface ParamsMatchNames {
  /** How to call the reference in messages (default `'params'`). */
  reference?: string;
  /** How to call the checked object in messages (default `'grads'`). */
  other?: string;
}

/**
 * Checks that `other` has exactly the names of `reference`, each with the same length and dtype;
 * throws SHAPE_MISMATCH naming the key otherwise (missing name, extra name, length or dtype
 * mismatch). O(number of tensors), no allocation when they match.
 */
export function checkParamsMatch(reference: Params, other: Params, fn?: string, names: ParamsMatchNames = {}): void {
  const refName = names.reference ?? 'params';
  const otherName = names.other ?? 'grads';
  const where = fn ? `${fn}: ` : '';
  if (other === null || typeof other !== 'object' || isParamArray(other)) {
    throw new OptkitError(
      'SHAPE_MISMATCH',
      `${where}${otherName} must be an object of named tensors matching ${refName}`,
      otherName,
    );
  }
  let count = 0;
  for (const key in reference) {
    count++;
    const r = reference[key];
    const o = other[key];
    if (o === undefined) {
      throw new OptkitError('SHAPE_MISMATCH', `${where}${otherName} has no entry "${key}"; ${refName} has one`, `${otherName}.${key}`);
    }
    if (!isParamArray(o) || o.constructor !== r.constructor) {
      throw new OptkitError(
        'SHAPE_MISMATCH',
        `${where}${otherName}["${key}"] is ${dtypeOf(o)}; expected ${dtypeOf(r)} like ${refName}["${key}"]`,
        `${otherName}.${key}`,
      );
    }
    if (o.length !== r.length) {
      throw new OptkitError(
        'SHAPE_MISMATCH',
        `${where}${otherName}["${key}"] has length ${o.length}; expected ${r.length} like ${refName}["${key}"]`,
        `${otherName}.${key}`,
      );
    }
  }
  let otherCount = 0;
  for (const _ in other) otherCount++;
  if (otherCount !== count) {
    for (const key in other) {
      if (!(key in reference)) {
        throw new OptkitError('SHAPE_MISMATCH', `${where}${otherName} has an extra entry "${key}" that ${refName} lacks`, `${otherName}.${key}`);
      }
    }
  }
}

/** New zero-filled tensors with the names, lengths and dtypes of `params`. */
export function zerosLike(params: Params): Params {
  checkParams(params, 'params', 'zerosLike');
  const out: Params = {};
  for (const key in params) {
    const p = params[key];
    out[key] = p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
  }
  return out;
}

/** Deep copies of `params` (same names and dtypes). */
export function cloneParams(params: Params): Params {
  checkParams(params, 'params', 'cloneParams');
  const out: Params = {};
  for (const key in params) out[key] = params[key].slice();
  return out;
}

/**
 * The global Euclidean norm √(Σ over all tensors and entries of u²) (optax `global_norm`). Falls
 * back to a scaled second pass when the plain sum of squares overflows.
 */
export function globalNorm(params: Params): number {
  let s = 0;
  for (const key in params) {
    const u = params[key];
    const n = u.length;
    for (let i = 0; i < n; i++) s += u[i] * u[i];
  }
  if (s < Number.POSITIVE_INFINITY) return Math.sqrt(s);
  if (s !== s) return Number.NaN;
  let amax = 0;
  for (const key in params) {
    const u = params[key];
    for (let i = 0; i < u.length; i++) {
      const a = Math.abs(u[i]);
      if (a > amax || a !== a) amax = a;
    }
  }
  if (!(amax < Number.POSITIVE_INFINITY)) return amax; // Infinity (or NaN) in the data
  let t = 0;
  for (const key in params) {
    const u = params[key];
    for (let i = 0; i < u.length; i++) {
      const q = u[i] / amax;
      t += q * q;
    }
  }
  return amax * Math.sqrt(t);
}

/** params ← params + updates, in place (optax `apply_updates`). Checks names, lengths and dtypes. */
export function applyUpdates(params: Params, updates: Params): void {
  checkParamsMatch(params, updates, 'applyUpdates', { reference: 'params', other: 'updates' });
  for (const key in params) {
    const p = params[key];
    const u = updates[key];
    const n = p.length;
    for (let i = 0; i < n; i++) p[i] += u[i];
  }
}

function scaleInPlace(updates: Params, s: number): void {
  for (const key in updates) {
    const u = updates[key];
    const n = u.length;
    for (let i = 0; i < n; i++) u[i] *= s;
  }
}

function checkTransform(t: unknown, name: string, fn: string): void {
  const g = t as GradientTransformation;
  if (g === null || typeof g !== 'object' || typeof g.init !== 'function' || typeof g.update !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a GradientTransformation {init, update}`, name);
  }
}

const INIT_NAMES: ParamsMatchNames = { reference: 'the params given to init', other: 'updates' };

// ---------------------------------------------------------------------------------------------
// Combinators and building blocks

/**
 * Applies `transforms` in sequence (optax `chain`): each one's output updates are the next one's
 * input. The state is the array of the inner states, in order.
 */
export function chain<T extends readonly GradientTransformation<any>[]>(
  ...transforms: T
): GradientTransformation<{ -readonly [K in keyof T]: StateOf<T[K]> }> {
  transforms.forEach((t, i) => checkTransform(t, `transforms[${i}]`, 'chain'));
  const ts = transforms.slice();
  type S = { -readonly [K in keyof T]: StateOf<T[K]> };
  return {
    init(params) {
      return ts.map((t) => t.init(params)) as unknown as S;
    },
    update(updates, state, params, ctx) {
      const states = state as unknown as unknown[];
      for (let i = 0; i < ts.length; i++) ts[i].update(updates, states[i], params, ctx);
    },
  };
}

/** Stateless no-op (optax `identity`). */
export function identity(): GradientTransformation<Record<string, never>> {
  return { init: () => ({}), update: () => {} };
}

/** State of transforms whose only state is the update count (for their schedules). */
export interface CountState {
  /** Updates applied so far. */
  count: number;
}

/** updates ← factor·updates (optax `scale`; a schedule makes it `scale_by_schedule`). */
export function scale(factor: ScalarOrSchedule): GradientTransformation<CountState> {
  checkScalarOrSchedule(factor, 'factor', {}, 'scale');
  return {
    init: () => ({ count: 0 }),
    update(updates, state) {
      const s = resolve(factor, state.count, 'factor');
      state.count++;
      if (s !== 1) scaleInPlace(updates, s);
    },
  };
}

/** updates ← schedule(count)·updates (optax `scale_by_schedule`). */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<CountState> {
  if (typeof schedule !== 'function') {
    throw new OptkitError('INVALID_OPTION', `scaleBySchedule: schedule is ${typeof schedule}; expected a function (step) => number`, 'schedule');
  }
  return scale(schedule);
}

export interface ScaleByLearningRateOptions {
  /** Multiply by −lr (descent) rather than +lr (default true). */
  flipSign?: boolean;
}

/**
 * updates ← −lr·updates (optax `scale_by_learning_rate`). `lr` is a number ≥ 0 or a schedule of the
 * update count.
 */
export function scaleByLearningRate(
  lr: ScalarOrSchedule,
  options: ScaleByLearningRateOptions = {},
): GradientTransformation<CountState> {
  checkScalarOrSchedule(lr, 'lr', { min: 0 }, 'scaleByLearningRate');
  const sign = options.flipSign === false ? 1 : -1;
  return {
    init: () => ({ count: 0 }),
    update(updates, state) {
      const s = sign * resolve(lr, state.count, 'lr');
      state.count++;
      scaleInPlace(updates, s);
    },
  };
}

/** Which parameters get weight decay: true for the names to decay. */
export type WeightDecayMask = (name: string) => boolean;

export interface AddDecayedWeightsState extends CountState {
  /** Per parameter name, whether it is decayed (the mask evaluated once at init). */
  decayed: Record<string, boolean>;
}

/**
 * updates ← updates + λ·params (optax `add_decayed_weights`): decoupled weight decay when placed
 * before `scaleByLearningRate` (AdamW, Loshchilov & Hutter, arXiv 1711.05101), so the effective
 * per-step decay is lr·λ. `mask(name)` selects the decayed tensors (default: all); it is evaluated
 * once per name at init. Needs `params` in `update` (INVALID_ARGUMENT otherwise).
 */
export function addDecayedWeights(
  weightDecay: ScalarOrSchedule = 0,
  mask?: WeightDecayMask,
): GradientTransformation<AddDecayedWeightsState> {
  const fn = 'addDecayedWeights';
  checkScalarOrSchedule(weightDecay, 'weightDecay', { min: 0 }, fn);
  if (mask !== undefined && typeof mask !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${fn}: mask must be a function (name) => boolean`, 'mask');
  }
  return {
    init(params) {
      checkParams(params, 'params', fn);
      const decayed: Record<string, boolean> = {};
      for (const key in params) decayed[key] = mask ? mask(key) === true : true;
      return { count: 0, decayed };
    },
    update(updates, state, params) {
      if (params === undefined) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs params (the current parameters)`, 'params');
      }
      checkParamsMatch(params, updates, fn, { reference: 'params', other: 'updates' });
      const wd = resolve(weightDecay, state.count, 'weightDecay');
      state.count++;
      if (wd === 0) return;
      for (const key in updates) {
        if (state.decayed[key] !== true) continue;
        const u = updates[key];
        const p = params[key];
        const n = u.length;
        for (let i = 0; i < n; i++) u[i] += wd * p[i];
      }
    },
  };
}

/**
 * Rescales the updates so that their global norm is at most `maxNorm` (optax `clip_by_global_norm`;
 * Pascanu et al., arXiv 1211.5063): u ← u·maxNorm/‖u‖ when ‖u‖ > maxNorm, else unchanged.
 */
export function clipByGlobalNorm(maxNorm: ScalarOrSchedule): GradientTransformation<CountState> {
  checkScalarOrSchedule(maxNorm, 'maxNorm', { min: 0, minExclusive: true }, 'clipByGlobalNorm');
  return {
    init: () => ({ count: 0 }),
    update(updates, state) {
      const m = resolve(maxNorm, state.count, 'maxNorm');
      state.count++;
      const norm = globalNorm(updates);
      if (norm > m) scaleInPlace(updates, m / norm);
    },
  };
}

export interface TraceMomentumOptions {
  /** Momentum decay μ in [0, 1) (default 0.9). */
  decay?: ScalarOrSchedule;
  /** Nesterov's variant (default false). */
  nesterov?: boolean;
}

export interface TraceMomentumState extends CountState {
  /** The momentum buffer t, one per parameter (same dtype and length). */
  trace: Params;
}

/**
 * Heavy-ball momentum (optax `trace`, PyTorch SGD without dampening): t ← g + μ·t, and the update is
 * t, or g + μ·t with `nesterov` (Sutskever et al. 2013 form).
 */
export function traceMomentum(options: TraceMomentumOptions = {}): GradientTransformation<TraceMomentumState> {
  const fn = 'traceMomentum';
  const decay = checkScalarOrSchedule(options.decay ?? 0.9, 'decay', { min: 0, max: 1, maxExclusive: true }, fn);
  const nesterov = options.nesterov === true;
  return {
    init(params) {
      checkParams(params, 'params', fn);
      return { count: 0, trace: zerosLike(params) };
    },
    update(updates, state) {
      checkParamsMatch(state.trace, updates, fn, INIT_NAMES);
      const mu = resolve(decay, state.count, 'decay');
      state.count++;
      for (const key in updates) {
        const u = updates[key];
        const t = state.trace[key];
        const n = u.length;
        if (nesterov) {
          for (let i = 0; i < n; i++) {
            const g = u[i];
            const ti = g + mu * t[i];
            t[i] = ti;
            u[i] = g + mu * ti;
          }
        } else {
          for (let i = 0; i < n; i++) {
            const ti = u[i] + mu * t[i];
            t[i] = ti;
            u[i] = ti;
          }
        }
      }
    },
  };
}

export interface SgdOptions {
  /** Momentum μ in [0, 1); omitted or 0 means plain SGD with no momentum state (default). */
  momentum?: ScalarOrSchedule;
  /** Nesterov momentum (default false; needs `momentum`). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (optax `sgd`): `chain(traceMomentum({decay: momentum, nesterov}),
 * scaleByLearningRate(lr))`, or just `scaleByLearningRate(lr)` without momentum. The step is
 * θ ← θ − lr·t with t ← g + μ·t (PyTorch's SGD with dampening 0).
 */
export function sgd(lr: ScalarOrSchedule, options: SgdOptions = {}): GradientTransformation<unknown[]> {
  const fn = 'sgd';
  checkScalarOrSchedule(lr, 'lr', { min: 0 }, fn);
  const m = options.momentum;
  const hasMomentum = m !== undefined && m !== 0;
  if (options.nesterov === true && !hasMomentum) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option nesterov needs a momentum > 0`, 'nesterov');
  }
  if (!hasMomentum) return chain(scaleByLearningRate(lr));
  return chain(traceMomentum({ decay: m, nesterov: options.nesterov }), scaleByLearningRate(lr));
}

export interface ScaleByAdamOptions {
  /** Decay of the first-moment EMA, in [0, 1) (default 0.9). */
  b1?: ScalarOrSchedule;
  /** Decay of the second-moment EMA, in [0, 1) (default 0.999). */
  b2?: ScalarOrSchedule;
  /** Added to the denominator outside the square root (default 1e-8). */
  eps?: ScalarOrSchedule;
  /** Added inside the square root (default 0; optax `eps_root`). */
  epsRoot?: ScalarOrSchedule;
}

export interface ScaleByAdamState extends CountState {
  /** First-moment EMA m (same dtype and length as each parameter). */
  mu: Params;
  /** Second-moment EMA v. */
  nu: Params;
  /** Π b1 over the updates so far (b1^count for a constant b1), for bias correction. */
  b1Power: number;
  /** Π b2 over the updates so far. */
  b2Power: number;
}

/**
 * Adam's preconditioning (Kingma & Ba, arXiv 1412.6980; optax `scale_by_adam`):
 * m ← b1·m + (1 − b1)·g, v ← b2·v + (1 − b2)·g², u = m̂ / (√(v̂ + epsRoot) + eps) with the bias
 * corrections m̂ = m/(1 − Πb1), v̂ = v/(1 − Πb2). The products Πb replace b^t so that scheduled betas
 * stay unbiased (tfjs keeps the same running products); for constant betas they equal b^t to
 * rounding. One fused loop per tensor.
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const fn = 'scaleByAdam';
  const beta = { min: 0, max: 1, maxExclusive: true };
  const b1o = checkScalarOrSchedule(options.b1 ?? 0.9, 'b1', beta, fn);
  const b2o = checkScalarOrSchedule(options.b2 ?? 0.999, 'b2', beta, fn);
  const epso = checkScalarOrSchedule(options.eps ?? 1e-8, 'eps', { min: 0 }, fn);
  const epsRooto = checkScalarOrSchedule(options.epsRoot ?? 0, 'epsRoot', { min: 0 }, fn);
  return {
    init(params) {
      checkParams(params, 'params', fn);
      return { count: 0, mu: zerosLike(params), nu: zerosLike(params), b1Power: 1, b2Power: 1 };
    },
    update(updates, state) {
      checkParamsMatch(state.mu, updates, fn, INIT_NAMES);
      const t = state.count;
      const b1 = resolve(b1o, t, 'b1');
      const b2 = resolve(b2o, t, 'b2');
      if (!(b1 >= 0 && b1 < 1)) checkOption(b1, 'b1', beta, fn);
      if (!(b2 >= 0 && b2 < 1)) checkOption(b2, 'b2', beta, fn);
      const eps = resolve(epso, t, 'eps');
      const epsRoot = resolve(epsRooto, t, 'epsRoot');
      state.b1Power *= b1;
      state.b2Power *= b2;
      state.count = t + 1;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const r1 = 1 / (1 - state.b1Power);
      const r2 = 1 / (1 - state.b2Power);
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
          u[i] = (mi * r1) / (Math.sqrt(vi * r2 + epsRoot) + eps);
        }
      }
    },
  };
}

/** Adam (optax `adam`): `chain(scaleByAdam(options), scaleByLearningRate(lr))`. */
export function adam(
  lr: ScalarOrSchedule,
  options: ScaleByAdamOptions = {},
): GradientTransformation<[ScaleByAdamState, CountState]> {
  checkScalarOrSchedule(lr, 'lr', { min: 0 }, 'adam');
  return chain(scaleByAdam(options), scaleByLearningRate(lr));
}
