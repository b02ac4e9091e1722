/**
 * Running experiments: the engine behind `optkit reproduce`, usable from code.
 *
 * Experiments run in a Piscina thread pool (one task per experiment; each worker imports the plugin
 * that registered the experiment by the same specifier) so that several run at once and a crash in
 * one cannot take the others down. Progress travels back over a MessagePort per task.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { OptkitError, type ExperimentEntry, type Registered } from '@optkit/core';
import { cliVersion, loadedTfBackend, machineInfo, packageVersion } from './machine.js';
import { loadPlugins, type LoadedPlugins } from './plugins.js';
import { writeReport } from './report.js';
import { summarize, type ExperimentRecord, type ReproduceReport } from './results.js';
import { runExperimentEntry, type ExperimentOutcome, type ExperimentTask, type PortMessage } from './worker.js';

export type ReproduceEvent =
  | { type: 'start'; ids: string[]; threads: number }
  | { type: 'notice'; message: string }
  | { type: 'experiment-start'; id: string }
  | { type: 'progress'; id: string; fraction: number; message?: string }
  | { type: 'experiment-done'; record: ExperimentRecord; done: number; total: number };

export interface ReproduceOptions {
  /** Loaded plugins (default: `loadPlugins()`, the first-party packages plus `OPTKIT_PLUGINS`). */
  plugins?: LoadedPlugins;
  /** Experiment ids to run (default: all registered, in registration order). */
  ids?: readonly string[];
  /** Smaller problems for a fast check (default false). */
  quick?: boolean;
  /** Base seed handed to every experiment (default 0). */
  seed?: number;
  /**
   * Worker threads (default: the number of cores, at most one per experiment). 0 runs the
   * experiments one after another in this thread, without a pool.
   */
  threads?: number;
  /** Folder to write `results.json` and `index.html` to (default: write nothing). */
  out?: string;
  /** Write `index.html` too (default true; only with `out`). */
  html?: boolean;
  /** Progress and completion events, for a terminal display. */
  onEvent?: (event: ReproduceEvent) => void;
}

export interface ReproduceRun {
  report: ReproduceReport;
  /** Files written (empty without `out`). */
  files: string[];
}

/** The registered experiments named by `ids` (all when empty); NOT_FOUND listing the known ids otherwise. */
export function selectExperiments(plugins: LoadedPlugins, ids: readonly string[] = []): Registered<ExperimentEntry>[] {
  const all = plugins.registry.list('experiments');
  if (ids.length === 0) return all;
  const unknown = ids.filter((id) => !all.some((e) => e.entry.id === id));
  if (unknown.length > 0) {
    const known = all.map((e) => e.entry.id).sort();
    throw new OptkitError(
      'NOT_FOUND',
      `unknown experiment${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; registered: ${known.length ? known.join(', ') : '(none)'}`,
      'ids',
    );
  }
  const unique = [...new Set(ids)];
  return unique.map((id) => all.find((e) => e.entry.id === id)!);
}

/** The compiled worker beside this module; absent when running from TypeScript sources. */
function workerFile(): string | undefined {
  const path = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** Versions of the CLI and of every loaded plugin. */
export function versionsOf(plugins: LoadedPlugins): Record<string, string> {
  const versions: Record<string, string> = { '@optkit/cli': cliVersion() };
  for (const { plugin, specifier } of plugins.loaded) {
    versions[plugin.name] = plugin.version ?? packageVersion(plugin.name) ?? (specifier === plugin.name ? 'unknown' : `from ${specifier}`);
  }
  return versions;
}

function record(reg: Registered<ExperimentEntry>, outcome: ExperimentOutcome): ExperimentRecord {
  const e = reg.entry;
  const base = { id: e.id, plugin: reg.plugin, card: e.card, title: e.title, paper: e.paper, seconds: outcome.seconds };
  if (!outcome.ok) return { ...base, error: outcome.error, ...(outcome.stack ? { stack: outcome.stack } : {}), claims: [], plots: [], tables: [], notes: [] };
  return { ...base, claims: outcome.claims, plots: outcome.plots, tables: outcome.tables, notes: outcome.notes };
}

/**
 * Runs the selected experiments and, with `out`, writes the report. Never throws for a failing or
 * throwing experiment (that is recorded); throws NOT_FOUND for unknown ids.
 */
export async function reproduce(options: ReproduceOptions = {}): Promise<ReproduceRun> {
  const plugins = options.plugins ?? (await loadPlugins());
  const selected = selectExperiments(plugins, options.ids ?? []);
  const quick = options.quick ?? false;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new OptkitError('INVALID_OPTION', `seed is ${seed}; expected an integer`, 'seed');
  const requested = options.threads ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 0) {
    throw new OptkitError('INVALID_OPTION', `threads is ${requested}; expected an integer >= 0`, 'threads');
  }
  const emit = options.onEvent ?? (() => {});
  const date = new Date().toISOString();
  const machine = machineInfo();
  const file = requested > 0 ? workerFile() : undefined;
  if (requested > 0 && !file) emit({ type: 'notice', message: 'worker.js not found beside this module (running from sources?); running experiments in this thread' });
  const threads = file && selected.length > 0 ? Math.min(requested, selected.length) : 0;
  emit({ type: 'start', ids: selected.map((s) => s.entry.id), threads });

  const records: ExperimentRecord[] = new Array(selected.length);
  const tfBackends = new Set<string>();
  let done = 0;
  const finish = (i: number, outcome: ExperimentOutcome) => {
    if (outcome.tfBackend) tfBackends.add(outcome.tfBackend);
    records[i] = record(selected[i], outcome);
    done++;
    emit({ type: 'experiment-done', record: records[i], done, total: selected.length });
  };

  if (threads === 0) {
    for (let i = 0; i < selected.length; i++) {
      const id = selected[i].entry.id;
      emit({ type: 'experiment-start', id });
      const outcome = await runExperimentEntry(selected[i].entry, { quick, seed, onProgress: (p) => emit({ type: 'progress', id, ...p }) });
      finish(i, outcome);
    }
    const tf = loadedTfBackend();
    if (tf) tfBackends.add(tf);
  } else {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: file!, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
    try {
      await Promise.all(
        selected.map(async (reg, i) => {
          const id = reg.entry.id;
          const specifier = plugins.specifierOf.get(reg.plugin);
          if (!specifier) {
            finish(i, { ok: false, seconds: 0, error: `no specifier known for plugin ${reg.plugin}` });
            return;
          }
          const { port1, port2 } = new MessageChannel();
          port1.on('message', (m: PortMessage) => {
            if (m.kind === 'start') emit({ type: 'experiment-start', id });
            else emit({ type: 'progress', id, fraction: m.fraction, ...(m.message !== undefined ? { message: m.message } : {}) });
          });
          const task: ExperimentTask = { specifier, id, quick, seed, port: port2 };
          let outcome: ExperimentOutcome;
          try {
            outcome = (await pool.run(task, { transferList: [port2] })) as ExperimentOutcome;
          } catch (err) {
            // The worker itself died (e.g. out of memory); the experiment is reported as failed.
            outcome = { ok: false, seconds: 0, error: `worker failed: ${err instanceof Error ? err.message : String(err)}` };
          } finally {
            port1.close();
          }
          finish(i, outcome);
        }),
      );
    } finally {
      await pool.destroy();
    }
  }

  const report: ReproduceReport = {
    date,
    machine: tfBackends.size > 0 ? { ...machine, tfBackend: [...tfBackends].join(', ') } : machine,
    versions: versionsOf(plugins),
    options: { ids: selected.map((s) => s.entry.id), quick, seed, threads },
    experiments: records,
    summary: summarize(records),
  };
  const files = options.out ? await writeReport(report, options.out, { html: options.html }) : [];
  return { report, files };
}
