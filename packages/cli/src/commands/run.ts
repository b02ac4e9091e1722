/**
 * `optkit run <method> --config file.json`: loads the data the configuration names with core's
 * readers, calls the method's `run({data, options})` and prints the result as JSON.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { OptkitError } from '@optkit/core';
import { loadAllData, readRunConfig, type RunConfig } from '../config.js';
import { stringifyResult } from '../json.js';
import { loadPlugins, type LoadedPlugins } from '../plugins.js';
import { err, pluginsFor, setExitCode, type GlobalOptions } from './shared.js';

export interface RunMethodOptions {
  plugins?: LoadedPlugins;
  /** Method id. */
  method: string;
  /** A configuration file path, or an already parsed configuration. */
  config: string | RunConfig;
}

/**
 * Runs a registered method on the configuration's data and returns its raw result. Throws NOT_FOUND
 * for an unknown method or data file, UNSUPPORTED for a method without `run`, INVALID_ARGUMENT /
 * PARSE_ERROR for a bad configuration, and whatever the method throws.
 */
export async function runMethod(options: RunMethodOptions): Promise<unknown> {
  const plugins = options.plugins ?? (await loadPlugins());
  const { entry, plugin } = plugins.registry.get('methods', options.method);
  if (typeof entry.run !== 'function') {
    const runnable = plugins.registry
      .list('methods')
      .filter((m) => typeof m.entry.run === 'function')
      .map((m) => m.entry.id);
    throw new OptkitError(
      'UNSUPPORTED',
      `method ${entry.id} (${plugin}) has no run function, so optkit run cannot call it; runnable methods: ${runnable.length ? runnable.join(', ') : '(none)'}`,
      'method',
    );
  }
  const config = typeof options.config === 'string' ? await readRunConfig(options.config) : options.config;
  const data = await loadAllData(config);
  return entry.run({ data, options: config.options });
}

interface RunCommandOptions {
  config: string;
  out?: string;
}

export async function runCommand(method: string, opts: RunCommandOptions, globals: GlobalOptions): Promise<number> {
  const plugins = await pluginsFor(globals);
  const result = await runMethod({ plugins, method, config: opts.config });
  const { text, note } = stringifyResult(result);
  if (opts.out) {
    await writeFile(opts.out, text);
    err(`optkit: wrote ${opts.out}`);
  } else {
    process.stdout.write(text);
  }
  if (note) err(`optkit: note: ${note}`);
  return 0;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a registered method on your data, configured by a JSON file')
    .argument('<method>', 'method id (see optkit list)')
    .requiredOption('--config <file>', 'JSON file: {"data": {"<name>": "path.mtx" | {"path", "format"}}, "options": {...}}')
    .option('--out <file>', 'write the result JSON here instead of stdout')
    .addHelpText(
      'after',
      `
Data formats, inferred from the extension unless "format" is given:
  .mtx → Matrix Market (CsrMatrix, or DenseMatrix for array files)   .svm .libsvm .txt → LIBSVM ({labels, features})
  .csv → numeric CSV (DenseMatrix)   .json → parsed JSON;   a trailing .gz is decompressed.
Relative data paths are resolved against the config file's folder.
Typed arrays in the result are written as arrays; NaN and Infinity as null (with a note on stderr).`,
    )
    .action((method: string, opts: RunCommandOptions, cmd: Command) => setExitCode(runCommand(method, opts, cmd.optsWithGlobals<GlobalOptions>())));
}
