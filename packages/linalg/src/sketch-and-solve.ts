/**
 * Sketch-and-solve least squares: draw an oblivious S (m×n), form [S·A | S·b] in one pass (b appended
 * as an extra column so it gets the *same* S — sketching A and b with different draws silently breaks
 * x'), and return x' = argmin ‖S·A·x − S·b‖₂ by Householder QR of S·A (minimum-norm SVD when S·A is
 * rank-deficient, as CountSketch's often is). Method card linf-regression.md §2; paper: Z. Song,
 * M. Ye, J. Yin, L. Zhang, "A Nearly-Optimal Bound for Fast Regression with ℓ∞ Guarantee", ICML 2023.
 * For x* itself to full accuracy use {@link sketchPreconditionedLsqr} instead.
 *
 * A may be dense or a core CsrMatrix; a sparse A is sketched from its CSR arrays (with b appended as a
 * column of the CSR matrix), so CountSketch and OSNAP cost O(nnz(A) + n) (sketch.ts).
 */
import { CsrMatrix, DenseMatrix, OptkitError, Stopwatch, assertFinite } from '@optkit/core';
import { denseLeastSquares } from './dense-least-squares.js';
import { createSketch, type SketchKind, type SketchOperator, type SketchOptions } from './sketch.js';

export interface SketchAndSolveOptions extends SketchOptions {
  /** Solver of the small problem: `'qr'` (default, SVD fallback when rank-deficient) or `'svd'`. */
  solver?: 'qr' | 'svd';
}

export interface SketchAndSolveResult {
  x: Float64Array;
  kind: SketchKind;
  /** Sketch size. */
  m: number;
  /** Numerical rank of S·A (d unless the sketch collapsed columns). */
  rank: number;
  /** ‖S·A·x − S·b‖₂. */
  residualSketched: number;
  /** Seconds spent forming [S·A | S·b] and solving the m×d problem. */
  sketchSeconds: number;
  solveSeconds: number;
}

function isSketch(o: unknown): o is SketchOperator {
  return typeof o === 'object' && o !== null && typeof (o as SketchOperator).applyMatrix === 'function';
}

/** [A | b] as CSR: b's nonzeros become the last column (the same S then sketches both). */
function appendColumn(A: CsrMatrix, b: Float64Array): CsrMatrix {
  const { rows: n, cols: d, indptr, indices, values } = A;
  let extra = 0;
  for (let i = 0; i < n; i++) if (b[i] !== 0) extra++;
  const nnz = A.nnz + extra;
  const ptr = new Int32Array(n + 1);
  const idx = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  let t = 0;
  for (let i = 0; i < n; i++) {
    for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
      idx[t] = indices[p];
      val[t++] = values[p];
    }
    if (b[i] !== 0) {
      idx[t] = d;
      val[t++] = b[i];
    }
    ptr[i + 1] = t;
  }
  return new CsrMatrix(n, d + 1, ptr, idx, val);
}

/**
 * x' = argmin ‖S(A·x − b)‖₂ for A (n×d, dense or CSR, n ≥ d) and b (length n), with S drawn from `options`
 * (`{kind, m, seed, ...}`, see createSketch) or given as an already drawn {@link SketchOperator}.
 * Throws SHAPE_MISMATCH (b's length, a sketch of the wrong width, m < d), NOT_FINITE, INVALID_OPTION.
 */
export function sketchAndSolve(A: DenseMatrix | CsrMatrix, b: Float64Array, options: SketchAndSolveOptions | SketchOperator): SketchAndSolveResult {
  const fn = 'sketchAndSolve';
  const sparse = A instanceof CsrMatrix;
  if (!sparse && !(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix (row-major n×d) or a CsrMatrix`, 'A');
  const { rows: n, cols: d } = A;
  if (n === 0 || d === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: A is ${n}×${d}`, 'A');
  if (!(b instanceof Float64Array) || b.length !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b must be a Float64Array of length ${n} (the rows of A)`, 'b');
  }
  if (sparse) assertFinite(A.values, 'A.values', fn);
  else assertFinite(A.data, 'A', fn);
  assertFinite(b, 'b', fn);
  const S = isSketch(options) ? options : createSketch(n, options);
  if (S.n !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: the sketch has ${S.n} columns; A has ${n} rows`, 'options');
  if (S.m < d) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: sketch size m = ${S.m} is below the ${d} columns of A; S·A could not have full column rank`, 'options.m');
  }
  const solver = isSketch(options) ? 'qr' : (options.solver ?? 'qr');
  const clock = new Stopwatch();
  // [A | b] so that one draw of S sketches both.
  const k = d + 1;
  let SAb: DenseMatrix;
  if (sparse) {
    SAb = S.applyMatrix(appendColumn(A, b));
  } else {
    const Ab = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      Ab.set(A.data.subarray(i * d, i * d + d), i * k);
      Ab[i * k + d] = b[i];
    }
    SAb = S.applyMatrix(DenseMatrix.wrap(n, k, Ab));
  }
  const m = S.m;
  const SA = new Float64Array(m * d);
  const Sb = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    SA.set(SAb.data.subarray(r * k, r * k + d), r * d);
    Sb[r] = SAb.data[r * k + d];
  }
  const sketchSeconds = clock.seconds();
  const sol = denseLeastSquares(DenseMatrix.wrap(m, d, SA), Sb, { method: solver });
  return {
    x: sol.x,
    kind: S.kind,
    m,
    rank: sol.rank,
    residualSketched: sol.residualNorm,
    sketchSeconds,
    solveSeconds: clock.seconds() - sketchSeconds,
  };
}
