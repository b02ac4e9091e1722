import { describe, expect, it } from 'vitest';
import { Registry, definePlugin, type BenchRow } from '@optkit/core';
import type { LoadedPlugins } from '../plugins.js';
import { formatBenchRows, rowRatio, runBenchmarks } from './bench.js';

const row = (over: Partial<BenchRow>): BenchRow => ({ name: 'r', value: 2, unit: 'ms', higherIsBetter: false, ...over });

describe('rowRatio', () => {
  it('is optkit speed over reference speed: a time ratio is inverted, a rate ratio is not', () => {
    expect(rowRatio(row({ reference: { name: 'np', value: 1 } }))).toBe(0.5);
    expect(rowRatio(row({ higherIsBetter: true, value: 8, reference: { name: 'np', value: 4 } }))).toBe(2);
    expect(rowRatio(row({ ratio: 0.3, reference: { name: 'np', value: 1 } }))).toBe(0.3);
    expect(rowRatio(row({}))).toBeUndefined();
    expect(rowRatio(row({ value: 0, reference: { name: 'np', value: 1 } }))).toBeUndefined();
  });

  it('formats rows with reference, ratio, target and pass', () => {
    const text = formatBenchRows([row({ reference: { name: 'numpy', value: 1 }, target: '>= 0.4', pass: false })]);
    expect(text.split('\n')[2]).toMatch(/^r\s+2 ms\s+numpy: 1 ms\s+0\.5x\s+>= 0\.4\s+no$/);
  });
});

describe('runBenchmarks', () => {
  it('runs in order, collects logs, records a throw and refuses unknown ids', async () => {
    const registry = new Registry();
    const plugin = definePlugin({
      name: 'b',
      benchmarks: [
        { id: 'one', title: 'One', run: (ctx) => (ctx.log('hi'), { rows: [row({})], notes: ['n'] }) },
        {
          id: 'two',
          title: 'Two',
          run: () => {
            throw new Error('nope');
          },
        },
      ],
    });
    registry.register(plugin);
    const plugins: LoadedPlugins = { registry, loaded: [{ specifier: 'b', plugin, firstParty: false }], missing: [], specifierOf: new Map([['b', 'b']]) };
    const records = await runBenchmarks({ plugins });
    expect(records.map((r) => [r.id, r.log, r.notes, r.error])).toEqual([
      ['one', ['hi'], ['n'], undefined],
      ['two', [], [], 'nope'],
    ]);
    await expect(runBenchmarks({ plugins, ids: ['three'] })).rejects.toThrow('unknown benchmark "three"; registered: one, two');
  });
});
