/**
 * ChebCB: a regression-based contextual bandit with inverse-gap weighting over Chebyshev features of
 * a scalar context, from "Learning to Relax: Setting Solver Parameters Across a Sequence of Linear
 * System Instances" (Khodak et al., ICLR 2024), which uses it to pick the SOR ω per system from the
 * system's diagonal shift.
 *
 * Each arm i has a coefficient vector θ_i ∈ R^m over φ(c) = [T_0(z), …, T_{m−1}(z)],
 * z = 2(c − lo)/(hi − lo) − 1, fitted by least squares to the normalised shifted costs (k − 1)/scale
 * of the rounds where the arm was played. Arms are drawn with inverse-gap weights
 * p_i = 1/(d + η(ŷ_i − ŷ_{i*})) around the predicted best arm i*.
 *
 * Implementation choices (the card could not verify every detail of the paper):
 * - Per-arm normal equations (Σφφᵀ, Σφk, Σφ, Σk, Σk², count) replace refitting on the whole history,
 *   so an update costs O(d·m³) instead of O(t·m²); the min-norm least-squares fit is pinv(Σφφᵀ)·Σφy.
 * - When a fitted coefficient exceeds its bound ub = [1/N, 2(hi−lo)·Lc/scale/j], the box-constrained
 *   least-squares problem is solved by cyclic coordinate descent on the 6-variable quadratic (any
 *   bounded LS solver gives the same minimiser; the reference uses MATLAB's lsqlin).
 * - `res` in η's formula is the sum, over arms, of the residual sum of squares of each arm's latest
 *   constrained fit (0 for arms whose fit was unconstrained).
 * - R = Σ_s (ŷ_s − k_s/(K·N))² compares the prediction (fitted to (k − 1)/scale) with k/scale: a 1/scale
 *   offset inherited from the reference learner, kept for reproduction.
 * - If R − res + 2α²t ≤ 0 (possible only before costs differ), η = 0: uniform exploration.
 */
import { DenseMatrix, OptkitError, Rng, checkOption, getKernels, rngFrom, type RandomOptions } from '@optkit/core';
import { checkArms, checkCost, sampleIndex, type BanditPolicy } from './tsallis-inf.js';

export interface ChebCBOptions extends RandomOptions {
  /** Number of Chebyshev features m (polynomial degree m − 1). Default 6. */
  degree?: number;
  /** Context interval [lo, hi]. Default [−0.15, 0.65]. */
  lo?: number;
  hi?: number;
}

/** T_0(z), …, T_{m−1}(z) into `out`. */
export function chebyshevFeatures(z: number, out: Float64Array): Float64Array {
  const m = out.length;
  if (m > 0) out[0] = 1;
  if (m > 1) out[1] = z;
  for (let j = 2; j < m; j++) out[j] = 2 * z * out[j - 1] - out[j - 2];
  return out;
}

export class ChebCB implements BanditPolicy<number> {
  readonly arms: readonly number[];
  readonly degree: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly rng: Rng;
  /** θ, d×m row-major. */
  private readonly theta: Float64Array;
  /** Per arm: Σφφᵀ (m×m), Σφ·k, Σφ, and scalars Σk, Σk², count. */
  private readonly gram: Float64Array;
  private readonly phiCost: Float64Array;
  private readonly phiSum: Float64Array;
  private readonly costSum: Float64Array;
  private readonly costSquares: Float64Array;
  private readonly plays: Int32Array;
  private readonly constrainedResidual: Float64Array;
  private readonly phi: Float64Array;
  private readonly pendingPhi: Float64Array;
  private readonly predictions: Float64Array;
  private readonly weights: Float64Array;
  private readonly predictedHistory: number[] = [];
  private readonly costHistory: number[] = [];
  private eta = 0;
  private scale = 0;
  private minCost = Infinity;
  private maxCost = -Infinity;
  private played = -1;
  private playedPrediction = 0;

  constructor(arms: readonly number[], options: ChebCBOptions = {}) {
    const fn = 'ChebCB';
    this.arms = checkArms(arms, fn);
    this.degree = checkOption(options.degree ?? 6, 'degree', { min: 1, integer: true }, fn);
    this.lo = checkOption(options.lo ?? -0.15, 'lo', {}, fn);
    this.hi = checkOption(options.hi ?? 0.65, 'hi', {}, fn);
    if (!(this.hi > this.lo)) throw new OptkitError('INVALID_OPTION', `${fn}: hi (${this.hi}) must exceed lo (${this.lo})`, 'hi');
    this.rng = rngFrom(options);
    const d = this.arms.length;
    const m = this.degree;
    this.theta = new Float64Array(d * m);
    this.gram = new Float64Array(d * m * m);
    this.phiCost = new Float64Array(d * m);
    this.phiSum = new Float64Array(d * m);
    this.costSum = new Float64Array(d);
    this.costSquares = new Float64Array(d);
    this.plays = new Int32Array(d);
    this.constrainedResidual = new Float64Array(d);
    this.phi = new Float64Array(m);
    this.pendingPhi = new Float64Array(m);
    this.predictions = new Float64Array(d);
    this.weights = new Float64Array(d);
  }

  get lastArm(): number {
    return this.played;
  }

  /** The current exploration rate η (0 before the first update). */
  get explorationRate(): number {
    return this.eta;
  }

  private features(context: number): Float64Array {
    const z = (2 * (context - this.lo)) / (this.hi - this.lo) - 1;
    return chebyshevFeatures(z, this.phi);
  }

  /** The predicted cost 1 + scale·θ_i·φ(c) of every arm at context c. */
  predictedCosts(context: number): Float64Array {
    const phi = this.features(context);
    const d = this.arms.length;
    const m = this.degree;
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let y = 0;
      for (let j = 0; j < m; j++) y += this.theta[i * m + j] * phi[j];
      out[i] = 1 + this.scale * y;
    }
    return out;
  }

  predict(context: number): number {
    if (typeof context !== 'number' || !Number.isFinite(context)) {
      throw new OptkitError('NOT_FINITE', `ChebCB.predict: context is ${context}; expected a finite number`, 'context');
    }
    const phi = this.features(context);
    const d = this.arms.length;
    const m = this.degree;
    const yhat = this.predictions;
    let best = 0;
    for (let i = 0; i < d; i++) {
      let y = 0;
      for (let j = 0; j < m; j++) y += this.theta[i * m + j] * phi[j];
      yhat[i] = y;
      if (y < yhat[best]) best = i;
    }
    const p = this.weights;
    let others = 0;
    for (let i = 0; i < d; i++) {
      if (i === best) continue;
      p[i] = 1 / (d + this.eta * (yhat[i] - yhat[best]));
      others += p[i];
    }
    p[best] = Math.max(0, 1 - others);
    const arm = sampleIndex(this.rng, p);
    this.played = arm;
    this.playedPrediction = yhat[arm];
    // φ of the played round, for the update.
    this.pendingPhi.set(phi);
    return this.arms[arm];
  }

  update(cost: number): void {
    const fn = 'ChebCB.update';
    if (this.played < 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: call predict before update`, 'cost');
    checkCost(cost, fn);
    const d = this.arms.length;
    const m = this.degree;
    const arm = this.played;
    const phi = this.pendingPhi;
    // Accumulate the played arm's normal equations.
    const g = arm * m * m;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) this.gram[g + a * m + b] += phi[a] * phi[b];
      this.phiCost[arm * m + a] += phi[a] * cost;
      this.phiSum[arm * m + a] += phi[a];
    }
    this.costSum[arm] += cost;
    this.costSquares[arm] += cost * cost;
    this.plays[arm] += 1;
    this.predictedHistory.push(this.playedPrediction);
    this.costHistory.push(cost);
    this.minCost = Math.min(this.minCost, cost);
    this.maxCost = Math.max(this.maxCost, cost);

    const width = this.hi - this.lo;
    const K = this.maxCost;
    const lipschitz = (this.maxCost - this.minCost) / width;
    const N = 2 + ((4 * width * lipschitz) / K) * (1 + Math.log(m));
    const scale = K * N;
    const refitAll = scale !== this.scale;
    this.scale = scale;
    const bounds = new Float64Array(m);
    bounds[0] = 1 / N;
    for (let j = 1; j < m; j++) bounds[j] = (2 * width * lipschitz) / scale / j;
    for (let i = 0; i < d; i++) {
      if (i !== arm && !refitAll) continue;
      if (this.plays[i] === 0) continue;
      this.fitArm(i, bounds);
    }

    const t = this.costHistory.length;
    const alpha = ((Math.PI + (2 / Math.PI) * Math.log(2 * m + 1)) / (2 * scale * (m + 1))) * width * lipschitz;
    let R = 0;
    for (let s = 0; s < t; s++) {
      const e = this.predictedHistory[s] - this.costHistory[s] / scale;
      R += e * e;
    }
    let res = 0;
    for (let i = 0; i < d; i++) res += this.constrainedResidual[i];
    const denominator = R - res + 2 * alpha * alpha * t;
    this.eta = denominator > 0 ? 2 * t * Math.sqrt((d * t) / denominator) : 0;
  }

  /** Least-squares fit of arm i's θ to (k − 1)/scale, box-constrained by ±bounds when it leaves them. */
  private fitArm(i: number, bounds: Float64Array): void {
    const m = this.degree;
    const scale = this.scale;
    const G = this.gram.subarray(i * m * m, (i + 1) * m * m);
    // Φᵀy with y = (k − 1)/scale.
    const rhs = new Float64Array(m);
    for (let a = 0; a < m; a++) rhs[a] = (this.phiCost[i * m + a] - this.phiSum[i * m + a]) / scale;
    const theta = this.theta.subarray(i * m, (i + 1) * m);
    minNormSolve(G, rhs, m, theta);
    let inside = true;
    for (let j = 0; j < m; j++) if (Math.abs(theta[j]) > bounds[j]) inside = false;
    if (inside) {
      this.constrainedResidual[i] = 0;
      return;
    }
    const lo = new Float64Array(m);
    const hi = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      hi[j] = bounds[j] + 1e-12;
      lo[j] = -hi[j];
      theta[j] = Math.min(hi[j], Math.max(lo[j], theta[j]));
    }
    boxQuadratic(G, rhs, lo, hi, theta);
    // RSS = Σy² − 2θᵀΦᵀy + θᵀGθ, with Σy² = (Σk² − 2Σk + n)/scale².
    const n = this.plays[i];
    const sumY2 = (this.costSquares[i] - 2 * this.costSum[i] + n) / (scale * scale);
    let quad = 0;
    let lin = 0;
    for (let a = 0; a < m; a++) {
      lin += theta[a] * rhs[a];
      let row = 0;
      for (let b = 0; b < m; b++) row += G[a * m + b] * theta[b];
      quad += theta[a] * row;
    }
    this.constrainedResidual[i] = Math.max(0, sumY2 - 2 * lin + quad);
  }
}

/** θ = pinv(G)·rhs for a symmetric positive semidefinite m×m G (the min-norm least-squares solution). */
function minNormSolve(G: Float64Array, rhs: Float64Array, m: number, out: Float64Array): void {
  const { values, vectors } = getKernels().symmetricEigen(new DenseMatrix(m, m, Float64Array.from(G)));
  let largest = 0;
  for (let k = 0; k < m; k++) largest = Math.max(largest, Math.abs(values[k]));
  const cutoff = largest * m * 2.220446049250313e-16;
  out.fill(0);
  for (let k = 0; k < m; k++) {
    if (!(values[k] > cutoff)) continue;
    let proj = 0;
    for (let a = 0; a < m; a++) proj += vectors.data[a * m + k] * rhs[a];
    proj /= values[k];
    for (let a = 0; a < m; a++) out[a] += proj * vectors.data[a * m + k];
  }
}

/** Minimises ½θᵀGθ − θᵀrhs over lo ≤ θ ≤ hi by cyclic coordinate descent (G positive semidefinite). */
function boxQuadratic(G: Float64Array, rhs: Float64Array, lo: Float64Array, hi: Float64Array, theta: Float64Array): void {
  const m = theta.length;
  for (let sweep = 0; sweep < 500; sweep++) {
    let change = 0;
    for (let j = 0; j < m; j++) {
      const gjj = G[j * m + j];
      let grad = -rhs[j];
      for (let b = 0; b < m; b++) grad += G[j * m + b] * theta[b];
      const next = gjj > 0 ? Math.min(hi[j], Math.max(lo[j], theta[j] - grad / gjj)) : grad > 0 ? lo[j] : grad < 0 ? hi[j] : theta[j];
      change = Math.max(change, Math.abs(next - theta[j]));
      theta[j] = next;
    }
    if (change <= 1e-15) break;
  }
}
