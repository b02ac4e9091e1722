/**
 * Dense row-major float64 matrices: `{rows, cols, data}` with element (i, j) at `data[i * cols + j]`
 * (DESIGN.md, "Numbers"). Every product and decomposition goes through the current kernel set
 * (`getKernels()` in kernels.ts), so a native backend speeds all of them up at once.
 *
 * Validation: the constructor checks sizes and scans the data for NaN/Infinity; every method checks
 * the shapes of its arguments and throws an OptkitError (SHAPE_MISMATCH, NOT_FINITE,
 * INVALID_ARGUMENT) naming the argument. `data` is public and may be written directly for speed;
 * whoever does so is responsible for keeping it finite.
 */
import { Matrix, type AbstractMatrix } from 'ml-matrix';
import { OptkitError, assertFinite, assertInteger, checkChoice, checkOption } from './errors.js';
import { getKernels, type EigenResult, type QrResult, type SvdOptions, type SvdResult } from './kernels.js';
import { rngFrom, type RandomOptions } from './rng.js';
import { nrm2, type Vec } from './vector.js';

export interface RandomMatrixOptions extends RandomOptions {
  /** `'uniform'` on [low, high) (default) or `'normal'` with `mean` and `std`. */
  distribution?: 'uniform' | 'normal';
  /** Uniform lower bound (default 0). */
  low?: number;
  /** Uniform upper bound (default 1). */
  high?: number;
  /** Normal mean (default 0). */
  mean?: number;
  /** Normal standard deviation (default 1). */
  std?: number;
}

function checkSize(rows: number, cols: number, fn: string): void {
  assertInteger(rows, 'rows', 0, fn);
  assertInteger(cols, 'cols', 0, fn);
}

function checkVector(x: unknown, length: number, name: string, fn: string): asserts x is Float64Array {
  if (!(x instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`, name);
  }
  if (x.length !== length) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: ${name} has length ${x.length}; expected ${length}`, name);
  }
}

function checkMatrix(B: unknown, name: string, fn: string): asserts B is DenseMatrix {
  if (!(B instanceof DenseMatrix)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a DenseMatrix`, name);
  }
}

/** Set by {@link DenseMatrix.wrap} for the one constructor call that follows; skips the value scan. */
let adoptUnchecked = false;

export class DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major entries, length rows·cols. */
  readonly data: Float64Array;

  /**
   * A rows×cols matrix. A Float64Array `data` is adopted without copying; any other array-like is
   * copied; without `data` the matrix is zero. Throws INVALID_ARGUMENT for negative or fractional
   * sizes, SHAPE_MISMATCH when `data` has the wrong length, NOT_FINITE for NaN/Infinity entries.
   */
  constructor(rows: number, cols: number, data?: Float64Array | ArrayLike<number>) {
    if (adoptUnchecked) {
      adoptUnchecked = false;
      this.rows = rows;
      this.cols = cols;
      this.data = data as Float64Array;
      return;
    }
    checkSize(rows, cols, 'DenseMatrix');
    let d: Float64Array;
    if (data === undefined) {
      d = new Float64Array(rows * cols);
    } else {
      if (data.length !== rows * cols) {
        throw new OptkitError('SHAPE_MISMATCH', `DenseMatrix: data has length ${data.length}; expected ${rows}×${cols} = ${rows * cols}`, 'data');
      }
      d = data instanceof Float64Array ? data : Float64Array.from(data);
      assertFinite(d, 'data', 'DenseMatrix');
    }
    this.rows = rows;
    this.cols = cols;
    this.data = d;
  }

  /**
   * Adopts `data` as a rows×cols matrix, checking sizes but not scanning the values: for kernels
   * that have just computed `data` from finite inputs. Prefer the constructor elsewhere.
   */
  static wrap(rows: number, cols: number, data: Float64Array): DenseMatrix {
    checkSize(rows, cols, 'DenseMatrix.wrap');
    if (!(data instanceof Float64Array) || data.length !== rows * cols) {
      throw new OptkitError('SHAPE_MISMATCH', `DenseMatrix.wrap: data must be a Float64Array of length ${rows * cols}`, 'data');
    }
    adoptUnchecked = true;
    return new DenseMatrix(rows, cols, data);
  }

  /** The rows×cols zero matrix. */
  static zeros(rows: number, cols: number): DenseMatrix {
    return new DenseMatrix(rows, cols);
  }

  /** The n×n identity. */
  static identity(n: number): DenseMatrix {
    assertInteger(n, 'n', 0, 'DenseMatrix.identity');
    const M = new DenseMatrix(n, n);
    for (let i = 0; i < n; i++) M.data[i * n + i] = 1;
    return M;
  }

  /** The square diagonal matrix with `v` on its diagonal. */
  static diag(v: ArrayLike<number>): DenseMatrix {
    assertFinite(v, 'v', 'DenseMatrix.diag');
    const n = v.length;
    const M = new DenseMatrix(n, n);
    for (let i = 0; i < n; i++) M.data[i * n + i] = v[i];
    return M;
  }

  /** A matrix from an array of equal-length rows (copied). An empty array gives a 0×0 matrix. */
  static fromRows(rows: ArrayLike<ArrayLike<number>>): DenseMatrix {
    const m = rows.length;
    const n = m > 0 ? rows[0].length : 0;
    const data = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const r = rows[i];
      if (r.length !== n) {
        throw new OptkitError('SHAPE_MISMATCH', `DenseMatrix.fromRows: rows[${i}] has length ${r.length}; expected ${n} (the length of rows[0])`, `rows[${i}]`);
      }
      for (let j = 0; j < n; j++) data[i * n + j] = r[j];
    }
    return new DenseMatrix(m, n, data);
  }

  /** A copy of an ml-matrix matrix. */
  static fromMlMatrix(M: AbstractMatrix): DenseMatrix {
    if (M === null || typeof M !== 'object' || typeof M.get !== 'function') {
      throw new OptkitError('INVALID_ARGUMENT', 'DenseMatrix.fromMlMatrix: M must be an ml-matrix Matrix', 'M');
    }
    const rows = M.rows;
    const cols = M.columns;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = M.get(i, j);
    return new DenseMatrix(rows, cols, data);
  }

  /**
   * A random rows×cols matrix: uniform on [low, high) (default [0, 1)) or normal(mean, std), from
   * `seed` (default 0) or `rng`.
   */
  static random(rows: number, cols: number, options: RandomMatrixOptions = {}): DenseMatrix {
    checkSize(rows, cols, 'DenseMatrix.random');
    const fn = 'DenseMatrix.random';
    const distribution = checkChoice(options.distribution ?? 'uniform', ['uniform', 'normal'] as const, 'distribution', fn);
    const rng = rngFrom(options);
    const data = new Float64Array(rows * cols);
    if (distribution === 'normal') {
      const mean = checkOption(options.mean ?? 0, 'mean', {}, fn);
      const std = checkOption(options.std ?? 1, 'std', { min: 0 }, fn);
      rng.fillNormal(data, mean, std);
    } else {
      const low = checkOption(options.low ?? 0, 'low', {}, fn);
      const high = checkOption(options.high ?? 1, 'high', { min: low }, fn);
      rng.fillUniform(data, low, high);
    }
    return new DenseMatrix(rows, cols, data);
  }

  /** A copy as an ml-matrix `Matrix` (for the rare operation optkit has no kernel for). */
  toMlMatrix(): Matrix {
    return Matrix.from1DArray(this.rows, this.cols, this.data);
  }

  /** The rows as plain arrays (for printing and JSON; not for computation). */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }

  private checkIndex(i: number, j: number, fn: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: row index i = ${i} is outside [0, ${this.rows})`, 'i');
    }
    if (!Number.isInteger(j) || j < 0 || j >= this.cols) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: column index j = ${j} is outside [0, ${this.cols})`, 'j');
    }
  }

  /** Entry (i, j). */
  get(i: number, j: number): number {
    this.checkIndex(i, j, 'DenseMatrix.get');
    return this.data[i * this.cols + j];
  }

  /** Sets entry (i, j) to a finite `value`; returns this. */
  set(i: number, j: number, value: number): this {
    this.checkIndex(i, j, 'DenseMatrix.set');
    if (typeof value !== 'number' || value - value !== 0) {
      throw new OptkitError('NOT_FINITE', `DenseMatrix.set: value is ${String(value)}; expected a finite number`, 'value');
    }
    this.data[i * this.cols + j] = value;
    return this;
  }

  /** A deep copy. */
  clone(): DenseMatrix {
    return DenseMatrix.wrap(this.rows, this.cols, this.data.slice());
  }

  /** Aᵀ as a new matrix (copied in 32×32 blocks to stay in cache). */
  transpose(): DenseMatrix {
    const m = this.rows;
    const n = this.cols;
    const a = this.data;
    const t = new Float64Array(m * n);
    const BS = 32;
    for (let ib = 0; ib < m; ib += BS) {
      const iEnd = Math.min(ib + BS, m);
      for (let jb = 0; jb < n; jb += BS) {
        const jEnd = Math.min(jb + BS, n);
        for (let i = ib; i < iEnd; i++) {
          const o = i * n;
          for (let j = jb; j < jEnd; j++) t[j * m + i] = a[o + j];
        }
      }
    }
    return DenseMatrix.wrap(n, m, t);
  }

  /** The matrix product A·B (A = this) as a new matrix; SHAPE_MISMATCH unless B.rows = A.cols. */
  mul(B: DenseMatrix): DenseMatrix {
    checkMatrix(B, 'B', 'DenseMatrix.mul');
    if (B.rows !== this.cols) {
      throw new OptkitError('SHAPE_MISMATCH', `DenseMatrix.mul: B has ${B.rows} rows; expected ${this.cols} (the columns of A)`, 'B');
    }
    const C = new Float64Array(this.rows * B.cols);
    getKernels().gemm(false, false, this.rows, B.cols, this.cols, 1, this.data, Math.max(1, this.cols), B.data, Math.max(1, B.cols), 0, C, Math.max(1, B.cols));
    return DenseMatrix.wrap(this.rows, B.cols, C);
  }

  /** The matrix product A·B (the same as {@link mul}). */
  matmul(B: DenseMatrix): DenseMatrix {
    return this.mul(B);
  }

  /** y = A·x (x of length cols) into `out` (length rows) or a new vector. */
  gemv(x: Vec, out?: Vec): Vec {
    checkVector(x, this.cols, 'x', 'DenseMatrix.gemv');
    const y = out ?? new Float64Array(this.rows);
    if (out !== undefined) checkVector(out, this.rows, 'out', 'DenseMatrix.gemv');
    getKernels().gemv(this.rows, this.cols, 1, this.data, Math.max(1, this.cols), x, 0, y);
    return y;
  }

  /** y = Aᵀ·x (x of length rows) into `out` (length cols) or a new vector. */
  gemvT(x: Vec, out?: Vec): Vec {
    checkVector(x, this.rows, 'x', 'DenseMatrix.gemvT');
    const y = out ?? new Float64Array(this.cols);
    if (out !== undefined) checkVector(out, this.cols, 'out', 'DenseMatrix.gemvT');
    getKernels().gemvT(this.rows, this.cols, 1, this.data, Math.max(1, this.cols), x, 0, y);
    return y;
  }

  /** The Frobenius norm √(Σ aᵢⱼ²), overflow-safe. */
  frobeniusNorm(): number {
    return nrm2(this.data);
  }

  /** A copy of column j. */
  column(j: number): Vec {
    if (!Number.isInteger(j) || j < 0 || j >= this.cols) {
      throw new OptkitError('INVALID_ARGUMENT', `DenseMatrix.column: j = ${j} is outside [0, ${this.cols})`, 'j');
    }
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.data[i * this.cols + j];
    return out;
  }

  /** A copy of row i. */
  row(i: number): Vec {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
      throw new OptkitError('INVALID_ARGUMENT', `DenseMatrix.row: i = ${i} is outside [0, ${this.rows})`, 'i');
    }
    return this.data.slice(i * this.cols, (i + 1) * this.cols);
  }

  /** Singular value decomposition (thin by default) through the current kernel set. */
  svd(options?: SvdOptions): SvdResult {
    return getKernels().svd(this, options);
  }

  /** Thin QR decomposition through the current kernel set. */
  qr(): QrResult {
    return getKernels().qr(this);
  }

  /** Eigenvalues (ascending) and eigenvectors of this symmetric matrix. */
  symmetricEigen(): EigenResult {
    return getKernels().symmetricEigen(this);
  }

  /** Lower-triangular L with A = L·Lᵀ; NOT_SPD unless A is symmetric positive definite. */
  cholesky(): DenseMatrix {
    return getKernels().cholesky(this);
  }

  /** x with A·x = b (b a vector), or X with A·X = B (B a matrix); SINGULAR if A is singular. */
  solve(b: Vec): Vec;
  solve(B: DenseMatrix): DenseMatrix;
  solve(b: Vec | DenseMatrix): Vec | DenseMatrix {
    if (b instanceof DenseMatrix) return getKernels().luSolve(this, b);
    checkVector(b, this.rows, 'b', 'DenseMatrix.solve');
    return getKernels().solve(this, b);
  }

  /** A⁻¹; SINGULAR if A is singular. */
  inverse(): DenseMatrix {
    const k = getKernels();
    return k.inverse ? k.inverse(this) : k.luSolve(this, DenseMatrix.identity(this.rows));
  }
}

/** A·B as a new matrix (functional form of {@link DenseMatrix.mul}). */
export function matmul(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  checkMatrix(A, 'A', 'matmul');
  return A.mul(B);
}

/** y = A·x (functional form of {@link DenseMatrix.gemv}). */
export function matvec(A: DenseMatrix, x: Vec, out?: Vec): Vec {
  checkMatrix(A, 'A', 'matvec');
  return A.gemv(x, out);
}

/** y = Aᵀ·x (functional form of {@link DenseMatrix.gemvT}). */
export function matvecT(A: DenseMatrix, x: Vec, out?: Vec): Vec {
  checkMatrix(A, 'A', 'matvecT');
  return A.gemvT(x, out);
}
