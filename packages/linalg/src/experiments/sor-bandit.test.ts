import { describe, expect, it } from 'vitest';
import { runSorBanditSetting, sorBanditExperiment } from './sor-bandit.js';

describe('sor-bandit experiment', () => {
  it("meets the card's smoke gates on the high-variance sequence (T = 1000)", async () => {
    const s = await runSorBanditSetting('high', 1000, 0, { quick: true, seed: 0, progress: () => {} });
    const best = s.mean[`best fixed ω = ${s.bestFixedOmega.toFixed(2)}`];
    expect(s.bestFixedOmega).toBeCloseTo(1.8, 10);
    expect(s.mean['Tsallis-INF'] / best).toBeLessThanOrEqual(1.4);
    expect(s.mean.ChebCB / best).toBeLessThanOrEqual(0.85);
    // and every learner far below the practitioners' default ω = 1
    for (const k of ['Tsallis-INF', 'Tsallis-INF (exact normaliser)', 'Tsallis-INF-CB', 'ChebCB']) expect(s.mean[k]).toBeLessThan(0.3 * s.mean['ω = 1']);
    expect(s.mean['instance-optimal ω*']).toBeLessThan(s.mean.ChebCB);
  }, 120_000);

  it('is registered with its card', () => {
    expect(sorBanditExperiment.id).toBe('sor-bandit');
    expect(sorBanditExperiment.card).toBe('sor-bandit');
  });
});
