import { describe, expect, it } from 'vitest';
import { DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { darcySequence } from './pde-sequence.js';
import { greedySortByParams, skrSolveSequence, solveSequence, type SequenceMethod } from './skr.js';

function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
}

const P = (...v: number[][]) => v.map((x) => Float64Array.from(x));

describe('greedySortByParams', () => {
  it('follows the nearest-neighbour chain on a hand-made set', () => {
    // From 0: nearest is 2 (|1|), then 4 (2.5), then 3 (3), then 1 (10).
    expect(greedySortByParams(P([0], [10], [1], [3], [2.5]))).toEqual([0, 2, 4, 3, 1]);
    // Started elsewhere.
    expect(greedySortByParams(P([0], [10], [1], [3], [2.5]), 1)).toEqual([1, 3, 4, 2, 0]);
    // 2-D points, Frobenius (Euclidean) distance: (0,0) → (1,1) → (1,3) → (4,3) → (9,9).
    expect(greedySortByParams(P([0, 0], [9, 9], [1, 3], [1, 1], [4, 3]))).toEqual([0, 3, 2, 4, 1]);
  });

  it('breaks ties by the lowest index', () => {
    expect(greedySortByParams(P([0], [1], [-1]))).toEqual([0, 1, 2]);
    expect(greedySortByParams(P([0], [-1], [1]))).toEqual([0, 1, 2]);
    expect(greedySortByParams(P([5], [5], [5]), 2)).toEqual([2, 0, 1]);
  });

  it('card check (e): shuffled scalars P(i) = i started at the minimum give a monotone chain', () => {
    const rng = new Rng(3);
    const values = Array.from(rng.permutation(50));
    const params = values.map((v) => Float64Array.of(v));
    const start = values.indexOf(0);
    const order = greedySortByParams(params, start);
    expect(order.map((i) => values[i])).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('matches a brute-force chain on random fields', () => {
    const rng = new Rng(9);
    const params = Array.from({ length: 25 }, () => rng.fillNormal(new Float64Array(16)));
    const order = greedySortByParams(params, 4);
    const left = new Set(params.map((_, i) => i));
    left.delete(4);
    let cur = 4;
    const expected = [4];
    while (left.size > 0) {
      let best = -1;
      let bestD = Infinity;
      for (const j of [...left].sort((a, b) => a - b)) {
        let d = 0;
        for (let i = 0; i < 16; i++) d += (params[cur][i] - params[j][i]) ** 2;
        if (d < bestD) {
          bestD = d;
          best = j;
        }
      }
      expected.push(best);
      left.delete(best);
      cur = best;
    }
    expect(order).toEqual(expected);
  });

  it('rejects bad input', () => {
    expectCode(() => greedySortByParams([]), 'EMPTY_INPUT');
    expectCode(() => greedySortByParams(P([1, 2], [3])), 'SHAPE_MISMATCH');
    expectCode(() => greedySortByParams(P([1], [NaN])), 'NOT_FINITE');
    expectCode(() => greedySortByParams(P([1], [2]), 2), 'INVALID_OPTION');
    expectCode(() => greedySortByParams(P([1], [2]), -1), 'INVALID_OPTION');
  });
});

describe('solveSequence', () => {
  const seq = darcySequence({ count: 6, gridSize: 16, seed: 21 });
  const bnorm = Math.sqrt(seq[0].b.reduce((s, v) => s + v * v, 0));

  it('solves every system with every method; results in input order, totals add up', () => {
    const out: Record<string, ReturnType<typeof solveSequence>> = {};
    for (const method of ['gmres', 'gcrodr-norecycle', 'gcrodr', 'skr'] as SequenceMethod[]) {
      const r = solveSequence(seq, { method, m: 30, k: 10, rtol: 1e-8 });
      out[method] = r;
      expect(r.method).toBe(method);
      expect(r.convergedCount).toBe(seq.length);
      expect(r.results.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const x of r.results) {
        expect(x.converged).toBe(true);
        expect(x.relativeResidual).toBeLessThanOrEqual(1e-8);
        expect(x.residualNorm / bnorm).toBeLessThanOrEqual(1e-8);
        expect(x.history.residual.length).toBeGreaterThan(1);
        expect(x.x!.length).toBe(seq[0].b.length);
        expect(r.order[x.position]).toBe(x.index);
      }
      expect(r.totalMatvecs).toBe(r.results.reduce((s, x) => s + x.matvecs, 0));
      expect(r.totalIterations).toBe(r.results.reduce((s, x) => s + x.iterations, 0));
    }
    expect(out.gmres.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.gcrodr.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.skr.order).toEqual(greedySortByParams(seq.map((s) => s.params)));
    expect(out['gcrodr-norecycle'].results.every((x) => x.recycledIn === 0)).toBe(true);
    // Along the solve order, every system after the first starts from a recycle space.
    for (const method of ['gcrodr', 'skr']) {
      for (const x of out[method].results) expect(x.recycledIn > 0).toBe(x.position > 0);
    }
    expect(out.skr.totalMatvecs).toBeLessThan(out.gmres.totalMatvecs);
    expect(out.gcrodr.totalMatvecs).toBeLessThan(out['gcrodr-norecycle'].totalMatvecs);
    expect(out.gmres.recycle).toBeUndefined();
    expect(out.skr.recycle!.k).toBeGreaterThan(0);
  });

  it('honours an explicit order, keepSolutions: false and onSystem', () => {
    const seen: number[] = [];
    const r = solveSequence(seq.slice(0, 3), {
      method: 'gcrodr',
      m: 20,
      k: 6,
      order: [2, 0, 1],
      keepSolutions: false,
      onSystem: (done, total, res) => {
        expect(total).toBe(3);
        seen.push(res.index);
        expect(done).toBe(seen.length);
      },
    });
    expect(seen).toEqual([2, 0, 1]);
    expect(r.order).toEqual([2, 0, 1]);
    expect(r.results[2].position).toBe(0);
    expect(r.results.every((x) => x.x === undefined)).toBe(true);
  });

  it('skrSolveSequence is solveSequence with method skr (sort) or gcrodr (sort: false)', () => {
    const sub = seq.slice(0, 3);
    const a = skrSolveSequence(sub, { m: 20, k: 6 });
    const b = solveSequence(sub, { method: 'skr', m: 20, k: 6 });
    expect(a.method).toBe('skr');
    expect(a.order).toEqual(b.order);
    expect(a.totalMatvecs).toBe(b.totalMatvecs);
    expect(skrSolveSequence(sub, { m: 20, k: 6, sort: false }).method).toBe('gcrodr');
  });

  it('rejects bad input', () => {
    expectCode(() => solveSequence([]), 'EMPTY_INPUT');
    expectCode(() => solveSequence([{ A: seq[0].A, b: seq[0].b }], { method: 'skr' }), 'INVALID_ARGUMENT');
    expectCode(() => solveSequence([seq[0], { A: new DenseMatrix(3, 3), b: new Float64Array(3) }]), 'SHAPE_MISMATCH');
    expectCode(() => solveSequence(seq, { method: 'gcrodr', order: [0, 1, 2, 3, 4, 4] }), 'INVALID_OPTION');
    expectCode(() => solveSequence(seq, { method: 'gcrodr', order: [0, 1] }), 'SHAPE_MISMATCH');
    expectCode(() => solveSequence(seq, { m: 10, k: 10 }), 'INVALID_OPTION');
    expectCode(() => solveSequence(seq, { m: 0 }), 'INVALID_OPTION');
    expectCode(() => solveSequence(seq, { method: 'cg' as SequenceMethod }), 'INVALID_OPTION');
    expectCode(() => solveSequence([{ A: seq[0].A, b: new Float64Array(3) }], { method: 'gmres' }), 'SHAPE_MISMATCH');
  });
});
