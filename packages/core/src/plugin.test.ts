import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';
import { Registry } from './registry.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string };

describe('core plugin', () => {
  it('is a definePlugin object named after the package', () => {
    expect(plugin.__optkitPlugin).toBe(true);
    expect(plugin.name).toBe('@optkit/core');
    expect(plugin.name).toBe(pkg.name);
    expect(plugin.methods).toEqual([]);
    expect(plugin.experiments).toEqual([]);
    expect(plugin.jobs).toEqual([]);
    expect(plugin.benchmarks.length).toBeGreaterThan(0);
  });

  it('registers into a fresh Registry with unique ids, each benchmark findable by id', () => {
    const reg = new Registry();
    reg.register(plugin);
    expect(reg.has('@optkit/core')).toBe(true);
    const ids = plugin.benchmarks.map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(reg.list('benchmarks').map((b) => b.entry.id)).toEqual(ids);
    for (const id of ids) expect(reg.get('benchmarks', id).plugin).toBe('@optkit/core');
    // Registering the same object again is a no-op.
    reg.register(plugin);
    expect(reg.list('benchmarks')).toHaveLength(ids.length);
  });

  it('every benchmark has a kebab-case id, a title and a run function (not run here)', () => {
    for (const b of plugin.benchmarks) {
      expect(b.id, b.id).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(typeof b.title, b.id).toBe('string');
      expect(b.title.length, b.id).toBeGreaterThan(0);
      expect(typeof b.run, b.id).toBe('function');
    }
  });
});
