/**
 * `optkit cluster run <driver> --config file.json`: finds the driver in the loaded plugins, connects a
 * cluster client to the broker and runs the driver with it, showing a live progress line (iteration,
 * the driver's figures such as objective or load imbalance, workers alive), then prints the result as
 * JSON. `optkit cluster local` reuses it against a cluster it starts itself.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ClusterClient, workersAlive, type Broker, parseConfig, readClusterRunConfig, readCurveFiles, clusterRunConfigSchema, type ClusterRunConfig } from '@optkit/cluster';
import { OptkitError, loadPlugin, type DriverProgress, type JobExecutor } from '@optkit/core';
import { formatValue } from '../format.js';
import { stringifyResult } from '../json.js';
import { isPathSpecifier, type LoadedPlugins } from '../plugins.js';
import { err } from './shared.js';

/** Workers alive as the progress line shows them. */
export type WorkersAlive = { count: number; unit: 'workers' | 'worker connections' };

/** The progress line: `iteration 3/10  objective 0.1234  maxVio 0.5  workers 4`. */
export function progressLine(p: DriverProgress, workers?: WorkersAlive): string {
  const parts = [`iteration ${p.iteration}${p.total !== undefined ? `/${p.total}` : ''}`];
  for (const [k, v] of Object.entries(p.values ?? {})) parts.push(`${k} ${formatValue(v)}`);
  if (workers !== undefined) parts.push(`${workers.unit} ${workers.count}`);
  return parts.join('  ');
}

/** Writes progress lines to stderr: rewritten in place on a terminal, at most one line per `everyMs` otherwise. */
export function progressWriter(stream: NodeJS.WriteStream = process.stderr, everyMs = 1000): { update: (line: string) => void; done: () => void } {
  let last = 0;
  let pending: string | undefined;
  let shown = false;
  return {
    update(line) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${line}`);
        shown = true;
        return;
      }
      const now = Date.now();
      pending = line;
      if (now - last >= everyMs) {
        stream.write(`${line}\n`);
        last = now;
        pending = undefined;
      }
    },
    done() {
      if (stream.isTTY && shown) stream.write('\n');
      else if (pending) stream.write(`${pending}\n`);
      shown = false;
      pending = undefined;
    },
  };
}

export interface RunDriverOptions {
  plugins: LoadedPlugins;
  driver: string;
  /** The config (file path or parsed). */
  config: string | ClusterRunConfig;
  /** Broker endpoint; overrides the config's `connect`. */
  connect?: string;
  /**
   * A broker in this process (`cluster local`): the client reaches it by function call instead of a
   * socket, saving the client ↔ broker hop on every task. Overrides `connect`.
   */
  broker?: Broker;
  /** An executor to use instead of a cluster client (tests). */
  executor?: JobExecutor;
  signal?: AbortSignal;
  onProgress?: (p: DriverProgress, workers?: WorkersAlive) => void;
  /** Milliseconds between worker-count polls of the broker for the progress line (default 2000). */
  statusEveryMs?: number;
}

/**
 * Runs driver `driver` of the loaded plugins with the config's `job` options over a cluster client
 * (or `executor`). Throws NOT_FOUND for an unknown driver (listing the known ones), INVALID_OPTION
 * for a config without an endpoint, and whatever the driver throws.
 */
export async function runClusterDriver(options: RunDriverOptions): Promise<unknown> {
  const config =
    typeof options.config === 'string'
      ? await readClusterRunConfig(options.config)
      : { ...parseConfig(clusterRunConfigSchema, options.config, 'cluster run config'), baseDir: process.cwd() };
  // Plugins the config names (paths relative to the config file) join the loaded ones.
  for (const spec of config.plugins ?? []) {
    const specifier = isPathSpecifier(spec) ? resolve(config.baseDir, spec) : spec;
    const plugin = await loadPlugin(specifier, { registry: options.plugins.registry, importer: (s) => import(s), cwd: config.baseDir });
    options.plugins.loaded.push({ specifier, plugin, firstParty: false });
    options.plugins.specifierOf.set(plugin.name, specifier);
  }
  const { entry } = options.plugins.registry.get('drivers', options.driver);
  let client: ClusterClient | undefined;
  let executor = options.executor;
  const tuning = {
    ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.retries !== undefined ? { retries: config.retries } : {}),
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
  };
  if (!executor && options.broker) {
    client = new ClusterClient({ broker: options.broker, ...tuning });
    executor = client;
  } else if (!executor) {
    const connect = options.connect ?? config.connect;
    if (!connect) throw new OptkitError('INVALID_OPTION', 'cluster run: no broker endpoint; give --connect tcp://host:5555 or "connect" in the config file', 'connect');
    const curve = config.curve ? readCurveFiles(config.curve, config.baseDir) : undefined;
    client = new ClusterClient({ connect, ...tuning, ...(curve ? { curve } : {}), ...(config.directPayloads ? { directPayloads: config.directPayloads } : {}) });
    executor = client;
  }
  let workers: WorkersAlive | undefined;
  let polling: NodeJS.Timeout | undefined;
  if (client && options.onProgress) {
    const poll = () => {
      client!.status().then(
        (s) => (workers = workersAlive(s)),
        () => (workers = undefined),
      );
    };
    poll();
    polling = setInterval(poll, options.statusEveryMs ?? 2000);
    polling.unref();
  } else if (executor.workers) {
    workers = { count: await executor.workers(), unit: 'workers' };
  }
  try {
    return await entry.run(config.job, executor, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.(p, workers),
    });
  } finally {
    if (polling) clearInterval(polling);
    client?.close();
  }
}

/** Prints a driver's result as JSON to stdout or `out`. */
export async function printResult(result: unknown, out?: string): Promise<void> {
  const { text, note } = stringifyResult(result);
  if (out) {
    await writeFile(out, text);
    err(`optkit: wrote ${out}`);
  } else {
    process.stdout.write(text);
  }
  if (note) err(`optkit: note: ${note}`);
}

/** Runs the driver with a progress line on stderr and SIGINT wired to an abort. */
export async function runWithProgress(options: Omit<RunDriverOptions, 'onProgress' | 'signal'>, out?: string): Promise<number> {
  const abort = new AbortController();
  const onInt = () => abort.abort(new OptkitError('ABORTED', 'interrupted (SIGINT)'));
  process.once('SIGINT', onInt);
  const writer = progressWriter();
  try {
    const result = await runClusterDriver({ ...options, signal: abort.signal, onProgress: (p, w) => writer.update(progressLine(p, w)) });
    writer.done();
    await printResult(result, out);
    return 0;
  } finally {
    writer.done();
    process.off('SIGINT', onInt);
  }
}
