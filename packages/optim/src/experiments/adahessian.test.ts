import { describe, expect, it } from 'vitest';
import { adahessianExperiment } from './adahessian.js';

describe('experiment adahessian-vs-adam', () => {
  it('quick mode reproduces every gated claim', async () => {
    const t0 = Date.now();
    const r = await adahessianExperiment.run({ quick: true, seed: 0, progress: () => {} });
    for (const c of r.claims) console.log(`${c.pass ? 'PASS' : 'FAIL'} ${c.gated ? 'gated' : 'report'} | ${c.claim} | ${c.measured} | ${c.expected}`);
    console.log('seconds', (Date.now() - t0) / 1000);
    for (const c of r.claims.filter((c) => c.gated)) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.plots!.length).toBe(2);
  }, 60_000);
});
