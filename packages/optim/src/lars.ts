/**
 * LARS — layer-wise adaptive rate scaling (Y. You, I. Gitman, B. Ginsburg, "Large Batch Training of
 * Convolutional Networks", arXiv 1708.03888), in the form of TF-Addons `lars.py`; the baseline of the
 * LAMB paper (method card shared/methods/lamb.md §2).
 */
import {
  OptkitError,
  chain,
  checkOption,
  checkParams,
  checkParamsMatch,
  checkScalarOrSchedule,
  resolve,
  scaleByLearningRate,
  traceMomentum,
  type CountState,
  type GradientTransformation,
  type ScalarOrSchedule,
  type TraceMomentumState,
} from '@optkit/core';
import { tensorNorm } from './lamb.js';

export interface ScaleByLarsOptions {
  /** Trust coefficient η > 0 (default 1e-3). */
  trustCoefficient?: ScalarOrSchedule;
  /** Weight decay λ ≥ 0 added to the gradient (default 1e-4). */
  weightDecay?: ScalarOrSchedule;
  /** ε ≥ 0 in the trust-ratio denominator (default 0). */
  epsilon?: ScalarOrSchedule;
  /** Tensors skipped by LARS: τ = 1 and no weight decay (default: none). */
  skip?: (name: string) => boolean;
}

export interface ScaleByLarsState extends CountState {
  /** Per tensor, whether it is skipped (`skip` evaluated once at init). */
  skipped: Record<string, boolean>;
  /** Per tensor, the local rate τ of the last update (1 before the first). */
  ratios: Record<string, number>;
}

/**
 * LARS's local rate (TF-Addons `lars.py`): for each non-skipped tensor w with gradient g,
 * τ = η‖w‖ / (‖g‖ + λ‖w‖ + ε) when ‖w‖ > 0 and ‖g‖ > 0, else τ = 1, and u ← τ·(g + λw); skipped
 * tensors pass through unchanged (τ = 1, no decay). Needs `params` in `update`.
 */
export function scaleByLars(options: ScaleByLarsOptions = {}): GradientTransformation<ScaleByLarsState> {
  const fn = 'scaleByLars';
  const eta = checkScalarOrSchedule(options.trustCoefficient ?? 1e-3, 'trustCoefficient', { min: 0, minExclusive: true }, fn);
  const wdo = checkScalarOrSchedule(options.weightDecay ?? 1e-4, 'weightDecay', { min: 0 }, fn);
  const epso = checkScalarOrSchedule(options.epsilon ?? 0, 'epsilon', { min: 0 }, fn);
  const skip = options.skip;
  if (skip !== undefined && typeof skip !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${fn}: option skip must be a function (name) => boolean`, 'skip');
  }
  return {
    init(params) {
      checkParams(params, 'params', fn);
      const skipped: Record<string, boolean> = {};
      const ratios: Record<string, number> = {};
      for (const key in params) {
        skipped[key] = skip ? skip(key) === true : false;
        ratios[key] = 1;
      }
      return { count: 0, skipped, ratios };
    },
    update(updates, state, params) {
      if (params === undefined) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: update needs params (the current parameters)`, 'params');
      }
      checkParamsMatch(params, updates, fn, { reference: 'params', other: 'updates' });
      const t = state.count;
      const e = resolve(eta, t, 'trustCoefficient');
      const wd = resolve(wdo, t, 'weightDecay');
      const eps = resolve(epso, t, 'epsilon');
      if (!(e > 0)) checkOption(e, 'trustCoefficient', { min: 0, minExclusive: true }, fn);
      state.count = t + 1;
      for (const key in updates) {
        if (state.skipped[key] === true) {
          state.ratios[key] = 1;
          continue;
        }
        const u = updates[key];
        const w = params[key];
        const wn = tensorNorm(w);
        const gn = tensorNorm(u);
        const tau = wn > 0 && gn > 0 ? (e * wn) / (gn + wd * wn + eps) : 1;
        state.ratios[key] = tau;
        const n = u.length;
        for (let i = 0; i < n; i++) u[i] = tau * (u[i] + wd * w[i]);
      }
    },
  };
}

export interface LarsOptions extends ScaleByLarsOptions {
  /** Learning rate (number ≥ 0 or schedule). Default 1e-3 (TF-Addons). */
  lr?: ScalarOrSchedule;
  /** Heavy-ball momentum μ in [0, 1). Default 0.9. */
  momentum?: ScalarOrSchedule;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/** The state of {@link lars}: the states of its chained blocks. */
export type LarsState = [ScaleByLarsState, CountState, TraceMomentumState];

/**
 * LARS in TF-Addons' form: τ and the decayed gradient from {@link scaleByLars}, then momentum with the
 * learning rate inside it,
 *
 *     v ← μ·v + lr_t·τ·(g + λw),   w ← w − v      (Nesterov: w ← w − (μ·v + lr_t·τ·(g + λw)))
 *
 * written as `chain(scaleByLars(...), scaleByLearningRate(lr), traceMomentum({decay: μ, nesterov}))`
 * (the trace holds −v). Defaults (TF-Addons): lr 1e-3, μ 0.9, λ 1e-4, η 1e-3, ε 0, nesterov false,
 * nothing skipped. The LAMB paper states LARS differently — m ← β1·m + (1 − β1)(g + λw),
 * w ← w − lr·φ(‖w‖)·m/‖m‖ (normalising the momentum, not the gradient); we follow the reference code
 * named by the card.
 */
export function lars(options: LarsOptions = {}): GradientTransformation<LarsState> {
  const fn = 'lars';
  if (options === null || typeof options !== 'object') {
    throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object`, 'options');
  }
  const lr = checkScalarOrSchedule(options.lr ?? 1e-3, 'lr', { min: 0 }, fn);
  const momentum = checkScalarOrSchedule(options.momentum ?? 0.9, 'momentum', { min: 0, max: 1, maxExclusive: true }, fn);
  return chain(
    scaleByLars(options),
    scaleByLearningRate(lr),
    traceMomentum({ decay: momentum, nesterov: options.nesterov === true }),
  ) as unknown as GradientTransformation<LarsState>;
}
