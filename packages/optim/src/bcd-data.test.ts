import { describe, it, expect } from 'vitest';
import { OptkitError, type CsrMatrix } from '@optkit/core';
import { accumulateColumn, columnSeed, latticeLabelPropagation, syntheticColumn, syntheticColumns, syntheticTargets, twoMoonsLabelPropagation } from './bcd-data.js';
import { choleskyInPlace, lambdaMax } from './bcd-kernels.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

function toDense(Q: CsrMatrix): Float64Array {
  const n = Q.rows;
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) D[i * n + Q.indices[q]] += Q.values[q];
  return D;
}

function expectSpd(Q: CsrMatrix): void {
  const n = Q.rows;
  expect(Q.cols).toBe(n);
  const D = toDense(Q);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(D[i * n + j]).toBe(D[j * n + i]);
  // strictly positive definite: Cholesky without any ridge
  expect(choleskyInPlace(D, n, new Float64Array(n * n))).toBe(0);
}

describe('columnSeed / syntheticColumn', () => {
  it('are deterministic and depend on (seed, j)', () => {
    expect(columnSeed(1, 5)).toBe(columnSeed(1, 5));
    expect(columnSeed(1, 5)).not.toBe(columnSeed(1, 6));
    expect(columnSeed(1, 5)).not.toBe(columnSeed(2, 5));
    expect(Number.isInteger(columnSeed(3, 0))).toBe(true);
    const a = new Float64Array(20);
    const b = new Float64Array(20);
    const wa = syntheticColumn(1, 3, 20, 1, a);
    const wb = syntheticColumn(1, 3, 20, 1, b);
    expect(wa).toBe(wb);
    expect(Array.from(a)).toEqual(Array.from(b));
    // density 1 keeps every entry (a zero would need an exact N(0,1) = −1)
    for (const v of a) expect(v).not.toBe(0);
  });
});

describe('syntheticColumns', () => {
  it('dense: shapes, reproducibility, b = Aw* + noise consistent with syntheticTargets', () => {
    const d1 = syntheticColumns(12, 30, { seed: 4, density: 1 });
    const d2 = syntheticColumns(12, 30, { seed: 4, density: 1 });
    expect(d1.columns.m).toBe(12);
    expect(d1.columns.n).toBe(30);
    expect(d1.columns.dense!.length).toBe(360);
    expect(d1.wTrue.length).toBe(30);
    expect(d1.b.length).toBe(12);
    expect(d1.y.length).toBe(12);
    expect(Array.from(d1.columns.dense!)).toEqual(Array.from(d2.columns.dense!));
    expect(Array.from(d1.b)).toEqual(Array.from(d2.b));
    for (const v of d1.y) expect(Math.abs(v)).toBe(1);
    // column j equals syntheticColumn(seed, j) (any shard can regenerate it)
    const col = new Float64Array(12);
    const w7 = syntheticColumn(4, 7, 12, 1, col);
    expect(w7).toBe(d1.wTrue[7]);
    expect(Array.from(d1.columns.dense!.subarray(7 * 12, 8 * 12))).toEqual(Array.from(col));
    // recompute Aw* and the targets
    const Aw = new Float64Array(12);
    for (let j = 0; j < 30; j++) accumulateColumn(d1.columns.dense!.subarray(j * 12, (j + 1) * 12), d1.wTrue[j], Aw);
    const t = syntheticTargets(Aw, 4);
    expect(Array.from(t.b)).toEqual(Array.from(d1.b));
    expect(Array.from(t.y)).toEqual(Array.from(d1.y));
    const d3 = syntheticColumns(12, 30, { seed: 5, density: 1 });
    expect(Array.from(d3.columns.dense!)).not.toEqual(Array.from(d1.columns.dense!));
  });

  it('sparse storage holds the same matrix as dense storage', () => {
    const dn = syntheticColumns(40, 15, { seed: 2, density: 0.2, storage: 'dense' });
    const sp = syntheticColumns(40, 15, { seed: 2, density: 0.2, storage: 'sparse' });
    const { colptr, rowidx, vals } = sp.columns;
    expect(colptr!.length).toBe(16);
    const rebuilt = new Float64Array(40 * 15);
    for (let j = 0; j < 15; j++) {
      for (let q = colptr![j]; q < colptr![j + 1]; q++) {
        if (q > colptr![j]) expect(rowidx![q]).toBeGreaterThan(rowidx![q - 1]);
        rebuilt[j * 40 + rowidx![q]] = vals![q];
      }
    }
    expect(Array.from(rebuilt)).toEqual(Array.from(dn.columns.dense!));
    expect(Array.from(sp.b)).toEqual(Array.from(dn.b));
    // density 0.2: the nonzero fraction is near 0.2 (600 entries: well within ±0.1)
    expect(vals!.length / 600).toBeGreaterThan(0.1);
    expect(vals!.length / 600).toBeLessThan(0.3);
    // default storage follows the density
    expect(syntheticColumns(40, 5, { density: 0.1 }).columns.colptr).toBeDefined();
    expect(syntheticColumns(40, 5, { density: 0.5 }).columns.dense).toBeDefined();
  });

  it('rejects bad sizes and options', () => {
    expect(codeOf(() => syntheticColumns(0, 3))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => syntheticColumns(3, 2.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => syntheticColumns(3, 3, { density: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => syntheticColumns(3, 3, { density: 1.5 }))).toBe('INVALID_OPTION');
  });
});

describe('latticeLabelPropagation', () => {
  it('tiny lattice: symmetric positive definite Q, Laplacian rows, reproducible', () => {
    const d = latticeLabelPropagation({ rows: 4, cols: 3, labelled: 3, weight: 2, seed: 3 });
    const n = 12 - 3;
    expect(d.Q.rows).toBe(n);
    expect(d.c.length).toBe(n);
    expect(d.gridRow.length).toBe(n);
    expectSpd(d.Q);
    const D = toDense(d.Q);
    for (let u = 0; u < n; u++) {
      const i = d.node[u];
      expect(d.gridRow[u]).toBe(i % 4);
      expect(d.gridCol[u]).toBe(Math.floor(i / 4));
      const deg = (d.gridRow[u] > 0 ? 1 : 0) + (d.gridRow[u] < 3 ? 1 : 0) + (d.gridCol[u] > 0 ? 1 : 0) + (d.gridCol[u] < 2 ? 1 : 0);
      expect(D[u * n + u]).toBe(2 * deg);
      // off-diagonals are −w for unlabelled lattice neighbours
      let off = 0;
      for (let v = 0; v < n; v++) if (v !== u) off += D[u * n + v];
      expect(off).toBeLessThanOrEqual(0);
      expect(-off).toBeLessThanOrEqual(2 * deg);
    }
    const again = latticeLabelPropagation({ rows: 4, cols: 3, labelled: 3, weight: 2, seed: 3 });
    expect(Array.from(again.c)).toEqual(Array.from(d.c));
    expect(Array.from(again.node)).toEqual(Array.from(d.node));
    // λ_max of a 4-neighbour Laplacian block ≤ 8w
    expect(lambdaMax(D, n, new Float64Array(n * n))).toBeLessThanOrEqual(16 + 1e-9);
  });

  it('rejects labelled ≥ rows·cols and bad weights', () => {
    expect(codeOf(() => latticeLabelPropagation({ rows: 2, cols: 2, labelled: 4 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => latticeLabelPropagation({ rows: 2, cols: 2, labelled: 1, weight: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => latticeLabelPropagation({ rows: 0 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('twoMoonsLabelPropagation', () => {
  it('small graph: symmetric positive definite Q, reproducible, c = ±1 sums', () => {
    const d = twoMoonsLabelPropagation({ points: 40, neighbours: 3, labelled: 6, seed: 2 });
    expect(d.points.length).toBe(80);
    expect(d.Q.rows).toBe(d.node.length);
    expect(d.node.length).toBeLessThanOrEqual(34);
    expectSpd(d.Q);
    for (const v of d.c) expect(Number.isInteger(v)).toBe(true);
    const again = twoMoonsLabelPropagation({ points: 40, neighbours: 3, labelled: 6, seed: 2 });
    expect(Array.from(again.points)).toEqual(Array.from(d.points));
    expect(Array.from(again.c)).toEqual(Array.from(d.c));
  });

  it('rejects bad options', () => {
    expect(codeOf(() => twoMoonsLabelPropagation({ points: 10, neighbours: 10 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => twoMoonsLabelPropagation({ points: 10, neighbours: 2, labelled: 10 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => twoMoonsLabelPropagation({ points: 3 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => twoMoonsLabelPropagation({ points: 20, neighbours: 2, labelled: 2, noise: -1 }))).toBe('INVALID_OPTION');
  });
});
