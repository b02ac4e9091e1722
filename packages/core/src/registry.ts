/**
 * The plugin registry: how packages (first- or third-party) make methods, experiments, benchmarks
 * and cluster jobs known to the `optkit` command and the cluster.
 *
 * A plugin package exports `plugin` (or a default export) built with {@link definePlugin}.
 * {@link loadPlugin} imports a package by name and registers it, so a third-party package is found
 * exactly the way first-party ones are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join as pathJoin, resolve as pathResolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptkitError } from './errors.js';

/** The paper a method or experiment implements. */
export interface PaperRef {
  title: string;
  authors?: string;
  year?: number;
  /** arXiv id or URL. */
  arxiv?: string;
  venue?: string;
}

/** Kinds of user data `optkit run` can load and hand to a method. */
export type DataKind = 'mtx' | 'libsvm' | 'csv' | 'json';

/** Data loaded by `optkit run` from the config's `data` entries. */
export interface LoadedData {
  kind: DataKind;
  path: string;
  /** CsrMatrix for mtx, `{labels, features}` for LIBSVM, DenseMatrix for CSV, parsed value for JSON. */
  value: unknown;
}

export interface MethodEntry {
  /** Unique id, kebab-case (e.g. `lion`, `gcrodr`). */
  id: string;
  /** One line: what it does. */
  summary: string;
  paper?: PaperRef;
  /** The method card slug in shared/methods (e.g. `lion`). */
  card?: string;
  /**
   * Runs the method on user data for `optkit run`: `data` maps the config's data names to what was
   * loaded, `options` is the config's `options` object, validated by the method itself. Returns a
   * JSON-serialisable result (typed arrays are written as arrays).
   */
  run?: (input: { data: Record<string, LoadedData>; options: Record<string, unknown> }) => Promise<unknown> | unknown;
}

/** One claim of a paper, checked by an experiment. */
export interface Claim {
  /** The claim in words, e.g. "Lion's best lr is 3-10x smaller than AdamW's". */
  claim: string;
  /** What was measured (a number, or a short string such as "4.2x"). */
  measured: number | string;
  /** What the claim expects, e.g. "<= 0.65" or "in [3, 10]". */
  expected: string;
  pass: boolean;
  /** false marks a report-only claim: shown, never fails the run. Default true. */
  gated: boolean;
}

/** A line or scatter plot: named series of (x, y) points, rendered with Vega-Lite by the CLI. */
export interface SeriesPlot {
  kind: 'series';
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** `line` (default) or `point`. */
  mark?: 'line' | 'point';
  series: { name: string; x: ArrayLike<number>; y: ArrayLike<number> }[];
}

/** A raw Vega-Lite specification, for plots the series form cannot express. */
export interface VegaLitePlot {
  kind: 'vega-lite';
  title: string;
  spec: Record<string, unknown>;
}

export type Plot = SeriesPlot | VegaLitePlot;

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ExperimentContext {
  /** Smaller sizes and fewer repetitions, for a fast check (CLI `--quick`). */
  quick: boolean;
  /** Base seed; experiments derive every random choice from it. */
  seed: number;
  signal?: AbortSignal;
  /** Reports progress in [0, 1] with an optional short message. */
  progress: (fraction: number, message?: string) => void;
}

export interface ExperimentResult {
  claims: Claim[];
  plots?: Plot[];
  tables?: Table[];
  /** Free-form remarks shown in the report (deviations, what was not verified). */
  notes?: string[];
}

export interface ExperimentEntry {
  /** Unique id, kebab-case, e.g. `lion-vs-adamw`. */
  id: string;
  /** Method card slug (shared/methods/<card>.md). */
  card: string;
  title: string;
  paper: PaperRef;
  /** Runs the experiment. It must be safe to call in a worker thread. */
  run: (ctx: ExperimentContext) => Promise<ExperimentResult> | ExperimentResult;
}

/** One measured row of a benchmark: optkit against a reference, as a speed ratio. */
export interface BenchRow {
  /** What was measured, e.g. "gemm n=512". */
  name: string;
  /** optkit's figure. */
  value: number;
  unit: string;
  /** true when larger `value` is better (GFLOP/s), false when smaller is (ms). */
  higherIsBetter: boolean;
  reference?: { name: string; value: number };
  /** optkit speed / reference speed (1 = as fast, 0.5 = half as fast). */
  ratio?: number;
  /** The goal for `ratio`, in words, and whether it was met. */
  target?: string;
  pass?: boolean;
}

export interface BenchContext {
  quick: boolean;
  seed: number;
  signal?: AbortSignal;
  progress: (fraction: number, message?: string) => void;
  /** Logs a line (e.g. why a Python reference was skipped). */
  log: (line: string) => void;
}

export interface BenchResult {
  rows: BenchRow[];
  notes?: string[];
}

export interface BenchmarkEntry {
  id: string;
  title: string;
  run: (ctx: BenchContext) => Promise<BenchResult> | BenchResult;
}

/** A cluster task handler: receives a MessagePack-decoded header and raw binary frames. */
export interface JobEntry {
  /** Service name on the broker, e.g. `bcd.block`. */
  id: string;
  summary?: string;
  handler: (
    header: Record<string, unknown>,
    frames: Uint8Array[],
  ) => Promise<{ header: Record<string, unknown>; frames?: Uint8Array[] }> | { header: Record<string, unknown>; frames?: Uint8Array[] };
}

/**
 * A distributed program (`optkit cluster run <id> --config file.json`): a coordinator loop that drives
 * its plugin's jobs through a {@link JobExecutor} (the cluster client, or {@link localExecutor} on one
 * process). Its result must not depend on which executor ran it.
 */
export interface DriverEntry {
  /** Program name, e.g. `bcd`, `moe`. */
  id: string;
  summary?: string;
  /** Validates the parsed config file and runs the program. Progress is reported through `onProgress`. */
  run: (
    config: unknown,
    executor: import('./jobs.js').JobExecutor,
    options: { signal?: AbortSignal; onProgress?: (p: DriverProgress) => void },
  ) => Promise<unknown>;
}

/** One progress report of a driver: its iteration and named figures (objective, load imbalance, ...). */
export interface DriverProgress {
  iteration: number;
  total?: number;
  /** Figures to show on the progress line, e.g. `{ objective: 0.31 }` or `{ maxVio: 0.12 }`. */
  values: Record<string, number>;
}

export interface PluginSpec {
  /** The package name (e.g. `@optkit/optim`), used to load it again in worker threads. */
  name: string;
  version?: string;
  methods?: MethodEntry[];
  experiments?: ExperimentEntry[];
  benchmarks?: BenchmarkEntry[];
  jobs?: JobEntry[];
  drivers?: DriverEntry[];
}

export interface Plugin extends Required<Omit<PluginSpec, 'version'>> {
  version?: string;
  readonly __optkitPlugin: true;
}

const ID = /^[a-z0-9][a-z0-9._-]*$/;

function checkIds(kind: string, plugin: string, entries: { id: string }[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.id !== 'string' || !ID.test(e.id)) {
      throw new OptkitError('INVALID_ARGUMENT', `definePlugin(${plugin}): ${kind} id ${JSON.stringify(e.id)} must be kebab-case (a-z, 0-9, '.', '_', '-')`, `${kind}.id`);
    }
    if (seen.has(e.id)) {
      throw new OptkitError('DUPLICATE', `definePlugin(${plugin}): ${kind} id ${JSON.stringify(e.id)} appears twice`, `${kind}.id`);
    }
    seen.add(e.id);
  }
}

/** Validates a plugin description and returns it in normalised form. */
export function definePlugin(spec: PluginSpec): Plugin {
  if (!spec || typeof spec.name !== 'string' || spec.name.length === 0) {
    throw new OptkitError('INVALID_ARGUMENT', 'definePlugin: name must be a non-empty package name', 'name');
  }
  const plugin: Plugin = {
    name: spec.name,
    version: spec.version,
    methods: spec.methods ?? [],
    experiments: spec.experiments ?? [],
    benchmarks: spec.benchmarks ?? [],
    jobs: spec.jobs ?? [],
    drivers: spec.drivers ?? [],
    __optkitPlugin: true,
  };
  checkIds('method', spec.name, plugin.methods);
  checkIds('experiment', spec.name, plugin.experiments);
  checkIds('benchmark', spec.name, plugin.benchmarks);
  checkIds('job', spec.name, plugin.jobs);
  checkIds('driver', spec.name, plugin.drivers);
  for (const e of plugin.experiments) {
    if (typeof e.run !== 'function') {
      throw new OptkitError('INVALID_ARGUMENT', `definePlugin(${spec.name}): experiment ${e.id} has no run function`, 'experiment.run');
    }
  }
  return plugin;
}

function isPlugin(x: unknown): x is Plugin {
  return typeof x === 'object' && x !== null && (x as Plugin).__optkitPlugin === true;
}

type Kind = 'methods' | 'experiments' | 'benchmarks' | 'jobs' | 'drivers';
type EntryOf<K extends Kind> = Plugin[K][number];

/** Where an entry came from. */
export interface Registered<T> {
  plugin: string;
  entry: T;
}

/**
 * A set of registered plugins with lookup by id. Ids are unique across plugins per kind; a second
 * plugin claiming an id already taken is refused (DUPLICATE), so lookups are never ambiguous.
 */
export class Registry {
  private readonly plugins = new Map<string, Plugin>();
  private readonly index: { [K in Kind]: Map<string, Registered<EntryOf<K>>> } = {
    methods: new Map(),
    experiments: new Map(),
    benchmarks: new Map(),
    jobs: new Map(),
    drivers: new Map(),
  };

  /** Registers a plugin. Registering the same plugin object again is a no-op. */
  register(plugin: Plugin): void {
    if (!isPlugin(plugin)) {
      throw new OptkitError('INVALID_ARGUMENT', 'Registry.register: expected a plugin made by definePlugin', 'plugin');
    }
    const existing = this.plugins.get(plugin.name);
    if (existing === plugin) return;
    if (existing) {
      throw new OptkitError('DUPLICATE', `Registry.register: a different plugin named ${plugin.name} is already registered`, 'plugin.name');
    }
    for (const kind of Object.keys(this.index) as Kind[]) {
      // Plugins built by an older definePlugin lack newer kinds.
      for (const e of plugin[kind] ?? []) {
        const prev = this.index[kind].get(e.id);
        if (prev) {
          throw new OptkitError('DUPLICATE', `Registry.register: ${kind.slice(0, -1)} id ${e.id} of ${plugin.name} is already registered by ${prev.plugin}`, 'plugin');
        }
      }
    }
    this.plugins.set(plugin.name, plugin);
    for (const kind of Object.keys(this.index) as Kind[]) {
      for (const e of plugin[kind] ?? []) (this.index[kind] as Map<string, Registered<unknown>>).set(e.id, { plugin: plugin.name, entry: e });
    }
  }

  has(pluginName: string): boolean {
    return this.plugins.has(pluginName);
  }

  listPlugins(): Plugin[] {
    return [...this.plugins.values()];
  }

  list<K extends Kind>(kind: K): Registered<EntryOf<K>>[] {
    return [...this.index[kind].values()] as Registered<EntryOf<K>>[];
  }

  /** Looks an entry up by id; throws NOT_FOUND listing the known ids. */
  get<K extends Kind>(kind: K, id: string): Registered<EntryOf<K>> {
    const hit = this.index[kind].get(id) as Registered<EntryOf<K>> | undefined;
    if (!hit) {
      const known = [...this.index[kind].keys()].sort();
      throw new OptkitError(
        'NOT_FOUND',
        `unknown ${kind.slice(0, -1)} ${JSON.stringify(id)}; registered: ${known.length ? known.join(', ') : '(none)'}`,
        'id',
      );
    }
    return hit;
  }
}

/** The process-wide registry used by the CLI and the cluster. */
export const registry = new Registry();

export interface LoadPluginOptions {
  /** Registry to register into (default: the global {@link registry}). */
  registry?: Registry;
  /**
   * The caller's own `import`, e.g. `(s) => import(s)`: resolves the package the way the caller's
   * module would. Tried first; then the package is looked up in node_modules folders from `cwd` up.
   */
  importer?: (specifier: string) => Promise<unknown>;
  /** Where the node_modules search starts (default `process.cwd()`). */
  cwd?: string;
}

/** The ESM entry file of `pkgDir`'s package.json (exports "." import/default, then module, then main). */
function entryOf(pkgDir: string, pkg: Record<string, unknown>): string {
  const exp = pkg.exports as unknown;
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      return pick(o.import) ?? pick(o.default) ?? pick(o.node);
    }
    return undefined;
  };
  const rel = pick(exp) ?? (pkg.module as string | undefined) ?? (pkg.main as string | undefined) ?? 'index.js';
  return pathJoin(pkgDir, rel);
}

async function importFromNodeModules(name: string, cwd: string): Promise<unknown> {
  let dir = pathResolve(cwd);
  for (;;) {
    const pkgDir = pathJoin(dir, 'node_modules', name);
    const pkgJson = pathJoin(pkgDir, 'package.json');
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as Record<string, unknown>;
      return import(pathToFileURL(entryOf(pkgDir, pkg)).href);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no node_modules/${name} from ${cwd} upwards`);
    dir = parent;
  }
}

/**
 * Imports a plugin by package name (or by a path to a module file) and registers it. A third-party
 * package installed next to optkit is found the same way as a first-party one. The module must export
 * `plugin` or a default export made by {@link definePlugin}.
 */
export async function loadPlugin(specifier: string, options: LoadPluginOptions = {}): Promise<Plugin> {
  const into = options.registry ?? registry;
  const cwd = options.cwd ?? process.cwd();
  const isPath = specifier.startsWith('.') || specifier.startsWith('/') || /^[A-Za-z]:[\\/]/.test(specifier);
  const errors: string[] = [];
  let mod: Record<string, unknown> | undefined;
  const attempts: (() => Promise<unknown>)[] = isPath
    ? [() => import(pathToFileURL(pathResolve(cwd, specifier)).href)]
    : [
        ...(options.importer ? [() => options.importer!(specifier)] : []),
        () => import(specifier),
        () => importFromNodeModules(specifier, cwd),
      ];
  for (const attempt of attempts) {
    try {
      mod = (await attempt()) as Record<string, unknown>;
      break;
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (!mod) {
    throw new OptkitError('NOT_FOUND', `loadPlugin: cannot import ${specifier}: ${errors.join('; ')}`, 'specifier');
  }
  const candidate = mod.plugin ?? mod.default;
  if (!isPlugin(candidate)) {
    throw new OptkitError('INVALID_ARGUMENT', `loadPlugin: ${specifier} exports no plugin (expected \`export const plugin = definePlugin(...)\` or a default export)`, 'specifier');
  }
  into.register(candidate);
  return candidate;
}
