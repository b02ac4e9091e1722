import { describe, expect, it } from 'vitest';
import { binomialUpperTail, linfRegressionExperiment } from './linf-regression.js';

/**
 * The card's two statistically fragile gates (the maximum of e over the trials, and the four-way
 * spread of the Gaussian-A medians) are reported, not gated, by the experiment; it gates the
 * exceedance rate and the sparse-vs-Gaussian ratio instead (see the experiment's comments). So every
 * gated claim must pass here.
 */
describe('linf-regression experiment', () => {
  it('passes every gated claim in quick mode', async () => {
    const r = await linfRegressionExperiment.run({ quick: true, seed: 0, progress: () => {} });
    const gated = r.claims.filter((c) => c.gated);
    expect(gated.length).toBeGreaterThanOrEqual(10);
    for (const c of gated) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    // reported beside: the card's max and spread forms, the row count, sketch-and-precondition, runtime
    expect(r.claims.filter((c) => !c.gated).length).toBe(7);
    expect(r.plots!.length).toBe(4);
  }, 300_000); // ~10-15 s on an idle machine; generous for a loaded shared one
});

describe('binomialUpperTail', () => {
  it('matches closed forms', () => {
    expect(binomialUpperTail(0, 50, 0.01)).toBe(1);
    expect(binomialUpperTail(1, 50, 0.01)).toBeCloseTo(1 - 0.99 ** 50, 12);
    expect(binomialUpperTail(2, 3, 0.5)).toBeCloseTo(0.5, 12); // P(X ≥ 2) of 3 fair coins
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(0.125, 12);
    expect(binomialUpperTail(7, 200, 0.01)).toBeLessThan(0.01); // 7 of 200 is significantly above 1 %
    expect(binomialUpperTail(5, 200, 0.01)).toBeGreaterThan(0.01);
  });
});

describe('registration', () => {
  it('linf-regression and linalg.lsqr are registered in the plugin', async () => {
    const { plugin } = await import('../plugin.js');
    expect(plugin.experiments.map((e) => e.id)).toContain('linf-regression');
    expect(plugin.benchmarks.map((b) => b.id)).toContain('linalg.lsqr');
  });
});
