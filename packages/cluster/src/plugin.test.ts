import { readFileSync } from 'node:fs';
import { Registry } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; dependencies: Record<string, string> };

describe('cluster plugin', () => {
  it('is named after the package and registers its two benchmarks', () => {
    expect(plugin.name).toBe(pkg.name);
    expect(plugin.benchmarks.map((b) => b.id).sort()).toEqual(['cluster.broker', 'cluster.scaling']);
    const reg = new Registry();
    reg.register(plugin);
    expect(reg.get('benchmarks', 'cluster.broker').plugin).toBe('@optkit/cluster');
  });

  it('never depends on a method plugin (jobs come from the plugins a worker loads)', () => {
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@optkit/'))).toEqual(['@optkit/core']);
    expect(plugin.jobs).toEqual([]);
  });
});
