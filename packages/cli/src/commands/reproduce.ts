/**
 * `optkit reproduce`: runs the registered experiments in a thread pool, shows progress, prints the
 * claims table and writes `<out>/results.json` and `<out>/index.html`.
 */
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { formatSeconds, formatValue, textTable, truncate } from '../format.js';
import { reproduce, type ReproduceEvent } from '../reproduce.js';
import { claimStatus, reproduceExitCode, type ExperimentRecord, type ReproduceReport } from '../results.js';
import { err, out, parseCount, pluginsFor, setExitCode, type GlobalOptions } from './shared.js';

export interface ReproduceCommandOptions {
  quick?: boolean;
  out: string;
  seed: number;
  threads?: number;
  html: boolean;
}

/** The terminal table: one row per claim (or per error), seconds on an experiment's first row. */
export function formatClaimsTable(experiments: readonly ExperimentRecord[]): string {
  const rows: string[][] = [];
  for (const e of experiments) {
    const secs = formatSeconds(e.seconds);
    if (e.error !== undefined) rows.push([e.id, truncate(`threw: ${e.error}`, 90), '', '', 'ERROR', secs]);
    else if (e.claims.length === 0) rows.push([e.id, '(no claims)', '', '', '-', secs]);
    e.claims.forEach((c, i) => {
      rows.push([e.id, truncate(c.claim, 70), formatValue(c.measured), truncate(c.expected, 30), claimStatus(c), i === 0 && e.error === undefined ? secs : '']);
    });
  }
  return textTable(['experiment', 'claim', 'measured', 'expected', 'result', 'seconds'], rows, ['left', 'left', 'right', 'left', 'left', 'right']);
}

/** One summary line for the end of a run. */
export function formatSummary(report: ReproduceReport): string {
  const s = report.summary;
  if (s.experiments === 0) return 'No experiments are registered: install optkit plugin packages or pass --plugin.';
  return (
    `${s.experiments} experiment${s.experiments === 1 ? '' : 's'}, ${s.claims} claim${s.claims === 1 ? '' : 's'}: ` +
    `${s.passed} passed, ${s.failed} failed, ${s.reportOnly} report-only` +
    (s.errors ? `; ${s.errors} experiment${s.errors === 1 ? '' : 's'} threw` : '') +
    (s.ok ? ' — OK' : ' — FAILED')
  );
}

function outcomeWord(r: ExperimentRecord): string {
  if (r.error !== undefined) return 'ERROR';
  if (r.claims.some((c) => c.gated && !c.pass)) return 'FAIL';
  return 'pass';
}

/** Progress display: bars on a terminal, one plain line per finished experiment otherwise. */
function progressDisplay(tty: boolean): { onEvent: (e: ReproduceEvent) => void; stop: () => void } {
  if (!tty) {
    return {
      onEvent: (e) => {
        if (e.type === 'notice') err(`optkit: ${e.message}`);
        else if (e.type === 'start' && e.ids.length > 0) out(`running ${e.ids.length} experiment${e.ids.length === 1 ? '' : 's'} on ${e.threads || 'no'} worker thread${e.threads === 1 ? '' : 's'}${e.threads ? '' : ' (in process)'}`);
        else if (e.type === 'experiment-done') out(`[${e.done}/${e.total}] ${e.record.id}: ${outcomeWord(e.record)} (${formatSeconds(e.record.seconds)} s)`);
      },
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: ' {bar} {percentage}% | {label} {msg}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let overall: cliProgress.SingleBar | undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const finished = new Set<string>();
  return {
    onEvent: (e) => {
      switch (e.type) {
        case 'notice':
          multi.log(`optkit: ${e.message}\n`);
          break;
        case 'start':
          if (e.ids.length > 0) overall = multi.create(e.ids.length, 0, { label: 'experiments', msg: '' });
          break;
        case 'experiment-start':
          if (!finished.has(e.id) && !bars.has(e.id)) bars.set(e.id, multi.create(100, 0, { label: e.id, msg: '' }));
          break;
        case 'progress': {
          if (finished.has(e.id)) break;
          const bar = bars.get(e.id);
          bar?.update(Math.round(e.fraction * 100), { label: e.id, msg: e.message ? truncate(e.message, 40) : '' });
          break;
        }
        case 'experiment-done': {
          finished.add(e.record.id);
          const bar = bars.get(e.record.id);
          if (bar) {
            multi.remove(bar);
            bars.delete(e.record.id);
          }
          multi.log(`${outcomeWord(e.record).padEnd(5)} ${e.record.id} (${formatSeconds(e.record.seconds)} s)\n`);
          overall?.update(e.done, { label: 'experiments', msg: `${e.done}/${e.total}` });
          break;
        }
      }
    },
    stop: () => {
      multi.update(); // flushes pending log lines, which stop() alone would drop
      multi.stop();
    },
  };
}

/** Runs the command; returns the exit code (0 ok, 1 a gated claim failed or an experiment threw). */
export async function reproduceCommand(ids: string[], opts: ReproduceCommandOptions, globals: GlobalOptions): Promise<number> {
  const plugins = await pluginsFor(globals);
  const display = progressDisplay(process.stdout.isTTY === true);
  let run;
  try {
    run = await reproduce({
      plugins,
      ids,
      quick: opts.quick ?? false,
      seed: opts.seed,
      threads: opts.threads ?? availableParallelism(),
      out: opts.out,
      html: opts.html,
      onEvent: display.onEvent,
    });
  } finally {
    display.stop();
  }
  const { report, files } = run;
  if (report.experiments.length > 0) {
    out();
    out(formatClaimsTable(report.experiments));
    out();
  }
  out(formatSummary(report));
  if (globals.verbose || process.env.OPTKIT_DEBUG === '1') {
    for (const e of report.experiments) if (e.stack) err(`\n${e.id} threw:\n${e.stack}`);
  }
  for (const f of files) {
    const rel = relative(process.cwd(), f);
    out(`wrote ${rel && !rel.startsWith('..') ? rel : f}`);
  }
  return reproduceExitCode(report);
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("run the registered experiments, check each paper's claims and write an HTML report")
    .argument('[ids...]', 'experiment ids to run (default: all)')
    .option('--quick', 'smaller problems and fewer repetitions, for a fast check')
    .option('--out <dir>', 'folder for results.json and index.html', 'reports')
    .option('--seed <n>', 'base seed for every experiment', parseCount('--seed'), 0)
    .option('--threads <n>', 'worker threads (default: number of cores; 0 runs in the main thread)', parseCount('--threads'))
    .option('--no-html', 'write results.json only')
    .addHelpText('after', '\nExit code: 0 when every gated claim passes, 1 when one fails or an experiment throws, 2 for unknown ids.')
    .action((ids: string[], opts: ReproduceCommandOptions, cmd: Command) => setExitCode(reproduceCommand(ids, opts, cmd.optsWithGlobals<GlobalOptions>())));
}
