/**
 * The Piscina thread entry of a cluster worker: each pool thread imports the same plugins as the
 * worker's main thread (by package name or absolute path, through core's `loadPlugin`) into its own
 * registry, and runs one job handler per task.
 *
 * Errors never escape as exceptions: a handler that throws (or returns something that is not a reply)
 * yields `{ok: false, error: {code, message}}`, so the code and message cross the thread boundary
 * unchanged and the pool thread survives. Reply frames go back by transfer (Piscina.move), not copy,
 * whenever a frame owns its whole ArrayBuffer (a frame viewing part of a larger buffer is copied first,
 * so that transferring it cannot detach memory the handler still uses).
 */
import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { OptkitError, Registry, loadPlugin, type JobEntry } from '@optkit/core';

/** What a pool thread receives as `workerData` (set once for the whole pool). */
export interface PoolThreadData {
  /** Plugin specifiers to load: package names or absolute paths to module files. */
  plugins: string[];
  /** Folder from which package names are resolved (the worker process's cwd). */
  cwd: string;
}

/** One task: a request for `service` with its header and raw frames (service `''`: just load the plugins). */
export interface PoolTask {
  service: string;
  header: Record<string, unknown>;
  frames: Uint8Array[];
}

/** A task's outcome as data (errors included). */
export type PoolOutcome =
  /** `runMs`: the handler's own time in the pool thread (ms), the worker's reply timing reports it. */
  | { ok: true; header: Record<string, unknown>; frames: Uint8Array[]; runMs?: number }
  | { ok: false; error: { code: string; message: string } };

let handlers: Promise<Map<string, JobEntry['handler']>> | undefined;

let sourceHooks: Promise<void> | undefined;

/**
 * When this module runs from TypeScript sources (tests, `node --import tsx`), registers tsx's ESM
 * hooks in this thread: Node 20 does not carry `--import` loader hooks into worker threads, so
 * without this a plugin given as a `.ts` path (or a workspace package resolved to its sources through
 * the `@optkit/source` condition) could not be imported here. Built code never takes this path.
 */
function registerSourceHooks(): Promise<void> {
  sourceHooks ??= (async () => {
    if (!import.meta.url.endsWith('.ts')) return;
    const api = 'tsx/esm/api';
    const mod = (await import(api)) as { register: () => unknown };
    mod.register();
  })();
  return sourceHooks;
}

/** Loads the plugins once per thread and indexes their job handlers by service name. */
export async function loadHandlers(data: PoolThreadData): Promise<Map<string, JobEntry['handler']>> {
  await registerSourceHooks();
  const registry = new Registry();
  for (const spec of data.plugins) await loadPlugin(spec, { registry, cwd: data.cwd });
  const map = new Map<string, JobEntry['handler']>();
  for (const { entry } of registry.list('jobs')) map.set(entry.id, entry.handler);
  return map;
}

/**
 * `{code, message}` of anything thrown; OptkitError codes are kept, other errors become REMOTE_ERROR.
 * OptkitErrors are recognised by shape, not `instanceof`: a plugin may carry its own copy of core.
 */
export function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof OptkitError || (err instanceof Error && err.name === 'OptkitError' && typeof (err as OptkitError).code === 'string')) {
    return { code: (err as OptkitError).code, message: err.message };
  }
  if (err instanceof Error) return { code: 'REMOTE_ERROR', message: `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` };
  return { code: 'REMOTE_ERROR', message: String(err) };
}

/**
 * Whether `frame` can be transferred without side effects: it must view its whole ArrayBuffer (a
 * Buffer from Node's shared pool views a slice of a larger one, and transferring that would detach
 * unrelated buffers) and the buffer must not be shared memory.
 */
export function ownsBuffer(frame: Uint8Array): boolean {
  return frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength && !(frame.buffer instanceof SharedArrayBuffer);
}

/** The frame as a Uint8Array that owns its buffer (itself when it already does, else a copy). */
export function detachable(frame: Uint8Array): Uint8Array {
  return ownsBuffer(frame) ? frame : new Uint8Array(frame);
}

/**
 * Wraps `value` as a Piscina Transferable whose `buffers` are moved, not copied, when it crosses the
 * thread boundary (Piscina unwraps it on arrival, so the receiver sees `value`).
 */
export function movable<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  const wrapper = { [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: value };
  return Piscina.move(wrapper as never) as unknown as T;
}

/** Runs one task with a given handler table; never throws. */
export async function runTask(table: Map<string, JobEntry['handler']>, task: PoolTask): Promise<PoolOutcome> {
  const handler = table.get(task.service);
  if (!handler) {
    return { ok: false, error: { code: 'NOT_FOUND', message: `no job ${JSON.stringify(task.service)} in this worker's plugins; known: ${[...table.keys()].sort().join(', ') || '(none)'}` } };
  }
  try {
    const started = performance.now();
    const reply = await handler(task.header, task.frames);
    const runMs = performance.now() - started;
    if (!reply || typeof reply !== 'object' || typeof reply.header !== 'object' || reply.header === null) {
      return { ok: false, error: { code: 'PROTOCOL', message: `job ${task.service} returned ${reply === null ? 'null' : typeof reply}; expected {header, frames?}` } };
    }
    const frames = reply.frames ?? [];
    for (let i = 0; i < frames.length; i++) {
      if (!(frames[i] instanceof Uint8Array)) {
        return { ok: false, error: { code: 'PROTOCOL', message: `job ${task.service} returned frames[${i}] that is not a Uint8Array (use toFrame(typedArray))` } };
      }
    }
    return { ok: true, header: reply.header, frames, runMs };
  } catch (err) {
    return { ok: false, error: errorOf(err) };
  }
}

/** The Piscina task function. */
export default async function poolThread(task: PoolTask): Promise<PoolOutcome> {
  try {
    handlers ??= loadHandlers(workerData as PoolThreadData);
    const table = await handlers;
    // The empty service is the start-up probe: plugins are loaded, nothing runs.
    if (task.service === '') return { ok: true, header: { jobs: [...table.keys()] }, frames: [] };
    const outcome = await runTask(table, task);
    if (!outcome.ok) return outcome;
    const frames = outcome.frames.map(detachable);
    return movable<PoolOutcome>({ ok: true, header: outcome.header, frames, ...(outcome.runMs !== undefined ? { runMs: outcome.runMs } : {}) }, [...new Set(frames.map((f) => f.buffer as ArrayBuffer))]);
  } catch (err) {
    handlers = undefined;
    return { ok: false, error: errorOf(err) };
  }
}
