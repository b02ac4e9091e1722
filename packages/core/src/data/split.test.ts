import { describe, it, expect } from 'vitest';
import { DenseMatrix } from '../dense.js';
import { OptkitError } from '../errors.js';
import { Rng } from '../rng.js';
import { takeRows, trainTestSplit } from './split.js';

/** X with row i = [i, 10 i], so every row names itself. */
function indexed(n: number): DenseMatrix {
  const X = new DenseMatrix(n, 2);
  for (let i = 0; i < n; i++) {
    X.data[2 * i] = i;
    X.data[2 * i + 1] = 10 * i;
  }
  return X;
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    expect((err as OptkitError).code).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

describe('trainTestSplit', () => {
  it('partitions the rows, with ceil(testFraction · n) test rows, and keeps X and y aligned', () => {
    const n = 10;
    const X = indexed(n);
    const y = Float64Array.from({ length: n }, (_, i) => i * 0.5);
    const s = trainTestSplit(X, y, { testFraction: 0.25, seed: 3 });
    expect(s.testIndex.length).toBe(3);
    expect(s.trainIndex.length).toBe(7);
    const all = [...s.testIndex, ...s.trainIndex].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(s.yTrain).toBeInstanceOf(Float64Array);
    for (let r = 0; r < s.testIndex.length; r++) {
      const i = s.testIndex[r];
      expect(Array.from(s.XTest.row(r))).toEqual([i, 10 * i]);
      expect(s.yTest[r]).toBe(i * 0.5);
    }
    for (let r = 0; r < s.trainIndex.length; r++) expect(s.XTrain.get(r, 0)).toBe(s.trainIndex[r]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const X = indexed(50);
    const y = new Int32Array(50);
    const a = trainTestSplit(X, y, { seed: 1 });
    const b = trainTestSplit(X, y, { seed: 1 });
    const c = trainTestSplit(X, y, { seed: 2 });
    expect(a.testIndex).toEqual(b.testIndex);
    expect(a.testIndex).not.toEqual(c.testIndex);
    const viaRng = trainTestSplit(X, y, { rng: new Rng(1) });
    expect(viaRng.testIndex).toEqual(a.testIndex);
  });

  it('stratifies with largest-remainder quotas', () => {
    // Classes of sizes 6, 3, 3 (n = 12), testFraction 1/3 → 4 test rows: quotas 2, 1, 1 exactly.
    const y = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (let seed = 0; seed < 5; seed++) {
      const s = trainTestSplit(indexed(12), y, { testFraction: 1 / 3, seed, stratify: true });
      const counts = [0, 0, 0];
      for (const l of s.yTest) counts[l]++;
      expect(counts).toEqual([2, 1, 1]);
    }
    // Sizes 5, 3, 2 (n = 10), testFraction 0.3 → 3 test rows; exact shares 1.5, 0.9, 0.6:
    // floors 1, 0, 0 and the two largest remainders (0.9, 0.6) get one more each → 1, 1, 1.
    const y2 = Int32Array.from([7, 7, 7, 7, 7, 3, 3, 3, 9, 9]);
    const s2 = trainTestSplit(indexed(10), y2, { testFraction: 0.3, seed: 0, stratify: true });
    expect(Array.from(s2.yTest).sort()).toEqual([3, 7, 9]);
  });

  it('stratifies on a separate key array', () => {
    const y = new Float64Array(8);
    const groups = [0, 1, 0, 1, 0, 1, 0, 1];
    const s = trainTestSplit(indexed(8), y, { testFraction: 0.5, stratify: groups, seed: 4 });
    const test = Array.from(s.testIndex).map((i) => groups[i]);
    expect(test.filter((g) => g === 0).length).toBe(2);
    expect(test.filter((g) => g === 1).length).toBe(2);
  });

  it('rejects bad input', () => {
    const X = indexed(4);
    expectCode(() => trainTestSplit(X, new Int32Array(3)), 'SHAPE_MISMATCH');
    expectCode(() => trainTestSplit(X, new Int32Array(4), { testFraction: 0 }), 'INVALID_OPTION');
    expectCode(() => trainTestSplit(X, new Int32Array(4), { testFraction: 1 }), 'INVALID_OPTION');
    expectCode(() => trainTestSplit(X, new Int32Array(4), { testFraction: 0.9 }), 'INVALID_OPTION'); // ceil(3.6) = 4 = n
    expectCode(() => trainTestSplit(X, Int32Array.from([0, 0, 0, 1]), { stratify: true }), 'INVALID_ARGUMENT');
    expectCode(() => trainTestSplit(X, new Int32Array(4), { stratify: [0, 0, 1] }), 'SHAPE_MISMATCH');
    expectCode(() => trainTestSplit(X, new Float64Array(4), { stratify: [0, 0, NaN, NaN] }), 'NOT_FINITE');
    expectCode(() => trainTestSplit(X, [0, 0, 0, 0] as unknown as Int32Array), 'INVALID_ARGUMENT');
    expectCode(() => trainTestSplit({} as DenseMatrix, new Int32Array(4)), 'INVALID_ARGUMENT');
  });
});

describe('takeRows', () => {
  it('gathers rows in the given order', () => {
    expect(takeRows(indexed(5), Int32Array.from([4, 0, 4])).toRows()).toEqual([
      [4, 40],
      [0, 0],
      [4, 40],
    ]);
    expectCode(() => takeRows(indexed(5), Int32Array.from([5])), 'INVALID_ARGUMENT');
    expectCode(() => takeRows(indexed(5), Int32Array.from([-1])), 'INVALID_ARGUMENT');
  });
});
