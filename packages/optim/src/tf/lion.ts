/**
 * `OptkitLion`: Lion (Chen et al. 2023, arXiv 2302.06675) as a TensorFlow.js optimizer, usable in
 * `model.compile({ optimizer: new OptkitLion({ learningRate: 1e-4 }) })`. The same update as the
 * float64 `lion` of src/lion.ts (see there and shared/methods/lion.md):
 *
 *     c = β₁m + (1 − β₁)g;   θ ← θ − lr·(sign(c) + λθ);   m ← β₂m + (1 − β₂)g
 *
 * Defaults: learningRate 1e-4, beta1 0.9, beta2 0.99, weightDecay 0 (every variable decayed when
 * λ > 0 unless `excludeFromWeightDecay` names it). State: one slot `m`
 * per variable; saved weights `[iter, ...m]`. Registered for serialization as 'optkit.Lion'.
 * `learningRate` is a public field: changing it between steps implements a schedule.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitTfOptimizer, checkTfOption, compilePatterns, matchesAny, type VariableStep } from './base.js';

/** 2^64: see applyToVariable. */
const SIGN_SCALE = 2 ** 64;

export interface OptkitLionConfig {
  /** Learning rate ≥ 0 (default 1e-4). */
  learningRate?: number;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.99). */
  beta2?: number;
  /** Decoupled weight decay λ ≥ 0 (default 0). */
  weightDecay?: number;
  /**
   * Regex sources; variables whose name matches one (searched, a trailing ":0" ignored, as TF-Addons
   * does) are not decayed, e.g. `['bias', 'batch_normalization']`. Default: every variable decayed.
   */
  excludeFromWeightDecay?: string[];
}

export class OptkitLion extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.Lion';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly excludeFromWeightDecay: string[] | undefined;
  private readonly decayExcluded: RegExp[];

  constructor(config: OptkitLionConfig = {}) {
    super(['m']);
    const fn = 'OptkitLion';
    this.learningRate = checkTfOption(config.learningRate ?? 1e-4, 'learningRate', fn, { min: 0 });
    this.beta1 = checkTfOption(config.beta1 ?? 0.9, 'beta1', fn, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = checkTfOption(config.beta2 ?? 0.99, 'beta2', fn, { min: 0, max: 1, maxExclusive: true });
    this.weightDecay = checkTfOption(config.weightDecay ?? 0, 'weightDecay', fn, { min: 0 });
    this.decayExcluded = compilePatterns(config.excludeFromWeightDecay, 'excludeFromWeightDecay', fn);
    this.excludeFromWeightDecay = config.excludeFromWeightDecay?.slice();
  }

  protected override beforeStep(): void {
    checkTfOption(this.learningRate, 'learningRate', 'OptkitLion', { min: 0 });
  }

  protected applyToVariable({ variable, gradient, slots: [m], name }: VariableStep): void {
    const lr = this.learningRate;
    // The step lr·sign(c) is computed as clip(c·2^64·lr, −lr, lr), with the 2^64·lr folded into the
    // two multiplies that form c. Two reasons: the wasm backend's Sign kernel returns 0 for
    // |x| ≤ 2^-23 (float32 epsilon; observed in tfjs-backend-wasm 4.22, the cpu backend is exact),
    // which would zero Lion's step wherever |c| is small; and that kernel is slow (3.4× a multiply
    // here) while a clip costs about one multiply. The result equals lr·sign(c) exactly whenever
    // |c| ≥ 2^-64 ≈ 5.4e-20; below that (a numerically zero direction) the step is lr·c·2^64, i.e.
    // smaller than lr. Overflow would need |m| or |g| above ~1e19/lr.
    const k = SIGN_SCALE * lr;
    const c = tf.add(tf.mul(m, this.beta1 * k), tf.mul(gradient, (1 - this.beta1) * k));
    const step = tf.clipByValue(c, -lr, lr);
    const decayed = this.weightDecay === 0 || matchesAny(this.decayExcluded, name) ? variable : tf.mul(variable, 1 - lr * this.weightDecay);
    variable.assign(tf.sub(decayed, step));
    m.assign(tf.add(tf.mul(m, this.beta2), tf.mul(gradient, 1 - this.beta2)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, weightDecay: this.weightDecay };
    if (this.excludeFromWeightDecay !== undefined) config.excludeFromWeightDecay = this.excludeFromWeightDecay.slice();
    return config;
  }
}

tf.serialization.registerClass(OptkitLion);
