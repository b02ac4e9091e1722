/**
 * Dense least squares min ‖A·x − b‖₂ for a small or moderately tall A (m×d): Householder QR through
 * core's kernel set (`getKernels().qr`), x = R⁻¹·Qᵀb, falling back to the minimum-norm solution by
 * SVD when R reveals a (numerically) rank-deficient A. Used for the sketched problems of
 * sketch-and-solve and as the exact baseline x*, OPT, σ_min of the ℓ∞ diagnostics. QR, not the normal
 * equations: cond(A)² would destroy the forward error the ℓ∞ experiments measure (card §7).
 */
import { DenseMatrix, OptkitError, assertFinite, getKernels } from '@optkit/core';

export interface DenseLeastSquaresOptions {
  /**
   * `'qr'` (default): Householder QR, switching to SVD when min|Rᵢᵢ| ≤ rcond·max|Rᵢᵢ|; `'svd'`: always
   * the minimum-norm SVD solution.
   */
  method?: 'qr' | 'svd';
  /**
   * Relative cut-off for small singular values / R diagonal entries. Default max(m, d)·2⁻⁵² (numpy's
   * `lstsq` default rcond).
   */
  rcond?: number;
}

export interface DenseLeastSquaresResult {
  x: Float64Array;
  /** Numerical rank used (d unless the SVD path truncated). */
  rank: number;
  /** ‖A·x − b‖₂. */
  residualNorm: number;
  /** Which factorization produced x. */
  method: 'qr' | 'svd';
  /** The d×d triangular factor when the QR path was taken (full rank). */
  R?: DenseMatrix;
}

/** Solves R·x = y in place for upper-triangular R (d×d, row-major). */
export function solveUpperInPlace(R: Float64Array, d: number, y: Float64Array): Float64Array {
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    const o = i * d;
    for (let j = i + 1; j < d; j++) s -= R[o + j] * y[j];
    y[i] = s / R[o + i];
  }
  return y;
}

/** Solves Rᵀ·x = y in place for upper-triangular R (d×d, row-major), i.e. a lower-triangular solve. */
export function solveUpperTransposeInPlace(R: Float64Array, d: number, y: Float64Array): Float64Array {
  for (let i = 0; i < d; i++) {
    const yi = (y[i] /= R[i * d + i]);
    if (yi !== 0) for (let j = i + 1; j < d; j++) y[j] -= R[i * d + j] * yi;
  }
  return y;
}

function residual(A: DenseMatrix, x: Float64Array, b: Float64Array): number {
  const r = new Float64Array(A.rows);
  getKernels().gemv(A.rows, A.cols, 1, A.data, A.cols, x, 0, r);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** The minimum-norm least-squares solution through the thin SVD, discarding σᵢ ≤ rcond·σ₁. */
function svdSolve(A: DenseMatrix, b: Float64Array, rcond: number): { x: Float64Array; rank: number } {
  const { U, s, V } = getKernels().svd(A);
  const r = s.length;
  const coef = new Float64Array(r);
  getKernels().gemvT(U.rows, r, 1, U.data, r, b, 0, coef);
  let rank = 0;
  const cut = rcond * (s[0] ?? 0);
  for (let i = 0; i < r; i++) {
    if (s[i] > cut && s[i] > 0) {
      coef[i] /= s[i];
      rank++;
    } else coef[i] = 0;
  }
  const x = new Float64Array(A.cols);
  getKernels().gemv(V.rows, r, 1, V.data, r, coef, 0, x);
  return { x, rank };
}

/**
 * min ‖A·x − b‖₂ for A (m×d, m ≥ 1) and b (length m); see the module comment. Throws SHAPE_MISMATCH
 * for a b of the wrong length, NOT_FINITE for NaN/Infinity, INVALID_OPTION for a bad rcond or method.
 */
export function denseLeastSquares(A: DenseMatrix, b: Float64Array, options: DenseLeastSquaresOptions = {}): DenseLeastSquaresResult {
  const fn = 'denseLeastSquares';
  if (!(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix`, 'A');
  if (A.rows === 0 || A.cols === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: A is ${A.rows}×${A.cols}`, 'A');
  if (!(b instanceof Float64Array) || b.length !== A.rows) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b must be a Float64Array of length ${A.rows} (the rows of A)`, 'b');
  }
  assertFinite(A.data, 'A', fn);
  assertFinite(b, 'b', fn);
  const method = options.method ?? 'qr';
  if (method !== 'qr' && method !== 'svd') throw new OptkitError('INVALID_OPTION', `${fn}: method must be 'qr' or 'svd'`, 'options.method');
  const { rows: m, cols: d } = A;
  const rcond = options.rcond ?? Math.max(m, d) * 2 ** -52;
  if (!(rcond >= 0 && rcond < 1)) throw new OptkitError('INVALID_OPTION', `${fn}: rcond is ${rcond}; expected a number in [0, 1)`, 'options.rcond');
  if (method === 'qr' && m >= d) {
    const { Q, R } = getKernels().qr(A);
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < d; i++) {
      const v = Math.abs(R.data[i * d + i]);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (lo > rcond * hi && lo > 0) {
      const x = new Float64Array(d);
      getKernels().gemvT(m, d, 1, Q.data, d, b, 0, x);
      solveUpperInPlace(R.data, d, x);
      return { x, rank: d, residualNorm: residual(A, x, b), method: 'qr', R };
    }
  }
  const { x, rank } = svdSolve(A, b, rcond);
  return { x, rank, residualNorm: residual(A, x, b), method: 'svd' };
}
