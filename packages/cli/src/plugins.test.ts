import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { FIRST_PARTY_PACKAGES, isPackageInstalled, loadPlugins, thirdPartySpecifiers } from './plugins.js';

const FIXTURE = fileURLToPath(new URL('../test/fixtures/test-plugin.mjs', import.meta.url));

describe('thirdPartySpecifiers', () => {
  it('takes --plugin values then OPTKIT_PLUGINS, trimmed, deduplicated, paths made absolute', () => {
    expect(thirdPartySpecifiers({ plugins: ['./a.mjs', 'pkg-a'], env: ' pkg-b, ,pkg-a,/abs/c.mjs ', cwd: '/work' })).toEqual([
      '/work/a.mjs',
      'pkg-a',
      'pkg-b',
      '/abs/c.mjs',
    ]);
    expect(thirdPartySpecifiers({ env: '' })).toEqual([]);
  });

  it('treats a bare relative file name as a path only when the file exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-plugins-'));
    writeFileSync(join(dir, 'p.mjs'), '');
    expect(thirdPartySpecifiers({ plugins: ['p.mjs', 'q.mjs'], env: '', cwd: dir })).toEqual([join(dir, 'p.mjs'), 'q.mjs']);
  });
});

describe('isPackageInstalled', () => {
  it('finds core (a dependency) and not an absent package', () => {
    expect(isPackageInstalled('@optkit/core')).toBe(true);
    expect(isPackageInstalled('@optkit/no-such-package')).toBe(false);
  });
});

describe('loadPlugins', () => {
  it('loads core, skips absent first-party packages and adds --plugin files by absolute path', async () => {
    const loaded = await loadPlugins({ plugins: [FIXTURE], env: '' });
    expect(loaded.loaded[0]).toMatchObject({ specifier: '@optkit/core', firstParty: true });
    const fixture = loaded.loaded.find((l) => l.plugin.name === 'optkit-test-plugin');
    expect(fixture).toMatchObject({ specifier: resolve(FIXTURE), firstParty: false });
    expect(loaded.specifierOf.get('optkit-test-plugin')).toBe(resolve(FIXTURE));
    expect(loaded.registry.get('experiments', 'fixture-pass').plugin).toBe('optkit-test-plugin');
    // Every first-party package is either loaded or listed as missing.
    const names = [...loaded.loaded.filter((l) => l.firstParty).map((l) => l.specifier), ...loaded.missing.map((m) => m.name)];
    expect(names.sort()).toEqual([...FIRST_PARTY_PACKAGES].sort());
  });

  it('can leave the first-party packages out', async () => {
    const loaded = await loadPlugins({ firstParty: false, env: '', plugins: [FIXTURE] });
    expect(loaded.loaded.map((l) => l.plugin.name)).toEqual(['optkit-test-plugin']);
    expect(loaded.missing).toEqual([]);
  });

  it('names a third-party plugin that fails to load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-plugins-'));
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    for (const [spec, code] of [
      ['optkit-plugin-that-does-not-exist', 'NOT_FOUND'],
      [join(dir, 'empty.mjs'), 'INVALID_ARGUMENT'],
    ] as const) {
      try {
        await loadPlugins({ firstParty: false, env: spec });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        expect((e as OptkitError).code).toBe(code);
        expect((e as Error).message).toContain(`plugin ${spec} failed to load`);
      }
    }
  });
});
