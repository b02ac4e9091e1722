import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { ballProjection, boxProjection, boxQuadratic, lionKappaExperiment, projectedGradient } from './lion-kappa.js';

describe('lion-kappa-constrained experiment', () => {
  it('is registered and passes every gated claim in quick mode', async () => {
    expect(plugin.experiments.map((e) => e.id)).toContain('lion-kappa-constrained');
    const r = await lionKappaExperiment.run({ quick: true, seed: 0, progress: () => {} });
    const gated = r.claims.filter((c) => c.gated);
    expect(gated.length).toBeGreaterThanOrEqual(8);
    for (const c of gated) expect(c.pass, `${c.claim}: ${c.measured}`).toBe(true);
    expect(r.plots!.length).toBe(2);
  }, 30_000);

  it('the projected-gradient references satisfy the KKT conditions', () => {
    const p = boxQuadratic(3);
    const g = new Float64Array(p.d);
    const x = projectedGradient(p, boxProjection(1));
    p.grad(x, g);
    for (let i = 0; i < p.d; i++) {
      // Interior: zero gradient; on the bound: the gradient pushes outward.
      if (Math.abs(x[i]) < 1 - 1e-9) expect(Math.abs(g[i])).toBeLessThan(1e-8);
      else expect(g[i] * Math.sign(x[i])).toBeLessThanOrEqual(1e-8);
    }
    const y = projectedGradient(p, ballProjection(1));
    p.grad(y, g);
    // On the sphere the gradient is anti-parallel to y: g = −μy with μ ≥ 0.
    const mu = -g.reduce((s, v, i) => s + v * y[i], 0);
    expect(mu).toBeGreaterThan(0);
    for (let i = 0; i < p.d; i++) expect(Math.abs(g[i] + mu * y[i])).toBeLessThan(1e-8);
  });
});
