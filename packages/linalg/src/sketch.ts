/**
 * Oblivious random sketches S ∈ R^{m×n} (m ≤ n) for randomized least squares: each is a seeded
 * {@link LinearOperator} (apply = S·x, applyT = Sᵀ·y) with `applyMatrix(A)` computing S·A for a
 * row-major n×k matrix without ever forming S for the structured families. Every family is scaled so
 * that E[SᵀS] = I, hence E‖Sx‖² = ‖x‖² for every fixed x.
 *
 * Families (method card linf-regression.md §2, "Sketch families"):
 * - `gaussian`: S_ij ~ N(0, 1/m) i.i.d. S is generated from its own random stream in blocks of rows
 *   (regenerated on every application, so memory stays O(block·n)); when m·n ≤ 2^21 it is kept after
 *   the first use. Entries come from an inlined xoshiro128** stream seeded from the Rng (EntryStream
 *   below; normals by Marsaglia's polar method on 32-bit uniforms). Cost O(mnk) per S·A (core gemm;
 *   zero rows of A are skipped, which makes padded or spiky inputs cheap).
 * - `rademacher` (dense AMS-type): S_ij = ±1/√m i.i.d. (i.i.d. signs from the seeded generator, not
 *   4-wise independent hashes). Stored like `gaussian`.
 * - `srht`: S = √(N/m)·P·H_N·D with N = 2^⌈log₂ n⌉ (x zero-padded to length N), D = diag of i.i.d.
 *   ±1, H_N the Walsh–Hadamard matrix normalised by 1/√N (fwht.ts, in place), P = m rows of the N
 *   sampled uniformly without replacement (default; `srhtSampling: 'with'` samples with
 *   replacement). The scale uses the padded N. Cost O(Nk log N) per S·A.
 * - `fjlt` (Ailon–Chazelle): S = Φ·H_N·D, Φ an m×N sparse matrix whose entries are nonzero with
 *   probability q = `fjltDensity` (default min(1, ln²N / N), the Θ(log² / dimension) density of
 *   Ailon & Chazelle, with N standing in for the number of points) and then N(0, 1/(mq)).
 * - `countsketch` (Clarkson–Woodruff): a hash h: [n] → [m] and signs s: [n] → {±1}; row i of A is
 *   added with sign s(i) into row h(i) of SA. Cost O(nk). Sparse: the negative control of the ℓ∞
 *   experiment.
 * - `osnap` (sparse sign embedding, Nelson–Nguyên): each column of S has `osnapNonzeros` (default 4)
 *   nonzeros ±1/√s in distinct uniformly random rows. Cost O(s·nk).
 *
 * Sparse inputs: `applyMatrix` also takes a core {@link CsrMatrix} A (n×k) and then reads its CSR arrays
 * directly, never forming A densely where the family allows it. CountSketch and OSNAP cost O(s·nnz(A))
 * plus the m×k output (the point of sparse embeddings, Clarkson & Woodruff, "Low rank approximation and
 * regression in input sparsity time", STOC 2013). Gaussian and Rademacher multiply each generated row
 * of S into the nonzeros of A: O(m·nnz(A)) flops plus the O(m·n) generation of S (when A has more than
 * a quarter of its entries stored they take the dense gemm path instead). SRHT evaluates the m sampled
 * rows of H_N·D against the nonzeros directly (H entries as bit parities), O(m·nnz(A)), when that is
 * well below the O(N·k·log N) of the transform; otherwise it scatters A into the padded block and
 * transforms. FJLT densifies A (no sparse path). Results equal the dense path's up to summation order.
 *
 * Paper of the card: Z. Song, M. Ye, J. Yin, L. Zhang, "A Nearly-Optimal Bound for Fast Regression
 * with ℓ∞ Guarantee", ICML 2023 (arXiv 2302.00248).
 */
import {
  CsrMatrix,
  DenseMatrix,
  OptkitError,
  Rng,
  assertFinite,
  assertInteger,
  checkChoice,
  checkOption,
  getKernels,
  type LinearOperator,
  type RandomOptions,
} from '@optkit/core';
import { fwht, nextPowerOfTwo } from './fwht.js';

export type SketchKind = 'gaussian' | 'srht' | 'fjlt' | 'rademacher' | 'countsketch' | 'osnap';

export const SKETCH_KINDS: readonly SketchKind[] = ['gaussian', 'srht', 'fjlt', 'rademacher', 'countsketch', 'osnap'];

/** The dense families (every column of S spreads over all m rows). */
export const DENSE_SKETCH_KINDS: readonly SketchKind[] = ['gaussian', 'srht', 'fjlt', 'rademacher'];

export interface SketchOptions extends RandomOptions {
  kind: SketchKind;
  /** Sketch size: rows of S, an integer in [1, n]. */
  m: number;
  /** Nonzeros per column for `osnap`, an integer in [1, m]. Default min(4, m). */
  osnapNonzeros?: number;
  /** Probability that an entry of Φ is nonzero for `fjlt`, in (0, 1]. Default min(1, ln²N / N). */
  fjltDensity?: number;
  /** Row sampling for `srht`: `'without'` replacement (default) or `'with'`. */
  srhtSampling?: 'without' | 'with';
}

/** A drawn sketch S (m×n): a linear operator plus S·A for row-major matrices. */
export interface SketchOperator extends LinearOperator {
  readonly kind: SketchKind;
  /** Rows of S (the sketch size). */
  readonly m: number;
  /** Columns of S (the rows of the matrices it sketches). */
  readonly n: number;
  /** S·x for x of length n (out of length m, allocated when omitted). */
  apply(x: Float64Array, out?: Float64Array): Float64Array;
  /** Sᵀ·y for y of length m (out of length n). */
  applyT(y: Float64Array, out?: Float64Array): Float64Array;
  /**
   * S·A for A with n rows, dense (row-major n×k) or sparse (core CsrMatrix, read from its arrays;
   * module comment for each family's cost): a new dense m×k matrix.
   */
  applyMatrix(A: DenseMatrix | CsrMatrix): DenseMatrix;
  /** S itself as a dense m×n matrix (for tests and small n). */
  toDense(): DenseMatrix;
}

const FN = 'createSketch';
/** Gaussian/Rademacher sketches with at most this many entries are stored after their first use. */
const CACHE_ENTRIES = 1 << 21;
/** Entries of S generated per block when streaming. */
const BLOCK_ENTRIES = 1 << 16;

function checkVec(x: unknown, length: number, name: string, fn: string): asserts x is Float64Array {
  if (!(x instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`, name);
  if (x.length !== length) throw new OptkitError('SHAPE_MISMATCH', `${fn}: ${name} has length ${x.length}; expected ${length}`, name);
}

function output(out: Float64Array | undefined, length: number, fn: string): Float64Array {
  if (out === undefined) return new Float64Array(length);
  checkVec(out, length, 'out', fn);
  return out;
}

function checkMatrix(A: unknown, n: number, fn: string): asserts A is DenseMatrix {
  if (!(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix (row-major n×k) or a CsrMatrix`, 'A');
  if (A.rows !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: A has ${A.rows} rows; the sketch has n = ${n} columns`, 'A');
  assertFinite(A.data, 'A', fn);
}

/**
 * Validates a sparse A against a sketch with n columns. CsrMatrix checks its values when built, but
 * they may have been written since (markModified), so they are scanned again: O(nnz).
 */
function checkSparseMatrix(A: CsrMatrix, n: number, fn: string): void {
  if (A.rows !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: A has ${A.rows} rows; the sketch has n = ${n} columns`, 'A');
  assertFinite(A.values, 'A.values', fn);
}

/** Indices of the rows of a CSR matrix that hold at least one stored entry. */
function nonEmptyRows(A: CsrMatrix): Int32Array {
  const { rows, indptr } = A;
  let count = 0;
  for (let i = 0; i < rows; i++) if (indptr[i + 1] > indptr[i]) count++;
  const out = new Int32Array(count);
  for (let i = 0, t = 0; i < rows; i++) if (indptr[i + 1] > indptr[i]) out[t++] = i;
  return out;
}

/** Parity of the set bits of a non-negative 31-bit integer: H_N[a][b] = (−1)^parity(a & b) (Sylvester order). */
function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  return (0x6996 >>> (x & 15)) & 1;
}

abstract class SketchBase implements SketchOperator {
  abstract readonly kind: SketchKind;
  readonly rows: number;
  readonly cols: number;
  constructor(
    readonly m: number,
    readonly n: number,
  ) {
    this.rows = m;
    this.cols = n;
  }
  apply(x: Float64Array, out?: Float64Array): Float64Array {
    const fn = `${this.kind}.apply`;
    checkVec(x, this.n, 'x', fn);
    const y = output(out, this.m, fn);
    this.applyInto(x, y);
    return y;
  }
  applyT(y: Float64Array, out?: Float64Array): Float64Array {
    const fn = `${this.kind}.applyT`;
    checkVec(y, this.m, 'y', fn);
    const x = output(out, this.n, fn);
    this.applyTInto(y, x);
    return x;
  }
  applyMatrix(A: DenseMatrix | CsrMatrix): DenseMatrix {
    const fn = `${this.kind}.applyMatrix`;
    if (A instanceof CsrMatrix) {
      checkSparseMatrix(A, this.n, fn);
      return DenseMatrix.wrap(this.m, A.cols, A.cols === 0 ? new Float64Array(0) : this.applySparseData(A));
    }
    checkMatrix(A, this.n, fn);
    return DenseMatrix.wrap(this.m, A.cols, this.applyMatrixData(A.data, A.cols));
  }
  toDense(): DenseMatrix {
    const I = new Float64Array(this.n * this.n);
    for (let i = 0; i < this.n; i++) I[i * this.n + i] = 1;
    return DenseMatrix.wrap(this.m, this.n, this.applyMatrixData(I, this.n));
  }
  protected abstract applyInto(x: Float64Array, y: Float64Array): void;
  protected abstract applyTInto(y: Float64Array, x: Float64Array): void;
  /** S·A for row-major A (n×k) given as its data; returns the m×k data. */
  protected abstract applyMatrixData(A: Float64Array, k: number): Float64Array;
  /** S·A for a validated CSR A (n×k, k ≥ 1); returns the m×k data. Default: densify A (families without a sparse path). */
  protected applySparseData(A: CsrMatrix): Float64Array {
    return this.applyMatrixData(A.toDense().data, A.cols);
  }
}

/** Dense i.i.d. sketches (gaussian, rademacher): S regenerated row block by row block from a fixed stream. */
/**
 * The entry stream of the dense i.i.d. sketches: xoshiro128** (Blackman & Vigna) on four 32-bit
 * words seeded from the caller's {@link Rng}, with Marsaglia's polar method for normals and one bit
 * per sign. A Gaussian sketch of a 2048-row problem draws m·2048 normals per application, so the
 * generator is inlined here: core's Rng (pure-rand objects) measured ~100 ns per normal against
 * ~10 ns here. The stream is a pure function of its seed words, so `clone()` replays S exactly.
 */
class EntryStream {
  constructor(
    private s0: number,
    private s1: number,
    private s2: number,
    private s3: number,
  ) {
    if ((s0 | s1 | s2 | s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }
  static from(rng: Rng): EntryStream {
    const w = () => rng.int(0, 0xffffffff) | 0;
    return new EntryStream(w(), w(), w(), w());
  }
  clone(): EntryStream {
    return new EntryStream(this.s0, this.s1, this.s2, this.s3);
  }
  /** The next 32 random bits as an unsigned integer. */
  next(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }
  /** Fills buf with N(0, std²) deviates (Marsaglia's polar method: no trigonometric calls). */
  fillNormal(buf: Float64Array, std: number): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      // Two uniforms in (−1, 1) from 32 bits each (ample for a sketch entry).
      const u = (this.next() + 0.5) * 4.656612873077393e-10 - 1;
      const v = (this.next() + 0.5) * 4.656612873077393e-10 - 1;
      const q = u * u + v * v;
      if (q >= 1 || q === 0) continue;
      const f = std * Math.sqrt((-2 * Math.log(q)) / q);
      buf[i++] = u * f;
      if (i < n) buf[i++] = v * f;
    }
  }
  /** Fills buf with ±value, each sign one random bit. */
  fillSigns(buf: Float64Array, value: number): void {
    const n = buf.length;
    for (let i = 0; i < n; i += 32) {
      let bits = this.next();
      const end = Math.min(n, i + 32);
      for (let j = i; j < end; j++) {
        buf[j] = bits & 1 ? value : -value;
        bits >>>= 1;
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

class DenseIidSketch extends SketchBase {
  private cached: Float64Array | undefined;
  private readonly blockRows: number;
  constructor(
    readonly kind: 'gaussian' | 'rademacher',
    m: number,
    n: number,
    private readonly stream: EntryStream,
  ) {
    super(m, n);
    this.blockRows = Math.max(1, Math.min(m, Math.floor(BLOCK_ENTRIES / n)));
  }
  private fill(rng: EntryStream, buf: Float64Array): void {
    const scale = 1 / Math.sqrt(this.m);
    if (this.kind === 'gaussian') rng.fillNormal(buf, scale);
    else rng.fillSigns(buf, scale);
  }
  /**
   * Calls `visit(r0, rows, block)` for consecutive row blocks of S (block: rows×n row-major),
   * from the cache or freshly generated from a copy of the stream, so every call sees the same S.
   */
  private forEachBlock(visit: (r0: number, rows: number, block: Float64Array) => void): void {
    const { m, n } = this;
    if (this.cached === undefined && m * n <= CACHE_ENTRIES) {
      this.cached = new Float64Array(m * n);
      this.fill(this.stream.clone(), this.cached);
    }
    if (this.cached !== undefined) {
      visit(0, m, this.cached);
      return;
    }
    const rng = this.stream.clone();
    const buf = new Float64Array(this.blockRows * n);
    for (let r0 = 0; r0 < m; r0 += this.blockRows) {
      const rows = Math.min(this.blockRows, m - r0);
      const block = rows === this.blockRows ? buf : buf.subarray(0, rows * n);
      this.fill(rng, block);
      visit(r0, rows, block);
    }
  }
  protected applyInto(x: Float64Array, y: Float64Array): void {
    const K = getKernels();
    this.forEachBlock((r0, rows, block) => K.gemv(rows, this.n, 1, block, this.n, x, 0, y.subarray(r0, r0 + rows)));
  }
  protected applyTInto(y: Float64Array, x: Float64Array): void {
    const K = getKernels();
    x.fill(0);
    this.forEachBlock((r0, rows, block) => K.gemvT(rows, this.n, 1, block, this.n, y.subarray(r0, r0 + rows), 1, x));
  }
  protected applyMatrixData(A: Float64Array, k: number): Float64Array {
    const K = getKernels();
    const { m, n } = this;
    const out = new Float64Array(m * k);
    // Zero rows of A contribute nothing: multiply only the columns of S that meet nonzero rows
    // (S is still generated whole, so every call sees the same S). Pays off on padded or spiky inputs.
    const nz: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let c = 0; c < k; c++) {
        if (A[o + c] !== 0) {
          nz.push(i);
          break;
        }
      }
    }
    if (nz.length * 2 > n) {
      this.forEachBlock((r0, rows, block) => K.gemm(false, false, rows, k, n, 1, block, n, A, k, 0, out.subarray(r0 * k, (r0 + rows) * k), k));
      return out;
    }
    const q = nz.length;
    if (q === 0) return out;
    const Ac = new Float64Array(q * k);
    for (let t = 0; t < q; t++) Ac.set(A.subarray(nz[t] * k, nz[t] * k + k), t * k);
    let Sc = new Float64Array(0);
    this.forEachBlock((r0, rows, block) => {
      if (Sc.length < rows * q) Sc = new Float64Array(rows * q);
      for (let r = 0; r < rows; r++) for (let t = 0; t < q; t++) Sc[r * q + t] = block[r * n + nz[t]];
      K.gemm(false, false, rows, k, q, 1, Sc, q, Ac, k, 0, out.subarray(r0 * k, (r0 + rows) * k), k);
    });
    return out;
  }
  /**
   * S·A for sparse A: each row of S (streamed as for the dense path) meets only the stored entries of
   * A, O(m·nnz) multiply-adds. Mostly-full A (more than a quarter stored) takes the gemm path.
   */
  protected override applySparseData(A: CsrMatrix): Float64Array {
    const { m, n } = this;
    const k = A.cols;
    if (A.nnz * 4 > n * k) return super.applySparseData(A);
    const out = new Float64Array(m * k);
    const { indptr, indices, values } = A;
    const nz = nonEmptyRows(A);
    const q = nz.length;
    if (q === 0) return out;
    this.forEachBlock((r0, rows, block) => {
      for (let r = 0; r < rows; r++) {
        const srow = r * n;
        const dst = (r0 + r) * k;
        for (let t = 0; t < q; t++) {
          const i = nz[t];
          const sv = block[srow + i];
          for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) out[dst + indices[p]] += sv * values[p];
        }
      }
    });
    return out;
  }
}

/** Subsampled randomized Hadamard transform √(N/m)·P·H_N·D. */
class SrhtSketch extends SketchBase {
  readonly kind = 'srht' as const;
  private readonly N: number;
  private readonly scale: number;
  private readonly scratch: Float64Array;
  constructor(
    m: number,
    n: number,
    private readonly signs: Float64Array,
    /** The sampled rows of H_N D (length m, values in [0, N)). */
    readonly sampledRows: Int32Array,
  ) {
    super(m, n);
    this.N = nextPowerOfTwo(n);
    // √(N/m) times the 1/√N normalisation of H_N.
    this.scale = 1 / Math.sqrt(m);
    this.scratch = new Float64Array(this.N);
  }
  protected applyInto(x: Float64Array, y: Float64Array): void {
    const z = this.scratch;
    const { n, signs } = this;
    for (let i = 0; i < n; i++) z[i] = signs[i] * x[i];
    z.fill(0, n);
    fwht(z);
    const rows = this.sampledRows;
    for (let r = 0; r < this.m; r++) y[r] = this.scale * z[rows[r]];
  }
  protected applyTInto(y: Float64Array, x: Float64Array): void {
    const z = this.scratch;
    z.fill(0);
    const rows = this.sampledRows;
    for (let r = 0; r < this.m; r++) z[rows[r]] += this.scale * y[r];
    fwht(z); // H is symmetric.
    const { n, signs } = this;
    for (let i = 0; i < n; i++) x[i] = signs[i] * z[i];
  }
  protected applyMatrixData(A: Float64Array, k: number): Float64Array {
    const { n, N, signs } = this;
    const z = new Float64Array(N * k);
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      const o = i * k;
      for (let c = 0; c < k; c++) z[o + c] = s * A[o + c];
    }
    return this.transformAndSample(z, k);
  }
  /**
   * S·A for sparse A. Direct: row r of S·A is scale·Σ_i H_N[p_r][i]·D_ii·A[i, :] over the stored
   * entries, H's entries read as bit parities: O(m·nnz), chosen when 4·m·nnz ≤ N·k·log₂N (the
   * transform's cost; the direct loop ran about 5× slower per multiply-add than the butterflies here,
   * 20000×200 A, m = 800); otherwise D·A is scattered into the padded N×k block and transformed.
   */
  protected override applySparseData(A: CsrMatrix): Float64Array {
    const { m, n, N, signs, scale } = this;
    const k = A.cols;
    const { indptr, indices, values } = A;
    if (4 * m * A.nnz > N * k * Math.log2(Math.max(2, N))) {
      const z = new Float64Array(N * k);
      for (let i = 0; i < n; i++) {
        const s = signs[i];
        const o = i * k;
        for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) z[o + indices[p]] = s * values[p];
      }
      return this.transformAndSample(z, k);
    }
    const out = new Float64Array(m * k);
    const nz = nonEmptyRows(A);
    const q = nz.length;
    const rows = this.sampledRows;
    for (let r = 0; r < m; r++) {
      const h = rows[r];
      const dst = r * k;
      for (let t = 0; t < q; t++) {
        const i = nz[t];
        const sv = parity(h & i) === 0 ? scale * signs[i] : -scale * signs[i];
        for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) out[dst + indices[p]] += sv * values[p];
      }
    }
    return out;
  }
  /** scale·P·H_N applied to the padded block z (N×k, overwritten). */
  private transformAndSample(z: Float64Array, k: number): Float64Array {
    fwht(z, k);
    const out = new Float64Array(this.m * k);
    const rows = this.sampledRows;
    for (let r = 0; r < this.m; r++) {
      const src = rows[r] * k;
      const dst = r * k;
      for (let c = 0; c < k; c++) out[dst + c] = this.scale * z[src + c];
    }
    return out;
  }
}

/** Ailon–Chazelle FJLT Φ·H_N·D with Φ sparse Gaussian (stored as CSR over the N padded coordinates). */
class FjltSketch extends SketchBase {
  readonly kind = 'fjlt' as const;
  private readonly N: number;
  private readonly scratch: Float64Array;
  constructor(
    m: number,
    n: number,
    private readonly signs: Float64Array,
    private readonly phiPtr: Int32Array,
    private readonly phiIdx: Int32Array,
    private readonly phiVal: Float64Array,
  ) {
    super(m, n);
    this.N = nextPowerOfTwo(n);
    this.scratch = new Float64Array(this.N);
  }
  protected applyInto(x: Float64Array, y: Float64Array): void {
    const z = this.scratch;
    const { n, signs, phiPtr, phiIdx, phiVal } = this;
    for (let i = 0; i < n; i++) z[i] = signs[i] * x[i];
    z.fill(0, n);
    fwht(z);
    const h = 1 / Math.sqrt(this.N);
    for (let r = 0; r < this.m; r++) {
      let s = 0;
      for (let t = phiPtr[r]; t < phiPtr[r + 1]; t++) s += phiVal[t] * z[phiIdx[t]];
      y[r] = h * s;
    }
  }
  protected applyTInto(y: Float64Array, x: Float64Array): void {
    const z = this.scratch;
    const { n, signs, phiPtr, phiIdx, phiVal } = this;
    z.fill(0);
    for (let r = 0; r < this.m; r++) {
      const yr = y[r];
      for (let t = phiPtr[r]; t < phiPtr[r + 1]; t++) z[phiIdx[t]] += phiVal[t] * yr;
    }
    fwht(z);
    const h = 1 / Math.sqrt(this.N);
    for (let i = 0; i < n; i++) x[i] = h * signs[i] * z[i];
  }
  protected applyMatrixData(A: Float64Array, k: number): Float64Array {
    const { n, N, signs, phiPtr, phiIdx, phiVal } = this;
    const z = new Float64Array(N * k);
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      const o = i * k;
      for (let c = 0; c < k; c++) z[o + c] = s * A[o + c];
    }
    fwht(z, k);
    const h = 1 / Math.sqrt(N);
    const out = new Float64Array(this.m * k);
    for (let r = 0; r < this.m; r++) {
      const dst = r * k;
      for (let t = phiPtr[r]; t < phiPtr[r + 1]; t++) {
        const v = h * phiVal[t];
        const src = phiIdx[t] * k;
        for (let c = 0; c < k; c++) out[dst + c] += v * z[src + c];
      }
    }
    return out;
  }
}

/**
 * Hashing sketches (countsketch: s = 1; osnap: s ≥ 1): column i of S has the values `vals[i·s + t]`
 * in rows `buckets[i·s + t]`, t < s.
 */
class HashSketch extends SketchBase {
  constructor(
    readonly kind: 'countsketch' | 'osnap',
    m: number,
    n: number,
    /** Nonzeros per column. */
    readonly s: number,
    private readonly buckets: Int32Array,
    private readonly vals: Float64Array,
  ) {
    super(m, n);
  }
  protected applyInto(x: Float64Array, y: Float64Array): void {
    const { n, s, buckets, vals } = this;
    y.fill(0);
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      for (let t = i * s, end = t + s; t < end; t++) y[buckets[t]] += vals[t] * xi;
    }
  }
  protected applyTInto(y: Float64Array, x: Float64Array): void {
    const { n, s, buckets, vals } = this;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let t = i * s, end = t + s; t < end; t++) acc += vals[t] * y[buckets[t]];
      x[i] = acc;
    }
  }
  protected applyMatrixData(A: Float64Array, k: number): Float64Array {
    const { n, s, buckets, vals } = this;
    const out = new Float64Array(this.m * k);
    for (let i = 0; i < n; i++) {
      const src = i * k;
      for (let t = i * s, end = t + s; t < end; t++) {
        const v = vals[t];
        const dst = buckets[t] * k;
        for (let c = 0; c < k; c++) out[dst + c] += v * A[src + c];
      }
    }
    return out;
  }
  /** S·A for sparse A straight from its CSR arrays: O(s·nnz) multiply-adds, empty rows cost O(1). */
  protected override applySparseData(A: CsrMatrix): Float64Array {
    const { n, s, buckets, vals } = this;
    const k = A.cols;
    const { indptr, indices, values } = A;
    const out = new Float64Array(this.m * k);
    for (let i = 0; i < n; i++) {
      const p0 = indptr[i];
      const p1 = indptr[i + 1];
      if (p0 === p1) continue;
      for (let t = i * s, end = t + s; t < end; t++) {
        const v = vals[t];
        const dst = buckets[t] * k;
        for (let p = p0; p < p1; p++) out[dst + indices[p]] += v * values[p];
      }
    }
    return out;
  }
}

function signVector(rng: Rng, n: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = rng.sign();
  return s;
}

/**
 * Draws a sketch S (m×n) of the given family (see the module comment for each family's
 * distribution and scaling). All randomness comes from `seed` (default 0) or
 * `rng` (advanced in place), so the same options give the same S. Throws INVALID_ARGUMENT for a bad n, INVALID_OPTION for an unknown kind, a
 * sketch size m outside [1, n] ("a sketch larger than the rows"), or a bad family option.
 */
export function createSketch(n: number, options: SketchOptions): SketchOperator {
  assertInteger(n, 'n', 1, FN);
  if (options === null || typeof options !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: options must be an object {kind, m, seed?}`, 'options');
  }
  const kind = checkChoice(options.kind, SKETCH_KINDS, 'options.kind', FN);
  const m = options.m;
  checkOption(m, 'options.m', { min: 1, integer: true }, FN);
  if (m > n) {
    throw new OptkitError('INVALID_OPTION', `${FN}: sketch size m = ${m} is larger than the n = ${n} rows it sketches; expected 1 <= m <= n`, 'options.m');
  }
  if (options.seed !== undefined) checkOption(options.seed, 'options.seed', { integer: true }, FN);
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  switch (kind) {
    case 'gaussian':
    case 'rademacher':
      return new DenseIidSketch(kind, m, n, EntryStream.from(rng));
    case 'srht': {
      const sampling = checkChoice(options.srhtSampling ?? 'without', ['without', 'with'] as const, 'options.srhtSampling', FN);
      const N = nextPowerOfTwo(n);
      const signs = signVector(rng, n);
      const rows = rng.choice(N, m, { replace: sampling === 'with' });
      return new SrhtSketch(m, n, signs, rows);
    }
    case 'fjlt': {
      const N = nextPowerOfTwo(n);
      const q = checkOption(options.fjltDensity ?? Math.min(1, Math.log(N) ** 2 / N), 'options.fjltDensity', { min: 0, minExclusive: true, max: 1 }, FN);
      const signs = signVector(rng, n);
      const ptr = new Int32Array(m + 1);
      let idx: Int32Array;
      if (q === 1) {
        idx = new Int32Array(m * N);
        for (let r = 0; r < m; r++) {
          for (let p = 0; p < N; p++) idx[r * N + p] = p;
          ptr[r + 1] = (r + 1) * N;
        }
      } else {
        const list: number[] = [];
        const logMiss = Math.log1p(-q);
        for (let r = 0; r < m; r++) {
          // Geometric gaps between successive nonzeros: Bernoulli(q) per entry without N draws.
          let p = -1;
          for (;;) {
            p += 1 + Math.floor(Math.log(1 - rng.uniform()) / logMiss);
            if (p >= N) break;
            list.push(p);
          }
          ptr[r + 1] = list.length;
        }
        idx = Int32Array.from(list);
      }
      const val = new Float64Array(idx.length);
      EntryStream.from(rng).fillNormal(val, 1 / Math.sqrt(m * q));
      return new FjltSketch(m, n, signs, ptr, idx, val);
    }
    case 'countsketch': {
      const buckets = new Int32Array(n);
      const vals = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        buckets[i] = rng.int(0, m - 1);
        vals[i] = rng.sign();
      }
      return new HashSketch('countsketch', m, n, 1, buckets, vals);
    }
    case 'osnap': {
      const s = checkOption(options.osnapNonzeros ?? Math.min(4, m), 'options.osnapNonzeros', { min: 1, max: m, integer: true }, FN);
      const buckets = new Int32Array(n * s);
      const vals = new Float64Array(n * s);
      const v = 1 / Math.sqrt(s);
      for (let i = 0; i < n; i++) {
        const o = i * s;
        if (2 * s > m) {
          // Dense-ish columns: partial Fisher–Yates over all m rows.
          const rows = rng.choice(m, s);
          for (let t = 0; t < s; t++) buckets[o + t] = rows[t];
        } else {
          // Few nonzeros: rejection of repeated rows (expected < 2 draws each).
          for (let t = 0; t < s; t++) {
            let r: number;
            let clash: boolean;
            do {
              r = rng.int(0, m - 1);
              clash = false;
              for (let u = 0; u < t; u++) if (buckets[o + u] === r) clash = true;
            } while (clash);
            buckets[o + t] = r;
          }
        }
        for (let t = 0; t < s; t++) vals[o + t] = rng.sign() * v;
      }
      return new HashSketch('osnap', m, n, s, buckets, vals);
    }
  }
}
