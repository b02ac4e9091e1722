/** `optkit list`: every registered method, experiment, benchmark and job, with its paper and package. */
import type { Command } from 'commander';
import { textTable, truncate } from '../format.js';
import type { LoadedPlugins } from '../plugins.js';
import { out, pluginsFor, type GlobalOptions } from './shared.js';

export interface ListedEntry {
  id: string;
  /** Package (plugin name) that registered it. */
  package: string;
  /** Paper title, when the entry names one. */
  paper?: string;
  /** Summary (methods, jobs) or title (experiments, benchmarks). */
  description?: string;
  /** Methods: whether `optkit run` can run it. */
  runnable?: boolean;
  /** Experiments: method card slug. */
  card?: string;
}

export interface Listing {
  methods: ListedEntry[];
  experiments: ListedEntry[];
  benchmarks: ListedEntry[];
  jobs: ListedEntry[];
}

/** Everything registered, by kind, in registration order. */
export function listEntries(plugins: LoadedPlugins): Listing {
  const r = plugins.registry;
  return {
    methods: r.list('methods').map(({ plugin, entry }) => ({
      id: entry.id,
      package: plugin,
      ...(entry.paper ? { paper: entry.paper.title } : {}),
      description: entry.summary,
      runnable: typeof entry.run === 'function',
    })),
    experiments: r.list('experiments').map(({ plugin, entry }) => ({
      id: entry.id,
      package: plugin,
      paper: entry.paper.title,
      description: entry.title,
      card: entry.card,
    })),
    benchmarks: r.list('benchmarks').map(({ plugin, entry }) => ({ id: entry.id, package: plugin, description: entry.title })),
    jobs: r.list('jobs').map(({ plugin, entry }) => ({ id: entry.id, package: plugin, ...(entry.summary ? { description: entry.summary } : {}) })),
  };
}

/** The listing as text: one table per kind. */
export function formatListing(listing: Listing): string {
  const sections: string[] = [];
  const section = (title: string, entries: ListedEntry[], withPaper: boolean) => {
    if (entries.length === 0) {
      sections.push(`${title}: none registered`);
      return;
    }
    const header = withPaper ? ['id', 'package', 'paper', 'description'] : ['id', 'package', 'description'];
    const rows = entries.map((e) => {
      const desc = truncate((e.description ?? '') + (e.runnable === false ? ' (no run: not usable with optkit run)' : ''), 70);
      return withPaper ? [e.id, e.package, truncate(e.paper ?? '-', 60), desc] : [e.id, e.package, desc];
    });
    sections.push(`${title} (${entries.length})\n${textTable(header, rows)}`);
  };
  section('Methods', listing.methods, true);
  section('Experiments', listing.experiments, true);
  section('Benchmarks', listing.benchmarks, false);
  section('Jobs', listing.jobs, false);
  return sections.join('\n\n');
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list every registered method, experiment, benchmark and cluster job')
    .option('--json', 'print JSON instead of tables')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const plugins = await pluginsFor(cmd.optsWithGlobals<GlobalOptions>());
      const listing = listEntries(plugins);
      if (opts.json) out(JSON.stringify(listing, null, 2));
      else out(formatListing(listing));
    });
}
