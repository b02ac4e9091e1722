/**
 * `optkit cluster broker` and `optkit cluster worker`: the two long-running processes of a cluster.
 * Both run until SIGINT/SIGTERM and then close their sockets cleanly.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker, readKeyFile, type BrokerCurveOptions, readKeyPair, readPublicKeys, startWorker, type ClusterWorker, type CurveKeys, type WorkerBackend } from '@optkit/cluster';
import { OptkitError } from '@optkit/core';
import type { LoadedPlugins } from '../plugins.js';
import { isPathSpecifier } from '../plugins.js';
import { err } from './shared.js';

/** Resolves when SIGINT or SIGTERM arrives (or `signal` aborts). */
export function untilStopped(signal?: AbortSignal): Promise<string> {
  return new Promise((resolveStop) => {
    const done = (why: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveStop(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (signal) {
      if (signal.aborted) done('aborted');
      else signal.addEventListener('abort', () => done('aborted'), { once: true });
    }
  });
}

export interface BrokerCommandOptions {
  bind: string[];
  /** Folder holding the broker's `broker.key_secret` (or a path to the secret certificate itself). */
  curveKeys?: string;
  /** Folder (or file) of public certificates allowed to connect. */
  allow?: string;
  heartbeatMs?: number;
  liveness?: number;
}

/** The broker's key pair from `--curve-keys` (a folder with `broker.key_secret`, or the file). */
export function brokerKeyPair(path: string): { publicKey: string; secretKey: string } {
  const file = existsSync(path) && !path.endsWith('.key_secret') ? join(path, 'broker.key_secret') : path;
  if (!existsSync(file)) {
    throw new OptkitError('NOT_FOUND', `--curve-keys: ${file} does not exist; make it with: optkit cluster keygen --out ${path} --name broker`, 'curveKeys');
  }
  return readKeyPair(file);
}

/** Starts a broker on every `--bind` endpoint; resolves with the broker (the caller decides when to close it). */
export async function startBrokerFromOptions(opts: BrokerCommandOptions, log: (line: string) => void = err): Promise<Broker> {
  if (opts.curveKeys && !opts.allow) throw new OptkitError('INVALID_OPTION', '--curve-keys needs --allow <dir> (the public keys of the clients and workers)', 'allow');
  if (opts.allow && !opts.curveKeys) throw new OptkitError('INVALID_OPTION', '--allow needs --curve-keys <dir> (the broker key pair)', 'curveKeys');
  let curve: (BrokerCurveOptions & { allow: string[] }) | undefined;
  if (opts.curveKeys && opts.allow) {
    if (!existsSync(opts.allow)) throw new OptkitError('NOT_FOUND', `--allow: ${opts.allow} does not exist`, 'allow');
    const allow = readPublicKeys(opts.allow);
    if (allow.length === 0) throw new OptkitError('INVALID_OPTION', `--allow: no *.key public certificates in ${opts.allow}`, 'allow');
    curve = { ...brokerKeyPair(opts.curveKeys), allow };
  }
  const broker = new Broker({
    ...(opts.heartbeatMs !== undefined ? { heartbeatIntervalMs: opts.heartbeatMs } : {}),
    ...(opts.liveness !== undefined ? { heartbeatLiveness: opts.liveness } : {}),
    ...(curve ? { curve } : {}),
    log,
  });
  try {
    for (const endpoint of opts.bind) {
      const bound = await broker.bind(endpoint);
      log(`optkit broker: listening on ${bound}${curve ? ` (CURVE, ${curve.allow.length} allowed keys, public key ${curve.publicKey})` : ' (no CURVE: plain text, trusted networks only)'}`);
    }
  } catch (e) {
    await broker.close();
    throw e;
  }
  return broker;
}

export async function brokerCommand(opts: BrokerCommandOptions, signal?: AbortSignal): Promise<number> {
  const broker = await startBrokerFromOptions(opts);
  const why = await untilStopped(signal);
  const s = broker.stats();
  err(`optkit broker: ${why}; stopping (served ${s.replies} replies, re-queued ${s.requeued}, malformed ${s.malformed})`);
  await broker.close();
  return 0;
}

/** CURVE client keys from `--server-key <broker.key>` and `--keys <name.key_secret>`. */
export function clientCurveKeys(serverKey?: string, keys?: string): CurveKeys | undefined {
  if (!serverKey && !keys) return undefined;
  if (!serverKey || !keys) throw new OptkitError('INVALID_OPTION', 'CURVE needs both --server-key <broker.key> and --keys <name.key_secret>', serverKey ? 'keys' : 'serverKey');
  for (const [flag, p] of [['--server-key', serverKey], ['--keys', keys]] as const) {
    if (!existsSync(p)) throw new OptkitError('NOT_FOUND', `${flag}: ${p} does not exist (make keys with optkit cluster keygen)`, flag);
  }
  const pair = readKeyPair(keys);
  return { serverKey: readKeyFile(serverKey).publicKey, publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/**
 * The module files of `specifiers` as the worker's pool threads should import them: paths made
 * absolute, package names resolved from the CLI (so `@optkit/optim` is found wherever the CLI is).
 */
export function resolvePluginFiles(specifiers: readonly string[], cwd = process.cwd()): string[] {
  return specifiers.map((s) => {
    if (s.startsWith('file:')) return fileURLToPath(s);
    if (isPathSpecifier(s)) return isAbsolute(s) ? s : resolve(cwd, s);
    try {
      return fileURLToPath(import.meta.resolve(s));
    } catch {
      return s;
    }
  });
}

/** The specifiers of the loaded plugins that register jobs (the default of `--plugins`). */
export function pluginsWithJobs(plugins: LoadedPlugins): string[] {
  return plugins.loaded.filter((p) => p.plugin.jobs.length > 0).map((p) => p.specifier);
}

export interface WorkerCommandOptions {
  connect: string;
  threads?: number;
  prefetch?: number;
  plugins?: string[];
  backend?: WorkerBackend;
  serverKey?: string;
  keys?: string;
  heartbeatMs?: number;
  liveness?: number;
  taskTimeoutMs?: number;
}

export async function startWorkerFromOptions(opts: WorkerCommandOptions, loaded: () => Promise<LoadedPlugins>): Promise<ClusterWorker> {
  let specifiers = opts.plugins ?? [];
  if (specifiers.length === 0) {
    specifiers = pluginsWithJobs(await loaded());
    if (specifiers.length === 0) throw new OptkitError('NOT_FOUND', 'no loaded plugin registers cluster jobs; name one with --plugins <package or file>', 'plugins');
  }
  const curve = clientCurveKeys(opts.serverKey, opts.keys);
  return startWorker({
    connect: opts.connect,
    plugins: resolvePluginFiles(specifiers),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.prefetch !== undefined ? { prefetch: opts.prefetch } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.heartbeatMs !== undefined || opts.liveness !== undefined ? { heartbeat: { intervalMs: opts.heartbeatMs ?? 2500, liveness: opts.liveness ?? 3 } } : {}),
    ...(opts.taskTimeoutMs !== undefined ? { taskTimeoutMs: opts.taskTimeoutMs } : {}),
    ...(curve ? { curve } : {}),
  });
}

export async function workerCommand(opts: WorkerCommandOptions, loaded: () => Promise<LoadedPlugins>, signal?: AbortSignal): Promise<number> {
  const worker = await startWorkerFromOptions(opts, loaded);
  const why = await untilStopped(signal);
  const s = worker.stats();
  err(`optkit worker: ${why}; stopping (${s.completed} tasks done, ${s.failed} failed, ${s.reconnects} reconnects)`);
  await worker.close();
  return 0;
}
