/**
 * Which plugins the `optkit` command loads, and loading them.
 *
 * By default the CLI loads every first-party package it can resolve (a missing one is skipped and
 * listed by `optkit doctor`), then each `--plugin` specifier and each entry of the comma-separated
 * `OPTKIT_PLUGINS` environment variable. A third-party plugin that fails to load is an error that
 * names it. Path specifiers are made absolute, so that worker threads load exactly the same module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { OptkitError, Registry, loadPlugin, type Plugin } from '@optkit/core';

/** The first-party plugin packages, in load order. */
export const FIRST_PARTY_PACKAGES: readonly string[] = [
  '@optkit/core',
  '@optkit/optim',
  '@optkit/linalg',
  '@optkit/tensor',
  '@optkit/transport',
  '@optkit/verify',
  '@optkit/pruning',
  '@optkit/bilevel',
  '@optkit/cluster',
];

export interface PluginSelection {
  /** `--plugin` values, in order (package names or paths to module files). */
  plugins?: readonly string[];
  /** The `OPTKIT_PLUGINS` value (default: `process.env.OPTKIT_PLUGINS`). */
  env?: string;
  /** Load the first-party packages (default true). */
  firstParty?: boolean;
  /** Base folder for relative path specifiers (default `process.cwd()`). */
  cwd?: string;
}

/** One loaded plugin and the specifier that loaded it (what a worker thread imports again). */
export interface LoadedPlugin {
  specifier: string;
  plugin: Plugin;
  firstParty: boolean;
}

export interface LoadedPlugins {
  registry: Registry;
  loaded: LoadedPlugin[];
  /** First-party packages skipped: not installed, or installed but not built. */
  missing: { name: string; reason: string }[];
  /** The specifier that loaded each plugin, by plugin name. */
  specifierOf: Map<string, string>;
}

/** Whether `specifier` names a file rather than a package. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || /^[A-Za-z]:[\\/]/.test(specifier) || specifier.startsWith('file:');
}

/**
 * The third-party specifiers from `--plugin` values and the `OPTKIT_PLUGINS` text, in that order,
 * trimmed, without blanks or repeats; paths (`./x.mjs`, `/abs/x.mjs`, or a bare `dir/x.mjs` naming an
 * existing file) resolved against `cwd`.
 */
export function thirdPartySpecifiers(selection: PluginSelection = {}): string[] {
  const cwd = selection.cwd ?? process.cwd();
  const env = selection.env ?? process.env.OPTKIT_PLUGINS ?? '';
  const raw = [...(selection.plugins ?? []), ...env.split(',')].map((s) => s.trim()).filter((s) => s.length > 0);
  const out: string[] = [];
  for (const s of raw) {
    // A bare `dir/plugin.mjs` naming an existing file is taken as a path, not as a package name.
    const looksLikeFile = /\.(?:m?js|cjs)$/.test(s) && existsSync(resolve(cwd, s));
    const spec = (isPathSpecifier(s) && !s.startsWith('file:')) || looksLikeFile ? resolve(cwd, s) : s;
    if (!out.includes(spec)) out.push(spec);
  }
  return out;
}

const requireHere = createRequire(import.meta.url);
const RUNNING_FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * Whether package `name` is installed where the CLI or `cwd` can see it. Asked before importing, so
 * that an absent first-party package (skipped) is told apart from a broken one (an error).
 */
export function isPackageInstalled(name: string, cwd: string = process.cwd()): boolean {
  try {
    requireHere.resolve(`${name}/package.json`);
    return true;
  } catch (err) {
    // The package exists but does not export its package.json.
    if ((err as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/**
 * The package's ESM entry file (`exports["."].import`) when the package can be found from the CLI
 * but that file does not exist — a workspace package that has not been built; else undefined.
 */
export function missingEntryFile(name: string): string | undefined {
  // Running from TypeScript sources (vitest, tsx --conditions=@optkit/source), packages resolve to
  // their sources through the `@optkit/source` export condition, so dist is not needed.
  if (RUNNING_FROM_SOURCES) return undefined;
  let pkgJson: string;
  try {
    pkgJson = requireHere.resolve(`${name}/package.json`);
  } catch {
    return undefined;
  }
  try {
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: unknown; main?: string };
    const dot = (pkg.exports as Record<string, unknown> | undefined)?.['.'];
    const rel = typeof dot === 'string' ? dot : ((dot as Record<string, unknown> | undefined)?.import ?? (dot as Record<string, unknown> | undefined)?.default ?? pkg.main);
    if (typeof rel !== 'string') return undefined;
    const entry = join(dirname(pkgJson), rel);
    return existsSync(entry) ? undefined : entry;
  } catch {
    return undefined;
  }
}

/** Whether a loadPlugin failure says that package `name` itself could not be found (not a broken import inside it). */
function cannotFindPackage(err: unknown, name: string): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.includes(`Cannot find package '${name}'`) && msg.includes(`no node_modules/${name} from`);
}

/**
 * Loads the selected plugins into a fresh registry (or `registry`). Resolution starts from the CLI's
 * own location, then node_modules folders from `cwd` upwards.
 *
 * Throws NOT_FOUND / INVALID_ARGUMENT naming a third-party plugin that cannot be imported or exports
 * no plugin, and DUPLICATE when two plugins claim the same id. A first-party package that is
 * installed but fails to load is also an error (it is broken, not absent).
 */
export async function loadPlugins(selection: PluginSelection = {}, registry: Registry = new Registry()): Promise<LoadedPlugins> {
  const cwd = selection.cwd ?? process.cwd();
  const result: LoadedPlugins = { registry, loaded: [], missing: [], specifierOf: new Map() };
  const importer = (s: string) => import(s);
  if (selection.firstParty !== false) {
    for (const name of FIRST_PARTY_PACKAGES) {
      if (!isPackageInstalled(name, cwd)) {
        result.missing.push({ name, reason: 'not installed' });
        continue;
      }
      const unbuilt = missingEntryFile(name);
      if (unbuilt) {
        result.missing.push({ name, reason: `not built: ${unbuilt} does not exist (run pnpm build)` });
        continue;
      }
      let plugin: Plugin;
      try {
        plugin = await loadPlugin(name, { registry, importer, cwd });
      } catch (err) {
        // Present in the workspace but not linked where the CLI can import it: as good as absent.
        if (cannotFindPackage(err, name)) {
          result.missing.push({ name, reason: 'not resolvable from @optkit/cli' });
          continue;
        }
        throw err;
      }
      result.loaded.push({ specifier: name, plugin, firstParty: true });
      result.specifierOf.set(plugin.name, name);
    }
  }
  for (const specifier of thirdPartySpecifiers(selection)) {
    try {
      const plugin = await loadPlugin(specifier, { registry, importer, cwd });
      result.loaded.push({ specifier, plugin, firstParty: false });
      result.specifierOf.set(plugin.name, specifier);
    } catch (err) {
      const code = err instanceof OptkitError ? err.code : 'NOT_FOUND';
      const msg = err instanceof Error ? err.message : String(err);
      throw new OptkitError(code, `plugin ${specifier} failed to load: ${msg}`, 'plugin', { cause: err });
    }
  }
  return result;
}
