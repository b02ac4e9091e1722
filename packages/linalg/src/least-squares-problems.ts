/**
 * Seeded dense least-squares test problems with a prescribed condition number, for the LSQR and
 * sketch-and-precondition tests, benchmark and experiments: A = U·diag(σ)·Vᵀ with U (n×d) orthonormal,
 * V (d×d) orthogonal, both Haar-like random, and σ geometric from 1 down to 1/cond, so cond₂(A) = cond
 * up to rounding.
 */
import { CsrMatrix, DenseMatrix, OptkitError, Rng, assertInteger, checkOption, getKernels, nrm2, randomSparse, rngFrom, type RandomOptions } from '@optkit/core';

export interface RandomLeastSquaresOptions extends RandomOptions {
  /** cond₂(A) ≥ 1. Default 1e6. */
  cond?: number;
  /**
   * Size of the part of b outside range(A), relative to ‖A·xTrue‖: b = A·xTrue + noise·‖A·xTrue‖·e
   * with e a unit vector orthogonal to range(A). Default 0 (a consistent system). With this choice
   * x* = xTrue exactly and OPT = noise·‖A·xTrue‖.
   */
  noise?: number;
}

export interface RandomLeastSquares {
  A: DenseMatrix;
  b: Float64Array;
  /** The least-squares solution x* (= xTrue by construction). */
  xTrue: Float64Array;
  /** The singular values of A, descending. */
  singularValues: Float64Array;
  /** ‖A·x* − b‖₂. */
  opt: number;
}

/** Orthonormalises the columns of G (n×d) in place by two rounds of Cholesky QR (well conditioned G). */
function cholQr2(G: DenseMatrix): DenseMatrix {
  const K = getKernels();
  const { rows: n, cols: d } = G;
  let Q = G;
  for (let round = 0; round < 2; round++) {
    const gram = new Float64Array(d * d);
    K.gemm(true, false, d, d, n, 1, Q.data, d, Q.data, d, 0, gram, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) gram[i * d + j] = gram[j * d + i];
    const L = K.cholesky(DenseMatrix.wrap(d, d, gram));
    // Q ← Q·L⁻ᵀ (so that QᵀQ = L⁻¹·GᵀG·L⁻ᵀ = I).
    const LinvT = (K.inverse ? K.inverse(L) : K.luSolve(L, DenseMatrix.identity(d))).transpose();
    const next = new Float64Array(n * d);
    K.gemm(false, false, n, d, d, 1, Q.data, d, LinvT.data, d, 0, next, d);
    Q = DenseMatrix.wrap(n, d, next);
  }
  return Q;
}

/** A seeded n×d least-squares problem with cond₂(A) = `cond` (module comment). n ≥ d + 1 when noise > 0. */
export function randomLeastSquares(n: number, d: number, options: RandomLeastSquaresOptions = {}): RandomLeastSquares {
  const fn = 'randomLeastSquares';
  assertInteger(n, 'n', 1, fn);
  assertInteger(d, 'd', 1, fn);
  if (n < d) throw new OptkitError('SHAPE_MISMATCH', `${fn}: n = ${n} < d = ${d}; expected a tall problem`, 'n');
  const cond = checkOption(options.cond ?? 1e6, 'cond', { min: 1 }, fn);
  const noise = checkOption(options.noise ?? 0, 'noise', { min: 0 }, fn);
  if (noise > 0 && n === d) throw new OptkitError('SHAPE_MISMATCH', `${fn}: noise needs n > d`, 'noise');
  const rng: Rng = rngFrom(options);
  const K = getKernels();
  // d + 1 Gaussian columns: the extra one, orthogonalised too, is the noise direction.
  const extra = noise > 0 ? 1 : 0;
  const G = new DenseMatrix(n, d + extra);
  rng.fillNormal(G.data);
  const Q = cholQr2(G);
  const k = d + extra;
  const V = K.qr(DenseMatrix.wrap(d, d, rng.fillNormal(new Float64Array(d * d)))).Q;
  const sigma = new Float64Array(d);
  for (let i = 0; i < d; i++) sigma[i] = d === 1 ? 1 : cond ** (-i / (d - 1));
  // A = U·diag(σ)·Vᵀ with U the first d columns of Q.
  const US = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) US[i * d + j] = Q.data[i * k + j] * sigma[j];
  const Adata = new Float64Array(n * d);
  K.gemm(false, true, n, d, d, 1, US, d, V.data, d, 0, Adata, d);
  const A = DenseMatrix.wrap(n, d, Adata);
  const xTrue = rng.fillNormal(new Float64Array(d));
  const b = new Float64Array(n);
  K.gemv(n, d, 1, Adata, d, xTrue, 0, b);
  let opt = 0;
  if (noise > 0) {
    let bn = 0;
    for (let i = 0; i < n; i++) bn += b[i] * b[i];
    opt = noise * Math.sqrt(bn);
    for (let i = 0; i < n; i++) b[i] += opt * Q.data[i * k + d];
  }
  return { A, b, xTrue, singularValues: sigma, opt };
}

export interface RandomSparseLeastSquaresOptions extends RandomOptions {
  /** Fraction of stored entries, in (0, 1]. Default 0.01. */
  density?: number;
  /**
   * Column scaling range ≥ 1: column j is scaled by cond^(−j/(d−1)), so cond₂(A) ≈ cond·cond₂(A₀) with
   * A₀ the unscaled random matrix (close to 1 when n ≫ d). Default 1e3. Not an exact condition number.
   */
  cond?: number;
  /** As in {@link RandomLeastSquaresOptions}: OPT = noise·‖A·xTrue‖, x* = xTrue. Default 0. */
  noise?: number;
}

export interface RandomSparseLeastSquares {
  A: CsrMatrix;
  b: Float64Array;
  /** The least-squares solution x* (= xTrue up to the rounding of the noise projection). */
  xTrue: Float64Array;
  /** ‖A·x* − b‖₂. */
  opt: number;
}

/**
 * A seeded sparse n×d least-squares problem (CSR) for the sparse sketch paths: core's
 * `randomSparse(n, d, density)` (values uniform in [−1, 1)) plus one entry of magnitude in [1, 2) per
 * column at a random row (so no column is empty), columns scaled geometrically (option `cond`),
 * b = A·xTrue + noise·‖A·xTrue‖·e with e a unit vector orthogonal to range(A) (projected by two rounds
 * of normal equations, AᵀA from the CSR rows in O(Σ nnz_row²) and a d×d solve). Throws like
 * {@link randomLeastSquares}; INVALID_OPTION for a density outside (0, 1].
 */
export function randomSparseLeastSquares(n: number, d: number, options: RandomSparseLeastSquaresOptions = {}): RandomSparseLeastSquares {
  const fn = 'randomSparseLeastSquares';
  assertInteger(n, 'n', 1, fn);
  assertInteger(d, 'd', 1, fn);
  if (n < d) throw new OptkitError('SHAPE_MISMATCH', `${fn}: n = ${n} < d = ${d}; expected a tall problem`, 'n');
  const density = checkOption(options.density ?? 0.01, 'density', { min: 0, minExclusive: true, max: 1 }, fn);
  const cond = checkOption(options.cond ?? 1e3, 'cond', { min: 1 }, fn);
  const noise = checkOption(options.noise ?? 0, 'noise', { min: 0 }, fn);
  if (noise > 0 && n === d) throw new OptkitError('SHAPE_MISMATCH', `${fn}: noise needs n > d`, 'noise');
  const rng: Rng = rngFrom(options);
  const A0 = randomSparse(n, d, density, { rng });
  const nnz0 = A0.nnz;
  const ri = new Int32Array(nnz0 + d);
  const ci = new Int32Array(nnz0 + d);
  const vi = new Float64Array(nnz0 + d);
  for (let i = 0; i < n; i++) ri.fill(i, A0.indptr[i], A0.indptr[i + 1]);
  ci.set(A0.indices);
  vi.set(A0.values);
  for (let j = 0; j < d; j++) {
    ri[nnz0 + j] = rng.int(0, n - 1);
    ci[nnz0 + j] = j;
    vi[nnz0 + j] = rng.sign() * rng.uniform(1, 2);
  }
  for (let t = 0; t < vi.length; t++) vi[t] *= d === 1 ? 1 : cond ** (-ci[t] / (d - 1));
  const A = CsrMatrix.fromCoo(n, d, ri, ci, vi);
  const xTrue = rng.fillNormal(new Float64Array(d));
  const b = A.spmv(xTrue);
  let opt = 0;
  if (noise > 0) {
    // AᵀA (d×d) from the rows: row i contributes a_i a_iᵀ over its stored entries.
    const G = new Float64Array(d * d);
    const { indptr, indices, values } = A;
    for (let i = 0; i < n; i++) {
      for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
        const vp = values[p];
        const o = indices[p] * d;
        for (let q = indptr[i]; q < end; q++) G[o + indices[q]] += vp * values[q];
      }
    }
    const Gm = DenseMatrix.wrap(d, d, G);
    const K = getKernels();
    const e = rng.fillNormal(new Float64Array(n));
    for (let round = 0; round < 2; round++) {
      const c = K.solve(Gm, A.spmvT(e));
      const Ac = A.spmv(c);
      for (let i = 0; i < n; i++) e[i] -= Ac[i];
    }
    opt = noise * nrm2(b);
    const scale = opt / nrm2(e);
    for (let i = 0; i < n; i++) b[i] += scale * e[i];
  }
  return { A, b, xTrue, opt };
}
