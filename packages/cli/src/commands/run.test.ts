import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { OptkitError, Registry, definePlugin, type LoadedData } from '@optkit/core';
import type { LoadedPlugins } from '../plugins.js';
import { registerRun, runCommand, runMethod } from './run.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/test-plugin.mjs', import.meta.url));

function tinyPlugins(): LoadedPlugins {
  const plugin = definePlugin({
    name: 'tiny-plugin',
    methods: [
      {
        id: 'col-sums',
        summary: 'Column sums of a CSV matrix, scaled by options.scale',
        run: ({ data, options }) => {
          const m = data.X.value as { rows: number; cols: number; data: Float64Array };
          const sums = new Float64Array(m.cols);
          for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) sums[j] += m.data[i * m.cols + j];
          const scale = typeof options.scale === 'number' ? options.scale : 1;
          return { kind: (data.X as LoadedData).kind, sums: sums.map((s) => s * scale) };
        },
      },
      {
        id: 'throws',
        summary: 'Always refuses',
        run: () => {
          throw new OptkitError('INVALID_OPTION', 'throws: no', 'options');
        },
      },
      { id: 'no-run', summary: 'Has no run' },
    ],
  });
  const registry = new Registry();
  registry.register(plugin);
  return { registry, loaded: [{ specifier: 'tiny-plugin', plugin, firstParty: false }], missing: [], specifierOf: new Map([['tiny-plugin', 'tiny-plugin']]) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  throw new Error('expected an OptkitError');
}

const dir = mkdtempSync(join(tmpdir(), 'optkit-run-test-'));
writeFileSync(join(dir, 'X.csv'), 'a,b\n1,2\n3,4\n5,6\n');

afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runMethod', () => {
  it('loads the data named by a parsed config and returns what the method returns', async () => {
    const result = (await runMethod({
      plugins: tinyPlugins(),
      method: 'col-sums',
      config: { data: { X: { path: join(dir, 'X.csv'), format: 'csv' } }, options: { scale: 2 } },
    })) as { kind: string; sums: Float64Array };
    expect(result.kind).toBe('csv');
    expect(Array.from(result.sums)).toEqual([18, 24]);
  });

  it('reads a config file, resolving data paths against its folder', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ data: { X: 'X.csv' }, options: {} }));
    const result = (await runMethod({ plugins: tinyPlugins(), method: 'col-sums', config: file })) as { sums: Float64Array };
    expect(Array.from(result.sums)).toEqual([9, 12]);
  });

  it('refuses an unknown method (NOT_FOUND) and one without run (UNSUPPORTED, naming the runnable ones)', async () => {
    const config = { data: {}, options: {} };
    expect(await codeOf(runMethod({ plugins: tinyPlugins(), method: 'nope', config }))).toBe('NOT_FOUND');
    await expect(runMethod({ plugins: tinyPlugins(), method: 'no-run', config })).rejects.toThrow(
      'method no-run (tiny-plugin) has no run function, so optkit run cannot call it; runnable methods: col-sums, throws',
    );
    expect(await codeOf(runMethod({ plugins: tinyPlugins(), method: 'no-run', config }))).toBe('UNSUPPORTED');
  });

  it("passes the method's own error through; a missing data file is NOT_FOUND", async () => {
    expect(await codeOf(runMethod({ plugins: tinyPlugins(), method: 'throws', config: { data: {}, options: {} } }))).toBe('INVALID_OPTION');
    const missing = { data: { X: { path: join(dir, 'absent.csv'), format: 'csv' as const } }, options: {} };
    expect(await codeOf(runMethod({ plugins: tinyPlugins(), method: 'col-sums', config: missing }))).toBe('NOT_FOUND');
  });
});

describe('runCommand', () => {
  it('writes the result JSON to --out (non-finite numbers as null, with a note on stderr) and returns 0', async () => {
    const saved = process.env.OPTKIT_PLUGINS;
    process.env.OPTKIT_PLUGINS = '';
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (stderr.push(String(c)), true));
    try {
      const config = join(dir, 'fixture.json');
      writeFileSync(config, JSON.stringify({ data: { X: 'X.csv' }, options: { tol: 1 } }));
      const outFile = join(dir, 'result.json');
      expect(await runCommand('fixture-sum', { config, out: outFile }, { plugin: [FIXTURE], defaultPlugins: false })).toBe(0);
      const result = JSON.parse(readFileSync(outFile, 'utf8'));
      expect(result.options).toEqual({ tol: 1 });
      expect(result.data.X).toEqual({ kind: 'csv', rows: 3, cols: 2, colSums: [9, 12] });
      expect(result.notANumber).toBeNull();
      expect(stderr.join('')).toContain(`optkit: wrote ${outFile}`);
      expect(stderr.join('')).toContain('2 non-finite numbers');
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PLUGINS;
      else process.env.OPTKIT_PLUGINS = saved;
    }
  });
});

describe('registerRun', () => {
  it('adds `run <method>` with a required --config and an optional --out', () => {
    const program = new Command('optkit');
    registerRun(program);
    const run = program.commands.find((c) => c.name() === 'run')!;
    expect(run.registeredArguments.map((a) => [a.name(), a.required])).toEqual([['method', true]]);
    expect(run.options.map((o) => [o.long, o.mandatory])).toEqual([
      ['--config', true],
      ['--out', false],
    ]);
  });
});
