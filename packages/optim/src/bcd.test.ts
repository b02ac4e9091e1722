import { CsrMatrix, DenseMatrix, OptkitError, Rng, checkGradient, type Objective } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { bcd, type BcdOptions, type BcdRule, type BcdUpdate } from './bcd.js';
import { syntheticColumns } from './bcd-data.js';
import { leastSquaresProblem, logisticProblem, quadraticProblem, type BcdProblem } from './bcd-problems.js';
import { softmaxProblem, syntheticSoftmaxLabels } from './bcd-softmax.js';

function randomDense(m: number, n: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  return new DenseMatrix(m, n, rng.fillNormal(new Float64Array(m * n)));
}

function asObjective(p: BcdProblem): Objective {
  return { dim: p.n, value: (x) => p.f(x), grad: (x, out) => p.grad(x, out) };
}

function codeOf(fn: () => unknown): { code: string; argument?: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

/** A random SPD matrix Q = MᵀM + I (n×n) as CSR, and c. */
function spdQuadratic(n: number, seed: number): { Q: DenseMatrix; c: Float64Array } {
  const M = randomDense(n, n, seed);
  const Q = M.transpose().matmul(M);
  for (let i = 0; i < n; i++) Q.data[i * n + i] += 1;
  return { Q, c: new Rng(seed + 1).fillNormal(new Float64Array(n)) };
}

describe('bcd problems', () => {
  const A = randomDense(30, 12, 1);
  const b = new Rng(2).fillNormal(new Float64Array(30));
  const y = Float64Array.from(b, (v) => (v > 0 ? 1 : -1));
  const x = new Rng(3).fillNormal(new Float64Array(12), 0, 0.3);
  const sparse = CsrMatrix.fromDense(new DenseMatrix(30, 12, A.data.map((v, k) => (k % 3 === 0 ? 0 : v))));
  const { Q, c } = spdQuadratic(12, 4);
  const A4 = randomDense(30, 4, 8);
  const labels4 = syntheticSoftmaxLabels({ m: 30, n: 4, dense: A4.transpose().data }, 3, 2);
  const cases: [string, BcdProblem][] = [
    ['least squares (dense)', leastSquaresProblem(A, b)],
    ['least squares (sparse)', leastSquaresProblem(sparse, b)],
    ['logistic', logisticProblem(A, y)],
    ['logistic (sparse)', logisticProblem(sparse, y)],
    ['quadratic', quadraticProblem(Q, c)],
    ['softmax (4 features × 3 classes)', softmaxProblem(A4, labels4, 3)],
    ['softmax (sparse)', softmaxProblem(CsrMatrix.fromDense(new DenseMatrix(30, 4, A4.data.map((v, k) => (k % 3 === 1 ? 0 : v)))), labels4, 3)],
  ];
  for (const [name, p] of cases) {
    it(`${name}: gradient matches central differences, blocks match the full quantities`, () => {
      expect(checkGradient(asObjective(p), x).relativeError).toBeLessThan(1e-7);
      const blk = Int32Array.of(1, 4, 7);
      const g = p.grad(x);
      const gb = p.gradBlock!(x, blk);
      for (let k = 0; k < 3; k++) expect(gb[k]).toBeCloseTo(g[blk[k]], 10);
      // Hessian block by differences of the gradient.
      const H = p.hessBlock!(x, blk);
      const h = 1e-6;
      for (let k = 0; k < 3; k++) {
        const xp = Float64Array.from(x);
        const xm = Float64Array.from(x);
        xp[blk[k]] += h;
        xm[blk[k]] -= h;
        const gp = p.grad(xp);
        const gm = p.grad(xm);
        for (let l = 0; l < 3; l++) expect(H.get(l, k)).toBeCloseTo((gp[blk[l]] - gm[blk[l]]) / (2 * h), 4);
      }
      // The bound dominates the Hessian block: H_b − ∇²_bb f is PSD (check on random directions).
      const Hb = p.blockBound!(blk);
      const rng = new Rng(9);
      for (let r = 0; r < 20; r++) {
        const v = rng.fillNormal(new Float64Array(3));
        let q = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) q += v[i] * (Hb.get(i, j) - H.get(i, j)) * v[j];
        expect(q).toBeGreaterThanOrEqual(-1e-9);
      }
      for (let k = 0; k < 3; k++) expect(p.lipschitz[blk[k]]).toBeCloseTo(Hb.get(k, k), 8);
    });

    it(`${name}: cached state follows block updates; fBlockTrial equals f at the moved point`, () => {
      const xb = Float64Array.from(x);
      p.bind!(xb);
      const blk = Int32Array.of(0, 5);
      const d = Float64Array.of(0.3, -0.2);
      const moved = Float64Array.from(xb);
      moved[0] += 0.3;
      moved[5] -= 0.2;
      expect(p.fBlockTrial!(xb, blk, d)).toBeCloseTo(p.f(moved), 9);
      xb[0] += 0.3;
      xb[5] -= 0.2;
      p.onBlockUpdate!(blk, d);
      expect(p.f(xb)).toBeCloseTo(p.f(Float64Array.from(xb)), 9);
      const g1 = p.grad(xb);
      const g2 = p.grad(Float64Array.from(xb));
      for (let i = 0; i < 12; i++) expect(g1[i]).toBeCloseTo(g2[i], 8);
      p.release!();
    });
  }

  it('softmax: the class-coupled bound dominates the full Hessian; the full bound product is Böhning\'s', () => {
    const p = softmaxProblem(A4, labels4, 3);
    const all = Int32Array.from({ length: 12 }, (_, i) => i);
    const xs = new Rng(13).fillNormal(new Float64Array(12));
    const H = p.hessBlock(xs, all);
    const Hb = p.blockBound(all);
    const rng = new Rng(14);
    const v = new Float64Array(12);
    const out = new Float64Array(12);
    for (let r = 0; r < 30; r++) {
      rng.fillNormal(v);
      let q = 0;
      for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) q += v[i] * (Hb.get(i, j) - H.get(i, j)) * v[j];
      expect(q).toBeGreaterThanOrEqual(-1e-9);
      // With all k classes in the block, blockBound is the full bound: boundApply agrees with it.
      p.boundApply(v, out);
      const ref = Hb.gemv(v);
      for (let i = 0; i < 12; i++) expect(out[i]).toBeCloseTo(ref[i], 9);
    }
    expect(codeOf(() => softmaxProblem(A4, Int32Array.from(labels4, (l, i) => (i === 0 ? 3 : l)), 3))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'labels' });
  });

  it('row-sum bounds are the Gershgorin sums of the full bound; boundColumn/boundApply are its columns/products', () => {
    const p = leastSquaresProblem(A, b);
    const G = A.transpose().matmul(A);
    const col = p.boundColumn!(4, new Float64Array(12));
    const e4 = new Float64Array(12);
    e4[4] = 1;
    const viaApply = p.boundApply(e4, new Float64Array(12));
    for (let i = 0; i < 12; i++) {
      expect(col[i]).toBeCloseTo(G.get(i, 4), 10);
      expect(viaApply[i]).toBeCloseTo(G.get(i, 4), 10);
    }
    for (let i = 0; i < 12; i++) {
      let s = 0;
      for (let j = 0; j < 12; j++) s += Math.abs(G.get(i, j));
      expect(p.rowSumBound[i]).toBeCloseTo(s, 8);
    }
  });

  it('bad input names the argument', () => {
    expect(codeOf(() => leastSquaresProblem(A, new Float64Array(29)))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'b' });
    expect(codeOf(() => leastSquaresProblem(A, Float64Array.from(b, (v, i) => (i === 3 ? NaN : v))))).toEqual({ code: 'NOT_FINITE', argument: 'b' });
    expect(codeOf(() => logisticProblem(A, Float64Array.from(y, (v, i) => (i === 0 ? 0.5 : v)))).code).toBe('INVALID_ARGUMENT');
    const asym = new DenseMatrix(2, 2, [2, 1, 0, 2]);
    expect(codeOf(() => quadraticProblem(asym, new Float64Array(2))).argument).toBe('Q');
  });
});

describe('bcd known answers', () => {
  it('least squares converges to the normal-equations solution (dense solve)', () => {
    const A = randomDense(40, 12, 11);
    const b = new Rng(12).fillNormal(new Float64Array(40));
    const xStar = A.transpose().matmul(A).solve(A.gemvT(b));
    for (const opts of [
      { rule: 'gsq', update: 'matrix', partition: 'sort', blockSize: 3 },
      { rule: 'gs', update: 'lipschitz', partition: 'order', blockSize: 4 },
      { rule: 'random', update: 'diagonal', partition: 'avg', blockSize: 3 },
      // VB-GSQ's IHT can keep re-selecting a block whose gradient is already ~1e-15 once x is exact to
      // ~1e-11 (the max |∇f| then stalls near 4e-10 on this problem), so its stopping test is 1e-8.
      { rule: 'gsq', update: 'matrix', partition: 'variable', blockSize: 3, tol: 1e-8 },
      { rule: 'gsd', update: 'diagonal', partition: 'variable', blockSize: 2 },
      { rule: 'cyclic', update: 'newton', partition: 'order', blockSize: 4 },
    ] as BcdOptions[]) {
      const res = bcd(leastSquaresProblem(A, b), new Float64Array(12), { maxIter: 20000, tol: 1e-10, ...opts });
      expect(res.converged, JSON.stringify(opts)).toBe(true);
      expect(res.reason).toBe('converged');
      for (let i = 0; i < 12; i++) expect(res.x[i]).toBeCloseTo(xStar[i], 8);
    }
  });

  it('τ = n with the matrix update solves least squares in one iteration', () => {
    const A = randomDense(25, 8, 21);
    const b = new Rng(22).fillNormal(new Float64Array(25));
    const xStar = A.transpose().matmul(A).solve(A.gemvT(b));
    const res = bcd(leastSquaresProblem(A, b), new Float64Array(8), { blockSize: 8, maxIter: 1 });
    for (let i = 0; i < 8; i++) expect(res.x[i]).toBeCloseTo(xStar[i], 10);
  });

  it('one matrix-update step on a quadratic equals the exact block minimiser', () => {
    const { Q, c } = spdQuadratic(9, 31);
    const x0 = new Rng(32).fillNormal(new Float64Array(9));
    const blk = Int32Array.of(2, 3, 7);
    const res = bcd(quadraticProblem(Q, c), x0, { partition: [blk, Int32Array.of(0, 1, 4, 5, 6, 8)], rule: 'cyclic', update: 'matrix', maxIter: 1 });
    // Exact: Q_bb z = c_b − Q_{b,¬b} x_¬b.
    const Qbb = new DenseMatrix(3, 3);
    const rhs = new Float64Array(3);
    for (let i = 0; i < 3; i++) {
      rhs[i] = c[blk[i]];
      for (let j = 0; j < 9; j++) if (!blk.includes(j)) rhs[i] -= Q.get(blk[i], j) * x0[j];
      for (let j = 0; j < 3; j++) Qbb.set(i, j, Q.get(blk[i], blk[j]));
    }
    const z = Qbb.solve(rhs);
    for (let i = 0; i < 3; i++) expect(res.x[blk[i]]).toBeCloseTo(z[i], 11);
    for (let j = 0; j < 9; j++) if (!blk.includes(j)) expect(res.x[j]).toBe(x0[j]);
    expect(Array.from(res.history[1].block)).toEqual([2, 3, 7]);
  });

  it('GS picks the largest-gradient block; gsNorm 1 follows the reference ℓ₁ score', () => {
    // Q = I, c chosen so the gradient x − c at x = 0 is −c: block {0,1} has (3, 0), block {2,3} (2, 2).
    const Q = CsrMatrix.identity(6);
    const c = Float64Array.of(3, 0, 2, 2, 0.5, 0.5);
    const p = quadraticProblem(Q, c);
    const parts = [Int32Array.of(0, 1), Int32Array.of(2, 3), Int32Array.of(4, 5)];
    const l2 = bcd(p, new Float64Array(6), { partition: parts, rule: 'gs', update: 'lipschitz', maxIter: 1 });
    expect(Array.from(l2.history[1].block)).toEqual([0, 1]); // ℓ₂: 3 > 2√2
    const l1 = bcd(p, new Float64Array(6), { partition: parts, rule: 'gs', update: 'lipschitz', maxIter: 1, gsNorm: 1 });
    expect(Array.from(l1.history[1].block)).toEqual([2, 3]); // ℓ₁: 4 > 3
    // Variable blocks: the two largest |g_i|.
    const vb = bcd(p, new Float64Array(6), { partition: 'variable', blockSize: 2, rule: 'gs', update: 'lipschitz', maxIter: 1 });
    expect(Array.from(vb.history[1].block)).toEqual([0, 2]); // 3, then 2 (tie with index 3: smaller index)
  });

  it('GSQ with H_b = diag(L_i) picks the same blocks as GSD', () => {
    const A = randomDense(30, 20, 41);
    const b = new Rng(42).fillNormal(new Float64Array(30));
    const base = leastSquaresProblem(A, b);
    const diagBound: BcdProblem = {
      n: base.n,
      lipschitz: base.lipschitz,
      f: (x) => base.f(x),
      grad: (x, out) => base.grad(x, out),
      blockBound: (blk) => DenseMatrix.diag(Array.from(blk, (i) => base.lipschitz[i])),
    };
    const run = (rule: BcdRule) => bcd(diagBound, new Float64Array(20), { partition: 'order', blockSize: 4, rule, update: 'diagonal', maxIter: 40 });
    const q = run('gsq');
    const d = run('gsd');
    expect(q.history.map((h) => Array.from(h.block))).toEqual(d.history.map((h) => Array.from(h.block)));
  });

  it('the objective never increases for matched rule/update pairs', () => {
    const data = syntheticColumns(60, 90, { seed: 5 });
    const problems: [string, BcdProblem][] = [
      ['ls', leastSquaresProblem(data.columns, data.b)],
      ['logistic', logisticProblem(data.columns, data.y)],
    ];
    const pairs: [string, BcdRule, BcdUpdate][] = [
      ['sort', 'gs', 'lipschitz'],
      ['sort', 'gsl', 'lipschitz'],
      ['order', 'gsd', 'diagonal'],
      ['sort', 'gsq', 'matrix'],
      ['order', 'cyclic', 'newton'],
      ['order', 'random', 'lipschitz-approx'],
      ['variable', 'gs', 'lipschitz'],
      ['variable', 'gsd', 'diagonal'],
      ['variable', 'gsq', 'matrix'],
      ['variable', 'lipschitz', 'matrix'],
      ['avg', 'lipschitz', 'lipschitz'],
    ];
    for (const [pn, p] of problems) {
      for (const [partition, rule, update] of pairs) {
        const res = bcd(p, new Float64Array(90), { partition: partition as 'sort', rule, update, blockSize: 5, maxIter: 60, seed: 3 });
        for (let k = 1; k < res.history.length; k++) {
          expect(res.history[k].f, `${pn} ${partition} ${rule} ${update} @${k}`).toBeLessThanOrEqual(res.history[k - 1].f * (1 + 1e-12) + 1e-12);
        }
        expect(res.history.at(-1)!.f).toBeLessThan(res.history[0].f);
      }
    }
  });

  it('random rules repeat with the same seed and differ with another', () => {
    const data = syntheticColumns(40, 50, { seed: 6 });
    const p = leastSquaresProblem(data.columns, data.b);
    const run = (seed: number) => bcd(p, new Float64Array(50), { rule: 'random', update: 'lipschitz', maxIter: 30, seed }).history.map((h) => h.block[0]);
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('non-negative and ℓ₁ proximal BCD reach the proximal-gradient fixed point', () => {
    const A = randomDense(30, 10, 51);
    const b = new Rng(52).fillNormal(new Float64Array(30), 0, 3);
    const G = A.transpose().matmul(A);
    const Atb = A.gemvT(b);
    const Lfull = G.symmetricEigen().values.at(-1)!;
    for (const [prox, lambda] of [['nonneg', 2], ['l1', 5]] as const) {
      // Reference: 20000 full proximal-gradient steps.
      const z = new Float64Array(10);
      for (let it = 0; it < 20000; it++) {
        const g = G.gemv(z);
        for (let i = 0; i < 10; i++) {
          const v = z[i] - (g[i] - Atb[i]) / Lfull;
          const t = lambda / Lfull;
          z[i] = prox === 'l1' ? Math.sign(v) * Math.max(Math.abs(v) - t, 0) : Math.max(v - t, 0);
        }
      }
      for (const [rule, constrainedUpdate, update] of [['gs', 'pg', 'lipschitz'], ['cyclic', 'pg', 'lipschitz'], ['gs', 'pg', 'diagonal'], ['gs', 'pn', 'matrix'], ['random', 'pn', 'matrix']] as const) {
        const res = bcd(leastSquaresProblem(A, b), new Float64Array(10), { prox, lambda, rule, update, constrainedUpdate, blockSize: 2, partition: 'order', maxIter: 50000, tol: 1e-11 });
        expect(res.converged, `${prox} ${rule} ${constrainedUpdate}`).toBe(true);
        for (let i = 0; i < 10; i++) expect(res.x[i]).toBeCloseTo(z[i], 7);
        if (prox === 'nonneg') for (const v of res.x) expect(v).toBeGreaterThanOrEqual(0);
        for (let k = 1; k < res.history.length; k++) expect(res.history[k].f).toBeLessThanOrEqual(res.history[k - 1].f + 1e-9);
      }
      // One projected-Newton step over the whole vector (τ = n, exact Hessian) is the exact solution.
      const one = bcd(leastSquaresProblem(A, b), new Float64Array(10), { prox, lambda, constrainedUpdate: 'pn', blockSize: 10, maxIter: 1 });
      for (let i = 0; i < 10; i++) expect(one.x[i]).toBeCloseTo(z[i], 7);
      if (prox !== 'nonneg') continue;
      for (const [rule, update, partition] of [['gs', 'matrix', 'order'], ['cyclic', 'matrix', 'order'], ['random', 'matrix', 'order'], ['gs', 'newton', 'order'], ['gs', 'matrix', 'variable']] as const) {
        const res = bcd(leastSquaresProblem(A, b), new Float64Array(10), { prox, lambda, rule, update, constrainedUpdate: 'tmp', blockSize: 2, partition, maxIter: 50000, tol: 1e-11 });
        const label = `tmp ${rule} ${update} ${partition}`;
        expect(res.converged, label).toBe(true);
        for (let i = 0; i < 10; i++) expect(res.x[i], label).toBeCloseTo(z[i], 7);
        for (const v of res.x) expect(v).toBeGreaterThanOrEqual(0);
        for (let k = 1; k < res.history.length; k++) expect(res.history[k].f, label).toBeLessThanOrEqual(res.history[k - 1].f + 1e-9);
      }
    }
  });

  it('two-metric projection identifies the active set and then converges like Newton (τ = n)', () => {
    // min ½‖Ax − b‖² + λΣx, x ≥ 0, with about half the coordinates at the bound at the solution.
    const A = randomDense(60, 25, 71);
    const b = new Rng(72).fillNormal(new Float64Array(60), 0, 3);
    const p = leastSquaresProblem(A, b);
    const g0 = p.grad(new Float64Array(25), new Float64Array(25));
    let lambda = 0;
    for (const v of g0) lambda = Math.max(lambda, -v);
    lambda *= 0.05;
    const opts = { prox: 'nonneg', lambda, blockSize: 25, partition: 'order', rule: 'cyclic', tol: 1e-10, maxIter: 5000 } as const;
    // From x = 1 (every coordinate off the bound) the active set has to be found, not guessed at x = 0.
    const x0 = new Float64Array(25).fill(1);
    const tmp = bcd(p, x0, { ...opts, update: 'matrix', constrainedUpdate: 'tmp' });
    const pg = bcd(p, x0, { ...opts, update: 'lipschitz', constrainedUpdate: 'pg' });
    expect(tmp.converged).toBe(true);
    expect(pg.converged).toBe(true);
    let atBound = 0;
    for (let i = 0; i < 25; i++) {
      expect(tmp.x[i]).toBeCloseTo(pg.x[i], 7);
      if (pg.x[i] === 0) atBound++;
    }
    expect(atBound).toBeGreaterThan(3);
    expect(atBound).toBeLessThan(22);
    // Finite identification + Newton on the manifold: a handful of iterations, where projected gradient needs hundreds.
    expect(tmp.iterations).toBeLessThanOrEqual(12);
    expect(pg.iterations).toBeGreaterThan(10 * tmp.iterations);
    // The last steps contract superlinearly: each gap at most 0.1× the one before.
    const F = tmp.fx;
    const gaps = tmp.history.map((h) => h.f - F).filter((v) => v > 1e-9 * Math.abs(F));
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (let k = Math.max(1, gaps.length - 2); k < gaps.length; k++) expect(gaps[k]).toBeLessThanOrEqual(0.1 * gaps[k - 1]);
  });

  it('two-metric projection with Newton blocks on non-negative logistic regression', () => {
    const data = syntheticColumns(80, 12, { seed: 81 });
    const y = new Float64Array(80);
    for (let i = 0; i < 80; i++) y[i] = data.b[i] > 0 ? 1 : -1;
    const p = logisticProblem(data.columns, y);
    const lambda = 0.5;
    const base = { prox: 'nonneg', lambda, blockSize: 4, partition: 'order', rule: 'gs', tol: 1e-9, maxIter: 100000 } as const;
    const ref = bcd(p, new Float64Array(12), { ...base, update: 'lipschitz', constrainedUpdate: 'pg' });
    const tmp = bcd(p, new Float64Array(12), { ...base, update: 'newton', constrainedUpdate: 'tmp' });
    expect(ref.converged).toBe(true);
    expect(tmp.converged).toBe(true);
    for (let i = 0; i < 12; i++) expect(tmp.x[i]).toBeCloseTo(ref.x[i], 6);
    expect(tmp.iterations).toBeLessThan(ref.iterations);
    for (let k = 1; k < tmp.history.length; k++) expect(tmp.history[k].f).toBeLessThanOrEqual(tmp.history[k - 1].f + 1e-12);
  });

  it('history, onIteration, callback stop and abort', () => {
    const data = syntheticColumns(30, 40, { seed: 7 });
    const p = leastSquaresProblem(data.columns, data.b);
    const seen: number[] = [];
    const res = bcd(p, new Float64Array(40), { maxIter: 12, onIteration: (it, fx, blk) => { seen.push(it); expect(blk.length).toBe(5); expect(Number.isFinite(fx)).toBe(true); } });
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(res.history.length).toBe(13);
    expect(res.history[0].block.length).toBe(0);
    expect(res.history.every((h, k) => k === 0 || h.time >= res.history[k - 1].time)).toBe(true);
    expect(res.fx).toBe(res.history[12].f);
    expect(res.reason).toBe('maxIter');
    const stop = bcd(p, new Float64Array(40), { maxIter: 50, onIteration: (it) => it < 4 });
    expect(stop.reason).toBe('callback');
    expect(stop.iterations).toBe(4);
    const ac = new AbortController();
    const ab = bcd(p, new Float64Array(40), { maxIter: 50, signal: ac.signal, onIteration: (it) => { if (it === 3) ac.abort(); } });
    expect(ab.reason).toBe('aborted');
    expect(ab.iterations).toBe(3);
  });
});

describe('bcd bad input', () => {
  const A = randomDense(10, 6, 61);
  const p = leastSquaresProblem(A, new Float64Array(10).fill(1));
  const x0 = new Float64Array(6);
  it('options and x0 errors name the option', () => {
    expect(codeOf(() => bcd(p, x0, { blockSize: 0 }))).toEqual({ code: 'INVALID_OPTION', argument: 'blockSize' });
    expect(codeOf(() => bcd(p, x0, { blockSize: 7 }))).toEqual({ code: 'INVALID_OPTION', argument: 'blockSize' });
    expect(codeOf(() => bcd(p, x0, { blockSize: 2.5 }))).toEqual({ code: 'INVALID_OPTION', argument: 'blockSize' });
    expect(codeOf(() => bcd(p, x0, { rule: 'nope' as BcdRule }))).toEqual({ code: 'INVALID_OPTION', argument: 'rule' });
    expect(codeOf(() => bcd(p, x0, { update: 'nope' as BcdUpdate }))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(codeOf(() => bcd(p, x0, { partition: 'nope' as 'sort' }))).toEqual({ code: 'INVALID_OPTION', argument: 'partition' });
    expect(codeOf(() => bcd(p, x0, { partition: [Int32Array.of(0, 1), Int32Array.of(1, 2)] }))).toEqual({ code: 'INVALID_OPTION', argument: 'partition' });
    expect(codeOf(() => bcd(p, x0, { partition: [Int32Array.of(0, 6)] }))).toEqual({ code: 'INVALID_OPTION', argument: 'partition' });
    expect(codeOf(() => bcd(p, x0, { maxIter: -1 }))).toEqual({ code: 'INVALID_OPTION', argument: 'maxIter' });
    expect(codeOf(() => bcd(p, x0, { tol: NaN }))).toEqual({ code: 'INVALID_OPTION', argument: 'tol' });
    expect(codeOf(() => bcd(p, x0, { gsNorm: 3 as 2 }))).toEqual({ code: 'INVALID_OPTION', argument: 'gsNorm' });
    expect(codeOf(() => bcd(p, x0, { partition: 'variable', rule: 'gsl' }))).toEqual({ code: 'INVALID_OPTION', argument: 'rule' });
    expect(codeOf(() => bcd(p, x0, { prox: 'l1', update: 'matrix' }))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(codeOf(() => bcd(p, x0, { prox: 'l1', constrainedUpdate: 'tmp' }))).toEqual({ code: 'INVALID_OPTION', argument: 'constrainedUpdate' });
    expect(codeOf(() => bcd(p, x0, { constrainedUpdate: 'tmp' }))).toEqual({ code: 'INVALID_OPTION', argument: 'constrainedUpdate' });
    expect(codeOf(() => bcd(p, x0, { prox: 'nonneg', constrainedUpdate: 'tmp', update: 'lipschitz' }))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(codeOf(() => bcd(p, x0, { prox: 'l1', constrainedUpdate: 'pn', update: 'lipschitz' }))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(codeOf(() => bcd(p, x0, { constrainedUpdate: 'pn' }))).toEqual({ code: 'INVALID_OPTION', argument: 'constrainedUpdate' });
    expect(codeOf(() => bcd(p, x0, { lambda: -1 }))).toEqual({ code: 'INVALID_OPTION', argument: 'lambda' });
    expect(codeOf(() => bcd(p, x0, { update: 'exact-forest' }))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(codeOf(() => bcd(p, Float64Array.from(x0, (v, i) => (i === 2 ? NaN : v))))).toEqual({ code: 'NOT_FINITE', argument: 'x0' });
    expect(codeOf(() => bcd(p, new Float64Array(5)))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'x0' });
    expect(codeOf(() => bcd(p, Float64Array.of(-1, 0, 0, 0, 0, 0), { prox: 'nonneg' }))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'x0' });
    expect(codeOf(() => bcd({ n: 3 } as unknown as BcdProblem, new Float64Array(3))).argument).toBe('problem');
  });
});
