/**
 * Distributed ALF-LB (shared/methods/alf-lb.md, "Global vs per-shard state"): a step's tokens are
 * sharded across workers; each `moe.route` task routes its shard's tokens with the broadcast bias and
 * returns integer per-expert counts; the coordinator (the `moe` driver) sums the counts of all shards
 * in shard order — exact integer addition — and only then takes the sign step, so the bias history is
 * bit-identical for any shard or worker count. This is a bulk-synchronous barrier (staleness 0).
 *
 * For comparison the driver also runs the variant the card forbids (`aggregation:
 * 'average-shard-signs'`): each shard takes its own sign step on its local counts and the biases are
 * averaged. `sign(Σ) ≠ Σ sign`, so it balances each shard's local batch, not the global load.
 *
 * Tokens come from the seeded synthetic generator ({@link SkewedScores}): each task header carries the
 * seed, step and shard, so a task is a pure function of its request (idempotent; safe to re-run).
 */
import {
  OptkitError,
  assertFinite,
  checkChoice,
  checkOption,
  frameToFloat64,
  frameToInt32,
  throwIfAborted,
  toFrame,
  type DriverEntry,
  type DriverProgress,
  type JobEntry,
  type JobExecutor,
  type JobRequest,
} from '@optkit/core';
import { AlfLbBalancer, maxViolation, type AlfLbOptions } from './moe-balance.js';
import { SkewedScores } from './moe-synthetic.js';

/** Wire version of the `moe.route` header. */
export const MOE_ROUTE_VERSION = 1;

/** The routing options a task needs (everything but the update rule, which only the coordinator runs). */
export interface MoeRoutingConfig {
  numExperts: number;
  topK: number;
  gate?: AlfLbOptions['gate'];
  groups?: AlfLbOptions['groups'];
  routeScale?: number;
}

/** Config of the `moe` driver (`optkit cluster run moe --config file.json`). */
export interface MoeDriverConfig {
  /** Training steps (bias updates), integer >= 1. */
  steps: number;
  /** T, tokens per step (global batch), integer >= 1 (default 2048, the card's batch). */
  tokens?: number;
  /** Shards the tokens are split into (one task each per step), integer in [1, tokens] (default 1). */
  shards?: number;
  /** MoE layers, each with its own bias and tokens (default 1); counts travel stacked as [L, E]. */
  layers?: number;
  /** E (default 16). */
  numExperts?: number;
  /** K (default 2). */
  topK?: number;
  /** d of the synthetic generator (default 16). */
  dim?: number;
  /** Seed of the synthetic generator (default 0). */
  seed?: number;
  /** Synthetic skew by home segment (card E3: `{groups: 4, amount: 1.5}`); default none. */
  skew?: { groups: number; amount: number };
  /** ALF-LB options (defaults as in {@link AlfLbOptions}); a custom schedule function is not allowed in a config. */
  updateRate?: number;
  schedule?: 'constant' | 'annealed' | 'inverseTime';
  inverseTimeSteps?: number;
  rule?: 'sign' | 'proportional';
  recenter?: boolean;
  groups?: { numGroups: number; keepGroups: number };
  gate?: 'sigmoid-normalized' | 'softmax' | 'raw';
  routeScale?: number;
  /** `'global'` (default, correct) or `'average-shard-signs'` (the card's wrong variant, for comparison). */
  aggregation?: 'global' | 'average-shard-signs';
  /** Most tasks in flight (default: all shards). */
  concurrency?: number;
  /** Per-task deadline in ms (default none). */
  timeoutMs?: number;
  /** Keep every step's bias in the result (default true). */
  recordBiasHistory?: boolean;
}

export interface MoeDriverResult {
  steps: number;
  tokens: number;
  shards: number;
  layers: number;
  numExperts: number;
  aggregation: 'global' | 'average-shard-signs';
  /** Global MaxVio of step n, layer l at [n*L + l] (measured with the bias before step n's update). */
  maxVio: Float64Array;
  /** Routing quality: mean unbiased affinity of the chosen experts, [n*L + l]. */
  quality: Float64Array;
  /** Global counts of the last step, [L*E]. */
  lastCounts: Int32Array;
  /** Final bias per layer. */
  bias: Float64Array[];
  /** b_n for n = 0..steps, [(steps+1) * L * E] (only when recordBiasHistory). */
  biasHistory?: Float64Array;
}

const KEYS = new Set([
  'steps', 'tokens', 'shards', 'layers', 'numExperts', 'topK', 'dim', 'seed', 'skew', 'updateRate', 'schedule',
  'inverseTimeSteps', 'rule', 'recenter', 'groups', 'gate', 'routeScale', 'aggregation', 'concurrency', 'timeoutMs',
  'recordBiasHistory',
]);

interface ResolvedConfig extends Required<Omit<MoeDriverConfig, 'skew' | 'groups' | 'concurrency' | 'timeoutMs'>> {
  skew?: { groups: number; amount: number };
  groups?: { numGroups: number; keepGroups: number };
  concurrency?: number;
  timeoutMs?: number;
}

/** Validates a driver config by hand (INVALID_OPTION naming the field) and fills in defaults. */
export function resolveMoeConfig(config: unknown): ResolvedConfig {
  const fn = 'moe driver';
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new OptkitError('INVALID_OPTION', `${fn}: config must be an object with at least "steps"`, 'config');
  }
  const c = config as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!KEYS.has(k)) throw new OptkitError('INVALID_OPTION', `${fn}: unknown config field ${JSON.stringify(k)}; known: ${[...KEYS].join(', ')}`, k);
  }
  if (c.steps === undefined) throw new OptkitError('INVALID_OPTION', `${fn}: config field "steps" is missing`, 'steps');
  const num = (k: string, dflt: number | undefined, range: Parameters<typeof checkOption>[2]): number => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'number') throw new OptkitError('INVALID_OPTION', `${fn}: config field ${k} is ${JSON.stringify(v)}; expected a number`, k);
    return checkOption(v, k, range, fn);
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'boolean') throw new OptkitError('INVALID_OPTION', `${fn}: config field ${k} is ${JSON.stringify(v)}; expected true or false`, k);
    return v;
  };
  const str = <T extends string>(k: string, dflt: T, allowed: readonly T[]): T => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'string') throw new OptkitError('INVALID_OPTION', `${fn}: config field ${k} is ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}`, k);
    return checkChoice(v, allowed, k, fn);
  };
  const steps = num('steps', undefined, { min: 1, integer: true });
  const tokens = num('tokens', 2048, { min: 1, integer: true });
  const numExperts = num('numExperts', 16, { min: 1, integer: true });
  const resolved: ResolvedConfig = {
    steps,
    tokens,
    shards: num('shards', 1, { min: 1, max: tokens, integer: true }),
    layers: num('layers', 1, { min: 1, integer: true }),
    numExperts,
    topK: num('topK', 2, { min: 1, max: numExperts, integer: true }),
    dim: num('dim', 16, { min: 1, integer: true }),
    seed: num('seed', 0, { integer: true }),
    updateRate: num('updateRate', 1e-3, { min: 0 }),
    schedule: str('schedule', 'constant', ['constant', 'annealed', 'inverseTime'] as const),
    inverseTimeSteps: num('inverseTimeSteps', 50, { min: 0, minExclusive: true }),
    rule: str('rule', 'sign', ['sign', 'proportional'] as const),
    recenter: bool('recenter', false),
    gate: str('gate', 'sigmoid-normalized', ['sigmoid-normalized', 'softmax', 'raw'] as const),
    routeScale: num('routeScale', 1, { min: 0, minExclusive: true }),
    aggregation: str('aggregation', 'global', ['global', 'average-shard-signs'] as const),
    recordBiasHistory: bool('recordBiasHistory', true),
  };
  if (c.concurrency !== undefined) resolved.concurrency = num('concurrency', undefined, { min: 1, integer: true });
  if (c.timeoutMs !== undefined) resolved.timeoutMs = num('timeoutMs', undefined, { min: 0, minExclusive: true });
  const obj = (k: string, fields: string[]): Record<string, unknown> | undefined => {
    const v = c[k];
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new OptkitError('INVALID_OPTION', `${fn}: config field ${k} must be an object {${fields.join(', ')}}`, k);
    }
    for (const f of fields) {
      if (typeof (v as Record<string, unknown>)[f] !== 'number') {
        throw new OptkitError('INVALID_OPTION', `${fn}: config field ${k}.${f} is missing or not a number`, `${k}.${f}`);
      }
    }
    return v as Record<string, unknown>;
  };
  const skew = obj('skew', ['groups', 'amount']);
  if (skew) resolved.skew = { groups: skew.groups as number, amount: skew.amount as number };
  const groups = obj('groups', ['numGroups', 'keepGroups']);
  if (groups) resolved.groups = { numGroups: groups.numGroups as number, keepGroups: groups.keepGroups as number };
  // Let the balancer and generator check the rest (groups dividing E, skew groups, ...).
  new AlfLbBalancer(balancerOptions(resolved));
  new SkewedScores({ numExperts, dim: resolved.dim, seed: resolved.seed, skew: resolved.skew });
  return resolved;
}

function balancerOptions(c: ResolvedConfig): AlfLbOptions {
  return {
    numExperts: c.numExperts,
    topK: c.topK,
    updateRate: c.updateRate,
    schedule: c.schedule,
    inverseTimeSteps: c.inverseTimeSteps,
    rule: c.rule,
    recenter: c.recenter,
    groups: c.groups,
    gate: c.gate,
    routeScale: c.routeScale,
  };
}

/** Token range [start, end) of shard `shard` of `numShards` over a step of T tokens. */
export function shardRange(tokens: number, shard: number, numShards: number): [number, number] {
  return [Math.floor((shard * tokens) / numShards), Math.floor(((shard + 1) * tokens) / numShards)];
}

function headerInt(h: Record<string, unknown>, k: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = h[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OptkitError('INVALID_ARGUMENT', `moe.route: header.${k} is ${JSON.stringify(v)}; expected an integer in [${min}, ${max}]`, `header.${k}`);
  }
  return v;
}

/**
 * The `moe.route` task: routes one shard of one step with the given bias.
 * Header: `{v, step, shard, numShards, tokens, layers, numExperts, topK, dim, seed, skew?, gate?, groups?, routeScale?}`;
 * frame 0: the bias, Float64Array [layers * numExperts].
 * Reply header `{v, step, shard, tokens}` (this shard's token count); frames: counts Int32Array [L*E],
 * quality Float64Array [L] (Σ of chosen unbiased affinities per layer).
 */
export function moeRouteTask(header: Record<string, unknown>, frames: Uint8Array[]): { header: Record<string, unknown>; frames: Uint8Array[] } {
  if (header.v !== MOE_ROUTE_VERSION) {
    throw new OptkitError('PROTOCOL', `moe.route: header.v is ${JSON.stringify(header.v)}; this worker speaks version ${MOE_ROUTE_VERSION}`, 'header.v');
  }
  const step = headerInt(header, 'step', 0);
  const numShards = headerInt(header, 'numShards', 1);
  const shard = headerInt(header, 'shard', 0, numShards - 1);
  const tokens = headerInt(header, 'tokens', numShards);
  const layers = headerInt(header, 'layers', 1);
  const numExperts = headerInt(header, 'numExperts', 1);
  const topK = headerInt(header, 'topK', 1, numExperts);
  const dim = headerInt(header, 'dim', 1);
  const seed = headerInt(header, 'seed', -(2 ** 31), 2 ** 32);
  if (frames.length < 1) throw new OptkitError('INVALID_ARGUMENT', 'moe.route: missing the bias frame', 'frames');
  const bias = frameToFloat64(frames[0], layers * numExperts);
  assertFinite(bias, 'bias', 'moe.route');
  const [start, end] = shardRange(tokens, shard, numShards);
  const count = end - start;
  const counts = new Int32Array(layers * numExperts);
  const quality = new Float64Array(layers);
  const scores = new Float64Array(count * numExperts);
  const x = new Float64Array(count * dim);
  const experts = new Int32Array(count * topK);
  const weights = new Float32Array(count * topK);
  const layerCounts = new Int32Array(numExperts);
  for (let l = 0; l < layers; l++) {
    const gen = new SkewedScores({ numExperts, dim, seed, layer: l, skew: header.skew as { groups: number; amount: number } | undefined });
    gen.fill(step, start, count, tokens, scores, x);
    const bal = new AlfLbBalancer({
      numExperts,
      topK,
      gate: header.gate as AlfLbOptions['gate'],
      groups: header.groups as AlfLbOptions['groups'],
      routeScale: header.routeScale as number | undefined,
    });
    bal.load({ bias: bias.subarray(l * numExperts, (l + 1) * numExperts), version: step });
    const r = bal.routeUnchecked(scores, count, experts, weights, layerCounts);
    counts.set(layerCounts, l * numExperts);
    quality[l] = r.scoreSum;
  }
  return { header: { v: MOE_ROUTE_VERSION, step, shard, tokens: count }, frames: [toFrame(counts), toFrame(quality)] };
}

/**
 * The variant the card forbids, for comparison only: every shard takes its own update step from the
 * shared bias on its LOCAL counts, and the resulting biases are averaged (in shard order) into
 * `balancer`. `scratch` is a balancer with the same options, used as workspace.
 */
export function averageShardSignUpdate(balancer: AlfLbBalancer, scratch: AlfLbBalancer, shardCounts: readonly ArrayLike<number>[]): Float64Array {
  const E = balancer.options.numExperts;
  const n = balancer.version;
  const b = balancer.bias;
  const avg = new Float64Array(E);
  for (const c of shardCounts) {
    scratch.load({ bias: b, version: n });
    const bw = scratch.update(c).bias;
    for (let i = 0; i < E; i++) avg[i] += bw[i];
  }
  for (let i = 0; i < E; i++) avg[i] /= shardCounts.length;
  balancer.load({ bias: avg, version: n + 1 });
  return avg;
}

/** Registry entry of the `moe.route` task. */
export const moeRouteJob: JobEntry = {
  id: 'moe.route',
  summary: 'ALF-LB MoE routing of one token shard with the broadcast expert biases; returns integer expert counts',
  handler: moeRouteTask,
};

/**
 * Runs distributed ALF-LB for `config.steps` steps through `executor` and returns the global MaxVio,
 * routing quality and bias history. The result does not depend on the executor or the shard count
 * (for `aggregation: 'global'`): counts are integers summed in shard order before the update.
 */
export async function runMoe(
  config: MoeDriverConfig | unknown,
  executor: JobExecutor,
  options: { signal?: AbortSignal; onProgress?: (p: DriverProgress) => void } = {},
): Promise<MoeDriverResult> {
  const c = resolveMoeConfig(config);
  const { steps, tokens, shards, layers: L, numExperts: E, topK: K } = c;
  const balancers = Array.from({ length: L }, () => new AlfLbBalancer(balancerOptions(c)));
  const scratch = new AlfLbBalancer(balancerOptions(c));
  const maxVio = new Float64Array(steps * L);
  const quality = new Float64Array(steps * L);
  const biasHistory = c.recordBiasHistory ? new Float64Array((steps + 1) * L * E) : undefined;
  const global = new Int32Array(L * E);
  const perShard = c.aggregation === 'average-shard-signs' ? Array.from({ length: shards }, () => new Int32Array(L * E)) : [];
  const baseHeader = {
    v: MOE_ROUTE_VERSION,
    numShards: shards,
    tokens,
    layers: L,
    numExperts: E,
    topK: K,
    dim: c.dim,
    seed: c.seed,
    ...(c.skew ? { skew: c.skew } : {}),
    gate: c.gate,
    ...(c.groups ? { groups: c.groups } : {}),
    routeScale: c.routeScale,
  };
  for (let n = 0; n < steps; n++) {
    throwIfAborted(options.signal, 'moe driver');
    // A fresh buffer per step: a transport may still hold the previous step's frame (retries).
    const bias = new Float64Array(L * E);
    for (let l = 0; l < L; l++) bias.set(balancers[l].bias, l * E);
    if (biasHistory) biasHistory.set(bias, n * L * E);
    const biasFrame = toFrame(bias);
    const requests: JobRequest[] = [];
    for (let w = 0; w < shards; w++) requests.push({ header: { ...baseHeader, step: n, shard: w }, frames: [biasFrame] });
    const replies = await executor.map('moe.route', requests, {
      signal: options.signal,
      ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
      ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    });
    // Exact integer reduction in shard order, BEFORE any sign is taken.
    global.fill(0);
    const qsum = new Float64Array(L);
    for (let w = 0; w < shards; w++) {
      const rep = replies[w];
      if (!rep || rep.header.step !== n || rep.header.shard !== w || !rep.frames || rep.frames.length < 2) {
        throw new OptkitError('PROTOCOL', `moe driver: reply ${w} of step ${n} does not answer (step ${n}, shard ${w})`, 'reply');
      }
      const counts = frameToInt32(rep.frames[0], L * E);
      const q = frameToFloat64(rep.frames[1], L);
      const shardTokens = rep.header.tokens;
      const [a, b] = shardRange(tokens, w, shards);
      if (shardTokens !== b - a) {
        throw new OptkitError('PROTOCOL', `moe driver: shard ${w} of step ${n} routed ${String(shardTokens)} tokens, expected ${b - a}`, 'reply');
      }
      for (let l = 0; l < L; l++) {
        let sum = 0;
        for (let i = 0; i < E; i++) {
          const v = counts[l * E + i];
          if (v < 0) throw new OptkitError('PROTOCOL', `moe driver: shard ${w} sent a negative count`, 'reply');
          sum += v;
          global[l * E + i] += v;
        }
        // Every token picks exactly K experts; anything else is a corrupted or foreign reply.
        if (sum !== (b - a) * K) {
          throw new OptkitError('PROTOCOL', `moe driver: shard ${w} layer ${l} counts sum to ${sum}, expected ${(b - a) * K}`, 'reply');
        }
      }
      if (perShard.length) perShard[w].set(counts);
      for (let l = 0; l < L; l++) qsum[l] += q[l];
    }
    let worst = 0;
    for (let l = 0; l < L; l++) {
      const gl = global.subarray(l * E, (l + 1) * E);
      const mv = maxViolation(gl);
      maxVio[n * L + l] = mv;
      quality[n * L + l] = qsum[l] / (tokens * K);
      worst = Math.max(worst, mv);
      if (c.aggregation === 'global') {
        balancers[l].update(gl);
      } else {
        averageShardSignUpdate(balancers[l], scratch, perShard.map((c) => c.subarray(l * E, (l + 1) * E)));
      }
    }
    options.onProgress?.({ iteration: n + 1, total: steps, values: { maxVio: worst } });
  }
  const finalBias = balancers.map((b) => b.bias);
  if (biasHistory) for (let l = 0; l < L; l++) biasHistory.set(finalBias[l], (steps * L + l) * E);
  return {
    steps,
    tokens,
    shards,
    layers: L,
    numExperts: E,
    aggregation: c.aggregation,
    maxVio,
    quality,
    lastCounts: global.slice(),
    bias: finalBias,
    ...(biasHistory ? { biasHistory } : {}),
  };
}

/** Registry entry of the `moe` driver (`optkit cluster run moe --config file.json`). */
export const moeDriver: DriverEntry = {
  id: 'moe',
  summary: 'Auxiliary-loss-free MoE load balancing (ALF-LB): tokens sharded over workers, expert counts reduced globally each step',
  run: (config, executor, options) => runMoe(config, executor, options),
};
