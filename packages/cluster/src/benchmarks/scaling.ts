/**
 * `cluster.scaling`: how the cluster scales with worker processes on this machine.
 *
 * 1. Speedup of a BCD job from 1 to 2 worker processes (issue 5 target: ≥ 1.7× on the 2-core
 *    development machine), measured on two local clusters side by side with timed jobs alternating
 *    between them. The job is @optkit/optim's `bcd` driver on its `bcdBenchmarkConfig` preset
 *    (dense least squares 4000 × 2048, τ = 8, GSQ with matrix updates, 2 shards), found at run time
 *    (the cluster never imports a plugin statically). Per topology: a short warm-up job (every pool
 *    thread generates and caches the columns of the shards it serves), then timed jobs; the figure is
 *    the median time per round after the first (`timing.rest`), and the two topologies must give the
 *    same iterates. When the optim package cannot be found the CPU-bound `cluster.spin` job is used
 *    instead, and a note says so.
 * 2. Tasks per second with 1, 2, 4 and 8 worker processes (1 thread each): small `cluster.echo` tasks
 *    (an 8-element Float64Array), 64 in flight, through a broker in this process.
 *
 * Workers are real processes (startLocalCluster), so the numbers include every hop a deployment has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Registry, loadPlugin, throwIfAborted, toFrame, type BenchContext, type BenchResult, type BenchRow, type BenchmarkEntry, type DriverEntry, type JobRequest } from '@optkit/core';
import { ClusterClient } from '../client.js';
import { startLocalCluster } from '../local.js';

export interface ScalingBenchmarkOptions {
  /** Module file of a plugin with the `bcd` driver (default: @optkit/optim, located from the running program). */
  bcdPlugin?: string;
  /** The bcd driver config (default: the plugin module's `bcdBenchmarkConfig`). */
  bcdConfig?: Record<string, unknown>;
  /** Timed BCD jobs per topology (default 3; quick 1). */
  repeats?: number;
  /** Worker-process counts for the throughput rows (default [1, 2, 4, 8]; quick [1, 2]). */
  workerCounts?: number[];
  /** Echo tasks per throughput measurement (default 3000; quick 400). */
  tasks?: number;
}

const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The probe plugin module (the `cluster.echo` and `cluster.spin` jobs). */
function ownPluginFile(): string {
  return fileURLToPath(new URL(`./probe-jobs.${FROM_SOURCES ? 'ts' : 'js'}`, import.meta.url));
}

/**
 * The module file of package `name` as seen from the running program (`process.argv[1]`, e.g. the
 * optkit CLI, which depends on @optkit/optim) or from the working folder: its `@optkit/source` entry
 * when running from sources, else its `import` entry. Undefined when not found or not built.
 */
export function locatePackageFile(name: string): string | undefined {
  const bases = [process.argv[1], join(process.cwd(), 'index.js')].filter((b): b is string => typeof b === 'string' && b.length > 0);
  for (const base of bases) {
    let pkgJson: string;
    try {
      pkgJson = createRequire(resolve(base)).resolve(`${name}/package.json`);
    } catch {
      continue;
    }
    try {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: Record<string, unknown> };
      const dot = pkg.exports?.['.'] as Record<string, string> | string | undefined;
      const candidates = typeof dot === 'string' ? [dot] : [...(FROM_SOURCES && dot?.['@optkit/source'] ? [dot['@optkit/source']] : []), dot?.import, dot?.default].filter(Boolean);
      for (const rel of candidates as string[]) {
        const file = join(dirname(pkgJson), rel);
        if (existsSync(file)) return file;
      }
    } catch {
      // unreadable package.json: try the next base
    }
  }
  return undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface BcdRun {
  x: Float64Array;
  iterations: number;
  timing: { rest: number };
}

/** What the speedup rows run: the bcd driver on its preset, or the CPU-bound spin job. */
interface SpeedupJob {
  kind: 'bcd' | 'spin';
  plugins: string[];
  /** One timed measurement with the cluster as it is: seconds per round (bcd) or wall seconds (spin). */
  measure: (client: ClusterClient, workers: number) => Promise<{ seconds: number; x?: Float64Array }>;
  describe: (repeats: number) => string;
}

async function bcdJob(ctx: BenchContext, options: ScalingBenchmarkOptions): Promise<SpeedupJob | undefined> {
  const file = options.bcdPlugin ?? locatePackageFile('@optkit/optim');
  if (!file) return undefined;
  const registry = new Registry();
  let driver: DriverEntry;
  let config = options.bcdConfig;
  try {
    await loadPlugin(file, { registry });
    driver = registry.get('drivers', 'bcd').entry;
    if (!config) config = ((await import(pathToFileURL(file).href)) as { bcdBenchmarkConfig?: Record<string, unknown> }).bcdBenchmarkConfig;
  } catch (err) {
    ctx.log(`cluster.scaling: no bcd driver in ${file} (${(err as Error).message}); using cluster.spin`);
    return undefined;
  }
  if (!config) return undefined;
  const base = config;
  // The preset's 200 rounds, shortened (100; quick 40) since every topology runs several times.
  const timed = { ...base, ...(!options.bcdConfig ? { maxIter: ctx.quick ? 40 : 100 } : {}) };
  const warmed = new Set<ClusterClient>();
  return {
    kind: 'bcd',
    plugins: [file],
    measure: async (client, workers) => {
      // Every pool thread generates the columns of the shards it serves on first use: warm up once
      // per topology so the timed rounds measure the steady state.
      if (!warmed.has(client)) {
        await driver.run({ ...base, maxIter: 6 }, client, { signal: ctx.signal });
        warmed.add(client);
      }
      const run = (await driver.run(timed, client, { signal: ctx.signal })) as BcdRun;
      return { seconds: run.timing.rest / Math.max(1, run.iterations - 1), x: run.x };
    },
    describe: (repeats) => {
      const p = (base as { problem?: { rows?: number; cols?: number } }).problem;
      return `bcd: ${p?.rows ?? '?'} × ${p?.cols ?? '?'} least squares, driver from ${file}, ${timed.maxIter as number} rounds; figure: median over ${repeats} timed job(s) of the time per round after the first (warm-up job first)`;
    },
  };
}

function spinJobRunner(ctx: BenchContext): SpeedupJob {
  const tasks = ctx.quick ? 8 : 24;
  const n = ctx.quick ? 2e7 : 5e7;
  const requests: JobRequest[] = Array.from({ length: tasks }, () => ({ header: { n } }));
  return {
    kind: 'spin',
    plugins: [],
    measure: async (client, workers) => {
      await client.map('cluster.spin', requests.slice(0, 2 * workers));
      const t0 = performance.now();
      await client.map('cluster.spin', requests, { concurrency: 2 * workers });
      return { seconds: (performance.now() - t0) / 1e3 };
    },
    describe: (repeats) =>
      `The @optkit/optim bcd driver was not found from this program, so the speedup rows use the CPU-bound cluster.spin job (${tasks} tasks of ${n} steps, median of ${repeats}) instead of a BCD job.`,
  };
}

/**
 * The speedup rows: two local clusters side by side, one with 1 worker process and one with 2, and
 * timed jobs alternating between them (1, 2, 1, 2, ...), so that a change in the load of this shared
 * machine hits both alike; the figure for each is the median of its runs.
 */
async function measureSpeedup(ctx: BenchContext, job: SpeedupJob, repeats: number): Promise<{ one: number; two: number; same?: boolean }> {
  const onLine = (l: string) => (/error|unavailable|failed/i.test(l) ? ctx.log(l) : undefined);
  const clusters = [
    await startLocalCluster({ plugins: [...job.plugins, ownPluginFile()], workers: 1, threads: 1, onLine }),
    await startLocalCluster({ plugins: [...job.plugins, ownPluginFile()], workers: 2, threads: 1, onLine }),
  ];
  const clients = clusters.map((c) => new ClusterClient({ connect: c.endpoint, timeoutMs: 120_000, retries: 1 }));
  try {
    const times: number[][] = [[], []];
    const answers: (Float64Array | undefined)[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const k of [0, 1]) {
        throwIfAborted(ctx.signal, 'cluster.scaling');
        ctx.progress((0.5 * (2 * r + k)) / (2 * repeats), `${job.kind} with ${k + 1} worker process${k ? 'es' : ''}, run ${r + 1}/${repeats}`);
        const m = await job.measure(clients[k], k + 1);
        times[k].push(m.seconds);
        if (r === 0) answers[k] = m.x;
      }
    }
    const [x1, x2] = answers;
    const same = x1 && x2 ? x1.length === x2.length && x1.every((v, i) => Object.is(v, x2[i])) : undefined;
    return { one: median(times[0]), two: median(times[1]), ...(same !== undefined ? { same } : {}) };
  } finally {
    for (const c of clients) c.close();
    for (const c of clusters) await c.close();
  }
}

/**
 * Speedup (two clusters side by side, alternating), then tasks/s on one cluster that grows from 1 to
 * 8 worker processes. Workers load the bcd plugin (when found) and the probe jobs.
 */
export async function runScalingBenchmark(ctx: BenchContext, options: ScalingBenchmarkOptions = {}): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const job = (await bcdJob(ctx, options)) ?? spinJobRunner(ctx);
  const repeats = options.repeats ?? (ctx.quick ? 1 : 5);
  const { one, two, same } = await measureSpeedup(ctx, job, repeats);
  const speedup = one / two;
  const label = job.kind === 'bcd' ? 'bcd round' : 'cluster.spin batch';
  rows.push(
    { name: `${label}, 1 worker process`, value: one * 1e3, unit: 'ms', higherIsBetter: false },
    { name: `${label}, 2 worker processes`, value: two * 1e3, unit: 'ms', higherIsBetter: false },
    { name: `${job.kind} speedup 1 → 2 worker processes`, value: speedup, unit: '×', higherIsBetter: true, ratio: speedup, target: '>= 1.7x', pass: speedup >= 1.7 },
  );
  notes.push(job.describe(repeats));
  if (same !== undefined) notes.push(`bcd iterates with 1 and 2 worker processes: ${same ? 'bit-identical' : 'DIFFERENT (a bug)'}.`);

  const counts = [...new Set(options.workerCounts ?? (ctx.quick ? [1, 2] : [1, 2, 4, 8]))].sort((a, b) => a - b);
  const tasks = options.tasks ?? (ctx.quick ? 400 : 3000);
  const frame = toFrame(Float64Array.from({ length: 8 }, (_, i) => i));
  const echoRequests: JobRequest[] = Array.from({ length: tasks }, (_, i) => ({ header: { i }, frames: [frame] }));
  const cluster = await startLocalCluster({ plugins: [ownPluginFile()], workers: counts[0], threads: 1, onLine: (l) => (/error|unavailable|failed/i.test(l) ? ctx.log(l) : undefined) });
  const client = new ClusterClient({ connect: cluster.endpoint, timeoutMs: 120_000, retries: 1 });
  try {
    await client.map('cluster.echo', echoRequests.slice(0, Math.min(1000, tasks)), { concurrency: 64 });
    for (const [k, count] of counts.entries()) {
      throwIfAborted(ctx.signal, 'cluster.scaling');
      ctx.progress(0.5 + (0.5 * k) / counts.length, `tasks/s with ${count} worker processes`);
      while (cluster.processes.length < count) await cluster.addWorker();
      await client.map('cluster.echo', echoRequests.slice(0, Math.min(200, tasks)), { concurrency: 64 });
      const t0 = performance.now();
      const replies = await client.map('cluster.echo', echoRequests, { concurrency: 64 });
      const seconds = (performance.now() - t0) / 1e3;
      if (replies[tasks - 1].header.i !== tasks - 1) throw new Error('cluster.scaling: echo replies out of order');
      rows.push({ name: `cluster.echo tasks/s, ${count} worker process${count === 1 ? '' : 'es'}`, value: tasks / seconds, unit: 'tasks/s', higherIsBetter: true });
    }
  } finally {
    client.close();
    await cluster.close();
  }
  notes.push(
    `tasks/s: ${tasks} cluster.echo tasks (8 float64 each), 64 in flight, broker in this process, worker processes with 1 thread each (MDP gives a connection one task at a time, so one such worker has one task in flight: its rate is 1 / round-trip latency); machine: ${availableParallelism()} cores.`,
  );
  ctx.progress(1);
  return { rows, notes };
}

export const scalingBenchmark: BenchmarkEntry = {
  id: 'cluster.scaling',
  title: 'Cluster scaling: BCD speedup 1 → 2 worker processes, tasks/s with 1..8 workers',
  run: (ctx) => runScalingBenchmark(ctx),
};
