import { describe, expect, it } from 'vitest';
import { alfLbExperiment } from './alf-lb.js';

describe('experiment alf-lb', () => {
  it('quick mode: every gated claim passes, with MaxVio plots for each variant', async () => {
    const res = await alfLbExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of res.claims) if (c.gated) expect(c.pass, `${c.claim}: measured ${c.measured}, expected ${c.expected}`).toBe(true);
    const gated = res.claims.filter((c) => c.gated).map((c) => c.claim);
    // The claims issue 5 names are all present and gated.
    expect(gated.some((c) => c.includes('from about 5') && c.includes('about 0.1'))).toBe(true);
    expect(gated.some((c) => c.includes('no balancing does not'))).toBe(true);
    expect(gated.some((c) => c.includes('routing quality is kept'))).toBe(true);
    expect(gated.some((c) => c.includes('averaging per-shard sign updates'))).toBe(true);
    expect(gated.some((c) => c.includes('bit-identical'))).toBe(true);
    const titles = res.plots!.map((p) => p.title);
    expect(titles.some((t) => t.startsWith('E2 online: MaxVio vs step'))).toBe(true);
    expect(titles.some((t) => t.startsWith('E3 skewed stream'))).toBe(true);
    const e2 = res.plots!.find((p) => p.title.startsWith('E2 online: MaxVio'))!;
    expect(e2.kind === 'series' && e2.series.map((s) => s.name)).toEqual(
      expect.arrayContaining(['no balancing', 'sign, u=1e-4', 'sign, u=1e-3', 'sign, u=1e-2']),
    );
  }, 240000);
});
