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
    // 2 one-step, 1 trajectory, 2 magnitude, 3 box (lr 1e-2 only in quick mode; the final-iterate box distance is report-only).
    expect(r.claims.length).toBe(8);
    expect(r.claims.filter((c) => !c.gated).map((c) => c.claim)).toEqual([expect.stringContaining('final iterate')]);
    for (const c of r.claims.filter((c) => c.gated)) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.plots!.length).toBeGreaterThan(0);
    // Seed 4 is one where the final iterate's chatter sample exceeds 1.5·lr; the gate must not depend on that sample.
    const r4 = await lionKnownAnswersExperiment.run({ ...ctx, seed: 4 });
    for (const c of r4.claims.filter((c) => c.gated)) expect(c.pass, `seed 4: ${c.claim}: ${c.measured}`).toBe(true);
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
