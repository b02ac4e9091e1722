import { OptkitError, Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { AlfLbBalancer, dualValue, maxViolation, solveAssignmentExact, solveAssignmentStatic } from './moe-balance.js';
import { SkewedScores } from './moe-synthetic.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code + ':' + (e as OptkitError).argument;
  }
  return undefined;
}

/** Brute force: best objective over all assignments of K distinct experts per token with per-expert capacity. */
function bruteForce(scores: Float64Array, T: number, E: number, K: number, cap: number): number {
  const subsets: number[][] = [];
  const rec = (start: number, cur: number[]) => {
    if (cur.length === K) return void subsets.push(cur.slice());
    for (let i = start; i < E; i++) rec(i + 1, [...cur, i]);
  };
  rec(0, []);
  let best = -Infinity;
  const load = new Int32Array(E);
  const go = (t: number, acc: number) => {
    if (t === T) return void (best = Math.max(best, acc));
    for (const S of subsets) {
      if (S.some((i) => load[i] >= cap)) continue;
      let add = 0;
      for (const i of S) {
        load[i]++;
        add += scores[t * E + i];
      }
      go(t + 1, acc + add);
      for (const i of S) load[i]--;
    }
  };
  go(0, 0);
  return best;
}

describe('AlfLbBalancer routing', () => {
  it('picks the top-k of score + bias, while the gate weights use the unbiased scores', () => {
    const bal = new AlfLbBalancer({ numExperts: 4, topK: 2 });
    bal.load({ bias: [0, 0.3, 0, -0.5], version: 0 });
    // token 0: s+b = [0.5, 0.7, 0.4, 0.4] -> experts 1, 0; token 1: s+b = [0.1, 0.5, 0.6, 0.4] -> 2, 1
    const s = new Float64Array([0.5, 0.4, 0.4, 0.9, 0.1, 0.2, 0.6, 0.9]);
    const r = bal.route(s, 2);
    expect(Array.from(r.experts)).toEqual([1, 0, 2, 1]);
    expect(Array.from(r.counts)).toEqual([1, 2, 1, 0]);
    // Weights from s only: 0.4/(0.4+0.5), 0.5/0.9; 0.6/(0.6+0.2), 0.2/0.8.
    expect(r.weights[0]).toBeCloseTo(0.4 / 0.9, 6);
    expect(r.weights[1]).toBeCloseTo(0.5 / 0.9, 6);
    expect(r.weights[2]).toBeCloseTo(0.75, 6);
    expect(r.weights[3]).toBeCloseTo(0.25, 6);
    expect(r.scoreSum).toBeCloseTo(0.4 + 0.5 + 0.6 + 0.2, 12);
    expect(r.biasedSum).toBeCloseTo(0.7 + 0.5 + 0.6 + 0.5, 12);
    // Without the bias, expert 3 (score 0.9) wins both tokens.
    const r0 = new AlfLbBalancer({ numExperts: 4, topK: 2 }).route(s, 2);
    expect(Array.from(r0.experts)).toEqual([3, 0, 3, 2]);
  });

  it('breaks ties toward the lowest expert index', () => {
    const bal = new AlfLbBalancer({ numExperts: 5, topK: 3, gate: 'raw' });
    const r = bal.route(new Float64Array([0.5, 0.7, 0.5, 0.7, 0.5]), 1);
    expect(Array.from(r.experts)).toEqual([1, 3, 0]);
  });

  it('raw and softmax gates and routeScale', () => {
    const raw = new AlfLbBalancer({ numExperts: 3, topK: 2, gate: 'raw', routeScale: 2.5 });
    raw.load({ bias: [1, 0, 0], version: 0 });
    const r = raw.route(new Float64Array([0.1, 0.3, 0.2]), 1);
    expect(Array.from(r.experts)).toEqual([0, 1]);
    expect(r.weights[0]).toBeCloseTo(0.25, 6);
    expect(r.weights[1]).toBeCloseTo(0.75, 6);
    const sm = new AlfLbBalancer({ numExperts: 3, topK: 1, gate: 'softmax' });
    sm.load({ bias: [0, 0, 0.5], version: 0 });
    // logits [0, ln 2, ln 3] -> probs [1/6, 2/6, 3/6]; biased [1/6, 1/3, 1] -> expert 2, weight 1/2.
    const q = sm.route(new Float64Array([0, Math.log(2), Math.log(3)]), 1);
    expect(q.experts[0]).toBe(2);
    expect(q.weights[0]).toBeCloseTo(0.5, 6);
    sm.load({ bias: [0.4, 0, 0], version: 0 });
    // biased [0.5667, 0.333, 0.5] -> expert 0 with its unbiased probability 1/6.
    const q2 = sm.route(new Float64Array([0, Math.log(2), Math.log(3)]), 1);
    expect(q2.experts[0]).toBe(0);
    expect(q2.weights[0]).toBeCloseTo(1 / 6, 6);
  });

  it('group-limited routing keeps the best groups by the sum of their two largest biased scores', () => {
    // 6 experts in 3 groups of 2, keep 1 group, K = 2.
    const bal = new AlfLbBalancer({ numExperts: 6, topK: 2, groups: { numGroups: 3, keepGroups: 1 } });
    // group sums: g0 = 0.9+0.0 = 0.9, g1 = 0.5+0.5 = 1.0, g2 = 0.6+0.3 = 0.9 -> group 1 even though expert 0 is best.
    const s = new Float64Array([0.9, 0.0, 0.5, 0.5, 0.6, 0.3]);
    expect(Array.from(bal.route(s, 1).experts)).toEqual([2, 3]);
    bal.load({ bias: [0, 0.2, 0, 0, 0, 0], version: 0 });
    // g0 becomes 1.1 -> experts 0, 1.
    expect(Array.from(bal.route(s, 1).experts)).toEqual([0, 1]);
  });
});

describe('AlfLbBalancer.update', () => {
  it("card known answer: preferences [0,0,0,1,1,2], top-1: loads [3,2,1], Δb = [-u, 0, +u]", () => {
    const u = 1e-3;
    const bal = new AlfLbBalancer({ numExperts: 3, topK: 1, updateRate: u });
    const prefs = [0, 0, 0, 1, 1, 2];
    const s = new Float64Array(18);
    prefs.forEach((p, t) => (s[t * 3 + p] = 1));
    const r = bal.route(s, 6);
    expect(Array.from(r.counts)).toEqual([3, 2, 1]);
    const up = bal.update(r.counts);
    expect(Array.from(up.bias)).toEqual([-u, 0, u]);
    expect(up.maxVio).toBeCloseTo(0.5, 15);
    expect(up.version).toBe(1);
    expect(bal.version).toBe(1);
  });

  it('sign(0) = 0 and the proportional rule steps u·(cbar − c)', () => {
    const sign = new AlfLbBalancer({ numExperts: 4, topK: 1, updateRate: 0.5 });
    expect(Array.from(sign.update(new Int32Array([5, 1, 3, 3])).bias)).toEqual([-0.5, 0.5, 0, 0]);
    const prop = new AlfLbBalancer({ numExperts: 4, topK: 1, updateRate: 0.5, rule: 'proportional' });
    expect(Array.from(prop.update(new Int32Array([5, 1, 3, 3])).bias)).toEqual([-1, 1, 0, 0]);
  });

  it('schedules: annealed u/√(n+1), inverseTime u/(1+n/n0), custom function', () => {
    const a = new AlfLbBalancer({ numExperts: 2, topK: 1, updateRate: 0.1, schedule: 'annealed' });
    expect(a.stepSize(0)).toBe(0.1);
    expect(a.stepSize(3)).toBe(0.1 / 2);
    const it = new AlfLbBalancer({ numExperts: 2, topK: 1, updateRate: 0.05, schedule: 'inverseTime' });
    expect(it.stepSize(50)).toBeCloseTo(0.025, 15);
    const f = new AlfLbBalancer({ numExperts: 2, topK: 1, schedule: (n) => (n < 2 ? 1 : 0) });
    f.update(new Int32Array([2, 0]));
    f.update(new Int32Array([2, 0]));
    expect(Array.from(f.update(new Int32Array([2, 0])).bias)).toEqual([-2, 2]);
    const bad = new AlfLbBalancer({ numExperts: 2, topK: 1, schedule: () => Number.NaN });
    expect(codeOf(() => bad.update(new Int32Array([1, 1])))).toBe('INVALID_OPTION:schedule');
  });

  it('recentring keeps mean(b) = 0 and changes no selection; D(b + c·1) = D(b)', () => {
    const gen = new SkewedScores({ seed: 3 });
    const T = 256;
    const s = gen.batch(0, T);
    const plain = new AlfLbBalancer({ numExperts: 16, topK: 2, updateRate: 0.01 });
    const cent = new AlfLbBalancer({ numExperts: 16, topK: 2, updateRate: 0.01, recenter: true });
    for (let n = 0; n < 50; n++) {
      const rp = plain.route(s, T);
      const rc = cent.route(s, T);
      expect(rc.experts).toEqual(rp.experts);
      const bp = plain.bias;
      const bc = cent.bias;
      expect(dualValue(rc, bc, T, 2)).toBeCloseTo(dualValue(rp, bp, T, 2), 9);
      plain.update(rp.counts);
      const b = cent.update(rc.counts).bias;
      expect(Math.abs(b.reduce((x, y) => x + y, 0))).toBeLessThan(1e-15);
    }
  });

  it('preference rule: after one step a token drops only overloaded/balanced experts and adds only underloaded/balanced ones', () => {
    const gen = new SkewedScores({ seed: 5 });
    const T = 512;
    const bal = new AlfLbBalancer({ numExperts: 16, topK: 2, updateRate: 1e-3 });
    const s = gen.batch(0, T);
    let violations = 0;
    for (let n = 0; n < 300; n++) {
      const before = bal.route(s, T);
      const cbar = (T * 2) / 16;
      bal.update(before.counts);
      const after = bal.route(s, T);
      for (let t = 0; t < T; t++) {
        const a = [before.experts[2 * t], before.experts[2 * t + 1]];
        const b2 = [after.experts[2 * t], after.experts[2 * t + 1]];
        for (const i of a) if (!b2.includes(i) && before.counts[i] < cbar) violations++;
        for (const i of b2) if (!a.includes(i) && before.counts[i] > cbar) violations++;
      }
    }
    expect(violations).toBe(0);
  });

  it('state() / load() round-trip the exact bias bits', () => {
    const bal = new AlfLbBalancer({ numExperts: 3, topK: 1, updateRate: 0.1 / 3 });
    bal.update(new Int32Array([4, 1, 1]));
    const st = JSON.parse(JSON.stringify(bal.state())) as { bias: number[]; version: number };
    const other = new AlfLbBalancer({ numExperts: 3, topK: 1 });
    other.load(st);
    expect(other.bias).toEqual(bal.bias);
    expect(other.version).toBe(1);
  });
});

describe('maxViolation', () => {
  it('is max_i c_i / cbar − 1', () => {
    expect(maxViolation([3, 2, 1])).toBe(0.5);
    expect(maxViolation([4, 4, 4, 4])).toBe(0);
    expect(maxViolation([8, 0, 0, 0])).toBe(3);
    expect(maxViolation([0, 0])).toBe(0);
  });
});

describe('assignment solvers', () => {
  it('exact solver matches brute force on tiny random cases (K = 1 and K = 2)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const K = trial % 2 === 0 ? 1 : 2;
      const E = K === 1 ? 3 : 4;
      const T = 6;
      const s = rng.fillUniform(new Float64Array(T * E));
      const cap = Math.ceil((T * K) / E);
      const exact = solveAssignmentExact(s, T, { numExperts: E, topK: K });
      expect(exact.objective).toBeCloseTo(bruteForce(s, T, E, K, cap), 12);
      for (let i = 0; i < E; i++) expect(exact.counts[i]).toBeLessThanOrEqual(cap);
      for (let t = 0; t < T; t++) if (K === 2) expect(exact.experts[2 * t]).not.toBe(exact.experts[2 * t + 1]);
    }
  });

  it('static ALF-LB (annealed) on T = 6, E = 3, K = 1: min D(b) equals the brute-force optimum, and D >= optimum always', () => {
    const rng = new Rng(2);
    for (let trial = 0; trial < 5; trial++) {
      const s = rng.fillUniform(new Float64Array(18));
      const opt = bruteForce(s, 6, 3, 1, 2);
      const res = solveAssignmentStatic(s, 6, { numExperts: 3, topK: 1, updateRate: 0.05, schedule: 'annealed', maxIter: 20000, tol: -0 });
      let minDual = Infinity;
      for (const h of res.history) {
        expect(h.dual).toBeGreaterThanOrEqual(opt - 1e-12);
        minDual = Math.min(minDual, h.dual);
      }
      expect(minDual - opt).toBeLessThan(1e-3);
      // The returned iterate is exactly balanced, so its selection is feasible and optimal when D = opt.
      expect(Array.from(res.counts)).toEqual([2, 2, 2]);
      expect(res.objective).toBeLessThanOrEqual(opt + 1e-12);
    }
  });
});

describe('bad input', () => {
  it('names the option or argument', () => {
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 5 }))).toBe('INVALID_OPTION:topK');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 0 }))).toBe('INVALID_OPTION:topK');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 1, updateRate: -1e-3 }))).toBe('INVALID_OPTION:updateRate');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 1, updateRate: Number.NaN }))).toBe('INVALID_OPTION:updateRate');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 0, topK: 1 }))).toBe('INVALID_OPTION:numExperts');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 1, rule: 'x' as 'sign' }))).toBe('INVALID_OPTION:rule');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 1, gate: 'x' as 'raw' }))).toBe('INVALID_OPTION:gate');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 4, topK: 1, schedule: 'x' as 'constant' }))).toBe('INVALID_OPTION:schedule');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 6, topK: 1, groups: { numGroups: 4, keepGroups: 1 } }))).toBe('INVALID_OPTION:groups.numGroups');
    expect(codeOf(() => new AlfLbBalancer({ numExperts: 6, topK: 3, groups: { numGroups: 3, keepGroups: 1 } }))).toBe('INVALID_OPTION:topK');
    const bal = new AlfLbBalancer({ numExperts: 4, topK: 2 });
    expect(codeOf(() => bal.route(new Float64Array(7), 2))).toBe('SHAPE_MISMATCH:scores');
    expect(codeOf(() => bal.route(new Float64Array([0, Number.NaN, 0, 0]), 1))).toBe('NOT_FINITE:scores');
    expect(codeOf(() => bal.route(new Float64Array(4), -1))).toBe('INVALID_ARGUMENT:numTokens');
    expect(codeOf(() => bal.update(new Int32Array(3)))).toBe('SHAPE_MISMATCH:globalCounts');
    expect(codeOf(() => bal.update([1, -1, 0, 0]))).toBe('INVALID_ARGUMENT:globalCounts');
    expect(codeOf(() => bal.load({ bias: [0, Number.NaN, 0, 0], version: 0 }))).toBe('NOT_FINITE:bias');
    expect(codeOf(() => solveAssignmentStatic(new Float64Array(8), 2, { numExperts: 4, topK: 2, maxIter: -1 }))).toBe('INVALID_OPTION:maxIter');
    expect(codeOf(() => solveAssignmentExact(new Float64Array(8), 2, { numExperts: 4, topK: 2, capacity: 0 }))).toBe('INVALID_OPTION:capacity');
    expect(codeOf(() => new SkewedScores({ numExperts: 16, skew: { groups: 3, amount: 1 } }))).toBe('INVALID_OPTION:skew.groups');
  });
});

describe('SkewedScores', () => {
  it('is seeded, and any split of a step into token ranges gives the same scores', () => {
    const g = new SkewedScores({ seed: 7, skew: { groups: 4, amount: 1.5 } });
    const T = 300;
    const all = g.batch(4, T);
    expect(new SkewedScores({ seed: 7, skew: { groups: 4, amount: 1.5 } }).batch(4, T)).toEqual(all);
    const parts = [0, 37, 64, 200, 300];
    for (let p = 0; p + 1 < parts.length; p++) {
      const out = new Float64Array((parts[p + 1] - parts[p]) * 16);
      g.fill(4, parts[p], parts[p + 1] - parts[p], T, out);
      expect(out).toEqual(all.subarray(parts[p] * 16, parts[p + 1] * 16));
    }
    expect(g.batch(5, T)).not.toEqual(all);
  });

  it('is skewed: with b = 0 the max load violation is several times the mean load', () => {
    const g = new SkewedScores({ seed: 0 });
    const T = 2048;
    const r = new AlfLbBalancer({ numExperts: 16, topK: 2 }).route(g.batch(0, T), T);
    expect(maxViolation(r.counts)).toBeGreaterThan(2);
  });
});
