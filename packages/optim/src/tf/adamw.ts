/**
 * `OptkitAdamW`: AdamW (Loshchilov & Hutter, arXiv 1711.05101) as a TensorFlow.js optimizer (tfjs
 * has none; `tf.train.adam` has no weight decay). The same update as src/adamw.ts:
 *
 *     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  θ ← θ − lr·( m̂/(√v̂ + ε) + λθ )
 *
 * with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), t = iterations + 1; the bias corrections are computed in
 * float64 from the iteration count (so a restored optimizer continues exactly). Defaults:
 * learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8, weightDecay 1e-2. Slots `m`, `v`; saved
 * weights `[iter, ...m, ...v]`. Registered as 'optkit.AdamW'.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitTfOptimizer, checkTfOption, compilePatterns, matchesAny, type VariableStep } from './base.js';

export interface OptkitAdamWConfig {
  /** Learning rate ≥ 0 (default 1e-3). */
  learningRate?: number;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε ≥ 0 (default 1e-8). */
  epsilon?: number;
  /** Decoupled weight decay λ ≥ 0 (default 1e-2). */
  weightDecay?: number;
  /**
   * Regex sources; variables whose name matches one (searched, a trailing ":0" ignored, as TF-Addons
   * does) are not decayed, e.g. `['bias', 'batch_normalization']`. Default: every variable decayed.
   */
  excludeFromWeightDecay?: string[];
}

export class OptkitAdamW extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.AdamW';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly excludeFromWeightDecay: string[] | undefined;
  private readonly decayExcluded: RegExp[];
  private r1 = 1;
  private r2 = 1;

  constructor(config: OptkitAdamWConfig = {}) {
    super(['m', 'v']);
    const fn = 'OptkitAdamW';
    const beta = { min: 0, max: 1, maxExclusive: true };
    this.learningRate = checkTfOption(config.learningRate ?? 1e-3, 'learningRate', fn, { min: 0 });
    this.beta1 = checkTfOption(config.beta1 ?? 0.9, 'beta1', fn, beta);
    this.beta2 = checkTfOption(config.beta2 ?? 0.999, 'beta2', fn, beta);
    this.epsilon = checkTfOption(config.epsilon ?? 1e-8, 'epsilon', fn, { min: 0 });
    this.weightDecay = checkTfOption(config.weightDecay ?? 1e-2, 'weightDecay', fn, { min: 0 });
    this.decayExcluded = compilePatterns(config.excludeFromWeightDecay, 'excludeFromWeightDecay', 'OptkitAdamW');
    this.excludeFromWeightDecay = config.excludeFromWeightDecay?.slice();
  }

  protected override beforeStep(iteration: number): void {
    checkTfOption(this.learningRate, 'learningRate', 'OptkitAdamW', { min: 0 });
    const t = iteration + 1;
    this.r1 = 1 / (1 - this.beta1 ** t);
    this.r2 = 1 / (1 - this.beta2 ** t);
  }

  protected applyToVariable({ variable, gradient, slots: [m, v], name }: VariableStep): void {
    const lr = this.learningRate;
    const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
    const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
    // m̂/(√v̂ + ε) = m·(r1/√r2) / (√v + ε/√r2): the bias corrections fold into two scalars, which
    // saves a full-size multiply per variable (equal to rounding).
    const sr2 = Math.sqrt(this.r2);
    const denom = tf.add(tf.sqrt(vNew), this.epsilon / sr2);
    const dir = tf.div(tf.mul(mNew, (this.r1 * lr) / sr2), denom);
    const decayed = this.weightDecay === 0 || matchesAny(this.decayExcluded, name) ? variable : tf.mul(variable, 1 - lr * this.weightDecay);
    variable.assign(tf.sub(decayed, dir));
    m.assign(mNew);
    v.assign(vNew);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
    if (this.excludeFromWeightDecay !== undefined) config.excludeFromWeightDecay = this.excludeFromWeightDecay.slice();
    return config;
  }
}

tf.serialization.registerClass(OptkitAdamW);
