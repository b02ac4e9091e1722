/**
 * A cluster on this machine, for demos, tests and benchmarks: a broker in this process bound to
 * loopback and N worker *processes* (so SIGKILL, restarts and real parallelism behave as on several
 * machines), torn down together. This is `optkit cluster local --workers 2`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OptkitError, checkOption } from '@optkit/core';
import { Broker, type BrokerOptions } from './broker.js';
import type { WorkerOptions } from './worker.js';

/** A worker process started by {@link spawnWorkerProcess}. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the services once the worker logged that it serves them; rejects if it exits first. */
  ready: Promise<string[]>;
  /** Every stderr line so far. */
  lines: string[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The worker entry script beside this module and the node arguments to run it. */
export function workerEntry(): { args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./worker-main.${fromSources ? 'ts' : 'js'}`, import.meta.url));
  return { args: fromSources ? ['--conditions=@optkit/source', '--import', 'tsx', file] : [file] };
}

/**
 * Starts `node worker-main '<options JSON>'` as a child process (stdin piped, so it exits when this
 * process dies; stderr lines collected and passed to `onLine`). `options.log` is ignored: a process logs
 * to its stderr. `prefix` is a command to run node under, e.g. `['ip', 'netns', 'exec', 'ns1']` to
 * start the worker in a network namespace; it must exec node in place, so that `child.pid` is the
 * worker's and a signal sent to `child` reaches it.
 */
export function spawnWorkerProcess(
  options: Omit<WorkerOptions, 'log'>,
  spawnOptions: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; prefix?: readonly string[] } = {},
): WorkerProcess {
  const { args } = workerEntry();
  const [command, ...prefixArgs] = [...(spawnOptions.prefix ?? []), process.execPath];
  const child = spawn(command, [...prefixArgs, ...args, JSON.stringify(options)], {
    cwd: spawnOptions.cwd ?? process.cwd(),
    env: { ...process.env, ...spawnOptions.env, OPTKIT_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<string[]>((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        spawnOptions.onLine?.(line);
        const m = /serving (.+) with \d+ threads? at /.exec(line);
        if (m) resolve(m[1].split(', '));
      }
    });
    void exited.then(({ code, signal }) =>
      reject(new OptkitError('UNAVAILABLE', `worker process exited (${signal ?? `code ${code}`}) before serving: ${lines.slice(-3).join(' | ') || '(no output)'}`, 'worker')),
    );
  });
  ready.catch(() => undefined);
  return { child, ready, lines, exited };
}

export interface LocalClusterOptions {
  /** Plugin specifiers the workers load (package names or absolute paths). */
  plugins: string[];
  /** Worker processes (default 2). */
  workers?: number;
  /** Threads per worker process (default 1). */
  threads?: number;
  /** Broker endpoint (default `tcp://127.0.0.1:0`, an ephemeral loopback port). */
  bind?: string;
  /** Heartbeat interval and liveness for broker and workers alike (default 1000 ms × 3). */
  heartbeat?: { intervalMs: number; liveness: number };
  /** Further broker options. */
  broker?: Omit<BrokerOptions, 'heartbeatIntervalMs' | 'heartbeatLiveness'>;
  /** Further worker options (backend, services, taskTimeoutMs, reconnect). */
  worker?: Partial<Omit<WorkerOptions, 'connect' | 'plugins' | 'threads' | 'heartbeat' | 'log'>>;
  cwd?: string;
  /** Receives every stderr line of every worker, prefixed with its index. */
  onLine?: (line: string) => void;
  /** Milliseconds to wait for all workers to register (default 60000). */
  readyTimeoutMs?: number;
}

/** A running local cluster. */
export interface LocalCluster {
  endpoint: string;
  broker: Broker;
  /** The worker processes, in start order (killed ones stay in the list). */
  processes: WorkerProcess[];
  /** Starts one more worker process and waits until the broker has its connections. */
  addWorker(): Promise<WorkerProcess>;
  /** Closes the broker and stops every worker process (SIGTERM, then SIGKILL after 3 s). */
  close(): Promise<void>;
}

/** Waits until `check()` holds (polling every 25 ms) or throws UNAVAILABLE with `what` after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new OptkitError('TIMEOUT', `${what} did not happen within ${ms} ms`, 'readyTimeoutMs');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops a worker process: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopWorkerProcess(p: WorkerProcess, graceMs = 3000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}

/**
 * Starts a broker on `bind` in this process and `workers` worker processes connected to it, and
 * resolves once every worker's connections (services × threads × prefetch each) are registered with the broker.
 * Throws INVALID_OPTION for a bad count, UNAVAILABLE when a worker exits during start-up, TIMEOUT when
 * registration takes longer than `readyTimeoutMs`. On failure everything started is stopped again.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const fn = 'startLocalCluster';
  const count = checkOption(options.workers ?? 2, 'workers', { min: 0, integer: true }, fn);
  const threads = checkOption(options.threads ?? 1, 'threads', { min: 1, integer: true }, fn);
  const readyMs = checkOption(options.readyTimeoutMs ?? 60_000, 'readyTimeoutMs', { min: 1 }, fn);
  if (!Array.isArray(options.plugins) || options.plugins.length === 0) {
    throw new OptkitError('INVALID_OPTION', `${fn}: plugins must name at least one plugin with jobs`, 'plugins');
  }
  const heartbeat = options.heartbeat ?? { intervalMs: 1000, liveness: 3 };
  const broker = new Broker({ ...options.broker, heartbeatIntervalMs: heartbeat.intervalMs, heartbeatLiveness: heartbeat.liveness });
  const processes: WorkerProcess[] = [];
  const slots = new Map<WorkerProcess, number>();
  const alive = (p: WorkerProcess) => p.child.exitCode === null && p.child.signalCode === null;
  // Connections the live processes hold (a killed process's ones linger at the broker until its
  // liveness window passes, so this is a lower bound on what the broker reports).
  const expectedSlots = () => processes.reduce((n, p) => n + (alive(p) ? (slots.get(p) ?? 0) : 0), 0);
  const close = async () => {
    await Promise.all(processes.map((p) => stopWorkerProcess(p)));
    await broker.close();
  };
  try {
    const endpoint = await broker.bind(options.bind ?? 'tcp://127.0.0.1:0');
    const connect = endpoint.replace('tcp://0.0.0.0:', 'tcp://127.0.0.1:');
    const addWorker = async (): Promise<WorkerProcess> => {
      const index = processes.length;
      const p = spawnWorkerProcess(
        { ...options.worker, connect, plugins: options.plugins, threads, heartbeat },
        { cwd: options.cwd, onLine: options.onLine ? (line) => options.onLine!(`[worker ${index}] ${line}`) : undefined },
      );
      processes.push(p);
      const services = await Promise.race([
        p.ready,
        new Promise<never>((_, reject) => setTimeout(() => reject(new OptkitError('TIMEOUT', `${fn}: worker ${index} did not start within ${readyMs} ms`, 'readyTimeoutMs')), readyMs).unref()),
      ]);
      slots.set(p, services.length * threads * (options.worker?.prefetch ?? 1));
      await waitFor(() => broker.stats().workers >= expectedSlots(), readyMs, `${fn}: registration of worker ${index}`);
      return p;
    };
    for (let i = 0; i < count; i++) await addWorker();
    return { endpoint: connect, broker, processes, addWorker, close };
  } catch (err) {
    await close();
    throw err;
  }
}
