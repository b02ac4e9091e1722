import { describe, expect, it } from 'vitest';
import { dualNorm, lionKappaMlpExperiment } from './lion-kappa-mlp.js';

describe('lion-kappa-mlp experiment (quick)', () => {
  it('dualNorm is the q-norm with 1/p + 1/q = 1', () => {
    expect(dualNorm([3, -4], 2)).toBeCloseTo(5, 14);
    expect(dualNorm([3, -4, 1], 1)).toBe(4);
    expect(dualNorm([1, 1], 1.5)).toBeCloseTo(2 ** (1 / 3), 14);
    expect(dualNorm([0, 0], 1.5)).toBe(0);
  });
  it('passes its gated claims', async () => {
    const r = await lionKappaMlpExperiment.run({ quick: true, seed: 0, progress: () => {} });
    console.log(r.tables?.[0].rows);
    expect(r.claims.filter((c) => c.gated !== false && !c.pass)).toEqual([]);
  }, 180_000);
});
