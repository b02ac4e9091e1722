import { OptkitError, Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { AuxLossRouter } from './moe-aux-loss.js';
import { maxViolation } from './moe-balance.js';
import { SkewedScores } from './moe-synthetic.js';

describe('AuxLossRouter', () => {
  it('its SGD step is the gradient of L_task + L_bal (finite differences, counts held fixed)', () => {
    const rng = new Rng(4);
    const E = 5, d = 3, T = 7, K = 2;
    const W = rng.fillNormal(new Float64Array(E * d));
    const beta = rng.fillNormal(new Float64Array(E));
    const x = rng.fillNormal(new Float64Array(T * d));
    // Reference router differs from the start point so the task gradient is non-zero.
    const ref = { weights: rng.fillNormal(new Float64Array(E * d)), offsets: rng.fillNormal(new Float64Array(E)) };
    const make = (w: Float64Array, b: Float64Array) => new AuxLossRouter({ numExperts: E, topK: K, dim: d, weights: w, offsets: b, alpha: 0.7, lr: 1, reference: ref });
    const r = make(W, beta);
    const s0 = r.step(x, T, { taskLoss: true });
    const loss = (w: Float64Array, b: Float64Array) => {
      const st = make(w, b).step(x, T, { taskLoss: true });
      expect(Array.from(st.counts)).toEqual(Array.from(s0.counts));
      return st.balanceLoss + st.taskLoss;
    };
    const h = 1e-6;
    for (let j = 0; j < E; j++) {
      const bp = beta.slice(); bp[j] += h;
      const bm = beta.slice(); bm[j] -= h;
      const fd = (loss(W, bp) - loss(W, bm)) / (2 * h);
      expect(beta[j] - r.beta[j]).toBeCloseTo(fd, 7);
    }
    for (const k of [0, 4, 8, 14]) {
      const wp = W.slice(); wp[k] += h;
      const wm = W.slice(); wm[k] -= h;
      const fd = (loss(wp, beta) - loss(wm, beta)) / (2 * h);
      expect(W[k] - r.W[k]).toBeCloseTo(fd, 7);
    }
  });

  it('a large α balances the skewed router over steps; α = 0 leaves it unchanged', () => {
    const gen = new SkewedScores({ seed: 0 });
    const T = 256;
    const x = new Float64Array(T * 16);
    const mk = (alpha: number) => new AuxLossRouter({ numExperts: 16, topK: 2, dim: 16, weights: gen.expertVectors, offsets: gen.offsets, alpha, lr: 1 });
    const strong = mk(1);
    const none = mk(0);
    let first = 0, lastStrong = 0, lastNone = 0;
    for (let n = 0; n < 300; n++) {
      gen.fillTokens(n, 0, T, x);
      const a = strong.step(x, T);
      const b = none.step(x, T);
      if (n === 0) first = maxViolation(a.counts);
      if (n >= 250) { lastStrong += maxViolation(a.counts) / 50; lastNone += maxViolation(b.counts) / 50; }
    }
    expect(first).toBeGreaterThan(2);
    expect(lastNone).toBeGreaterThan(2);
    expect(lastStrong).toBeLessThan(0.5 * lastNone);
  });

  it('a shared precomputed p0 gives the same step as computing it', () => {
    const rng = new Rng(8);
    const W = rng.fillNormal(new Float64Array(12)), b = rng.fillNormal(new Float64Array(4)), x = rng.fillNormal(new Float64Array(30));
    const a = new AuxLossRouter({ numExperts: 4, topK: 2, dim: 3, weights: W, offsets: b, alpha: 0.5 });
    const c = new AuxLossRouter({ numExperts: 4, topK: 2, dim: 3, weights: W, offsets: b, alpha: 0.5 });
    const sa = a.step(x, 10, { taskLoss: true });
    const sc = c.step(x, 10, { p0: c.referenceProbabilities(x, 10), taskLoss: true });
    expect(sc.taskLoss).toBe(sa.taskLoss);
    expect(c.W).toEqual(a.W);
    expect(() => c.step(x, 10, { p0: new Float64Array(3) })).toThrow(OptkitError);
    expect(Number.isNaN(c.step(x, 10).taskLoss)).toBe(true);
  });

  it('rejects bad options', () => {
    const w = new Float64Array(6), b = new Float64Array(3);
    try { new AuxLossRouter({ numExperts: 3, topK: 1, dim: 2, weights: w, offsets: b, alpha: -1 }); expect.unreachable(); }
    catch (e) { expect(e).toBeInstanceOf(OptkitError); expect((e as OptkitError).argument).toBe('alpha'); }
    expect(() => new AuxLossRouter({ numExperts: 3, topK: 4, dim: 2, weights: w, offsets: b })).toThrow(OptkitError);
    expect(() => new AuxLossRouter({ numExperts: 3, topK: 1, dim: 2, weights: new Float64Array(5), offsets: b })).toThrow(/weights/);
  });
});
