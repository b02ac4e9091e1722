/**
 * Seeded test problems shared by the tests, experiments and benchmarks of every package: the
 * finite-difference Laplacians of the Poisson equation (the standard Krylov test matrices, as in
 * scipy's `test_iterative.py`), a matrix-free 2D stencil, dense SPD matrices with a prescribed
 * condition number, and random sparse matrices.
 *
 * Poisson matrices are unscaled (no 1/h² factor), with homogeneous Dirichlet boundaries: the
 * d-dimensional matrix is the Kronecker sum of 1D matrices tridiag(-1, 2, -1), so it has 2d on the
 * diagonal and -1 for each grid neighbour. Grid points are numbered row-major, the last coordinate
 * fastest: point (i, j) of an nx×ny grid is unknown i·ny + j, point (i, j, k) of an nx×ny×nz grid is
 * (i·ny + j)·nz + k. For nx = ny this is scipy's `kron(I, T) + kron(T, I)`.
 */
import { OptkitError, assertInteger, checkOption } from './errors.js';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';
import { functionOperator, type LinearOperator } from './linear-operator.js';
import { rngFrom, type RandomOptions, type Rng } from './rng.js';

const INT32_MAX = 0x7fffffff;

/**
 * The Laplacian of a grid with `dims` points per axis (row-major, last axis fastest), built directly
 * in canonical CSR: neighbours are emitted slowest axis first, so each row's columns ascend.
 */
function gridLaplacian(dims: number[], names: string[], fn: string): CsrMatrix {
  for (let d = 0; d < dims.length; d++) assertInteger(dims[d], names[d], 1, fn);
  const D = dims.length;
  const strides = new Array<number>(D);
  let N = 1;
  for (let d = D - 1; d >= 0; d--) {
    strides[d] = N;
    N *= dims[d];
  }
  // Each axis contributes two entries per pair of neighbours along it.
  let nnz = N;
  for (let d = 0; d < D; d++) nnz += 2 * (N / dims[d]) * (dims[d] - 1);
  if (N > INT32_MAX - 1 || nnz > INT32_MAX) {
    throw new OptkitError('LIMIT_EXCEEDED', `${fn}: a ${dims.join('×')} grid has ${nnz} nonzeros, beyond the int32 range of CSR`, names[0]);
  }
  const indptr = new Int32Array(N + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const coord = new Array<number>(D).fill(0);
  const diag = 2 * D;
  let k = 0;
  for (let r = 0; r < N; r++) {
    for (let d = 0; d < D; d++) {
      if (coord[d] > 0) {
        indices[k] = r - strides[d];
        values[k++] = -1;
      }
    }
    indices[k] = r;
    values[k++] = diag;
    for (let d = D - 1; d >= 0; d--) {
      if (coord[d] < dims[d] - 1) {
        indices[k] = r + strides[d];
        values[k++] = -1;
      }
    }
    indptr[r + 1] = k;
    // Advance the row-major coordinate (last axis fastest).
    for (let d = D - 1; d >= 0; d--) {
      if (++coord[d] < dims[d]) break;
      coord[d] = 0;
    }
  }
  return new CsrMatrix(N, N, indptr, indices, values);
}

/**
 * The n×n 1D Poisson matrix tridiag(-1, 2, -1) (unscaled, Dirichlet). Its eigenvalues are
 * 2 - 2cos(kπ/(n+1)), k = 1..n.
 */
export function poisson1d(n: number): CsrMatrix {
  return gridLaplacian([n], ['n'], 'poisson1d');
}

/**
 * The 5-point Laplacian on an nx×ny grid (default ny = nx): (nx·ny)×(nx·ny), 4 on the diagonal, -1
 * for each neighbour; point (i, j) is unknown i·ny + j. Equal to kron(T_nx, I_ny) + kron(I_nx, T_ny)
 * with T_n = poisson1d(n).
 */
export function poisson2d(nx: number, ny: number = nx): CsrMatrix {
  return gridLaplacian([nx, ny], ['nx', 'ny'], 'poisson2d');
}

/**
 * The 7-point Laplacian on an nx×ny×nz grid (defaults ny = nx, nz = ny): 6 on the diagonal, -1 for
 * each neighbour; point (i, j, k) is unknown (i·ny + j)·nz + k.
 */
export function poisson3d(nx: number, ny: number = nx, nz: number = ny): CsrMatrix {
  return gridLaplacian([nx, ny, nz], ['nx', 'ny', 'nz'], 'poisson3d');
}

/**
 * The matrix of {@link poisson2d}(nx, ny) as a matrix-free operator: y = A·x computed from the
 * 5-point stencil without storing the matrix (symmetric, so applyT = apply). Each sum is formed in the
 * CSR matrix's column order, so the results equal `poisson2d(nx, ny).spmv(x)`.
 */
export function poisson2dStencil(nx: number, ny: number = nx): LinearOperator {
  const fn = 'poisson2dStencil';
  assertInteger(nx, 'nx', 1, fn);
  assertInteger(ny, 'ny', 1, fn);
  const N = nx * ny;
  if (N > INT32_MAX) throw new OptkitError('LIMIT_EXCEEDED', `${fn}: ${nx}×${ny} unknowns exceed 2^31 - 1`, 'nx');
  const apply = (x: Float64Array, y: Float64Array): void => {
    for (let i = 0; i < nx; i++) {
      const o = i * ny;
      if (i > 0 && i < nx - 1 && ny > 2) {
        // An interior grid row: both vertical neighbours exist; the ends need the general point.
        stencilPoint(x, y, nx, ny, i, 0);
        for (let r = o + 1, end = o + ny - 1; r < end; r++) {
          y[r] = -x[r - ny] - x[r - 1] + 4 * x[r] - x[r + 1] - x[r + ny];
        }
        stencilPoint(x, y, nx, ny, i, ny - 1);
      } else {
        for (let j = 0; j < ny; j++) stencilPoint(x, y, nx, ny, i, j);
      }
    }
  };
  return functionOperator(N, N, apply, apply);
}

/** One stencil point with boundary checks, in the CSR column order. */
function stencilPoint(x: Float64Array, y: Float64Array, nx: number, ny: number, i: number, j: number): void {
  const r = i * ny + j;
  let s = 0;
  if (i > 0) s -= x[r - ny];
  if (j > 0) s -= x[r - 1];
  s += 4 * x[r];
  if (j < ny - 1) s -= x[r + 1];
  if (i < nx - 1) s -= x[r + ny];
  y[r] = s;
}

export interface RandomSpdResult {
  /** The symmetric positive definite n×n matrix Q·diag(eigenvalues)·Qᵀ (exactly symmetric). */
  matrix: DenseMatrix;
  /** Its eigenvalues, ascending and log-spaced from 1 to `condition`. */
  eigenvalues: Float64Array;
}

/**
 * A random n×n symmetric positive definite matrix with 2-norm condition number `condition`:
 * A = Q·diag(λ)·Qᵀ with λ_k = condition^(k/(n-1)), k = 0..n-1 (log-spaced from 1 to condition) and
 * Q Haar-distributed orthogonal (the Q of a QR factorisation of a standard Gaussian matrix, with
 * the column signs fixed so that diag(R) > 0; Mezzadri 2007, "How to generate random matrices from
 * the classical compact groups"). A is symmetrised exactly, so its computed eigenvalues match λ to
 * rounding (about n·ε·condition). `condition` must be >= 1, and exactly 1 when n = 1. Seeded by
 * `seed` (default 0) or `rng`.
 */
export function randomSpd(n: number, condition: number, options: RandomOptions = {}): RandomSpdResult {
  const fn = 'randomSpd';
  assertInteger(n, 'n', 1, fn);
  checkOption(condition, 'condition', { min: 1 }, fn);
  if (n === 1 && condition !== 1) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: a 1×1 matrix has condition number 1; got condition = ${condition}`, 'condition');
  }
  const rng = rngFrom(options);
  const eigenvalues = new Float64Array(n);
  const logC = Math.log(condition);
  for (let k = 0; k < n; k++) eigenvalues[k] = n === 1 ? 1 : Math.exp((logC * k) / (n - 1));
  eigenvalues[n - 1] = condition; // exp(log c) can be off by an ulp
  const G = DenseMatrix.random(n, n, { distribution: 'normal', rng });
  const { Q, R } = G.qr();
  const q = Q.data;
  // Q·diag(sign(r_jj)) is Haar; scale column j by λ_j at the same time to form B = Q·diag(λ).
  const B = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const s = R.data[j * n + j] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) {
      q[i * n + j] *= s;
      B[i * n + j] = q[i * n + j] * eigenvalues[j];
    }
  }
  const A = DenseMatrix.wrap(n, n, B).mul(Q.transpose());
  const a = A.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = m;
      a[j * n + i] = m;
    }
  }
  return { matrix: A, eigenvalues };
}

export interface RandomSparseOptions extends RandomOptions {
  /**
   * Symmetric pattern and values (square only): entries are drawn in the lower triangle, diagonal
   * included, with `density` of its n(n+1)/2 positions, and mirrored. Default false.
   */
  symmetric?: boolean;
  /**
   * Strictly diagonally dominant by rows (square only): every diagonal entry is replaced by
   * 1 + Σ_{j≠i} |a_ij|. Default false.
   */
  diagonallyDominant?: boolean;
  /**
   * Symmetric positive definite (square only): symmetric and diagonally dominant with positive
   * diagonal, so every eigenvalue is >= 1 (Gershgorin). Default false.
   */
  spd?: boolean;
}

/** Most entries {@link randomSparse} draws (a JavaScript Set holds at most 2^24 keys). */
const MAX_SAMPLED = 1 << 24;

/** `k` distinct integers from [0, N), in no particular order (Floyd's algorithm, O(k) expected). */
function sampleDistinct(N: number, k: number, rng: Rng): number[] {
  const chosen = new Set<number>();
  for (let j = N - k; j < N; j++) {
    const t = rng.int(0, j);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen];
}

/**
 * A random rows×cols sparse matrix with round(density·rows·cols) entries at distinct uniformly
 * random positions (with `symmetric`/`spd`, positions in the lower triangle, then mirrored), values
 * uniform in [-1, 1), in canonical CSR. Seeded by `seed` (default 0) or `rng`. Options:
 * {@link RandomSparseOptions}. Throws INVALID_OPTION for density outside [0, 1], INVALID_ARGUMENT
 * for a structured option on a non-square shape, LIMIT_EXCEEDED above 2^24 drawn entries.
 */
export function randomSparse(rows: number, cols: number, density: number, options: RandomSparseOptions = {}): CsrMatrix {
  const fn = 'randomSparse';
  assertInteger(rows, 'rows', 0, fn);
  assertInteger(cols, 'cols', 0, fn);
  checkOption(density, 'density', { min: 0, max: 1 }, fn);
  const spd = options.spd ?? false;
  const symmetric = spd || (options.symmetric ?? false);
  const dominant = spd || (options.diagonallyDominant ?? false);
  if ((symmetric || dominant) && rows !== cols) {
    const which = spd ? 'spd' : symmetric ? 'symmetric' : 'diagonallyDominant';
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: option ${which} needs a square matrix; got ${rows}×${cols}`, which);
  }
  if (rows > INT32_MAX - 1 || cols > INT32_MAX) {
    throw new OptkitError('LIMIT_EXCEEDED', `${fn}: ${rows}×${cols} exceeds the int32 index range of CSR`, 'rows');
  }
  const positions = symmetric ? (rows * (rows + 1)) / 2 : rows * cols;
  const k = Math.round(density * positions);
  if (k > MAX_SAMPLED || positions > Number.MAX_SAFE_INTEGER) {
    throw new OptkitError('LIMIT_EXCEEDED', `${fn}: ${k} entries to draw; at most ${MAX_SAMPLED}`, 'density');
  }
  const rng = rngFrom(options);
  const picked = sampleDistinct(positions, k, rng);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (const t of picked) {
    let i: number;
    let j: number;
    if (symmetric) {
      // Position t of the row-wise lower triangle: row i holds t in [i(i+1)/2, (i+1)(i+2)/2).
      i = Math.floor((Math.sqrt(8 * t + 1) - 1) / 2);
      while ((i * (i + 1)) / 2 > t) i--;
      while (((i + 1) * (i + 2)) / 2 <= t) i++;
      j = t - (i * (i + 1)) / 2;
    } else {
      i = Math.floor(t / cols);
      j = t - i * cols;
    }
    const value = rng.uniform(-1, 1);
    if (dominant && i === j) continue; // replaced below
    r.push(i);
    c.push(j);
    v.push(value);
    if (symmetric && i !== j) {
      r.push(j);
      c.push(i);
      v.push(value);
    }
  }
  if (dominant) {
    const rowSum = new Float64Array(rows);
    for (let t = 0; t < r.length; t++) rowSum[r[t]] += Math.abs(v[t]);
    for (let i = 0; i < rows; i++) {
      r.push(i);
      c.push(i);
      v.push(1 + rowSum[i]);
    }
  }
  return CsrMatrix.fromCoo(rows, cols, r, c, v);
}
