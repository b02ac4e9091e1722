import { CsrMatrix, DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { bcd } from './bcd.js';
import { forestFactor, forestSolve } from './bcd-forest.js';
import { fixedPartition, forestPartition, greedyForestBlock, isForestBlock, latticePartitions, redBlackPartition } from './bcd-partition.js';
import { latticeLabelPropagation, twoMoonsLabelPropagation } from './bcd-data.js';
import { quadraticProblem } from './bcd-problems.js';

/** A random forest on n nodes (each node joins a random earlier node w.p. `p`), SPD by diagonal dominance. */
function randomForestMatrix(n: number, seed: number, p = 0.9): CsrMatrix {
  const rng = new Rng(seed);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const deg = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    if (rng.uniform() > p) continue;
    const j = rng.int(0, i - 1);
    const w = -rng.uniform(0.1, 2);
    r.push(i, j);
    c.push(j, i);
    v.push(w, w);
    deg[i] += -w;
    deg[j] += -w;
  }
  for (let i = 0; i < n; i++) {
    r.push(i);
    c.push(i);
    v.push(deg[i] + rng.uniform(0.05, 1));
  }
  return CsrMatrix.fromCoo(n, n, r, c, v);
}

function path(n: number): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    r.push(i);
    c.push(i);
    v.push(2.5);
    if (i + 1 < n) r.push(i, i + 1), c.push(i + 1, i), v.push(-1, -1);
  }
  return CsrMatrix.fromCoo(n, n, r, c, v);
}

describe('forest elimination', () => {
  it('equals the dense solve on random trees, forests and paths to 1e-10', () => {
    for (const [Q, name] of [
      [randomForestMatrix(60, 1, 1), 'tree'],
      [randomForestMatrix(80, 2, 0.7), 'forest'],
      [path(50), 'path'],
    ] as const) {
      const n = Q.rows;
      const block = Int32Array.from({ length: n }, (_, i) => i);
      const F = forestFactor(Q, block);
      const rhs = new Rng(3).fillNormal(new Float64Array(n));
      const z = forestSolve(F, rhs, new Float64Array(n));
      const exact = Q.toDense().solve(rhs);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < n; i++) {
        err = Math.max(err, Math.abs(z[i] - exact[i]));
        scale = Math.max(scale, Math.abs(exact[i]));
      }
      expect(err / scale, name).toBeLessThan(1e-10);
    }
  });

  it('solves a sub-block (a tree inside a graph with cycles) and rejects a cycle or a non-SPD block', () => {
    // A 2×3 grid graph: nodes 0..5, rows of 3; block {0,1,2} is a path, the whole grid has a cycle.
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    const edges = [[0, 1], [1, 2], [3, 4], [4, 5], [0, 3], [1, 4], [2, 5]];
    for (const [a, b] of edges) r.push(a, b), c.push(b, a), v.push(-1, -1);
    for (let i = 0; i < 6; i++) r.push(i), c.push(i), v.push(4);
    const Q = CsrMatrix.fromCoo(6, 6, r, c, v);
    const block = Int32Array.of(0, 1, 2);
    const z = forestSolve(forestFactor(Q, block), Float64Array.of(1, 2, 3), new Float64Array(3));
    const sub = new DenseMatrix(3, 3, [4, -1, 0, -1, 4, -1, 0, -1, 4]).solve(Float64Array.of(1, 2, 3));
    for (let i = 0; i < 3; i++) expect(z[i]).toBeCloseTo(sub[i], 12);
    expect(() => forestFactor(Q, Int32Array.of(0, 1, 3, 4))).toThrow(OptkitError);
    try {
      forestFactor(Q, Int32Array.of(0, 1, 4, 3));
    } catch (e) {
      expect((e as OptkitError).code).toBe('INVALID_ARGUMENT');
    }
    const bad = CsrMatrix.fromCoo(2, 2, [0, 0, 1, 1], [0, 1, 0, 1], [1, -2, -2, 1]);
    expect(() => forestFactor(bad, Int32Array.of(0, 1))).toThrow(/positive definite/);
  });
});

describe('partitions', () => {
  it('fixed partitions: order, sort (by L_i) and avg (smallest with largest)', () => {
    const L = Float64Array.of(5, 1, 4, 2, 3, 6);
    expect(fixedPartition(L, 2, 'order').map((b) => Array.from(b))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(fixedPartition(L, 2, 'sort').map((b) => Array.from(b))).toEqual([[1, 3], [2, 4], [0, 5]]);
    expect(fixedPartition(L, 2, 'avg').map((b) => Array.from(b))).toEqual([[1, 5], [0, 3], [2, 4]]);
    expect(fixedPartition(L, 4, 'order').map((b) => b.length)).toEqual([4, 2]);
    expect(() => fixedPartition(L, 0)).toThrow(OptkitError);
  });

  it('greedy forest colouring gives acyclic blocks covering every node; red-black gives independent sets', () => {
    const data = latticeLabelPropagation({ rows: 12, cols: 10, labelled: 10, seed: 4 });
    const Q = data.Q;
    for (const parts of [forestPartition(Q), forestPartition(Q, new Rng(5).permutation(Q.rows))]) {
      const all = parts.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: Q.rows }, (_, i) => i));
      for (const b of parts) expect(isForestBlock(Q, b)).toBe(true);
      expect(parts.length).toBeLessThanOrEqual(3);
    }
    const rb = redBlackPartition(Q);
    for (const b of rb) {
      const inBlock = new Set(b);
      for (const i of b) for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) if (Q.indices[q] !== i) expect(inBlock.has(Q.indices[q])).toBe(false);
    }
    const lat = latticePartitions(data.gridRow, data.gridCol);
    expect(lat.redBlack.length).toBe(2);
    expect(lat.columnForests.length).toBe(2);
    for (const b of lat.columnForests) expect(isForestBlock(Q, b)).toBe(true);
    // The whole lattice has cycles.
    expect(isForestBlock(Q, Int32Array.from({ length: Q.rows }, (_, i) => i))).toBe(false);
  });

  it('an exact-forest block update equals the exact block minimiser, and forests beat red-black on the lattice', () => {
    const data = latticeLabelPropagation({ rows: 16, cols: 16, labelled: 20, seed: 6 });
    const p = quadraticProblem(data.Q, data.c);
    const n = data.Q.rows;
    const { redBlack, columnForests } = latticePartitions(data.gridRow, data.gridCol);
    const x0 = new Rng(7).fillNormal(new Float64Array(n));
    const one = bcd(p, x0, { partition: columnForests, update: 'exact-forest', rule: 'cyclic', maxIter: 1 });
    const blk = columnForests[0];
    const viaMatrix = bcd(p, x0, { partition: columnForests, update: 'matrix', rule: 'cyclic', maxIter: 1 });
    for (const i of blk) expect(one.x[i]).toBeCloseTo(viaMatrix.x[i], 8);
    // f* by many forest sweeps; forests end far lower than red-black after the same number of updates.
    const star = bcd(p, new Float64Array(n), { partition: columnForests, maxIter: 4000 }).fx;
    const rb = bcd(p, new Float64Array(n), { partition: redBlack, maxIter: 30 });
    const tf = bcd(p, new Float64Array(n), { partition: columnForests, maxIter: 30 });
    for (const r of [rb, tf]) for (let k = 1; k < r.history.length; k++) expect(r.history[k].f).toBeLessThanOrEqual(r.history[k - 1].f + 1e-9 * Math.abs(r.history[k - 1].f));
    expect(tf.fx - star).toBeLessThan(rb.fx - star);
    // 'redblack' / 'forest' option strings build the greedy partitions themselves.
    const greedy = bcd(p, new Float64Array(n), { partition: 'forest', maxIter: 30 });
    expect(greedy.fx).toBeLessThan(greedy.history[0].f);
  });

  it('greedy trees (GS-tree, random tree): each block is a maximal forest; BCD over them decreases f', () => {
    const data = latticeLabelPropagation({ rows: 14, cols: 12, labelled: 12, seed: 8 });
    const Q = data.Q;
    const n = Q.rows;
    const blk = greedyForestBlock(Q, new Rng(9).permutation(n));
    expect(isForestBlock(Q, blk)).toBe(true);
    // Maximal: adding any excluded node closes a cycle.
    const inBlk = new Set(blk);
    for (let v = 0; v < n; v++) if (!inBlk.has(v)) expect(isForestBlock(Q, Int32Array.from([...blk, v]))).toBe(false);
    const p = quadraticProblem(Q, data.c);
    for (const rule of ['gs', 'gsl', 'gsd', 'random'] as const) {
      const res = bcd(p, new Float64Array(n), { partition: 'variable', update: 'exact-forest', rule, maxIter: 15, seed: 1 });
      for (let k = 1; k < res.history.length; k++) {
        expect(isForestBlock(Q, res.history[k].block)).toBe(true);
        expect(res.history[k].f).toBeLessThanOrEqual(res.history[k - 1].f + 1e-9 * Math.abs(res.history[k - 1].f));
      }
      expect(res.fx).toBeLessThan(res.history[0].f);
    }
    // The GS-tree's first block contains the node with the largest |gradient| (visited first).
    const g0 = p.grad(new Float64Array(n));
    let imax = 0;
    for (let i = 1; i < n; i++) if (Math.abs(g0[i]) > Math.abs(g0[imax])) imax = i;
    const gsTree = bcd(p, new Float64Array(n), { partition: 'variable', update: 'exact-forest', rule: 'gs', maxIter: 1 });
    expect(Array.from(gsTree.history[1].block)).toContain(imax);
  });

  it('problem E generator: a symmetric positive definite graph quadratic; greedy forest partitions are forests', () => {
    const E = twoMoonsLabelPropagation({ points: 300, neighbours: 5, labelled: 15, seed: 2 });
    const Q = E.Q;
    // 300 − 15 labelled, minus one extra label per connected component that had none.
    expect(Q.rows).toBeLessThanOrEqual(285);
    expect(Q.rows).toBeGreaterThan(270);
    expect(Q.isSymmetric(0)).toBe(true);
    for (const b of forestPartition(Q)) {
      expect(isForestBlock(Q, b)).toBe(true);
      forestFactor(Q, b); // positive pivots: throws NOT_SPD otherwise
    }
    const p = quadraticProblem(Q, E.c);
    const res = bcd(p, new Float64Array(Q.rows), { partition: 'forest', maxIter: 200 });
    expect(res.fx).toBeLessThan(res.history[0].f);
    // Matches the exact minimiser of the dense system after enough sweeps.
    const xs = Q.toDense().solve(E.c);
    // max|∇f| ≤ 1e-12 bounds the error by 1e-12/λ_min(Q) (λ_min is small: few labels).
    const long = bcd(p, new Float64Array(Q.rows), { partition: 'forest', maxIter: 50000, tol: 1e-12 });
    expect(long.converged).toBe(true);
    for (let i = 0; i < Q.rows; i += 17) expect(long.x[i]).toBeCloseTo(xs[i], 6);
  });
});
