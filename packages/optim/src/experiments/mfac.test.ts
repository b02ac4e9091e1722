import { describe, expect, it } from 'vitest';
import { mfacExperiment } from './mfac.js';

describe('experiment mfac', () => {
  it('quick mode: every gated claim passes', async () => {
    const res = await mfacExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    expect(res.plots!.length).toBeGreaterThan(0);
  }, 90000);
});
