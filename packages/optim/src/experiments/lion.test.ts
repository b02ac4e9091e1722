import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { lionKnownAnswersExperiment, lionVsAdamwExperiment } from './lion.js';

const ctx = { quick: true, seed: 0, progress: () => {} };

describe('lion experiments', () => {
  it('are registered in the plugin', () => {
    const ids = plugin.experiments.map((e) => e.id);
    expect(ids).toContain('lion-known-answers');
    expect(ids).toContain('lion-vs-adamw');
  });

  it('lion-known-answers (E1) passes every gated claim in quick mode', async () => {
    const r = await lionKnownAnswersExperiment.run(ctx);
    expect(r.claims.length).toBe(7); // 2 one-step, 1 trajectory, 2 magnitude, 2 box (lr 1e-2 only in quick mode)
    for (const c of r.claims) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.plots!.length).toBeGreaterThan(0);
  }, 30_000);

  // The heaviest test here: 8 tfjs training runs (4000 samples, 6 epochs each), ~10-20 s.
  it('lion-vs-adamw (E2) passes its gated claims in quick mode', async () => {
    const r = await lionVsAdamwExperiment.run(ctx);
    const gated = r.claims.filter((c) => c.gated);
    expect(gated).toHaveLength(3);
    for (const c of gated) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.tables![0].rows).toHaveLength(8);
  }, 90_000);
});
