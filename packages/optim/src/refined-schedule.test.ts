import { describe, expect, it } from 'vitest';
import { OptkitError, Rng, linearSchedule } from '@optkit/core';
import {
  inverseSqrtSchedule,
  lastIterateBound,
  medianFilterEndReflect,
  polynomialDecaySchedule,
  refineSchedule,
  resampleLinear,
  stepSchedule,
} from './refined-schedule.js';

/**
 * scipy.ndimage.gaussian_filter1d(x, sigma, mode='nearest'), truncate 4. (The card's prototype numbers
 * are reproduced with 'nearest' edges; scipy's default 'reflect' halves the initial norm spike and
 * gives a start value of 0.042 instead of 0.011, with the same argmax and tail values.)
 */
function gaussianFilter(x: Float64Array, sigma: number): Float64Array {
  const r = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  const n = x.length;
  const at = (i: number) => x[i < 0 ? 0 : i >= n ? n - 1 : i];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = -r; j <= r; j++) acc += k[j + r] * at(i + j);
    out[i] = acc;
  }
  return out;
}

/** The official synthetic profile: piecewise linear through (0,15), (0.003,6), (0.02,4), (0.03,2), (0.1,1), (1, tail), σ = 40. */
function syntheticNorms(T: number, tail: number): Float64Array {
  const xs = [0, 0.003, 0.02, 0.03, 0.1, 1];
  const ys = [15, 6, 4, 2, 1, tail];
  const g = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const u = t / (T - 1);
    let i = 0;
    while (i < xs.length - 2 && u > xs[i + 1]) i++;
    const f = (u - xs[i]) / (xs[i + 1] - xs[i]);
    g[t] = ys[i] + f * (ys[i + 1] - ys[i]);
  }
  return gaussianFilter(g, 40);
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return `${(e as OptkitError).code}:${(e as OptkitError).argument}`;
  }
  throw new Error('did not throw');
}

describe('refineSchedule', () => {
  it('flat norms give exactly linear decay (T − 1 − t)/(T − 1), for any τ', () => {
    for (const tau of [0, 0.1, 0.5]) {
      const T = 1000;
      const r = refineSchedule(new Float64Array(T).fill(3.7), { tau });
      let maxDiff = 0;
      for (let t = 0; t < T; t++) maxDiff = Math.max(maxDiff, Math.abs(r.values[t] - (T - 1 - t) / (T - 1)));
      expect(maxDiff).toBeLessThan(1e-15);
      expect(r.warmupSteps).toBe(0);
      expect(r.schedule(0)).toBe(1);
      expect(r.schedule(T - 1)).toBe(0);
      expect(r.schedule(T + 5)).toBe(0);
    }
  });

  it('is scale invariant and ignores non-finite entries', () => {
    const rng = new Rng(4);
    const G = Float64Array.from({ length: 300 }, () => 1 + rng.uniform());
    const a = refineSchedule(G, { tau: 0.05 });
    const b = refineSchedule(G.map((g) => 1e6 * g), { tau: 0.05 });
    for (let t = 0; t < 300; t++) expect(b.values[t]).toBeCloseTo(a.values[t], 12);
    const withNaN = [...G.slice(0, 100), NaN, Infinity, ...G.slice(100)];
    const c = refineSchedule(withNaN, { tau: 0.05 });
    expect(Array.from(c.values)).toEqual(Array.from(a.values));
  });

  it('card E1 synthetic profiles: warm-up emerges; a higher tail anneals earlier, a lower tail stays high longer', () => {
    const T = 2000;
    const stats = (tail: number) => {
      const r = refineSchedule(syntheticNorms(T, tail), { tau: 0, power: 2 });
      return { start: r.values[0], argmax: r.warmupSteps / T, mid: r.values[T / 2], late: r.values[0.9 * T] };
    };
    // Prototype: 0.011 / 0.135T / 0.583 / 0.116 (tail 1); 0.012 / 0.121T / 0.212 / 0.019 (tail 2);
    // 0.010 / 0.150T / 0.860 / 0.283 (tail 0.7).
    const expected: [number, number[]][] = [
      [1, [0.011, 0.135, 0.583, 0.116]],
      [2, [0.012, 0.121, 0.212, 0.019]],
      [0.7, [0.01, 0.15, 0.86, 0.283]],
    ];
    for (const [tail, [start, argmax, mid, late]] of expected) {
      const s = stats(tail);
      expect(s.start, `start, tail ${tail}`).toBeCloseTo(start, 2);
      expect(s.argmax, `argmax/T, tail ${tail}`).toBeCloseTo(argmax, 2);
      expect(s.mid, `s(0.5T), tail ${tail}`).toBeCloseTo(mid, 2);
      expect(s.late, `s(0.9T), tail ${tail}`).toBeCloseTo(late, 2);
    }
  });

  it('median filter equals a brute-force numpy/scipy re-statement (end reflect pad, nearest edges)', () => {
    const rng = new Rng(9);
    const x = Float64Array.from({ length: 37 }, () => rng.normal());
    for (const w of [1, 3, 7, 21]) {
      const n = x.length;
      const ext = [...x];
      // np.pad reflect (edge not repeated).
      for (let k = 1; k <= 2 * w; k++) {
        const period = 2 * (n - 1);
        let p = (n - 1 + k) % period;
        if (p > n - 1) p = period - p;
        ext.push(x[p]);
      }
      const half = (w - 1) / 2;
      const brute = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const win: number[] = [];
        for (let j = i - half; j <= i + half; j++) win.push(ext[Math.min(Math.max(j, 0), ext.length - 1)]);
        win.sort((a, b) => a - b);
        brute[i] = win[half];
      }
      expect(Array.from(medianFilterEndReflect(x, w))).toEqual(Array.from(brute));
    }
  });

  it('a spike in the norms is removed by the median filter', () => {
    const G = new Float64Array(200).fill(1);
    G[150] = 1000;
    const r = refineSchedule(G, { tau: 0.1 });
    expect(r.smoothedNorms[150]).toBe(1);
  });

  it('resamples to a different T by linear interpolation', () => {
    expect(Array.from(resampleLinear(new Float64Array([0, 2]), 5))).toEqual([0, 0.5, 1, 1.5, 2]);
    const r = refineSchedule(new Float64Array(50).fill(2), { T: 101, tau: 0 });
    expect(r.values.length).toBe(101);
    expect(r.values[50]).toBeCloseTo(0.5, 14);
  });

  it('bad input: empty, non-positive norms, T < 2, τ outside [0, 1], power ≤ 0', () => {
    expect(code(() => refineSchedule([]))).toBe('EMPTY_INPUT:gradNorms');
    expect(code(() => refineSchedule([NaN, Infinity]))).toBe('EMPTY_INPUT:gradNorms');
    expect(code(() => refineSchedule([1, 0, 2]))).toBe('INVALID_ARGUMENT:gradNorms');
    expect(code(() => refineSchedule([1, -2, 2]))).toBe('INVALID_ARGUMENT:gradNorms');
    expect(code(() => refineSchedule([1, 2, 3], { T: 1 }))).toBe('INVALID_OPTION:T');
    expect(code(() => refineSchedule([1, 2, 3], { tau: 1.5 }))).toBe('INVALID_OPTION:tau');
    expect(code(() => refineSchedule([1, 2, 3], { tau: NaN }))).toBe('INVALID_OPTION:tau');
    expect(code(() => refineSchedule([1, 2, 3], { power: 0 }))).toBe('INVALID_OPTION:power');
  });
});

describe('lastIterateBound', () => {
  it('known answer: linear decay best-scaled for G ≡ 1, T = 200, D = 1 gives ≈ 0.1430 (card prototype)', () => {
    const T = 200;
    const lin = linearSchedule({ init: 1, end: 0, steps: T });
    const base = Float64Array.from({ length: T }, (_, t) => lin(t));
    const G = new Float64Array(T).fill(1);
    const boundAt = (logc: number) => lastIterateBound(base.map((w) => Math.exp(logc) * w), G, 1);
    // Golden-section search over the log-scale.
    let a = -8;
    let b = 2;
    const phi = (Math.sqrt(5) - 1) / 2;
    for (let k = 0; k < 200; k++) {
      const c = b - phi * (b - a);
      const d = a + phi * (b - a);
      if (boundAt(c) < boundAt(d)) b = d;
      else a = c;
    }
    const best = boundAt((a + b) / 2);
    expect(best).toBeGreaterThan(0.1420);
    expect(best).toBeLessThan(0.1440);
    // The constant schedule at its best scale is worse.
    const constBest = Math.min(...Array.from({ length: 200 }, (_, i) => lastIterateBound(new Float64Array(T).fill(Math.exp(-8 + i * 0.05)), G, 1)));
    expect(constBest).toBeGreaterThan(best);
  });

  it('is infinite for the closed-form schedule (last weight 0) and validates input', () => {
    const r = refineSchedule(new Float64Array(10).fill(1));
    expect(lastIterateBound(r.values, new Float64Array(10).fill(1))).toBe(Infinity);
    expect(code(() => lastIterateBound([1, 2], [1]))).toBe('SHAPE_MISMATCH:gradNorms');
    expect(code(() => lastIterateBound([1, -2], [1, 1]))).toBe('INVALID_ARGUMENT:weights');
    expect(code(() => lastIterateBound([1, NaN], [1, 1]))).toBe('NOT_FINITE:weights');
  });
});

describe('baseline schedules', () => {
  it('inverse square root, step and polynomial decay with warm-up: known values', () => {
    const inv = inverseSqrtSchedule();
    expect(inv(0)).toBe(1);
    expect(inv(3)).toBe(0.5);
    const st = stepSchedule(100);
    expect([st(0), st(49), st(50), st(74), st(75), st(99)]).toEqual([1, 1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]);
    const poly = polynomialDecaySchedule(10, { power: 2, warmup: 2 });
    expect([poly(0), poly(1), poly(2), poly(6), poly(10), poly(20)]).toEqual([0.5, 1, 1, 0.25, 0, 0]);
    // Power 1 without warm-up equals core's linear decay 1 − t/T.
    const lin = linearSchedule({ init: 1, end: 0, steps: 10 });
    const p1 = polynomialDecaySchedule(10);
    for (let t = 0; t <= 12; t++) expect(p1(t)).toBeCloseTo(lin(t), 15);
  });

  it('bad options are named', () => {
    expect(code(() => stepSchedule(0))).toBe('INVALID_OPTION:T');
    expect(code(() => stepSchedule(10, { gamma: 0 }))).toBe('INVALID_OPTION:gamma');
    expect(code(() => stepSchedule(10, { milestones: [0.7, 0.5] }))).toBe('INVALID_OPTION:milestones[1]');
    expect(code(() => polynomialDecaySchedule(10, { warmup: 10 }))).toBe('INVALID_OPTION:warmup');
    expect(code(() => polynomialDecaySchedule(10, { power: -1 }))).toBe('INVALID_OPTION:power');
  });
});
