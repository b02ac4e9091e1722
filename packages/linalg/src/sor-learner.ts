/**
 * Choosing the SOR relaxation factor ω online across a sequence of linear systems, from iteration
 * counts only, as in "Learning to Relax: Setting Solver Parameters Across a Sequence of Linear System
 * Instances" (Khodak, Chow, Balcan, Talwalkar, ICLR 2024): before each system a bandit proposes ω,
 * SOR solves the system with it, and the iteration count is the bandit's cost. Also the paper's
 * baselines (a fixed ω, the best fixed ω in hindsight, the instance-optimal ω of Young's theory) and
 * its test sequence (a shifted 2D Laplacian with Beta-distributed shifts).
 */
import {
  CsrMatrix,
  OptkitError,
  checkChoice,
  checkOption,
  linspace,
  poisson2d,
  rngFrom,
  type RandomOptions,
} from '@optkit/core';
import { ChebCB } from './bandits/cheb-cb.js';
import { TsallisInf, TsallisInfCB, type BanditPolicy, type TsallisInfOptions } from './bandits/tsallis-inf.js';
import { sor } from './sor.js';

/** One system of a sequence: A x = b, with an optional scalar context (e.g. its diagonal shift). */
export interface SorSystem {
  A: CsrMatrix;
  b: Float64Array;
  context?: number;
}

export type SorPolicyName = 'tsallis' | 'tsallis-cb' | 'chebcb';

export interface LearnSorOptions extends RandomOptions {
  /** The bandit. Default 'tsallis' (needs no context); the contextual ones need `context` on every system. */
  policy?: SorPolicyName | BanditPolicy<number | undefined>;
  /** Candidate ω values. Default linspace(1, 1.95, 20) (the paper's grid). */
  arms?: readonly number[];
  /** SOR tolerance relative to ‖r₀‖. Default 1e-8. */
  tol?: number;
  /** SOR iteration cap (the cost of a failed solve). Default 10000. */
  maxIter?: number;
  /** Newton start of the Tsallis-INF normaliser (see {@link TsallisInfOptions.newtonStart}). Default 'bracket'. */
  newtonStart?: 'bracket' | 'reference';
  /** Context interval for the contextual policies. Default [−0.15, 0.65]. */
  contextRange?: [number, number];
  /** Keep every solution (default false: sequences can be long). */
  keepSolutions?: boolean;
  /** Also solve every system with every arm, for the best-fixed-ω-in-hindsight reference (costly: |arms| solves per system). Default false. */
  evaluateAllArms?: boolean;
  signal?: AbortSignal;
  /** Called after each system with its index, the ω played and its iteration count. */
  onRound?: (round: number, omega: number, iterations: number) => void;
}

export interface LearnSorResult {
  /** ω played per system. */
  omegas: number[];
  /** SOR iterations per system (the cost; `maxIter` for a solve that did not converge). */
  iterations: number[];
  /** Σ iterations. */
  total: number;
  arms: number[];
  /** With `evaluateAllArms`: iterations of every arm on every system (system-major, |arms| per system). */
  armCosts?: Int32Array;
  /** With `evaluateAllArms`: the best fixed arm in hindsight, its ω and its total iterations. */
  bestFixed?: { arm: number; omega: number; total: number };
  solutions?: Float64Array[];
  seconds: number;
}

/** The paper's ω grid: linspace(1, 1.95, 20). */
export function defaultOmegaGrid(): number[] {
  return Array.from(linspace(1, 1.95, 20));
}

function makePolicy(name: SorPolicyName, arms: number[], options: LearnSorOptions): BanditPolicy<number | undefined> {
  const [lo, hi] = options.contextRange ?? [-0.15, 0.65];
  const rng = rngFrom(options);
  switch (name) {
    case 'tsallis':
      return new TsallisInf(arms, { rng, newtonStart: options.newtonStart });
    case 'tsallis-cb':
      return new TsallisInfCB(arms, { rng, lo, hi, newtonStart: options.newtonStart }) as BanditPolicy<number | undefined>;
    case 'chebcb':
      return new ChebCB(arms, { rng, lo, hi }) as BanditPolicy<number | undefined>;
  }
}

/**
 * Solves a sequence of systems with SOR, letting a bandit choose ω before each from the iteration
 * counts of the previous ones. Returns the ω and iteration count per system and, with
 * `evaluateAllArms`, the costs of every grid ω (for regret against the best fixed ω in hindsight).
 */
export function learnSorSequence(systems: Iterable<SorSystem>, options: LearnSorOptions = {}): LearnSorResult {
  const fn = 'learnSorSequence';
  const start = performance.now();
  const arms = options.arms ? Array.from(options.arms) : defaultOmegaGrid();
  if (arms.length === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: arms is empty`, 'options.arms');
  arms.forEach((w, i) => checkOption(w, `arms[${i}]`, { min: 0, max: 2, minExclusive: true, maxExclusive: true }, fn));
  const tol = checkOption(options.tol ?? 1e-8, 'tol', { min: 0 }, fn);
  const maxIter = checkOption(options.maxIter ?? 10000, 'maxIter', { min: 1, integer: true }, fn);
  const policyOption = options.policy ?? 'tsallis';
  const contextual = typeof policyOption === 'string' ? policyOption !== 'tsallis' : true;
  const policy =
    typeof policyOption === 'string'
      ? makePolicy(checkChoice(policyOption, ['tsallis', 'tsallis-cb', 'chebcb'] as const, 'policy', fn), arms, options)
      : policyOption;
  const omegas: number[] = [];
  const iterations: number[] = [];
  const solutions: Float64Array[] = [];
  const allCosts: number[] = [];
  let total = 0;
  let round = 0;
  for (const system of systems) {
    if (options.signal?.aborted) throw new OptkitError('ABORTED', `${fn}: aborted after ${round} systems`, 'signal');
    if (contextual && typeof policyOption === 'string' && (typeof system.context !== 'number' || !Number.isFinite(system.context))) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: system ${round} has no finite context; policy ${policyOption} needs one`, 'systems');
    }
    const omega = policy.predict(system.context);
    const result = sor(system.A, system.b, { omega, tol, maxIter, recordHistory: false });
    const cost = result.converged ? Math.max(1, result.iterations) : maxIter;
    policy.update(cost);
    omegas.push(omega);
    iterations.push(cost);
    total += cost;
    if (options.keepSolutions) solutions.push(result.x);
    if (options.evaluateAllArms) {
      for (const w of arms) {
        const r = w === omega ? result : sor(system.A, system.b, { omega: w, tol, maxIter, recordHistory: false });
        allCosts.push(r.converged ? Math.max(1, r.iterations) : maxIter);
      }
    }
    options.onRound?.(round, omega, cost);
    round++;
  }
  const out: LearnSorResult = { omegas, iterations, total, arms, seconds: (performance.now() - start) / 1000 };
  if (options.keepSolutions) out.solutions = solutions;
  if (options.evaluateAllArms) {
    const armCosts = Int32Array.from(allCosts);
    const totals = new Float64Array(arms.length);
    for (let s = 0; s < round; s++) for (let a = 0; a < arms.length; a++) totals[a] += armCosts[s * arms.length + a];
    let best = 0;
    for (let a = 1; a < arms.length; a++) if (totals[a] < totals[best]) best = a;
    out.armCosts = armCosts;
    out.bestFixed = { arm: best, omega: arms[best], total: totals[best] };
  }
  return out;
}

/**
 * Young's optimal SOR factor ω* = 2/(1 + √(1 − β²)) for a consistently ordered matrix whose Jacobi
 * iteration matrix I − D⁻¹A has spectral radius β < 1.
 */
export function youngOmega(jacobiRadius: number): number {
  checkOption(jacobiRadius, 'jacobiRadius', { min: 0, max: 1, maxExclusive: true }, 'youngOmega');
  return 2 / (1 + Math.sqrt(1 - jacobiRadius * jacobiRadius));
}

/** β = ρ(I − D⁻¹A) for the 5-point Laplacian on an m×m interior grid (diagonal 4) plus c·I: 4cos(π/(m+1))/(4 + c). */
export function shiftedLaplacianJacobiRadius(gridSize: number, shift: number): number {
  checkOption(gridSize, 'gridSize', { min: 1, integer: true }, 'shiftedLaplacianJacobiRadius');
  if (!(4 + shift > 4 * Math.cos(Math.PI / (gridSize + 1)))) {
    throw new OptkitError('INVALID_OPTION', `shiftedLaplacianJacobiRadius: shift ${shift} makes the matrix indefinite or singular`, 'shift');
  }
  return (4 * Math.cos(Math.PI / (gridSize + 1))) / (4 + shift);
}

export interface ShiftedLaplacianSequenceOptions extends RandomOptions {
  /** Interior grid size m (n = m²). Default 10 (the paper's `numgrid('S', 12)`). */
  gridSize?: number;
  /** Number of systems T. */
  count: number;
  /** `high`: c = −0.15 + 0.6·Beta(0.5, 1.5); `low`: c = −0.15 + 0.6·Beta(2, 6). Default 'high'. */
  variance?: 'high' | 'low';
}

/**
 * The paper's test sequence: A_t = A + c_t·I with A the 5-point Laplacian (diagonal 4, neighbours −1)
 * on an m×m interior grid and Beta-distributed shifts c_t; b_t standard normal, redrawn until
 * ‖b_t‖ ≤ √n. Each system carries c_t as its context. Generated lazily (seeded).
 *
 * The card gives the low-variance shift as "Beta(2, 6)"; we read it as −0.15 + 0.6·Beta(2, 6) like the
 * high-variance one (the same affine map), because only that reproduces the card's Gauss–Seidel costs
 * (~270 iterations per system; a raw Beta(2, 6) shift gives about 90).
 */
export function* shiftedLaplacianSequence(options: ShiftedLaplacianSequenceOptions): Generator<SorSystem & { context: number }> {
  const fn = 'shiftedLaplacianSequence';
  const gridSize = checkOption(options.gridSize ?? 10, 'gridSize', { min: 1, integer: true }, fn);
  const count = checkOption(options.count, 'count', { min: 0, integer: true }, fn);
  const variance = checkChoice(options.variance ?? 'high', ['high', 'low'] as const, 'variance', fn);
  const [alpha, beta] = variance === 'high' ? [0.5, 1.5] : [2, 6];
  const rng = rngFrom(options);
  const base = poisson2d(gridSize);
  const n = base.rows;
  const diag = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let p = base.indptr[i]; p < base.indptr[i + 1]; p++) if (base.indices[p] === i) diag[i] = p;
  }
  for (let t = 0; t < count; t++) {
    const shift = -0.15 + 0.6 * rng.beta(alpha, beta);
    const values = Float64Array.from(base.values);
    for (let i = 0; i < n; i++) values[diag[i]] += shift;
    const A = new CsrMatrix(n, n, base.indptr, base.indices, values);
    const b = new Float64Array(n);
    for (;;) {
      rng.fillNormal(b);
      let norm2 = 0;
      for (let i = 0; i < n; i++) norm2 += b[i] * b[i];
      if (norm2 <= n) break;
    }
    yield { A, b, context: shift };
  }
}
