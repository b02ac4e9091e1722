/**
 * The {@link BcdProblem} interface and the card's smooth test problems (shared/methods/bcd.md §1, §4):
 * least squares ½‖Ax − b‖², binary logistic regression Σ log(1 + exp(−yᵢ·aᵢᵀx)), and sparse
 * quadratics ½xᵀQx − cᵀx (label propagation). Softmax regression is in bcd-softmax.ts, the data
 * generators in bcd-data.ts.
 *
 * Each problem keeps the cached quantity the card names (the residual r = Ax − b, the margins Ax, or
 * the gradient Qx − c) for the one iterate `bcd` owns: `bind(x)` computes it, `onBlockUpdate(b, δ)`
 * keeps it current in O(nnz(A_b)) (least squares/logistic: Δ = A_b·δ is formed first and then added,
 * the same arithmetic the sharded cluster job does, so both give the same bits), `release()` drops it.
 * Called with any other array, `f` and `grad` compute from scratch.
 */
import { CsrMatrix, DenseMatrix, OptkitError, assertFinite, assertLength, assertNonEmpty, type Vec } from '@optkit/core';
import { blockApply, blockGram, colAxpy, colDot, colSqNorm, type ColumnData } from './bcd-kernels.js';

/** A smooth objective split into coordinates, with the block quantities BCD needs (bcd.md §5). */
export interface BcdProblem {
  /** Number of variables. */
  readonly n: number;
  /** f(x). */
  f(x: Vec): number;
  /** ∇f(x), written into `out` (a new array when omitted). */
  grad(x: Vec, out?: Vec): Vec;
  /** ∇_b f(x) (length |b|). Optional; BCD falls back to the full gradient. */
  gradBlock?(x: Vec, b: Int32Array, out?: Vec): Vec;
  /** ∇²_bb f(x), |b|×|b| (Newton updates). */
  hessBlock?(x: Vec, b: Int32Array): DenseMatrix;
  /** Coordinate Lipschitz constants L_i (≥ ∇²_ii f everywhere). */
  readonly lipschitz: Float64Array;
  /** A fixed bound H_b ⪰ ∇²_bb f(x) for every x (matrix updates, GSQ, GSL's L_b = λ_max(H_b)). */
  blockBound?(b: Int32Array): DenseMatrix;
  /** Diagonal bounds d_i valid for any block (Gershgorin row sums of the full bound), for VB-GSD. */
  readonly rowSumBound?: Float64Array;
  /** v ↦ H·v for the full bound matrix H (variable-block GSQ by iterative hard thresholding). */
  boundApply?(v: Vec, out: Vec): Vec;
  /** Column j of the full bound H (optional: lets BCD cache columns for products with τ-sparse vectors). */
  boundColumn?(j: number, out: Vec): Vec;
  /** The constant sparse Hessian of a quadratic (red-black/forest partitions, exact forest solves). */
  readonly sparseHessian?: CsrMatrix;
  /** Start caching state for `x`, which BCD then changes only through {@link onBlockUpdate}. */
  bind?(x: Vec): void;
  /** Stop caching. */
  release?(): void;
  /** x_b has just changed by `delta` (x is the bound iterate, already updated). */
  onBlockUpdate?(b: Int32Array, delta: Vec): void;
  /** f(x + E_b·delta) without changing x (line searches). */
  fBlockTrial?(x: Vec, b: Int32Array, delta: Vec): number;
}

// ---------------------------------------------------------------------------------------------
// ℓ(Ax) models: least squares and logistic regression.

type LossKind = 'least-squares' | 'logistic';

/** log(1 + e^t) without overflow. */
function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

/**
 * The loss of a linear model from its state s (least squares: the residual Ax − b; logistic: the
 * margins Ax), and its derivative u = dℓ/ds written into `u` when given. One fixed loop, used by the
 * single-process problems and the cluster coordinator alike.
 */
export function linearModelLoss(kind: LossKind, s: Float64Array, y: Float64Array | undefined, u?: Float64Array): number {
  let f = 0;
  if (kind === 'least-squares') {
    for (let i = 0; i < s.length; i++) {
      f += s[i] * s[i];
      if (u) u[i] = s[i];
    }
    return 0.5 * f;
  }
  for (let i = 0; i < s.length; i++) {
    const t = -y![i] * s[i];
    f += softplus(t);
    // σ(t) = 1/(1 + e^{-t}); d/ds log(1 + e^{-y s}) = −y·σ(−y s).
    if (u) u[i] = -y![i] / (1 + Math.exp(-t));
  }
  return f;
}

/** Copies a matrix's columns into {@link ColumnData}: dense column-major, or compressed columns. */
export function toColumns(A: DenseMatrix | CsrMatrix | ColumnData, name = 'A', fn = 'bcd'): ColumnData {
  if (A instanceof DenseMatrix) {
    assertNonEmpty(A.data, name, fn);
    const m = A.rows;
    const n = A.cols;
    const dense = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dense[j * m + i] = A.data[i * n + j];
    return { m, n, dense };
  }
  if (A instanceof CsrMatrix) {
    if (A.rows === 0 || A.cols === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: ${name} is empty`, name);
    const T = A.transpose();
    return { m: A.rows, n: A.cols, colptr: T.indptr, rowidx: T.indices, vals: T.values };
  }
  if (!A || typeof A !== 'object' || !Number.isInteger(A.m) || !Number.isInteger(A.n) || A.m < 1 || A.n < 1) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a DenseMatrix, a CsrMatrix or column data {m, n, dense | colptr/rowidx/vals}`, name);
  }
  if (A.dense) {
    assertLength(A.dense, A.m * A.n, `${name}.dense`, fn);
    assertFinite(A.dense, `${name}.dense`, fn);
  } else {
    if (!A.colptr || !A.rowidx || !A.vals) throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} needs dense or colptr/rowidx/vals`, name);
    assertLength(A.colptr, A.n + 1, `${name}.colptr`, fn);
    assertLength(A.vals, A.colptr[A.n], `${name}.vals`, fn);
    assertLength(A.rowidx, A.colptr[A.n], `${name}.rowidx`, fn);
    assertFinite(A.vals, `${name}.vals`, fn);
    for (let k = 0; k < A.rowidx.length; k++) {
      if (A.rowidx[k] < 0 || A.rowidx[k] >= A.m) throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name}.rowidx[${k}] = ${A.rowidx[k]} is outside [0, ${A.m})`, name);
    }
  }
  return A;
}

/** A least-squares or logistic problem over the columns of A, with the cached state of the bound iterate. */
class LinearModelProblem implements BcdProblem {
  readonly n: number;
  readonly lipschitz: Float64Array;
  /** The state of the bound iterate: residual Ax − b (least squares) or margins Ax (logistic). */
  private state: Float64Array;
  private bound: Vec | undefined;
  private readonly u: Float64Array;
  private readonly delta: Float64Array;
  private readonly trial: Float64Array;
  private readonly work: Float64Array;
  private rowSums: Float64Array | undefined;
  /** H_b = scale·A_bᵀA_b: 1 for least squares, ¼ for logistic (σ' ≤ ¼). */
  readonly scale: number;

  constructor(
    readonly kind: LossKind,
    readonly columns: ColumnData,
    /** b (least squares) or labels y ∈ {−1, +1} (logistic). */
    readonly target: Float64Array,
  ) {
    const A = columns;
    this.n = A.n;
    this.scale = kind === 'least-squares' ? 1 : 0.25;
    this.lipschitz = new Float64Array(A.n);
    for (let j = 0; j < A.n; j++) this.lipschitz[j] = this.scale * colSqNorm(A, j);
    this.state = new Float64Array(A.m);
    this.u = new Float64Array(A.m);
    this.delta = new Float64Array(A.m);
    this.trial = new Float64Array(A.m);
    this.work = new Float64Array(A.m);
  }

  /** s ← state of x from scratch (A·x accumulated column by column, then − b for least squares). */
  private stateOf(x: Vec, s: Float64Array): Float64Array {
    s.fill(0);
    for (let j = 0; j < this.n; j++) colAxpy(this.columns, j, x[j], s);
    if (this.kind === 'least-squares') for (let i = 0; i < s.length; i++) s[i] -= this.target[i];
    return s;
  }

  private current(x: Vec): Float64Array {
    return x === this.bound ? this.state : this.stateOf(x, this.trial);
  }

  private y(): Float64Array | undefined {
    return this.kind === 'logistic' ? this.target : undefined;
  }

  f(x: Vec): number {
    return linearModelLoss(this.kind, this.current(x), this.y());
  }

  grad(x: Vec, out: Vec = new Float64Array(this.n)): Vec {
    linearModelLoss(this.kind, this.current(x), this.y(), this.u);
    for (let j = 0; j < this.n; j++) out[j] = colDot(this.columns, j, this.u);
    return out;
  }

  gradBlock(x: Vec, b: Int32Array, out: Vec = new Float64Array(b.length)): Vec {
    linearModelLoss(this.kind, this.current(x), this.y(), this.u);
    for (let k = 0; k < b.length; k++) out[k] = colDot(this.columns, b[k], this.u);
    return out;
  }

  hessBlock(x: Vec, b: Int32Array): DenseMatrix {
    const t = b.length;
    const H = new Float64Array(t * t);
    if (this.kind === 'least-squares') {
      blockGram(this.columns, b, 1, H, this.work);
    } else {
      const s = this.current(x);
      const w = this.u;
      for (let i = 0; i < s.length; i++) {
        const sig = 1 / (1 + Math.exp(-this.target[i] * s[i]));
        w[i] = sig * (1 - sig);
      }
      blockGram(this.columns, b, 1, H, this.work, w);
    }
    return DenseMatrix.wrap(t, t, H);
  }

  blockBound(b: Int32Array): DenseMatrix {
    const t = b.length;
    const H = new Float64Array(t * t);
    blockGram(this.columns, b, this.scale, H, this.work);
    return DenseMatrix.wrap(t, t, H);
  }

  /** Σ_j |scale·A_iᵀA_j| for each i (computed on first use: O(n·nnz(A))). */
  get rowSumBound(): Float64Array {
    if (!this.rowSums) {
      const A = this.columns;
      const sums = new Float64Array(this.n);
      const col = new Float64Array(A.m);
      for (let i = 0; i < this.n; i++) {
        col.fill(0);
        colAxpy(A, i, 1, col);
        let s = 0;
        for (let j = 0; j < this.n; j++) s += Math.abs(colDot(A, j, col));
        sums[i] = this.scale * s;
      }
      this.rowSums = sums;
    }
    return this.rowSums;
  }

  boundApply(v: Vec, out: Vec): Vec {
    const Av = this.work;
    Av.fill(0);
    for (let j = 0; j < this.n; j++) colAxpy(this.columns, j, v[j], Av);
    for (let j = 0; j < this.n; j++) out[j] = this.scale * colDot(this.columns, j, Av);
    this.work.fill(0);
    return out;
  }

  boundColumn(j: number, out: Vec): Vec {
    const col = this.work;
    colAxpy(this.columns, j, 1, col);
    for (let i = 0; i < this.n; i++) out[i] = this.scale * colDot(this.columns, i, col);
    col.fill(0);
    return out;
  }

  bind(x: Vec): void {
    this.stateOf(x, this.state);
    this.bound = x;
  }

  release(): void {
    this.bound = undefined;
  }

  onBlockUpdate(b: Int32Array, delta: Vec): void {
    if (!this.bound) return;
    blockApply(this.columns, b, delta, this.delta);
    const s = this.state;
    const d = this.delta;
    for (let i = 0; i < s.length; i++) s[i] += d[i];
  }

  fBlockTrial(x: Vec, b: Int32Array, delta: Vec): number {
    if (x !== this.bound) {
      const xt = Float64Array.from(x);
      for (let k = 0; k < b.length; k++) xt[b[k]] += delta[k];
      return this.f(xt);
    }
    blockApply(this.columns, b, delta, this.delta);
    const t = this.trial;
    for (let i = 0; i < t.length; i++) t[i] = this.state[i] + this.delta[i];
    return linearModelLoss(this.kind, t, this.y());
  }
}

/** The problem objects made by {@link leastSquaresProblem} and {@link logisticProblem}. */
export interface LinearModelBcdProblem extends BcdProblem {
  readonly kind: LossKind;
  readonly columns: ColumnData;
  readonly rowSumBound: Float64Array;
  blockBound(b: Int32Array): DenseMatrix;
  hessBlock(x: Vec, b: Int32Array): DenseMatrix;
  boundApply(v: Vec, out: Vec): Vec;
}

/**
 * f(x) = ½‖Ax − b‖² with L_i = ‖A_i‖², H_b = A_bᵀA_b (exact block Hessian), rowSumBound
 * Σ_j |A_iᵀA_j| (computed on first use). A: DenseMatrix, CsrMatrix or column data; copied into column
 * storage. Throws SHAPE_MISMATCH when b's length is not A's row count, NOT_FINITE for NaN/Infinity.
 */
export function leastSquaresProblem(A: DenseMatrix | CsrMatrix | ColumnData, b: Vec): LinearModelBcdProblem {
  const fn = 'leastSquaresProblem';
  const cols = toColumns(A, 'A', fn);
  assertLength(b, cols.m, 'b', fn);
  assertFinite(b, 'b', fn);
  return new LinearModelProblem('least-squares', cols, Float64Array.from(b));
}

/**
 * f(x) = Σᵢ log(1 + exp(−yᵢ·aᵢᵀx)) with labels yᵢ ∈ {−1, +1}; L_i = ¼‖A_i‖², H_b = ¼A_bᵀA_b (a
 * bound: σ(1 − σ) ≤ ¼), exact Hessian blocks A_bᵀ diag(σᵢ(1 − σᵢ)) A_b. Throws INVALID_ARGUMENT for a
 * label other than ±1.
 */
export function logisticProblem(A: DenseMatrix | CsrMatrix | ColumnData, y: Vec): LinearModelBcdProblem {
  const fn = 'logisticProblem';
  const cols = toColumns(A, 'A', fn);
  assertLength(y, cols.m, 'y', fn);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1 && y[i] !== -1) throw new OptkitError('INVALID_ARGUMENT', `${fn}: y[${i}] is ${y[i]}; expected -1 or 1`, 'y');
  }
  return new LinearModelProblem('logistic', cols, Float64Array.from(y));
}

// ---------------------------------------------------------------------------------------------
// Quadratics ½xᵀQx − cᵀx with sparse symmetric Q.

class QuadraticProblem implements BcdProblem {
  readonly n: number;
  readonly lipschitz: Float64Array;
  readonly rowSumBound: Float64Array;
  /** g = Qx − c of the bound iterate. */
  private readonly g: Float64Array;
  private bound: Vec | undefined;
  private readonly pos: Int32Array;

  constructor(
    readonly sparseHessian: CsrMatrix,
    readonly c: Float64Array,
  ) {
    const Q = sparseHessian;
    this.n = Q.rows;
    this.lipschitz = Q.diagonal();
    this.rowSumBound = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      let s = 0;
      for (let k = Q.indptr[i]; k < Q.indptr[i + 1]; k++) s += Math.abs(Q.values[k]);
      this.rowSumBound[i] = s;
    }
    this.g = new Float64Array(this.n);
    this.pos = new Int32Array(this.n).fill(-1);
  }

  private gradInto(x: Vec, out: Vec): Vec {
    this.sparseHessian.spmv(x, out);
    for (let i = 0; i < this.n; i++) out[i] -= this.c[i];
    return out;
  }

  f(x: Vec): number {
    const g = x === this.bound ? this.g : this.gradInto(x, new Float64Array(this.n));
    // ½xᵀQx − cᵀx = ½xᵀ(g + c) − cᵀx = ½Σ xᵢ(gᵢ − cᵢ).
    let s = 0;
    for (let i = 0; i < this.n; i++) s += x[i] * (g[i] - this.c[i]);
    return 0.5 * s;
  }

  grad(x: Vec, out: Vec = new Float64Array(this.n)): Vec {
    if (x === this.bound) {
      out.set(this.g);
      return out;
    }
    return this.gradInto(x, out);
  }

  gradBlock(x: Vec, b: Int32Array, out: Vec = new Float64Array(b.length)): Vec {
    if (x === this.bound) {
      for (let k = 0; k < b.length; k++) out[k] = this.g[b[k]];
      return out;
    }
    const Q = this.sparseHessian;
    for (let k = 0; k < b.length; k++) {
      const i = b[k];
      let s = -this.c[i];
      for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) s += Q.values[q] * x[Q.indices[q]];
      out[k] = s;
    }
    return out;
  }

  blockBound(b: Int32Array): DenseMatrix {
    const Q = this.sparseHessian;
    const t = b.length;
    const H = new Float64Array(t * t);
    for (let k = 0; k < t; k++) this.pos[b[k]] = k;
    for (let k = 0; k < t; k++) {
      const i = b[k];
      for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) {
        const p = this.pos[Q.indices[q]];
        if (p >= 0) H[k * t + p] = Q.values[q];
      }
    }
    for (let k = 0; k < t; k++) this.pos[b[k]] = -1;
    return DenseMatrix.wrap(t, t, H);
  }

  hessBlock(_x: Vec, b: Int32Array): DenseMatrix {
    return this.blockBound(b);
  }

  boundApply(v: Vec, out: Vec): Vec {
    return this.sparseHessian.spmv(v, out);
  }

  bind(x: Vec): void {
    this.gradInto(x, this.g);
    this.bound = x;
  }

  release(): void {
    this.bound = undefined;
  }

  onBlockUpdate(b: Int32Array, delta: Vec): void {
    if (!this.bound) return;
    const Q = this.sparseHessian;
    // Q is symmetric: column i of Q is row i.
    for (let k = 0; k < b.length; k++) {
      const dk = delta[k];
      if (dk === 0) continue;
      const i = b[k];
      for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) this.g[Q.indices[q]] += Q.values[q] * dk;
    }
  }

  fBlockTrial(x: Vec, b: Int32Array, delta: Vec): number {
    const xt = Float64Array.from(x);
    for (let k = 0; k < b.length; k++) xt[b[k]] += delta[k];
    if (x !== this.bound) return this.f(xt);
    // f(x + E_bδ) = f(x) + g_bᵀδ + ½δᵀQ_bbδ.
    const Q = this.sparseHessian;
    for (let k = 0; k < b.length; k++) this.pos[b[k]] = k;
    let lin = 0;
    let quad = 0;
    for (let k = 0; k < b.length; k++) {
      const i = b[k];
      lin += this.g[i] * delta[k];
      for (let q = Q.indptr[i]; q < Q.indptr[i + 1]; q++) {
        const p = this.pos[Q.indices[q]];
        if (p >= 0) quad += delta[k] * Q.values[q] * delta[p];
      }
    }
    for (let k = 0; k < b.length; k++) this.pos[b[k]] = -1;
    return this.f(x) + lin + 0.5 * quad;
  }
}

/**
 * f(x) = ½xᵀQx − cᵀx for symmetric Q (CSR or dense; symmetric to 1e-12 relative, positive diagonal):
 * L_i = Q_ii, H_b = Q_bb (exact), rowSumBound Σ_j |Q_ij|, and `sparseHessian` = Q for the graph
 * partitions and exact forest solves. Throws SHAPE_MISMATCH for a non-square Q or a c of the wrong
 * length, INVALID_ARGUMENT for an asymmetric Q or a non-positive diagonal entry.
 */
export function quadraticProblem(Q: CsrMatrix | DenseMatrix, c: Vec): BcdProblem & { readonly sparseHessian: CsrMatrix; blockBound(b: Int32Array): DenseMatrix } {
  const fn = 'quadraticProblem';
  const S = Q instanceof DenseMatrix ? CsrMatrix.fromDense(Q) : Q;
  if (!(S instanceof CsrMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: Q must be a CsrMatrix or a DenseMatrix`, 'Q');
  if (S.rows !== S.cols) throw new OptkitError('SHAPE_MISMATCH', `${fn}: Q is ${S.rows}×${S.cols}; expected square`, 'Q');
  if (S.rows === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: Q is empty`, 'Q');
  assertLength(c, S.rows, 'c', fn);
  assertFinite(c, 'c', fn);
  let maxAbs = 0;
  for (const v of S.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (!S.isSymmetric(1e-12 * maxAbs)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: Q is not symmetric`, 'Q');
  const d = S.diagonal();
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] > 0)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: Q[${i}][${i}] is ${d[i]}; expected > 0 (Q must be positive definite)`, 'Q');
  }
  return new QuadraticProblem(S, Float64Array.from(c));
}
