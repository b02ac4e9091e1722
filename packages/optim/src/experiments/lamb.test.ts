import { describe, expect, it } from 'vitest';
import { lambExperiment } from './lamb.js';

describe('experiment lamb-large-batch', () => {
  it('quick mode: every gated claim passes; report-only claims are reported', async () => {
    const t0 = Date.now();
    const r = await lambExperiment.run({ quick: true, seed: 0, progress: (f, m) => console.log("PROG", f.toFixed(2), m, (Date.now() - t0) / 1000) });
    console.log("NOTES", r.notes!.join(" | ").slice(0, 1500));
    for (const c of r.claims) console.log(`${c.pass ? 'PASS' : 'FAIL'} ${c.gated ? 'gated' : 'report'} | ${c.claim} | ${c.measured}`);
    for (const c of r.claims.filter((c) => c.gated)) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.claims.filter((c) => !c.gated).length).toBe(3);
    expect(r.plots!.length).toBe(2);
  }, 120_000);
});
