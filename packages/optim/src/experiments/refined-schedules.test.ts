import { describe, expect, it } from 'vitest';
import { refinedSchedulesExperiment } from './refined-schedules.js';

describe('experiment refined-schedules', () => {
  it('quick mode: every gated claim passes', async () => {
    const res = await refinedSchedulesExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    expect(res.plots!.length).toBeGreaterThan(0);
  }, 240000);
});
