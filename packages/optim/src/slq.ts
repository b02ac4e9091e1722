/**
 * Lanczos tridiagonalisation and stochastic Lanczos quadrature (SLQ) on a symmetric operator given
 * matrix-free, typically a Hessian-vector product: extreme eigenvalues (Ritz values) and a
 * Gaussian-smoothed spectral density.
 *
 * Method card shared/methods/batch-size-lr.md §2 B (D. Granziol, S. Zohren, S. Roberts, "Learning
 * Rates as a Function of Batch Size: A Random Matrix Theory Approach to Neural Network Training",
 * JMLR 23, 2022, arXiv 2006.09092); SLQ density as in Ubaru, Chen & Saad, "Fast estimation of tr(f(A))
 * via stochastic Lanczos quadrature" (SIMAX 2017). (The card places Lanczos in @optkit/linalg, which
 * does not exist yet; it lives here until it does.)
 */
import {
  DenseMatrix,
  OptkitError,
  assertFinite,
  checkChoice,
  checkOption,
  getKernels,
  isLinearOperator,
  nrm2,
  rngFrom,
  type LinearOperator,
  type Rng,
} from '@optkit/core';

/** A symmetric operator: a core LinearOperator (square) or an HVP closure `(v, out) => void` with its dimension. */
export type SymmetricOperator = LinearOperator | { dim: number; hvp: (v: Float64Array, out: Float64Array) => void };

export interface LanczosOptions {
  /** Lanczos steps m ≥ 1 (default 20; capped at the dimension). */
  steps?: number;
  /** `'full'` re-orthogonalises every new vector against all previous ones, twice (default); `'none'` is plain three-term Lanczos (ghost Ritz values appear). */
  reorthogonalize?: 'full' | 'none';
  /** Seed of the Rademacher start vector (default 0); or pass `rng`. */
  seed?: number;
  rng?: Rng;
  /** Start vector (normalised internally); overrides the random one. */
  startVector?: Float64Array;
  /** Breakdown when βⱼ < breakdownTol·max|α| (default 1e-10): an invariant subspace was found. */
  breakdownTol?: number;
}

export interface LanczosResult {
  /** Diagonal α₁..α_k of the tridiagonal T_k. */
  alpha: Float64Array;
  /** Off-diagonal β₁..β_{k−1} of T_k. */
  beta: Float64Array;
  /** Ritz values θ (eigenvalues of T_k), ascending. */
  ritzValues: Float64Array;
  /** Quadrature weights τ = (first components of T_k's eigenvectors)², summing to 1. */
  ritzWeights: Float64Array;
  /** Steps taken k (≤ steps). */
  iterations: number;
  /** True when Lanczos stopped on an invariant subspace or ran n steps (then the Ritz values are exact eigenvalues of A restricted to the Krylov space). */
  converged: boolean;
  reason: 'maxIter' | 'breakdown';
  /** Operator applications. */
  matvecs: number;
}

interface Op {
  n: number;
  apply: (v: Float64Array, out: Float64Array) => void;
}

function toOp(A: SymmetricOperator, fn: string): Op {
  if (isLinearOperator(A)) {
    if (A.rows !== A.cols) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${A.rows}×${A.cols}; expected a square (symmetric) operator`, 'A');
    }
    return { n: A.rows, apply: (v, out) => void A.apply(v, out) };
  }
  const h = A as { dim: number; hvp: unknown };
  if (h === null || typeof h !== 'object' || typeof h.hvp !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a LinearOperator or {dim, hvp(v, out)}`, 'A');
  }
  checkOption(h.dim, 'dim', { min: 1, integer: true }, fn);
  return { n: h.dim, apply: h.hvp as Op['apply'] };
}

/** Eigen-decomposes the tridiagonal (α, β) with core's symmetricEigen; returns θ ascending and τ. */
function ritz(alpha: Float64Array, beta: Float64Array): { values: Float64Array; weights: Float64Array } {
  const k = alpha.length;
  const T = DenseMatrix.zeros(k, k);
  for (let i = 0; i < k; i++) {
    T.data[i * k + i] = alpha[i];
    if (i + 1 < k) {
      T.data[i * k + i + 1] = beta[i];
      T.data[(i + 1) * k + i] = beta[i];
    }
  }
  const { values, vectors } = getKernels().symmetricEigen(T);
  const weights = new Float64Array(k);
  for (let j = 0; j < k; j++) weights[j] = vectors.data[j] ** 2; // row 0, column j
  return { values: Float64Array.from(values), weights };
}

/**
 * Lanczos on a symmetric operator (card §2 B): q₁ = Rademacher/√n (seeded) or the given start vector;
 * wⱼ = Aqⱼ − βⱼ₋₁qⱼ₋₁, αⱼ = qⱼᵀwⱼ, wⱼ −= αⱼqⱼ, full re-orthogonalisation (classical Gram–Schmidt
 * twice, through gemv/gemvT on the stored basis), βⱼ = ‖wⱼ‖, breakdown if βⱼ < tol·max|α|.
 * Ritz values and quadrature weights from T_k. Memory O(m·n); m operator applications.
 */
export function lanczos(A: SymmetricOperator, options: LanczosOptions = {}): LanczosResult {
  const fn = 'lanczos';
  const op = toOp(A, fn);
  const n = op.n;
  const steps = Math.min(checkOption(options.steps ?? 20, 'steps', { min: 1, integer: true }, fn), n);
  const reorth = checkChoice(options.reorthogonalize ?? 'full', ['full', 'none'] as const, 'reorthogonalize', fn);
  const tol = checkOption(options.breakdownTol ?? 1e-10, 'breakdownTol', { min: 0 }, fn);
  const Q = new Float64Array((steps + 1) * n);
  const q0 = Q.subarray(0, n);
  if (options.startVector !== undefined) {
    const s = options.startVector;
    if (!(s instanceof Float64Array) || s.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: startVector must be a Float64Array of length ${n}`, 'startVector');
    }
    assertFinite(s, 'startVector', fn);
    const norm = nrm2(s);
    if (!(norm > 0)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: startVector is zero`, 'startVector');
    for (let i = 0; i < n; i++) q0[i] = s[i] / norm;
  } else {
    const rng = rngFrom({ seed: options.seed ?? 0, rng: options.rng });
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < n; i++) q0[i] = rng.sign() * inv;
  }
  const kern = getKernels();
  const alpha = new Float64Array(steps);
  const beta = new Float64Array(steps);
  const w = new Float64Array(n);
  const h = new Float64Array(steps + 1);
  let k = 0;
  let amax = 0;
  let broke = false;
  for (let j = 0; j < steps; j++) {
    const qj = Q.subarray(j * n, (j + 1) * n);
    op.apply(qj, w);
    assertFinite(w, 'A·q', fn);
    if (j > 0) {
      const b = beta[j - 1];
      const qp = Q.subarray((j - 1) * n, j * n);
      for (let i = 0; i < n; i++) w[i] -= b * qp[i];
    }
    let a = 0;
    for (let i = 0; i < n; i++) a += qj[i] * w[i];
    for (let i = 0; i < n; i++) w[i] -= a * qj[i];
    alpha[j] = a;
    k = j + 1;
    if (Math.abs(a) > amax) amax = Math.abs(a);
    if (reorth === 'full') {
      // w ← w − Q_{0..j}ᵀ(Q_{0..j} w), twice ("twice is enough", Kahan–Parlett).
      const basis = Q.subarray(0, (j + 1) * n);
      const hj = h.subarray(0, j + 1);
      for (let pass = 0; pass < 2; pass++) {
        kern.gemv(j + 1, n, 1, basis, n, w, 0, hj);
        kern.gemvT(j + 1, n, -1, basis, n, hj, 1, w);
      }
    }
    const b = nrm2(w);
    beta[j] = b;
    if (j === steps - 1) break;
    if (!(b > tol * (amax > 0 ? amax : 1))) {
      broke = true;
      break;
    }
    const qn = Q.subarray((j + 1) * n, (j + 2) * n);
    for (let i = 0; i < n; i++) qn[i] = w[i] / b;
  }
  const a = alpha.slice(0, k);
  const bOff = beta.slice(0, k - 1);
  const r = ritz(a, bOff);
  return {
    alpha: a,
    beta: bOff,
    ritzValues: r.values,
    ritzWeights: r.weights,
    iterations: k,
    converged: broke || k === n,
    reason: broke ? 'breakdown' : 'maxIter',
    matvecs: k,
  };
}

export interface SlqOptions extends LanczosOptions {
  /** Independent Rademacher probes n_v ≥ 1 (default 10, the card's default for densities). */
  probes?: number;
}

export interface SlqResult {
  /** All Ritz values of all probes (probe-major), the quadrature nodes. */
  nodes: Float64Array;
  /** Their weights τ/n_v (sum 1). */
  weights: Float64Array;
  /** Largest Ritz value over the probes (estimate of λ_max). */
  lambdaMax: number;
  /** Smallest Ritz value over the probes (estimate of λ_min). */
  lambdaMin: number;
  /** Per-probe Lanczos results. */
  runs: LanczosResult[];
  matvecs: number;
}

/**
 * Stochastic Lanczos quadrature: n_v seeded Lanczos runs; the spectral density is approximated by
 * (1/n_v) Σ_v Σ_k τ_k δ(λ − θ_k), so that Σ τθʳ estimates tr(Aʳ)/n (card §2 B.4).
 */
export function slq(A: SymmetricOperator, options: SlqOptions = {}): SlqResult {
  const fn = 'slq';
  const probes = checkOption(options.probes ?? 10, 'probes', { min: 1, integer: true }, fn);
  if (options.startVector !== undefined && probes > 1) {
    throw new OptkitError('INVALID_OPTION', `${fn}: startVector fixes the probe; use probes = 1 with it`, 'startVector');
  }
  const rng = rngFrom({ seed: options.seed ?? 0, rng: options.rng });
  const runs: LanczosResult[] = [];
  let total = 0;
  for (let p = 0; p < probes; p++) {
    const r = lanczos(A, { ...options, rng: rng.split(), seed: undefined });
    runs.push(r);
    total += r.iterations;
  }
  const nodes = new Float64Array(total);
  const weights = new Float64Array(total);
  let off = 0;
  let lambdaMax = -Infinity;
  let lambdaMin = Infinity;
  let matvecs = 0;
  for (const r of runs) {
    nodes.set(r.ritzValues, off);
    for (let i = 0; i < r.iterations; i++) weights[off + i] = r.ritzWeights[i] / probes;
    off += r.iterations;
    lambdaMax = Math.max(lambdaMax, r.ritzValues[r.iterations - 1]);
    lambdaMin = Math.min(lambdaMin, r.ritzValues[0]);
    matvecs += r.matvecs;
  }
  return { nodes, weights, lambdaMax, lambdaMin, runs, matvecs };
}

export interface DensityOptions {
  /** Gaussian kernel width σ > 0 (default (λmax − λmin)/100, or 1e-3·max(1, |λ|) for a point spectrum). */
  sigma?: number;
  /** Grid points ≥ 2 (default 400). */
  points?: number;
  /** Grid range (default [λmin − 5σ, λmax + 5σ], so the density integrates to 1 up to the trapezoid error). */
  range?: [number, number];
}

/**
 * The Gaussian-smoothed SLQ density ρ(λ) = Σ_k w_k N(λ; θ_k, σ²) on a uniform grid. It integrates
 * to 1 over the real line (the weights sum to 1).
 */
export function spectralDensity(result: Pick<SlqResult, 'nodes' | 'weights' | 'lambdaMax' | 'lambdaMin'>, options: DensityOptions = {}): {
  grid: Float64Array;
  density: Float64Array;
  sigma: number;
} {
  const fn = 'spectralDensity';
  const { nodes, weights, lambdaMax, lambdaMin } = result;
  const spread = lambdaMax - lambdaMin;
  const defaultSigma = spread > 0 ? spread / 100 : 1e-3 * Math.max(1, Math.abs(lambdaMax));
  const sigma = checkOption(options.sigma ?? defaultSigma, 'sigma', { min: 0, minExclusive: true }, fn);
  const points = checkOption(options.points ?? 400, 'points', { min: 2, integer: true }, fn);
  const [lo, hi] = options.range ?? [lambdaMin - 5 * sigma, lambdaMax + 5 * sigma];
  checkOption(lo, 'range[0]', {}, fn);
  checkOption(hi, 'range[1]', { min: lo, minExclusive: true }, fn);
  const grid = new Float64Array(points);
  const density = new Float64Array(points);
  const c = 1 / (sigma * Math.sqrt(2 * Math.PI));
  for (let i = 0; i < points; i++) {
    const x = lo + ((hi - lo) * i) / (points - 1);
    grid[i] = x;
    let s = 0;
    for (let k = 0; k < nodes.length; k++) {
      const z = (x - nodes[k]) / sigma;
      s += weights[k] * Math.exp(-0.5 * z * z);
    }
    density[i] = c * s;
  }
  return { grid, density, sigma };
}
