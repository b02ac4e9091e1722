/**
 * Block coordinate descent with greedy selection rules, fixed and variable blocks, gradient, diagonal,
 * matrix and Newton block updates, and exact message-passing solves on forest blocks: J. Nutini,
 * I. Laradji, M. Schmidt, "Let's Make Block Coordinate Descent Converge Faster: Faster Greedy Rules,
 * Message-Passing, Active-Set Complexity, and Superlinear Convergence", JMLR 2022 (arXiv 1712.08859);
 * method card shared/methods/bcd.md, reference code IssamLaradji/BlockCoordinateDescent.
 *
 * Minimises F(x) = f(x) + Σᵢ gᵢ(xᵢ) (gᵢ = 0, λ|xᵢ| or λxᵢ + indicator(xᵢ ≥ 0)). Each iteration computes
 * the gradient entries the rule needs, picks a block b, changes only x_b, and lets the problem update
 * its cached Ax (or Qx − c) incrementally.
 *
 * Selection rules (b over the partition; L_b = λ_max(H_b), D_b = diag(dᵢ) ⪰ H_b, H_b ⪰ ∇²_bb f):
 * - `cyclic`, `random` (uniform), `lipschitz` (P(b) ∝ L_b);
 * - `gs` argmax ‖∇_b f‖, `gsl` argmax ‖∇_b f‖/√L_b, `gsd` argmax ‖∇_b f‖_{D_b⁻¹}, `gsq` argmax
 *   ‖∇_b f‖_{H_b⁻¹} — each maximises the guaranteed progress of its matching update (GS/GSL ↔ 1/L_b,
 *   GSD ↔ D_b⁻¹, GSQ ↔ H_b⁻¹); ties go to the smallest block index.
 * Variable blocks (`partition: 'variable'`, any τ coordinates): `gs` the τ largest |∇ᵢf|, `gsd` the τ
 * largest |∇ᵢf|/√dᵢ, `gsq` by iterative hard thresholding (IHT, `ihtIters` steps), `random` τ uniform
 * coordinates, `lipschitz` τ coordinates drawn ∝ Lᵢ without replacement, `cyclic` consecutive chunks
 * of a fresh random permutation per epoch (the reference's "Perm"). Exact GSL over variable blocks is
 * intractable (the paper plots VB-GSD as "GSL"), so `gsl` with variable blocks is refused — except
 * with `update: 'exact-forest'`, where variable blocks are greedy trees: each iteration grows one
 * forest over the sparse Hessian's graph visiting nodes by decreasing |∇ᵢf| (`gs`, "GS-tree"),
 * |∇ᵢf|/√Lᵢ (`gsl`), |∇ᵢf|/√dᵢ (`gsd`) or in random order (`random`), and solves it exactly
 * (`blockSize` is then unused).
 *
 * Updates: `lipschitz` x_b −= ∇_b f/L_b; `diagonal` x_b −= D_b⁻¹∇_b f; `matrix` x_b −= H_b⁻¹∇_b f (the
 * exact block minimiser on quadratics); `newton` with an Armijo line search (c = 1e-10, quadratic then
 * cubic interpolation from α = 1; a rise of f within 4ε|f| counts as decrease, so the full step is
 * still taken once the predicted decrease is below rounding); `lipschitz-approx` (per-coordinate estimates from 1, doubled until
 * f(x⁺) ≤ f(x) − ‖∇_b f‖²/(2L_b), stored back); `exact-forest` (Q_bb·d = −∇_b f by tree elimination,
 * O(|b|), for quadratics whose blocks induce forests).
 *
 * Bounds used: fixed blocks cache H_b's Cholesky factor, L_b = λ_max(H_b) and the in-block Gershgorin
 * dᵢ = Σ_{j∈b}|H_ij|; variable blocks use dᵢ = the problem's `rowSumBound` (full Gershgorin row sums, the
 * reference's "GSDHb"), else τ·Lᵢ (valid for any PSD block), for both GSD and the diagonal update. A
 * problem without `blockBound` gets L_b = Σ_{i∈b} Lᵢ (≥ λ_max) and dᵢ = τ·Lᵢ.
 *
 * Proximal terms (`prox: 'l1' | 'nonneg'`, weight `lambda`) use projected/proximal gradient block
 * steps (`constrainedUpdate: 'pg'`) with the `lipschitz` or `diagonal` step, or (`constrainedUpdate:
 * 'pn'` with `update: 'matrix'`) the projected-Newton block step that solves the block model
 * min_d ∇_b fᵀd + ½dᵀH_b d + Σ gᵢ(xᵢ + dᵢ) exactly (cyclic exact coordinate minimisation of the τ-variable
 * model to 1e-13; H_b ⪰ ∇²_bb f makes it a majoriser, so F never increases). `gs` then scores
 * coordinates by the GS-q rule: the most negative one-step model decrease
 * gᵢdᵢ + (Lᵢ/2)dᵢ² + gᵢ(xᵢ + dᵢ) − gᵢ(xᵢ) of the proximal step dᵢ.
 *
 * Two-metric projection (`constrainedUpdate: 'tmp'`, Bertsekas' method as the card states it) handles the
 * bound-constrained case `prox: 'nonneg'` (x ≥ 0 with λΣxᵢ; F's gradient on the block is ∇_b f + λ): the
 * working set is W = {i ∈ b : xᵢ > 1e-4 or ∂ᵢF ≤ 0}, the rest of the block is ε-active. The direction is a
 * Newton step on W (−H_WW⁻¹∇_W F, H_b from `blockBound` with `update: 'matrix'` or the true Hessian block
 * with `update: 'newton'`) and a diagonally scaled gradient −∂ᵢF/H_ii on the active set; the step
 * x_b ← max(0, x_b + αd) takes the largest α ∈ {1, ½, ¼, …} with F(x⁺) − F(x) ≤ 1e-4·∇_b Fᵀ(x⁺ − x)
 * (the projected Armijo rule). When 50 halvings fail (possible only off the ε-active identification), the
 * block takes the projected-gradient step with the diagonal majoriser τ·H_ii (any PSD H_b ⪯ τ·diag(H_b)),
 * so F never increases. It is defined for bound constraints only: an ℓ₁ term is refused (use `pn`).
 * Once the active manifold is identified, TMP is Newton's method on it: it converges superlinearly and
 * with τ = n often terminates in a few iterations (tested).
 */
import { OptkitError, Rng, Stopwatch, assertFinite, assertLength, checkChoice, checkOption, type StopReason, type Vec } from '@optkit/core';
import { backSolve, blockScore, blockStep, choleskyInPlace, factorBlock, factorNeeds, forwardSolve, type BlockFactors } from './bcd-kernels.js';
import { forestFactor, forestSolve, type ForestFactor } from './bcd-forest.js';
import { fixedPartition, forestPartition, greedyForestBlock, redBlackPartition, type FixedPartitionKind } from './bcd-partition.js';
import type { BcdProblem } from './bcd-problems.js';

export type BcdRule = 'cyclic' | 'random' | 'lipschitz' | 'gs' | 'gsl' | 'gsd' | 'gsq';
export type BcdUpdate = 'lipschitz' | 'diagonal' | 'matrix' | 'newton' | 'lipschitz-approx' | 'exact-forest';
export type BcdPartition = FixedPartitionKind | 'variable' | 'redblack' | 'forest' | Int32Array[];

export const BCD_RULES: readonly BcdRule[] = ['cyclic', 'random', 'lipschitz', 'gs', 'gsl', 'gsd', 'gsq'];
export const BCD_UPDATES: readonly BcdUpdate[] = ['lipschitz', 'diagonal', 'matrix', 'newton', 'lipschitz-approx', 'exact-forest'];

export interface BcdOptions {
  /**
   * `order` | `sort` | `avg` fixed blocks of `blockSize` (default `sort`, the paper's "FB"),
   * `variable` blocks, `redblack` | `forest` greedy graph partitions of the problem's sparse Hessian,
   * or an explicit list of disjoint blocks.
   */
  partition?: BcdPartition;
  /** τ, the block size of fixed and variable partitions (default 5). */
  blockSize?: number;
  /** Selection rule (default `gsq`; `cyclic` for `redblack`/`forest` partitions, whose blocks are cycled; `gs` (GS-q) with a prox term). */
  rule?: BcdRule;
  /** Block update (default `matrix`; `exact-forest` for `redblack`/`forest`; `lipschitz` with a prox term). */
  update?: BcdUpdate;
  /** Separable non-smooth term (default `none`). */
  prox?: 'none' | 'l1' | 'nonneg';
  /** λ of the prox term: λ‖x‖₁, or λΣxᵢ with x ≥ 0 (default 0). */
  lambda?: number;
  /** Block update with a prox term: projected gradient `pg` (default), projected Newton `pn` (exact block QP, update `matrix`), or two-metric projection `tmp` (prox `nonneg` only; update `matrix` or `newton`). */
  constrainedUpdate?: 'pg' | 'pn' | 'tmp';
  /** IHT steps of variable-block GSQ (default 10). */
  ihtIters?: number;
  /** Norm of the fixed-block GS/GSL/GSD scores: 2 (paper, default) or 1 (reference code). */
  gsNorm?: 2 | 1;
  /** Iterations (block updates), default 500 (every paper experiment). */
  maxIter?: number;
  /**
   * Stop when the stationarity measure (max |∇ᵢf|, or max |xᵢ − prox(xᵢ − ∇ᵢf)| with a prox term) is
   * ≤ tol; checked every iteration for greedy rules and once per ⌈n/τ⌉ iterations otherwise. Default
   * 0: run `maxIter` iterations.
   */
  tol?: number;
  /** Seed of the random rules (default 0). */
  seed?: number;
  /** Called after every iteration with F(x) and the block; returning `false` stops (reason `callback`). */
  onIteration?: (iteration: number, fx: number, block: Int32Array) => void | boolean;
  /** Stops between iterations (reason `aborted`; the result holds the last iterate). */
  signal?: AbortSignal;
}

/** One recorded iteration: F(x) after it, the block updated (empty for the start point), seconds since the start. */
export interface BcdHistoryEntry {
  f: number;
  block: Int32Array;
  time: number;
}

export interface BcdResult {
  x: Float64Array;
  /** F(x) at the returned x. */
  fx: number;
  converged: boolean;
  iterations: number;
  reason: StopReason;
  /** history[0] is the start point; history[k] follows iteration k. */
  history: BcdHistoryEntry[];
  seconds: number;
}

const FN = 'bcd';

function validateProblem(p: BcdProblem): number {
  if (!p || typeof p !== 'object' || typeof p.f !== 'function' || typeof p.grad !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: problem must have f(x) and grad(x, out?)`, 'problem');
  }
  const n = p.n;
  if (!Number.isInteger(n) || n < 1) throw new OptkitError('INVALID_ARGUMENT', `${FN}: problem.n is ${String(n)}; expected an integer >= 1`, 'problem.n');
  if (!(p.lipschitz instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${FN}: problem.lipschitz must be a Float64Array`, 'problem.lipschitz');
  assertLength(p.lipschitz, n, 'problem.lipschitz', FN);
  assertFinite(p.lipschitz, 'problem.lipschitz', FN);
  for (let i = 0; i < n; i++) {
    if (p.lipschitz[i] < 0) throw new OptkitError('INVALID_ARGUMENT', `${FN}: problem.lipschitz[${i}] is negative`, 'problem.lipschitz');
  }
  return n;
}

function validateBlocks(blocks: Int32Array[], n: number): Int32Array[] {
  if (!Array.isArray(blocks) || blocks.length === 0) throw new OptkitError('INVALID_OPTION', `${FN}: option partition must be a non-empty list of blocks`, 'partition');
  const seen = new Uint8Array(n);
  return blocks.map((b, k) => {
    if (!b || typeof b.length !== 'number' || b.length === 0) throw new OptkitError('INVALID_OPTION', `${FN}: option partition[${k}] is empty`, 'partition');
    const out = Int32Array.from(b);
    for (let i = 0; i < out.length; i++) {
      const v = b[i];
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new OptkitError('INVALID_OPTION', `${FN}: option partition[${k}][${i}] = ${v} is not an index in [0, ${n})`, 'partition');
      if (seen[v]) throw new OptkitError('INVALID_OPTION', `${FN}: option partition: index ${v} appears in two blocks`, 'partition');
      seen[v] = 1;
    }
    return out;
  });
}

/** Soft threshold / non-negative shrink: prox of step·λ|·| or step·(λ· + ι≥0) at v. */
/** ε of the two-metric projection's working set (the card's 1e-4). */
const TMP_EPSILON = 1e-4;

function proxScalar(kind: 'l1' | 'nonneg', v: number, t: number): number {
  if (kind === 'l1') return v > t ? v - t : v < -t ? v + t : 0;
  const w = v - t;
  return w > 0 ? w : 0;
}

function proxValue(kind: 'none' | 'l1' | 'nonneg', lambda: number, x: Vec): number {
  if (kind === 'none' || lambda === 0) return 0;
  let s = 0;
  if (kind === 'l1') for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  else for (let i = 0; i < x.length; i++) s += x[i];
  return lambda * s;
}

/** λ_max of the full bound H by power iteration (variable-block GSQ's IHT step μ = 1/λ_max). */
const fullLambdaCache = new WeakMap<BcdProblem, number>();
function fullLambdaMax(p: BcdProblem): number {
  const hit = fullLambdaCache.get(p);
  if (hit !== undefined) return hit;
  const n = p.n;
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let w = new Float64Array(n);
  let lambda = 0;
  for (let it = 0; it < 500; it++) {
    p.boundApply!(v, w);
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += w[i] * w[i];
    nrm = Math.sqrt(nrm);
    if (nrm === 0) break;
    for (let i = 0; i < n; i++) w[i] /= nrm;
    const prev = lambda;
    lambda = nrm;
    [v, w] = [w, v];
    if (Math.abs(lambda - prev) <= 1e-12 * lambda) break;
  }
  const out = lambda > 0 ? lambda : 1;
  fullLambdaCache.set(p, out);
  return out;
}

/**
 * Writes the indices of the `k` largest `score[i]` into `out` (ties: smaller index first; NaN
 * scores never chosen), then sorts `out` ascending. `bestVal` is k scratch.
 */
function topK(score: Float64Array, k: number, out: Int32Array, bestVal: Float64Array): void {
  let count = 0;
  for (let i = 0; i < score.length; i++) {
    const s = score[i];
    if (!(s === s)) continue;
    if (count === k && !(s > bestVal[k - 1])) continue;
    let pos = count < k ? count++ : k - 1;
    while (pos > 0 && s > bestVal[pos - 1]) {
      bestVal[pos] = bestVal[pos - 1];
      out[pos] = out[pos - 1];
      pos--;
    }
    bestVal[pos] = s;
    out[pos] = i;
  }
  // Fewer than k finite scores: fill with the smallest unused indices.
  if (count < k) {
    const used = new Set(Array.from(out.subarray(0, count)));
    for (let i = 0; count < k; i++) if (!used.has(i)) out[count++] = i;
  }
  out.sort();
}

/**
 * Minimises `problem` from `x0` by block coordinate descent (see the module comment for the rules).
 * Validates at entry: x0 (length n, finite; ≥ 0 with `prox: 'nonneg'`), every option (INVALID_OPTION
 * naming it), and that the problem provides what the rule/update needs (`blockBound` for `matrix`
 * and `gsq`, `hessBlock` for `newton`, `sparseHessian` for `exact-forest` and graph partitions,
 * `boundApply` for variable-block `gsq`). Returns the final iterate, F(x) and the history; never
 * throws for non-convergence.
 */
export function bcd(problem: BcdProblem, x0: Vec, options: BcdOptions = {}): BcdResult {
  const n = validateProblem(problem);
  if (!(x0 instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${FN}: x0 must be a Float64Array`, 'x0');
  assertLength(x0, n, 'x0', FN);
  assertFinite(x0, 'x0', FN);
  const partitionOpt: BcdPartition = options.partition ?? 'sort';
  const graph = partitionOpt === 'redblack' || partitionOpt === 'forest';
  if (!Array.isArray(partitionOpt)) checkChoice(partitionOpt, ['order', 'sort', 'avg', 'variable', 'redblack', 'forest'] as const, 'partition', FN);
  const blockSize = options.blockSize ?? Math.min(5, n);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > n) {
    throw new OptkitError('INVALID_OPTION', `${FN}: option blockSize is ${String(blockSize)}; expected an integer in [1, ${n}]`, 'blockSize');
  }
  const prox = checkChoice(options.prox ?? 'none', ['none', 'l1', 'nonneg'] as const, 'prox', FN);
  const lambda = checkOption(options.lambda ?? 0, 'lambda', { min: 0 }, FN);
  const constrained = checkChoice(options.constrainedUpdate ?? 'pg', ['pg', 'pn', 'tmp'] as const, 'constrainedUpdate', FN);
  const rule = checkChoice(options.rule ?? (graph ? 'cyclic' : prox !== 'none' ? 'gs' : 'gsq'), BCD_RULES, 'rule', FN);
  const update = checkChoice(options.update ?? (graph ? 'exact-forest' : prox !== 'none' && constrained === 'pg' ? 'lipschitz' : 'matrix'), BCD_UPDATES, 'update', FN);
  const ihtIters = checkOption(options.ihtIters ?? 10, 'ihtIters', { min: 1, integer: true }, FN);
  const gsNorm = options.gsNorm ?? 2;
  if (gsNorm !== 1 && gsNorm !== 2) throw new OptkitError('INVALID_OPTION', `${FN}: option gsNorm is ${String(gsNorm)}; expected 1 or 2`, 'gsNorm');
  const maxIter = checkOption(options.maxIter ?? 500, 'maxIter', { min: 0, integer: true }, FN);
  const tol = checkOption(options.tol ?? 0, 'tol', { min: 0 }, FN);
  const seed = checkOption(options.seed ?? 0, 'seed', { integer: true }, FN);
  if (options.onIteration !== undefined && typeof options.onIteration !== 'function') throw new OptkitError('INVALID_OPTION', `${FN}: option onIteration must be a function`, 'onIteration');
  const variable = partitionOpt === 'variable';
  const greedy = rule === 'gs' || rule === 'gsl' || rule === 'gsd' || rule === 'gsq';

  // What the rule and update need from the problem.
  const need = (ok: unknown, what: string, option: string): void => {
    if (!ok) throw new OptkitError('INVALID_OPTION', `${FN}: option ${option} = ${JSON.stringify(option === 'rule' ? rule : option === 'update' ? update : partitionOpt)} needs problem.${what}`, option);
  };
  if (prox === 'none' && constrained !== 'pg') throw new OptkitError('INVALID_OPTION', `${FN}: option constrainedUpdate ${JSON.stringify(constrained)} needs a prox term`, 'constrainedUpdate');
  if (prox !== 'none') {
    if (constrained === 'pg' && update !== 'lipschitz' && update !== 'diagonal') {
      throw new OptkitError('INVALID_OPTION', `${FN}: option update = ${JSON.stringify(update)} with prox ${prox} and constrainedUpdate "pg": use "lipschitz" or "diagonal" (or constrainedUpdate "pn" with "matrix")`, 'update');
    }
    if (constrained === 'pn' && update !== 'matrix') throw new OptkitError('INVALID_OPTION', `${FN}: option update = ${JSON.stringify(update)} with constrainedUpdate "pn": projected Newton uses "matrix"`, 'update');
    if (constrained === 'tmp' && prox !== 'nonneg') throw new OptkitError('INVALID_OPTION', `${FN}: option constrainedUpdate "tmp" (two-metric projection) handles bound constraints: use prox 'nonneg' (for 'l1' use "pn" or "pg")`, 'constrainedUpdate');
    if (constrained === 'tmp' && update !== 'matrix' && update !== 'newton') throw new OptkitError('INVALID_OPTION', `${FN}: option update = ${JSON.stringify(update)} with constrainedUpdate "tmp": two-metric projection uses "matrix" (H_b) or "newton" (the Hessian block)`, 'update');
    if (greedy && rule !== 'gs') throw new OptkitError('INVALID_OPTION', `${FN}: option rule = ${JSON.stringify(rule)} with prox ${prox}: use 'gs' (the GS-q rule) or a random/cyclic rule`, 'rule');
    if (prox === 'nonneg') {
      for (let i = 0; i < n; i++) if (x0[i] < 0) throw new OptkitError('INVALID_ARGUMENT', `${FN}: x0[${i}] = ${x0[i]} is negative; prox 'nonneg' needs a feasible start`, 'x0');
    }
  }
  if (variable && rule === 'gsl' && update !== 'exact-forest') throw new OptkitError('INVALID_OPTION', `${FN}: option rule = "gsl" is intractable with variable blocks (needs λ_max of every candidate block); use "gsd"`, 'rule');
  if (update === 'matrix' || rule === 'gsq') need(problem.blockBound, 'blockBound', update === 'matrix' ? 'update' : 'rule');
  if (variable && rule === 'gsq') need(problem.boundApply, 'boundApply', 'rule');
  if (update === 'newton') need(problem.hessBlock, 'hessBlock', 'update');
  if (update === 'exact-forest') {
    need(problem.sparseHessian, 'sparseHessian', 'update');
    if (variable && rule !== 'gs' && rule !== 'gsl' && rule !== 'gsd' && rule !== 'random') {
      throw new OptkitError('INVALID_OPTION', `${FN}: option rule = ${JSON.stringify(rule)} with variable forest blocks: use "gs", "gsl", "gsd" (greedy trees) or "random"`, 'rule');
    }
  }
  const varForest = variable && update === 'exact-forest';
  if (graph) need(problem.sparseHessian, 'sparseHessian', 'partition');

  // The partition.
  let blocks: Int32Array[] = [];
  if (Array.isArray(partitionOpt)) blocks = validateBlocks(partitionOpt, n);
  else if (partitionOpt === 'redblack') blocks = redBlackPartition(problem.sparseHessian!);
  else if (partitionOpt === 'forest') blocks = forestPartition(problem.sparseHessian!);
  else if (!variable) blocks = fixedPartition(problem.lipschitz, blockSize, partitionOpt);
  const nBlocks = blocks.length;
  let maxT = variable ? (update === 'exact-forest' ? n : blockSize) : 0;
  for (const b of blocks) maxT = Math.max(maxT, b.length);

  const L = problem.lipschitz;
  const vbDiag = new Float64Array(n);
  // Only VB-GSD and VB diagonal steps use dᵢ; the full Gershgorin sums can cost O(n·nnz(A)).
  if (variable && (rule === 'gsd' || update === 'diagonal')) {
    const rs = problem.rowSumBound;
    for (let i = 0; i < n; i++) vbDiag[i] = Math.max(rs ? rs[i] : blockSize * L[i], Number.MIN_VALUE);
  }

  // Scratch.
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const gb = new Float64Array(maxT);
  const delta = new Float64Array(maxT);
  const ys = new Float64Array(maxT);
  // τ² for dense block factorisations; forest solves need only |b|.
  const scratch = new Float64Array(update === 'exact-forest' ? maxT : maxT * maxT);
  const score = variable ? new Float64Array(n) : new Float64Array(0);
  const topVal = new Float64Array(blockSize);
  const vbBlock = new Int32Array(blockSize);
  const factors: (BlockFactors | undefined)[] = new Array(nBlocks);
  const forests: (ForestFactor | undefined)[] = new Array(nBlocks);
  const laL = update === 'lipschitz-approx' ? new Float64Array(n).fill(1) : undefined;
  const rng = new Rng(seed);
  let perm: Int32Array | undefined;

  const needs = factorNeeds(rule, update);
  /** Factors of a block: from H_b when the problem bounds blocks, else the trace and τ·Lᵢ bounds. */
  const factorsOf = (b: Int32Array): BlockFactors => {
    const t = b.length;
    if (problem.blockBound) {
      const H = problem.blockBound(b);
      if (H.rows !== t || H.cols !== t) throw new OptkitError('SHAPE_MISMATCH', `${FN}: problem.blockBound returned ${H.rows}×${H.cols} for a block of ${t}`, 'problem.blockBound');
      return factorBlock(Float64Array.from(H.data), t, new Float64Array(t * t), needs);
    }
    let Lb = 0;
    const d = new Float64Array(t);
    for (let i = 0; i < t; i++) {
      Lb += L[b[i]];
      d[i] = Math.max(t * L[b[i]], Number.MIN_VALUE);
    }
    return { chol: new Float64Array(0), Lb: Math.max(Lb, Number.MIN_VALUE), d };
  };
  const fixedFactors = (k: number): BlockFactors => (factors[k] ??= factorsOf(blocks[k]));

  let lipCdf: Float64Array | undefined;
  const smoothF = (): number => problem.f(x);
  const objective = (): number => smoothF() + proxValue(prox, lambda, x);
  const trialF = (b: Int32Array, d: Float64Array): number => {
    if (problem.fBlockTrial) return problem.fBlockTrial(x, b, d);
    const xt = Float64Array.from(x);
    for (let i = 0; i < b.length; i++) xt[b[i]] += d[i];
    return problem.f(xt);
  };

  /** GS-q per-coordinate score (≥ 0): minus the model decrease of the prox step with step 1/Lᵢ. */
  const gsq1 = (i: number, gi: number): number => {
    const Li = Math.max(L[i], Number.MIN_VALUE);
    const xi = x[i];
    const xn = proxScalar(prox as 'l1' | 'nonneg', xi - gi / Li, lambda / Li);
    const d = xn - xi;
    const h = prox === 'l1' ? lambda * (Math.abs(xn) - Math.abs(xi)) : lambda * d;
    return -(gi * d + 0.5 * Li * d * d + h);
  };

  const selectFixed = (it: number): number => {
    switch (rule) {
      case 'cyclic':
        return it % nBlocks;
      case 'random':
        return rng.int(0, nBlocks - 1);
      case 'lipschitz': {
        if (!lipCdf) {
          lipCdf = new Float64Array(nBlocks);
          let s = 0;
          for (let k = 0; k < nBlocks; k++) lipCdf[k] = s += fixedFactors(k).Lb;
        }
        const u = rng.uniform() * lipCdf[nBlocks - 1];
        let lo = 0;
        let hi = nBlocks - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (lipCdf[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        return lo;
      }
      default: {
        let best = 0;
        let bestScore = -Infinity;
        for (let k = 0; k < nBlocks; k++) {
          const b = blocks[k];
          const t = b.length;
          let s: number;
          if (prox !== 'none') {
            s = 0;
            for (let i = 0; i < t; i++) s += gsq1(b[i], g[b[i]]);
          } else {
            for (let i = 0; i < t; i++) gb[i] = g[b[i]];
            const F = rule === 'gs' ? undefined : fixedFactors(k);
            s = blockScore(rule as 'gs', gb, t, gsNorm, F ? F.Lb : 1, F?.d, F?.chol, ys);
          }
          if (s > bestScore) {
            bestScore = s;
            best = k;
          }
        }
        return best;
      }
    }
  };

  const forestParent = varForest ? new Int32Array(n) : undefined;
  const forestMark = varForest ? new Uint8Array(n) : undefined;
  /** GS-tree / GSL-tree / GSD-tree / random tree: one greedy forest grown in score order. */
  const selectForest = (): Int32Array => {
    let order: Int32Array;
    if (rule === 'random') order = rng.permutation(n);
    else {
      const key = score;
      for (let i = 0; i < n; i++) {
        const a = Math.abs(g[i]);
        key[i] = rule === 'gs' ? a : rule === 'gsl' ? a / Math.sqrt(Math.max(L[i], Number.MIN_VALUE)) : a / Math.sqrt(vbDiag[i]);
      }
      const idx = Array.from({ length: n }, (_, i) => i);
      idx.sort((a, b) => key[b] - key[a] || a - b);
      order = Int32Array.from(idx);
    }
    return greedyForestBlock(problem.sparseHessian!, order, forestParent, forestMark);
  };

  const selectVariable = (it: number): Int32Array => {
    if (varForest) return selectForest();
    const t = blockSize;
    switch (rule) {
      case 'random':
        vbBlock.set(rng.choice(n, t));
        vbBlock.sort();
        return vbBlock;
      case 'cyclic': {
        const perEpoch = Math.floor(n / t);
        const e = it % perEpoch;
        if (e === 0 || !perm) perm = rng.permutation(n);
        vbBlock.set(perm.subarray(e * t, e * t + t));
        vbBlock.sort();
        return vbBlock;
      }
      case 'lipschitz': {
        // Sequential weighted draws without replacement (the reference's choice(p = L/ΣL, replace=False)).
        const chosen = score;
        chosen.fill(0);
        for (let k = 0; k < t; k++) {
          let total = 0;
          for (let i = 0; i < n; i++) if (!chosen[i]) total += L[i];
          let pick = -1;
          if (total > 0) {
            let u = rng.uniform() * total;
            for (let i = 0; i < n; i++) {
              if (chosen[i] || L[i] === 0) continue;
              pick = i;
              u -= L[i];
              if (u < 0) break;
            }
          } else {
            for (let i = 0; i < n && pick < 0; i++) if (!chosen[i]) pick = i;
          }
          vbBlock[k] = pick;
          chosen[pick] = 1;
        }
        vbBlock.sort();
        return vbBlock;
      }
      case 'gs':
        if (prox !== 'none') for (let i = 0; i < n; i++) score[i] = gsq1(i, g[i]);
        else for (let i = 0; i < n; i++) score[i] = Math.abs(g[i]);
        topK(score, t, vbBlock, topVal);
        return vbBlock;
      case 'gsd':
        for (let i = 0; i < n; i++) score[i] = Math.abs(g[i]) / Math.sqrt(vbDiag[i]);
        topK(score, t, vbBlock, topVal);
        return vbBlock;
      case 'gsq': {
        // Iterative hard thresholding on min_d gᵀd + ½dᵀHd, |supp d| ≤ τ (bcd.md §2).
        const mu = 1 / fullLambdaMax(problem);
        const d = new Float64Array(n);
        const dOld = new Float64Array(n);
        const Hd = new Float64Array(n);
        for (let i = 0; i < n; i++) d[i] = L[i] > 0 ? g[i] / Math.sqrt(L[i]) : 0;
        dOld.set(d);
        for (let k = 0; k < ihtIters; k++) {
          // After the first projection d has at most τ nonzeros: H·d from cached columns of H.
          if (k > 0 && problem.boundColumn) boundTimesSparse(d, vbBlock, Hd);
          else problem.boundApply!(d, Hd);
          for (let i = 0; i < n; i++) {
            d[i] -= mu * (g[i] + Hd[i]);
            score[i] = Math.abs(d[i]);
          }
          topK(score, t, vbBlock, topVal);
          // Zero everything outside the support.
          let j = 0;
          for (let i = 0; i < n; i++) {
            if (j < t && vbBlock[j] === i) j++;
            else d[i] = 0;
          }
          let diff = 0;
          for (let i = 0; i < n; i++) diff += (d[i] - dOld[i]) ** 2;
          if (Math.sqrt(diff) < 1e-10) break;
          dOld.set(d);
        }
        return vbBlock;
      }
      default:
        throw new OptkitError('INVALID_OPTION', `${FN}: option rule ${rule} with variable blocks`, 'rule');
    }
  };

  /** Hd ← H·d for d supported on `support` (sorted), from columns of H cached across iterations. */
  const boundCols = new Map<number, Float64Array>();
  const boundTimesSparse = (d: Float64Array, support: Int32Array, Hd: Float64Array): void => {
    Hd.fill(0);
    for (const j of support) {
      const dj = d[j];
      if (dj === 0) continue;
      let col = boundCols.get(j);
      if (!col) {
        col = problem.boundColumn!(j, new Float64Array(n));
        // Keep at most ~64 MB of columns.
        if (boundCols.size * n < 8e6) boundCols.set(j, col);
      }
      for (let i = 0; i < n; i++) Hd[i] += dj * col[i];
    }
  };

  /** Newton direction on block b with an Armijo backtracking line search; writes the step into delta. */
  const newtonStep = (b: Int32Array, t: number): void => {
    const H = Float64Array.from(problem.hessBlock!(x, b).data);
    choleskyInPlace(H, t, scratch);
    forwardSolve(H, t, gb, ys);
    backSolve(H, t, ys, delta);
    let gtd = 0;
    for (let i = 0; i < t; i++) {
      delta[i] = -delta[i];
      gtd += gb[i] * delta[i];
    }
    if (!(gtd < 0)) {
      for (let i = 0; i < t; i++) delta[i] = -gb[i];
      gtd = 0;
      for (let i = 0; i < t; i++) gtd -= gb[i] * gb[i];
      if (gtd === 0) return;
    }
    const dir = Float64Array.from(delta.subarray(0, t));
    const f0 = smoothF();
    const c = 1e-10;
    const trial = new Float64Array(t);
    const at = (a: number): number => {
      for (let i = 0; i < t; i++) trial[i] = a * dir[i];
      return trialF(b, trial);
    };
    // Near the solution the predicted decrease falls below the rounding of f; allow for it so the
    // full Newton step is still taken (otherwise the search backtracks to nothing and BCD stalls).
    const slack = 4 * Number.EPSILON * Math.abs(f0);
    const armijo = (a: number, fa: number): boolean => fa <= f0 + c * a * gtd + slack;
    let a = 1;
    let fa = at(a);
    let aPrev = 0;
    let fPrev = f0;
    for (let k = 0; k < 50 && !armijo(a, fa); k++) {
      let aNew: number;
      if (!Number.isFinite(fa)) aNew = a / 10;
      else if (k === 0) aNew = (-gtd * a * a) / (2 * (fa - f0 - gtd * a));
      else {
        const d1 = fa - f0 - gtd * a;
        const d2 = fPrev - f0 - gtd * aPrev;
        const den = a * a * aPrev * aPrev * (a - aPrev);
        const A3 = (aPrev * aPrev * d1 - a * a * d2) / den;
        const B3 = (-aPrev * aPrev * aPrev * d1 + a * a * a * d2) / den;
        aNew = A3 === 0 ? -gtd / (2 * B3) : (-B3 + Math.sqrt(B3 * B3 - 3 * A3 * gtd)) / (3 * A3);
      }
      if (!(aNew === aNew)) aNew = a / 2;
      aNew = Math.min(Math.max(aNew, 0.01 * a), 0.5 * a);
      aPrev = a;
      fPrev = fa;
      a = aNew;
      fa = at(a);
    }
    const ok = armijo(a, fa);
    for (let i = 0; i < t; i++) delta[i] = ok ? a * dir[i] : 0;
  };

  const lipschitzApproxStep = (b: Int32Array, t: number): void => {
    let Lb = 0;
    let gg = 0;
    for (let i = 0; i < t; i++) {
      Lb = Math.max(Lb, laL![b[i]]);
      gg += gb[i] * gb[i];
    }
    const f0 = smoothF();
    for (let k = 0; k < 200; k++) {
      for (let i = 0; i < t; i++) delta[i] = -gb[i] / Lb;
      const ft = trialF(b, delta.subarray(0, t));
      if (ft <= f0 - gg / (2 * Lb)) break;
      Lb *= 2;
    }
    for (let i = 0; i < t; i++) laL![b[i]] = Lb;
  };

  const pnH: (Float64Array | undefined)[] = new Array(nBlocks);
  /** Projected Newton: the exact minimiser of the block model with the prox term (see the module comment). */
  const projectedNewtonStep = (b: Int32Array, k: number, t: number): void => {
    const H = k >= 0 ? (pnH[k] ??= Float64Array.from(problem.blockBound!(b).data)) : Float64Array.from(problem.blockBound!(b).data);
    delta.fill(0, 0, t);
    for (let sweep = 0; sweep < 100000; sweep++) {
      let change = 0;
      let size = 0;
      for (let i = 0; i < t; i++) {
        const hii = H[i * t + i];
        if (!(hii > 0)) continue;
        let gi = gb[i];
        for (let j = 0; j < t; j++) gi += H[i * t + j] * delta[j];
        const xi = x[b[i]];
        const yi = xi + delta[i];
        const yn = proxScalar(prox as 'l1' | 'nonneg', yi - gi / hii, lambda / hii);
        change = Math.max(change, Math.abs(yn - yi));
        size = Math.max(size, Math.abs(yn));
        delta[i] = yn - xi;
      }
      if (change <= 1e-13 * (1 + size)) break;
    }
  };

  const tmpWorking = constrained === 'tmp' ? new Int32Array(maxT) : new Int32Array(0);
  const tmpHww = constrained === 'tmp' ? new Float64Array(maxT * maxT) : new Float64Array(0);
  const tmpDir = constrained === 'tmp' ? new Float64Array(maxT) : new Float64Array(0);
  const tmpTrial = constrained === 'tmp' ? new Float64Array(maxT) : new Float64Array(0);
  /** Two-metric projection on block b for x ≥ 0 with λΣx (see the module comment); writes the change into delta. */
  const twoMetricStep = (b: Int32Array, k: number, t: number): void => {
    const H = update === 'newton' ? problem.hessBlock!(x, b).data : k >= 0 ? (pnH[k] ??= Float64Array.from(problem.blockBound!(b).data)) : problem.blockBound!(b).data;
    if (H.length !== t * t) throw new OptkitError('SHAPE_MISMATCH', `${FN}: the block matrix has ${H.length} entries for a block of ${t}`, update === 'newton' ? 'problem.hessBlock' : 'problem.blockBound');
    const diag = (i: number): number => {
      const h = H[i * t + i];
      return h > 0 ? h : Math.max(L[b[i]], Number.MIN_VALUE);
    };
    let nw = 0;
    for (let i = 0; i < t; i++) {
      const gF = gb[i] + lambda;
      if (x[b[i]] > TMP_EPSILON || gF <= 0) tmpWorking[nw++] = i;
      else tmpDir[i] = -gF / diag(i);
    }
    if (nw > 0) {
      for (let r = 0; r < nw; r++) {
        const i = tmpWorking[r];
        for (let c = 0; c < nw; c++) tmpHww[r * nw + c] = H[i * t + tmpWorking[c]];
        ys[r] = gb[i] + lambda;
      }
      choleskyInPlace(tmpHww, nw, scratch);
      forwardSolve(tmpHww, nw, ys, tmpTrial);
      backSolve(tmpHww, nw, tmpTrial, ys);
      for (let r = 0; r < nw; r++) tmpDir[tmpWorking[r]] = -ys[r];
    }
    const f0 = smoothF();
    const slack = 4 * Number.EPSILON * Math.abs(f0);
    const trial = tmpTrial.subarray(0, t);
    for (let halvings = 0, alpha = 1; halvings < 50; halvings++, alpha *= 0.5) {
      let predicted = 0;
      let linear = 0;
      for (let i = 0; i < t; i++) {
        const xi = x[b[i]];
        const xn = xi + alpha * tmpDir[i];
        trial[i] = (xn > 0 ? xn : 0) - xi;
        predicted += (gb[i] + lambda) * trial[i];
        linear += trial[i];
      }
      if (!(predicted < 0)) break;
      const change = trialF(b, trial) - f0 + lambda * linear;
      if (change <= 1e-4 * predicted + slack) {
        delta.set(trial);
        return;
      }
    }
    // Projected gradient with the diagonal majoriser τ·H_ii: F cannot increase.
    for (let i = 0; i < t; i++) {
      const xi = x[b[i]];
      const xn = xi - (gb[i] + lambda) / (t * diag(i));
      delta[i] = (xn > 0 ? xn : 0) - xi;
    }
  };

  /** Writes the new x_b into delta as a change (delta = x⁺_b − x_b) for block b (fixed index k or −1). */
  const step = (b: Int32Array, k: number): void => {
    const t = b.length;
    switch (update) {
      case 'newton':
        if (constrained === 'tmp') twoMetricStep(b, k, t);
        else newtonStep(b, t);
        return;
      case 'lipschitz-approx':
        lipschitzApproxStep(b, t);
        return;
      case 'exact-forest': {
        const F = k >= 0 ? (forests[k] ??= forestFactor(problem.sparseHessian!, b)) : forestFactor(problem.sparseHessian!, b);
        for (let i = 0; i < t; i++) ys[i] = -gb[i];
        forestSolve(F, ys.subarray(0, t), delta.subarray(0, t), scratch.subarray(0, t));
        return;
      }
      default: {
        let F: BlockFactors;
        if (k >= 0) F = fixedFactors(k);
        else if (update === 'diagonal') {
          const d = new Float64Array(t);
          for (let i = 0; i < t; i++) d[i] = vbDiag[b[i]];
          F = { chol: new Float64Array(0), Lb: 0, d };
        } else F = factorsOf(b);
        if (prox === 'none') {
          blockStep(update as 'matrix', gb, t, F, delta, ys);
          return;
        }
        if (update === 'matrix') {
          if (constrained === 'tmp') twoMetricStep(b, k, t);
          else projectedNewtonStep(b, k, t);
          return;
        }
        for (let i = 0; i < t; i++) {
          const s = update === 'lipschitz' ? 1 / F.Lb : 1 / F.d[i];
          const xi = x[b[i]];
          delta[i] = proxScalar(prox, xi - s * gb[i], s * lambda) - xi;
        }
      }
    }
  };

  const stationarity = (): number => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const r = prox === 'none' ? Math.abs(g[i]) : Math.abs(x[i] - proxScalar(prox, x[i] - g[i], lambda));
      if (r > m) m = r;
    }
    return m;
  };

  const clock = new Stopwatch();
  const history: BcdHistoryEntry[] = [];
  let reason: StopReason = 'maxIter';
  let converged = false;
  let it = 0;
  const epoch = variable ? Math.ceil(n / blockSize) : nBlocks;
  problem.bind?.(x);
  let fx: number;
  try {
    fx = objective();
    history.push({ f: fx, block: new Int32Array(0), time: 0 });
    while (it < maxIter || tol > 0) {
      if (options.signal?.aborted) {
        reason = 'aborted';
        break;
      }
      let haveFull = false;
      if (greedy || (tol > 0 && it % epoch === 0)) {
        problem.grad(x, g);
        haveFull = true;
        if (tol > 0 && stationarity() <= tol) {
          converged = true;
          reason = 'converged';
          break;
        }
      }
      if (it >= maxIter) break;
      let k = -1;
      let b: Int32Array;
      if (variable) b = selectVariable(it);
      else {
        k = selectFixed(it);
        b = blocks[k];
      }
      const t = b.length;
      if (haveFull) for (let i = 0; i < t; i++) gb[i] = g[b[i]];
      else if (problem.gradBlock) problem.gradBlock(x, b, gb.subarray(0, t));
      else {
        problem.grad(x, g);
        for (let i = 0; i < t; i++) gb[i] = g[b[i]];
      }
      step(b, k);
      const d = delta.subarray(0, t);
      if (prox === 'none') for (let i = 0; i < t; i++) x[b[i]] += d[i];
      else {
        // Store the proximal point itself (feasible), and report the change actually made.
        for (let i = 0; i < t; i++) {
          const old = x[b[i]];
          let xn = old + d[i];
          if (prox === 'nonneg' && xn < 0) xn = 0;
          x[b[i]] = xn;
          d[i] = xn - old;
        }
      }
      problem.onBlockUpdate?.(b, d);
      it++;
      fx = objective();
      const recorded = variable ? Int32Array.from(b) : b;
      history.push({ f: fx, block: recorded, time: clock.seconds() });
      if (options.onIteration && options.onIteration(it, fx, recorded) === false) {
        reason = 'callback';
        break;
      }
    }
    fx = objective();
  } finally {
    problem.release?.();
  }
  return { x, fx, converged, iterations: it, reason, history, seconds: clock.seconds() };
}
