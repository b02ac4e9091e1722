/** The `optkit` command line: the commander program and `main`, which maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { OptkitError } from '@optkit/core';
import { registerBench } from './commands/bench.js';
import { registerCluster } from './commands/cluster.js';
import { registerDoctor } from './commands/doctor.js';
import { registerList } from './commands/list.js';
import { registerReproduce } from './commands/reproduce.js';
import { registerRun } from './commands/run.js';
import { cliVersion } from './machine.js';

const EXAMPLES = `
Examples:
  $ optkit list                                   methods, experiments, benchmarks and jobs
  $ optkit reproduce --quick                      check every paper claim fast; report in reports/index.html
  $ optkit reproduce lion-vs-adamw --out out      one experiment, report in out/
  $ optkit bench core.gemm --json bench.json      speed against numpy/scipy where installed
  $ optkit run gcrodr --config solve.json         run a method on your data
  $ optkit doctor                                 what this machine offers optkit
  $ optkit --plugin ./my-plugin.mjs list          add a third-party plugin (also: OPTKIT_PLUGINS=a,b)

Exit codes: 0 success, 1 a gated claim failed or a run failed, 2 usage or input error.
Set OPTKIT_DEBUG=1 (or pass --verbose) to see stack traces.`;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The commander program with every command registered. Actions set `process.exitCode`. */
export function createProgram(): Command {
  const program = new Command('optkit')
    .description('optkit: numerical-optimization research methods for Node.js — list, reproduce, bench, run, doctor')
    .version(cliVersion(), '-V, --version', 'print the version')
    .option('--plugin <specifier>', 'load a plugin package or module file (repeatable)', collect)
    .option('--no-default-plugins', 'do not load the first-party @optkit packages (only --plugin / OPTKIT_PLUGINS)')
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError('(run optkit --help for usage)')
    .exitOverride()
    .addHelpText('after', EXAMPLES);
  registerList(program);
  registerReproduce(program);
  registerBench(program);
  registerRun(program);
  registerDoctor(program);
  registerCluster(program);
  return program;
}

/** Whether stack traces are wanted: `--verbose` anywhere on the line, or `OPTKIT_DEBUG=1`. */
function wantsStack(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || process.env.OPTKIT_DEBUG === '1';
}

/**
 * One line (plus the stack when asked) for an error that ended a command, and its exit code:
 * 2 for OptkitErrors (bad input, unknown ids, plugins that fail to load), 1 for anything else.
 */
export function describeFailure(err: unknown, withStack: boolean): { message: string; exitCode: number } {
  const stack = withStack && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  if (err instanceof OptkitError) return { message: `optkit: ${err.code}: ${err.message}${stack}`, exitCode: 2 };
  const msg = err instanceof Error ? err.message : String(err);
  return { message: `optkit: error: ${msg}${stack}`, exitCode: 1 };
}

/** Runs the command line `argv` (as `process.argv`: node, script, args...) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  process.exitCode = undefined;
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already; help and version exit 0, usage errors 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    const { message, exitCode } = describeFailure(err, wantsStack(argv));
    process.stderr.write(`${message}\n`);
    return exitCode;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
