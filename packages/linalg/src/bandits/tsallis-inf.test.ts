import { describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { TsallisInf, TsallisInfCB } from './tsallis-inf.js';

describe('TsallisInf', () => {
  it('with one arm always plays it', () => {
    const bandit = new TsallisInf([1.3], { seed: 1 });
    for (let t = 0; t < 50; t++) {
      expect(bandit.predict()).toBe(1.3);
      bandit.update(5 + (t % 7));
    }
  });

  it('normaliser gives Σp = 1 to 1e-9, and the bracket and reference Newton starts agree to 1e-9 while costs are moderate', () => {
    const arms = Array.from({ length: 20 }, (_, i) => 1 + 0.05 * i);
    const a = new TsallisInf(arms, { seed: 7, newtonStart: 'bracket' });
    const b = new TsallisInf(arms, { seed: 7, newtonStart: 'reference' });
    let costSeed = 1;
    for (let t = 0; t < 300; t++) {
      const pa = a.distribution();
      const pb = b.distribution();
      // un-normalised sums too: both Newton iterations must have found the root
      let sum = 0;
      for (let i = 0; i < arms.length; i++) {
        sum += pa[i];
        expect(Math.abs(pa[i] - pb[i])).toBeLessThan(1e-9);
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
      const wa = a.predict();
      const wb = b.predict();
      expect(wa).toBe(wb); // same seed, same distribution, same draw
      costSeed = (costSeed * 48271) % 2147483647;
      const cost = 1 + Math.round(Math.abs(wa - 1.6) * 400) + (costSeed % 5);
      a.update(cost);
      b.update(cost);
    }
  });

  it('with large normalised cumulative costs the reference start lands on the mirror root (greedy) while the bracket keeps Σp = 1 with exploration', () => {
    // The state a Tsallis-INF learner reached after 135 rounds of the paper's high-variance SOR sequence.
    const K = [32640, 53421, 138847, 36759, 12901, 65563, 30239, 19349, 71604, 60735, 33940, 15064, 20595, 21652, 9438, 10002, 9842, 15861, 12343, 43914];
    const arms = K.map((_, i) => 1 + 0.05 * i);
    const load = (b: TsallisInf) => {
      const internals = b as unknown as { cumulative: Float64Array; scale: number; round: number };
      internals.cumulative.set(K);
      internals.scale = 214.23703703703703;
      internals.round = 136;
      return b.distribution();
    };
    const pe = load(new TsallisInf(arms, { newtonStart: 'bracket' }));
    const pr = load(new TsallisInf(arms, { newtonStart: 'reference' }));
    const leader = K.indexOf(Math.min(...K));
    // exact: the leader is favoured but others keep probability
    expect(pe[leader]).toBeGreaterThan(0.15);
    expect(pe[leader]).toBeLessThan(0.5);
    // reference: (almost) everything on the leader
    expect(pr[leader]).toBeGreaterThan(0.99);
  });

  it('the probability of the worse of two arms (costs 10 and 20) is below 5% after 2000 rounds', () => {
    const bandit = new TsallisInf([0, 1], { seed: 3 });
    for (let t = 0; t < 2000; t++) {
      const arm = bandit.predict();
      bandit.update(arm === 0 ? 10 : 20);
    }
    expect(bandit.distribution()[1]).toBeLessThan(0.05);
  });

  it('refuses bad input', () => {
    expect(() => new TsallisInf([])).toThrow(OptkitError);
    expect(() => new TsallisInf([1, Number.NaN])).toThrow(/arms\[1\]/);
    expect(() => new TsallisInf([1], { newtonSteps: 0 })).toThrow(/newtonSteps/);
    const bandit = new TsallisInf([1, 2]);
    expect(() => bandit.update(3)).toThrow(/predict before update/);
    bandit.predict();
    expect(() => bandit.update(0.5)).toThrow(/cost/);
    expect(() => bandit.update(Number.NaN)).toThrow(/cost/);
  });
});

describe('TsallisInfCB', () => {
  it('routes contexts to the nearest bin centre and learns per bin', () => {
    const bandit = new TsallisInfCB([0, 1], { bins: 2, lo: 0, hi: 1, seed: 2 });
    expect(bandit.binOf(0.1)).toBe(0);
    expect(bandit.binOf(0.9)).toBe(1);
    expect(bandit.binOf(-5)).toBe(0);
    expect(bandit.binOf(5)).toBe(1);
    // In bin 0 arm 0 is cheap; in bin 1 arm 1 is cheap.
    let lateCorrect = 0;
    for (let t = 0; t < 4000; t++) {
      const context = t % 2 === 0 ? 0.2 : 0.8;
      const arm = bandit.predict(context);
      const good = (context < 0.5 && arm === 0) || (context > 0.5 && arm === 1);
      if (t >= 3000 && good) lateCorrect++;
      bandit.update(good ? 10 : 20);
    }
    expect(lateCorrect / 1000).toBeGreaterThan(0.9);
    expect(() => bandit.predict(Number.NaN)).toThrow(/context/);
    expect(() => new TsallisInfCB([1], { lo: 1, hi: 0 })).toThrow(/hi/);
  });
});
