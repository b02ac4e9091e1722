import { describe, expect, it } from 'vitest';
import { ChebCB, chebyshevFeatures } from './cheb-cb.js';

describe('chebyshevFeatures', () => {
  it('matches cos(j·arccos z)', () => {
    const out = new Float64Array(6);
    for (const z of [-1, -0.3, 0, 0.42, 1]) {
      chebyshevFeatures(z, out);
      for (let j = 0; j < 6; j++) expect(out[j]).toBeCloseTo(Math.cos(j * Math.acos(z)), 12);
    }
  });
});

describe('ChebCB', () => {
  it('learns a context-dependent best arm (cost minimised at arm ≈ context)', () => {
    const arms = [0, 0.25, 0.5, 0.75, 1];
    const bandit = new ChebCB(arms, { lo: 0, hi: 1, seed: 4 });
    let regretLate = 0;
    let uniformRegret = 0;
    let state = 12345;
    for (let t = 0; t < 1500; t++) {
      state = (state * 48271) % 2147483647;
      const c = (state % 1000) / 1000;
      const cost = (w: number) => 1 + Math.round(200 * (w - c) ** 2);
      const w = bandit.predict(c);
      const best = Math.min(...arms.map(cost));
      if (t >= 1000) {
        regretLate += cost(w) - best;
        uniformRegret += arms.reduce((s, a) => s + cost(a) - best, 0) / arms.length;
      }
      bandit.update(cost(w));
    }
    // far better than playing uniformly at random over the last 500 rounds
    expect(regretLate).toBeLessThan(0.25 * uniformRegret);
    expect(bandit.explorationRate).toBeGreaterThan(0);
    // predicted costs track the truth near the middle of the range
    const predicted = bandit.predictedCosts(0.5);
    const argmin = predicted.indexOf(Math.min(...predicted));
    expect(Math.abs(arms[argmin] - 0.5)).toBeLessThanOrEqual(0.25);
  });

  it('is reproducible for a seed and refuses bad input', () => {
    const run = () => {
      const b = new ChebCB([1, 1.5, 1.9], { seed: 9 });
      const played: number[] = [];
      for (let t = 0; t < 100; t++) {
        const w = b.predict(-0.1 + 0.007 * t);
        played.push(w);
        b.update(1 + Math.round(50 * Math.abs(w - 1.5)));
      }
      return played;
    };
    expect(run()).toEqual(run());
    expect(() => new ChebCB([1], { degree: 0 })).toThrow(/degree/);
    expect(() => new ChebCB([1], { lo: 0.5, hi: 0.5 })).toThrow(/hi/);
    const b = new ChebCB([1, 2]);
    expect(() => b.update(2)).toThrow(/predict before update/);
    expect(() => b.predict(Number.POSITIVE_INFINITY)).toThrow(/context/);
  });
});
