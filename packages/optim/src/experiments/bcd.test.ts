import { describe, expect, it } from 'vitest';
import { bcdExperiment } from './bcd.js';

describe('experiment bcd', () => {
  it('quick mode: every gated claim passes, with plots', async () => {
    const res = await bcdExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    expect(res.plots!.length).toBeGreaterThanOrEqual(5);
  }, 90000);
});
