import { describe, expect, it } from 'vitest';
import { adahessianExperiment } from './adahessian.js';

describe('experiment adahessian-vs-adam', () => {
  it('quick mode reproduces every gated claim of adahessian.md E2', async () => {
    const r = await adahessianExperiment.run({ quick: true, seed: 0, progress: () => {} });
    expect(r.claims.filter((c) => c.gated).length).toBe(3);
    for (const c of r.claims.filter((c) => c.gated)) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.claims.filter((c) => !c.gated).length).toBe(2);
    expect(r.tables!.length).toBe(3);
    expect(r.plots!.length).toBe(2);
  }, 180_000);
});
