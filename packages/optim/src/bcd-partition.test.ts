import { describe, it, expect } from 'vitest';
import { CsrMatrix, OptkitError } from '@optkit/core';
import { fixedPartition, redBlackPartition, forestPartition, isForestBlock, latticePartitions, greedyForestBlock } from './bcd-partition.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

/** Symmetric graph Laplacian-like matrix (diag 4, −1 per edge) of the given undirected edges. */
function graph(n: number, edges: [number, number][], diag: ArrayLike<number> = new Float64Array(n).fill(4)): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) r.push(i), c.push(i), v.push(diag[i]);
  for (const [a, b] of edges) r.push(a, b), c.push(b, a), v.push(-1, -1);
  return CsrMatrix.fromCoo(n, n, r, c, v);
}

function grid(nr: number, nc: number): { Q: CsrMatrix; edges: [number, number][] } {
  const edges: [number, number][] = [];
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const v = i * nc + j;
      if (j + 1 < nc) edges.push([v, v + 1]);
      if (i + 1 < nr) edges.push([v, v + nc]);
    }
  }
  return { Q: graph(nr * nc, edges), edges };
}

function expectPartitionOf(blocks: Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  let total = 0;
  for (const b of blocks) {
    for (const v of b) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(n);
      expect(seen[v]).toBe(0);
      seen[v] = 1;
      total++;
    }
  }
  expect(total).toBe(n);
}

describe('fixedPartition', () => {
  const L = Float64Array.of(5, 1, 4, 2, 3, 0.5, 6);

  it('order: contiguous blocks, last one shorter', () => {
    const blocks = fixedPartition(L, 3, 'order').map((b) => Array.from(b));
    expect(blocks).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('sort: blocks of coordinates sorted by L (each block sorted ascending)', () => {
    // L ascending: 5(0.5), 1(1), 3(2), 4(3), 2(4), 0(5), 6(6)
    const blocks = fixedPartition(L, 3, 'sort').map((b) => Array.from(b));
    expect(blocks).toEqual([[1, 3, 5], [0, 2, 4], [6]]);
    expect(fixedPartition(L, 3).map((b) => Array.from(b))).toEqual(blocks);
  });

  it('avg: interleaves the smallest and largest L', () => {
    // sorted = [5,1,3,4,2,0,6]; interleaved = 5,6,1,0,3,2,4
    const blocks = fixedPartition(L, 2, 'avg').map((b) => Array.from(b));
    expect(blocks).toEqual([[5, 6], [0, 1], [2, 3], [4]]);
  });

  it('every kind is a partition of 0..n-1 with block sizes ≤ τ', () => {
    const n = 23;
    const Ln = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + 2);
    for (const kind of ['order', 'sort', 'avg'] as const) {
      for (const tau of [1, 4, 5, 23]) {
        const blocks = fixedPartition(Ln, tau, kind);
        expect(blocks.length).toBe(Math.ceil(n / tau));
        for (const b of blocks) {
          expect(b.length).toBeLessThanOrEqual(tau);
          for (let k = 1; k < b.length; k++) expect(b[k]).toBeGreaterThan(b[k - 1]);
        }
        expectPartitionOf(blocks, n);
      }
    }
  });

  it('rejects bad input', () => {
    expect(codeOf(() => fixedPartition([], 1))).toBe('EMPTY_INPUT');
    expect(codeOf(() => fixedPartition(L, 0))).toBe('INVALID_OPTION');
    expect(codeOf(() => fixedPartition(L, 8))).toBe('INVALID_OPTION');
    expect(codeOf(() => fixedPartition(L, 1.5))).toBe('INVALID_OPTION');
    expect(codeOf(() => fixedPartition(L, 2, 'bogus' as 'sort'))).toBe('INVALID_OPTION');
  });
});

describe('redBlackPartition', () => {
  it('colours a path with two independent classes', () => {
    const n = 7;
    const edges: [number, number][] = Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]);
    const Q = graph(n, edges);
    const blocks = redBlackPartition(Q);
    expect(blocks.length).toBe(2);
    expectPartitionOf(blocks, n);
    const colour = new Int32Array(n);
    blocks.forEach((b, c) => b.forEach((v) => (colour[v] = c)));
    for (const [a, b] of edges) expect(colour[a]).not.toBe(colour[b]);
  });

  it('colours a 4×5 lattice with two independent classes (checkerboard)', () => {
    const { Q, edges } = grid(4, 5);
    const blocks = redBlackPartition(Q);
    expect(blocks.length).toBe(2);
    expectPartitionOf(blocks, 20);
    const colour = new Int32Array(20);
    blocks.forEach((b, c) => b.forEach((v) => (colour[v] = c)));
    for (const [a, b] of edges) expect(colour[a]).not.toBe(colour[b]);
  });

  it('a triangle needs three colours', () => {
    const Q = graph(3, [[0, 1], [1, 2], [0, 2]]);
    const blocks = redBlackPartition(Q);
    expect(blocks.length).toBe(3);
    expectPartitionOf(blocks, 3);
  });

  it('rejects non-square Q and a non-permutation order', () => {
    const R = CsrMatrix.fromCoo(2, 3, [0], [1], [1]);
    expect(codeOf(() => redBlackPartition(R))).toBe('SHAPE_MISMATCH');
    const Q = graph(3, [[0, 1]]);
    expect(codeOf(() => redBlackPartition(Q, Int32Array.of(0, 0, 1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => redBlackPartition(Q, Int32Array.of(0, 1)))).toBe('SHAPE_MISMATCH');
  });
});

describe('forestPartition and isForestBlock', () => {
  it('isForestBlock: a triangle is not a forest, a path and a single edge are', () => {
    const T = graph(3, [[0, 1], [1, 2], [0, 2]]);
    expect(isForestBlock(T, Int32Array.of(0, 1, 2))).toBe(false);
    expect(isForestBlock(T, Int32Array.of(0, 1))).toBe(true);
    const P = graph(4, [[0, 1], [1, 2], [2, 3]]);
    expect(isForestBlock(P, Int32Array.of(0, 1, 2, 3))).toBe(true);
    const C4 = graph(4, [[0, 1], [1, 2], [2, 3], [3, 0]]);
    expect(isForestBlock(C4, Int32Array.of(0, 1, 2, 3))).toBe(false);
    expect(isForestBlock(C4, Int32Array.of(0, 1, 2))).toBe(true);
  });

  it('isForestBlock rejects repeated or out-of-range indices', () => {
    const T = graph(3, [[0, 1]]);
    expect(codeOf(() => isForestBlock(T, Int32Array.of(0, 0)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => isForestBlock(T, Int32Array.of(3)))).toBe('INVALID_ARGUMENT');
  });

  it('forestPartition blocks are forests covering all nodes (lattice, triangle, K4)', () => {
    const cases = [grid(5, 6).Q, graph(3, [[0, 1], [1, 2], [0, 2]]), graph(4, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])];
    for (const Q of cases) {
      const blocks = forestPartition(Q);
      expectPartitionOf(blocks, Q.rows);
      for (const b of blocks) expect(isForestBlock(Q, b)).toBe(true);
    }
    // a tree is one block; a triangle needs two
    expect(forestPartition(graph(4, [[0, 1], [1, 2], [1, 3]])).length).toBe(1);
    expect(forestPartition(cases[1]).length).toBe(2);
  });

  it('greedyForestBlock returns a sorted forest', () => {
    const { Q } = grid(4, 4);
    const order = Int32Array.from({ length: 16 }, (_, i) => (i * 5) % 16);
    const b = greedyForestBlock(Q, order);
    expect(isForestBlock(Q, b)).toBe(true);
    for (let k = 1; k < b.length; k++) expect(b[k]).toBeGreaterThan(b[k - 1]);
    // the first visited node is always taken
    expect(Array.from(b)).toContain(0);
  });
});

describe('latticePartitions', () => {
  it('checkerboard and even/odd columns of a 3×3 grid', () => {
    const gridRow = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1, 2);
    const gridCol = Int32Array.of(0, 0, 0, 1, 1, 1, 2, 2, 2);
    const { redBlack, columnForests } = latticePartitions(gridRow, gridCol);
    expect(redBlack.map((b) => Array.from(b))).toEqual([[0, 2, 4, 6, 8], [1, 3, 5, 7]]);
    expect(columnForests.map((b) => Array.from(b))).toEqual([[0, 1, 2, 6, 7, 8], [3, 4, 5]]);
  });

  it('rejects mismatched lengths and negative coordinates', () => {
    expect(codeOf(() => latticePartitions(Int32Array.of(0, 1), Int32Array.of(0)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => latticePartitions(Int32Array.of(-1), Int32Array.of(0)))).toBe('INVALID_ARGUMENT');
  });
});
