/**
 * Small dense kernels shared by single-process BCD ({@link bcd}) and its sharded cluster job: column
 * storage of a data matrix A (dense column-major or compressed sparse columns), block Gram matrices
 * A_bᵀA_b, a τ×τ Cholesky with solves, λ_max by cyclic Jacobi, and the fixed-block selection scores.
 *
 * Why our own τ×τ factorisations instead of core's kernel set: the distributed job promises the same
 * bits whatever the topology, and the answer must not change when a worker process has a different
 * kernel set (a native BLAS) installed. These loops are fixed-order, so every process computes the
 * same numbers; τ is small (≤ a few hundred), so the O(τ³) cost is negligible next to the O(m·n)
 * gradient.
 */
import { OptkitError } from '@optkit/core';

/**
 * The columns of an m×n matrix A. Dense: `dense` holds Aᵀ row-major (column j is
 * `dense[j·m .. j·m + m)`). Sparse: compressed sparse columns (`colptr` length n + 1, `rowidx`,
 * `vals`), row indices increasing within a column.
 */
export interface ColumnData {
  readonly m: number;
  readonly n: number;
  readonly dense?: Float64Array;
  readonly colptr?: Int32Array;
  readonly rowidx?: Int32Array;
  readonly vals?: Float64Array;
}

/** A_jᵀ v, summed in increasing row order. */
export function colDot(A: ColumnData, j: number, v: Float64Array): number {
  let s = 0;
  if (A.dense) {
    const d = A.dense;
    const m = A.m;
    const o = j * m;
    for (let i = 0; i < m; i++) s += d[o + i] * v[i];
  } else {
    const p = A.colptr!;
    const r = A.rowidx!;
    const x = A.vals!;
    for (let k = p[j], e = p[j + 1]; k < e; k++) s += x[k] * v[r[k]];
  }
  return s;
}

/** y ← y + α·A_j. */
export function colAxpy(A: ColumnData, j: number, alpha: number, y: Float64Array): void {
  if (alpha === 0) return;
  if (A.dense) {
    const d = A.dense;
    const m = A.m;
    const o = j * m;
    for (let i = 0; i < m; i++) y[i] += alpha * d[o + i];
  } else {
    const p = A.colptr!;
    const r = A.rowidx!;
    const x = A.vals!;
    for (let k = p[j], e = p[j + 1]; k < e; k++) y[r[k]] += alpha * x[k];
  }
}

/** ‖A_j‖². */
export function colSqNorm(A: ColumnData, j: number): number {
  let s = 0;
  if (A.dense) {
    const d = A.dense;
    const o = j * A.m;
    for (let i = 0; i < A.m; i++) s += d[o + i] * d[o + i];
  } else {
    const x = A.vals!;
    for (let k = A.colptr![j], e = A.colptr![j + 1]; k < e; k++) s += x[k] * x[k];
  }
  return s;
}

/**
 * out ← scale·A_bᵀ·diag(w)·A_b (τ×τ row-major, τ = |b|); `w` omitted means the identity. `work` is
 * an m-vector of zeros (left zero on return) used to scatter sparse columns.
 */
export function blockGram(A: ColumnData, b: Int32Array, scale: number, out: Float64Array, work: Float64Array, w?: Float64Array): void {
  const t = b.length;
  const m = A.m;
  if (A.dense) {
    const d = A.dense;
    for (let i = 0; i < t; i++) {
      const oi = b[i] * m;
      for (let k = i; k < t; k++) {
        const ok = b[k] * m;
        let s = 0;
        if (w) for (let r = 0; r < m; r++) s += d[oi + r] * w[r] * d[ok + r];
        else for (let r = 0; r < m; r++) s += d[oi + r] * d[ok + r];
        out[i * t + k] = scale * s;
        out[k * t + i] = scale * s;
      }
    }
    return;
  }
  const p = A.colptr!;
  const ri = A.rowidx!;
  const x = A.vals!;
  for (let i = 0; i < t; i++) {
    const ji = b[i];
    for (let q = p[ji]; q < p[ji + 1]; q++) work[ri[q]] = w ? x[q] * w[ri[q]] : x[q];
    for (let k = i; k < t; k++) {
      const jk = b[k];
      let s = 0;
      for (let q = p[jk]; q < p[jk + 1]; q++) s += x[q] * work[ri[q]];
      out[i * t + k] = scale * s;
      out[k * t + i] = scale * s;
    }
    for (let q = p[ji]; q < p[ji + 1]; q++) work[ri[q]] = 0;
  }
}

/** out ← A_b·d (length m; overwritten), accumulated column by column in block order. */
export function blockApply(A: ColumnData, b: Int32Array, d: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let k = 0; k < b.length; k++) colAxpy(A, b[k], d[k], out);
}

/**
 * In-place Cholesky of the τ×τ symmetric matrix `H` (row-major): on return its lower triangle holds
 * L with H = L·Lᵀ (the strict upper triangle is zeroed). A matrix that is singular or indefinite to
 * working precision (a zero column of A, duplicated columns) gets a ridge 1e-10·(mean diagonal)·10ᵏ,
 * k = 0, 1, ..., added before retrying, like the reference's `inv(H_b + 1e-10·I)`; `copy` is scratch of
 * the same size. Returns the ridge used (0 when none). Throws NOT_SPD when even a ridge of the size of
 * the diagonal fails (the input was not a PSD bound).
 */
export function choleskyInPlace(H: Float64Array, t: number, copy: Float64Array): number {
  copy.set(H.subarray(0, t * t));
  let trace = 0;
  for (let i = 0; i < t; i++) trace += Math.abs(H[i * t + i]);
  const scale = trace > 0 ? trace / t : 1;
  let ridge = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    if (attempt > 0) {
      ridge = 1e-10 * scale * 10 ** (attempt - 1);
      H.set(copy.subarray(0, t * t));
      for (let i = 0; i < t; i++) H[i * t + i] += ridge;
    }
    if (factor(H, t)) return ridge;
  }
  throw new OptkitError('NOT_SPD', `bcd: block matrix of size ${t} is not positive semidefinite (Cholesky failed with a ridge of the diagonal's size)`, 'blockBound');
}

function factor(H: Float64Array, t: number): boolean {
  for (let j = 0; j < t; j++) {
    let s = H[j * t + j];
    for (let k = 0; k < j; k++) s -= H[j * t + k] * H[j * t + k];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    H[j * t + j] = ljj;
    for (let i = j + 1; i < t; i++) {
      let v = H[i * t + j];
      for (let k = 0; k < j; k++) v -= H[i * t + k] * H[j * t + k];
      H[i * t + j] = v / ljj;
    }
    for (let i = 0; i < j; i++) H[i * t + j] = 0;
  }
  return true;
}

/** y ← L⁻¹·g (forward substitution with the lower-triangular factor). */
export function forwardSolve(L: Float64Array, t: number, g: Float64Array, y: Float64Array): void {
  for (let i = 0; i < t; i++) {
    let s = g[i];
    for (let k = 0; k < i; k++) s -= L[i * t + k] * y[k];
    y[i] = s / L[i * t + i];
  }
}

/** z ← L⁻ᵀ·y (back substitution); `z` may alias `y`. */
export function backSolve(L: Float64Array, t: number, y: Float64Array, z: Float64Array): void {
  for (let i = t - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < t; k++) s -= L[k * t + i] * z[k];
    z[i] = s / L[i * t + i];
  }
}

/**
 * λ_max of the τ×τ symmetric matrix `H` by cyclic Jacobi rotations (exact to rounding; O(τ³) per
 * sweep, a handful of sweeps). `work` is τ² scratch; `H` is not modified.
 */
export function lambdaMax(H: Float64Array, t: number, work: Float64Array): number {
  if (t === 1) return H[0];
  const a = work;
  a.set(H.subarray(0, t * t));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < t; i++) {
      diag += a[i * t + i] * a[i * t + i];
      for (let j = i + 1; j < t; j++) off += a[i * t + j] * a[i * t + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < t - 1; p++) {
      for (let q = p + 1; q < t; q++) {
        const apq = a[p * t + q];
        if (apq === 0) continue;
        const theta = (a[q * t + q] - a[p * t + p]) / (2 * apq);
        const tt = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tt * tt + 1);
        const s = tt * c;
        for (let k = 0; k < t; k++) {
          const akp = a[k * t + p];
          const akq = a[k * t + q];
          a[k * t + p] = c * akp - s * akq;
          a[k * t + q] = s * akp + c * akq;
        }
        for (let k = 0; k < t; k++) {
          const apk = a[p * t + k];
          const aqk = a[q * t + k];
          a[p * t + k] = c * apk - s * aqk;
          a[q * t + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let best = -Infinity;
  for (let i = 0; i < t; i++) if (a[i * t + i] > best) best = a[i * t + i];
  return best;
}

/** The fixed-block selection rules that score blocks from the gradient. */
export type GreedyRule = 'gs' | 'gsl' | 'gsd' | 'gsq';

/**
 * The score of one block for a greedy rule, from the block gradient `gb` (length τ):
 * GS ‖g_b‖ (ℓ₂, or ℓ₁ with `norm` 1 as the reference code), GSL ‖g_b‖/√L_b, GSD
 * √(Σ g_i²/d_i) (ℓ₁: Σ|g_i|/√d_i), GSQ √(g_bᵀH_b⁻¹g_b) with `chol` the Cholesky factor of H_b.
 * `y` is τ scratch.
 */
export function blockScore(
  rule: GreedyRule,
  gb: Float64Array,
  t: number,
  norm: 1 | 2,
  Lb: number,
  d: Float64Array | undefined,
  chol: Float64Array | undefined,
  y: Float64Array,
): number {
  switch (rule) {
    case 'gs':
    case 'gsl': {
      let s = 0;
      if (norm === 2) {
        for (let i = 0; i < t; i++) s += gb[i] * gb[i];
        s = Math.sqrt(s);
      } else {
        for (let i = 0; i < t; i++) s += Math.abs(gb[i]);
      }
      return rule === 'gs' ? s : s / Math.sqrt(Lb);
    }
    case 'gsd': {
      let s = 0;
      if (norm === 2) {
        for (let i = 0; i < t; i++) s += (gb[i] * gb[i]) / d![i];
        return Math.sqrt(s);
      }
      for (let i = 0; i < t; i++) s += Math.abs(gb[i]) / Math.sqrt(d![i]);
      return s;
    }
    case 'gsq': {
      forwardSolve(chol!, t, gb, y);
      let s = 0;
      for (let i = 0; i < t; i++) s += y[i] * y[i];
      return Math.sqrt(s);
    }
  }
}

/**
 * Everything a fixed block needs for scoring and updating, from its bound H_b (τ×τ): the Cholesky
 * factor, L_b = λ_max(H_b) and the in-block Gershgorin diagonal bound d_i = Σ_{j∈b} |H_ij| (a valid
 * D_b ⪰ H_b). Computed once per block and cached; `chol` is empty and `Lb` NaN when not asked for.
 */
export interface BlockFactors {
  chol: Float64Array;
  Lb: number;
  d: Float64Array;
}

/** What a rule/update pair needs from a block's factors (the O(τ³) parts are skipped otherwise). */
export interface FactorNeeds {
  /** L_b = λ_max(H_b): `lipschitz` updates, GSL, Lipschitz sampling. */
  lb: boolean;
  /** The Cholesky factor: `matrix` updates, GSQ. */
  chol: boolean;
}

/** Factors of a bound H (τ×τ, consumed: it becomes the Cholesky factor when asked for). */
export function factorBlock(H: Float64Array, t: number, scratch: Float64Array, needs: FactorNeeds = { lb: true, chol: true }): BlockFactors {
  const d = new Float64Array(t);
  for (let i = 0; i < t; i++) {
    let s = 0;
    for (let j = 0; j < t; j++) s += Math.abs(H[i * t + j]);
    d[i] = s > 0 ? s : Number.MIN_VALUE;
  }
  const Lb = needs.lb ? Math.max(lambdaMax(H, t, scratch), Number.MIN_VALUE) : Number.NaN;
  if (!needs.chol) return { chol: new Float64Array(0), Lb, d };
  choleskyInPlace(H, t, scratch);
  return { chol: H, Lb, d };
}

/** The factors a selection rule and update rule need. */
export function factorNeeds(rule: string, update: string): FactorNeeds {
  return { lb: update === 'lipschitz' || rule === 'gsl' || rule === 'lipschitz', chol: update === 'matrix' || rule === 'gsq' };
}

/**
 * The step of a block update rule from the block gradient: `lipschitz` d = −g/L_b, `diagonal`
 * d = −D_b⁻¹g, `matrix` d = −H_b⁻¹g. Writes `out` (length τ); `y` is τ scratch.
 */
export function blockStep(update: 'lipschitz' | 'diagonal' | 'matrix', gb: Float64Array, t: number, f: BlockFactors, out: Float64Array, y: Float64Array): void {
  if (update === 'lipschitz') {
    for (let i = 0; i < t; i++) out[i] = -gb[i] / f.Lb;
  } else if (update === 'diagonal') {
    for (let i = 0; i < t; i++) out[i] = -gb[i] / f.d[i];
  } else {
    forwardSolve(f.chol, t, gb, y);
    backSolve(f.chol, t, y, out);
    for (let i = 0; i < t; i++) out[i] = -out[i];
  }
}
