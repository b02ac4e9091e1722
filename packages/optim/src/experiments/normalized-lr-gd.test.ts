import { describe, expect, it } from 'vitest';
import { normalizedLrGdExperiment } from './normalized-lr-gd.js';

describe('experiment normalized-lr-gd', () => {
  it('quick mode: every gated claim passes', async () => {
    const res = await normalizedLrGdExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    expect(res.plots!.length).toBeGreaterThan(0);
  }, 90000);
});
