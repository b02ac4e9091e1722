/**
 * `OptkitAdahessian`: AdaHessian (Yao et al., "ADAHESSIAN: An Adaptive Second Order Optimizer for
 * Machine Learning", arXiv 2006.00719) as a TensorFlow.js optimizer, with its Hessian-vector products
 * by central differences of gradients ({@link centralDifferenceHvpTf}).
 *
 * Nested `tf.grads` is NOT used: in tfjs 4.22 it gives wrong second derivatives through
 * tanh/sigmoid/ReLU layers (relative error 0.57 on the first layer of a tanh MLP, measured in
 * adahessian.test.ts; the card measured 0.3–0.9), and fails outright for softmax cross-entropy
 * (adahessian.md §2).
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError, Rng } from '@optkit/core';
import { OptkitTfOptimizer, checkTfOption, type VariableStep } from './base.js';

/**
 * The default finite-difference step for float32 variables: 1e-3 × RMS over all entries of the
 * variables, floored at 1e-4 (adahessian.md §2: relative error 1.7e-5 at h = 1e-3 on MLP weights ~0.3,
 * against 1.5e-3 at 1e-2 and 1.1e-4 at 1e-4).
 */
export function defaultFdStep(vars: readonly tf.Variable[]): number {
  let sum = 0;
  let count = 0;
  for (const v of vars) {
    sum += tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]);
    count += v.size;
  }
  const rms = count > 0 ? Math.sqrt(sum / count) : 0;
  return Math.max(1e-3 * rms, 1e-4);
}

/**
 * H·z ≈ (∇f(θ + h·z) − ∇f(θ − h·z)) / (2h) for the variables `vars` (θ), with `z` one tensor per
 * variable (same shapes). `f` must be deterministic (same batch, no dropout), since it runs twice.
 * The variables are assigned θ ± h·z and restored to θ exactly (from a copy) before returning.
 * Returns new tensors (one per variable, the caller disposes them); the value of f is not returned.
 */
export function centralDifferenceHvpTf(
  f: () => tf.Scalar,
  vars: readonly tf.Variable[],
  z: readonly tf.Tensor[],
  h: number,
): tf.Tensor[] {
  const fn = 'centralDifferenceHvpTf';
  if (typeof f !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: f must be a function () => tf.Scalar`, 'f');
  if (!Array.isArray(vars) || !Array.isArray(z) || vars.length !== z.length) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: z must have one tensor per variable`, 'z');
  }
  for (let i = 0; i < vars.length; i++) {
    if (!tf.util.arraysEqual(vars[i].shape, z[i].shape)) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: z[${i}] has shape [${z[i].shape}]; variable ${vars[i].name} has [${vars[i].shape}]`, `z.${i}`);
    }
  }
  if (!(h > 0) || !Number.isFinite(h)) throw new OptkitError('INVALID_OPTION', `${fn}: h is ${h}; expected a finite number > 0`, 'h');
  const theta = vars.map((v) => tf.clone(v));
  const list = vars as tf.Variable[];
  const gradsAt = (sign: number): tf.Tensor[] => {
    for (let i = 0; i < list.length; i++) {
      const vi = list[i];
      tf.tidy(() => vi.assign(tf.add(theta[i], tf.mul(z[i], sign * h))));
    }
    const { value, grads } = tf.variableGrads(f, list);
    value.dispose();
    return list.map((v) => grads[v.name]);
  };
  try {
    const gp = gradsAt(1);
    const gm = gradsAt(-1);
    const out = tf.tidy(() => gp.map((g, i) => tf.div(tf.sub(g, gm[i]), 2 * h)));
    tf.dispose([...gp, ...gm]);
    return out;
  } finally {
    for (let i = 0; i < list.length; i++) list[i].assign(theta[i]);
    tf.dispose(theta);
  }
}

/**
 * i.i.d. Rademacher (±1) tensors with the shapes of `vars`, drawn from `next()` (a function returning
 * uniform numbers in [0, 1)); one draw for all variables together (adahessian.md §7).
 */
export function rademacherLike(vars: readonly tf.Variable[], next: () => number): tf.Tensor[] {
  return vars.map((v) => {
    const a = new Float32Array(v.size);
    for (let i = 0; i < a.length; i++) a[i] = next() < 0.5 ? -1 : 1;
    return tf.tensor(a, v.shape, 'float32');
  });
}

// ---------------------------------------------------------------------------------------------
// OptkitAdahessian

export interface OptkitAdahessianConfig {
  /** Learning rate ≥ 0 (default 0.15). */
  learningRate?: number;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε ≥ 0 added after the power (default 1e-4). */
  epsilon?: number;
  /** Decoupled weight decay λ ≥ 0 (default 0). */
  weightDecay?: number;
  /** Hessian power k in [0, 1] (default 1). */
  hessianPower?: number;
  /** Block length for 2-D variables (integer ≥ 1, default 1 = none); must divide their size. */
  blockSize?: number;
  /** Average |D| instead of the signed D (default false). */
  absBeforeAverage?: boolean;
  /** Re-estimate the diagonal every this many steps (integer ≥ 1, default 1). */
  hessianEvery?: number;
  /** Rademacher vectors per estimate (integer ≥ 1, default 1). */
  samples?: number;
  /** Finite-difference step h > 0 (default per step: 1e-3·RMS(θ), floor 1e-4). */
  fdStep?: number;
  /** Seed of the Rademacher draws (integer, default 0); the draw of step t depends on (seed, t) only. */
  seed?: number;
}

/**
 * AdaHessian for tfjs variables (adahessian.md §2), per variable θ with gradient g and averaged
 * Hutchinson estimate D̄ (one Rademacher z for all variables, H·z by central differences of
 * gradients on the SAME loss closure):
 *
 *     m ← β₁m + (1 − β₁)g;   s ← β₂s + (1 − β₂)D̄²
 *     θ ← θ − lr·( (m/(1 − β₁ᵗ)) / ((√s/√(1 − β₂ᵗ))^k + ε) + λθ )
 *
 * Spatial averaging by rank: 1-D none; 2-D blocks of `blockSize` consecutive entries; rank ≥ 3 (tfjs
 * conv kernels [kh, kw, in, out]) the mean over the leading spatial axes per (in, out) pair.
 * Defaults (official code): learningRate 0.15, beta1 0.9, beta2 0.999, epsilon 1e-4, weightDecay 0,
 * hessianPower 1; blockSize 1, hessianEvery 1, samples 1, seed 0. Slots `m`, `s` (and `d`, the last
 * estimate, when hessianEvery > 1); saved weights `[iter, ...m, ...s(, ...d)]`. Registered as
 * 'optkit.AdaHessian'.
 *
 * Each step needs the loss closure, so the entry point is `minimize(f, returnCost?, varList?)`: it
 * evaluates ∇f at θ, then at θ ± h·z (assigning the variables and restoring them exactly), then
 * updates. `applyGradients` alone throws INVALID_OPTION. `f` must be deterministic across the three
 * calls (same batch; no dropout or batch-norm updates). `model.compile({optimizer})` + `model.fit`
 * works for such models, but tfjs-layers' fit closure also records its loss and metric tensors on every
 * call, so they are computed three times per step (adahessian.md §7); a custom loop calling
 * `minimize` is the recommended use.
 */
export class OptkitAdahessian extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.AdaHessian';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly hessianPower: number;
  readonly blockSize: number;
  readonly absBeforeAverage: boolean;
  readonly hessianEvery: number;
  readonly samples: number;
  readonly fdStep: number | undefined;
  readonly seed: number;
  /** Hessian-vector products computed so far in this run (not saved). */
  hvpCalls = 0;
  /** Fresh averaged estimates of the current step, by variable name (set inside minimize only). */
  private fresh: Map<string, tf.Tensor> | null = null;
  private inMinimize = false;
  private bc1 = 1;
  private sqrtBc2 = 1;

  constructor(config: OptkitAdahessianConfig = {}) {
    const every = checkTfOption(config.hessianEvery ?? 1, 'hessianEvery', 'OptkitAdahessian', { min: 1 });
    super(every > 1 ? ['m', 's', 'd'] : ['m', 's']);
    const fn = 'OptkitAdahessian';
    const beta = { min: 0, max: 1, maxExclusive: true };
    this.learningRate = checkTfOption(config.learningRate ?? 0.15, 'learningRate', fn, { min: 0 });
    this.beta1 = checkTfOption(config.beta1 ?? 0.9, 'beta1', fn, beta);
    this.beta2 = checkTfOption(config.beta2 ?? 0.999, 'beta2', fn, beta);
    this.epsilon = checkTfOption(config.epsilon ?? 1e-4, 'epsilon', fn, { min: 0 });
    this.weightDecay = checkTfOption(config.weightDecay ?? 0, 'weightDecay', fn, { min: 0 });
    this.hessianPower = checkTfOption(config.hessianPower ?? 1, 'hessianPower', fn, { min: 0, max: 1 });
    this.blockSize = checkTfOption(config.blockSize ?? 1, 'blockSize', fn, { min: 1 });
    this.samples = checkTfOption(config.samples ?? 1, 'samples', fn, { min: 1 });
    this.seed = checkTfOption(config.seed ?? 0, 'seed', fn);
    for (const [v, name] of [
      [every, 'hessianEvery'],
      [this.blockSize, 'blockSize'],
      [this.samples, 'samples'],
      [this.seed, 'seed'],
    ] as const) {
      if (!Number.isInteger(v)) throw new OptkitError('INVALID_OPTION', `${fn}: option ${name} is ${v}; expected an integer`, name);
    }
    this.hessianEvery = every;
    this.absBeforeAverage = config.absBeforeAverage === true;
    this.fdStep = config.fdStep === undefined ? undefined : checkTfOption(config.fdStep, 'fdStep', fn, { min: 0, minExclusive: true });
  }

  /** AdaHessian needs the loss closure: use {@link minimize}. */
  override applyGradients(variableGradients: Parameters<OptkitTfOptimizer["applyGradients"]>[0]): void {
    if (!this.inMinimize) {
      throw new OptkitError(
        'INVALID_OPTION',
        'OptkitAdahessian: AdaHessian needs minimize(f) (the loss closure, for the Hessian-vector products); applyGradients alone cannot compute them',
        'applyGradients',
      );
    }
    super.applyGradients(variableGradients);
  }

  /** The averaged estimate D̄ = average(z ⊙ Hz) for one variable (spatial averaging by rank). */
  private average(d: tf.Tensor, variable: tf.Variable): tf.Tensor {
    const x = this.absBeforeAverage ? tf.abs(d) : d;
    const shape = variable.shape;
    if (shape.length === 2 && this.blockSize > 1) {
      const b = this.blockSize;
      const mean = tf.mean(tf.reshape(x, [-1, b]), 1, true);
      return tf.reshape(tf.tile(mean, [1, b]), shape);
    }
    if (shape.length >= 3) {
      const axes = shape.slice(0, shape.length - 2).map((_, i) => i);
      return tf.broadcastTo(tf.mean(x, axes, true), shape);
    }
    return x;
  }

  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const fn = 'OptkitAdahessian.minimize';
    if (typeof f !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: f must be a function () => tf.Scalar`, 'f');
    const vars =
      varList ??
      Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
    if (vars.length === 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: no trainable variables`, 'varList');
    if (this.blockSize > 1) {
      for (const v of vars) {
        if (v.shape.length === 2 && v.size % this.blockSize !== 0) {
          throw new OptkitError('INVALID_OPTION', `${fn}: blockSize ${this.blockSize} does not divide the size ${v.size} of variable ${v.name}`, 'blockSize');
        }
      }
    }
    checkTfOption(this.learningRate, 'learningRate', 'OptkitAdahessian', { min: 0 });
    const iteration = this.iterations;
    const { value, grads } = tf.variableGrads(f, vars);
    let fresh: Map<string, tf.Tensor> | null = null;
    try {
      if (iteration % this.hessianEvery === 0) {
        fresh = new Map();
        // The draw depends on (seed, step) only, so a restored optimizer continues with the same z.
        const rng = new Rng((Math.imul(this.seed ^ 0x2545f491, 0x9e3779b1) + iteration) | 0);
        const h = this.fdStep ?? defaultFdStep(vars);
        const sums: tf.Tensor[] = vars.map((v) => tf.zeros(v.shape));
        for (let k = 0; k < this.samples; k++) {
          const z = rademacherLike(vars, () => rng.uniform());
          const hz = centralDifferenceHvpTf(f, vars, z, h);
          this.hvpCalls++;
          for (let i = 0; i < vars.length; i++) {
            const next = tf.tidy(() => tf.add(sums[i], tf.mul(z[i], hz[i])));
            sums[i].dispose();
            sums[i] = next;
          }
          tf.dispose([...z, ...hz]);
        }
        for (let i = 0; i < vars.length; i++) {
          const avg = tf.tidy(() => {
            const a = this.average(this.samples > 1 ? tf.div(sums[i], this.samples) : sums[i], vars[i]);
            return a === sums[i] ? tf.clone(a) : a; // sums are disposed below
          });
          fresh.set(vars[i].name, avg);
        }
        tf.dispose(sums);
      }
      this.fresh = fresh;
      this.inMinimize = true;
      this.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    } finally {
      this.inMinimize = false;
      this.fresh = null;
      if (fresh) for (const t of fresh.values()) t.dispose();
      tf.dispose(Object.values(grads));
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  protected override beforeStep(iteration: number): void {
    const t = iteration + 1;
    this.bc1 = 1 - this.beta1 ** t;
    this.sqrtBc2 = Math.sqrt(1 - this.beta2 ** t);
  }

  protected applyToVariable({ variable, gradient, slots, name }: VariableStep): void {
    const [m, s, dSlot] = slots;
    let d = this.fresh?.get(name);
    if (d !== undefined && dSlot !== undefined) dSlot.assign(d);
    if (d === undefined) {
      if (dSlot === undefined) {
        throw new OptkitError('INVALID_ARGUMENT', `OptkitAdahessian: no Hessian estimate for variable ${name}`, 'varList');
      }
      d = dSlot;
    }
    const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
    const sNew = tf.add(tf.mul(s, this.beta2), tf.mul(tf.square(d), 1 - this.beta2));
    const root = tf.div(tf.sqrt(sNew), this.sqrtBc2);
    const k = this.hessianPower;
    const powered = k === 1 ? root : k === 0 ? tf.onesLike(root) : tf.pow(root, k);
    const step = tf.div(tf.div(mNew, this.bc1), tf.add(powered, this.epsilon));
    const full = this.weightDecay === 0 ? step : tf.add(step, tf.mul(variable, this.weightDecay));
    variable.assign(tf.sub(variable, tf.mul(full, this.learningRate)));
    m.assign(mNew);
    s.assign(sNew);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      hessianPower: this.hessianPower,
      blockSize: this.blockSize,
      absBeforeAverage: this.absBeforeAverage,
      hessianEvery: this.hessianEvery,
      samples: this.samples,
      seed: this.seed,
    };
    if (this.fdStep !== undefined) c.fdStep = this.fdStep;
    return c;
  }
}

tf.serialization.registerClass(OptkitAdahessian);

export interface FitAdahessianOptions extends OptkitAdahessianConfig {
  /** Passes over the data (integer ≥ 1). */
  epochs: number;
  /** Mini-batch size (integer ≥ 1; the last partial batch is used too). */
  batchSize: number;
  /** Per-batch loss, e.g. `(y, p) => tf.losses.softmaxCrossEntropy(y, p)`. */
  loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
  /** Shuffle the rows each epoch with this seed (default: no shuffling). */
  shuffleSeed?: number;
  /** Called after each epoch with its mean loss. */
  onEpochEnd?: (epoch: number, loss: number) => void;
}

/**
 * Trains `model` on (x, y) with AdaHessian in its own loop — the recommended tfjs entry
 * (adahessian.md §5, §7): every step runs the model with `training: false` (so the three gradient
 * evaluations of a step see the same function) on one mini-batch, and nothing is recorded three
 * times. Returns the optimizer (holding the state) and the mean training loss per epoch.
 */
export async function fitAdahessian(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: FitAdahessianOptions,
): Promise<{ optimizer: OptkitAdahessian; loss: number[] }> {
  const fn = 'fitAdahessian';
  const epochs = checkTfOption(options.epochs, 'epochs', fn, { min: 1 });
  const batchSize = checkTfOption(options.batchSize, 'batchSize', fn, { min: 1 });
  if (!Number.isInteger(epochs)) throw new OptkitError('INVALID_OPTION', `${fn}: option epochs must be an integer`, 'epochs');
  if (!Number.isInteger(batchSize)) throw new OptkitError('INVALID_OPTION', `${fn}: option batchSize must be an integer`, 'batchSize');
  if (typeof options.loss !== 'function') throw new OptkitError('INVALID_OPTION', `${fn}: option loss must be a function (yTrue, yPred) => tf.Scalar`, 'loss');
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: x has ${n} rows but y has ${y.shape[0]}`, 'y');
  const optimizer = new OptkitAdahessian(options);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const rng = options.shuffleSeed === undefined ? undefined : new Rng(options.shuffleSeed);
  const history: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    let sum = 0;
    for (let start = 0; start < n; start += batchSize) {
      const idx = tf.tensor1d(order.subarray(start, Math.min(n, start + batchSize)), 'int32');
      const xb = tf.gather(x, idx);
      const yb = tf.gather(y, idx);
      const f = () => tf.tidy(() => options.loss(yb, model.apply(xb, { training: false }) as tf.Tensor));
      const cost = optimizer.minimize(f, true, vars)!;
      sum += cost.dataSync()[0] * (idx.shape[0] as number);
      tf.dispose([cost, idx, xb, yb]);
    }
    history.push(sum / n);
    options.onEpochEnd?.(epoch, sum / n);
    await tf.nextFrame();
  }
  return { optimizer, loss: history };
}
