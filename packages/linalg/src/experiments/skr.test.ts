import { describe, expect, it } from 'vitest';
import { skrExperiment } from './skr.js';

describe('skr experiment', () => {
  it('is registered in the plugin', async () => {
    const { plugin } = await import('../plugin.js');
    expect(plugin.experiments.map((e) => e.id)).toContain('skr');
  });

  it('passes its gated claims in quick mode (n = 1024, N = 10)', async () => {
    const r = await skrExperiment.run({ quick: true, seed: 0, progress: () => {} });
    const gated = r.claims.filter((c) => c.gated);
    expect(gated).toHaveLength(3);
    for (const c of gated) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.claims.filter((c) => !c.gated).length).toBeGreaterThanOrEqual(3);
    expect(r.plots!.length).toBe(3);
    expect(r.tables![0].rows).toHaveLength(4);
  }, 60_000);
});
