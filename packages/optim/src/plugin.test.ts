import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string };
/** shared/ is the repository root's sibling: src -> optim -> packages -> main -> its parent. */
const METHODS = new URL('../../../../shared/methods/', import.meta.url);

describe('optim plugin', () => {
  it('is a definePlugin object named after the package', () => {
    expect(plugin.__optkitPlugin).toBe(true);
    expect(plugin.name).toBe('@optkit/optim');
    expect(plugin.name).toBe(pkg.name);
    expect(plugin.experiments.length).toBeGreaterThanOrEqual(9);
    expect(plugin.benchmarks.length).toBeGreaterThanOrEqual(1);
  });

  it('registers into a fresh Registry with unique ids per kind', () => {
    const reg = new Registry();
    reg.register(plugin);
    for (const kind of ['methods', 'experiments', 'benchmarks', 'jobs'] as const) {
      const ids = plugin[kind].map((e) => e.id);
      expect(new Set(ids).size, kind).toBe(ids.length);
      expect(reg.list(kind).map((r) => r.entry.id), kind).toEqual(ids);
      for (const id of ids) expect(reg.get(kind, id).plugin).toBe('@optkit/optim');
    }
  });

  it('the methods folder is where the path says (the card check below is real)', () => {
    expect(fileURLToPath(METHODS)).toMatch(/[\\/]shared[\\/]methods[\\/]$/);
    expect(existsSync(new URL('lion.md', METHODS))).toBe(true);
    expect(existsSync(new URL('no-such-card.md', METHODS))).toBe(false);
  });

  it('every experiment names an existing method card, a paper title and a title, and has run (not run here)', () => {
    for (const e of plugin.experiments) {
      expect(e.card, e.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(existsSync(new URL(`${e.card}.md`, METHODS)), `${e.id}: shared/methods/${e.card}.md`).toBe(true);
      expect(typeof e.paper?.title, e.id).toBe('string');
      expect(e.paper.title.trim().length, e.id).toBeGreaterThan(0);
      expect(e.title.trim().length, e.id).toBeGreaterThan(0);
      expect(typeof e.run, e.id).toBe('function');
    }
  });

  it('every benchmark has a title and a run function (not run here)', () => {
    for (const b of plugin.benchmarks) {
      expect(b.title.trim().length, b.id).toBeGreaterThan(0);
      expect(typeof b.run, b.id).toBe('function');
    }
  });
});
