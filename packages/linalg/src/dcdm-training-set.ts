/**
 * Training data for the deep conjugate direction method: random right-hand sides built from Ritz
 * vectors of A, with the low-eigenvalue (smooth) ones weighted up (float64 Lanczos, no tfjs).
 *
 * A. Kaneda et al., "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems",
 * ICML 2023 (arXiv 2205.10763); the recipe is the official `src/datasetcreate.py`: m Lanczos steps
 * from A·x_rand (x_rand ~ N(0, I)), eigenpairs of the tridiagonal matrix (Ritz pairs) sorted ascending,
 * Ritz values below 1e-8 dropped (null space), then each sample b = Σ_j c_j v_j / ‖·‖ with c_j ~ N(0, 1),
 * except c_j ~ 9·N(0, 1) for the `cut = m/2 + θ` smallest. Deviation, as the card asks for small
 * problems: the reference's m = 10⁴ steps lose orthogonality (ghost Ritz values, which it corrects by
 * normalisation); here Lanczos runs with full reorthogonalisation and m ≤ n, restarting from a fresh
 * random vector orthogonal to the basis when the Krylov space becomes invariant (grid Laplacians have
 * repeated eigenvalues, so one Krylov space cannot hold them all). With m = n the Ritz pairs are then
 * the exact eigenpairs to rounding, which is the card's "exact eigenvectors" choice for small grids.
 */
import {
  DenseMatrix,
  OptkitError,
  aslinearoperator,
  axpy,
  checkOption,
  dot,
  getKernels,
  nrm2,
  rngFrom,
  scal,
  type OperatorLike,
  type RandomOptions,
} from '@optkit/core';

export interface RitzPairs {
  /** Ritz values, ascending. */
  values: Float64Array;
  /** n×m row-major: column j is the unit Ritz vector of `values[j]`. */
  vectors: DenseMatrix;
  /** How many times the Lanczos recurrence hit an invariant subspace and restarted. */
  restarts: number;
}

export interface LanczosRitzOptions extends RandomOptions {
  /** Lanczos steps m (default min(10000, n): the reference's 10⁴, capped at n since m ≤ n with reorthogonalisation). */
  steps?: number;
}

const FN = 'ritzPairs';

/**
 * The Ritz pairs of symmetric A from `steps` Lanczos steps with full reorthogonalisation (twice,
 * classical Gram–Schmidt), started from A·x with x ~ N(0, I) (seeded). Costs m matvecs and O(n·m²).
 */
export function ritzPairs(A: OperatorLike, options: LanczosRitzOptions = {}): RitzPairs {
  const op = aslinearoperator(A);
  if (op.rows !== op.cols) throw new OptkitError('SHAPE_MISMATCH', `${FN}: A must be square, got ${op.rows}x${op.cols}`, 'A');
  const n = op.rows;
  if (n === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: A is 0x0`, 'A');
  const m = checkOption(options.steps ?? Math.min(10000, n), 'steps', { min: 1, max: n, integer: true }, FN);
  const rng = rngFrom(options);
  const V: Float64Array[] = [];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m); // beta[k] couples v_k and v_{k+1}
  const w = new Float64Array(n);
  let restarts = 0;

  const start = rng.fillNormal(new Float64Array(n));
  let v = op.apply(start, new Float64Array(n));
  if (!startVector(v, V)) {
    v = rng.fillNormal(new Float64Array(n));
    startVector(v, V);
  }
  let normEstimate = 0;
  for (let k = 0; k < m; k++) {
    const vk = V[k];
    op.apply(vk, w);
    for (let i = 0; i < n; i++) if (w[i] - w[i] !== 0) throw new OptkitError('NOT_FINITE', `${FN}: A·v is not finite (NaN or Infinity in A)`, 'A');
    alpha[k] = dot(w, vk);
    axpy(-alpha[k], vk, w);
    if (k > 0) axpy(-beta[k - 1], V[k - 1], w);
    reorthogonalize(w, V);
    reorthogonalize(w, V);
    normEstimate = Math.max(normEstimate, Math.abs(alpha[k]) + (k > 0 ? beta[k - 1] : 0));
    if (k === m - 1) break;
    const b = nrm2(w);
    if (b > 1e-8 * normEstimate) {
      beta[k] = b;
      V.push(scal(1 / b, w.slice()));
    } else {
      // Invariant subspace: T decouples here (β = 0) and a fresh direction continues the basis.
      beta[k] = 0;
      restarts++;
      let ok = false;
      for (let tries = 0; tries < 10 && !ok; tries++) ok = startVector(rng.fillNormal(new Float64Array(n)), V);
      if (!ok) throw new OptkitError('INVALID_ARGUMENT', `${FN}: could not extend the Lanczos basis`, 'A');
    }
  }
  const T = new DenseMatrix(m, m);
  for (let k = 0; k < m; k++) {
    T.data[k * m + k] = alpha[k];
    if (k + 1 < m) {
      T.data[k * m + k + 1] = beta[k];
      T.data[(k + 1) * m + k] = beta[k];
    }
  }
  const eig = getKernels().symmetricEigen(T);
  // Ritz vectors Y = V·S: Vᵀ is stored as m rows of length n, so Y = (Vᵀ)ᵀ·S.
  const Vt = new Float64Array(m * n);
  for (let k = 0; k < m; k++) Vt.set(V[k], k * n);
  const Y = new Float64Array(n * m);
  getKernels().gemm(true, false, n, m, m, 1, Vt, n, eig.vectors.data, m, 0, Y, m);
  return { values: eig.values, vectors: new DenseMatrix(n, m, Y), restarts };
}

/** Orthonormalises `v` against the basis and appends it; false when nothing independent is left. */
function startVector(v: Float64Array, V: Float64Array[]): boolean {
  const before = nrm2(v);
  if (!(before > 0)) return false;
  reorthogonalize(v, V);
  reorthogonalize(v, V);
  const after = nrm2(v);
  if (!(after > 1e-8 * before)) return false;
  V.push(scal(1 / after, v));
  return true;
}

function reorthogonalize(w: Float64Array, V: Float64Array[]): void {
  for (let j = 0; j < V.length; j++) axpy(-dot(w, V[j]), V[j], w);
}

export interface RitzTrainingSetOptions extends RandomOptions {
  /** Lanczos steps m (default min(10000, n); see {@link ritzPairs}). */
  lanczosSteps?: number;
  /** Number of samples (default 20000, the reference's). */
  samples?: number;
  /** θ in cut = m/2 + θ (default round(0.05·m): the reference's 500 at m = 10⁴, scaled as the card says for small problems). */
  theta?: number;
  /** Weight of the `cut` smallest-eigenvalue Ritz vectors' coefficients (default 9). */
  lowWeight?: number;
  /** Ritz values below this are treated as null space and dropped (default 1e-8). */
  minRitzValue?: number;
  /** Precomputed {@link ritzPairs} of A (then `lanczosSteps` is ignored): several sample sets from one Lanczos run. */
  pairs?: RitzPairs;
}

/**
 * `samples` unit-norm float32 right-hand sides b = Σ_j c_j v_j / ‖·‖ over the retained Ritz vectors
 * v_j of A (ascending Ritz values), c_j ~ lowWeight·N(0, 1) for the first cut = ⌊m/2⌋ + θ (clamped to
 * the retained count) and N(0, 1) for the rest: low-frequency content dominates, as in the paper's
 * data. Seeded (one Rng drives Lanczos and the coefficients).
 */
export function ritzTrainingSet(A: OperatorLike, options: RitzTrainingSetOptions = {}): Float32Array[] {
  const fn = 'ritzTrainingSet';
  const samples = checkOption(options.samples ?? 20000, 'samples', { min: 1, integer: true }, fn);
  const lowWeight = checkOption(options.lowWeight ?? 9, 'lowWeight', { min: 0 }, fn);
  const minRitz = checkOption(options.minRitzValue ?? 1e-8, 'minRitzValue', {}, fn);
  if (options.theta !== undefined) checkOption(options.theta, 'theta', { integer: true }, fn);
  const rng = rngFrom(options);
  const { values, vectors } = options.pairs ?? ritzPairs(A, { steps: options.lanczosSteps, rng });
  const n = vectors.rows;
  const op = aslinearoperator(A);
  if (op.rows !== n || op.cols !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: the Ritz vectors have length ${n}; A is ${op.rows}x${op.cols}`, 'options.pairs');
  }
  const m = vectors.cols;
  const theta = options.theta ?? Math.round(0.05 * m);
  let first = 0;
  while (first < m && values[first] < minRitz) first++;
  const r = m - first;
  if (r === 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: every Ritz value is below ${minRitz} (A is zero or negative semidefinite)`, 'A');
  const cut = Math.max(0, Math.min(r, Math.floor(m / 2) + theta));
  // Retained Ritz vectors as rows (r × n) so that the samples are C (samples × r) · Yᵀ.
  const Yt = new Float64Array(r * n);
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) Yt[j * n + i] = vectors.data[i * m + first + j];
  const out: Float32Array[] = [];
  const chunk = 1024;
  const C = new Float64Array(chunk * r);
  const B = new Float64Array(chunk * n);
  for (let s0 = 0; s0 < samples; s0 += chunk) {
    const rows = Math.min(chunk, samples - s0);
    for (let s = 0; s < rows; s++) {
      for (let j = 0; j < r; j++) C[s * r + j] = (j < cut ? lowWeight : 1) * rng.normal();
    }
    getKernels().gemm(false, false, rows, n, r, 1, C, r, Yt, n, 0, B, n);
    for (let s = 0; s < rows; s++) {
      const row = B.subarray(s * n, (s + 1) * n);
      const norm = nrm2(row);
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = row[i] / norm;
      out.push(f);
    }
  }
  return out;
}
