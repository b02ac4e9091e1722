/**
 * `optkit bench`: runs the registered benchmarks one after another in this process (a pool or a
 * second benchmark running beside it would disturb the timings) and prints, per measured row,
 * optkit's figure, the reference's, their speed ratio and the target. Benchmarks report; they do not
 * gate: a missed target still exits 0.
 */
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { OptkitError, type BenchRow, type BenchmarkEntry, type Registered } from '@optkit/core';
import { formatSeconds, formatValue, textTable, truncate } from '../format.js';
import { machineInfo } from '../machine.js';
import { loadPlugins, type LoadedPlugins } from '../plugins.js';
import { versionsOf } from '../reproduce.js';
import { describeError } from '../worker.js';
import { err, out, parseCount, pluginsFor, setExitCode, type GlobalOptions } from './shared.js';

export interface BenchRecord {
  id: string;
  title: string;
  plugin: string;
  seconds: number;
  rows: BenchRow[];
  notes: string[];
  /** Lines the benchmark logged through `ctx.log`. */
  log: string[];
  /** Set when the benchmark threw. */
  error?: string;
}

export type BenchEvent =
  | { type: 'start'; id: string; title: string; index: number; total: number }
  | { type: 'progress'; id: string; fraction: number; message?: string }
  | { type: 'log'; id: string; line: string }
  | { type: 'done'; record: BenchRecord };

export interface BenchOptions {
  plugins?: LoadedPlugins;
  /** Benchmark ids (default: all registered). */
  ids?: readonly string[];
  quick?: boolean;
  seed?: number;
  onEvent?: (event: BenchEvent) => void;
}

/**
 * The speed ratio of a row: its own `ratio`, else computed from the reference (optkit speed over
 * reference speed, so > 1 means optkit is faster). Undefined without a reference.
 */
export function rowRatio(row: BenchRow): number | undefined {
  if (typeof row.ratio === 'number') return row.ratio;
  if (!row.reference || !(row.value > 0) || !(row.reference.value > 0)) return undefined;
  return row.higherIsBetter ? row.value / row.reference.value : row.reference.value / row.value;
}

function selectBenchmarks(plugins: LoadedPlugins, ids: readonly string[]): Registered<BenchmarkEntry>[] {
  const all = plugins.registry.list('benchmarks');
  if (ids.length === 0) return all;
  const unknown = ids.filter((id) => !all.some((b) => b.entry.id === id));
  if (unknown.length) {
    const known = all.map((b) => b.entry.id).sort();
    throw new OptkitError('NOT_FOUND', `unknown benchmark${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; registered: ${known.length ? known.join(', ') : '(none)'}`, 'ids');
  }
  return [...new Set(ids)].map((id) => all.find((b) => b.entry.id === id)!);
}

/** Runs the selected benchmarks sequentially in this thread. Throws NOT_FOUND for unknown ids only. */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchRecord[]> {
  const plugins = options.plugins ?? (await loadPlugins());
  const selected = selectBenchmarks(plugins, options.ids ?? []);
  const emit = options.onEvent ?? (() => {});
  const records: BenchRecord[] = [];
  for (let i = 0; i < selected.length; i++) {
    const { entry, plugin } = selected[i];
    const log: string[] = [];
    emit({ type: 'start', id: entry.id, title: entry.title, index: i, total: selected.length });
    const start = performance.now();
    let rec: BenchRecord;
    try {
      const result = await entry.run({
        quick: options.quick ?? false,
        seed: options.seed ?? 0,
        progress: (fraction, message) => emit({ type: 'progress', id: entry.id, fraction, ...(message !== undefined ? { message } : {}) }),
        log: (line) => {
          log.push(String(line));
          emit({ type: 'log', id: entry.id, line: String(line) });
        },
      });
      rec = {
        id: entry.id,
        title: entry.title,
        plugin,
        seconds: (performance.now() - start) / 1000,
        rows: Array.isArray(result?.rows) ? result.rows : [],
        notes: Array.isArray(result?.notes) ? result.notes.map(String) : [],
        log,
      };
    } catch (e) {
      rec = { id: entry.id, title: entry.title, plugin, seconds: (performance.now() - start) / 1000, rows: [], notes: [], log, error: describeError(e) };
    }
    records.push(rec);
    emit({ type: 'done', record: rec });
  }
  return records;
}

/** One benchmark's rows as a text table. */
export function formatBenchRows(rows: readonly BenchRow[]): string {
  return textTable(
    ['name', 'optkit', 'reference', 'ratio', 'target', 'pass'],
    rows.map((r) => {
      const ratio = rowRatio(r);
      return [
        r.name,
        `${formatValue(r.value)} ${r.unit}`,
        r.reference ? `${truncate(r.reference.name, 50)}: ${formatValue(r.reference.value)} ${r.unit}` : '-',
        ratio === undefined ? '-' : `${formatValue(ratio, 3)}x`,
        r.target ?? '-',
        r.pass === undefined ? '-' : r.pass ? 'yes' : 'no',
      ];
    }),
    ['left', 'right', 'left', 'right', 'left', 'left'],
  );
}

function printRecord(r: BenchRecord): void {
  out();
  out(`${r.id} — ${r.title} (${r.plugin}, ${formatSeconds(r.seconds)} s)`);
  if (r.error !== undefined) out(`  ERROR: ${r.error}`);
  if (r.rows.length) out(formatBenchRows(r.rows));
  else if (r.error === undefined) out('  (no rows)');
  for (const n of r.notes) out(`  note: ${n}`);
}

interface BenchCommandOptions {
  quick?: boolean;
  json?: string;
  seed: number;
}

export async function benchCommand(ids: string[], opts: BenchCommandOptions, globals: GlobalOptions): Promise<number> {
  const plugins = await pluginsFor(globals);
  const tty = process.stdout.isTTY === true;
  // One MultiBar per benchmark: unlike SingleBar it can print log lines above the bar.
  let bars: { multi: cliProgress.MultiBar; bar: cliProgress.SingleBar } | undefined;
  const stopBar = () => {
    if (!bars) return;
    bars.multi.update(); // flushes pending log lines, which stop() alone would drop
    bars.multi.stop();
    bars = undefined;
  };
  const records = await runBenchmarks({
    plugins,
    ids,
    quick: opts.quick ?? false,
    seed: opts.seed,
    onEvent: (e) => {
      switch (e.type) {
        case 'start':
          if (tty) {
            const multi = new cliProgress.MultiBar(
              { format: ' {bar} {percentage}% | {id} {msg}', barsize: 24, clearOnComplete: true, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
            bars = { multi, bar: multi.create(100, 0, { id: e.id, msg: '' }) };
          } else {
            out(`[${e.index + 1}/${e.total}] ${e.id}: ${e.title}`);
          }
          break;
        case 'progress':
          bars?.bar.update(Math.round(Math.min(1, Math.max(0, e.fraction)) * 100), { id: e.id, msg: e.message ? truncate(e.message, 40) : '' });
          break;
        case 'log':
          if (bars) bars.multi.log(`  ${e.line}\n`);
          else out(`  ${e.line}`);
          break;
        case 'done':
          stopBar();
          printRecord(e.record);
          break;
      }
    },
  });
  stopBar();
  if (records.length === 0) out('No benchmarks are registered.');
  if (opts.json) {
    const doc = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: versionsOf(plugins),
      options: { ids: records.map((r) => r.id), quick: opts.quick ?? false, seed: opts.seed },
      benchmarks: records.map((r) => ({ ...r, rows: r.rows.map((row) => ({ ...row, ratio: rowRatio(row) })) })),
    };
    await writeFile(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
    out(`wrote ${opts.json}`);
  }
  const failed = records.filter((r) => r.error !== undefined);
  if (failed.length) {
    err(`optkit: ${failed.length} benchmark${failed.length === 1 ? '' : 's'} threw: ${failed.map((f) => f.id).join(', ')}`);
    return 1;
  }
  return 0;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure speed against reference tools (numpy, scipy, POT where installed) and print ratios')
    .argument('[ids...]', 'benchmark ids to run (default: all)')
    .option('--quick', 'smaller sizes, for a fast check')
    .option('--seed <n>', 'base seed', parseCount('--seed'), 0)
    .option('--json <file>', 'also write the results as JSON')
    .addHelpText('after', '\nBenchmarks run one after another in the main process. A missed target is reported, not an error (exit 0).')
    .action((ids: string[], opts: BenchCommandOptions, cmd: Command) => setExitCode(benchCommand(ids, opts, cmd.optsWithGlobals<GlobalOptions>())));
}
