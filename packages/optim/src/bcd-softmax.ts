/**
 * Multi-class logistic (softmax) regression as a {@link BcdProblem} (shared/methods/bcd.md §4 problem
 * C), with the class-coupled block bound the card's pitfalls ask for, and the problem's label
 * generator.
 */
import { CsrMatrix, DenseMatrix, OptkitError, Rng, assertInteger, assertLength, type Vec } from '@optkit/core';
import { blockGram, colAxpy, colDot, colSqNorm, type ColumnData } from './bcd-kernels.js';
import { toColumns, type BcdProblem } from './bcd-problems.js';

/** Σ_r A_rj·M[r·k + c] over the stored entries of column j (M row-major m×k). */
function colDotStrided(A: ColumnData, j: number, M: Float64Array, k: number, c: number): number {
  let s = 0;
  if (A.dense) {
    const o = j * A.m;
    for (let r = 0; r < A.m; r++) s += A.dense[o + r] * M[r * k + c];
  } else {
    for (let q = A.colptr![j]; q < A.colptr![j + 1]; q++) s += A.vals![q] * M[A.rowidx![q] * k + c];
  }
  return s;
}

/** M[:, c] += α·A_j (M row-major m×k). */
function colAxpyStrided(A: ColumnData, j: number, alpha: number, M: Float64Array, k: number, c: number): void {
  if (alpha === 0) return;
  if (A.dense) {
    const o = j * A.m;
    for (let r = 0; r < A.m; r++) M[r * k + c] += alpha * A.dense[o + r];
  } else {
    for (let q = A.colptr![j]; q < A.colptr![j + 1]; q++) M[A.rowidx![q] * k + c] += alpha * A.vals![q];
  }
}

class SoftmaxProblem implements BcdProblem {
  readonly n: number;
  readonly lipschitz: Float64Array;
  /** Z = A·W of the bound iterate (m×k row-major). */
  private readonly Z: Float64Array;
  private readonly P: Float64Array;
  private readonly trial: Float64Array;
  private readonly work: Float64Array;
  private bound: Vec | undefined;
  private rowSums: Float64Array | undefined;

  constructor(
    readonly columns: ColumnData,
    readonly labels: Int32Array,
    readonly classes: number,
  ) {
    const k = classes;
    this.n = columns.n * k;
    this.lipschitz = new Float64Array(this.n);
    for (let j = 0; j < columns.n; j++) {
      const Lj = 0.25 * colSqNorm(columns, j);
      for (let c = 0; c < k; c++) this.lipschitz[j * k + c] = Lj;
    }
    this.Z = new Float64Array(columns.m * k);
    this.P = new Float64Array(columns.m * k);
    this.trial = new Float64Array(columns.m * k);
    this.work = new Float64Array(columns.m);
  }

  private zOf(x: Vec, Z: Float64Array): Float64Array {
    const k = this.classes;
    Z.fill(0);
    for (let j = 0; j < this.columns.n; j++) for (let c = 0; c < k; c++) colAxpyStrided(this.columns, j, x[j * k + c], Z, k, c);
    return Z;
  }

  private current(x: Vec): Float64Array {
    return x === this.bound ? this.Z : this.zOf(x, this.trial);
  }

  /** Σᵢ logsumexp(Zᵢ) − Z_{i,yᵢ}; with `P` also writes softmax(Z) − Y. */
  private loss(Z: Float64Array, P?: Float64Array): number {
    const k = this.classes;
    let f = 0;
    for (let r = 0; r < this.columns.m; r++) {
      const o = r * k;
      let mx = -Infinity;
      for (let c = 0; c < k; c++) if (Z[o + c] > mx) mx = Z[o + c];
      let se = 0;
      for (let c = 0; c < k; c++) se += Math.exp(Z[o + c] - mx);
      f += mx + Math.log(se) - Z[o + this.labels[r]];
      if (P) {
        for (let c = 0; c < k; c++) P[o + c] = Math.exp(Z[o + c] - mx) / se;
        P[o + this.labels[r]] -= 1;
      }
    }
    return f;
  }

  f(x: Vec): number {
    return this.loss(this.current(x));
  }

  grad(x: Vec, out: Vec = new Float64Array(this.n)): Vec {
    const k = this.classes;
    this.loss(this.current(x), this.P);
    for (let j = 0; j < this.columns.n; j++) for (let c = 0; c < k; c++) out[j * k + c] = colDotStrided(this.columns, j, this.P, k, c);
    return out;
  }

  gradBlock(x: Vec, b: Int32Array, out: Vec = new Float64Array(b.length)): Vec {
    const k = this.classes;
    this.loss(this.current(x), this.P);
    for (let i = 0; i < b.length; i++) out[i] = colDotStrided(this.columns, Math.floor(b[i] / k), this.P, k, b[i] % k);
    return out;
  }

  /** A_bᵀA_b over the block's features (t×t, entry (i, l) = A_{f_i}ᵀA_{f_l}). */
  private featureGram(b: Int32Array): Float64Array {
    const t = b.length;
    const feats = Int32Array.from(b, (v) => Math.floor(v / this.classes));
    const G = new Float64Array(t * t);
    blockGram(this.columns, feats, 1, G, this.work);
    return G;
  }

  /**
   * Böhning's bound restricted to the block: ½(δ_{cc'} − 1/k')·A_fᵀA_f' with k' = min(k, #classes in
   * the block + 1) (the other classes' probability mass acts as one extra class; the reference's
   * class-coupled Hb).
   */
  blockBound(b: Int32Array): DenseMatrix {
    const k = this.classes;
    const t = b.length;
    const G = this.featureGram(b);
    const seen = new Set<number>();
    for (const v of b) seen.add(v % k);
    const kk = Math.min(k, seen.size + 1);
    for (let i = 0; i < t; i++) {
      for (let l = 0; l < t; l++) {
        const s = b[i] % k === b[l] % k ? 0.5 * (1 - 1 / kk) : -0.5 / kk;
        G[i * t + l] *= s;
      }
    }
    return DenseMatrix.wrap(t, t, G);
  }

  hessBlock(x: Vec, b: Int32Array): DenseMatrix {
    const k = this.classes;
    const t = b.length;
    const Z = this.current(x);
    this.loss(Z, this.P);
    // P holds softmax − Y: add Y back for the probabilities.
    const prob = this.P;
    for (let r = 0; r < this.columns.m; r++) prob[r * k + this.labels[r]] += 1;
    const H = new Float64Array(t * t);
    const w = new Float64Array(this.columns.m);
    for (let i = 0; i < t; i++) {
      for (let l = i; l < t; l++) {
        const ci = b[i] % k;
        const cl = b[l] % k;
        for (let r = 0; r < this.columns.m; r++) w[r] = (ci === cl ? prob[r * k + ci] : 0) - prob[r * k + ci] * prob[r * k + cl];
        const pair = Int32Array.of(Math.floor(b[i] / k), Math.floor(b[l] / k));
        const g2 = new Float64Array(4);
        blockGram(this.columns, pair, 1, g2, this.work, w);
        H[i * t + l] = g2[1];
        H[l * t + i] = g2[1];
      }
    }
    return DenseMatrix.wrap(t, t, H);
  }

  /** Gershgorin sums of the full Böhning bound ½(I − 11ᵀ/k) ⊗ AᵀA: (1 − 1/k)·Σ_f' |A_fᵀA_f'|. */
  get rowSumBound(): Float64Array {
    if (!this.rowSums) {
      const A = this.columns;
      const k = this.classes;
      const sums = new Float64Array(this.n);
      const col = new Float64Array(A.m);
      for (let f = 0; f < A.n; f++) {
        col.fill(0);
        colAxpy(A, f, 1, col);
        let s = 0;
        for (let g = 0; g < A.n; g++) s += Math.abs(colDot(A, g, col));
        for (let c = 0; c < k; c++) sums[f * k + c] = (1 - 1 / k) * s;
      }
      this.rowSums = sums;
    }
    return this.rowSums;
  }

  boundApply(v: Vec, out: Vec): Vec {
    const k = this.classes;
    const T = this.zOf(v, new Float64Array(this.columns.m * k));
    for (let r = 0; r < this.columns.m; r++) {
      let mean = 0;
      for (let c = 0; c < k; c++) mean += T[r * k + c];
      mean /= k;
      for (let c = 0; c < k; c++) T[r * k + c] -= mean;
    }
    for (let j = 0; j < this.columns.n; j++) for (let c = 0; c < k; c++) out[j * k + c] = 0.5 * colDotStrided(this.columns, j, T, k, c);
    return out;
  }

  bind(x: Vec): void {
    this.zOf(x, this.Z);
    this.bound = x;
  }

  release(): void {
    this.bound = undefined;
  }

  onBlockUpdate(b: Int32Array, delta: Vec): void {
    if (!this.bound) return;
    const k = this.classes;
    for (let i = 0; i < b.length; i++) colAxpyStrided(this.columns, Math.floor(b[i] / k), delta[i], this.Z, k, b[i] % k);
  }

  fBlockTrial(x: Vec, b: Int32Array, delta: Vec): number {
    if (x !== this.bound) {
      const xt = Float64Array.from(x);
      for (let i = 0; i < b.length; i++) xt[b[i]] += delta[i];
      return this.f(xt);
    }
    const k = this.classes;
    this.trial.set(this.Z);
    for (let i = 0; i < b.length; i++) colAxpyStrided(this.columns, Math.floor(b[i] / k), delta[i], this.trial, k, b[i] % k);
    return this.loss(this.trial);
  }
}

/**
 * Multi-class logistic (softmax) regression, f(W) = Σᵢ logsumexp(aᵢᵀW) − aᵢᵀw_{yᵢ} over W ∈ R^{p×k},
 * x = vec(W) feature-major (x[j·k + c] = W_jc, the reference's ravel of (features, classes)).
 * L_i = ¼‖A_j‖²; block bounds couple the classes (Böhning's ½(I − 11ᵀ/k') ⊗ A_bᵀA_b, bcd.md pitfall);
 * exact Hessian blocks. Throws SHAPE_MISMATCH for labels of the wrong length, INVALID_ARGUMENT for a
 * label outside 0..classes−1 or fewer than 2 classes.
 */
export function softmaxProblem(A: DenseMatrix | CsrMatrix | ColumnData, labels: ArrayLike<number>, classes: number): BcdProblem & {
  readonly columns: ColumnData;
  readonly classes: number;
  readonly rowSumBound: Float64Array;
  blockBound(b: Int32Array): DenseMatrix;
  hessBlock(x: Vec, b: Int32Array): DenseMatrix;
  boundApply(v: Vec, out: Vec): Vec;
} {
  const fn = 'softmaxProblem';
  const cols = toColumns(A, 'A', fn);
  assertInteger(classes, 'classes', 2, fn);
  assertLength(labels, cols.m, 'labels', fn);
  const y = new Int32Array(cols.m);
  for (let i = 0; i < cols.m; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new OptkitError('INVALID_ARGUMENT', `${fn}: labels[${i}] is ${v}; expected an integer in [0, ${classes})`, 'labels');
    y[i] = v;
  }
  return new SoftmaxProblem(cols, y, classes);
}

/**
 * Labels of the card's problem C: argmax_c (A·W + N(0,1))_{ic} with W ∈ R^{p×k} dense N(0,1) (from
 * `seed`'s own stream).
 */
export function syntheticSoftmaxLabels(columns: ColumnData, classes: number, seed = 1): Int32Array {
  assertInteger(classes, 'classes', 2, 'syntheticSoftmaxLabels');
  const rng = new Rng(seed ^ 0x5f3759df);
  const k = classes;
  const W = rng.fillNormal(new Float64Array(columns.n * k));
  const Z = new Float64Array(columns.m * k);
  for (let j = 0; j < columns.n; j++) for (let c = 0; c < k; c++) colAxpyStrided(columns, j, W[j * k + c], Z, k, c);
  const y = new Int32Array(columns.m);
  for (let r = 0; r < columns.m; r++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = Z[r * k + c] + rng.normal();
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    y[r] = best;
  }
  return y;
}
