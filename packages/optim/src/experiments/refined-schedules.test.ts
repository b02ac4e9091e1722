import { describe, expect, it } from 'vitest';
import { refinedSchedulesExperiment } from './refined-schedules.js';

describe('experiment refined-schedules', () => {
  it('quick mode: every gated claim passes', async () => {
    const res = await refinedSchedulesExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    // The card's 2× against 1/√t is reported beside the 1.5× gate (see the experiment's note).
    const sqrt = res.claims.filter((c) => c.claim.includes('than 1/√t'));
    expect(sqrt.map((c) => c.gated)).toEqual([false, true]);
    expect(res.plots!.length).toBeGreaterThan(0);
  }, 240000);
});
