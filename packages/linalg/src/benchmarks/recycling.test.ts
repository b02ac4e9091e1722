import { pythonHas } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { makeRecyclingBenchmark } from './recycling.js';

const scipy = pythonHas(['numpy', 'scipy']);

function context() {
  const lines: string[] = [];
  return { quick: true, seed: 1, progress: () => {}, log: (l: string) => lines.push(l), lines };
}

describe('linalg.recycling benchmark (tiny sizes)', () => {
  it('is registered in the plugin', async () => {
    const { plugin } = await import('../plugin.js');
    expect(plugin.benchmarks.map((b) => b.id)).toContain('linalg.recycling');
  });

  it('reports time and matvec rows for the four methods', async () => {
    const ctx = context();
    const r = await makeRecyclingBenchmark({ count: 3, gridSize: 10, repeats: 1, reference: false }).run(ctx);
    expect(r.rows).toHaveLength(8);
    for (const row of r.rows) expect(row.value).toBeGreaterThan(0);
    expect(r.rows.filter((x) => x.unit === 'matvecs')).toHaveLength(4);
  }, 20_000);

  it.runIf(scipy.ok)('runs the scipy gcrotmk / gmres reference in the same call', async () => {
    const ctx = context();
    const r = await makeRecyclingBenchmark({ count: 3, gridSize: 10, repeats: 1 }).run(ctx);
    for (const row of r.rows) {
      expect(row.reference, row.name).toBeDefined();
      expect(row.ratio).toBeGreaterThan(0);
    }
    expect(r.notes!.some((n) => n.startsWith('scipy gcrotmk CU recycling, SKR order'))).toBe(true);
  }, 30_000);
});
