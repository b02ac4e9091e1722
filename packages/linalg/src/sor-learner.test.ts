import { describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { defaultOmegaGrid, learnSorSequence, shiftedLaplacianJacobiRadius, shiftedLaplacianSequence, youngOmega } from './sor-learner.js';
import { sor } from './sor.js';

describe('Young ω* and the shifted Laplacian sequence', () => {
  it('youngOmega matches 2/(1 + sin(π/(m+1))) for the unshifted Laplacian', () => {
    expect(youngOmega(shiftedLaplacianJacobiRadius(10, 0))).toBeCloseTo(2 / (1 + Math.sin(Math.PI / 11)), 14);
    expect(youngOmega(0)).toBe(1);
    expect(() => youngOmega(1)).toThrow(OptkitError);
    expect(() => shiftedLaplacianJacobiRadius(10, -0.2)).toThrow(/indefinite/);
  });

  it('generates seeded shifted systems with contexts in [−0.15, 0.45] and ‖b‖ ≤ √n', () => {
    const a = [...shiftedLaplacianSequence({ count: 50, seed: 4 })];
    const b = [...shiftedLaplacianSequence({ count: 50, seed: 4 })];
    expect(a.map((s) => s.context)).toEqual(b.map((s) => s.context));
    for (const s of a) {
      expect(s.context).toBeGreaterThanOrEqual(-0.15);
      expect(s.context).toBeLessThanOrEqual(0.45);
      expect(s.A.rows).toBe(100);
      let n2 = 0;
      for (const v of s.b) n2 += v * v;
      expect(n2).toBeLessThanOrEqual(100);
      // diagonal = 4 + c
      const d = s.A.diagonal();
      expect(d[37]).toBeCloseTo(4 + s.context, 14);
    }
    // high variance has more mass near the singular end than low variance
    const lows = [...shiftedLaplacianSequence({ count: 400, seed: 1, variance: 'low' })].map((s) => s.context);
    const highs = [...shiftedLaplacianSequence({ count: 400, seed: 1, variance: 'high' })].map((s) => s.context);
    const near = (xs: number[]) => xs.filter((c) => c < -0.1).length;
    expect(near(highs)).toBeGreaterThan(near(lows));
  });
});

describe('learnSorSequence', () => {
  const systems = [...shiftedLaplacianSequence({ count: 40, seed: 2 })];
  it('with one arm costs exactly what fixed-ω SOR costs', () => {
    const r = learnSorSequence(systems, { arms: [1.5] });
    expect(r.omegas.every((w) => w === 1.5)).toBe(true);
    expect(r.iterations).toEqual(systems.map((s) => sor(s.A, s.b, { omega: 1.5 }).iterations));
    expect(r.total).toBe(r.iterations.reduce((a, b) => a + b, 0));
  });

  it('evaluateAllArms gives the best fixed arm in hindsight, consistent with the per-arm costs', () => {
    const arms = [1, 1.4, 1.8];
    const r = learnSorSequence(systems, { arms, evaluateAllArms: true, seed: 1, keepSolutions: true });
    const totals = arms.map((w) => systems.reduce((s, sys) => s + sor(sys.A, sys.b, { omega: w }).iterations, 0));
    expect(r.bestFixed!.total).toBe(Math.min(...totals));
    expect(r.bestFixed!.omega).toBe(arms[totals.indexOf(Math.min(...totals))]);
    expect(r.solutions!.length).toBe(systems.length);
    for (let t = 0; t < systems.length; t++) expect(r.armCosts![t * 3 + arms.indexOf(r.omegas[t])]).toBe(r.iterations[t]);
  });

  it('runs the contextual policies reproducibly', () => {
    for (const policy of ['tsallis-cb', 'chebcb'] as const) {
      const a = learnSorSequence(systems, { policy, seed: 9 });
      const b = learnSorSequence(systems, { policy, seed: 9 });
      expect(a.omegas).toEqual(b.omegas);
      expect(a.arms).toEqual(defaultOmegaGrid());
    }
  });

  it('refuses bad input', () => {
    expect(() => learnSorSequence(systems, { arms: [] })).toThrow(OptkitError);
    expect(() => learnSorSequence(systems, { arms: [1, 2] })).toThrow(/arms\[1\]/);
    expect(() => learnSorSequence(systems, { policy: 'ucb' as never })).toThrow(/policy/);
    expect(() => learnSorSequence([{ A: systems[0].A, b: systems[0].b }], { policy: 'chebcb' })).toThrow(/context/);
    expect(() => learnSorSequence(systems, { maxIter: 0 })).toThrow(/maxIter/);
    const ac = new AbortController();
    ac.abort();
    expect(() => learnSorSequence(systems, { signal: ac.signal })).toThrow(/aborted/);
  });
});
