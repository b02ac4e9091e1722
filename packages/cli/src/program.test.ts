import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OptkitError } from '@optkit/core';
import { createProgram, describeFailure, main } from './program.js';

const pkgVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Captures what main writes to stdout and stderr. */
function capture() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  return { stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}

let savedPlugins: string | undefined;
beforeEach(() => {
  savedPlugins = process.env.OPTKIT_PLUGINS;
  process.env.OPTKIT_PLUGINS = '';
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  if (savedPlugins === undefined) delete process.env.OPTKIT_PLUGINS;
  else process.env.OPTKIT_PLUGINS = savedPlugins;
});

describe('createProgram', () => {
  it('has the commands list, reproduce, bench, run and doctor with their options', () => {
    const program = createProgram();
    expect(program.name()).toBe('optkit');
    const byName = new Map(program.commands.map((c) => [c.name(), c]));
    expect([...byName.keys()].sort()).toEqual(['bench', 'cluster', 'doctor', 'list', 'reproduce', 'run']);
    const flags = (name: string) => byName.get(name)!.options.map((o) => o.long);
    expect(flags('list')).toEqual(['--json']);
    expect(flags('reproduce')).toEqual(['--quick', '--out', '--seed', '--threads', '--no-html']);
    expect(flags('bench')).toEqual(expect.arrayContaining(['--quick', '--json', '--seed']));
    expect(flags('run')).toEqual(['--config', '--out']);
    expect(byName.get('run')!.options.find((o) => o.long === '--config')!.mandatory).toBe(true);
    expect(flags('doctor')).toEqual(['--json']);
    expect(program.options.map((o) => o.long)).toEqual(['--version', '--plugin', '--no-default-plugins', '--verbose']);
    const reproduce = byName.get('reproduce')!;
    expect(reproduce.options.find((o) => o.long === '--out')!.defaultValue).toBe('reports');
    expect(reproduce.options.find((o) => o.long === '--seed')!.defaultValue).toBe(0);
  });

  it('parses repeated --plugin values and --no-default-plugins as global options', () => {
    const program = createProgram();
    // Parse without running an action: the root options only.
    program.parseOptions(['--plugin', 'a', '--plugin', './b.mjs', '--no-default-plugins']);
    expect(program.opts()).toMatchObject({ plugin: ['a', './b.mjs'], defaultPlugins: false });
  });
});

describe('main (in process: commander exits are overridden, nothing calls process.exit)', () => {
  it('--version prints the package version and returns 0; --help returns 0', async () => {
    const io = capture();
    expect(await main(['node', 'optkit', '--version'])).toBe(0);
    expect(io.stdout().trim()).toBe(pkgVersion);
    expect(await main(['node', 'optkit', '--help'])).toBe(0);
    expect(io.stdout()).toContain('Examples:');
  });

  it('an unknown command, an unknown option and a bad --threads value return 2', async () => {
    const io = capture();
    expect(await main(['node', 'optkit', 'frobnicate'])).toBe(2);
    expect(io.stderr()).toContain("unknown command 'frobnicate'");
    expect(await main(['node', 'optkit', 'list', '--bogus'])).toBe(2);
    expect(io.stderr()).toContain("unknown option '--bogus'");
    expect(await main(['node', 'optkit', 'reproduce', '--threads', '-1'])).toBe(2);
    expect(io.stderr()).toContain('--threads must be a non-negative integer.');
  });

  it('an OptkitError from a command returns 2 with one line on stderr; a plain run returns 0', async () => {
    const io = capture();
    expect(await main(['node', 'optkit', '--no-default-plugins', 'reproduce', 'nope', '--threads', '0'])).toBe(2);
    expect(io.stderr()).toBe('optkit: NOT_FOUND: unknown experiment "nope"; registered: (none)\n');
    expect(await main(['node', 'optkit', '--no-default-plugins', 'list'])).toBe(0);
    expect(io.stdout()).toContain('Methods: none registered');
  });
});

describe('describeFailure', () => {
  it('maps OptkitErrors to 2 and other errors to 1; the stack only when asked', () => {
    const e = new OptkitError('NOT_FOUND', 'no such thing', 'id');
    expect(describeFailure(e, false)).toEqual({ message: 'optkit: NOT_FOUND: no such thing', exitCode: 2 });
    expect(describeFailure(new Error('boom'), false)).toEqual({ message: 'optkit: error: boom', exitCode: 1 });
    expect(describeFailure('text', false)).toEqual({ message: 'optkit: error: text', exitCode: 1 });
    const withStack = describeFailure(new Error('boom'), true);
    expect(withStack.exitCode).toBe(1);
    expect(withStack.message).toMatch(/^optkit: error: boom\nError: boom\n\s+at /);
  });
});
