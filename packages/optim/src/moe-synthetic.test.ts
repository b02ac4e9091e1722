import { describe, it, expect } from 'vitest';
import { OptkitError } from '@optkit/core';
import { SkewedScores, affineLogits, mixSeed, tokenNormals } from './moe-synthetic.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

/** out[t,i] = scale·x_t·w_i + β_i by a plain loop. */
function handLogits(x: Float64Array, count: number, d: number, W: Float64Array, E: number, beta: Float64Array, scale: number): Float64Array {
  const out = new Float64Array(count * E);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < E; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[t * d + j] * W[i * d + j];
      out[t * E + i] = scale * s + beta[i];
    }
  }
  return out;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

describe('mixSeed and tokenNormals', () => {
  it('are deterministic 32-bit functions of their inputs', () => {
    expect(mixSeed(1, 2, 3)).toBe(mixSeed(1, 2, 3));
    expect(mixSeed(1, 2, 3)).not.toBe(mixSeed(1, 2, 4));
    expect(mixSeed(1, 2, 3)).not.toBe(mixSeed(3, 2, 1));
    expect(mixSeed(2 ** 33 + 1)).not.toBe(mixSeed(1));
    const v = mixSeed(9, 9);
    expect(v).toBe(v | 0);
    const a = new Float64Array(7);
    const b = new Float64Array(9);
    tokenNormals(42, a, 0, 7);
    tokenNormals(42, b, 2, 7);
    expect(Array.from(b.subarray(2))).toEqual(Array.from(a));
    expect(b[0]).toBe(0);
    expect(b[1]).toBe(0);
  });

  it('tokenNormals has roughly standard normal moments', () => {
    const n = 20000;
    const z = new Float64Array(n);
    tokenNormals(123, z, 0, n);
    let mean = 0;
    for (const v of z) mean += v;
    mean /= n;
    let varSum = 0;
    for (const v of z) varSum += (v - mean) ** 2;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(varSum / n - 1)).toBeLessThan(0.05);
  });
});

describe('SkewedScores', () => {
  it('is reproducible for a seed and differs across seeds and layers', () => {
    const a = new SkewedScores({ numExperts: 6, dim: 4, seed: 5 });
    const b = new SkewedScores({ numExperts: 6, dim: 4, seed: 5 });
    expect(Array.from(a.expertVectors)).toEqual(Array.from(b.expertVectors));
    expect(Array.from(a.offsets)).toEqual(Array.from(b.offsets));
    expect(Array.from(a.batch(3, 10))).toEqual(Array.from(b.batch(3, 10)));
    expect(a.expertVectors.length).toBe(24);
    expect(a.offsets.length).toBe(6);
    const c = new SkewedScores({ numExperts: 6, dim: 4, seed: 6 });
    expect(Array.from(c.offsets)).not.toEqual(Array.from(a.offsets));
    const l = new SkewedScores({ numExperts: 6, dim: 4, seed: 5, layer: 1 });
    expect(Array.from(l.offsets)).not.toEqual(Array.from(a.offsets));
    expect(Array.from(a.batch(4, 10))).not.toEqual(Array.from(a.batch(3, 10)));
  });

  it('scores = sigmoid(x·w/√d + β) in (0, 1)', () => {
    const E = 5;
    const d = 3;
    const g = new SkewedScores({ numExperts: E, dim: d, seed: 2 });
    const T = 8;
    const s = g.batch(1, T);
    const x = g.fillTokens(1, 0, T, new Float64Array(T * d));
    const logits = handLogits(x, T, d, g.expertVectors, E, g.offsets, 1 / Math.sqrt(d));
    for (let k = 0; k < T * E; k++) {
      expect(s[k]).toBeGreaterThan(0);
      expect(s[k]).toBeLessThan(1);
      expect(s[k]).toBeCloseTo(1 / (1 + Math.exp(-logits[k])), 14);
    }
  });

  it('any split of the tokens gives the same scores', () => {
    const g = new SkewedScores({ numExperts: 4, dim: 6, seed: 9, skew: { groups: 2, amount: 1.5 } });
    const T = 12;
    const all = g.batch(7, T);
    const part = g.fill(7, 5, 4, T, new Float64Array(16));
    expect(Array.from(part)).toEqual(Array.from(all.subarray(5 * 4, 9 * 4)));
  });

  it('logitsFromTokens equals the hand loop plus skew on the home segment', () => {
    const E = 6;
    const d = 4;
    const T = 9;
    const amount = 2.5;
    const g = new SkewedScores({ numExperts: E, dim: d, seed: 1, skew: { groups: 3, amount } });
    const x = g.fillTokens(0, 0, T, new Float64Array(T * d));
    const out = g.logitsFromTokens(x, 0, T, T, new Float64Array(T * E));
    const base = handLogits(x, T, d, g.expertVectors, E, g.offsets, 1 / Math.sqrt(d));
    for (let t = 0; t < T; t++) {
      const home = Math.floor(t / 3); // 9 tokens, 3 segments of 3; 2 experts per segment
      for (let i = 0; i < E; i++) {
        const expected = base[t * E + i] + (Math.floor(i / 2) === home ? amount : 0);
        expect(out[t * E + i]).toBeCloseTo(expected, 13);
      }
    }
    // an offset `start` moves tokens between segments
    const sub = g.logitsFromTokens(x.subarray(0, d), 6, 1, T, new Float64Array(E));
    for (let i = 0; i < E; i++) expect(sub[i]).toBeCloseTo(base[i] + (i >= 4 ? amount : 0), 13);
    // without skew: exactly the affine logits
    const plain = new SkewedScores({ numExperts: E, dim: d, seed: 1 });
    const p = plain.logitsFromTokens(x, 0, T, T, new Float64Array(T * E));
    expectClose(p, base, 1e-13);
  });

  it('rejects bad options and short output buffers', () => {
    expect(codeOf(() => new SkewedScores({ numExperts: 8, skew: { groups: 3, amount: 1 } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SkewedScores({ numExperts: 8, skew: { groups: 16, amount: 1 } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SkewedScores({ numExperts: 8, skew: { groups: 2, amount: Number.NaN } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SkewedScores({ numExperts: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SkewedScores({ dim: 2.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => new SkewedScores({ layer: -1 }))).toBe('INVALID_OPTION');
    const g = new SkewedScores({ numExperts: 4, dim: 3 });
    expect(codeOf(() => g.fill(0, 0, 5, 5, new Float64Array(19)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => g.fillTokens(0, 0, 5, new Float64Array(14)))).toBe('SHAPE_MISMATCH');
  });
});

describe('affineLogits', () => {
  it('equals the hand loop and overwrites out', () => {
    const count = 3;
    const d = 5;
    const E = 4;
    const x = Float64Array.from({ length: count * d }, (_, i) => Math.sin(i + 1));
    const W = Float64Array.from({ length: E * d }, (_, i) => Math.cos(2 * i));
    const beta = Float64Array.of(0.1, -0.2, 0.3, 1);
    const out = new Float64Array(count * E).fill(123);
    affineLogits(x, count, d, W, E, beta, 0.7, out);
    expectClose(out, handLogits(x, count, d, W, E, beta, 0.7), 1e-13);
  });
});
