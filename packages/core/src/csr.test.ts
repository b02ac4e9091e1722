import { describe, expect, it } from 'vitest';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';
import { OptkitError } from './errors.js';
import { poisson2d, poisson3d } from './problems.js';
import { Rng } from './rng.js';

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

/** Brute-force y = A x on the dense row-major form. */
function denseMatvec(rows: number, cols: number, a: Float64Array, x: Float64Array): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += a[i * cols + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** A random dense matrix with about `density` nonzeros (seeded), as row-major data. */
function randomDenseData(rows: number, cols: number, density: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const a = new Float64Array(rows * cols);
  for (let t = 0; t < a.length; t++) if (rng.uniform() < density) a[t] = rng.uniform(-1, 1);
  return a;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Checks canonical form: indptr consistent, indices strictly increasing per row and in range. */
function expectCanonical(A: CsrMatrix): void {
  expect(A.indptr.length).toBe(A.rows + 1);
  expect(A.indptr[0]).toBe(0);
  expect(A.indices.length).toBe(A.nnz);
  for (let i = 0; i < A.rows; i++) {
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
      expect(A.indices[k]).toBeGreaterThanOrEqual(0);
      expect(A.indices[k]).toBeLessThan(A.cols);
      if (k > A.indptr[i]) expect(A.indices[k]).toBeGreaterThan(A.indices[k - 1]);
    }
  }
}

/** y = A x by the plain CSR loop, sums in column order from +0 (the order every kernel must keep). */
function sequentialSpmv(A: CsrMatrix, x: Float64Array): Float64Array {
  const y = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) s += A.values[k] * x[A.indices[k]];
    y[i] = s;
  }
  return y;
}

/** y = Aᵀ x by the plain CSR scatter, row by row. */
function sequentialSpmvT(A: CsrMatrix, x: Float64Array): Float64Array {
  const y = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) y[A.indices[k]] += A.values[k] * x[i];
  }
  return y;
}

/** Every element identical, -0 and +0 told apart. */
function expectSameBits(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      if (first < 0) first = i;
      mismatches++;
    }
  }
  expect({ mismatches, first }).toEqual({ mismatches: 0, first: -1 });
}

/** Row of stored entry k. */
function rowOf(A: CsrMatrix, k: number): number {
  let lo = 0;
  let hi = A.rows;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (A.indptr[mid] <= k) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** n×n matrix with entries value(i, d) on the diagonals `offsets` (d indexes offsets), where inside. */
function banded(n: number, offsets: readonly number[], value: (i: number, d: number) => number): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    offsets.forEach((o, d) => {
      const j = i + o;
      if (j >= 0 && j < n) {
        r.push(i);
        c.push(j);
        v.push(value(i, d));
      }
    });
  }
  return CsrMatrix.fromCoo(n, n, r, c, v);
}

describe('CsrMatrix construction', () => {
  it('adopts canonical arrays without copying', () => {
    const indptr = new Int32Array([0, 2, 3]);
    const indices = new Int32Array([0, 2, 1]);
    const values = new Float64Array([1, 2, 3]);
    const A = new CsrMatrix(2, 3, indptr, indices, values);
    expect(A.indptr).toBe(indptr);
    expect(A.indices).toBe(indices);
    expect(A.values).toBe(values);
    expect(A.nnz).toBe(3);
    expect(A.toDense().toRows()).toEqual([
      [1, 0, 2],
      [0, 3, 0],
    ]);
  });

  it('sorts unsorted rows and sums duplicates', () => {
    const A = new CsrMatrix(2, 3, [0, 3, 5], [2, 0, 2, 1, 1], [1, 2, 3, 4, 5]);
    expectCanonical(A);
    expect(A.nnz).toBe(3);
    expect(A.toDense().toRows()).toEqual([
      [2, 0, 4],
      [0, 9, 0],
    ]);
  });

  it('rejects malformed structure and values', () => {
    expectCode(() => new CsrMatrix(2, 2, [0, 1], [0], [1]), 'INVALID_ARGUMENT'); // indptr too short
    expectCode(() => new CsrMatrix(2, 2, [1, 1, 1], [0], [1]), 'INVALID_ARGUMENT'); // indptr[0] != 0
    expectCode(() => new CsrMatrix(2, 2, [0, 2, 1], [0, 1], [1, 2]), 'INVALID_ARGUMENT'); // decreasing
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0, 2], [1, 2]), 'INVALID_ARGUMENT'); // column 2 of 2
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0, -1], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0], [1, 2]), 'SHAPE_MISMATCH');
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0, 1], [1]), 'SHAPE_MISMATCH');
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0, 1], [1, Number.NaN]), 'NOT_FINITE');
    expectCode(() => new CsrMatrix(2, 2, [0, 1, 2], [0, 1.5], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => new CsrMatrix(-1, 2, [0], [], []), 'INVALID_ARGUMENT');
    expectCode(() => new CsrMatrix(1, 2 ** 31, [0, 0], [], []), 'LIMIT_EXCEEDED');
  });

  it('fromCoo matches a dense accumulation, in any order, with duplicates', () => {
    const rng = new Rng(7);
    const rows = 13;
    const cols = 9;
    const n = 200; // many duplicates on 117 positions
    const r = new Int32Array(n);
    const c = new Int32Array(n);
    const v = new Float64Array(n);
    const dense = new Float64Array(rows * cols);
    for (let t = 0; t < n; t++) {
      r[t] = rng.int(0, rows - 1);
      c[t] = rng.int(0, cols - 1);
      v[t] = rng.uniform(-1, 1);
      dense[r[t] * cols + c[t]] += v[t];
    }
    const A = CsrMatrix.fromCoo(rows, cols, r, c, v);
    expectCanonical(A);
    expect(maxAbsDiff(A.toDense().data, dense)).toBeLessThan(1e-14);
    // Plain arrays are accepted too.
    const B = CsrMatrix.fromCoo(rows, cols, Array.from(r), Array.from(c), Array.from(v));
    expect(B.indices).toEqual(A.indices);
    expect(B.values).toEqual(A.values);
  });

  it('fromCoo keeps explicit zeros and handles empty input', () => {
    const A = CsrMatrix.fromCoo(2, 2, [1, 0], [0, 1], [0, 5]);
    expect(A.nnz).toBe(2);
    expect(Array.from(A.indptr)).toEqual([0, 1, 2]);
    const E = CsrMatrix.fromCoo(3, 4, [], [], []);
    expect(E.nnz).toBe(0);
    expect(E.spmv(new Float64Array(4).fill(1))).toEqual(new Float64Array(3));
  });

  it('fromCoo rejects bad input', () => {
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 1], [0], [1, 2]), 'SHAPE_MISMATCH');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 1], [0, 1], [1]), 'SHAPE_MISMATCH');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 2], [0, 1], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 1], [0, 2], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 0.5], [0, 1], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, Number.NaN], [0, 1], [1, 2]), 'INVALID_ARGUMENT');
    expectCode(() => CsrMatrix.fromCoo(2, 2, [0, 1], [0, 1], [1, Infinity]), 'NOT_FINITE');
    expectCode(() => CsrMatrix.fromCoo(1, 1, [0, 0], [0, 0], [1e308, 1e308]), 'NOT_FINITE'); // duplicates overflow
  });

  it('fromDense round-trips and drops small entries', () => {
    const a = randomDenseData(7, 5, 0.4, 3);
    const D = new DenseMatrix(7, 5, a);
    const A = CsrMatrix.fromDense(D);
    expectCanonical(A);
    expect(A.toDense().data).toEqual(a);
    let nonzeros = 0;
    for (const v of a) if (v !== 0) nonzeros++;
    expect(A.nnz).toBe(nonzeros);
    const B = CsrMatrix.fromDense({ rows: 1, cols: 4, data: [0.1, -0.5, 0.01, 2] }, { dropTolerance: 0.1 });
    expect(Array.from(B.indices)).toEqual([1, 3]);
    expectCode(() => CsrMatrix.fromDense({ rows: 2, cols: 2, data: [1, 2, 3] }), 'SHAPE_MISMATCH');
    expectCode(() => CsrMatrix.fromDense({ rows: 1, cols: 2, data: [1, Number.NaN] }), 'NOT_FINITE');
    expectCode(() => CsrMatrix.fromDense(D, { dropTolerance: -1 }), 'INVALID_OPTION');
  });

  it('identity and diag', () => {
    const I = CsrMatrix.identity(4);
    expect(I.toDense().data).toEqual(DenseMatrix.identity(4).data);
    const d = new Float64Array([1, 0, -2]);
    const D = CsrMatrix.diag(d);
    expect(D.nnz).toBe(3);
    expect(D.values).not.toBe(d);
    expect(D.toDense().data).toEqual(DenseMatrix.diag(d).data);
    expectCode(() => CsrMatrix.diag([1, Number.NaN]), 'NOT_FINITE');
  });
});

describe('CsrMatrix products', () => {
  const cases: [string, number, number, number][] = [
    ['small, shared kernel', 9, 7, 0.3],
    ['large irregular rows, generated CSR kernel', 120, 90, 0.5],
  ];
  for (const [name, rows, cols, density] of cases) {
    it(`spmv and spmvT equal the dense products (${name})`, () => {
      const a = randomDenseData(rows, cols, density, rows);
      const A = CsrMatrix.fromDense({ rows, cols, data: a });
      const rng = new Rng(1);
      const x = rng.fillNormal(new Float64Array(cols)) as Float64Array;
      const z = rng.fillNormal(new Float64Array(rows)) as Float64Array;
      expect(maxAbsDiff(A.spmv(x), denseMatvec(rows, cols, a, x))).toBeLessThan(1e-12);
      const at = new DenseMatrix(rows, cols, a).transpose();
      expect(maxAbsDiff(A.spmvT(z), denseMatvec(cols, rows, at.data, z))).toBeLessThan(1e-12);
      // Into a given output, overwriting whatever was there.
      const out = new Float64Array(rows).fill(99);
      expect(A.spmv(x, out)).toBe(out);
      expect(maxAbsDiff(out, denseMatvec(rows, cols, a, x))).toBeLessThan(1e-12);
      const outT = new Float64Array(cols).fill(-5);
      A.spmvT(z, outT);
      expect(maxAbsDiff(outT, denseMatvec(cols, rows, at.data, z))).toBeLessThan(1e-12);
    });
  }

  it('uses the padded ELL kernel for near-uniform rows and matches the CSR order exactly', () => {
    // Rows of length 0, 2, 3 (one empty row); padding to 3 adds < 25 %. The third entry of each row
    // lies at a scattered column, so the entries lie on thousands of diagonals (no DIA).
    const n = 5000;
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    const rng = new Rng(11);
    for (let i = 0; i < n; i++) {
      if (i === 17) continue;
      const far = (i * 7919 + 13) % n;
      for (const j of far > i + 1 ? [i - 1, i, far] : [i - 1, i, i + 1]) {
        if (j >= 0 && j < n) {
          r.push(i);
          c.push(j);
          v.push(rng.uniform(-1, 1));
        }
      }
    }
    const A = CsrMatrix.fromCoo(n, n, r, c, v);
    expect(A.kernelInfo()).toEqual({ format: 'ell', width: 3, specialised: true });
    const x = rng.fillNormal(new Float64Array(n)) as Float64Array;
    // Sequential sums in CSR order, as the ELL rows add their real entries first.
    const expected = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) s += A.values[k] * x[A.indices[k]];
      expected[i] = s;
    }
    expect(maxAbsDiff(A.spmv(x), expected)).toBe(0);
    expect(A.spmv(x)[17]).toBe(0);
    const z = rng.fillNormal(new Float64Array(n)) as Float64Array;
    expect(maxAbsDiff(A.spmvT(z), A.transpose().spmv(z))).toBeLessThan(1e-14);
  });

  it('uses DIA for the 2D and 3D Poisson matrices, with constant coefficients and the CSR sums to the last bit', () => {
    for (const A of [poisson2d(64), poisson2d(70, 61), poisson3d(16), poisson3d(12, 9, 40)]) {
      const info = A.kernelInfo();
      expect(info.format).toBe('dia');
      expect(info.coefficients).toBe('constant');
      expect(info.diagonals).toBe(new Set(Array.from({ length: A.nnz }, (_, k) => A.indices[k] - rowOf(A, k))).size);
      const rng = new Rng(3);
      const x = rng.fillNormal(new Float64Array(A.cols)) as Float64Array;
      expectSameBits(A.spmv(x), sequentialSpmv(A, x));
      expectSameBits(A.spmvT(x), sequentialSpmvT(A, x));
      // Zeros of both signs in x: every result is +0, as the CSR loop's sums (which start at +0).
      const zeros = new Float64Array(A.cols);
      for (let i = 0; i < zeros.length; i += 2) zeros[i] = -0;
      expectSameBits(A.spmv(zeros), sequentialSpmv(A, zeros));
      expectSameBits(A.spmvT(zeros), sequentialSpmvT(A, zeros));
    }
    // The 5-point stencil's three coefficient rows: interior, first and last grid column.
    expect(poisson2d(64).kernelInfo()).toEqual({ format: 'dia', diagonals: 5, coefficients: 'constant', patterns: 3, specialised: true });
  });

  it('uses DIA with stored coefficients for random banded matrices, with explicit zeros, empty and short rows', () => {
    const n = 6000;
    const offsets = [-700, -3, -1, 0, 2, 5, 900];
    const rng = new Rng(17);
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 997 === 5) continue; // empty rows, inside and outside the interior
      for (const o of offsets) {
        const j = i + o;
        if (j < 0 || j >= n || (o === 2 && i % 13 === 0)) continue; // a gap: padding on that diagonal
        r.push(i);
        c.push(j);
        v.push(i % 29 === 0 ? 0 : rng.uniform(-2, 2)); // explicit zeros
      }
    }
    const A = CsrMatrix.fromCoo(n, n, r, c, v);
    expect(A.kernelInfo()).toEqual({ format: 'dia', diagonals: 7, coefficients: 'stored', specialised: true });
    for (let t = 0; t < 3; t++) {
      const x = rng.fillNormal(new Float64Array(n)) as Float64Array;
      expectSameBits(A.spmv(x), sequentialSpmv(A, x));
      expectSameBits(A.spmvT(x), sequentialSpmvT(A, x));
    }
    const a = A.toDense();
    const x = rng.fillNormal(new Float64Array(n)) as Float64Array;
    expect(maxAbsDiff(A.spmv(x), denseMatvec(n, n, a.data, x))).toBeLessThan(1e-12);
  });

  it('uses DIA on rectangular banded matrices, both ways, and into a given output', () => {
    const rng = new Rng(23);
    for (const [rows, cols, offsets] of [
      [3000, 3500, [0, 2, 499]],
      [3500, 3000, [-400, -1, 0]],
      [4000, 4000, [-1, 1]],
    ] as const) {
      const r: number[] = [];
      const c: number[] = [];
      const v: number[] = [];
      for (let i = 0; i < rows; i++) {
        for (const o of offsets) {
          const j = i + o;
          if (j >= 0 && j < cols) {
            r.push(i);
            c.push(j);
            v.push(rng.uniform(-1, 1));
          }
        }
      }
      const A = CsrMatrix.fromCoo(rows, cols, r, c, v);
      expect(A.kernelInfo().format).toBe('dia');
      const x = rng.fillNormal(new Float64Array(cols)) as Float64Array;
      const z = rng.fillNormal(new Float64Array(rows)) as Float64Array;
      const out = new Float64Array(rows).fill(Number.NaN);
      expect(A.spmv(x, out)).toBe(out);
      expectSameBits(out, sequentialSpmv(A, x));
      const outT = new Float64Array(cols).fill(7);
      expectSameBits(A.spmvT(z, outT), sequentialSpmvT(A, z));
    }
  });

  it('keeps constant coefficients only for few patterns in long runs', () => {
    const n = 8000;
    // Two coefficient rows alternating every row: two patterns, but runs of 1 row.
    const alternating = banded(n, [-1, 0, 1], (i, d) => (i % 2 === 0 ? [1, 2, 3][d] : [4, 5, 6][d]));
    expect(alternating.kernelInfo()).toEqual({ format: 'dia', diagonals: 3, coefficients: 'stored', specialised: true });
    // 40 distinct rows in long runs: more than 32 patterns.
    const many = banded(n, [-1, 0, 1], (i, d) => Math.floor(i / 200) + d);
    expect(many.kernelInfo()).toEqual({ format: 'dia', diagonals: 3, coefficients: 'stored', specialised: true });
    // Non-trivial constants (not ±1) and a run per 1000 rows: constant.
    const blocks = banded(n, [-2, 0, 3], (i, d) => [0.1, -Math.PI, 1e-300][d] * (1 + Math.floor(i / 1000)));
    expect(blocks.kernelInfo()).toEqual({ format: 'dia', diagonals: 3, coefficients: 'constant', patterns: 8, specialised: true });
    const rng = new Rng(5);
    for (const A of [alternating, many, blocks]) {
      const x = rng.fillNormal(new Float64Array(n)) as Float64Array;
      expectSameBits(A.spmv(x), sequentialSpmv(A, x));
      expectSameBits(A.spmvT(x), sequentialSpmvT(A, x));
    }
  });

  it('refuses DIA for many diagonals, poor fill or few interior rows', () => {
    const n = 5000;
    // 17 diagonals.
    const seventeen = banded(n, Array.from({ length: 17 }, (_, d) => d - 8), (i, d) => i + d + 1);
    expect(seventeen.kernelInfo().format).not.toBe('dia');
    // A full diagonal plus a second one with an entry in 1 row of 10: padding would add 90 % entries.
    const r: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < n; i++) {
      r.push(i);
      c.push(i);
      if (i % 10 === 0 && i + 7 < n) {
        r.push(i);
        c.push(i + 7);
      }
    }
    const poorFill = CsrMatrix.fromCoo(n, n, r, c, new Float64Array(r.length).fill(1));
    expect(poorFill.kernelInfo().format).not.toBe('dia');
    // The same with the other 9 entries of 10 stored as explicit zeros: a full diagonal, so DIA.
    expect(banded(n, [0, 7], (i, d) => (d === 1 && i % 10 !== 0 ? 0 : 1)).kernelInfo().format).toBe('dia');
    // Diagonals at ±(n − 100): only 100 rows would have every diagonal inside the matrix.
    const corners = banded(n, [-(n - 100), 0, n - 100], () => 1);
    expect(corners.kernelInfo().format).not.toBe('dia');
    const x = new Rng(9).fillNormal(new Float64Array(n)) as Float64Array;
    for (const A of [seventeen, poorFill, corners]) expectSameBits(A.spmv(x), sequentialSpmv(A, x));
  });

  it('markModified rebuilds a constant-coefficient DIA kernel', () => {
    const A = poisson2d(64);
    const x = new Float64Array(A.cols).fill(1);
    expect(A.kernelInfo().coefficients).toBe('constant');
    expect(A.spmv(x)[1000]).toBe(0);
    A.values.fill(2);
    A.markModified();
    expect(A.spmv(x)[1000]).toBe(10);
    expectSameBits(A.spmv(x), sequentialSpmv(A, x));
  });

  it('picks CSR for irregular rows and the shared kernel for small matrices', () => {
    const rows = 200;
    const data = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) data[i * rows + i] = 1;
    for (let j = 0; j < rows; j++) data[j] = 1; // one dense row: padding would be 200x
    const A = CsrMatrix.fromDense({ rows, cols: rows, data });
    expect(A.nnz).toBeLessThan(4096);
    expect(A.kernelInfo()).toEqual({ format: 'csr', specialised: false });
    const big = CsrMatrix.fromDense({ rows: 100, cols: 100, data: randomDenseData(100, 100, 0.6, 5) });
    expect(big.kernelInfo().specialised).toBe(true);
  });

  it('markModified makes the next product see written values', () => {
    const n = 3000;
    const A = CsrMatrix.fromCoo(n, n, Int32Array.from({ length: n }, (_, i) => i), Int32Array.from({ length: n }, (_, i) => i), new Float64Array(n).fill(2));
    const x = new Float64Array(n).fill(1);
    // Two entries per row so the generated ELL path is taken (nnz >= 4096).
    const B = A.add(CsrMatrix.fromCoo(n, n, Int32Array.from({ length: n }, (_, i) => i), Int32Array.from({ length: n }, (_, i) => (i + 1) % n), new Float64Array(n).fill(1)));
    expect(B.kernelInfo().format).toBe('ell');
    expect(B.spmv(x)[0]).toBe(3);
    B.values.fill(5);
    B.markModified();
    expect(B.spmv(x)[0]).toBe(10);
  });

  it('rejects wrong lengths, non-Float64Array input and overlapping output', () => {
    const A = CsrMatrix.identity(3);
    expectCode(() => A.spmv(new Float64Array(2)), 'SHAPE_MISMATCH');
    expectCode(() => A.spmv(new Float64Array(3), new Float64Array(4)), 'SHAPE_MISMATCH');
    expectCode(() => A.spmvT(new Float64Array(4)), 'SHAPE_MISMATCH');
    expectCode(() => A.spmv([1, 2, 3] as unknown as Float64Array), 'INVALID_ARGUMENT');
    const x = new Float64Array(3);
    expectCode(() => A.spmv(x, x), 'INVALID_ARGUMENT');
    const buf = new Float64Array(5);
    expectCode(() => A.spmv(buf.subarray(0, 3), buf.subarray(2, 5)), 'INVALID_ARGUMENT');
    expect(A.spmv(buf.subarray(0, 3), new Float64Array(3))).toEqual(new Float64Array(3));
  });
});

describe('CsrMatrix structure operations', () => {
  const a = randomDenseData(11, 8, 0.35, 21);
  const A = CsrMatrix.fromDense({ rows: 11, cols: 8, data: a });

  it('transpose equals the dense transpose and is canonical', () => {
    const T = A.transpose();
    expect(T.rows).toBe(8);
    expect(T.cols).toBe(11);
    expectCanonical(T);
    expect(T.toDense().data).toEqual(new DenseMatrix(11, 8, a).transpose().data);
    expect(T.transpose().toDense().data).toEqual(a);
  });

  it('get, diagonal, clone, scale', () => {
    for (let i = 0; i < 11; i++) for (let j = 0; j < 8; j++) expect(A.get(i, j)).toBe(a[i * 8 + j]);
    const d = A.diagonal();
    expect(d.length).toBe(8);
    for (let i = 0; i < 8; i++) expect(d[i]).toBe(a[i * 8 + i]);
    const C = A.clone();
    expect(C.values).not.toBe(A.values);
    expect(C.toDense().data).toEqual(a);
    const S = A.scale(-2);
    for (let t = 0; t < a.length; t++) expect(S.toDense().data[t]).toBe(-2 * a[t] + 0); // + 0: absent entries are +0
    expectCode(() => A.get(11, 0), 'INVALID_ARGUMENT');
    expectCode(() => A.get(0, -1), 'INVALID_ARGUMENT');
    expectCode(() => A.scale(Number.NaN), 'NOT_FINITE');
  });

  it('add merges structures', () => {
    const b = randomDenseData(11, 8, 0.35, 22);
    const B = CsrMatrix.fromDense({ rows: 11, cols: 8, data: b });
    const S = A.add(B, 0.5);
    expectCanonical(S);
    const expected = a.map((v, t) => v + 0.5 * b[t]);
    expect(maxAbsDiff(S.toDense().data, expected)).toBeLessThan(1e-15);
    expectCode(() => A.add(CsrMatrix.identity(3)), 'SHAPE_MISMATCH');
  });

  it('isSymmetric', () => {
    const S = A.transpose().add(A.transpose().transpose().transpose()); // 2·Aᵀ, not symmetric
    expect(S.isSymmetric()).toBe(false);
    const sq = CsrMatrix.fromDense({ rows: 3, cols: 3, data: [2, 1, 0, 1, 2, 3, 0, 3, 1] });
    expect(sq.isSymmetric()).toBe(true);
    const almost = CsrMatrix.fromDense({ rows: 2, cols: 2, data: [1, 1, 1 + 1e-12, 1] });
    expect(almost.isSymmetric()).toBe(false);
    expect(almost.isSymmetric(1e-10)).toBe(true);
    // An entry stored on one side only.
    expect(CsrMatrix.fromDense({ rows: 2, cols: 2, data: [1, 1, 0, 1] }).isSymmetric()).toBe(false);
  });
});
