import { existsSync, readFileSync } from 'node:fs';
import { Registry } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string };
/** shared/ is the repository root's sibling: src -> linalg -> packages -> main -> its parent. */
const METHODS = new URL('../../../../shared/methods/', import.meta.url);

describe('linalg plugin', () => {
  it('is named after the package and registers every card experiment and benchmark once', () => {
    expect(plugin.name).toBe(pkg.name);
    expect(plugin.experiments.map((e) => e.id).sort()).toEqual(['deep-conjugate-direction', 'linf-regression', 'skr', 'sor-bandit']);
    expect(plugin.benchmarks.map((b) => b.id).sort()).toEqual(['linalg.krylov', 'linalg.lsqr', 'linalg.recycling']);
    const reg = new Registry();
    reg.register(plugin);
    for (const e of plugin.experiments) expect(reg.get('experiments', e.id).plugin).toBe('@optkit/linalg');
  });

  it('every experiment names an existing method card and a paper', () => {
    expect(existsSync(new URL('no-such-card.md', METHODS))).toBe(false);
    for (const e of plugin.experiments) {
      expect(existsSync(new URL(`${e.card}.md`, METHODS)), `${e.id}: shared/methods/${e.card}.md`).toBe(true);
      expect(e.paper.title.length, e.id).toBeGreaterThan(10);
      expect(typeof e.run).toBe('function');
    }
  });
});
