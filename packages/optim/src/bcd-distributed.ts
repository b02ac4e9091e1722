/**
 * Greedy block coordinate descent sharded over cluster workers (shared/methods/bcd.md, "Sharding
 * over workers"): the job `bcd.shard` and the driver `bcd` that runs it through any core
 * {@link JobExecutor} (the cluster client, or `localExecutor` on one process).
 *
 * Problem f(x) = ℓ(Ax) (least squares ½‖Ax − b‖² or logistic), A generated column by column from the
 * job seed, partitioned into contiguous fixed blocks of τ columns (`order`); block k is owned by shard
 * ⌊k·S/B⌋-wise ranges (shard s owns blocks [⌊s·B/S⌋, ⌊(s+1)·B/S⌋)). Per round the coordinator holds
 * x and the shared m-vector s (the residual Ax − b, or the margins Ax) and sends each shard
 * u = ∇ℓ(s) as one binary frame; the task header carries the problem spec and the shard id, so a
 * worker regenerates (and caches by key) its own columns. A shard scores each of its blocks from
 * A_bᵀu, picks its best (score, block id) and speculatively returns that block's step d_b and
 * Δs = A_b·d_b, so one round trip per iteration suffices. The coordinator takes the best score (ties
 * to the smallest global block id), applies x_b += d_b and s += Δs — a single writer in a fixed
 * order. Cyclic/random rules: the coordinator picks the block from the job seed and asks its owner
 * alone.
 *
 * Same answer on any topology: scores, steps and Δs of a block depend only on its columns and u
 * (fixed-order loops, our own τ×τ Cholesky/Jacobi: bcd-kernels.ts), and the only reduction is an
 * argmax, so the result is bit-identical for any number of shards or workers, and equal to the
 * single-process {@link bcd} with `partition: 'order'` on {@link bcdJobProblem} (tested).
 *
 * Handlers are pure and idempotent: the reply depends only on the request. Each shard's request
 * carries an `affinity` naming the problem and the shard, so a cluster sends it, where the load
 * allows, to the worker that already has that shard's columns cached (a placement hint only: any
 * worker gives the same reply).
 */
import {
  OptkitError,
  Rng,
  Stopwatch,
  assertFinite,
  frameToFloat64,
  toFrame,
  type DriverEntry,
  type DriverProgress,
  type JobEntry,
  type JobExecutor,
  type JobRequest,
} from '@optkit/core';
import { blockApply, blockGram, blockScore, blockStep, colDot, factorBlock, factorNeeds, type BlockFactors, type ColumnData, type GreedyRule } from './bcd-kernels.js';
import { accumulateColumn, syntheticColumn, syntheticColumns, syntheticTargets } from './bcd-data.js';
import { leastSquaresProblem, linearModelLoss, logisticProblem, type LinearModelBcdProblem } from './bcd-problems.js';

/** The protocol version of `bcd.shard` headers. */
export const BCD_JOB_VERSION = 1;
/** The service name of the shard job. */
export const BCD_SHARD_SERVICE = 'bcd.shard';

/** The generated problem of a distributed job (bcd.md §4 problems A/B at any size). */
export interface BcdJobProblemSpec {
  kind: 'least-squares' | 'logistic';
  rows: number;
  cols: number;
  /** Seed of the data (default 1). */
  seed?: number;
  /** Probability an entry of A is kept (default 10·ln(rows)/rows, capped at 1). */
  density?: number;
}

export type BcdDistributedRule = 'cyclic' | 'random' | 'gs' | 'gsl' | 'gsd' | 'gsq';
export type BcdDistributedUpdate = 'lipschitz' | 'diagonal' | 'matrix';

/** The config of `optkit cluster run bcd`. */
export interface BcdDriverConfig {
  problem: BcdJobProblemSpec;
  /** Number of shards S the blocks are split into (default 1; ≤ the number of blocks). */
  shards?: number;
  /** τ: columns per block (default 5). */
  blockSize?: number;
  /** Selection rule (default `gsq`). */
  rule?: BcdDistributedRule;
  /** Block update (default `matrix`). */
  update?: BcdDistributedUpdate;
  /** Rounds (block updates), default 100. */
  maxIter?: number;
  /** Seed of the random rule (default 0). */
  seed?: number;
  /** Norm of the GS/GSL/GSD scores (default 2). */
  gsNorm?: 1 | 2;
  /** Requests in flight at once (default: all shards). */
  concurrency?: number;
  /** Per-request deadline in milliseconds (default none). */
  timeoutMs?: number;
}

/** The driver's result. */
export interface BcdDriverResult {
  x: Float64Array;
  /** f(x) before each round and after the last (length iterations + 1). */
  objective: number[];
  /** The global block id updated in each round. */
  blocks: number[];
  iterations: number;
  reason: 'maxIter' | 'aborted';
  shards: number;
  /** Wall seconds of the whole run. */
  seconds: number;
  /**
   * Where they went: `setup` (generating b or the labels here, cached per spec), `firstRound` (it
   * includes the workers generating their columns on first use), `rest` (the remaining rounds: the
   * figure to compare across worker counts).
   */
  timing: { setup: number; firstRound: number; rest: number };
}

/**
 * A larger, memory-bound preset: dense least squares with 4000 rows and 2048 columns (8.4 M
 * multiply-adds per round, split over the shards; 32.8 MB of columns per shard, 65.5 MB in all, so
 * the columns stream from DRAM), τ = 8, GSQ with matrix updates, 2 shards. The task is a
 * matrix-vector product, so two workers on one 2-core machine share DRAM bandwidth and reach only
 * about 1.2–1.5× one worker; the `cluster.scaling` benchmark therefore uses a job that fits the L3
 * cache (see its doc comment). Each worker thread generates the columns of a shard the first time it
 * serves it (4000 normal draws per column) and the coordinator generates b once per spec; when timing,
 * run a short warm-up job first (a few rounds, so every pool thread has seen every shard) and compare
 * `timing.rest` (or `seconds`) of the timed runs.
 */
export const bcdBenchmarkConfig: BcdDriverConfig = {
  problem: { kind: 'least-squares', rows: 4000, cols: 2048, seed: 1, density: 1 },
  shards: 2,
  blockSize: 8,
  rule: 'gsq',
  update: 'matrix',
  maxIter: 200,
};

const FN = 'bcd driver';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intField(o: Record<string, unknown>, key: string, path: string, min: number, dflt?: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OptkitError('INVALID_OPTION', `${FN}: ${path} is ${JSON.stringify(v)}; expected an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}]`, path);
  }
  return v;
}

function choiceField<T extends string>(o: Record<string, unknown>, key: string, path: string, allowed: readonly T[], dflt: T): T {
  const v = o[key] ?? dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new OptkitError('INVALID_OPTION', `${FN}: ${path} is ${JSON.stringify(v)}; expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, path);
  }
  return v as T;
}

function noExtraKeys(o: Record<string, unknown>, allowed: string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new OptkitError('INVALID_OPTION', `${FN}: unknown field ${path ? `${path}.` : ''}${k}; expected ${allowed.join(', ')}`, path ? `${path}.${k}` : k);
  }
}

/** A validated, defaulted problem spec. */
function checkSpec(v: unknown, path: string): Required<BcdJobProblemSpec> {
  if (!isObject(v)) throw new OptkitError('INVALID_OPTION', `${FN}: ${path} must be an object {kind, rows, cols, seed?, density?}`, path);
  noExtraKeys(v, ['kind', 'rows', 'cols', 'seed', 'density'], path);
  const kind = choiceField(v, 'kind', `${path}.kind`, ['least-squares', 'logistic'] as const, undefined as unknown as 'least-squares');
  const rows = intField(v, 'rows', `${path}.rows`, 1, undefined, 1 << 24);
  const cols = intField(v, 'cols', `${path}.cols`, 1, undefined, 1 << 24);
  if (rows * cols > 2 ** 28) throw new OptkitError('INVALID_OPTION', `${FN}: ${path}: rows·cols = ${rows * cols} exceeds 2^28 entries`, `${path}.rows`);
  const seed = intField(v, 'seed', `${path}.seed`, -(2 ** 31), 1, 2 ** 31 - 1);
  const density = v.density ?? Math.min(1, (10 * Math.log(rows)) / rows);
  if (typeof density !== 'number' || !(density > 0 && density <= 1)) {
    throw new OptkitError('INVALID_OPTION', `${FN}: ${path}.density is ${JSON.stringify(v.density)}; expected a number in (0, 1]`, `${path}.density`);
  }
  return { kind, rows, cols, seed, density };
}

/** Validated driver config with every default filled in. */
export type ResolvedBcdDriverConfig = Required<Omit<BcdDriverConfig, 'timeoutMs' | 'concurrency'>> & { problem: Required<BcdJobProblemSpec>; timeoutMs?: number; concurrency?: number };

/**
 * Validates a parsed config file by hand (INVALID_OPTION naming the field: unknown fields, missing
 * problem fields, non-integers, out-of-range values, more shards than blocks) and fills defaults.
 */
export function resolveBcdDriverConfig(config: unknown): ResolvedBcdDriverConfig {
  if (!isObject(config)) throw new OptkitError('INVALID_OPTION', `${FN}: config must be an object`, 'config');
  noExtraKeys(config, ['problem', 'shards', 'blockSize', 'rule', 'update', 'maxIter', 'seed', 'gsNorm', 'concurrency', 'timeoutMs'], '');
  const problem = checkSpec(config.problem, 'problem');
  const blockSize = intField(config, 'blockSize', 'blockSize', 1, 5, problem.cols);
  const nBlocks = Math.ceil(problem.cols / blockSize);
  const shards = intField(config, 'shards', 'shards', 1, 1, nBlocks);
  const rule = choiceField(config, 'rule', 'rule', ['cyclic', 'random', 'gs', 'gsl', 'gsd', 'gsq'] as const, 'gsq');
  const update = choiceField(config, 'update', 'update', ['lipschitz', 'diagonal', 'matrix'] as const, 'matrix');
  const maxIter = intField(config, 'maxIter', 'maxIter', 0, 100);
  const seed = intField(config, 'seed', 'seed', -(2 ** 31), 0, 2 ** 31 - 1);
  const gsNorm = config.gsNorm ?? 2;
  if (gsNorm !== 1 && gsNorm !== 2) throw new OptkitError('INVALID_OPTION', `${FN}: gsNorm is ${JSON.stringify(gsNorm)}; expected 1 or 2`, 'gsNorm');
  const out: ResolvedBcdDriverConfig = { problem, shards, blockSize, rule, update, maxIter, seed, gsNorm };
  if (config.concurrency !== undefined) out.concurrency = intField(config, 'concurrency', 'concurrency', 1);
  if (config.timeoutMs !== undefined) out.timeoutMs = intField(config, 'timeoutMs', 'timeoutMs', 1);
  return out;
}

/** Blocks [first, end) owned by shard s of S over B blocks. */
export function shardBlocks(nBlocks: number, shards: number, shard: number): { first: number; end: number } {
  return { first: Math.floor((shard * nBlocks) / shards), end: Math.floor(((shard + 1) * nBlocks) / shards) };
}

/** The shard owning block k. */
function ownerOf(k: number, nBlocks: number, shards: number): number {
  let s = Math.floor((k * shards) / nBlocks);
  while (s > 0 && shardBlocks(nBlocks, shards, s).first > k) s--;
  while (s < shards - 1 && shardBlocks(nBlocks, shards, s).end <= k) s++;
  return s;
}

/** The single-process problem a job spec describes (the same columns and targets every shard sees). */
export function bcdJobProblem(spec: BcdJobProblemSpec): LinearModelBcdProblem {
  const s = checkSpec(spec, 'problem');
  const data = syntheticColumns(s.rows, s.cols, { seed: s.seed, density: s.density });
  return s.kind === 'least-squares' ? leastSquaresProblem(data.columns, data.b) : logisticProblem(data.columns, data.y);
}

// ---------------------------------------------------------------------------------------------
// The shard job.

interface ShardData {
  columns: ColumnData;
  /** First global column of the shard. */
  col0: number;
  first: number;
  end: number;
  factors: (BlockFactors | undefined)[];
}

const shardCache = new Map<string, ShardData>();
const SHARD_CACHE_LIMIT = 4;

function shardData(spec: Required<BcdJobProblemSpec>, blockSize: number, shards: number, shard: number, rule: string, update: string): ShardData {
  const key = JSON.stringify([spec.kind, spec.rows, spec.cols, spec.seed, spec.density, blockSize, shards, shard, rule, update]);
  const hit = shardCache.get(key);
  if (hit) return hit;
  const nBlocks = Math.ceil(spec.cols / blockSize);
  const { first, end } = shardBlocks(nBlocks, shards, shard);
  const col0 = first * blockSize;
  const col1 = Math.min(spec.cols, end * blockSize);
  const m = spec.rows;
  const nc = col1 - col0;
  const dense = new Float64Array(m * nc);
  const col = new Float64Array(m);
  for (let j = col0; j < col1; j++) {
    syntheticColumn(spec.seed, j, m, spec.density, col);
    dense.set(col, (j - col0) * m);
  }
  const data: ShardData = { columns: { m, n: nc, dense }, col0, first, end, factors: new Array(end - first) };
  if (shardCache.size >= SHARD_CACHE_LIMIT) shardCache.delete(shardCache.keys().next().value!);
  shardCache.set(key, data);
  return data;
}

/** The local column ids of global block k. */
function localBlock(k: number, blockSize: number, cols: number, col0: number): Int32Array {
  const start = k * blockSize;
  const end = Math.min(cols, start + blockSize);
  return Int32Array.from({ length: end - start }, (_, i) => start + i - col0);
}

function headerInt(h: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = h[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: header.${key} is ${JSON.stringify(v)}; expected an integer in [${min}, ${max}]`, `header.${key}`);
  }
  return v;
}

/**
 * The `bcd.shard` handler. Header: `{v: 1, problem, blockSize, shards, shard, rule, update, gsNorm,
 * block?}`; frames: `[u]` with u = ∇ℓ(s) (rows float64). Without `block`, scores the shard's blocks
 * and answers its best; with `block` (cyclic/random rules), answers that block's step. Reply header
 * `{v, shard, blockId, score}` (score null when the block was given), frames `[d_b, Δs = A_b·d_b]`. Throws INVALID_ARGUMENT / PROTOCOL for
 * a bad header, SHAPE_MISMATCH for a frame of the wrong size, NOT_FINITE for NaN in u.
 */
export function bcdShardHandler(header: Record<string, unknown>, frames: Uint8Array[]): { header: Record<string, unknown>; frames: Uint8Array[] } {
  if (!isObject(header)) throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: header must be an object`, 'header');
  if (header.v !== BCD_JOB_VERSION) throw new OptkitError('PROTOCOL', `${BCD_SHARD_SERVICE}: header.v is ${JSON.stringify(header.v)}; expected ${BCD_JOB_VERSION}`, 'header.v');
  let spec: Required<BcdJobProblemSpec>;
  try {
    spec = checkSpec(header.problem, 'header.problem');
  } catch (e) {
    throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: ${(e as Error).message}`, 'header.problem');
  }
  const blockSize = headerInt(header, 'blockSize', 1, spec.cols);
  const nBlocks = Math.ceil(spec.cols / blockSize);
  const shards = headerInt(header, 'shards', 1, nBlocks);
  const shard = headerInt(header, 'shard', 0, shards - 1);
  const rule = header.rule;
  const update = header.update;
  if (!['cyclic', 'random', 'gs', 'gsl', 'gsd', 'gsq'].includes(rule as string)) throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: header.rule is ${JSON.stringify(rule)}`, 'header.rule');
  if (!['lipschitz', 'diagonal', 'matrix'].includes(update as string)) throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: header.update is ${JSON.stringify(update)}`, 'header.update');
  const gsNorm = header.gsNorm ?? 2;
  if (gsNorm !== 1 && gsNorm !== 2) throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: header.gsNorm is ${JSON.stringify(gsNorm)}`, 'header.gsNorm');
  if (!Array.isArray(frames) || frames.length !== 1) throw new OptkitError('SHAPE_MISMATCH', `${BCD_SHARD_SERVICE}: expected 1 frame (u), got ${Array.isArray(frames) ? frames.length : 'none'}`, 'frames');
  const u = frameToFloat64(frames[0], spec.rows);
  assertFinite(u, 'u', BCD_SHARD_SERVICE);

  const data = shardData(spec, blockSize, shards, shard, rule as string, update as string);
  const scale = spec.kind === 'least-squares' ? 1 : 0.25;
  const A = data.columns;
  const work = new Float64Array(A.m);
  const factorsOf = (k: number): BlockFactors => {
    const i = k - data.first;
    if (!data.factors[i]) {
      const b = localBlock(k, blockSize, spec.cols, data.col0);
      const H = new Float64Array(b.length * b.length);
      blockGram(A, b, scale, H, work);
      data.factors[i] = factorBlock(H, b.length, new Float64Array(b.length * b.length), factorNeeds(rule as string, update as string));
    }
    return data.factors[i]!;
  };
  const gb = new Float64Array(blockSize);
  const ys = new Float64Array(blockSize);
  const gradOf = (b: Int32Array): void => {
    for (let i = 0; i < b.length; i++) gb[i] = colDot(A, b[i], u);
  };

  let best: number;
  let bestScore: number;
  if (header.block !== undefined) {
    best = headerInt(header, 'block', data.first, data.end - 1);
    bestScore = Number.NaN; // not scored: the reply says null
  } else {
    if (rule === 'cyclic' || rule === 'random') throw new OptkitError('INVALID_ARGUMENT', `${BCD_SHARD_SERVICE}: rule ${String(rule)} needs header.block (the coordinator picks the block)`, 'header.block');
    best = data.first;
    bestScore = -Infinity;
    for (let k = data.first; k < data.end; k++) {
      const b = localBlock(k, blockSize, spec.cols, data.col0);
      gradOf(b);
      const F = rule === 'gs' ? undefined : factorsOf(k);
      const s = blockScore(rule as GreedyRule, gb, b.length, gsNorm, F ? F.Lb : 1, F?.d, F?.chol, ys);
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
  }
  const b = localBlock(best, blockSize, spec.cols, data.col0);
  gradOf(b);
  const d = new Float64Array(b.length);
  blockStep(update as BcdDistributedUpdate, gb, b.length, factorsOf(best), d, ys);
  const ds = new Float64Array(A.m);
  blockApply(A, b, d, ds);
  return { header: { v: BCD_JOB_VERSION, shard, blockId: best, score: Number.isNaN(bestScore) ? null : bestScore }, frames: [toFrame(d), toFrame(ds)] };
}

/** The job entry registered by the optim plugin. */
export const bcdShardJob: JobEntry = {
  id: BCD_SHARD_SERVICE,
  summary: 'one shard of greedy block coordinate descent: score own blocks from A_bᵀ∇ℓ(r), return the best block, its step and Δr (bcd.md)',
  handler: bcdShardHandler,
};

// ---------------------------------------------------------------------------------------------
// The coordinator.

const targetCache = new Map<string, { b: Float64Array; y: Float64Array }>();

/**
 * b and the labels of a job, from its seed: A·w* accumulated column by column exactly as
 * {@link syntheticColumns} does (a fixed order, so every coordinator computes the same bits). Cached
 * per spec (the last 4), since this is the one O(rows·cols) serial step of a job.
 */
function jobTargets(spec: Required<BcdJobProblemSpec>): { b: Float64Array; y: Float64Array } {
  const key = JSON.stringify([spec.kind, spec.rows, spec.cols, spec.seed, spec.density]);
  const hit = targetCache.get(key);
  if (hit) return hit;
  const m = spec.rows;
  const Aw = new Float64Array(m);
  const col = new Float64Array(m);
  for (let j = 0; j < spec.cols; j++) accumulateColumn(col, syntheticColumn(spec.seed, j, m, spec.density, col), Aw);
  const out = syntheticTargets(Aw, spec.seed);
  if (targetCache.size >= 4) targetCache.delete(targetCache.keys().next().value!);
  targetCache.set(key, out);
  return out;
}

/**
 * Runs distributed BCD: validates `config` ({@link resolveBcdDriverConfig}), generates b (or the
 * labels) from the job seed, then for each round sends u = ∇ℓ(s) to the shards through
 * `executor.map` (greedy rules) or to the chosen block's owner (cyclic/random), applies the winning
 * block's step and reports `{iteration, total, values: {objective}}`. Stops early with reason
 * `aborted` when the signal fires.
 */
export async function runBcdDriver(
  config: unknown,
  executor: JobExecutor,
  options: { signal?: AbortSignal; onProgress?: (p: DriverProgress) => void } = {},
): Promise<BcdDriverResult> {
  const cfg = resolveBcdDriverConfig(config);
  if (!executor || typeof executor.map !== 'function' || typeof executor.submit !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: executor must implement submit and map`, 'executor');
  }
  const { problem: spec, blockSize, shards, rule, update, maxIter, gsNorm } = cfg;
  const clock = new Stopwatch();
  const m = spec.rows;
  const n = spec.cols;
  const nBlocks = Math.ceil(n / blockSize);

  const { b, y } = jobTargets(spec);
  const setupSeconds = clock.seconds();
  let firstRoundEnd = setupSeconds;
  const labels = spec.kind === 'logistic' ? y : undefined;
  // s = A·0 − b (least squares) or A·0 (logistic).
  const s = new Float64Array(m);
  if (spec.kind === 'least-squares') for (let i = 0; i < m; i++) s[i] = 0 - b[i];
  const x = new Float64Array(n);
  const u = new Float64Array(m);
  const rng = new Rng(cfg.seed);
  const objective: number[] = [];
  const blocks: number[] = [];
  const base = { v: BCD_JOB_VERSION, problem: spec, blockSize, shards, rule, update, gsNorm };
  // A shard's task goes, where the load allows, to the worker that has its columns cached (JobRequest.affinity).
  const affinityOf = (shard: number) => `bcd/${spec.kind}/${m}x${n}/${spec.seed}/${spec.density}/${blockSize}/${rule}/${update}/${shard}of${shards}`;
  const submitOpts = { signal: options.signal, timeoutMs: cfg.timeoutMs, concurrency: cfg.concurrency };
  let reason: 'maxIter' | 'aborted' = 'maxIter';
  let it = 0;
  for (; it < maxIter; it++) {
    const f = linearModelLoss(spec.kind, s, labels, u);
    objective.push(f);
    if (options.signal?.aborted) {
      reason = 'aborted';
      break;
    }
    const frame = toFrame(u);
    let reply: { header: Record<string, unknown>; frames?: Uint8Array[] };
    if (rule === 'cyclic' || rule === 'random') {
      const k = rule === 'cyclic' ? it % nBlocks : rng.int(0, nBlocks - 1);
      const owner = ownerOf(k, nBlocks, shards);
      reply = await executor.submit(BCD_SHARD_SERVICE, { header: { ...base, shard: owner, block: k }, frames: [frame], affinity: affinityOf(owner) }, submitOpts);
    } else {
      const requests: JobRequest[] = Array.from({ length: shards }, (_, sh) => ({ header: { ...base, shard: sh }, frames: [frame], affinity: affinityOf(sh) }));
      const replies = await executor.map(BCD_SHARD_SERVICE, requests, submitOpts);
      reply = replies[0];
      for (let r = 1; r < replies.length; r++) {
        const a = replies[r].header;
        const cur = reply.header;
        if ((a.score as number) > (cur.score as number) || (a.score === cur.score && (a.blockId as number) < (cur.blockId as number))) reply = replies[r];
      }
    }
    const k = reply.header.blockId;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= nBlocks) {
      throw new OptkitError('PROTOCOL', `${FN}: shard reply has blockId ${JSON.stringify(k)}`, 'blockId');
    }
    const start = k * blockSize;
    const t = Math.min(n, start + blockSize) - start;
    const fr = reply.frames ?? [];
    if (fr.length !== 2) throw new OptkitError('PROTOCOL', `${FN}: shard reply has ${fr.length} frames; expected 2 (d_b, Δs)`, 'frames');
    const d = frameToFloat64(fr[0], t);
    const ds = frameToFloat64(fr[1], m);
    for (let i = 0; i < t; i++) x[start + i] += d[i];
    for (let i = 0; i < m; i++) s[i] += ds[i];
    blocks.push(k);
    if (it === 0) firstRoundEnd = clock.seconds();
    options.onProgress?.({ iteration: it + 1, total: maxIter, values: { objective: linearModelLoss(spec.kind, s, labels) } });
  }
  if (reason === 'maxIter') objective.push(linearModelLoss(spec.kind, s, labels));
  const seconds = clock.seconds();
  return {
    x,
    objective,
    blocks,
    iterations: blocks.length,
    reason,
    shards,
    seconds,
    timing: { setup: setupSeconds, firstRound: firstRoundEnd - setupSeconds, rest: seconds - firstRoundEnd },
  };
}

/** The driver entry registered by the optim plugin (`optkit cluster run bcd --config file.json`). */
export const bcdDriver: DriverEntry = {
  id: 'bcd',
  summary: 'greedy block coordinate descent with blocks sharded over workers (bcd.md): least squares or logistic on generated data',
  run: (config, executor, options) => runBcdDriver(config, executor, options),
};
