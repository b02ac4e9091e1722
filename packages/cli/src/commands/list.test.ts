import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { Registry, definePlugin } from '@optkit/core';
import type { LoadedPlugins } from '../plugins.js';
import { formatListing, listEntries, registerList } from './list.js';

const paper = { title: 'A Tiny Paper', year: 2024 };

function tinyPlugins(): LoadedPlugins {
  const plugin = definePlugin({
    name: 'tiny-plugin',
    methods: [
      { id: 'tiny-run', summary: 'Runs', paper, run: () => 1 },
      { id: 'tiny-no-run', summary: 'Cannot run' },
    ],
    experiments: [{ id: 'tiny-exp', card: 'tiny', title: 'Tiny experiment', paper, run: () => ({ claims: [] }) }],
    benchmarks: [{ id: 'tiny-bench', title: 'Tiny benchmark', run: () => ({ rows: [] }) }],
    jobs: [{ id: 'tiny.job', summary: 'Echoes', handler: (header) => ({ header }) }],
  });
  const registry = new Registry();
  registry.register(plugin);
  return { registry, loaded: [{ specifier: 'tiny-plugin', plugin, firstParty: false }], missing: [], specifierOf: new Map([['tiny-plugin', 'tiny-plugin']]) };
}

describe('listEntries', () => {
  it('lists every kind with its package, paper, description, runnable flag and card', () => {
    expect(listEntries(tinyPlugins())).toEqual({
      methods: [
        { id: 'tiny-run', package: 'tiny-plugin', paper: 'A Tiny Paper', description: 'Runs', runnable: true },
        { id: 'tiny-no-run', package: 'tiny-plugin', description: 'Cannot run', runnable: false },
      ],
      experiments: [{ id: 'tiny-exp', package: 'tiny-plugin', paper: 'A Tiny Paper', description: 'Tiny experiment', card: 'tiny' }],
      benchmarks: [{ id: 'tiny-bench', package: 'tiny-plugin', description: 'Tiny benchmark' }],
      jobs: [{ id: 'tiny.job', package: 'tiny-plugin', description: 'Echoes' }],
    });
  });

  it('is empty for an empty registry', () => {
    const empty: LoadedPlugins = { registry: new Registry(), loaded: [], missing: [], specifierOf: new Map() };
    expect(listEntries(empty)).toEqual({ methods: [], experiments: [], benchmarks: [], jobs: [] });
  });
});

describe('formatListing', () => {
  it('prints one table per kind, marks methods without run, and says "none registered" for empty kinds', () => {
    const listing = listEntries(tinyPlugins());
    const text = formatListing(listing);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Methods (2)');
    expect(lines[1]).toMatch(/^id\s+package\s+paper\s+description$/);
    expect(lines[3]).toMatch(/^tiny-run\s+tiny-plugin\s+A Tiny Paper\s+Runs$/);
    expect(lines[4]).toMatch(/^tiny-no-run\s+tiny-plugin\s+-\s+Cannot run \(no run: not usable with optkit run\)$/);
    expect(text).toContain('Experiments (1)');
    expect(text).toMatch(/\nBenchmarks \(1\)\nid\s+package\s+description\n/);
    expect(text).toContain('Jobs (1)');
    expect(formatListing({ ...listing, jobs: [], benchmarks: [] })).toMatch(/Benchmarks: none registered\n\nJobs: none registered$/);
  });
});

describe('registerList', () => {
  it('adds a `list` command with a --json option', () => {
    const program = new Command('optkit');
    registerList(program);
    const list = program.commands.find((c) => c.name() === 'list');
    expect(list).toBeDefined();
    expect(list!.options.map((o) => o.long)).toEqual(['--json']);
  });
});
