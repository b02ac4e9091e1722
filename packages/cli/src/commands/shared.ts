/** What every command shares: the global options and loading plugins from them. */
import { InvalidArgumentError } from 'commander';
import { loadPlugins, type LoadedPlugins } from '../plugins.js';

/** Options given before or after any command. */
export interface GlobalOptions {
  /** `--plugin` values (undefined when none were given). */
  plugin?: string[];
  /** false with `--no-default-plugins`. */
  defaultPlugins?: boolean;
  verbose?: boolean;
}

/**
 * Loads the first-party packages plus `--plugin` values and `OPTKIT_PLUGINS`. A first-party package
 * skipped for another reason than not being installed (not built) is worth a warning on stderr.
 */
export async function pluginsFor(globals: GlobalOptions): Promise<LoadedPlugins> {
  const plugins = await loadPlugins({ plugins: globals.plugin ?? [], firstParty: globals.defaultPlugins !== false });
  for (const m of plugins.missing) {
    if (m.reason !== 'not installed') err(`optkit: warning: skipped ${m.name}: ${m.reason}`);
  }
  return plugins;
}

/** Writes a line to stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to stderr. */
export function err(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** A commander option parser for non-negative integers (commander reports a bad value, exit 2). */
export function parseCount(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer.`);
    }
    return n;
  };
}

/** Runs a command's promise and records its exit code for `main`. */
export async function setExitCode(code: Promise<number>): Promise<void> {
  process.exitCode = await code;
}
