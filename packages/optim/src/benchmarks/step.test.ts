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

  it('measures lion, adamw and lamb against the bandwidth bound, and the tfjs classes against tf.train.adam', async () => {
    const ctx = context();
    const r = await makeStepBenchmark({ size: 20_001, tfSize: 4000, minSeconds: 0.01, reference: false }).run(ctx);
    const names = r.rows.map((row) => row.name);
    expect(names[0]).toMatch(/^lion step f32 n=20001 vs bandwidth bound \(20 B\/param\)/);
    expect(names[1]).toMatch(/^adamw step f32 n=20001 vs bandwidth bound \(28 B\/param\)/);
    expect(names[2]).toMatch(/^lamb step f32 n=20001 vs bandwidth bound \(40 B\/param\)/);
    expect(names.filter((n) => n.includes('vs tf.train.adam'))).toHaveLength(2);
    for (const row of r.rows) {
      expect(row.value).toBeGreaterThan(0);
      expect(row.reference!.value).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.reference!.value / row.value, 1);
      expect(typeof row.pass).toBe('boolean');
    }
    expect(r.notes!.some((n) => n.includes('triad'))).toBe(true);
  }, 30_000);

  it.runIf(numpy.ok)('adds numpy rows for each kernel when numpy is present', async () => {
    const r = await makeStepBenchmark({ size: 20_001, minSeconds: 0.01, tfjs: false }).run(context());
    const npRows = r.rows.filter((row) => row.name.endsWith('vs numpy in place'));
    expect(npRows).toHaveLength(3);
    for (const row of npRows) expect(row.reference!.value).toBeGreaterThan(0);
  }, 30_000);
});
