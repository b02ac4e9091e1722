/**
 * Learning rate as a function of batch size, and the SLQ-based on-the-fly learning-rate / momentum
 * learner.
 *
 * Paper: D. Granziol, S. Zohren, S. Roberts, "Learning Rates as a Function of Batch Size: A Random
 * Matrix Theory Approach to Neural Network Training", JMLR 23 (2022), arXiv 2006.09092; method card
 * shared/methods/batch-size-lr.md §2 A and C. The learner's exact formulas could not be re-read
 * (card §2 C.4): α = c/λ̂_max with fixed heavy-ball momentum ρ and α·(1 − ρ) is the card's
 * reconstruction, and the `'polyak'` rule is provided but unsafe with small batches.
 */
import {
  OptkitError,
  checkChoice,
  checkOption,
  checkParams,
  rngFrom,
  type GradientTransformation,
  type Params,
  type Rng,
} from '@optkit/core';
import { lanczos, type LanczosOptions } from './slq.js';

export interface ScaleLrOptions {
  /** `'linear'` (SGD, momentum SGD; default), `'sqrt'` (Adam, AdamW, LAMB, Lion), `'none'`. */
  rule?: 'linear' | 'sqrt' | 'none';
  /** Critical batch size B*: beyond it the rate stays at its value at B* (saturation). Default: no cap. */
  criticalBatch?: number;
}

/**
 * The batch-size scaling rule (card §2 A): given lr₀ tuned at batch b₀, the lr for batch b is
 * lr₀·(min(b, B*)/b₀) (linear) or lr₀·√(min(b, B*)/b₀) (square root), lr₀ for `'none'`.
 * Pair it with a warm-up (≈5% of steps) and a divergence check; the rules are asymptotic.
 */
export function scaleLr(lr0: number, b0: number, b: number, options: ScaleLrOptions = {}): number {
  const fn = 'scaleLr';
  checkOption(lr0, 'lr0', { min: 0 }, fn);
  checkOption(b0, 'b0', { min: 0, minExclusive: true }, fn);
  checkOption(b, 'b', { min: 0, minExclusive: true }, fn);
  const rule = checkChoice(options.rule ?? 'linear', ['linear', 'sqrt', 'none'] as const, 'rule', fn);
  const cap = options.criticalBatch === undefined ? Infinity : checkOption(options.criticalBatch, 'criticalBatch', { min: 0, minExclusive: true }, fn);
  if (rule === 'none') return lr0;
  const ratio = Math.min(b, cap) / b0;
  return rule === 'linear' ? lr0 * ratio : lr0 * Math.sqrt(ratio);
}

/**
 * λ̂_max of a (batch) Hessian from its HVP by Lanczos with full re-orthogonalisation (default 20
 * steps): the largest Ritz value. `hvp(v, out)` writes H·v into out.
 */
export function batchHessianTopEigen(
  hvp: (v: Float64Array, out: Float64Array) => void,
  dim: number,
  options: LanczosOptions & { probes?: number } = {},
): number {
  const fn = 'batchHessianTopEigen';
  if (typeof hvp !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: hvp must be a function (v, out) => void`, 'hvp');
  checkOption(dim, 'dim', { min: 1, integer: true }, fn);
  const probes = checkOption(options.probes ?? 1, 'probes', { min: 1, integer: true }, fn);
  const rng = rngFrom({ seed: options.seed ?? 0, rng: options.rng });
  let top = -Infinity;
  for (let p = 0; p < probes; p++) {
    const r = lanczos({ dim, hvp }, { ...options, rng: rng.split(), seed: undefined });
    top = Math.max(top, r.ritzValues[r.iterations - 1]);
  }
  return top;
}

export interface SlqLearnerOptions {
  /** Refresh every this many steps (default 100; the paper refreshes once per epoch). The first step always refreshes. */
  every?: number;
  /** Lanczos steps (default 20). */
  steps?: number;
  /** Lanczos probes; λ̂_max is the max over them (default 1). */
  probes?: number;
  /** Stability factor c in (0, 2): α = c/λ̂_max (default 1, half the stability limit). */
  c?: number;
  /** Heavy-ball momentum ρ in [0, 1) with the step α·(1 − ρ) (default 0.9), or `'polyak'` (ρ, α of the heavy-ball optimum on [λ̂_min⁺, λ̂_max]; UNSAFE with small batches, card E3). */
  momentum?: number | 'polyak';
  /** Use the Cauchy step gᵀg/gᵀHg at each refresh, clamped to ≤ c/λ̂_max (default false). */
  cauchy?: boolean;
  /** Weight decay λ_wd ≥ 0 included in the curvature operator as H + λ_wd·I (default 0; card pitfall). */
  weightDecay?: number;
  /** Seed of the Lanczos probes (default 0). */
  seed?: number;
}

/** One learner refresh, recorded in the state. */
export interface SlqRefresh {
  step: number;
  lr: number;
  momentum: number;
  lambdaMax: number;
  ritzValues: Float64Array;
}

export interface SlqLearnerState {
  count: number;
  /** Learning rate α in use (already multiplied by 1 − ρ for the fixed-momentum rule). */
  lr: number;
  /** Momentum ρ in use. */
  momentum: number;
  /** λ̂_max of the last refresh (0 before the first). */
  lambdaMax: number;
  /** Heavy-ball buffer v (same names, dtypes, lengths as the params). */
  trace: Params;
  /** Flat work vectors for the Lanczos HVPs. */
  flatIn: Float64Array;
  flatOut: Float64Array;
  /** Refresh history (not typed arrays of the params: one entry per refresh). */
  history: SlqRefresh[];
}

/**
 * The SLQ learning-rate / momentum learner (card §2 C) as a complete optimizer: every `every` steps
 * it runs Lanczos on v ↦ H_B v (+ λ_wd v) through `ctx.hvp` (the HVP of the CURRENT mini-batch, i.e.
 * of the training batch size), sets α = c/λ̂_max and, for fixed momentum ρ, uses α(1 − ρ) so the
 * effective step α keeps the stability margin; `'polyak'`: ρ = ((√L − √μ)/(√L + √μ))²,
 * α = 4/(√L + √μ)² with L = λ̂_max, μ = smallest Ritz value above 1e-3·L. The step is the heavy ball
 * v ← ρv + g, θ ← θ − αv. The update includes the sign (add it to the params; no separate lr).
 * `ctx.hvp` is required at refresh steps (INVALID_ARGUMENT otherwise). History: `state.history`.
 */
export function slqLearner(options: SlqLearnerOptions = {}): GradientTransformation<SlqLearnerState> {
  const fn = 'slqLearner';
  const every = checkOption(options.every ?? 100, 'every', { min: 1, integer: true }, fn);
  const steps = checkOption(options.steps ?? 20, 'steps', { min: 1, integer: true }, fn);
  const probes = checkOption(options.probes ?? 1, 'probes', { min: 1, integer: true }, fn);
  const c = checkOption(options.c ?? 1, 'c', { min: 0, max: 2, minExclusive: true, maxExclusive: true }, fn);
  const mom = options.momentum ?? 0.9;
  if (mom !== 'polyak') checkOption(mom, 'momentum', { min: 0, max: 1, maxExclusive: true }, fn);
  const cauchy = options.cauchy === true;
  const wd = checkOption(options.weightDecay ?? 0, 'weightDecay', { min: 0 }, fn);
  const seed = options.seed ?? 0;
  let rng: Rng | undefined;
  return {
    init(params) {
      checkParams(params, 'params', fn);
      const trace: Params = {};
      let d = 0;
      for (const key in params) {
        const p = params[key];
        trace[key] = p instanceof Float32Array ? new Float32Array(p.length) : new Float64Array(p.length);
        d += p.length;
      }
      if (d === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: params hold no entries`, 'params');
      rng = rngFrom({ seed });
      return { count: 0, lr: 0, momentum: 0, lambdaMax: 0, trace, flatIn: new Float64Array(d), flatOut: new Float64Array(d), history: [] };
    },
    update(updates, state, _params, ctx) {
      if (state.count % every === 0) {
        const hvp = ctx?.hvp;
        if (typeof hvp !== 'function') {
          throw new OptkitError('INVALID_ARGUMENT', `${fn}: step ${state.count} refreshes the learning rate and needs ctx.hvp`, 'ctx.hvp');
        }
        refresh(state, updates, hvp);
      }
      state.count++;
      const rho = state.momentum;
      const a = state.lr;
      for (const key in updates) {
        const u = updates[key];
        const v = state.trace[key];
        if (v === undefined || v.length !== u.length) {
          throw new OptkitError('SHAPE_MISMATCH', `${fn}: updates["${key}"] does not match the params given to init`, `updates.${key}`);
        }
        for (let i = 0; i < u.length; i++) {
          const vi = rho * v[i] + u[i];
          v[i] = vi;
          u[i] = -a * vi;
        }
      }
    },
  };

  function refresh(state: SlqLearnerState, grads: Params, hvp: (v: Params, out: Params) => void): void {
    const { flatIn, flatOut } = state;
    const vP: Params = {};
    const oP: Params = {};
    for (const key in grads) {
      const g = grads[key];
      vP[key] = g instanceof Float32Array ? new Float32Array(g.length) : new Float64Array(g.length);
      oP[key] = g instanceof Float32Array ? new Float32Array(g.length) : new Float64Array(g.length);
    }
    const op = (v: Float64Array, out: Float64Array) => {
      let off = 0;
      for (const key in vP) {
        const t = vP[key];
        for (let i = 0; i < t.length; i++) t[i] = v[off + i];
        off += t.length;
      }
      hvp(vP, oP);
      off = 0;
      for (const key in oP) {
        const t = oP[key];
        for (let i = 0; i < t.length; i++) out[off + i] = t[i] + wd * v[off + i];
        off += t.length;
      }
    };
    const dim = flatIn.length;
    let L = -Infinity;
    let ritzAll: Float64Array = new Float64Array(0);
    let muPlus = Infinity;
    for (let p = 0; p < probes; p++) {
      const r = lanczos({ dim, hvp: op }, { steps, rng: rng!.split() });
      const top = r.ritzValues[r.iterations - 1];
      if (top > L) {
        L = top;
        ritzAll = r.ritzValues;
      }
    }
    for (const th of ritzAll) if (th > 1e-3 * L && th < muPlus) muPlus = th;
    let alpha: number;
    let rho: number;
    if (!(L > 0)) {
      // No positive curvature seen: keep the previous rate (0 on the first refresh means no step).
      alpha = state.lr;
      rho = state.momentum;
    } else if (mom === 'polyak') {
      const sL = Math.sqrt(L);
      const sm = Math.sqrt(muPlus);
      rho = ((sL - sm) / (sL + sm)) ** 2;
      alpha = 4 / (sL + sm) ** 2;
    } else {
      rho = mom;
      let base = c / L;
      if (cauchy) {
        let off = 0;
        for (const key in grads) {
          const g = grads[key];
          for (let i = 0; i < g.length; i++) flatIn[off + i] = g[i];
          off += g.length;
        }
        op(flatIn, flatOut);
        let gg = 0;
        let gHg = 0;
        for (let i = 0; i < dim; i++) {
          gg += flatIn[i] * flatIn[i];
          gHg += flatIn[i] * flatOut[i];
        }
        if (gHg > 0) base = Math.min(base, gg / gHg);
      }
      alpha = base * (1 - rho);
    }
    state.lr = alpha;
    state.momentum = rho;
    state.lambdaMax = L;
    state.history.push({ step: state.count, lr: alpha, momentum: rho, lambdaMax: L, ritzValues: ritzAll });
  }
}
