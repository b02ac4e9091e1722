/**
 * `OptkitMfac`: the M-FAC preconditioned optimizer (Frantar, Kurtić & Alistarh, NeurIPS 2021, arXiv
 * 2107.03356; shared/methods/mfac.md) as a TensorFlow.js optimizer, the same update as the float64
 * `mfac` of src/mfac.ts:
 *
 *     g = concat(∇L + wd·w);  u = F⁻¹g with F = λI + (1/m)Σ gᵢgᵢᵀ over the last m gradients (g included);
 *     v ← μv + (1 − μ)u (if μ > 0);  w ← w − lr·(v or u)
 *
 * One window over ALL variables (their gradients concatenated in the order `applyGradients` receives
 * them), so this class does not use the per-variable slots of `OptkitTfOptimizer` (base.ts): the
 * update needs a global pass (G·g summed over variables) before any variable can be updated.
 * The gradient window G (m×D float32) and the momentum buffer live on the device; G·g (m numbers)
 * is read back each step and everything m×m (Gram matrix, elimination factors, coefficients) is
 * float64 on the CPU, as the card's precision pitfall requires. Cost per step: O(mD) on the device
 * and O(m³) on the CPU, plus one read-back of m floats.
 *
 * Defaults: learningRate 1e-3, ngrads 64, damp 1e-5, momentum 0, weightDecay 0 (see src/mfac.ts for
 * why m defaults to 64 and not the reference's 1024). Saved weights: `[iter, mfac/G, mfac/v,
 * mfac/last]`; the Gram matrix is recomputed in float64 from G on restore. State is bound by
 * POSITION: the concatenation order is the order of the variables in `applyGradients`, which
 * `model.fit` keeps fixed, so a reloaded model with renamed variables resumes correctly; a different
 * total size throws SHAPE_MISMATCH. Registered for serialization as 'optkit.Mfac'.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError, getKernels } from '@optkit/core';
import { checkTfOption, type NamedTensor } from './base.js';
import { createMfacWindow, mfacCoefficients, mfacSetup, type MfacWindowState } from '../mfac.js';

export interface OptkitMfacConfig {
  /** Learning rate ≥ 0 (default 1e-3). */
  learningRate?: number;
  /** Window size m, an integer ≥ 1 (default 64). */
  ngrads?: number;
  /** Damping λ > 0 (default 1e-5). */
  damp?: number;
  /** Momentum μ in [0, 1) on the preconditioned direction (default 0). */
  momentum?: number;
  /** L2 weight decay ≥ 0 added to the gradient before preconditioning (default 0). */
  weightDecay?: number;
}

export class OptkitMfac extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.Mfac';
  }
  learningRate: number;
  readonly ngrads: number;
  readonly damp: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Gradient window m×D (null until the first step or a restore). */
  private G: tf.Variable | null = null;
  /** Momentum buffer (D). */
  private v: tf.Variable | null = null;
  /** Float64 m×m state (its G is unused: dim 1). */
  private window: MfacWindowState;
  private last = 0;
  private dim = 0;
  private readonly gx: Float64Array;
  private readonly coef: Float64Array;

  constructor(config: OptkitMfacConfig = {}) {
    super();
    const fn = 'OptkitMfac';
    this.learningRate = checkTfOption(config.learningRate ?? 1e-3, 'learningRate', fn, { min: 0 });
    this.ngrads = checkTfOption(config.ngrads ?? 64, 'ngrads', fn, { min: 1 });
    if (!Number.isInteger(this.ngrads)) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option ngrads is ${this.ngrads}; expected an integer >= 1`, 'ngrads');
    }
    this.damp = checkTfOption(config.damp ?? 1e-5, 'damp', fn, { min: 0, minExclusive: true });
    this.momentum = checkTfOption(config.momentum ?? 0, 'momentum', fn, { min: 0, max: 1, maxExclusive: true });
    this.weightDecay = checkTfOption(config.weightDecay ?? 0, 'weightDecay', fn, { min: 0 });
    this.window = createMfacWindow(this.ngrads, 1, this.damp);
    this.gx = new Float64Array(this.ngrads);
    this.coef = new Float64Array(this.ngrads);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const fn = 'OptkitMfac.applyGradients';
    checkTfOption(this.learningRate, 'learningRate', 'OptkitMfac', { min: 0 });
    const list: { name: string; tensor: tf.Tensor | null | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients.map((x) => ({ name: x.name, tensor: x.tensor }))
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const registered = tf.engine().registeredVariables;
    let D = 0;
    const vars = list.map(({ name, tensor }) => {
      const variable = registered[name];
      if (variable === undefined) throw new OptkitError('NOT_FOUND', `${fn}: no variable named ${name} is registered`, 'variableGradients');
      if (tensor != null && (tensor.shape.length !== variable.shape.length || tensor.shape.some((s, i) => s !== variable.shape[i]))) {
        throw new OptkitError('SHAPE_MISMATCH', `${fn}: the gradient of ${name} has shape [${tensor.shape}]; the variable has [${variable.shape}]`, 'variableGradients');
      }
      D += variable.size;
      return variable;
    });
    if (this.G === null) {
      this.dim = D;
      this.G = tf.tidy(() => tf.zeros([this.ngrads, D]).variable(false));
      this.v = tf.tidy(() => tf.zeros([D]).variable(false));
    } else if (D !== this.dim) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: the variables hold ${D} entries; this optimizer's state was built for ${this.dim}`, 'variableGradients');
    }
    const m = this.ngrads;
    const r = this.last;
    const G = this.G;
    const v = this.v!;
    // Pass 1 (device): g = concat(grad + wd·w); replace row r of G; t = G·g (read back, float64).
    const g = tf.tidy(() =>
      tf.concat(
        list.map(({ tensor }, i) => {
          const grad = tensor == null ? tf.zerosLike(vars[i]) : tensor;
          const withWd = this.weightDecay === 0 ? grad : tf.add(grad, tf.mul(vars[i], this.weightDecay));
          return tf.reshape(withWd, [-1]);
        }),
      ),
    );
    tf.tidy(() => {
      const row = tf.oneHot(tf.tensor1d([r], 'int32'), m).reshape([m, 1]);
      G.assign(tf.add(tf.mul(G, tf.sub(1, row)), tf.mul(row, g.reshape([1, D]))));
    });
    const t = tf.tidy(() => tf.matMul(G, g.reshape([D, 1])).reshape([m]));
    const tData = t.dataSync();
    t.dispose();
    const w = this.window;
    for (let i = 0; i < m; i++) {
      w.K[r * m + i] = tData[i];
      w.K[i * m + r] = tData[i];
      this.gx[i] = tData[i];
    }
    mfacSetup(w, r);
    this.last = (r + 1) % m;
    mfacCoefficients(w, this.gx, this.coef);
    // Pass 2 (device): u = κg − Gᵀc, momentum, per-variable update.
    const kappa = 1 / this.damp;
    tf.tidy(() => {
      const c = tf.tensor2d(Float32Array.from(this.coef), [1, m]);
      const u = tf.sub(tf.mul(g, kappa), tf.matMul(c, G).reshape([D]));
      let step: tf.Tensor = u;
      if (this.momentum > 0) {
        const vNew = tf.add(tf.mul(v, this.momentum), tf.mul(u, 1 - this.momentum));
        v.assign(vNew);
        step = vNew;
      }
      let off = 0;
      for (const variable of vars) {
        const part = tf.slice(step, [off], [variable.size]).reshape(variable.shape);
        variable.assign(tf.sub(variable, tf.mul(part, this.learningRate)));
        off += variable.size;
      }
    });
    g.dispose();
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    if (this.G !== null) {
      out.push({ name: 'mfac/G', tensor: this.G }, { name: 'mfac/v', tensor: this.v! }, { name: 'mfac/last', tensor: tf.scalar(this.last) });
    }
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const fn = 'OptkitMfac.setWeights';
    if (!Array.isArray(weightValues) || (weightValues.length !== 1 && weightValues.length !== 4)) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: expected [iter] or [iter, G, v, last]; got ${Array.isArray(weightValues) ? weightValues.length : typeof weightValues} weights`, 'weightValues');
    }
    const rest = await this.extractIterations(weightValues);
    this.disposeState();
    this.window = createMfacWindow(this.ngrads, 1, this.damp);
    if (rest.length === 0) return;
    const [Gw, vw, lastw] = rest;
    const m = this.ngrads;
    if (Gw.tensor.shape.length !== 2 || Gw.tensor.shape[0] !== m || vw.tensor.shape.length !== 1 || vw.tensor.shape[0] !== Gw.tensor.shape[1]) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: G must be [${m}, D] and v [D]; got [${Gw.tensor.shape}] and [${vw.tensor.shape}]`, 'weightValues');
    }
    const D = Gw.tensor.shape[1];
    this.dim = D;
    this.G = tf.tidy(() => tf.clone(Gw.tensor).variable(false));
    this.v = tf.tidy(() => tf.clone(vw.tensor).variable(false));
    this.last = Math.round((await lastw.tensor.data())[0]) % m;
    // K = GGᵀ in float64 from the stored float32 G.
    const Gd = Float64Array.from(await this.G.data());
    getKernels().gemm(false, true, m, m, D, 1, Gd, D, Gd, D, 0, this.window.K, m);
    mfacSetup(this.window, 0);
  }

  private disposeState(): void {
    this.G?.dispose();
    this.v?.dispose();
    this.G = null;
    this.v = null;
    this.last = 0;
    this.dim = 0;
  }

  override dispose(): void {
    super.dispose();
    this.disposeState();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ngrads: this.ngrads, damp: this.damp, momentum: this.momentum, weightDecay: this.weightDecay };
  }
}

tf.serialization.registerClass(OptkitMfac);
