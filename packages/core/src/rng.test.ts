import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { Rng, rngFrom } from './rng.js';

describe('Rng', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = new Rng(42).fillUniform(new Float64Array(8));
    const b = new Rng(42).fillUniform(new Float64Array(8));
    const c = new Rng(43).fillUniform(new Float64Array(8));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('uniform stays in [low, high) with the right mean', () => {
    const r = new Rng(1);
    let sum = 0;
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform(-2, 3);
      if (!(u >= -2 && u < 3)) outside++;
      sum += u;
    }
    expect(outside).toBe(0);
    // mean 0.5, std of the mean = 5/sqrt(12 n) ~ 0.0046: 5 sigma
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.023);
  });

  it('normal has mean 0 and variance 1 (moments within 5 sigma)', () => {
    const r = new Rng(7);
    const n = 200_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
      s4 += z ** 4;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    const shifted = new Rng(7).fillNormal(new Float64Array(4), 10, 0);
    expect(Array.from(shifted)).toEqual([10, 10, 10, 10]);
  });

  it('permutation is a permutation and roughly uniform in its first position', () => {
    const r = new Rng(3);
    const p = r.permutation(50);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const counts = new Int32Array(4);
    for (let t = 0; t < 40_000; t++) counts[r.permutation(4)[0]]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('choice without replacement gives distinct values; with weights follows them', () => {
    const r = new Rng(5);
    const c = r.choice(10, 10);
    expect(new Set(c).size).toBe(10);
    const w = r.choice(3, 30_000, { weights: [1, 0, 3] });
    const counts = [0, 0, 0];
    for (const i of w) counts[i]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] / 30_000 - 0.75)).toBeLessThan(0.02);
    expect(() => r.choice(3, 4)).toThrow(OptkitError);
    expect(() => r.choice(3, 1, { weights: [1, 2] })).toThrow(/weights has length 2/);
    expect(() => r.choice(2, 1, { weights: [0, 0] })).toThrow(/sum to 0/);
  });

  it('gamma and beta have the right mean and variance (within 5 sigma)', () => {
    const rng = new Rng(11);
    const N = 40000;
    for (const [a, b] of [[0.5, 1.5], [2, 6], [1, 1]]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const x = rng.beta(a, b);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        s += x;
        s2 += x * x;
      }
      const mean = a / (a + b);
      const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expect(Math.abs(s / N - mean)).toBeLessThan(5 * Math.sqrt(variance / N));
      expect(Math.abs(s2 / N - (s / N) ** 2 - variance)).toBeLessThan(0.05 * variance);
    }
    for (const k of [0.3, 4.5]) {
      let s = 0;
      for (let i = 0; i < N; i++) s += rng.gamma(k);
      expect(Math.abs(s / N - k)).toBeLessThan(5 * Math.sqrt(k / N));
    }
    expect(() => rng.gamma(0)).toThrow(/shape/);
    expect(() => rng.gamma(Number.NaN)).toThrow(/shape/);
  });

  it('consecutive seeds give unrelated first draws (the seed is mixed into the whole state)', () => {
    const N = 2000;
    const first = new Float64Array(N);
    const second = new Float64Array(N);
    for (let s = 0; s < N; s++) {
      const r = new Rng(s);
      first[s] = r.uniform();
      second[s] = r.uniform();
    }
    const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;
    // uniform(0,1): mean 1/2 with sd sqrt(1/12/N) ≈ 0.0065
    expect(Math.abs(mean(first) - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(mean(second) - 0.5)).toBeLessThan(0.03);
    // no trend with the seed and no lag-1 correlation between neighbouring seeds' first draws
    let trend = 0;
    let lag = 0;
    for (let s = 0; s < N; s++) trend += (first[s] - 0.5) * (s / N - 0.5);
    for (let s = 1; s < N; s++) lag += (first[s] - 0.5) * (first[s - 1] - 0.5);
    expect(Math.abs(trend / N) / (1 / 12)).toBeLessThan(0.1);
    expect(Math.abs(lag / (N - 1)) / (1 / 12)).toBeLessThan(0.1);
  });

  it('split gives independent reproducible streams; clone replays', () => {
    const parent = new Rng(9);
    const child = parent.split();
    const x = child.uniform();
    const y = parent.uniform();
    expect(x).not.toBe(y);
    const again = new Rng(9).split().uniform();
    expect(again).toBe(x);
    const r = new Rng(11);
    const k = r.clone();
    expect(r.normal()).toBe(k.normal());
  });

  it('rejects a non-integer seed and bad sizes', () => {
    expect(() => new Rng(1.5)).toThrow(/seed/);
    expect(() => new Rng(0).permutation(-1)).toThrow(OptkitError);
  });

  it('rngFrom prefers rng, then seed', () => {
    const r = new Rng(1);
    expect(rngFrom({ rng: r, seed: 5 })).toBe(r);
    expect(rngFrom({ seed: 5 }).uniform()).toBe(new Rng(5).uniform());
    expect(rngFrom(undefined).uniform()).toBe(new Rng(0).uniform());
  });
});
