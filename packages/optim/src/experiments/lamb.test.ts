import { describe, expect, it } from 'vitest';
import { lambExperiment } from './lamb.js';

describe('experiment lamb-large-batch', () => {
  it('quick mode: every gated claim passes (E1 known answers, finite ρ); E2 claims are report-only', async () => {
    const r = await lambExperiment.run({ quick: true, seed: 0, progress: () => {} });
    expect(r.claims.filter((c) => c.gated).length).toBe(8);
    for (const c of r.claims.filter((c) => c.gated)) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.claims.filter((c) => !c.gated).length).toBe(3);
    expect(r.plots!.length).toBe(2);
  }, 120_000);
});
