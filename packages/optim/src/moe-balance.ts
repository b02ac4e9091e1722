/**
 * Auxiliary-loss-free load balancing (ALF-LB) for sparse mixture-of-experts routing, read as a
 * one-step-per-iteration primal-dual method (shared/methods/alf-lb.md).
 *
 * Each token t picks the top-K experts of `s[t,i] + b_i`; the per-expert bias `b` is used for that
 * selection only, never in the gate weights. After each step the bias takes a dual subgradient step
 * with every coordinate normalised (the sign rule):
 *
 *     cbar = (Σ_i c_i) / E,   e_i = cbar − c_i,   b_i += u_n · sign(e_i)   (sign(0) = 0)
 *
 * so overloaded experts get a LOWER bias. `b` is the multiplier of the expert-capacity constraint of the
 * assignment problem `max Σ s x  s.t. Σ_i x[t,i] = K, Σ_t x[t,i] = TK/E, x ∈ {0,1}`, whose dual is
 * `D(b) = Σ_t topKsum(s_t + b) − (TK/E) Σ_i b_i`; `c_i − TK/E` is a subgradient of D.
 *
 * Papers: L. Wang, H. Gao, C. Zhao, X. Sun, D. Dai, "Auxiliary-Loss-Free Load Balancing Strategy for
 * Mixture-of-Experts", arXiv 2408.15664 (2024); X.Y. Han, Y. Zhong, "A Theoretical Framework for
 * Auxiliary-Loss-Free Load Balancing of Sparse Mixture-of-Experts in Large-Scale AI Models",
 * arXiv 2512.03915 (2025); DeepSeek-V3, arXiv 2412.19437 (group-limited routing, route scale).
 *
 * The card puts this code in `@optkit/cluster`; issue 5 puts it in `@optkit/optim` (the cluster package
 * must not hold methods: it loads job handlers through the registry), so it lives here.
 */
import {
  OptkitError,
  assertFinite,
  assertInteger,
  assertLength,
  checkChoice,
  checkOption,
} from '@optkit/core';

/** How the bias step size u_n depends on the step counter n. */
export type AlfLbSchedule = 'constant' | 'annealed' | 'inverseTime' | ((n: number) => number);

export interface AlfLbOptions {
  /** E, the number of routed experts (integer >= 1). */
  numExperts: number;
  /** K, experts per token (integer in [1, E]). */
  topK: number;
  /** u, the bias step size (>= 0; default 1e-3, Wang et al.'s best of {1e-4, 1e-3, 1e-2}). */
  updateRate?: number;
  /**
   * Step-size schedule (default `'constant'`): `'annealed'` u_n = u/√(n+1); `'inverseTime'`
   * u_n = u/(1 + n/n0) with n0 = {@link AlfLbOptions.inverseTimeSteps}; or a function of n returning a
   * finite u_n >= 0.
   */
  schedule?: AlfLbSchedule;
  /** n0 of the `'inverseTime'` schedule (default 50, the card's E2 setting 0.05/(1+n/50)). */
  inverseTimeSteps?: number;
  /** `'sign'` (default): b_i += u_n·sign(e_i); `'proportional'`: b_i += u_n·e_i (Wang et al. Table 3). */
  rule?: 'sign' | 'proportional';
  /** Subtract mean(b) after each update (torchtitan); selection is unchanged by it. Default false. */
  recenter?: boolean;
  /**
   * DeepSeek-V3 group-limited routing (default none): the E experts form `numGroups` equal groups; a
   * group's score is the sum of its two largest biased scores (its largest when a group has one
   * expert); the best `keepGroups` groups are kept and the top-K is taken inside them.
   */
  groups?: { numGroups: number; keepGroups: number };
  /**
   * Gate weights, always from the UNBIASED scores (default `'sigmoid-normalized'`):
   * - `'sigmoid-normalized'`: scores are affinities (e.g. sigmoid outputs); g = s_i / Σ_{j∈S_t} s_j
   *   (weights 1/K when that sum is 0);
   * - `'softmax'`: scores are router logits; the affinities are their softmax over the E experts,
   *   selection uses softmax + b and g is the selected expert's probability, not renormalised (V3,
   *   Wang et al.'s softmax appendix);
   * - `'raw'`: scores are affinities; g = s_i.
   */
  gate?: 'sigmoid-normalized' | 'softmax' | 'raw';
  /** Factor on every gate weight (default 1; DeepSeek-V3 uses 2.5). */
  routeScale?: number;
}

/** One routing pass over a batch. */
export interface RouteResult {
  /** Chosen experts, [T*K] row-major, each token's in decreasing biased score (ties: lowest index). */
  experts: Int32Array;
  /** Gate weights of the chosen experts, [T*K] (float32: they feed float32 model tensors). */
  weights: Float32Array;
  /** c_i = number of tokens routed to expert i, [E]. */
  counts: Int32Array;
  /** Σ over chosen (t, i) of the unbiased affinity s[t,i]: the assignment objective (routing quality). */
  scoreSum: number;
  /** Σ over chosen (t, i) of s[t,i] + b_i (the first term of the dual D(b)). */
  biasedSum: number;
}

/** The result of one bias update. */
export interface AlfLbUpdate {
  /** MaxVio of the counts that were passed in: max_i c_i/cbar − 1 (0 for all-zero counts). */
  maxVio: number;
  /** The bias after the update (a copy). */
  bias: Float64Array;
  /** The new step counter (= number of updates so far). */
  version: number;
}

/** Serializable balancer state, for checkpoints. */
export interface AlfLbState {
  bias: number[];
  version: number;
}

interface ResolvedOptions {
  numExperts: number;
  topK: number;
  updateRate: number;
  schedule: AlfLbSchedule;
  inverseTimeSteps: number;
  rule: 'sign' | 'proportional';
  recenter: boolean;
  groups: { numGroups: number; keepGroups: number } | undefined;
  gate: 'sigmoid-normalized' | 'softmax' | 'raw';
  routeScale: number;
}

const FN = 'AlfLbBalancer';

/** Validates AlfLbOptions (INVALID_OPTION naming the option) and fills in the defaults. */
export function resolveAlfLbOptions(opts: AlfLbOptions, fn = FN): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object with numExperts and topK`, 'options');
  }
  const numExperts = checkOption(opts.numExperts, 'numExperts', { min: 1, integer: true }, fn);
  const topK = checkOption(opts.topK, 'topK', { min: 1, max: numExperts, integer: true }, fn);
  const updateRate = checkOption(opts.updateRate ?? 1e-3, 'updateRate', { min: 0 }, fn);
  const schedule = opts.schedule ?? 'constant';
  if (typeof schedule !== 'function') checkChoice(schedule, ['constant', 'annealed', 'inverseTime'] as const, 'schedule', fn);
  const inverseTimeSteps = checkOption(opts.inverseTimeSteps ?? 50, 'inverseTimeSteps', { min: 0, minExclusive: true }, fn);
  const rule = checkChoice(opts.rule ?? 'sign', ['sign', 'proportional'] as const, 'rule', fn);
  const recenter = opts.recenter ?? false;
  if (typeof recenter !== 'boolean') throw new OptkitError('INVALID_OPTION', `${fn}: option recenter must be a boolean`, 'recenter');
  const gate = checkChoice(opts.gate ?? 'sigmoid-normalized', ['sigmoid-normalized', 'softmax', 'raw'] as const, 'gate', fn);
  const routeScale = checkOption(opts.routeScale ?? 1, 'routeScale', { min: 0, minExclusive: true }, fn);
  let groups: ResolvedOptions['groups'];
  if (opts.groups !== undefined) {
    const g = opts.groups;
    if (g === null || typeof g !== 'object') throw new OptkitError('INVALID_OPTION', `${fn}: option groups must be {numGroups, keepGroups}`, 'groups');
    const numGroups = checkOption(g.numGroups, 'groups.numGroups', { min: 1, max: numExperts, integer: true }, fn);
    if (numExperts % numGroups !== 0) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option groups.numGroups = ${numGroups} must divide numExperts = ${numExperts}`, 'groups.numGroups');
    }
    const keepGroups = checkOption(g.keepGroups, 'groups.keepGroups', { min: 1, max: numGroups, integer: true }, fn);
    if (topK > keepGroups * (numExperts / numGroups)) {
      throw new OptkitError(
        'INVALID_OPTION',
        `${fn}: option topK = ${topK} exceeds the ${keepGroups * (numExperts / numGroups)} experts in the ${keepGroups} kept groups`,
        'topK',
      );
    }
    groups = { numGroups, keepGroups };
  }
  return { numExperts, topK, updateRate, schedule, inverseTimeSteps, rule, recenter, groups, gate, routeScale };
}

/** MaxVio of a load vector (Wang et al. eq. 4): `max_i c_i / cbar − 1` with `cbar = Σ c / E`; 0 when Σ c = 0. */
export function maxViolation(counts: ArrayLike<number>): number {
  const E = counts.length;
  if (E === 0) throw new OptkitError('EMPTY_INPUT', 'maxViolation: counts is empty', 'counts');
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < E; i++) {
    const c = counts[i];
    sum += c;
    if (c > max) max = c;
  }
  if (sum === 0) return 0;
  return (max * E) / sum - 1;
}

/**
 * Selects the top-k of `row[off..off+E) + bias` into `outIdx/outVal` (sorted by decreasing value,
 * ties toward the lowest index) among experts where `allowed` is 1 (or all when `allowed` is null).
 * Insertion into a k-long list: O(E·k) worst case, O(E) typically, no allocation.
 */
function selectTopK(
  row: ArrayLike<number>,
  off: number,
  bias: Float64Array,
  E: number,
  k: number,
  allowed: Uint8Array | null,
  outIdx: Int32Array,
  outVal: Float64Array,
): void {
  let filled = 0;
  for (let i = 0; i < E; i++) {
    if (allowed !== null && allowed[i] === 0) continue;
    const v = row[off + i] + bias[i];
    // Strict '>' keeps the earlier (lower) index ahead on ties.
    if (filled === k && !(v > outVal[k - 1])) continue;
    let j = filled === k ? k - 1 : filled++;
    while (j > 0 && v > outVal[j - 1]) {
      outVal[j] = outVal[j - 1];
      outIdx[j] = outIdx[j - 1];
      j--;
    }
    outVal[j] = v;
    outIdx[j] = i;
  }
}

/**
 * ALF-LB balancer for one MoE layer: routes batches with the current bias and updates the bias from
 * the GLOBAL counts of a step. Pure (no I/O); bias kept in float64.
 */
export class AlfLbBalancer {
  readonly options: Readonly<ResolvedOptions>;
  private readonly b: Float64Array;
  private n = 0;
  // Scratch for routing, sized once.
  private readonly topIdx: Int32Array;
  private readonly topVal: Float64Array;
  private readonly allowed: Uint8Array | null;
  private readonly groupScore: Float64Array | null;
  private readonly groupIdx: Int32Array | null;
  private readonly groupVal: Float64Array | null;
  private readonly zeroBias: Float64Array | null;
  private probs: Float64Array | null;

  constructor(opts: AlfLbOptions) {
    this.options = Object.freeze(resolveAlfLbOptions(opts));
    const { numExperts: E, topK: K, groups } = this.options;
    this.b = new Float64Array(E);
    this.topIdx = new Int32Array(K);
    this.topVal = new Float64Array(K);
    if (groups) {
      this.allowed = new Uint8Array(E);
      this.groupScore = new Float64Array(groups.numGroups);
      this.groupIdx = new Int32Array(groups.keepGroups);
      this.groupVal = new Float64Array(groups.keepGroups);
      this.zeroBias = new Float64Array(groups.numGroups);
    } else {
      this.allowed = null;
      this.groupScore = null;
      this.groupIdx = null;
      this.groupVal = null;
      this.zeroBias = null;
    }
    this.probs = this.options.gate === 'softmax' ? new Float64Array(E) : null;
  }

  /** The current bias (a copy). */
  get bias(): Float64Array {
    return this.b.slice();
  }

  /** The step counter n: how many updates have been applied. */
  get version(): number {
    return this.n;
  }

  /** The step size u_n the next update will use. */
  stepSize(n = this.n): number {
    const { updateRate: u, schedule, inverseTimeSteps } = this.options;
    if (typeof schedule === 'function') {
      const v = schedule(n);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new OptkitError('INVALID_OPTION', `${FN}: schedule(${n}) returned ${String(v)}; expected a finite number >= 0`, 'schedule');
      }
      return v;
    }
    if (schedule === 'annealed') return u / Math.sqrt(n + 1);
    if (schedule === 'inverseTime') return u / (1 + n / inverseTimeSteps);
    return u;
  }

  /**
   * Routes `numTokens` tokens whose scores are `scores[t*E + i]` (row-major [T, E]) with the current
   * bias. Does not update the bias. Throws SHAPE_MISMATCH on a wrong length, NOT_FINITE on NaN/Inf.
   */
  route(scores: Float32Array | Float64Array, numTokens: number): RouteResult {
    const { numExperts: E, topK: K } = this.options;
    assertInteger(numTokens, 'numTokens', 0, `${FN}.route`);
    assertLength(scores, numTokens * E, 'scores', `${FN}.route`);
    assertFinite(scores, 'scores', `${FN}.route`);
    return this.routeUnchecked(scores, numTokens, new Int32Array(numTokens * K), new Float32Array(numTokens * K), new Int32Array(E));
  }

  /** {@link route} into caller-owned outputs (counts are overwritten); inputs are not validated. */
  routeUnchecked(
    scores: Float32Array | Float64Array,
    numTokens: number,
    experts: Int32Array,
    weights: Float32Array,
    counts: Int32Array,
  ): RouteResult {
    const { numExperts: E, topK: K, gate, routeScale, groups } = this.options;
    const b = this.b;
    const topIdx = this.topIdx;
    const topVal = this.topVal;
    const probs = this.probs;
    counts.fill(0);
    let scoreSum = 0;
    let biasedSum = 0;
    for (let t = 0; t < numTokens; t++) {
      let row: ArrayLike<number> = scores;
      let off = t * E;
      if (probs !== null) {
        // Softmax over the token's logits; the affinities are the probabilities.
        let m = -Infinity;
        for (let i = 0; i < E; i++) if (scores[off + i] > m) m = scores[off + i];
        let z = 0;
        for (let i = 0; i < E; i++) {
          const e = Math.exp(scores[off + i] - m);
          probs[i] = e;
          z += e;
        }
        for (let i = 0; i < E; i++) probs[i] /= z;
        row = probs;
        off = 0;
      }
      if (groups !== undefined) this.pickGroups(row, off);
      selectTopK(row, off, b, E, K, this.allowed, topIdx, topVal);
      let denom = 0;
      for (let k = 0; k < K; k++) {
        const i = topIdx[k];
        const s = row[off + i];
        denom += s;
        scoreSum += s;
        biasedSum += topVal[k];
        counts[i]++;
        experts[t * K + k] = i;
      }
      for (let k = 0; k < K; k++) {
        const s = row[off + topIdx[k]];
        let g: number;
        if (gate === 'sigmoid-normalized') g = denom !== 0 ? s / denom : 1 / K;
        else g = s;
        weights[t * K + k] = routeScale * g;
      }
    }
    return { experts, weights, counts, scoreSum, biasedSum };
  }

  /** Group-limited routing: marks in `allowed` the experts of the best keepGroups groups. */
  private pickGroups(row: ArrayLike<number>, off: number): void {
    const { numExperts: E, groups } = this.options;
    const { numGroups, keepGroups } = groups!;
    const size = E / numGroups;
    const gs = this.groupScore!;
    const allowed = this.allowed!;
    const b = this.b;
    for (let g = 0; g < numGroups; g++) {
      let first = -Infinity;
      let second = -Infinity;
      for (let i = g * size; i < (g + 1) * size; i++) {
        const v = row[off + i] + b[i];
        if (v > first) {
          second = first;
          first = v;
        } else if (v > second) second = v;
      }
      gs[g] = size === 1 ? first : first + second;
    }
    selectTopK(gs, 0, this.zeroBias!, numGroups, keepGroups, null, this.groupIdx!, this.groupVal!);
    allowed.fill(0);
    for (let k = 0; k < keepGroups; k++) {
      const g = this.groupIdx![k];
      for (let i = g * size; i < (g + 1) * size; i++) allowed[i] = 1;
    }
  }

  /**
   * One bias step from the step's GLOBAL counts (summed over every micro-batch and shard):
   * `cbar = Σc/E`, `e_i = cbar − c_i`, `b_i += u_n·sign(e_i)` (or `u_n·e_i` for the proportional rule),
   * then optionally `b −= mean(b)`. cbar comes from the counts themselves (not TK/E), so dropped tokens
   * cannot bias the signs. Throws SHAPE_MISMATCH on a wrong length, INVALID_ARGUMENT on negative counts.
   */
  update(globalCounts: Int32Array | ArrayLike<number>): AlfLbUpdate {
    const { numExperts: E, rule, recenter } = this.options;
    assertLength(globalCounts, E, 'globalCounts', `${FN}.update`);
    let sum = 0;
    for (let i = 0; i < E; i++) {
      const c = globalCounts[i];
      if (!Number.isInteger(c) || c < 0) {
        throw new OptkitError('INVALID_ARGUMENT', `${FN}.update: globalCounts[${i}] is ${c}; expected an integer >= 0`, 'globalCounts');
      }
      sum += c;
    }
    const maxVio = maxViolation(globalCounts);
    const u = this.stepSize(this.n);
    const b = this.b;
    if (sum > 0) {
      const cbar = sum / E;
      for (let i = 0; i < E; i++) {
        const e = cbar - globalCounts[i];
        b[i] += rule === 'sign' ? u * Math.sign(e) : u * e;
      }
    }
    if (recenter) {
      let m = 0;
      for (let i = 0; i < E; i++) m += b[i];
      m /= E;
      for (let i = 0; i < E; i++) b[i] -= m;
    }
    this.n++;
    return { maxVio, bias: b.slice(), version: this.n };
  }

  /** Checkpoint state: the bias (float64 values as plain numbers, exact) and the step counter. */
  state(): AlfLbState {
    return { bias: Array.from(this.b), version: this.n };
  }

  /** Restores a checkpoint (or a broadcast bias). Throws SHAPE_MISMATCH / NOT_FINITE / INVALID_ARGUMENT. */
  load(s: { bias: ArrayLike<number>; version: number }): void {
    assertLength(s.bias, this.options.numExperts, 'bias', `${FN}.load`);
    assertFinite(s.bias, 'bias', `${FN}.load`);
    assertInteger(s.version, 'version', 0, `${FN}.load`);
    for (let i = 0; i < this.b.length; i++) this.b[i] = s.bias[i];
    this.n = s.version;
  }
}

/**
 * The dual function of the assignment problem at bias b, given a routing pass made with that bias:
 * `D(b) = Σ_t topKsum(s_t + b) − cbar·Σ_i b_i` with `cbar = TK/E`. D >= the balanced optimum for every b.
 */
export function dualValue(route: RouteResult, bias: ArrayLike<number>, numTokens: number, topK: number): number {
  let bs = 0;
  for (let i = 0; i < bias.length; i++) bs += bias[i];
  return route.biasedSum - ((numTokens * topK) / bias.length) * bs;
}

export interface StaticSolveOptions extends AlfLbOptions {
  /** Most bias updates (default 5000, the card's E1 length). */
  maxIter?: number;
  /** Stop once max_i |c_i − cbar| <= tol (default 0: exactly balanced; never when TK/E is not an integer). */
  tol?: number;
  signal?: AbortSignal;
}

export interface StaticSolveResult {
  /** Bias of the best iterate: the smallest max|c − cbar|, ties broken by the smaller dual value. */
  bias: Float64Array;
  counts: Int32Array;
  /** Σ of unbiased scores over the best iterate's selection. */
  objective: number;
  /** D(bias) of the best iterate. */
  dual: number;
  /** Iterate index of the best iterate. */
  bestIteration: number;
  iterations: number;
  converged: boolean;
  /** Per iterate n (bias b_n, before the update): MaxVio, D(b_n) and the primal objective. */
  history: { maxVio: number; dual: number; objective: number }[];
}

/**
 * The static mode of ALF-LB (card E1): repeated route + update on FIXED scores [T, E]. Stops when
 * `max_i |c_i − cbar| <= tol` or after `maxIter` updates, and returns the best iterate seen.
 */
export function solveAssignmentStatic(scores: Float64Array | Float32Array, numTokens: number, opts: StaticSolveOptions): StaticSolveResult {
  const fn = 'solveAssignmentStatic';
  const balancer = new AlfLbBalancer(opts);
  const { numExperts: E, topK: K } = balancer.options;
  assertInteger(numTokens, 'numTokens', 1, fn);
  assertLength(scores, numTokens * E, 'scores', fn);
  assertFinite(scores, 'scores', fn);
  const maxIter = checkOption(opts.maxIter ?? 5000, 'maxIter', { min: 0, integer: true }, fn);
  const tol = checkOption(opts.tol ?? 0, 'tol', { min: 0 }, fn);
  const experts = new Int32Array(numTokens * K);
  const weights = new Float32Array(numTokens * K);
  const counts = new Int32Array(E);
  const history: StaticSolveResult['history'] = [];
  const cbar = (numTokens * K) / E;
  let best: { dev: number; dual: number; bias: Float64Array; counts: Int32Array; objective: number; iteration: number } = {
    dev: Infinity,
    dual: Infinity,
    bias: new Float64Array(E),
    counts: new Int32Array(E),
    objective: 0,
    iteration: 0,
  };
  let converged = false;
  let n = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new OptkitError('ABORTED', `${fn}: aborted`);
    const r = balancer.routeUnchecked(scores, numTokens, experts, weights, counts);
    const bias = balancer.bias;
    const dual = dualValue(r, bias, numTokens, K);
    let dev = 0;
    for (let i = 0; i < E; i++) dev = Math.max(dev, Math.abs(counts[i] - cbar));
    history.push({ maxVio: maxViolation(counts), dual, objective: r.scoreSum });
    if (dev < best.dev || (dev === best.dev && dual < best.dual)) {
      best = { dev, dual, bias, counts: counts.slice(), objective: r.scoreSum, iteration: n };
    }
    if (dev <= tol) {
      converged = true;
      break;
    }
    if (n >= maxIter) break;
    balancer.update(counts);
    n++;
  }
  return {
    bias: best.bias,
    counts: best.counts,
    objective: best.objective,
    dual: best.dual,
    bestIteration: best.iteration,
    iterations: n,
    converged,
    history,
  };
}

/**
 * The exact balanced assignment (card baseline 4, the oracle): maximise Σ s[t,i] x[t,i] with K
 * distinct experts per token and at most `capacity` (default ceil(TK/E)) tokens per expert. Solved
 * as a min-cost flow by successive shortest paths, adding tokens one unit at a time; paths are found
 * with Bellman–Ford on the E-node graph of "move one token from expert i to expert j" edges (cheapest
 * such token per pair), which is exact because the residual graph never has a negative cycle.
 * Cost O(T·K · T·K·E); fine for T <= 4096, E <= 64.
 */
export function solveAssignmentExact(
  scores: Float64Array | Float32Array,
  numTokens: number,
  opts: { numExperts: number; topK: number; capacity?: number },
): { objective: number; experts: Int32Array; counts: Int32Array } {
  const fn = 'solveAssignmentExact';
  const E = checkOption(opts.numExperts, 'numExperts', { min: 1, integer: true }, fn);
  const K = checkOption(opts.topK, 'topK', { min: 1, max: E, integer: true }, fn);
  assertInteger(numTokens, 'numTokens', 1, fn);
  assertLength(scores, numTokens * E, 'scores', fn);
  assertFinite(scores, 'scores', fn);
  const cap = checkOption(opts.capacity ?? Math.ceil((numTokens * K) / E), 'capacity', { min: 0, integer: true }, fn);
  if (cap * E < numTokens * K) {
    throw new OptkitError('INVALID_OPTION', `${fn}: capacity ${cap} x ${E} experts cannot hold ${numTokens * K} assignments`, 'capacity');
  }
  const T = numTokens;
  const assign = new Int32Array(T * K).fill(-1);
  const counts = new Int32Array(E);
  // Cheapest move i -> j (cost s[t,i] - s[t,j], in "lost score") and the token that achieves it.
  const move = new Float64Array(E * E);
  const moveTok = new Int32Array(E * E);
  const dist = new Float64Array(E);
  const pred = new Int32Array(E);
  const predTok = new Int32Array(E);
  const on = new Uint8Array(E);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      move.fill(Infinity);
      for (let t2 = 0; t2 <= t; t2++) {
        const base = t2 * K;
        on.fill(0);
        for (let kk = 0; kk < K; kk++) if (assign[base + kk] >= 0) on[assign[base + kk]] = 1;
        for (let kk = 0; kk < K; kk++) {
          const i = assign[base + kk];
          if (i < 0) continue;
          const si = scores[t2 * E + i];
          for (let j = 0; j < E; j++) {
            if (on[j]) continue;
            const c = si - scores[t2 * E + j];
            if (c < move[i * E + j]) {
              move[i * E + j] = c;
              moveTok[i * E + j] = t2;
            }
          }
        }
      }
      on.fill(0);
      for (let kk = 0; kk < k; kk++) on[assign[t * K + kk]] = 1;
      for (let j = 0; j < E; j++) {
        dist[j] = on[j] ? Infinity : -scores[t * E + j];
        pred[j] = -1;
      }
      for (let pass = 0; pass < E; pass++) {
        let changed = false;
        for (let i = 0; i < E; i++) {
          if (dist[i] === Infinity) continue;
          for (let j = 0; j < E; j++) {
            const d = dist[i] + move[i * E + j];
            if (d < dist[j] - 1e-12) {
              dist[j] = d;
              pred[j] = i;
              predTok[j] = moveTok[i * E + j];
              changed = true;
            }
          }
        }
        if (!changed) break;
      }
      let target = -1;
      for (let j = 0; j < E; j++) if (counts[j] < cap && dist[j] < Infinity && (target < 0 || dist[j] < dist[target])) target = j;
      if (target < 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: no feasible augmenting path (internal error)`, 'scores');
      // Walk back: each edge pred[j] -> j moves token predTok[j] from pred[j] to j.
      counts[target]++;
      let j = target;
      let guard = 0;
      while (pred[j] >= 0) {
        const i = pred[j];
        const tok = predTok[j];
        for (let kk = 0; kk < K; kk++) {
          if (assign[tok * K + kk] === i) {
            assign[tok * K + kk] = j;
            break;
          }
        }
        j = i;
        if (++guard > E) throw new OptkitError('INVALID_ARGUMENT', `${fn}: cycle in shortest-path tree (internal error)`, 'scores');
      }
      assign[t * K + k] = j;
    }
  }
  let objective = 0;
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) objective += scores[t * E + assign[t * K + k]];
  return { objective, experts: assign, counts };
}
