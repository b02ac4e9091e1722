import { pythonHas } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { makeStepBenchmark } from './step.js';

const numpy = pythonHas(['numpy']);

function context() {
  const lines: string[] = [];
  return { quick: true, seed: 1, progress: () => {}, log: (l: string) => lines.push(l), lines };
}

describe('optim.step benchmark (tiny sizes)', () => {
  it('is registered in the plugin', () => {
    expect(plugin.benchmarks.map((b) => b.id)).toContain('optim.step');
  });

  it('measures lion, adamw and lamb (one thread and 2 threads) against the bandwidth bound, and the tfjs classes against tf.train.adam', async () => {
    const ctx = context();
    const r = await makeStepBenchmark({ size: 20_001, tfSize: 4000, minSeconds: 0.01, reference: false }).run(ctx);
    const names = r.rows.map((row) => row.name);
    expect(names[0]).toMatch(/^lion step f32 n=20001 vs bandwidth bound \(20 B\/param\)/);
    expect(names[1]).toMatch(/^adamw step f32 n=20001 vs bandwidth bound \(28 B\/param\)/);
    expect(names[2]).toMatch(/^lamb step f32 n=20001 vs bandwidth bound \(40 B\/param\)/);
    expect(names.filter((n) => n.includes('vs tf.train.adam'))).toHaveLength(2);
    // ParallelOptimizer rows: against the one-thread bound (with the target) and the 2-thread triad (context).
    expect(names[3]).toMatch(/^lion step f32 n=20001 2 threads vs bandwidth bound \(20 B\/param\)/);
    expect(names[5]).toMatch(/^lamb step f32 n=20001 2 threads vs bandwidth bound \(40 B\/param\)/);
    const contextRows = r.rows.filter((row) => row.name.endsWith('vs 2-thread triad bound (context)'));
    expect(contextRows.map((row) => row.name.split(' ')[0])).toEqual(['lion', 'adamw', 'lamb']);
    for (const row of r.rows) {
      expect(row.value).toBeGreaterThan(0);
      expect(row.reference!.value).toBeGreaterThan(0);
      // ratio, value and reference are each rounded to 3 significant digits: relative, not absolute, agreement.
      expect(Math.abs(row.ratio! / (row.reference!.value / row.value) - 1)).toBeLessThan(0.015);
      if (contextRows.includes(row)) expect(row.pass).toBeUndefined();
      else expect(typeof row.pass).toBe('boolean');
    }
    expect(r.notes!.some((n) => n.includes('one-thread bandwidth') && n.includes('triad'))).toBe(true);
    expect(r.notes!.some((n) => n.startsWith('2-thread triad'))).toBe(true);
  }, 30_000);

  it.runIf(numpy.ok)('adds numpy rows for each kernel when numpy is present', async () => {
    const r = await makeStepBenchmark({ size: 20_001, minSeconds: 0.01, tfjs: false, parallel: false }).run(context());
    const npRows = r.rows.filter((row) => row.name.endsWith('vs numpy in place'));
    expect(npRows).toHaveLength(3);
    expect(r.rows.some((row) => row.name.includes('threads'))).toBe(false);
    for (const row of npRows) expect(row.reference!.value).toBeGreaterThan(0);
  }, 30_000);
});
