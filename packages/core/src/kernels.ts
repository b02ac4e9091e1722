/**
 * The dense kernel set: one small interface behind which sit every dense level-2/3 kernel (gemm,
 * gemv) and every dense decomposition (SVD, QR, symmetric eigen, Cholesky, LU solve) that optkit's
 * methods use (DESIGN.md, "Numbers"). Methods and {@link DenseMatrix} call `getKernels()`, never
 * their own triple loops, so a faster backend (for example OpenBLAS/LAPACK through N-API) can replace
 * the default with `setKernels` at start-up without any method changing.
 *
 * The default, {@link tsKernels}, is pure TypeScript: a packed, register-tiled gemm (gemm.ts),
 * row-blocked gemv loops, and ml-matrix 6 for the decompositions (converted at the edges).
 *
 * Storage convention: row-major, as in the C interface of BLAS (CBLAS with `CblasRowMajor`).
 * op(X) is X or Xᵀ; a leading dimension is the distance between the starts of consecutive stored
 * rows (≥ the number of stored columns), so a kernel can work on a sub-block of a larger matrix.
 */
import {
  CholeskyDecomposition,
  EigenvalueDecomposition,
  LuDecomposition,
  Matrix,
  QrDecomposition,
  SingularValueDecomposition,
} from 'ml-matrix';
import { OptkitError, assertFinite, assertFiniteNumber, assertInteger } from './errors.js';
import { DenseMatrix } from './dense.js';
import { gemmPacked } from './gemm.js';

/** The thin (economy) or full singular value decomposition A = U·diag(s)·Vᵀ. */
export interface SvdResult {
  /** m×r with orthonormal columns (r = min(m, n) when thin, m when full). */
  U: DenseMatrix;
  /** The min(m, n) singular values, non-negative and descending. */
  s: Float64Array;
  /** n×r with orthonormal columns (r = min(m, n) when thin, n when full). */
  V: DenseMatrix;
}

/** The thin QR decomposition A = Q·R. */
export interface QrResult {
  /** m×r with orthonormal columns, r = min(m, n). */
  Q: DenseMatrix;
  /** r×n upper triangular (upper trapezoidal when m < n). */
  R: DenseMatrix;
}

/** The eigendecomposition A = V·diag(values)·Vᵀ of a symmetric matrix. */
export interface EigenResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** n×n orthogonal; column j is the eigenvector of `values[j]`. */
  vectors: DenseMatrix;
}

export interface SvdOptions {
  /** Thin (economy) factors U m×r, V n×r with r = min(m, n) (default true); false gives square U, V. */
  thin?: boolean;
}

/**
 * A complete set of dense kernels. Raw kernels (gemm, gemv, gemvT) take row-major Float64Array
 * storage with leading dimensions; implementations must validate their arguments with
 * {@link checkGemmArgs} / {@link checkGemvArgs} (O(1)) and need not scan values. Decompositions take a
 * {@link DenseMatrix}, reject non-finite entries (NOT_FINITE) and empty matrices (EMPTY_INPUT), and
 * return new matrices.
 */
export interface KernelSet {
  /** Short name shown in benchmark notes, e.g. `'typescript'` or `'openblas'`. */
  readonly name: string;
  /**
   * C ← α·op(A)·op(B) + β·C with op(A) m×k, op(B) k×n, C m×n (BLAS dgemm, row-major).
   * With β = 0, C is not read; with α = 0 or k = 0, A and B are not read.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float64Array,
    lda: number,
    B: Float64Array,
    ldb: number,
    beta: number,
    C: Float64Array,
    ldc: number,
  ): void;
  /** y ← α·A·x + β·y with A m×n (leading dimension lda), x of length n, y of length m (BLAS dgemv 'N'). */
  gemv(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void;
  /** y ← α·Aᵀ·x + β·y with A m×n (leading dimension lda), x of length m, y of length n (BLAS dgemv 'T'). */
  gemvT(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void;
  /** Singular value decomposition (thin by default). */
  svd(A: DenseMatrix, options?: SvdOptions): SvdResult;
  /** Thin QR decomposition (Householder). */
  qr(A: DenseMatrix): QrResult;
  /** Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; INVALID_ARGUMENT if A is not symmetric. */
  symmetricEigen(A: DenseMatrix): EigenResult;
  /** The lower-triangular L with A = L·Lᵀ; NOT_SPD if A is not symmetric positive definite. */
  cholesky(A: DenseMatrix): DenseMatrix;
  /** X with A·X = B for square A (LU with partial pivoting); SINGULAR if A is singular. */
  luSolve(A: DenseMatrix, B: DenseMatrix): DenseMatrix;
  /** x with A·x = b for square A; SINGULAR if A is singular. */
  solve(A: DenseMatrix, b: Float64Array): Float64Array;
  /** A⁻¹ for square A; SINGULAR if A is singular. Optional: callers fall back to `luSolve(A, I)`. */
  inverse?(A: DenseMatrix): DenseMatrix;
}

// ---------------------------------------------------------------------------------------------
// Argument checks shared by every backend (O(1): sizes, leading dimensions, buffer lengths).

function checkStorage(X: Float64Array, rows: number, cols: number, ld: number, name: string, fn: string): void {
  if (!(X instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`, name);
  }
  assertInteger(ld, `ld${name.toLowerCase()}`, 1, fn);
  if (ld < cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: ld${name.toLowerCase()} = ${ld} is less than the ${cols} stored columns of ${name}`, `ld${name.toLowerCase()}`);
  }
  if (rows > 0 && cols > 0) {
    const need = (rows - 1) * ld + cols;
    if (X.length < need) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: ${name} has length ${X.length}; a ${rows}×${cols} matrix with leading dimension ${ld} needs at least ${need}`, name);
    }
  }
}

/** Validates gemm arguments (see {@link KernelSet.gemm}); throws OptkitError naming the argument. */
export function checkGemmArgs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
  fn = 'gemm',
): void {
  assertInteger(m, 'm', 0, fn);
  assertInteger(n, 'n', 0, fn);
  assertInteger(k, 'k', 0, fn);
  assertFiniteNumber(alpha, 'alpha', fn);
  assertFiniteNumber(beta, 'beta', fn);
  // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed).
  checkStorage(A, transA ? k : m, transA ? m : k, lda, 'A', fn);
  checkStorage(B, transB ? n : k, transB ? k : n, ldb, 'B', fn);
  checkStorage(C, m, n, ldc, 'C', fn);
}

/** Validates gemv/gemvT arguments; `trans` selects y = Aᵀx (x of length m, y of length n). */
export function checkGemvArgs(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  x: Float64Array,
  beta: number,
  y: Float64Array,
  fn = trans ? 'gemvT' : 'gemv',
): void {
  assertInteger(m, 'm', 0, fn);
  assertInteger(n, 'n', 0, fn);
  assertFiniteNumber(alpha, 'alpha', fn);
  assertFiniteNumber(beta, 'beta', fn);
  checkStorage(A, m, n, lda, 'A', fn);
  const xLen = trans ? m : n;
  const yLen = trans ? n : m;
  if (!(x instanceof Float64Array) || x.length !== xLen) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: x has length ${(x as { length?: number })?.length}; expected a Float64Array of length ${xLen}`, 'x');
  }
  if (!(y instanceof Float64Array) || y.length !== yLen) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: y has length ${(y as { length?: number })?.length}; expected a Float64Array of length ${yLen}`, 'y');
  }
}

// ---------------------------------------------------------------------------------------------
// Level-2 loops of the TypeScript kernel set.

/** y ← α·A·x + β·y, four rows at a time so each pass over x feeds four dot products. */
function gemvTs(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const o0 = i * lda;
    const o1 = o0 + lda;
    const o2 = o1 + lda;
    const o3 = o2 + lda;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j];
      s0 += A[o0 + j] * xj;
      s1 += A[o1 + j] * xj;
      s2 += A[o2 + j] * xj;
      s3 += A[o3 + j] * xj;
    }
    if (beta === 0) {
      y[i] = alpha * s0;
      y[i + 1] = alpha * s1;
      y[i + 2] = alpha * s2;
      y[i + 3] = alpha * s3;
    } else {
      y[i] = alpha * s0 + beta * y[i];
      y[i + 1] = alpha * s1 + beta * y[i + 1];
      y[i + 2] = alpha * s2 + beta * y[i + 2];
      y[i + 3] = alpha * s3 + beta * y[i + 3];
    }
  }
  for (; i < m; i++) {
    const o = i * lda;
    let s0 = 0;
    let s1 = 0;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      s0 += A[o + j] * x[j];
      s1 += A[o + j + 1] * x[j + 1];
    }
    if (j < n) s0 += A[o + j] * x[j];
    y[i] = beta === 0 ? alpha * (s0 + s1) : alpha * (s0 + s1) + beta * y[i];
  }
}

/** y ← α·Aᵀ·x + β·y, four rows of A per pass over y (one read-modify-write of y per four rows). */
function gemvTTs(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void {
  if (beta === 0) y.fill(0);
  else if (beta !== 1) for (let j = 0; j < n; j++) y[j] *= beta;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const o0 = i * lda;
    const o1 = o0 + lda;
    const o2 = o1 + lda;
    const o3 = o2 + lda;
    const a0 = alpha * x[i];
    const a1 = alpha * x[i + 1];
    const a2 = alpha * x[i + 2];
    const a3 = alpha * x[i + 3];
    for (let j = 0; j < n; j++) y[j] += a0 * A[o0 + j] + a1 * A[o1 + j] + a2 * A[o2 + j] + a3 * A[o3 + j];
  }
  for (; i < m; i++) {
    const o = i * lda;
    const a = alpha * x[i];
    for (let j = 0; j < n; j++) y[j] += a * A[o + j];
  }
}

/**
 * Runs the gemv loops on tiny inputs at load time, for the reason given at `primeTypeFeedback` in
 * vector.ts: code after a hot loop that first runs inside an on-stack-optimized call (the leftover
 * rows, the β branches) would otherwise deoptimize on every later call.
 */
function primeGemv(): void {
  const A = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); // 5×3
  const x3 = Float64Array.of(1, -1, 0.5);
  const x5 = Float64Array.of(1, 2, 3, 4, 5);
  const y5 = new Float64Array(5);
  const y3 = new Float64Array(3);
  for (let r = 0; r < 16; r++) {
    const beta = r & 1 ? 0.5 : r & 2 ? 1 : 0;
    gemvTs(5, 3, 1, A, 3, x3, beta, y5);
    gemvTTs(5, 3, 1, A, 3, x5, beta, y3);
  }
}
primeGemv();

// ---------------------------------------------------------------------------------------------
// Decompositions through ml-matrix.

function toMl(A: DenseMatrix): Matrix {
  return Matrix.from1DArray(A.rows, A.cols, A.data);
}

function fromMl(M: Matrix, rows = M.rows, cols = M.columns): DenseMatrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) data[o + j] = M.get(i, j);
  }
  return DenseMatrix.wrap(rows, cols, data);
}

function checkDecompositionInput(A: DenseMatrix, fn: string, square: boolean): void {
  if (!(A instanceof DenseMatrix)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  }
  if (A.rows === 0 || A.cols === 0) {
    throw new OptkitError('EMPTY_INPUT', `${fn}: A is ${A.rows}×${A.cols}; expected a non-empty matrix`, 'A');
  }
  if (square && A.rows !== A.cols) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${A.rows}×${A.cols}; expected a square matrix`, 'A');
  }
  // O(mn) against the O(mn·min(m,n)) decomposition; NaN would make the ml-matrix iterations spin.
  assertFinite(A.data, 'A', fn);
}

/** Relative tolerance for accepting a matrix as symmetric: |aᵢⱼ − aⱼᵢ| ≤ 1e-10 · max|a|. */
const SYMMETRY_RTOL = 1e-10;

/** (A + Aᵀ)/2 as an exactly symmetric ml-matrix Matrix, or undefined if A is not symmetric within tolerance. */
function symmetrized(A: DenseMatrix): Matrix | undefined {
  const n = A.rows;
  const a = A.data;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > maxAbs) maxAbs = v;
  }
  const tol = SYMMETRY_RTOL * maxAbs;
  const M = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    M.set(i, i, a[i * n + i]);
    for (let j = 0; j < i; j++) {
      const u = a[i * n + j];
      const l = a[j * n + i];
      if (Math.abs(u - l) > tol) return undefined;
      const s = 0.5 * (u + l);
      M.set(i, j, s);
      M.set(j, i, s);
    }
  }
  return M;
}

/**
 * Extends the r orthonormal columns of Q (m×r) to an orthonormal basis of ℝᵐ (m×m): each unit vector
 * eᵢ in turn is orthogonalised twice (modified Gram–Schmidt) against the basis so far and kept when
 * at least half of it survives.
 */
function completeBasis(Q: DenseMatrix): DenseMatrix {
  const m = Q.rows;
  const r = Q.cols;
  // Column-major working copy: column c is cols[c*m .. c*m+m).
  const cols = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let c = 0; c < r; c++) cols[c * m + i] = Q.data[i * r + c];
  let have = r;
  const v = new Float64Array(m);
  for (let e = 0; e < m && have < m; e++) {
    v.fill(0);
    v[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < have; c++) {
        const o = c * m;
        let d = 0;
        for (let i = 0; i < m; i++) d += cols[o + i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= d * cols[o + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 0.5) continue;
    const o = have * m;
    for (let i = 0; i < m; i++) cols[o + i] = v[i] / norm;
    have++;
  }
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let c = 0; c < m; c++) out[i * m + c] = cols[c * m + i];
  return DenseMatrix.wrap(m, m, out);
}

function svdTs(A: DenseMatrix, options: SvdOptions = {}): SvdResult {
  checkDecompositionInput(A, 'svd', false);
  const thin = options.thin ?? true;
  const m = A.rows;
  const n = A.cols;
  const r = Math.min(m, n);
  // autoTranspose makes ml-matrix factor Aᵀ when m < n; it then returns U m×m and V n×m.
  const dec = new SingularValueDecomposition(toMl(A), { autoTranspose: true });
  const s = Float64Array.from(dec.diagonal.slice(0, r));
  let U = fromMl(dec.leftSingularVectors, m, r);
  let V = fromMl(dec.rightSingularVectors, n, r);
  if (!thin) {
    if (r < m) U = completeBasis(U);
    if (r < n) V = completeBasis(V);
  }
  return { U, s, V };
}

function qrTs(A: DenseMatrix): QrResult {
  checkDecompositionInput(A, 'qr', false);
  const m = A.rows;
  const n = A.cols;
  if (m >= n) {
    const dec = new QrDecomposition(toMl(A));
    return { Q: fromMl(dec.orthogonalMatrix, m, n), R: fromMl(dec.upperTriangularMatrix, n, n) };
  }
  // Wide A = [A1 A2] with A1 m×m: A1 = Q·R1, and R = [R1, Qᵀ·A2] (ml-matrix's QR needs m ≥ n).
  const A1 = new Float64Array(m * m);
  for (let i = 0; i < m; i++) A1.set(A.data.subarray(i * n, i * n + m), i * m);
  const dec = new QrDecomposition(Matrix.from1DArray(m, m, A1));
  const Q = fromMl(dec.orthogonalMatrix, m, m);
  const R1 = fromMl(dec.upperTriangularMatrix, m, m);
  const R = new Float64Array(m * n);
  for (let i = 0; i < m; i++) R.set(R1.data.subarray(i * m, i * m + m), i * n);
  // R[:, m:] = Qᵀ A[:, m:] (sub-blocks addressed through offsets and the leading dimension n).
  gemmPacked(true, false, m, n - m, m, 1, Q.data, m, A.data.subarray(m), n, 0, R.subarray(m), n);
  return { Q, R: DenseMatrix.wrap(m, n, R) };
}

function symmetricEigenTs(A: DenseMatrix): EigenResult {
  checkDecompositionInput(A, 'symmetricEigen', true);
  const S = symmetrized(A);
  if (!S) throw new OptkitError('INVALID_ARGUMENT', 'symmetricEigen: A is not symmetric (|aij - aji| > 1e-10 max|a|)', 'A');
  const n = A.rows;
  const dec = new EigenvalueDecomposition(S, { assumeSymmetric: true });
  const raw = dec.realEigenvalues;
  const V = dec.eigenvectorMatrix;
  // tql2 already sorts ascending; sorting again makes that a guarantee of this interface.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => raw[a] - raw[b]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    values[c] = raw[src];
    for (let i = 0; i < n; i++) vectors[i * n + c] = V.get(i, src);
  }
  return { values, vectors: DenseMatrix.wrap(n, n, vectors) };
}

function choleskyTs(A: DenseMatrix): DenseMatrix {
  checkDecompositionInput(A, 'cholesky', true);
  const S = symmetrized(A);
  if (!S) throw new OptkitError('NOT_SPD', 'cholesky: A is not symmetric (|aij - aji| > 1e-10 max|a|)', 'A');
  const dec = new CholeskyDecomposition(S);
  if (!dec.isPositiveDefinite()) throw new OptkitError('NOT_SPD', 'cholesky: A is not positive definite', 'A');
  return fromMl(dec.lowerTriangularMatrix, A.rows, A.rows);
}

function luSolveTs(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  checkDecompositionInput(A, 'luSolve', true);
  if (!(B instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', 'luSolve: B must be a DenseMatrix', 'B');
  if (B.rows !== A.rows) {
    throw new OptkitError('SHAPE_MISMATCH', `luSolve: B has ${B.rows} rows; expected ${A.rows} (the order of A)`, 'B');
  }
  assertFinite(B.data, 'B', 'luSolve');
  const dec = new LuDecomposition(toMl(A));
  if (dec.isSingular()) throw new OptkitError('SINGULAR', 'luSolve: A is singular (a zero pivot in its LU factorization)', 'A');
  const X = fromMl(dec.solve(toMl(B)), B.rows, B.cols);
  // A pivot that is tiny but not zero overflows instead; report that as singular too.
  for (let i = 0; i < X.data.length; i++) {
    if (X.data[i] - X.data[i] !== 0) {
      throw new OptkitError('SINGULAR', 'luSolve: A is numerically singular (the solution overflowed)', 'A');
    }
  }
  return X;
}

function solveTs(A: DenseMatrix, b: Float64Array): Float64Array {
  if (!(b instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', 'solve: b must be a Float64Array', 'b');
  if (A instanceof DenseMatrix && b.length !== A.rows) {
    throw new OptkitError('SHAPE_MISMATCH', `solve: b has length ${b.length}; expected ${A.rows} (the rows of A)`, 'b');
  }
  return luSolveTs(A, DenseMatrix.wrap(b.length, 1, Float64Array.from(b))).data;
}

function inverseTs(A: DenseMatrix): DenseMatrix {
  checkDecompositionInput(A, 'inverse', true);
  return luSolveTs(A, DenseMatrix.identity(A.rows));
}

/** The pure-TypeScript kernel set: the default everywhere. */
export const tsKernels: KernelSet = {
  name: 'typescript',
  gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc) {
    checkGemmArgs(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    gemmPacked(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  },
  gemv(m, n, alpha, A, lda, x, beta, y) {
    checkGemvArgs(false, m, n, alpha, A, lda, x, beta, y);
    gemvTs(m, n, alpha, A, lda, x, beta, y);
  },
  gemvT(m, n, alpha, A, lda, x, beta, y) {
    checkGemvArgs(true, m, n, alpha, A, lda, x, beta, y);
    gemvTTs(m, n, alpha, A, lda, x, beta, y);
  },
  svd: svdTs,
  qr: qrTs,
  symmetricEigen: symmetricEigenTs,
  cholesky: choleskyTs,
  luSolve: luSolveTs,
  solve: solveTs,
  inverse: inverseTs,
};

let current: KernelSet = tsKernels;

/** The kernel set in use (initially {@link tsKernels}). */
export function getKernels(): KernelSet {
  return current;
}

const REQUIRED: readonly (keyof KernelSet)[] = [
  'gemm',
  'gemv',
  'gemvT',
  'svd',
  'qr',
  'symmetricEigen',
  'cholesky',
  'luSolve',
  'solve',
];

/**
 * Installs a kernel set and returns the previous one. Call it once at start-up, before any method
 * runs (a method may cache nothing, but mixing backends mid-computation changes rounding).
 * Throws INVALID_ARGUMENT if a required kernel is missing.
 */
export function setKernels(kernels: KernelSet): KernelSet {
  if (kernels === null || typeof kernels !== 'object' || typeof kernels.name !== 'string') {
    throw new OptkitError('INVALID_ARGUMENT', 'setKernels: kernels must be an object with a string name', 'kernels');
  }
  for (const key of REQUIRED) {
    if (typeof kernels[key] !== 'function') {
      throw new OptkitError('INVALID_ARGUMENT', `setKernels: kernels.${key} is missing; expected a function`, `kernels.${key}`);
    }
  }
  const previous = current;
  current = kernels;
  return previous;
}

/**
 * C ← α·op(A)·op(B) + β·C on raw row-major storage with the current kernel set (see
 * {@link KernelSet.gemm}). Validates sizes, leading dimensions and buffer lengths.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
): void {
  checkGemmArgs(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  current.gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

/** y ← α·A·x + β·y on raw row-major storage with the current kernel set. */
export function gemv(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void {
  checkGemvArgs(false, m, n, alpha, A, lda, x, beta, y);
  current.gemv(m, n, alpha, A, lda, x, beta, y);
}

/** y ← α·Aᵀ·x + β·y on raw row-major storage with the current kernel set. */
export function gemvT(m: number, n: number, alpha: number, A: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void {
  checkGemvArgs(true, m, n, alpha, A, lda, x, beta, y);
  current.gemvT(m, n, alpha, A, lda, x, beta, y);
}
