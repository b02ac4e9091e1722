/**
 * `optkit doctor`: what this machine offers optkit — cores and memory, which first-party packages are
 * installed, which TensorFlow.js backend would be used and why faster ones were skipped, whether the
 * Python references (numpy, scipy, POT) can run, and whether ZeroMQ (with CURVE) is available.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { pythonHas } from '@optkit/core';
import { cliVersion, formatBytes, machineInfo, packageVersion, type MachineInfo } from '../machine.js';
import { FIRST_PARTY_PACKAGES, isPackageInstalled, loadPlugins, missingEntryFile } from '../plugins.js';
import { describeError } from '../worker.js';
import { out, setExitCode, type GlobalOptions } from './shared.js';

export type PythonModuleStatus = { ok: true; version: string; python: string } | { ok: false; reason: string };

export interface DoctorReport {
  cli: string;
  machine: MachineInfo;
  packages: {
    found: { name: string; version: string }[];
    missing: string[];
    /** Found but not built (their entry file is missing); skipped by the other commands. */
    unbuilt: { name: string; entry: string }[];
  };
  /** What the loaded plugins register, or why loading failed. */
  plugins: { loaded: { name: string; specifier: string; methods: number; experiments: number; benchmarks: number; jobs: number }[]; error?: string };
  tfjs:
    | { ok: true; backend: string; tfBackend: string; summary: string; tried: { name: string; ok: boolean; reason: string }[] }
    | { ok: false; error: string };
  /** The interpreter asked: `OPTKIT_PYTHON` or `python3`. */
  pythonInterpreter: string;
  python: Record<'numpy' | 'scipy' | 'ot', PythonModuleStatus>;
  zeromq: { installed: false; note: string } | { installed: true; version: string; curve?: boolean; error?: string };
}

/** Asks Python for one module; `pythonHas` prints "<python version> <module>=<version>". */
export function pythonModule(module: string): PythonModuleStatus {
  const r = pythonHas([module]);
  if (!r.ok) return { ok: false, reason: r.reason };
  const [python, ...mods] = r.version.split(' ');
  const version = mods.find((m) => m.startsWith(`${module}=`))?.slice(module.length + 1) ?? '?';
  return { ok: true, version, python };
}

function resolveFrom(base: string, specifier: string): string | undefined {
  try {
    return createRequire(base).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** The version in the nearest package.json above `file` that names `name`. */
function versionNear(file: string, name: string): string {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? '?';
    } catch {
      // no package.json here
    }
  }
  return '?';
}

async function zeromqStatus(cwd: string): Promise<DoctorReport['zeromq']> {
  const resolved = resolveFrom(import.meta.url, 'zeromq') ?? resolveFrom(join(cwd, 'noop.js'), 'zeromq');
  if (!resolved) return { installed: false, note: 'not installed (arrives with @optkit/cluster)' };
  const version = versionNear(resolved, 'zeromq');
  try {
    const zmq = (await import(pathToFileURL(resolved).href)) as { capability?: { curve?: boolean }; default?: { capability?: { curve?: boolean } } };
    const capability = zmq.capability ?? zmq.default?.capability;
    return { installed: true, version, curve: capability?.curve === true };
  } catch (e) {
    return { installed: true, version, error: `failed to load: ${describeError(e).split('\n')[0]}` };
  }
}

async function tfjsStatus(): Promise<DoctorReport['tfjs']> {
  try {
    // Imported here only: tfjs takes about half a second to load and no other command needs it.
    const { useBestBackend } = await import('@optkit/core/tf');
    const choice = await useBestBackend();
    return {
      ok: true,
      backend: choice.backend,
      tfBackend: choice.tfBackend,
      summary: choice.summary,
      tried: choice.tried.map((t) => ({ name: t.name, ok: t.ok, reason: t.reason })),
    };
  } catch (e) {
    return { ok: false, error: describeError(e).split('\n')[0] };
  }
}

/** Collects the doctor report. Never throws: every check reports its own failure. */
export async function doctor(globals: Partial<GlobalOptions> = {}, cwd = process.cwd()): Promise<DoctorReport> {
  const found: DoctorReport['packages']['found'] = [];
  const missing: string[] = [];
  const unbuilt: { name: string; entry: string }[] = [];
  for (const name of FIRST_PARTY_PACKAGES) {
    if (!isPackageInstalled(name, cwd)) {
      missing.push(name);
      continue;
    }
    found.push({ name, version: packageVersion(name) ?? '?' });
    const entry = missingEntryFile(name);
    if (entry) unbuilt.push({ name, entry });
  }
  let plugins: DoctorReport['plugins'];
  try {
    const loaded = await loadPlugins({ plugins: globals.plugin ?? [], firstParty: globals.defaultPlugins !== false, cwd });
    plugins = {
      loaded: loaded.loaded.map(({ plugin, specifier }) => ({
        name: plugin.name,
        specifier,
        methods: plugin.methods.length,
        experiments: plugin.experiments.length,
        benchmarks: plugin.benchmarks.length,
        jobs: plugin.jobs.length,
      })),
    };
  } catch (e) {
    plugins = { loaded: [], error: describeError(e) };
  }
  const tfjs = await tfjsStatus();
  const python = { numpy: pythonModule('numpy'), scipy: pythonModule('scipy'), ot: pythonModule('ot') };
  const zeromq = await zeromqStatus(cwd);
  const pythonInterpreter = process.env.OPTKIT_PYTHON ?? 'python3';
  return { cli: cliVersion(), machine: machineInfo(), packages: { found, missing, unbuilt }, plugins, tfjs, pythonInterpreter, python, zeromq };
}

/** The report as text. */
export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(9)} ${v}`);
  lines.push(`optkit doctor (@optkit/cli ${r.cli})`, '', 'machine');
  row('cpu', r.machine.cpu);
  row('cores', String(r.machine.cores));
  row('memory', `${formatBytes(r.machine.memory.totalBytes)} total, ${formatBytes(r.machine.memory.freeBytes)} free`);
  row('os', r.machine.os);
  row('node', r.machine.node);
  lines.push('', 'packages');
  row('found', r.packages.found.map((p) => `${p.name} ${p.version}`).join(', ') || '(none)');
  row('missing', r.packages.missing.length ? `${r.packages.missing.join(', ')} (not installed)` : '(none)');
  for (const u of r.packages.unbuilt) row('unbuilt', `${u.name}: ${u.entry} does not exist (run pnpm build)`);
  for (const p of r.plugins.loaded) {
    row('plugin', `${p.name}${p.specifier !== p.name ? ` (${p.specifier})` : ''}: ${p.methods} methods, ${p.experiments} experiments, ${p.benchmarks} benchmarks, ${p.jobs} jobs`);
  }
  if (r.plugins.error) row('error', r.plugins.error);
  lines.push('', 'tfjs');
  if (r.tfjs.ok) {
    row('backend', `${r.tfjs.backend} (tf.getBackend() = '${r.tfjs.tfBackend}')`);
    for (const t of r.tfjs.tried) row(t.ok ? 'used' : 'skipped', `${t.name}: ${t.reason}`);
  } else {
    row('error', r.tfjs.error);
  }
  lines.push('', `python references (${r.pythonInterpreter}; set OPTKIT_PYTHON to use another interpreter)`);
  for (const [mod, s] of Object.entries(r.python)) {
    const label = mod === 'ot' ? 'ot (POT)' : mod;
    row(label, s.ok ? `${s.version} (python ${s.python})` : `unavailable: ${s.reason}`);
  }
  lines.push('', 'zeromq');
  if (!r.zeromq.installed) row('status', r.zeromq.note);
  else {
    row('version', r.zeromq.version);
    if (r.zeromq.error) row('error', r.zeromq.error);
    else row('curve', r.zeromq.curve ? 'available' : 'not available (libzmq built without CURVE)');
  }
  return lines.join('\n');
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine: cores, memory, installed optkit packages, tfjs backend, Python references, ZeroMQ')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) =>
      setExitCode(
        (async () => {
          const report = await doctor(cmd.optsWithGlobals<GlobalOptions>());
          out(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
          return 0;
        })(),
      ),
    );
}
