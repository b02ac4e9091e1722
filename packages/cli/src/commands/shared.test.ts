import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { err, out, parseCount, pluginsFor, setExitCode } from './shared.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/test-plugin.mjs', import.meta.url));

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('parseCount', () => {
  const seed = parseCount('--seed');
  it('accepts non-negative integers (surrounding blanks allowed)', () => {
    expect(seed('0')).toBe(0);
    expect(seed('42')).toBe(42);
    expect(seed(' 7 ')).toBe(7);
    expect(seed(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });
  it('refuses negatives, fractions, exponents, words, blanks and unsafe integers with InvalidArgumentError naming the option', () => {
    for (const bad of ['-1', '1.5', '1e3', 'abc', '', '0x10', '9007199254740993']) {
      expect(() => seed(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => seed('-1')).toThrow('--seed must be a non-negative integer.');
  });
});

describe('out / err', () => {
  it('write one line to stdout / stderr', () => {
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    out('hello');
    out();
    err('oops');
    expect(o.mock.calls.map((c) => c[0])).toEqual(['hello\n', '\n']);
    expect(e.mock.calls.map((c) => c[0])).toEqual(['oops\n']);
  });
});

describe('setExitCode', () => {
  it("records the command's exit code on process.exitCode", async () => {
    await setExitCode(Promise.resolve(3));
    expect(process.exitCode).toBe(3);
  });
});

describe('pluginsFor', () => {
  it('loads --plugin values without first-party packages when defaultPlugins is false', async () => {
    const saved = process.env.OPTKIT_PLUGINS;
    process.env.OPTKIT_PLUGINS = '';
    try {
      const plugins = await pluginsFor({ plugin: [FIXTURE], defaultPlugins: false });
      expect(plugins.loaded.map((l) => [l.plugin.name, l.specifier, l.firstParty])).toEqual([['optkit-test-plugin', FIXTURE, false]]);
      expect(plugins.missing).toEqual([]);
      expect(plugins.registry.list('experiments')).toHaveLength(4);
      const none = await pluginsFor({ defaultPlugins: false });
      expect(none.loaded).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PLUGINS;
      else process.env.OPTKIT_PLUGINS = saved;
    }
  });
});
