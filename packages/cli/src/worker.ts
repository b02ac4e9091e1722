/**
 * The Piscina worker of `optkit reproduce`: loads the plugin that registered an experiment (by the
 * same specifier the main thread used), looks the experiment up by id, runs it and returns the
 * normalised result. Progress goes back over the MessagePort passed in the task. Errors are returned
 * as data rather than thrown, so their code and message survive the thread boundary unchanged.
 */
import type { MessagePort } from 'node:worker_threads';
import { OptkitError, Registry, loadPlugin, type ExperimentEntry, type Plot, type Table } from '@optkit/core';
import { loadedTfBackend } from './machine.js';
import { normalizeExperimentResult, type ClaimRecord } from './results.js';

/** What the main thread sends for one experiment. */
export interface ExperimentTask {
  /** The specifier that loaded the experiment's plugin (package name or absolute path). */
  specifier: string;
  id: string;
  quick: boolean;
  seed: number;
  /** Receives {@link PortMessage}s; transferred with the task. */
  port?: MessagePort;
}

export interface ProgressMessage {
  fraction: number;
  message?: string;
}

/** What a worker posts on the task's port: once `start` when the experiment begins, then progress. */
export type PortMessage = { kind: 'start' } | ({ kind: 'progress' } & ProgressMessage);

export type ExperimentOutcome =
  | { ok: true; seconds: number; claims: ClaimRecord[]; plots: Plot[]; tables: Table[]; notes: string[]; tfBackend?: string }
  | { ok: false; seconds: number; error: string; stack?: string; tfBackend?: string };

/** `<code>: <message>` for an OptkitError, the message otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof OptkitError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Runs one experiment in the current thread, timing it, catching what it throws and validating what
 * it returns. Never throws.
 */
export async function runExperimentEntry(
  entry: ExperimentEntry,
  options: { quick: boolean; seed: number; onProgress?: (p: ProgressMessage) => void },
): Promise<ExperimentOutcome> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  try {
    const raw = await entry.run({
      quick: options.quick,
      seed: options.seed,
      progress: (fraction, message) => {
        if (!options.onProgress) return;
        const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
        options.onProgress(message === undefined ? { fraction: f } : { fraction: f, message: String(message) });
      },
    });
    const elapsed = seconds();
    const result = normalizeExperimentResult(raw);
    const tf = loadedTfBackend();
    return { ok: true, seconds: elapsed, ...result, ...(tf ? { tfBackend: tf } : {}) };
  } catch (err) {
    const tf = loadedTfBackend();
    return {
      ok: false,
      seconds: seconds(),
      error: describeError(err),
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
      ...(tf ? { tfBackend: tf } : {}),
    };
  }
}

/** This thread's registry: plugins are imported once per thread and reused across tasks. */
const registry = new Registry();

/** The Piscina task function. */
export default async function runExperimentTask(task: ExperimentTask): Promise<ExperimentOutcome> {
  const { port } = task;
  try {
    let entry: ExperimentEntry;
    try {
      await loadPlugin(task.specifier, { registry, importer: (s) => import(s) });
      entry = registry.get('experiments', task.id).entry;
    } catch (err) {
      return { ok: false, seconds: 0, error: `worker could not load ${task.specifier}: ${describeError(err)}` };
    }
    port?.postMessage({ kind: 'start' } satisfies PortMessage);
    return await runExperimentEntry(entry, {
      quick: task.quick,
      seed: task.seed,
      onProgress: port ? (p) => port.postMessage({ kind: 'progress', ...p } satisfies PortMessage) : undefined,
    });
  } finally {
    port?.close();
  }
}
