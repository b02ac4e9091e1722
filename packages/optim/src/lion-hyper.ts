/**
 * What Lion and Lion-𝒦 share around their update loops: hyperparameter validation at construction,
 * the state made by `init`, and the per-step prologue (names checked against init, schedules resolved
 * at the transform's own count, betas re-checked when scheduled, params required for weight decay).
 * Internal to @optkit/optim (not exported from the package index).
 */
import {
  OptkitError,
  checkOption,
  checkParams,
  checkParamsMatch,
  checkScalarOrSchedule,
  resolve,
  zerosLike,
  type Params,
  type ScalarOrSchedule,
  type WeightDecayMask,
} from '@optkit/core';

/** The valid range of β₁, β₂: [0, 1). */
export const BETA_RANGE = { min: 0, max: 1, maxExclusive: true };
const BETA = BETA_RANGE;
const INIT_NAMES = { reference: 'the params given to init', other: 'updates' };

/** Betas (numbers or schedules) validated once; defaults β₁ = 0.9, β₂ = 0.99. */
export interface LionBetas {
  b1o: ScalarOrSchedule;
  b2o: ScalarOrSchedule;
}

/** Validates the betas of a Lion-family option object. */
export function lionBetas(options: { beta1?: ScalarOrSchedule; beta2?: ScalarOrSchedule }, fn: string): LionBetas {
  return {
    b1o: checkScalarOrSchedule(options.beta1 ?? 0.9, 'beta1', BETA, fn),
    b2o: checkScalarOrSchedule(options.beta2 ?? 0.99, 'beta2', BETA, fn),
  };
}

/** All hyperparameters of a fused Lion-family transform, validated at construction. */
export interface LionHyper extends LionBetas {
  lro: ScalarOrSchedule;
  wdo: ScalarOrSchedule;
  mask: WeightDecayMask | undefined;
}

/** Validates lr (default 1e-4), betas, weightDecay (default 0) and mask of a fused Lion-family transform. */
export function lionHyper(
  options: { lr?: ScalarOrSchedule; beta1?: ScalarOrSchedule; beta2?: ScalarOrSchedule; weightDecay?: ScalarOrSchedule; mask?: WeightDecayMask },
  fn: string,
): LionHyper {
  const lro = checkScalarOrSchedule(options.lr ?? 1e-4, 'lr', { min: 0 }, fn);
  const betas = lionBetas(options, fn);
  const wdo = checkScalarOrSchedule(options.weightDecay ?? 0, 'weightDecay', { min: 0 }, fn);
  const mask = options.mask;
  if (mask !== undefined && typeof mask !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${fn}: option mask must be a function (name) => boolean`, 'mask');
  }
  return { lro, ...betas, wdo, mask };
}

/** Momentum state of the direction transforms. */
export interface LionMomentumState {
  count: number;
  mu: Params;
}

/** State of the fused transforms: momentum plus the weight-decay mask evaluated at init. */
export interface LionDecayState extends LionMomentumState {
  decayed: Record<string, boolean>;
}

/** Zero momentum for `params` (validated). */
export function initLionMomentum(params: Params, fn: string): LionMomentumState {
  checkParams(params, 'params', fn);
  return { count: 0, mu: zerosLike(params) };
}

/** Zero momentum plus, per tensor, whether `mask` selects it for decay (all when no mask). */
export function initLionDecayState(params: Params, mask: WeightDecayMask | undefined, fn: string): LionDecayState {
  const state = initLionMomentum(params, fn) as LionDecayState;
  state.decayed = {};
  for (const key in params) state.decayed[key] = mask ? mask(key) === true : true;
  return state;
}

function resolveBetas(t: number, betas: LionBetas, fn: string): { b1: number; b2: number } {
  const b1 = resolve(betas.b1o, t, 'beta1');
  const b2 = resolve(betas.b2o, t, 'beta2');
  // A schedule may leave [0, 1): re-check the resolved values (cheap when they are fine).
  if (!(b1 >= 0 && b1 < 1)) checkOption(b1, 'beta1', BETA, fn);
  if (!(b2 >= 0 && b2 < 1)) checkOption(b2, 'beta2', BETA, fn);
  return { b1, b2 };
}

/**
 * The direction transforms' step prologue: checks `updates` against the init names, resolves β₁, β₂
 * at the transform's count and advances the count.
 */
export function beginLionDirection(state: LionMomentumState, updates: Params, betas: LionBetas, fn: string): { b1: number; b2: number } {
  checkParamsMatch(state.mu, updates, fn, INIT_NAMES);
  const betasNow = resolveBetas(state.count, betas, fn);
  state.count++;
  return betasNow;
}

/**
 * The fused transforms' step prologue: as {@link beginLionDirection}, plus lr and λ resolved at the
 * same count, `check(lr, λ)` for method-specific constraints, and `params` required and matched when
 * λ ≠ 0. The count advances only when every check passed.
 */
export function beginLionStep(
  state: LionMomentumState,
  updates: Params,
  params: Params | undefined,
  hyper: LionHyper,
  fn: string,
  check?: (lr: number, wd: number) => void,
): { b1: number; b2: number; lr: number; wd: number } {
  checkParamsMatch(state.mu, updates, fn, INIT_NAMES);
  const t = state.count;
  const { b1, b2 } = resolveBetas(t, hyper, fn);
  const lr = resolve(hyper.lro, t, 'lr');
  const wd = resolve(hyper.wdo, t, 'weightDecay');
  check?.(lr, wd);
  if (wd !== 0) {
    if (params === undefined) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs params (the current parameters) when weightDecay > 0`, 'params');
    }
    checkParamsMatch(params, updates, fn, { reference: 'params', other: 'updates' });
  }
  state.count = t + 1;
  return { b1, b2, lr, wd };
}
