/**
 * `OptkitLars`: LARS (You, Gitman, Ginsburg, "Large Batch Training of Convolutional Networks",
 * arXiv 1708.03888) in TF-Addons' form as a TensorFlow.js optimizer; the same update as the float
 * `lars` of src/lars.ts (shared/methods/lamb.md §2):
 *
 *     τ = η‖w‖/(‖g‖ + λ‖w‖ + ε) if ‖w‖ > 0 and ‖g‖ > 0, else 1;   v ← μv + lr·τ·(g + λw)
 *     w ← w − v            (Nesterov: w ← w − (μv + lr·τ·(g + λw)))
 *
 * Skipped variables (regex sources in `skip`, searched in the name) get τ = 1 and no decay. Defaults
 * (TF-Addons): learningRate 1e-3, momentum 0.9, weightDecay 1e-4, trustCoefficient 1e-3, epsilon 0,
 * nesterov false, skip none. Slot `v` (velocity); saved weights `[iter, ...v]`. Registered as
 * 'optkit.LARS'.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitTfOptimizer, checkTfOption, compilePatterns, matchesAny, type VariableStep } from './base.js';

export interface OptkitLarsConfig {
  /** Learning rate ≥ 0 (default 1e-3). */
  learningRate?: number;
  /** Momentum μ in [0, 1) (default 0.9). */
  momentum?: number;
  /** Weight decay λ ≥ 0 added to the gradient (default 1e-4). */
  weightDecay?: number;
  /** Trust coefficient η > 0 (default 1e-3). */
  trustCoefficient?: number;
  /** ε ≥ 0 in the trust-ratio denominator (default 0). */
  epsilon?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Regex sources of variables skipped by LARS (default none). */
  skip?: string[];
}

export class OptkitLars extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.LARS';
  }
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly trustCoefficient: number;
  readonly epsilon: number;
  readonly nesterov: boolean;
  readonly skip: string[] | undefined;
  private readonly skipPatterns: RegExp[];

  constructor(config: OptkitLarsConfig = {}) {
    super(['v']);
    const fn = 'OptkitLars';
    this.learningRate = checkTfOption(config.learningRate ?? 1e-3, 'learningRate', fn, { min: 0 });
    this.momentum = checkTfOption(config.momentum ?? 0.9, 'momentum', fn, { min: 0, max: 1, maxExclusive: true });
    this.weightDecay = checkTfOption(config.weightDecay ?? 1e-4, 'weightDecay', fn, { min: 0 });
    this.trustCoefficient = checkTfOption(config.trustCoefficient ?? 1e-3, 'trustCoefficient', fn, { min: 0, minExclusive: true });
    this.epsilon = checkTfOption(config.epsilon ?? 0, 'epsilon', fn, { min: 0 });
    this.nesterov = config.nesterov === true;
    this.skipPatterns = compilePatterns(config.skip, 'skip', fn);
    this.skip = config.skip?.slice();
  }

  protected override beforeStep(): void {
    checkTfOption(this.learningRate, 'learningRate', 'OptkitLars', { min: 0 });
  }

  protected applyToVariable({ variable, gradient, slots: [v], name }: VariableStep): void {
    const lr = this.learningRate;
    let scaled: tf.Tensor; // lr·τ·(g + λw)
    if (matchesAny(this.skipPatterns, name)) {
      scaled = tf.mul(gradient, lr);
    } else {
      const wNorm = tf.norm(variable);
      const gNorm = tf.norm(gradient);
      const ok = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(gNorm, 0));
      const den = tf.add(tf.add(gNorm, tf.mul(wNorm, this.weightDecay)), this.epsilon);
      const tau = tf.where(ok, tf.div(tf.mul(wNorm, this.trustCoefficient), tf.where(ok, den, tf.onesLike(den))), tf.onesLike(den));
      const decayed = this.weightDecay === 0 ? gradient : tf.add(gradient, tf.mul(variable, this.weightDecay));
      scaled = tf.mul(decayed, tf.mul(tau, lr));
    }
    const vNew = tf.add(tf.mul(v, this.momentum), scaled);
    const step = this.nesterov ? tf.add(tf.mul(vNew, this.momentum), scaled) : vNew;
    variable.assign(tf.sub(variable, step));
    v.assign(vNew);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = {
      learningRate: this.learningRate,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
      trustCoefficient: this.trustCoefficient,
      epsilon: this.epsilon,
      nesterov: this.nesterov,
    };
    if (this.skip !== undefined) c.skip = this.skip.slice();
    return c;
  }
}

tf.serialization.registerClass(OptkitLars);
