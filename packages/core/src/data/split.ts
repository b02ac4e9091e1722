/**
 * Seeded train/test splits of a data matrix and its labels, shaped like scikit-learn's
 * `train_test_split` (ShuffleSplit / StratifiedShuffleSplit): the test set has
 * ceil(testFraction · n) rows; with stratification every class keeps its share of the test set
 * (per-class quotas by largest remainder), so small classes are not lost by chance.
 */
import { DenseMatrix } from '../dense.js';
import { OptkitError, checkOption } from '../errors.js';
import { rngFrom, type RandomOptions } from '../rng.js';

/** Label arrays a split accepts; the parts come back as the same type. */
export type LabelArray = Int32Array | Float64Array;

export interface TrainTestSplitOptions extends RandomOptions {
  /** Share of rows that go to the test set, in (0, 1) (default 0.25, scikit-learn's). */
  testFraction?: number;
  /**
   * Keep class proportions in both parts (default false): `true` stratifies on `y`; an array of one
   * class key per row stratifies on it instead.
   */
  stratify?: boolean | ArrayLike<number>;
}

export interface TrainTestSplit<Y extends LabelArray> {
  XTrain: DenseMatrix;
  XTest: DenseMatrix;
  yTrain: Y;
  yTest: Y;
  /** Row indices of `X` in the training part, in the order they appear in `XTrain` (shuffled). */
  trainIndex: Int32Array;
  /** Row indices of `X` in the test part, in the order they appear in `XTest` (shuffled). */
  testIndex: Int32Array;
}

const FN = 'trainTestSplit';

/** The rows of `X` listed in `index`, in that order (repeats allowed). */
export function takeRows(X: DenseMatrix, index: Int32Array): DenseMatrix {
  if (!(X instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', 'takeRows: X must be a DenseMatrix', 'X');
  const { rows, cols, data } = X;
  for (let r = 0; r < index.length; r++) {
    const i = index[r];
    if (!(i >= 0 && i < rows)) {
      throw new OptkitError('INVALID_ARGUMENT', `takeRows: index[${r}] is ${i}; expected a row in 0..${rows - 1}`, 'index');
    }
  }
  const out = new Float64Array(index.length * cols);
  for (let r = 0; r < index.length; r++) {
    const src = index[r] * cols;
    out.set(data.subarray(src, src + cols), r * cols);
  }
  return DenseMatrix.wrap(index.length, cols, out);
}

function takeLabels<Y extends LabelArray>(y: Y, index: Int32Array): Y {
  const out = new (y.constructor as new (n: number) => Y)(index.length);
  for (let r = 0; r < index.length; r++) out[r] = y[index[r]];
  return out;
}

/**
 * Per-class test quotas summing to `nTest`: floor(nTest · size_c / n), then one more for the classes
 * with the largest remainders (ties: the class seen first). Same rule as scikit-learn's
 * `_approximate_mode` up to its random tie-break.
 */
function stratifiedQuotas(sizes: number[], n: number, nTest: number): number[] {
  const quota = sizes.map((s) => Math.floor((nTest * s) / n));
  let left = nTest - quota.reduce((a, b) => a + b, 0);
  const order = sizes.map((_, c) => c).sort((a, b) => {
    const ra = (nTest * sizes[a]) / n - quota[a];
    const rb = (nTest * sizes[b]) / n - quota[b];
    return rb - ra || a - b;
  });
  for (let k = 0; left > 0; k = (k + 1) % order.length) {
    const c = order[k];
    if (quota[c] < sizes[c]) {
      quota[c]++;
      left--;
    }
  }
  return quota;
}

/**
 * Splits the rows of `X` and the entries of `y` into a shuffled training part and test part.
 * Deterministic for a given `seed` (default 0) or `rng`.
 *
 * Throws SHAPE_MISMATCH when `y` (or a `stratify` array) does not have one entry per row,
 * INVALID_OPTION for `testFraction` outside (0, 1) or one that leaves either part empty,
 * INVALID_ARGUMENT when stratifying with a class that has a single member (it cannot be in both
 * parts), and NOT_FINITE for NaN class keys.
 */
export function trainTestSplit<Y extends LabelArray>(X: DenseMatrix, y: Y, options: TrainTestSplitOptions = {}): TrainTestSplit<Y> {
  if (!(X instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${FN}: X must be a DenseMatrix`, 'X');
  if (!(y instanceof Int32Array || y instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: y must be an Int32Array or a Float64Array`, 'y');
  }
  const n = X.rows;
  if (y.length !== n) throw new OptkitError('SHAPE_MISMATCH', `${FN}: y has length ${y.length}; expected ${n} (X.rows)`, 'y');
  const testFraction = checkOption(options.testFraction ?? 0.25, 'testFraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true }, FN);
  const nTest = Math.ceil(testFraction * n);
  if (nTest < 1 || nTest > n - 1) {
    throw new OptkitError('INVALID_OPTION', `${FN}: testFraction ${testFraction} of ${n} rows leaves an empty part`, 'testFraction');
  }
  const rng = rngFrom(options);
  let testIndex: Int32Array;
  let trainIndex: Int32Array;
  const strat = options.stratify === true ? y : options.stratify === false || options.stratify === undefined ? undefined : options.stratify;
  if (strat === undefined) {
    const perm = rng.permutation(n);
    testIndex = perm.slice(0, nTest);
    trainIndex = perm.slice(nTest);
  } else {
    if (strat.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${FN}: stratify has length ${strat.length}; expected ${n} (X.rows)`, 'stratify');
    }
    // Classes in order of first appearance, so the result does not depend on Map iteration quirks.
    const classOf = new Map<number, number>();
    const members: number[][] = [];
    for (let i = 0; i < n; i++) {
      const key = strat[i];
      if (Number.isNaN(key)) throw new OptkitError('NOT_FINITE', `${FN}: stratify[${i}] is NaN`, 'stratify');
      let c = classOf.get(key);
      if (c === undefined) {
        c = members.length;
        classOf.set(key, c);
        members.push([]);
      }
      members[c].push(i);
    }
    for (const [key, c] of classOf) {
      if (members[c].length < 2) {
        throw new OptkitError('INVALID_ARGUMENT', `${FN}: class ${key} has a single member; stratification needs at least 2`, 'stratify');
      }
    }
    const quota = stratifiedQuotas(members.map((m) => m.length), n, nTest);
    testIndex = new Int32Array(nTest);
    trainIndex = new Int32Array(n - nTest);
    let t = 0;
    let r = 0;
    for (let c = 0; c < members.length; c++) {
      const m = rng.shuffle(members[c]);
      for (let k = 0; k < m.length; k++) {
        if (k < quota[c]) testIndex[t++] = m[k];
        else trainIndex[r++] = m[k];
      }
    }
    // Classes were laid out one after another; shuffle so batches taken in order are mixed.
    rng.shuffle(testIndex);
    rng.shuffle(trainIndex);
  }
  return {
    XTrain: takeRows(X, trainIndex),
    XTest: takeRows(X, testIndex),
    yTrain: takeLabels(y, trainIndex),
    yTest: takeLabels(y, testIndex),
    trainIndex,
    testIndex,
  };
}
