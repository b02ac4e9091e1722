/**
 * SKR — Sorting Krylov Recycling (H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu,
 * "Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling", ICLR 2024,
 * arXiv 2401.09516; method card shared/methods/skr.md): order a sequence of linear systems so that
 * neighbours are similar (greedy nearest-neighbour chain on their parameter arrays, the paper's Alg. 1),
 * then solve them along that order with GCRO-DR, carrying the recycle space from each system to the next.
 *
 * {@link solveSequence} also runs the card's baselines over the same sequence: independent GMRES(m),
 * GCRO-DR without cross-system recycling (deflated restarting alone, which the card found to carry much
 * of the paper's gain) and GCRO-DR recycling in input order (SKR without sorting, the paper's ablation).
 */
import {
  OptkitError,
  Stopwatch,
  aslinearoperator,
  assertFinite,
  checkChoice,
  checkOption,
  type OperatorLike,
  type StopReason,
} from '@optkit/core';
import { gcrodr, type GcroDrResult, type RecycleSpace } from './gcrodr.js';
import { gmres } from './gmres.js';
import type { KrylovOptions, KrylovResult } from './krylov-options.js';

/**
 * The greedy sort of the paper (Alg. 1; official code `seq_generator`): start at `start` (default 0),
 * then repeatedly move to the nearest remaining parameter array in the Frobenius (Euclidean) norm,
 * ties going to the lowest index. Returns the visiting order, a permutation of 0..N−1. O(N²·|P|): a
 * nearest-neighbour chain, not a shortest tour; for N ≫ 10⁴ split the points into groups first (card).
 * Throws EMPTY_INPUT for no arrays, SHAPE_MISMATCH for arrays of different lengths, NOT_FINITE for
 * NaN/Infinity, INVALID_OPTION for a bad `start`.
 */
export function greedySortByParams(params: readonly ArrayLike<number>[], start = 0): number[] {
  const fn = 'greedySortByParams';
  if (!Array.isArray(params)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: params must be an array of parameter arrays`, 'params');
  const N = params.length;
  if (N === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: params is empty`, 'params');
  checkOption(start, 'start', { min: 0, max: N - 1, integer: true }, fn);
  const len = params[0]?.length;
  for (let i = 0; i < N; i++) {
    const p = params[i];
    if (p === null || typeof p !== 'object' || typeof p.length !== 'number') {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: params[${i}] is not an array`, `params[${i}]`);
    }
    if (p.length !== len) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: params[${i}] has length ${p.length}; params[0] has ${len}`, `params[${i}]`);
    }
    assertFinite(p, `params[${i}]`, fn);
  }
  const P = params.map((p) => (p instanceof Float64Array ? p : Float64Array.from(p)));
  const order = [start];
  const remaining: number[] = [];
  for (let i = 0; i < N; i++) if (i !== start) remaining.push(i);
  let cur = P[start];
  while (remaining.length > 0) {
    let best = -1;
    let bestDist = Infinity;
    for (let r = 0; r < remaining.length; r++) {
      const q = P[remaining[r]];
      let d = 0;
      for (let i = 0; i < len; i++) {
        const t = cur[i] - q[i];
        d += t * t;
        if (d >= bestDist) break; // cannot win (ties keep the earlier index)
      }
      if (d < bestDist) {
        bestDist = d;
        best = r;
      }
    }
    const next = remaining[best];
    remaining.splice(best, 1);
    order.push(next);
    cur = P[next];
  }
  return order;
}

/** How {@link solveSequence} solves: see the file comment. */
export type SequenceMethod = 'gmres' | 'gcrodr' | 'gcrodr-norecycle' | 'skr';

export const SEQUENCE_METHODS: readonly SequenceMethod[] = ['gmres', 'gcrodr', 'gcrodr-norecycle', 'skr'];

/** One system of a sequence. `params` (any shape, flattened) is needed by `skr` only. */
export interface SequenceInput {
  A: OperatorLike;
  b: Float64Array;
  params?: ArrayLike<number>;
}

export interface SolveSequenceOptions extends Pick<KrylovOptions, 'atol' | 'M' | 'signal'> {
  /** Default `'skr'`. */
  method?: SequenceMethod;
  /** Subspace size per cycle: GMRES's restart and GCRO-DR's m. Default 40 (the paper's runs). */
  m?: number;
  /** GCRO-DR's recycled vectors. Default 20. Ignored by `gmres`. */
  k?: number;
  /** Relative tolerance of every solve (zero initial guess). Default 1e-8 (the card's). */
  rtol?: number;
  /** Most inner iterations per system. Default 10000 (the paper's). */
  maxIter?: number;
  /** GCRO-DR's Gram–Schmidt (default `'cgs2'`); GMRES keeps its own default (modified Gram–Schmidt). */
  orthogonalization?: 'cgs2' | 'mgs';
  /** Where the greedy sort starts (`skr`). Default 0. */
  sortStart?: number;
  /** An explicit solve order (a permutation of 0..N−1) replacing input order or the sort. */
  order?: readonly number[];
  /** Recycle space for the first GCRO-DR solve (`gcrodr`, `skr`). */
  recycle?: RecycleSpace;
  /** Keep each solution in the per-system results (default true). */
  keepSolutions?: boolean;
  /** Called after each system with the number done, the total, and that system's result. */
  onSystem?: (done: number, total: number, result: SequenceSystemResult) => void;
}

/** One system's outcome (results are listed in input order). */
export interface SequenceSystemResult {
  /** Index in the input. */
  index: number;
  /** Position in the solve order. */
  position: number;
  /** The solution (absent with keepSolutions: false). */
  x?: Float64Array;
  converged: boolean;
  reason: StopReason;
  /** Inner (Arnoldi) iterations. */
  iterations: number;
  /** Applications of A, including GCRO-DR's re-projection and each solver's final true-residual check. */
  matvecs: number;
  /** True ‖b − A x‖ and ‖b − A x‖/‖b‖ (0 for b = 0). */
  residualNorm: number;
  relativeResidual: number;
  /** The solver's residual history (one entry per inner iteration, after the initial one). */
  history: { residual: number[] };
  seconds: number;
  /** Recycled vectors that entered this solve (GCRO-DR methods; 0 otherwise). */
  recycledIn: number;
}

export interface SequenceResult {
  method: SequenceMethod;
  /** The order the systems were solved in. */
  order: number[];
  /** Per-system results in input order. */
  results: SequenceSystemResult[];
  totalIterations: number;
  totalMatvecs: number;
  /** Sum of the per-system solve times (s). */
  solveSeconds: number;
  /** Time spent sorting (s; 0 unless `skr`). */
  sortSeconds: number;
  /** Wall time of the whole call (s). */
  seconds: number;
  /** How many systems converged. */
  convergedCount: number;
  /** The recycle space after the last GCRO-DR solve (empty for `gmres`). */
  recycle?: RecycleSpace;
}

/**
 * Solves a sequence of systems A(i) x(i) = b(i), each from a zero initial guess, with `method`:
 * `gmres` (independent restarted GMRES(m), right-preconditioned when M is given), `gcrodr-norecycle`
 * (GCRO-DR(m, k) per system with a fresh recycle space), `gcrodr` (GCRO-DR recycling in input order) or
 * `skr` (greedy sort on `params`, then GCRO-DR recycling along the sorted order). GCRO-DR preconditions
 * from the left (its rtol applies to ‖M r‖); GMRES from the right. Throws OptkitError for an empty or
 * malformed sequence, systems of different sizes, missing params for `skr`, a bad order, and whatever
 * the solvers reject.
 */
export function solveSequence(systems: readonly SequenceInput[], options: SolveSequenceOptions = {}): SequenceResult {
  const fn = 'solveSequence';
  const watch = new Stopwatch();
  if (!Array.isArray(systems)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: systems must be an array of {A, b, params?}`, 'systems');
  const N = systems.length;
  if (N === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: systems is empty`, 'systems');
  const method = checkChoice(options.method ?? 'skr', SEQUENCE_METHODS, 'method', fn);
  const m = checkOption(options.m ?? 40, 'm', { min: 1, integer: true }, fn);
  const k = checkOption(options.k ?? 20, 'k', { min: 0, integer: true }, fn);
  if (method !== 'gmres' && k >= m) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option k is ${k}; expected an integer in [0, m) = [0, ${m})`, 'k');
  }
  const rtol = checkOption(options.rtol ?? 1e-8, 'rtol', { min: 0 }, fn);
  const maxIter = checkOption(options.maxIter ?? 10000, 'maxIter', { min: 0, integer: true }, fn);
  const keep = options.keepSolutions ?? true;
  let n = -1;
  for (let i = 0; i < N; i++) {
    const s = systems[i];
    if (s === null || typeof s !== 'object' || !(s.b instanceof Float64Array)) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: systems[${i}] must be {A, b: Float64Array, params?}`, `systems[${i}]`);
    }
    const rows = aslinearoperator(s.A).rows;
    if (n < 0) n = rows;
    else if (rows !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: systems[${i}].A has ${rows} rows; systems[0].A has ${n}`, `systems[${i}].A`);
    }
  }

  let sortSeconds = 0;
  let order: number[];
  if (options.order !== undefined) {
    order = checkPermutation(options.order, N, fn);
  } else if (method === 'skr') {
    const params = systems.map((s, i) => {
      if (s.params === undefined) throw new OptkitError('INVALID_ARGUMENT', `${fn}: method 'skr' needs systems[${i}].params`, `systems[${i}].params`);
      return s.params;
    });
    const t0 = new Stopwatch();
    order = greedySortByParams(params, options.sortStart ?? 0);
    sortSeconds = t0.seconds();
  } else {
    order = Array.from({ length: N }, (_, i) => i);
  }

  const results: SequenceSystemResult[] = new Array(N);
  let recycle: RecycleSpace | undefined = method === 'gcrodr' || method === 'skr' ? options.recycle : undefined;
  let totalIterations = 0;
  let totalMatvecs = 0;
  let solveSeconds = 0;
  let convergedCount = 0;
  for (let pos = 0; pos < N; pos++) {
    if (options.signal?.aborted) throw new OptkitError('ABORTED', `${fn}: aborted after ${pos} of ${N} systems`);
    const index = order[pos];
    const { A, b } = systems[index];
    let r: KrylovResult;
    let recycledIn = 0;
    if (method === 'gmres') {
      r = gmres(A, b, { restart: m, rtol, atol: options.atol, maxIter, M: options.M, signal: options.signal });
    } else {
      const g: GcroDrResult = gcrodr(A, b, {
        m,
        k,
        rtol,
        atol: options.atol,
        maxIter,
        M: options.M,
        signal: options.signal,
        orthogonalization: options.orthogonalization,
        recycle: method === 'gcrodr-norecycle' ? undefined : recycle,
      });
      if (method !== 'gcrodr-norecycle') recycle = g.recycle;
      recycledIn = g.recycledIn;
      r = g;
    }
    let bnorm = 0;
    for (let i = 0; i < b.length; i++) bnorm += b[i] * b[i];
    bnorm = Math.sqrt(bnorm);
    const residualNorm = r.residualNorm ?? NaN;
    const res: SequenceSystemResult = {
      index,
      position: pos,
      converged: r.converged,
      reason: r.reason,
      iterations: r.iterations,
      matvecs: r.matvecs ?? 0,
      residualNorm,
      relativeResidual: bnorm > 0 ? residualNorm / bnorm : 0,
      history: { residual: r.history.residual ?? [] },
      seconds: r.seconds ?? 0,
      recycledIn,
    };
    if (keep) res.x = r.x;
    results[index] = res;
    totalIterations += res.iterations;
    totalMatvecs += res.matvecs;
    solveSeconds += res.seconds;
    if (res.converged) convergedCount++;
    options.onSystem?.(pos + 1, N, res);
  }
  return {
    method,
    order,
    results,
    totalIterations,
    totalMatvecs,
    solveSeconds,
    sortSeconds,
    seconds: watch.seconds(),
    convergedCount,
    recycle: method === 'gmres' ? undefined : recycle,
  };
}

/**
 * The card's API sketch (skr.md §5): SKR over a sequence, `sort` (default true) choosing between the
 * greedy sort and input order; the same as `solveSequence(systems, {method: sort ? 'skr' : 'gcrodr'})`.
 */
export function skrSolveSequence(
  systems: readonly SequenceInput[],
  options: Omit<SolveSequenceOptions, 'method'> & { sort?: boolean } = {},
): SequenceResult {
  const { sort, ...rest } = options;
  return solveSequence(systems, { ...rest, method: sort === false ? 'gcrodr' : 'skr' });
}

function checkPermutation(order: readonly number[], N: number, fn: string): number[] {
  if (!Array.isArray(order) || order.length !== N) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: option order must be a permutation of 0..${N - 1} (length ${N})`, 'order');
  }
  const seen = new Uint8Array(N);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= N || seen[i]) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option order is not a permutation of 0..${N - 1} (bad or repeated entry ${i})`, 'order');
    }
    seen[i] = 1;
  }
  return [...order];
}
