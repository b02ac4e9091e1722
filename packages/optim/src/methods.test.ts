import { CsrMatrix, DenseMatrix, OptkitError, Rng, poisson1d, type LoadedData } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { labelledData, methods } from './methods.js';

const byId = (id: string) => {
  const m = methods.find((e) => e.id === id);
  if (!m?.run) throw new Error(`no runnable method ${id}`);
  return m.run;
};

/** A separable 2-class CSV: label (3 or 7) in the last column, decided by the sign of x0 + x1. */
function csvData(n = 80): LoadedData {
  const rng = new Rng(1);
  const M = DenseMatrix.zeros(n, 3);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    const shift = a + b >= 0 ? 0.5 : -0.5;
    M.data[i * 3] = a + shift;
    M.data[i * 3 + 1] = b + shift;
    M.data[i * 3 + 2] = a + b >= 0 ? 7 : 3;
  }
  return { kind: 'csv', path: 'mem.csv', value: M };
}

describe('optim methods for `optkit run`', () => {
  it('maps two label values to ±1 from CSV and LIBSVM', () => {
    const { X, y } = labelledData({ train: csvData(4) });
    expect(X.cols).toBe(2);
    for (const v of y) expect(Math.abs(v)).toBe(1);
    const features = CsrMatrix.fromCoo(2, 2, new Int32Array([0, 1]), new Int32Array([0, 1]), new Float64Array([1, 2]));
    const lib = labelledData({ train: { kind: 'libsvm', path: 'x', value: { labels: new Float64Array([0, 1]), features } } });
    expect(Array.from(lib.y)).toEqual([-1, 1]);
    expect(Array.from(lib.X.data)).toEqual([1, 0, 0, 2]);
  });

  it('rejects missing data, wrong kinds and non-binary labels', () => {
    expect(() => labelledData({})).toThrow(OptkitError);
    expect(() => labelledData({ train: { kind: 'json', path: 'x', value: {} } })).toThrow(/expected libsvm or csv/);
    const three = DenseMatrix.fromRows([[1, 0], [2, 1], [3, 2]]);
    expect(() => labelledData({ train: { kind: 'csv', path: 'x', value: three } })).toThrow(/exactly 2 label values/);
  });

  for (const id of ['lion', 'adamw', 'lamb', 'mfac']) {
    it(`${id} fits a separable logistic regression to full training accuracy`, async () => {
      const lr = id === 'lion' ? 0.01 : 0.05;
      const result = (await byId(id)({ data: { train: csvData() }, options: { lr, maxIter: 400 } })) as { trainAccuracy: number; iterations: number };
      expect(result.trainAccuracy).toBe(1);
      expect(result.iterations).toBeGreaterThan(0);
    });
  }

  it('normalized-lr-gd separates the data', async () => {
    const result = (await byId('normalized-lr-gd')({ data: { train: csvData() }, options: {} })) as { separated: boolean };
    expect(result.separated).toBe(true);
  });

  it('slq finds the extreme eigenvalues of the 1D Laplacian', async () => {
    const n = 50;
    const A = poisson1d(n);
    const result = (await byId('slq')({ data: { A: { kind: 'mtx', path: 'A.mtx', value: A } }, options: { steps: 50, probes: 2 } })) as { lambdaMin: number; lambdaMax: number };
    expect(result.lambdaMax).toBeCloseTo(2 - 2 * Math.cos((n * Math.PI) / (n + 1)), 8);
    expect(result.lambdaMin).toBeCloseTo(2 - 2 * Math.cos(Math.PI / (n + 1)), 8);
    const nonSym = CsrMatrix.fromCoo(2, 2, new Int32Array([0]), new Int32Array([1]), new Float64Array([1]));
    await expect(async () => byId('slq')({ data: { A: { kind: 'mtx', path: 'x', value: nonSym } }, options: {} })).rejects.toThrow(/symmetric/);
  });

  it('bcd fits the logistic regression (objective falls, separable data classified)', async () => {
    const result = (await byId('bcd')({ data: { train: csvData() }, options: { blockSize: 1, maxIter: 200 } })) as { x: Float64Array; objective: number[] };
    expect(result.objective[result.objective.length - 1]).toBeLessThan(0.5 * result.objective[0]);
    const { X, y } = labelledData({ train: csvData() });
    let correct = 0;
    for (let i = 0; i < X.rows; i++) if ((X.data[i * 2] * result.x[0] + X.data[i * 2 + 1] * result.x[1]) * y[i] > 0) correct++;
    expect(correct).toBe(X.rows);
    await expect(async () => byId('bcd')({ data: { train: csvData() }, options: { rule: 'best' } })).rejects.toThrow(OptkitError);
  });

  it('alf-lb balances a skewed score matrix (max violation well below no balancing)', async () => {
    const rng = new Rng(3);
    const T = 200;
    const E = 4;
    const S = DenseMatrix.zeros(T, E);
    for (let i = 0; i < T; i++) for (let e = 0; e < E; e++) S.data[i * E + e] = rng.normal() + (e === 0 ? 1.5 : 0);
    const result = (await byId('alf-lb')({ data: { scores: { kind: 'csv', path: 's.csv', value: S } }, options: { topK: 1, updateRate: 1e-2, maxIter: 2000 } })) as { counts: Int32Array };
    const counts = Array.from(result.counts);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(T);
    expect(Math.max(...counts)).toBeLessThanOrEqual(1.2 * (T / E));
    await expect(async () => byId('alf-lb')({ data: {}, options: {} })).rejects.toThrow(/data.scores/);
  });
});
