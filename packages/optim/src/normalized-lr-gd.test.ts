import { describe, expect, it } from 'vitest';
import { CsrMatrix, OptkitError, Rng } from '@optkit/core';
import { batchPerceptron, logisticGD, logisticLoss, marginOf, normalizedLogisticGD, type LogisticData } from './normalized-lr-gd.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return `${(e as OptkitError).code}:${(e as OptkitError).argument}`;
  }
  throw new Error('did not throw');
}

/** Card E1 data: d = 20, a ~ N(0, I), w* random unit, keep |w*ᵀa| > 0.1, labels sign(w*ᵀa). */
export function separableGaussian(draws = 2000, d = 20, seed = 0): LogisticData {
  const rng = new Rng(seed);
  const w = rng.fillNormal(new Float64Array(d)) as Float64Array;
  const wn = Math.hypot(...w);
  for (let j = 0; j < d; j++) w[j] /= wn;
  const rows: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < draws; k++) {
    const a = rng.fillNormal(new Float64Array(d)) as Float64Array;
    let s = 0;
    for (let j = 0; j < d; j++) s += a[j] * w[j];
    if (Math.abs(s) > 0.1) {
      rows.push(...a);
      ys.push(Math.sign(s));
    }
  }
  return { A: { rows: ys.length, cols: d, data: Float64Array.from(rows) }, y: Float64Array.from(ys) };
}

/** Card E2 hard family: n − 1 copies of (1, 0) and one (−1, 0.1), all labels +1. */
export function hardFamily(n: number): LogisticData {
  const data = new Float64Array(2 * n);
  for (let i = 0; i < n - 1; i++) data[2 * i] = 1;
  data[2 * (n - 1)] = -1;
  data[2 * (n - 1) + 1] = 0.1;
  return { A: { rows: n, cols: 2, data }, y: new Float64Array(n).fill(1) };
}

describe('normalizedLogisticGD / logisticGD / batchPerceptron', () => {
  it('card E1 perceptron limit: with γ = 1e6, x_t/γ equals the batch-perceptron iterate (½ weights on ties) for t = 1..5', () => {
    // The first seed whose data needs more than 5 perceptron iterations, so all five steps are compared
    // before separation (most seeds separate in fewer).
    let seed = 0;
    while (batchPerceptron(separableGaussian(2000, 20, seed)).iterations <= 5) seed++;
    expect(seed).toBeLessThan(100);
    const data = separableGaussian(2000, 20, seed);
    const gamma = 1e6;
    for (let t = 1; t <= 5; t++) {
      const lr = logisticGD(data, { gamma, maxIter: t });
      const bp = batchPerceptron(data, { maxIter: t });
      expect(lr.iterations).toBe(t);
      expect(bp.iterations).toBe(t);
      let err = 0;
      for (let j = 0; j < lr.x.length; j++) err = Math.max(err, Math.abs(lr.x[j] / gamma - bp.x[j]));
      expect(err, `t = ${t}`).toBeLessThan(1e-12);
    }
  });

  it('loss and gradient: finite differences agree; margins ±1e4 give finite values', () => {
    const data = separableGaussian(200, 5, 3);
    const rng = new Rng(1);
    const x = rng.fillNormal(new Float64Array(5)) as Float64Array;
    const g = new Float64Array(5);
    logisticLoss(data, x, g);
    for (let j = 0; j < 5; j++) {
      const h = 1e-6;
      const xp = x.slice();
      const xm = x.slice();
      xp[j] += h;
      xm[j] -= h;
      expect(g[j]).toBeCloseTo((logisticLoss(data, xp) - logisticLoss(data, xm)) / (2 * h), 7);
    }
    const big = { A: { rows: 2, cols: 1, data: new Float64Array([1, -1]) }, y: new Float64Array([1, 1]) };
    const gb = new Float64Array(1);
    const f = logisticLoss(big, new Float64Array([1e4]), gb);
    expect(f).toBeCloseTo(1e4 / 2, 6);
    expect(Number.isFinite(gb[0])).toBe(true);
    expect(gb[0]).toBeCloseTo(0.5, 12); // −(1/2)(σ(−1e4)·1 + σ(1e4)·(−1)) = ½
  });

  it('normalised method: iterations ≤ ⌈R²/μ²⌉ on two parallel hyperplanes ±μ (known margin)', () => {
    // Points (±μ, t_i) with labels ±1: max-margin direction e₁, margin μ, R = max‖a‖.
    const rng = new Rng(7);
    const mu = 0.2;
    const n = 400;
    const data = new Float64Array(2 * n);
    const y = new Float64Array(n);
    let R2 = 0;
    for (let i = 0; i < n; i++) {
      y[i] = i % 2 === 0 ? 1 : -1;
      data[2 * i] = y[i] * mu;
      data[2 * i + 1] = rng.uniform(-1, 1);
      R2 = Math.max(R2, data[2 * i] ** 2 + data[2 * i + 1] ** 2);
    }
    const set = { A: { rows: n, cols: 2, data }, y };
    const res = normalizedLogisticGD(set, { gamma: 100 });
    expect(res.separated).toBe(true);
    expect(res.iterations).toBeLessThanOrEqual(Math.ceil(R2 / mu ** 2));
    const bp = batchPerceptron(set, { normalized: true });
    expect(bp.separated).toBe(true);
    expect(bp.iterations).toBeLessThanOrEqual(Math.ceil(R2 / mu ** 2));
    expect(marginOf(set, res.x)).toBeGreaterThan(0);
  });

  it('card E2 hard family: gradNorm separates in ≤ 3 iterations for every n; perceptron and LR+GD(γ = 100) grow ~linearly', () => {
    const counts: Record<string, number[]> = { norm: [], bp: [], lr100: [] };
    for (const n of [10, 100, 1000]) {
      const data = hardFamily(n);
      counts.norm.push(normalizedLogisticGD(data, { gamma: 10 }).iterations);
      counts.bp.push(batchPerceptron(data).iterations);
      counts.lr100.push(logisticGD(data, { gamma: 100 }).iterations);
    }
    for (const c of counts.norm) expect(c).toBeLessThanOrEqual(3);
    // Prototype: perceptron 5, 149, 496; LR+GD(γ = 100) 5, 658, 8901.
    expect(counts.bp[2]).toBeGreaterThan(100);
    expect(counts.lr100[2] / counts.lr100[1]).toBeGreaterThan(8);
    expect(counts.lr100[2]).toBeGreaterThan(3000);
  });

  it('card E2 gate at full size: batch-perceptron iterations at n = 10⁴ are ≥ 8× those at n = 10³', () => {
    const a = batchPerceptron(hardFamily(1000)).iterations;
    const b = batchPerceptron(hardFamily(10000)).iterations;
    expect(b / a).toBeGreaterThanOrEqual(8);
    expect(normalizedLogisticGD(hardFamily(10000), { gamma: 10 }).iterations).toBeLessThanOrEqual(3);
  });

  it('CSR and dense designs give the same iterates', () => {
    const data = separableGaussian(300, 6, 2);
    const A = data.A as { rows: number; cols: number; data: Float64Array };
    const csr = CsrMatrix.fromDense(A);
    const a = normalizedLogisticGD(data, { gamma: 1, maxIter: 20 });
    const b = normalizedLogisticGD({ A: csr, y: data.y }, { gamma: 1, maxIter: 20 });
    expect(a.iterations).toBe(b.iterations);
    for (let j = 0; j < 6; j++) expect(b.x[j]).toBeCloseTo(a.x[j], 12);
  });

  it('non-separable data stops at maxIter with the fewest-mistakes iterate, or stalls', () => {
    const data = { A: { rows: 2, cols: 1, data: new Float64Array([1, 1]) }, y: new Float64Array([1, -1]) };
    const r = normalizedLogisticGD(data, { maxIter: 50 });
    expect(r.converged).toBe(false);
    expect(['maxIter', 'stagnation']).toContain(r.reason);
    expect(r.history.objective!.length).toBeGreaterThan(0);
  });

  it('bad input: labels, shapes, γ, normalization, maxIter', () => {
    const good = separableGaussian(50, 3, 1);
    expect(code(() => normalizedLogisticGD(good, { gamma: 0 }))).toBe('INVALID_OPTION:gamma');
    expect(code(() => normalizedLogisticGD(good, { gamma: NaN }))).toBe('INVALID_OPTION:gamma');
    expect(code(() => normalizedLogisticGD(good, { normalization: 'max' as never }))).toBe('INVALID_OPTION:normalization');
    expect(code(() => normalizedLogisticGD(good, { maxIter: -1 }))).toBe('INVALID_OPTION:maxIter');
    expect(code(() => normalizedLogisticGD({ A: good.A, y: new Float64Array(3) }))).toBe('SHAPE_MISMATCH:data.y');
    expect(code(() => normalizedLogisticGD({ A: good.A, y: good.y.map(() => 0) }))).toBe('INVALID_ARGUMENT:data.y');
    expect(code(() => batchPerceptron({ A: { rows: 1, cols: 1, data: new Float64Array([NaN]) }, y: new Float64Array([1]) }))).toBe('NOT_FINITE:data.A');
    expect(code(() => normalizedLogisticGD(good, { x0: new Float64Array(2) }))).toBe('SHAPE_MISMATCH:x0');
  });
});
