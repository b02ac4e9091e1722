import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { deepConjugateDirectionExperiment } from './deep-conjugate-direction.js';

describe('deep-conjugate-direction experiment', () => {
  it('is registered in the plugin', () => {
    expect(plugin.experiments.map((e) => e.id)).toContain('deep-conjugate-direction');
  });

  it('passes every gated claim in quick mode with the shipped model', async () => {
    const r = await deepConjugateDirectionExperiment.run({ quick: true, seed: 0, progress: () => {} });
    const gated = r.claims.filter((c) => c.gated);
    // loss, 2 tolerances × 3 kinds of rhs, identity ⇒ CG
    expect(gated).toHaveLength(8);
    for (const c of gated) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.plots).toHaveLength(3);
    expect(r.tables![0].rows).toHaveLength(6);
    // The deflated-CG baseline is reported, not gated.
    expect(r.claims.filter((c) => !c.gated && /deflated CG/.test(c.claim))).toHaveLength(2);
  }, 60_000);
});
