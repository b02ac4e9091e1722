/**
 * The auxiliary-loss baseline of ALF-LB (shared/methods/alf-lb.md, section 3, baseline 2): a softmax
 * router trained with the Switch/GShard load-balancing loss
 *
 *     L_bal = α Σ_i f_i P_i,   f_i = E·c_i/(K·T) (no gradient),   P_i = mean_t p[t,i],   p_t = softmax(z_t)
 *
 * where `z[t,i] = x_t·W_i/√d + β_i` are router logits and selection is the plain top-K of p. Its
 * gradient is `∂L_bal/∂z[t,j] = (α/T)·p[t,j]·(f_j − Σ_i f_i p[t,i])`.
 *
 * A balance loss alone would flatten the router completely; in training the language-model loss pulls
 * the other way. Our stand-in for that task loss (our choice, not from the papers) keeps the router
 * close to its initial preferences: `L_task = mean_t KL(p0_t ‖ p_t)` with p0 the initial router's
 * probabilities, gradient `(p − p0)/T`. So α sets the balance/quality trade-off, as in Wang et al.
 * (their baseline used α = 0.001). One plain SGD step (learning rate `lr`, default 1) per batch,
 * after routing it (causal, like the bias update).
 */
import { OptkitError, assertFinite, assertInteger, assertLength, checkOption } from '@optkit/core';
import { affineLogits } from './moe-synthetic.js';

export interface AuxLossRouterOptions {
  numExperts: number;
  topK: number;
  /** d, the token dimension. */
  dim: number;
  /** Initial router weights W, [E, d] row-major (copied). */
  weights: Float64Array;
  /** Initial router offsets β, [E] (copied). */
  offsets: Float64Array;
  /** α, the balance-loss coefficient (>= 0; default 1e-3 as in Wang et al.'s baseline). */
  alpha?: number;
  /** SGD learning rate on W and β (>= 0; default 1). */
  lr?: number;
  /** The router whose preferences p0 the task loss keeps (default: the initial weights and offsets). */
  reference?: { weights: Float64Array; offsets: Float64Array };
}

export interface AuxLossStep {
  /** Chosen experts, [T*K]. */
  experts: Int32Array;
  /** Loads c_i, [E]. */
  counts: Int32Array;
  /** L_bal at this step (before the SGD step). */
  balanceLoss: number;
  /** L_task at this step (before the SGD step); NaN unless asked for (it costs T·E logarithms). */
  taskLoss: number;
}

/** Softmax router trained by the auxiliary balance loss plus a stay-close task loss (see the file comment). */
export class AuxLossRouter {
  readonly numExperts: number;
  readonly topK: number;
  readonly dim: number;
  readonly alpha: number;
  readonly lr: number;
  /** Current router weights [E, d] and offsets [E]. */
  readonly W: Float64Array;
  readonly beta: Float64Array;
  private readonly W0: Float64Array;
  private readonly beta0: Float64Array;

  constructor(opts: AuxLossRouterOptions) {
    const fn = 'AuxLossRouter';
    this.numExperts = checkOption(opts.numExperts, 'numExperts', { min: 1, integer: true }, fn);
    this.topK = checkOption(opts.topK, 'topK', { min: 1, max: this.numExperts, integer: true }, fn);
    this.dim = checkOption(opts.dim, 'dim', { min: 1, integer: true }, fn);
    this.alpha = checkOption(opts.alpha ?? 1e-3, 'alpha', { min: 0 }, fn);
    this.lr = checkOption(opts.lr ?? 1, 'lr', { min: 0 }, fn);
    assertLength(opts.weights, this.numExperts * this.dim, 'weights', fn);
    assertLength(opts.offsets, this.numExperts, 'offsets', fn);
    assertFinite(opts.weights, 'weights', fn);
    assertFinite(opts.offsets, 'offsets', fn);
    this.W = opts.weights.slice();
    this.beta = opts.offsets.slice();
    const ref = opts.reference ?? { weights: opts.weights, offsets: opts.offsets };
    assertLength(ref.weights, this.numExperts * this.dim, 'reference.weights', fn);
    assertLength(ref.offsets, this.numExperts, 'reference.offsets', fn);
    assertFinite(ref.weights, 'reference.weights', fn);
    assertFinite(ref.offsets, 'reference.offsets', fn);
    this.W0 = ref.weights.slice();
    this.beta0 = ref.offsets.slice();
  }

  /** The reference router's probabilities p0 for tokens `x` ([T, d]) into `out` ([T, E]). */
  referenceProbabilities(x: Float64Array, numTokens: number, out = new Float64Array(numTokens * this.numExperts)): Float64Array {
    assertLength(x, numTokens * this.dim, 'x', 'AuxLossRouter.referenceProbabilities');
    softmaxLogits(x, numTokens, this.dim, this.numExperts, this.W0, this.beta0, 1 / Math.sqrt(this.dim), out);
    return out;
  }

  /**
   * Routes the tokens `x` ([T, d]) with the current router, then takes one SGD step on L_task + L_bal.
   * `p0` may pass precomputed {@link referenceProbabilities} (routers sharing a reference share them);
   * `taskLoss: true` computes L_task for the result.
   */
  step(x: Float64Array, numTokens: number, opts: { p0?: Float64Array; taskLoss?: boolean } = {}): AuxLossStep {
    let p0 = opts.p0;
    const wantTask = opts.taskLoss === true;
    const fn = 'AuxLossRouter.step';
    const { numExperts: E, topK: K, dim: d } = this;
    assertInteger(numTokens, 'numTokens', 1, fn);
    assertLength(x, numTokens * d, 'x', fn);
    assertFinite(x, 'x', fn);
    const T = numTokens;
    const scale = 1 / Math.sqrt(d);
    const p = new Float64Array(T * E);
    softmaxLogits(x, T, d, E, this.W, this.beta, scale, p);
    if (p0 === undefined) p0 = this.referenceProbabilities(x, T);
    else assertLength(p0, T * E, 'p0', fn);
    const experts = new Int32Array(T * K);
    const counts = new Int32Array(E);
    const idx = new Int32Array(K);
    const val = new Float64Array(K);
    let taskLoss = wantTask ? 0 : Number.NaN;
    const P = new Float64Array(E);
    for (let t = 0; t < T; t++) {
      let filled = 0;
      for (let i = 0; i < E; i++) {
        const v = p[t * E + i];
        P[i] += v / T;
        if (wantTask) {
          const q = p0[t * E + i];
          if (q > 0) taskLoss += (q * Math.log(q / v)) / T;
        }
        if (filled === K && !(v > val[K - 1])) continue;
        let j = filled === K ? K - 1 : filled++;
        while (j > 0 && v > val[j - 1]) {
          val[j] = val[j - 1];
          idx[j] = idx[j - 1];
          j--;
        }
        val[j] = v;
        idx[j] = i;
      }
      for (let k = 0; k < K; k++) {
        experts[t * K + k] = idx[k];
        counts[idx[k]]++;
      }
    }
    const f = new Float64Array(E);
    let balanceLoss = 0;
    for (let i = 0; i < E; i++) {
      f[i] = (E * counts[i]) / (K * T);
      balanceLoss += this.alpha * f[i] * P[i];
    }
    // dL/dz[t,j] = ((p − p0) + α p (f_j − Σ_i f_i p_i)) / T, then chain to W and β.
    const gW = new Float64Array(E * d);
    const gb = new Float64Array(E);
    const G = new Float64Array(E);
    const alpha = this.alpha;
    const E4 = E - (E % 4);
    for (let t = 0; t < T; t++) {
      const po = t * E;
      const xo = t * d;
      let fp = 0;
      for (let i = 0; i < E; i++) fp += f[i] * p[po + i];
      for (let j = 0; j < E; j++) {
        const pj = p[po + j];
        const g = (pj - p0[po + j] + alpha * pj * (f[j] - fp)) / T;
        gb[j] += g;
        G[j] = g * scale;
      }
      for (let j = 0; j < E4; j += 4) {
        const g0 = G[j];
        const g1 = G[j + 1];
        const g2 = G[j + 2];
        const g3 = G[j + 3];
        const r0 = j * d;
        const r1 = r0 + d;
        const r2 = r1 + d;
        const r3 = r2 + d;
        for (let k = 0; k < d; k++) {
          const xv = x[xo + k];
          gW[r0 + k] += g0 * xv;
          gW[r1 + k] += g1 * xv;
          gW[r2 + k] += g2 * xv;
          gW[r3 + k] += g3 * xv;
        }
      }
      for (let j = E4; j < E; j++) for (let k = 0; k < d; k++) gW[j * d + k] += G[j] * x[xo + k];
    }
    for (let k = 0; k < E * d; k++) this.W[k] -= this.lr * gW[k];
    for (let j = 0; j < E; j++) this.beta[j] -= this.lr * gb[j];
    if (!Number.isFinite(balanceLoss) || (wantTask && !Number.isFinite(taskLoss))) {
      throw new OptkitError('NOT_FINITE', `${fn}: the loss became ${balanceLoss + taskLoss}; lower lr`, 'lr');
    }
    return { experts, counts, balanceLoss, taskLoss };
  }
}

function softmaxLogits(x: Float64Array, T: number, d: number, E: number, W: Float64Array, beta: Float64Array, scale: number, out: Float64Array): void {
  affineLogits(x, T, d, W, E, beta, scale, out);
  for (let t = 0; t < T; t++) {
    const oo = t * E;
    let m = -Infinity;
    for (let i = 0; i < E; i++) if (out[oo + i] > m) m = out[oo + i];
    let s = 0;
    for (let i = 0; i < E; i++) {
      const e = Math.exp(out[oo + i] - m);
      out[oo + i] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let i = 0; i < E; i++) out[oo + i] *= inv;
  }
}
