/**
 * Lion-𝒦: L. Chen, B. Liu, K. Liang, Q. Liu, "Lion Secretly Solves Constrained Optimization: As
 * Lyapunov Predicts", arXiv 2310.05898 (ICLR 2024). No official code exists.
 *
 * Lion with sign(·) replaced by a (sub)gradient ∇𝒦 of a convex function 𝒦. With decoupled weight
 * decay λ > 0 it solves min_x f(x) + (1/λ)𝒦*(λx); for 𝒦 = ‖·‖₁ (∇𝒦 = sign, i.e. Lion) that is
 *
 *     min f(x)  subject to  ‖x‖∞ ≤ 1/λ        (the box view of Lion's weight decay).
 *
 * Update (optkit's convention: m stores the POSITIVE gradient EMA, as in lion.ts; the paper's m is
 * its negative, which is the same algorithm for odd ∇𝒦):
 *
 *     c = β₁m + (1 − β₁)g
 *     explicit decay (default, = official Lion):  x ← x − lr_t·(∇𝒦(c) + λx)
 *     implicit decay:                             x ← (x − lr_t·∇𝒦(c)) / (1 + lr_t·λ)
 *     m ← β₂m + (1 − β₂)g
 *
 * The implicit form is the explicit one with lr_t replaced by lr_t/(1 + lr_t·λ). Two-phase dynamics
 * for ∇𝒦 = sign: outside the box each coordinate's violation shrinks by exactly (1 − lr·λ) per step
 * when the sign points inward; the box is invariant when lr·λ ≤ 1 (checked: INVALID_OPTION otherwise,
 * since with lr·λ > 1 iterates flip sign).
 *
 * The 𝒦 choices ({@link kappa}; conjugate pairs derived on the card, treat the list as ours):
 *
 * | name | ∇𝒦(c) | constraint / term from (1/λ)𝒦*(λx) | acts on |
 * | --- | --- | --- | --- |
 * | `sign` (Lion) | sign(c) | box ‖x‖∞ ≤ 1/λ | element |
 * | `l2` | c/‖c‖₂ (0 at 0) | ball ‖x‖₂ ≤ 1/λ | tensor |
 * | `lp(p)`, p ∈ [1, 2] | sign(c)|c|^{p−1}/‖c‖_p^{p−1} | ‖x‖_q ≤ 1/λ, 1/p + 1/q = 1 | tensor |
 * | `quadratic` | c | (λ/2)‖x‖² (momentum + L2) | element |
 * | `huber(δ)` | clip(c, −δ, δ) | (λ/2)‖x‖² + box ‖x‖∞ ≤ δ/λ | element |
 * | `deadzone(e)` | sign(c)·1[|c| > e] | e‖x‖₁ + box ‖x‖∞ ≤ 1/λ | element |
 * | `relativistic(r)` | c/√(‖c‖² + r²) | ball ‖x‖₂ ≤ 1/λ (barrier-like term) | tensor |
 *
 * Norm-type 𝒦 act on each parameter tensor as a whole ("layer-wise"); the others per element.
 * Tensors excluded from decay by `mask` are unconstrained (λ = 0 for them).
 */
import {
  OptkitError,
  addDecayedWeights,
  chain,
  checkChoice,
  checkOption,
  scaleByLearningRate,
  type GradientTransformation,
  type ParamArray,
  type ScalarOrSchedule,
  type WeightDecayMask,
} from '@optkit/core';
import type { ScaleByLionState } from './lion.js';

import { beginLionDirection, beginLionStep, initLionDecayState, initLionMomentum, lionBetas, lionHyper } from './lion-hyper.js';

/**
 * ∇𝒦 applied to one tensor: writes ∇𝒦(c) into `out`. Must be odd (∇𝒦(−c) = −∇𝒦(c)), must not
 * allocate, and must allow `out === c` (it is called in place on the updates buffer).
 */
export type KappaGrad = (c: ParamArray, out: ParamArray) => void;

/** A named 𝒦 (serialisable) or a custom gradient map. */
export type KappaSpec =
  | 'sign'
  | 'l2'
  | 'quadratic'
  | { lp: number }
  | { huber: number }
  | { deadzone: number }
  | { relativistic: number }
  | KappaGrad;

/** max |c_i| (NaN if any entry is NaN). */
function amax(c: ParamArray): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) {
    const a = Math.abs(c[i]);
    if (a > s || a !== a) s = a;
  }
  return s;
}

/** ‖c‖₂ with scaling by max|c| so that huge or tiny entries neither overflow nor underflow. */
function norm2(c: ParamArray): number {
  const s = amax(c);
  if (s === 0 || !(s < Infinity)) return s;
  let t = 0;
  for (let i = 0; i < c.length; i++) {
    const q = c[i] / s;
    t += q * q;
  }
  return s * Math.sqrt(t);
}

const signGrad: KappaGrad = (c, out) => {
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    out[i] = +(v > 0) - +(v < 0) + v * 0; // branch-free, as lion.ts (NaN for non-finite v)
  }
};

const l2Grad: KappaGrad = (c, out) => {
  const n = norm2(c);
  if (n === 0) {
    out.fill(0);
    return;
  }
  const r = 1 / n;
  for (let i = 0; i < c.length; i++) out[i] = c[i] * r;
};

const quadraticGrad: KappaGrad = (c, out) => {
  if (out !== c) out.set(c);
};

/**
 * The gradient maps of the 𝒦 choices. Parametrised ones validate their parameter
 * (INVALID_OPTION naming it).
 */
export const kappa = {
  /** ∇‖c‖₁ = sign(c) (Lion; sign(0) = 0). Constraint: ‖x‖∞ ≤ 1/λ. */
  sign: signGrad,
  /** ∇‖c‖₂ = c/‖c‖₂ per tensor (0 at c = 0). Constraint: ‖x‖₂ ≤ 1/λ. */
  l2: l2Grad,
  /** ∇½‖c‖² = c: momentum SGD with L2 regularisation (λ/2)‖x‖². */
  quadratic: quadraticGrad,
  /**
   * ∇‖c‖_p = sign(c)|c|^{p−1}/‖c‖_p^{p−1} per tensor, p ∈ [1, 2] (p = 1 is sign, p = 2 is l2).
   * Computed on c/max|c| (the map is scale-invariant), which keeps powers of float32 data finite for
   * p near 1. Constraint: ‖x‖_q ≤ 1/λ with 1/p + 1/q = 1.
   */
  lp(p: number): KappaGrad {
    checkOption(p, 'p', { min: 1, max: 2 }, 'kappa.lp');
    if (p === 1) return signGrad;
    if (p === 2) return l2Grad;
    const pm1 = p - 1;
    return (c, out) => {
      const s = amax(c);
      if (s === 0) {
        out.fill(0);
        return;
      }
      let sum = 0;
      for (let i = 0; i < c.length; i++) sum += Math.abs(c[i] / s) ** p;
      const denom = sum ** (pm1 / p);
      for (let i = 0; i < c.length; i++) {
        const z = c[i] / s;
        out[i] = (z > 0 ? 1 : z < 0 ? -1 : z) * (Math.abs(z) ** pm1 / denom);
      }
    };
  },
  /** ∇ Huber_δ = clip(c, −δ, δ), δ > 0. Term: (λ/2)‖x‖² + box ‖x‖∞ ≤ δ/λ. */
  huber(delta: number): KappaGrad {
    checkOption(delta, 'delta', { min: 0, minExclusive: true }, 'kappa.huber');
    return (c, out) => {
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        out[i] = v > delta ? delta : v < -delta ? -delta : v;
      }
    };
  },
  /** ∇ Σmax(|c_i| − e, 0) = sign(c)·1[|c| > e], e ≥ 0. Term: e‖x‖₁ + box ‖x‖∞ ≤ 1/λ. */
  deadzone(e: number): KappaGrad {
    checkOption(e, 'e', { min: 0 }, 'kappa.deadzone');
    return (c, out) => {
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        out[i] = v > e ? 1 : v < -e ? -1 : v !== v ? v : 0;
      }
    };
  },
  /** ∇√(‖c‖² + r²) = c/√(‖c‖² + r²) per tensor, r > 0. Domain: ball ‖x‖₂ ≤ 1/λ. */
  relativistic(r: number): KappaGrad {
    checkOption(r, 'r', { min: 0, minExclusive: true }, 'kappa.relativistic');
    return (c, out) => {
      const n = norm2(c);
      const d = Math.hypot(n, r);
      for (let i = 0; i < c.length; i++) out[i] = c[i] / d;
    };
  },
};

/** Resolves a {@link KappaSpec} to its gradient map (INVALID_OPTION `kappa` for anything else). */
export function kappaGrad(spec: KappaSpec, fn = 'lionKappa'): KappaGrad {
  if (typeof spec === 'function') return spec;
  if (spec === 'sign') return kappa.sign;
  if (spec === 'l2') return kappa.l2;
  if (spec === 'quadratic') return kappa.quadratic;
  if (spec !== null && typeof spec === 'object') {
    const keys = Object.keys(spec);
    if (keys.length === 1) {
      const k = keys[0];
      const v = (spec as Record<string, number>)[k];
      if (k === 'lp') return kappa.lp(v);
      if (k === 'huber') return kappa.huber(v);
      if (k === 'deadzone') return kappa.deadzone(v);
      if (k === 'relativistic') return kappa.relativistic(v);
    }
  }
  throw new OptkitError(
    'INVALID_OPTION',
    `${fn}: option kappa is ${JSON.stringify(spec)}; expected 'sign', 'l2', 'quadratic', {lp}, {huber}, {deadzone}, {relativistic} or a function (c, out) => void`,
    'kappa',
  );
}

/**
 * How far `x` lies outside the feasible set that 𝒦 and λ induce: max(0, ‖x‖ − radius) in the
 * set's norm (‖·‖∞ radius 1/λ for sign and deadzone, δ/λ for huber; ‖·‖₂ radius 1/λ for l2 and
 * relativistic; ‖·‖_q radius 1/λ for lp(p)). `quadratic` has no constraint (0); λ = 0 means none (0).
 * Custom gradient maps have no known set: INVALID_OPTION.
 */
export function constraintViolation(x: ArrayLike<number>, spec: Exclude<KappaSpec, KappaGrad>, lambda: number): number {
  const fn = 'constraintViolation';
  checkOption(lambda, 'lambda', { min: 0 }, fn);
  kappaGrad(spec as KappaSpec, fn); // validates the spec and its parameter
  if (lambda === 0 || spec === 'quadratic') return 0;
  let radius = 1 / lambda;
  let q = Infinity;
  if (spec === 'l2' || (typeof spec === 'object' && 'relativistic' in spec)) q = 2;
  else if (typeof spec === 'object' && 'lp' in spec) q = spec.lp === 1 ? Infinity : spec.lp / (spec.lp - 1);
  else if (typeof spec === 'object' && 'huber' in spec) radius = spec.huber / lambda;
  let norm: number;
  if (q === Infinity) {
    norm = 0;
    for (let i = 0; i < x.length; i++) norm = Math.max(norm, Math.abs(x[i]));
  } else {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.abs(x[i]) ** q;
    norm = s ** (1 / q);
  }
  return Math.max(0, norm - radius);
}

export interface ScaleByLionKappaOptions {
  /** 𝒦 (default `'sign'` = Lion). */
  kappa?: KappaSpec;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: ScalarOrSchedule;
  /** β₂ in [0, 1) (default 0.99). */
  beta2?: ScalarOrSchedule;
}

export interface LionKappaOptions extends ScaleByLionKappaOptions {
  /** Learning rate ≥ 0 or a schedule (default 1e-4, as Lion). */
  lr?: ScalarOrSchedule;
  /** λ ≥ 0 (default 0: unconstrained). lr_t·λ ≤ 1 is required (INVALID_OPTION otherwise). */
  weightDecay?: ScalarOrSchedule;
  /** `'explicit'` (default, official Lion) or `'implicit'` (x ← (x − lr∇𝒦)/(1 + lrλ)). */
  decay?: 'explicit' | 'implicit';
  /** Which tensors are decayed/constrained: true for the names to decay (default: all). */
  mask?: WeightDecayMask;
}

export interface LionKappaState extends ScaleByLionState {
  decayed: Record<string, boolean>;
}

/** Writes c = β₁m + (1 − β₁)g into `u` (which holds g) and updates m ← β₂m + (1 − β₂)g. */
function interpolate(u: ParamArray, m: ParamArray, b1: number, b2: number): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = 0; i < u.length; i++) {
    const g = u[i];
    const mi = m[i];
    u[i] = b1 * mi + c1 * g;
    m[i] = b2 * mi + c2 * g;
  }
}

/** The Lion-𝒦 direction: updates ← ∇𝒦(β₁m + (1 − β₁)g), m ← β₂m + (1 − β₂)g. */
export function scaleByLionKappa(options: ScaleByLionKappaOptions = {}): GradientTransformation<ScaleByLionState> {
  const fn = 'scaleByLionKappa';
  const grad = kappaGrad(options.kappa ?? 'sign', fn);
  const betas = lionBetas(options, fn);
  return {
    init: (params) => initLionMomentum(params, fn),
    update(updates, state) {
      const { b1, b2 } = beginLionDirection(state, updates, betas, fn);
      for (const key in updates) {
        const u = updates[key];
        interpolate(u, state.mu[key], b1, b2);
        grad(u, u);
      }
    },
  };
}

/**
 * Lion-𝒦 as one transformation. With `decay: 'explicit'` it equals
 * `chain(scaleByLionKappa({kappa, beta1, beta2}), addDecayedWeights(λ, mask), scaleByLearningRate(lr))`
 * bit for bit (float32 included), and with `kappa: 'sign'` it is Lion ({@link lion}) bit for bit.
 * Defaults: kappa 'sign', lr 1e-4, β₁ 0.9, β₂ 0.99, λ 0, decay 'explicit'.
 */
export function lionKappa(options: LionKappaOptions = {}): GradientTransformation<LionKappaState> {
  const fn = 'lionKappa';
  const grad = kappaGrad(options.kappa ?? 'sign', fn);
  const hyper = lionHyper(options, fn);
  const implicit = checkChoice(options.decay ?? 'explicit', ['explicit', 'implicit'] as const, 'decay', fn) === 'implicit';
  const checkProduct = (lr: number, wd: number): void => {
    if (lr * wd > 1) {
      throw new OptkitError(
        'INVALID_OPTION',
        `${fn}: lr·weightDecay = ${lr * wd} > 1; the constraint view (and stability) needs lr·λ ≤ 1`,
        'weightDecay',
      );
    }
  };
  if (typeof hyper.lro === 'number' && typeof hyper.wdo === 'number') checkProduct(hyper.lro, hyper.wdo);
  return {
    init: (params) => initLionDecayState(params, hyper.mask, fn),
    update(updates, state, params) {
      const { b1, b2, lr, wd } = beginLionStep(state, updates, params, hyper, fn, checkProduct);
      for (const key in updates) {
        const u = updates[key];
        interpolate(u, state.mu[key], b1, b2);
        grad(u, u);
        const decay = wd !== 0 && state.decayed[key] === true;
        const lrEff = implicit && decay ? lr / (1 + lr * wd) : lr;
        const nlr = -lrEff;
        const n = u.length;
        if (!decay) {
          for (let i = 0; i < n; i++) u[i] *= nlr;
          continue;
        }
        const p = params![key];
        if (u instanceof Float32Array) {
          // The chain rounds (∇𝒦 + λx) to float32 before the lr multiply; do the same.
          const fr = Math.fround;
          for (let i = 0; i < n; i++) u[i] = fr(u[i] + wd * p[i]) * nlr;
        } else {
          for (let i = 0; i < n; i++) u[i] = (u[i] + wd * p[i]) * nlr;
        }
      }
    },
  };
}

/** Lion-𝒦 with explicit decay as the literal composition (for tests and for users who extend it). */
export function lionKappaChain(options: Omit<LionKappaOptions, 'decay'> = {}): GradientTransformation<unknown[]> {
  return chain(
    scaleByLionKappa({ kappa: options.kappa, beta1: options.beta1, beta2: options.beta2 }),
    addDecayedWeights(options.weightDecay ?? 0, options.mask),
    scaleByLearningRate(options.lr ?? 1e-4),
  );
}
