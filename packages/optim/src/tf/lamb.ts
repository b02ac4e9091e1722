/**
 * `OptkitLamb`: LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76
 * minutes", arXiv 1904.00962) as a TensorFlow.js optimizer, usable in `model.compile`. The same update
 * as the float `lamb` of src/lamb.ts (see there and shared/methods/lamb.md), per variable w:
 *
 *     m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  u = m̂/(√v̂ + ε) + λw
 *     ρ = φ(‖w‖)/‖u‖ if ‖w‖ > 0 and ‖u‖ > 0, else 1;   w ← w − lr·ρ·u
 *
 * Defaults (TF-Addons): learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-6, weightDecay 0, no
 * exclusions, biasCorrection true, layerAdaptation true, no φ clamp. Exclusion lists are regular
 * expression SOURCES (strings, so the config serialises) searched in the variable name, as TF-Addons;
 * `excludeFromLayerAdaptation` defaults to `excludeFromWeightDecay`. Bias corrections are computed in
 * float64 from the iteration count. Slots `m`, `v`; saved weights `[iter, ...m, ...v]`. Registered as
 * 'optkit.LAMB'. `learningRate` is a public field (set it between steps for a schedule).
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError } from '@optkit/core';
import { OptkitTfOptimizer, checkTfOption, compilePatterns, matchesAny, type VariableStep } from './base.js';

export interface OptkitLambConfig {
  /** Learning rate ≥ 0 (default 1e-3). */
  learningRate?: number;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε ≥ 0 added to √v̂ (default 1e-6). */
  epsilon?: number;
  /** Decoupled weight decay λ ≥ 0, inside the trust-ratio direction (default 0). */
  weightDecay?: number;
  /** Regex sources; a variable whose name matches any gets no weight decay (default none). */
  excludeFromWeightDecay?: string[];
  /** Regex sources; matching variables get ρ = 1 (default: excludeFromWeightDecay). */
  excludeFromLayerAdaptation?: string[];
  /** Adam's bias corrections (default true). */
  biasCorrection?: boolean;
  /** false: ρ ≡ 1, i.e. AdamW with ε = epsilon (default true). */
  layerAdaptation?: boolean;
  /** φ clamp [lo, hi] of the weight norm (default none). */
  clampWeightNorm?: [number, number];
}

export class OptkitLamb extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.LAMB';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly excludeFromWeightDecay: string[] | undefined;
  readonly excludeFromLayerAdaptation: string[] | undefined;
  readonly biasCorrection: boolean;
  readonly layerAdaptation: boolean;
  readonly clampWeightNorm: [number, number] | undefined;
  private readonly decayExcluded: RegExp[];
  private readonly adaptExcluded: RegExp[];
  private r1 = 1;
  private r2 = 1;

  constructor(config: OptkitLambConfig = {}) {
    super(['m', 'v']);
    const fn = 'OptkitLamb';
    const beta = { min: 0, max: 1, maxExclusive: true };
    this.learningRate = checkTfOption(config.learningRate ?? 1e-3, 'learningRate', fn, { min: 0 });
    this.beta1 = checkTfOption(config.beta1 ?? 0.9, 'beta1', fn, beta);
    this.beta2 = checkTfOption(config.beta2 ?? 0.999, 'beta2', fn, beta);
    this.epsilon = checkTfOption(config.epsilon ?? 1e-6, 'epsilon', fn, { min: 0 });
    this.weightDecay = checkTfOption(config.weightDecay ?? 0, 'weightDecay', fn, { min: 0 });
    this.decayExcluded = compilePatterns(config.excludeFromWeightDecay, 'excludeFromWeightDecay', fn);
    this.excludeFromWeightDecay = config.excludeFromWeightDecay?.slice();
    this.excludeFromLayerAdaptation = config.excludeFromLayerAdaptation?.slice();
    this.adaptExcluded =
      config.excludeFromLayerAdaptation === undefined
        ? this.decayExcluded
        : compilePatterns(config.excludeFromLayerAdaptation, 'excludeFromLayerAdaptation', fn);
    this.biasCorrection = config.biasCorrection !== false;
    this.layerAdaptation = config.layerAdaptation !== false;
    if (config.clampWeightNorm !== undefined && config.clampWeightNorm !== null) {
      const c = config.clampWeightNorm;
      if (!Array.isArray(c) || c.length !== 2) {
        throw new OptkitError('INVALID_OPTION', `${fn}: option clampWeightNorm must be a pair [lo, hi]`, 'clampWeightNorm');
      }
      const lo = checkTfOption(c[0], 'clampWeightNorm', fn, { min: 0 });
      const hi = checkTfOption(c[1], 'clampWeightNorm', fn, { min: lo, minExclusive: lo === 0 });
      this.clampWeightNorm = [lo, hi];
    }
  }

  protected override beforeStep(iteration: number): void {
    checkTfOption(this.learningRate, 'learningRate', 'OptkitLamb', { min: 0 });
    const t = iteration + 1;
    this.r1 = this.biasCorrection ? 1 / (1 - this.beta1 ** t) : 1;
    this.r2 = this.biasCorrection ? 1 / (1 - this.beta2 ** t) : 1;
  }

  protected applyToVariable({ variable, gradient, slots: [m, v], name }: VariableStep): void {
    const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
    const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
    let u: tf.Tensor = tf.div(tf.mul(mNew, this.r1), tf.add(tf.sqrt(tf.mul(vNew, this.r2)), this.epsilon));
    if (this.weightDecay !== 0 && !matchesAny(this.decayExcluded, name)) u = tf.add(u, tf.mul(variable, this.weightDecay));
    let scale: tf.Tensor | number = -this.learningRate;
    if (this.layerAdaptation && !matchesAny(this.adaptExcluded, name)) {
      const wNorm = tf.norm(variable);
      const uNorm = tf.norm(u);
      const phi = this.clampWeightNorm ? tf.clipByValue(wNorm, this.clampWeightNorm[0], this.clampWeightNorm[1]) : wNorm;
      const ok = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(uNorm, 0));
      // Divide by 1 where ‖u‖ = 0 so that the unused branch never holds NaN.
      const rho = tf.where(ok, tf.div(phi, tf.where(ok, uNorm, tf.onesLike(uNorm))), tf.onesLike(uNorm));
      scale = tf.mul(rho, -this.learningRate);
    }
    variable.assign(tf.add(variable, tf.mul(u, scale)));
    m.assign(mNew);
    v.assign(vNew);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      biasCorrection: this.biasCorrection,
      layerAdaptation: this.layerAdaptation,
    };
    if (this.excludeFromWeightDecay !== undefined) c.excludeFromWeightDecay = this.excludeFromWeightDecay.slice();
    if (this.excludeFromLayerAdaptation !== undefined) c.excludeFromLayerAdaptation = this.excludeFromLayerAdaptation.slice();
    if (this.clampWeightNorm !== undefined) c.clampWeightNorm = this.clampWeightNorm.slice();
    return c;
  }
}

tf.serialization.registerClass(OptkitLamb);
