/**
 * `OptkitLionKappa`: Lion-𝒦 ("Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
 * Chen, Liu, Liang, Liu 2024, arXiv 2310.05898) as a TensorFlow.js optimizer usable in
 * `model.compile`. The same update as the float64 `lionKappa` of src/lion-kappa.ts (see there and
 * shared/methods/lion-kappa.md):
 *
 *     c = β₁m + (1 − β₁)g;   θ ← θ − lr·(∇𝒦(c) + λθ)   (decay 'explicit'; 'implicit': θ ← (θ − lr∇𝒦(c))/(1 + lrλ));
 *     m ← β₂m + (1 − β₂)g
 *
 * With λ > 0 the iterates are driven into (and stay in) the dual-norm ball of 𝒦 of radius 1/λ:
 * ‖θ‖∞ ≤ 1/λ for 𝒦 = sign (Lion), ‖θ‖_q ≤ 1/λ for ℓp (1/p + 1/q = 1), ‖θ‖₂ ≤ 1/λ for l2.
 *
 * 𝒦 is chosen by name so the optimizer serialises: `kappa` ∈ 'sign' | 'l2' | 'lp' (with `p` ∈ [1, 2]) |
 * 'quadratic' | 'huber' (with `delta` > 0) | 'deadzone' (with `e` ≥ 0) | 'relativistic' (with `r` > 0).
 * Norm-type maps act per tensor (each variable is one block), as in the float path.
 * Defaults: learningRate 1e-4, beta1 0.9, beta2 0.99, weightDecay 0, kappa 'sign', decay 'explicit';
 * every variable is decayed when λ > 0 unless `excludeFromWeightDecay` names it.
 * Registered for serialization as 'optkit.LionKappa'; saved weights `[iter, ...m]`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError } from '@optkit/core';
import { OptkitTfOptimizer, checkTfOption, compilePatterns, matchesAny, type VariableStep } from './base.js';

/** See OptkitLion: sign(x) as clip(x·2^64, −1, 1), exact for |x| ≥ 2^-64, avoiding the wasm Sign kernel's flush of |x| ≤ 2^-23. */
const SIGN_SCALE = 2 ** 64;
/** Smallest positive normal float32: a floor for divisors that are 0 only when the numerator is 0. */
const TINY = 1.1754943508222875e-38;

export type TfKappaName = 'sign' | 'l2' | 'lp' | 'quadratic' | 'huber' | 'deadzone' | 'relativistic';

export interface OptkitLionKappaConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** λ ≥ 0 (default 0); learningRate·λ ≤ 1 is required. */
  weightDecay?: number;
  /** The 𝒦 (default 'sign' = Lion). */
  kappa?: TfKappaName;
  /** p for 'lp', in [1, 2] (default 1.5). */
  p?: number;
  /** δ for 'huber' (default 1). */
  delta?: number;
  /** e for 'deadzone' (default 0). */
  e?: number;
  /** r for 'relativistic' (default 1). */
  r?: number;
  decay?: 'explicit' | 'implicit';
  /**
   * Regex sources; variables whose name matches one (searched, a trailing ":0" ignored, as TF-Addons
   * does) are not decayed, e.g. `['bias', 'batch_normalization']`. Default: every variable decayed.
   */
  excludeFromWeightDecay?: string[];
}

function signOf(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.mul(x, SIGN_SCALE), -1, 1);
}

export class OptkitLionKappa extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.LionKappa';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly excludeFromWeightDecay: string[] | undefined;
  private readonly decayExcluded: RegExp[];
  readonly kappa: TfKappaName;
  readonly p: number;
  readonly delta: number;
  readonly e: number;
  readonly r: number;
  readonly decay: 'explicit' | 'implicit';

  constructor(config: OptkitLionKappaConfig = {}) {
    super(['m']);
    const fn = 'OptkitLionKappa';
    this.learningRate = checkTfOption(config.learningRate ?? 1e-4, 'learningRate', fn, { min: 0 });
    this.beta1 = checkTfOption(config.beta1 ?? 0.9, 'beta1', fn, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = checkTfOption(config.beta2 ?? 0.99, 'beta2', fn, { min: 0, max: 1, maxExclusive: true });
    this.weightDecay = checkTfOption(config.weightDecay ?? 0, 'weightDecay', fn, { min: 0 });
    this.decayExcluded = compilePatterns(config.excludeFromWeightDecay, 'excludeFromWeightDecay', fn);
    this.excludeFromWeightDecay = config.excludeFromWeightDecay?.slice();
    const kappa = config.kappa ?? 'sign';
    const names: TfKappaName[] = ['sign', 'l2', 'lp', 'quadratic', 'huber', 'deadzone', 'relativistic'];
    if (!names.includes(kappa)) {
      throw new OptkitError('INVALID_OPTION', `${fn}: kappa must be one of ${names.join(', ')}; got ${String(kappa)}`, 'kappa');
    }
    this.kappa = kappa;
    this.p = checkTfOption(config.p ?? 1.5, 'p', fn, { min: 1, max: 2 });
    this.delta = checkTfOption(config.delta ?? 1, 'delta', fn, { min: 0, minExclusive: true });
    this.e = checkTfOption(config.e ?? 0, 'e', fn, { min: 0 });
    this.r = checkTfOption(config.r ?? 1, 'r', fn, { min: 0, minExclusive: true });
    const decay = config.decay ?? 'explicit';
    if (decay !== 'explicit' && decay !== 'implicit') {
      throw new OptkitError('INVALID_OPTION', `${fn}: decay must be 'explicit' or 'implicit'; got ${String(decay)}`, 'decay');
    }
    this.decay = decay;
    this.checkProduct();
  }

  private checkProduct(): void {
    if (this.learningRate * this.weightDecay > 1) {
      throw new OptkitError(
        'INVALID_OPTION',
        `OptkitLionKappa: learningRate·weightDecay = ${this.learningRate * this.weightDecay} > 1; the constraint view (and stability) needs lr·λ ≤ 1`,
        'weightDecay',
      );
    }
  }

  protected override beforeStep(): void {
    checkTfOption(this.learningRate, 'learningRate', 'OptkitLionKappa', { min: 0 });
    this.checkProduct();
  }

  /** ∇𝒦(c) for one tensor (inside the step's tidy). */
  private direction(c: tf.Tensor): tf.Tensor {
    switch (this.kappa) {
      case 'sign':
        return signOf(c);
      case 'quadratic':
        return c;
      case 'huber':
        return tf.clipByValue(c, -this.delta, this.delta);
      case 'deadzone':
        return tf.where(tf.greater(tf.abs(c), this.e), signOf(c), tf.zerosLike(c));
      default:
        break;
    }
    // Norm-type maps are scale-invariant (or nearly): work on z = c/max|c| so float32 neither
    // overflows nor underflows in the powers and squares.
    const scale = tf.maximum(tf.max(tf.abs(c)), TINY);
    const z = tf.div(c, scale);
    if (this.kappa === 'l2' || (this.kappa === 'lp' && this.p === 2)) {
      return tf.div(z, tf.maximum(tf.norm(z), TINY));
    }
    if (this.kappa === 'relativistic') {
      // c/√(‖c‖² + r²) = z/√(‖z‖² + (r/s)²)
      const ratio = tf.div(this.r, scale);
      return tf.div(z, tf.sqrt(tf.add(tf.sum(tf.square(z)), tf.square(ratio))));
    }
    // lp, 1 ≤ p < 2: sign(z)|z|^{p−1} / (Σ|z|^p)^{(p−1)/p}
    const p = this.p;
    if (p === 1) return signOf(c);
    const abs = tf.abs(z);
    const denom = tf.pow(tf.maximum(tf.sum(tf.pow(abs, p)), TINY), (p - 1) / p);
    return tf.div(tf.mul(signOf(z), tf.pow(abs, p - 1)), denom);
  }

  protected applyToVariable({ variable, gradient, slots: [m], name }: VariableStep): void {
    const lr = this.learningRate;
    const wd = matchesAny(this.decayExcluded, name) ? 0 : this.weightDecay;
    const c = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
    const dir = this.direction(c);
    let next: tf.Tensor;
    if (wd === 0) next = tf.sub(variable, tf.mul(dir, lr));
    else if (this.decay === 'explicit') next = tf.sub(variable, tf.mul(tf.add(dir, tf.mul(variable, wd)), lr));
    else next = tf.div(tf.sub(variable, tf.mul(dir, lr)), 1 + lr * wd);
    variable.assign(next);
    m.assign(tf.add(tf.mul(m, this.beta2), tf.mul(gradient, 1 - this.beta2)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      weightDecay: this.weightDecay,
      kappa: this.kappa,
      p: this.p,
      delta: this.delta,
      e: this.e,
      r: this.r,
      decay: this.decay,
      ...(this.excludeFromWeightDecay !== undefined ? { excludeFromWeightDecay: this.excludeFromWeightDecay.slice() } : {}),
    };
  }
}

tf.serialization.registerClass(OptkitLionKappa);
