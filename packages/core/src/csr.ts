/**
 * Compressed sparse row (CSR) matrices: the sparse format of optkit (DESIGN.md, "Numbers"), laid out
 * as scipy's `csr_matrix` with int32 indices. Row i holds the entries
 * `values[k]` at column `indices[k]` for `indptr[i] <= k < indptr[i + 1]`, with the column indices of
 * each row strictly increasing (canonical form: sorted, no duplicates). Explicit zeros are allowed
 * and kept.
 *
 * Validation: the constructor checks the structure (indptr monotone and consistent, indices in range)
 * and scans the values for NaN/Infinity; a row whose indices are unsorted or repeated is put in
 * canonical form (sorted, duplicates summed). Every product checks the lengths of its vectors.
 *
 * Speed: the first product builds a kernel specialised to this matrix and caches it (see
 * {@link CsrMatrix.spmv}). The arrays are public for reading and for handing to other code; whoever
 * writes into `indptr`, `indices` or `values` after the first product must call
 * {@link CsrMatrix.markModified}, because the cached kernel may hold a copy of them.
 */
import { OptkitError, assertFinite, assertFiniteNumber, assertInteger } from './errors.js';
import { DenseMatrix } from './dense.js';
import { generateUniqueFunction } from './specialize.js';

/** Largest size an int32 index can address. */
const INT32_MAX = 0x7fffffff;

/** y = A·x or y = Aᵀ·x into a preallocated y; arguments already validated. */
type Kernel = (x: Float64Array, y: Float64Array) => void;

/** Which storage the cached spmv kernel reads; reported for benchmarks and tuning. */
export interface SpmvKernelInfo {
  /**
   * `'dia'`: diagonal storage, used when the entries lie on a few diagonals (banded matrices,
   * stencils); `'ell'`: a padded ELLPACK copy (every row padded to `width` entries), used when rows
   * are nearly equal in length; `'csr'`: the CSR arrays themselves.
   */
  format: 'dia' | 'ell' | 'csr';
  /** Entries per padded row (ELL only). */
  width?: number;
  /** Number of stored diagonals, i.e. distinct offsets j − i (DIA only). */
  diagonals?: number;
  /**
   * DIA only: how the coefficients are held. `'constant'`: the rows repeat a few coefficient
   * patterns in long runs (constant-coefficient stencils), so the kernel holds each pattern as
   * constants in its code and stores no values at all; `'stored'`: a dense copy, `diagonals`
   * values per row.
   */
  coefficients?: 'constant' | 'stored';
  /** Distinct coefficient patterns compiled into the kernel (DIA with constant coefficients only). */
  patterns?: number;
  /** Whether the kernel was generated for this matrix (`new Function`) or is the shared fallback. */
  specialised: boolean;
}

interface KernelCache {
  spmv: Kernel;
  spmvT: Kernel;
  info: SpmvKernelInfo;
}

/**
 * The ELL copy is built only when padding adds at most this fraction of entries, and rows are at
 * most {@link ELL_MAX_WIDTH} long (the kernel is fully unrolled per row).
 */
const ELL_MAX_FILL = 1.25;
const ELL_MAX_WIDTH = 16;
/**
 * The DIA form is used when the entries lie on at most {@link DIA_MAX_DIAGONALS} diagonals, the
 * rows whose every diagonal stays inside the matrix (the interior) are at least half of all rows,
 * and padding the interior rows to every diagonal adds at most {@link DIA_MAX_FILL} entries (so its
 * stored copy never exceeds 1.25 · 8 bytes per nonzero, less than CSR's 12).
 */
const DIA_MAX_DIAGONALS = 16;
const DIA_MAX_FILL = 1.25;
/**
 * Constant coefficients: at most this many distinct coefficient rows (patterns), in runs of
 * consecutive equal rows at least {@link DIA_MIN_RUN} rows long on average (each run costs a
 * dispatch). Measured against stored coefficients on Poisson matrices with short grid lines (busy
 * machine, two runs): 0.9× and 1.1–1.3× at 1.3 rows per run, 1.0–1.5× at 2.7, 1.1–1.3× at 5 or more.
 */
const DIA_MAX_PATTERNS = 32;
const DIA_MIN_RUN = 2;
/** Below this many entries a generated kernel is not worth its compile time. */
const CODEGEN_MIN_NNZ = 4096;

export interface FromDenseOptions {
  /** Entries with |a_ij| <= dropTolerance are left out (default 0: keep every nonzero). */
  dropTolerance?: number;
}

/** A dense matrix or anything with its row-major shape. */
export interface DenseLike {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

/** Set by {@link trusted} for the one constructor call that follows; skips validation. */
let adoptTrusted = false;

/** Builds a matrix from arrays this module has just computed in canonical form. */
function trusted(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): CsrMatrix {
  adoptTrusted = true;
  return new CsrMatrix(rows, cols, indptr, indices, values);
}

function checkShape(rows: number, cols: number, fn: string): void {
  assertInteger(rows, 'rows', 0, fn);
  assertInteger(cols, 'cols', 0, fn);
  if (rows > INT32_MAX - 1 || cols > INT32_MAX) {
    throw new OptkitError('LIMIT_EXCEEDED', `${fn}: ${rows}×${cols} exceeds the int32 index range of CSR storage`, rows > INT32_MAX - 1 ? 'rows' : 'cols');
  }
}

/** Copies an array-like of integers into an Int32Array, rejecting fractions and NaN. */
function toInt32(a: ArrayLike<number>, name: string, fn: string): Int32Array {
  if (a instanceof Int32Array) return a;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be an Int32Array or an array of integers`, name);
  }
  const out = new Int32Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if ((v | 0) !== v) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name}[${k}] is ${String(v)}; expected an int32 integer`, name);
    }
    out[k] = v;
  }
  return out;
}

function toFloat64(a: ArrayLike<number>, name: string, fn: string): Float64Array {
  if (a instanceof Float64Array) return a;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array or an array of numbers`, name);
  }
  return Float64Array.from(a);
}

function checkVector(x: unknown, length: number, name: string, fn: string): asserts x is Float64Array {
  if (!(x instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`, name);
  }
  if (x.length !== length) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: ${name} has length ${x.length}; expected ${length}`, name);
  }
}

/** Throws when `out` shares memory with `x`: the kernels read x while writing out. */
function checkNoOverlap(x: Float64Array, out: Float64Array, fn: string): void {
  if (
    x.buffer === out.buffer &&
    x.byteOffset < out.byteOffset + out.byteLength &&
    out.byteOffset < x.byteOffset + x.byteLength
  ) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: out overlaps x; pass a separate output vector`, 'out');
  }
}

/**
 * Sorts (row, col, value) triplets into canonical CSR in O(nnz + rows + cols) with two counting
 * sorts (by column, then stably by row) and sums duplicates. Inputs are trusted (already in range).
 */
function cooToCsr(
  rows: number,
  cols: number,
  rowIdx: Int32Array,
  colIdx: Int32Array,
  vals: Float64Array,
): { indptr: Int32Array; indices: Int32Array; values: Float64Array } {
  const nnz = vals.length;
  // Pass 1: bucket by column.
  const colPtr = new Int32Array(cols + 1);
  for (let t = 0; t < nnz; t++) colPtr[colIdx[t] + 1]++;
  for (let c = 0; c < cols; c++) colPtr[c + 1] += colPtr[c];
  const next = colPtr.slice(0, cols);
  const byColRow = new Int32Array(nnz);
  const byColVal = new Float64Array(nnz);
  for (let t = 0; t < nnz; t++) {
    const q = next[colIdx[t]]++;
    byColRow[q] = rowIdx[t];
    byColVal[q] = vals[t];
  }
  // Pass 2: bucket by row, visiting columns in order, so each row comes out sorted by column.
  const indptr = new Int32Array(rows + 1);
  for (let t = 0; t < nnz; t++) indptr[rowIdx[t] + 1]++;
  for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i];
  const pos = indptr.slice(0, rows);
  let indices = new Int32Array(nnz);
  let values = new Float64Array(nnz);
  for (let c = 0; c < cols; c++) {
    for (let q = colPtr[c], end = colPtr[c + 1]; q < end; q++) {
      const d = pos[byColRow[q]]++;
      indices[d] = c;
      values[d] = byColVal[q];
    }
  }
  // Pass 3: sum duplicates (now adjacent) in place.
  let w = 0;
  let start = 0;
  for (let i = 0; i < rows; i++) {
    const end = indptr[i + 1];
    const rowStart = w;
    for (let k = start; k < end; k++) {
      if (w > rowStart && indices[w - 1] === indices[k]) {
        values[w - 1] += values[k];
      } else {
        indices[w] = indices[k];
        values[w] = values[k];
        w++;
      }
    }
    start = end;
    indptr[i + 1] = w;
  }
  if (w < nnz) {
    indices = indices.slice(0, w);
    values = values.slice(0, w);
    assertFinite(values, 'values (after summing duplicates)', 'CsrMatrix');
  }
  return { indptr, indices, values };
}

// ---------------------------------------------------------------------------------------------
// Kernels.
//
// Measured on the 2D Poisson matrix (512×512 grid, 1.31 M nonzeros; ns per nonzero, this 2-core VM,
// scipy `A @ x` 1.0-1.3 in the same sessions):
//   plain CSR loop, arrays passed as arguments            2.9-4.9
//   CSR loop as a closure over the arrays                  2.8-4.5
//   CSR, 4-way unrolled inner loop                         2.2-4.2 (no clear gain)
//   CSR, switch on row length with unrolled cases          1.9-2.5
//   padded ELLPACK, width-5 rows fully unrolled (closure)  1.0-1.4
//   the same, but the second closure made at that site    2.1-2.5
//   the same via `new Function` with a unique source       0.85-0.9 (plain node; 1.1 ms)
//   ... with the same source as an earlier kernel          1.3-2.2
//   DIA, coefficients as constants in the code             0.8-0.9 (1.05-1.15 ms under tsx, busy
//                                                          box: 1.7-2.0x the ELL kernel in the
//                                                          same runs; 3D Poisson 1.7x)
// Two things matter. (1) Straight-line rows: the padded ELL row needs no row-pointer load, no inner
// loop and no branch; a DIA row needs no column index either, and with constant coefficients no
// value load (with stored coefficients it ran 1.2x the ELL kernel on a random 7-diagonal matrix).
// (2) V8 specialises optimized code to a closure's captured arrays (constant base pointers and
// lengths, so bounds checks fold) only while its creation site has produced a single closure; a
// second matrix's closure from the same site loses it. `new Function` with a unique source gives
// each matrix its own site (see kernelSerial). The generated source contains only numbers computed
// here (sizes, offsets, and for constant-coefficient DIA the coefficients as `String(c)` of finite
// doubles), never user text. Under tsx or --enable-source-maps some variants ran about 1.4x slower
// (not reproduced in the DIA session); the figures are from plain node, as `optkit bench` runs.
// ---------------------------------------------------------------------------------------------

/** Sum expression `v[p]*x[c[p]] + v[p+1]*x[c[p+1]] + ...` for one padded row of `width` entries. */
function ellRowExpression(width: number): string {
  const terms: string[] = [];
  for (let q = 0; q < width; q++) {
    const p = q === 0 ? 'p' : `p + ${q}`;
    terms.push(`v[${p}] * x[c[${p}]]`);
  }
  return terms.join(' + ');
}

const CSR_SPMV_BODY = `
  let k = indptr[0];
  for (let i = 0; i < m; i++) {
    const end = indptr[i + 1];
    let s = 0;
    for (; k < end; k++) s += values[k] * x[indices[k]];
    y[i] = s;
  }`;

const CSR_SPMVT_BODY = `
  y.fill(0);
  let k = indptr[0];
  for (let i = 0; i < m; i++) {
    const end = indptr[i + 1];
    const xi = x[i];
    for (; k < end; k++) y[indices[k]] += values[k] * xi;
  }`;

/** Shared (non-generated) kernels: correct everywhere, used for small matrices and without eval. */
function sharedCsrKernels(m: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): KernelCache {
  return {
    spmv: (x, y) => {
      let k = indptr[0];
      for (let i = 0; i < m; i++) {
        const end = indptr[i + 1];
        let s = 0;
        for (; k < end; k++) s += values[k] * x[indices[k]];
        y[i] = s;
      }
    },
    spmvT: (x, y) => {
      y.fill(0);
      let k = indptr[0];
      for (let i = 0; i < m; i++) {
        const end = indptr[i + 1];
        const xi = x[i];
        for (; k < end; k++) y[indices[k]] += values[k] * xi;
      }
    },
    info: { format: 'csr', specialised: false },
  };
}

/** The widest row, and whether padding every row to it stays within {@link ELL_MAX_FILL}. */
function ellWidth(m: number, indptr: Int32Array): number | undefined {
  let width = 0;
  for (let i = 0; i < m; i++) {
    const len = indptr[i + 1] - indptr[i];
    if (len > width) width = len;
  }
  const nnz = indptr[m] - indptr[0];
  if (width === 0 || width > ELL_MAX_WIDTH || m * width > ELL_MAX_FILL * nnz || m * width > INT32_MAX) return undefined;
  return width;
}

/**
 * Row-major padded copy: row i occupies [i·width, (i+1)·width); padding repeats the row's last
 * column (already in cache) with value 0, so each padded term adds 0·x[c] = 0 for finite x.
 * Real entries come first in their CSR order, so sums are formed in the same order as the CSR loop.
 */
function buildEll(m: number, width: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): { c: Int32Array; v: Float64Array } {
  const c = new Int32Array(m * width);
  const v = new Float64Array(m * width);
  for (let i = 0; i < m; i++) {
    let p = i * width;
    const rowEnd = p + width;
    let last = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++, p++) {
      last = indices[k];
      c[p] = last;
      v[p] = values[k];
    }
    for (; p < rowEnd; p++) c[p] = last;
  }
  return { c, v };
}

/**
 * The diagonal (DIA) layout of a matrix whose entries lie on a few diagonals: the distinct offsets
 * j − i in increasing order, the interior rows [lo, hi) (those for which every diagonal stays inside
 * the matrix; the other rows keep the CSR loop), and the interior rows' coefficients: row lo + r,
 * diagonal d at `coef[r·nd + d]` (0 where the row has no entry on that diagonal).
 */
interface DiaLayout {
  offsets: number[];
  lo: number;
  hi: number;
  coef: Float64Array;
}

/** The DIA layout, or undefined when the matrix has too many diagonals, too few interior rows or too much padding. */
function diaLayout(m: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): DiaLayout | undefined {
  // Distinct offsets, kept sorted: a row's entries come in increasing offset, so one forward walk
  // over the sorted list per row finds (or inserts) each.
  const offsets: number[] = [];
  for (let i = 0; i < m; i++) {
    let t = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
      const off = indices[k] - i;
      while (t < offsets.length && offsets[t] < off) t++;
      if (t === offsets.length || offsets[t] !== off) {
        if (offsets.length === DIA_MAX_DIAGONALS) return undefined;
        offsets.splice(t, 0, off);
      }
    }
  }
  const nd = offsets.length;
  if (nd === 0) return undefined;
  const lo = Math.max(0, -offsets[0]);
  const hi = Math.min(m, cols - offsets[nd - 1]);
  if (hi <= lo || 2 * (hi - lo) < m) return undefined;
  const slots = nd * (hi - lo);
  if (slots > DIA_MAX_FILL * (indptr[hi] - indptr[lo]) || slots > INT32_MAX) return undefined;
  const coef = new Float64Array(slots);
  for (let i = lo, p = 0; i < hi; i++, p += nd) {
    let d = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
      const off = indices[k] - i;
      while (offsets[d] !== off) d++;
      coef[p + d] = values[k];
    }
  }
  return { offsets, lo, hi, coef };
}

/** Runs of equal coefficient rows: run r covers rows [start[r], start[r + 1]) with pattern `pattern[r]`. */
interface DiaPatterns {
  /** Pattern t's coefficients at [t·nd, (t + 1)·nd). */
  patterns: Float64Array;
  count: number;
  start: Int32Array;
  pattern: Uint8Array;
}

/**
 * The interior rows as runs of repeated coefficient rows, or undefined when there are more than
 * {@link DIA_MAX_PATTERNS} distinct rows or the runs average under {@link DIA_MIN_RUN} rows.
 * Coefficients compare with ===, so +0 and -0 count as equal: zero coefficients are left out of
 * the kernel either way.
 */
function diaPatterns(layout: DiaLayout): DiaPatterns | undefined {
  const { coef, lo, hi } = layout;
  const nd = layout.offsets.length;
  const rows = hi - lo;
  const maxRuns = Math.floor(rows / DIA_MIN_RUN);
  const patterns = new Float64Array(DIA_MAX_PATTERNS * nd);
  const same = (p: number, t: number): boolean => {
    for (let d = 0, q = t * nd; d < nd; d++, q++) if (coef[p + d] !== patterns[q]) return false;
    return true;
  };
  const starts: number[] = [];
  const ids: number[] = [];
  let count = 0;
  let current = -1;
  for (let r = 0, p = 0; r < rows; r++, p += nd) {
    if (current >= 0 && same(p, current)) continue;
    let id = -1;
    for (let t = 0; t < count; t++) {
      if (same(p, t)) {
        id = t;
        break;
      }
    }
    if (id < 0) {
      if (count === DIA_MAX_PATTERNS) return undefined;
      id = count++;
      patterns.set(coef.subarray(p, p + nd), id * nd);
    }
    if (starts.length === maxRuns) return undefined;
    starts.push(lo + r);
    ids.push(id);
    current = id;
  }
  starts.push(hi);
  return { patterns, count, start: Int32Array.from(starts), pattern: Uint8Array.from(ids) };
}

/** `x[i - 3]`, `x[i]`, `x[i + 512]`: the entry of `name` on diagonal `off` of row (or column) i. */
function atOffset(name: string, off: number): string {
  return off === 0 ? `${name}[i]` : off < 0 ? `${name}[i - ${-off}]` : `${name}[i + ${off}]`;
}

/**
 * ` + c * t` or ` - |c| * t`, and ` + t` / ` - t` for c = ±1. Exact: s − |c|·t equals s + c·t and
 * s − t equals s + (−1)·t in IEEE arithmetic. `String(c)` is the shortest decimal that reads back
 * as the same double, so the constant in the code is c to the last bit.
 */
function constantTerm(c: number, t: string): string {
  const sign = c < 0 ? ' - ' : ' + ';
  const a = Math.abs(c);
  return a === 1 ? `${sign}${t}` : `${sign}${String(a)} * ${t}`;
}

/** CSR loop over rows [from, to) (spmv), as in {@link CSR_SPMV_BODY}. */
function csrRowsSource(from: number, to: number): string {
  if (from >= to) return '';
  return `
  for (let i = ${from}; i < ${to}; i++) {
    let s = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) s += values[k] * x[indices[k]];
    y[i] = s;
  }`;
}

/** CSR scatter over rows [from, to) (spmvT), as in {@link CSR_SPMVT_BODY}. */
function csrRowsTSource(from: number, to: number): string {
  if (from >= to) return '';
  return `
  for (let i = ${from}; i < ${to}; i++) {
    const xi = x[i];
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) y[indices[k]] += values[k] * xi;
  }`;
}

/**
 * DIA kernels: straight-line rows with no column-index reads (x is read at fixed offsets from i),
 * and, for constant-coefficient matrices, no coefficient reads either: the product is then as
 * cheap as a hand-written stencil.
 *
 * The sums equal the CSR loop's to the last bit for finite x: each row adds its terms in increasing
 * column order starting from +0, as the CSR loop does, and a padded or zero coefficient only adds
 * ±0, which changes no partial sum (a partial sum that starts at +0 is never −0). The transposed
 * product scatters row by row in the same order as the CSR scatter.
 *
 * Constant coefficients use "value indexing" in the sense of Kourtis, Goumas & Koziris, "Optimizing
 * sparse matrix-vector multiplication using index and value compression" (CF 2008), taken to its
 * end: with a handful of distinct rows the values move into the code.
 */
function diaKernels(m: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): KernelCache | undefined {
  const layout = diaLayout(m, cols, indptr, indices, values);
  if (layout === undefined) return undefined;
  const { offsets, lo, hi, coef } = layout;
  const nd = offsets.length;
  const runs = diaPatterns(layout);
  type Make = (indptr: Int32Array, indices: Int32Array, values: Float64Array, start: Int32Array | null, pattern: Uint8Array | null, v: Float64Array | null) => Kernel;
  const params = ['indptr', 'indices', 'values', 'start', 'pattern', 'v'];
  let spmvBody: string;
  let spmvTBody: string;
  if (runs !== undefined) {
    let cases = '';
    let casesT = '';
    for (let t = 0; t < runs.count; t++) {
      let sum = '0';
      let scatter = '';
      for (let d = 0; d < nd; d++) {
        const c = runs.patterns[t * nd + d];
        if (c === 0) continue;
        sum += constantTerm(c, atOffset('x', offsets[d]));
        const a = Math.abs(c);
        scatter += ` ${atOffset('y', offsets[d])} ${c < 0 ? '-=' : '+='} ${a === 1 ? 'xi' : `${String(a)} * xi`};`;
      }
      cases += `\n      case ${t}:\n        for (let i = a; i < b; i++) y[i] = ${sum};\n        break;`;
      casesT += `\n      case ${t}:\n        for (let i = a; i < b; i++) {\n          const xi = x[i];${scatter}\n        }\n        break;`;
    }
    const loop = (body: string) => `
  for (let r = 0; r < ${runs.pattern.length}; r++) {
    const a = start[r];
    const b = start[r + 1];
    switch (pattern[r]) {${body}
    }
  }`;
    spmvBody = loop(cases);
    spmvTBody = loop(casesT);
  } else {
    let sum = '0';
    let scatter = '';
    for (let d = 0; d < nd; d++) {
      const vd = d === 0 ? 'v[p]' : `v[p + ${d}]`;
      sum += ` + ${vd} * ${atOffset('x', offsets[d])}`;
      scatter += ` ${atOffset('y', offsets[d])} += ${vd} * xi;`;
    }
    spmvBody = `
  for (let i = ${lo}, p = 0; i < ${hi}; i++, p += ${nd}) y[i] = ${sum};`;
    spmvTBody = `
  for (let i = ${lo}, p = 0; i < ${hi}; i++, p += ${nd}) {
    const xi = x[i];${scatter}
  }`;
  }
  const spmvSource = `return function diaSpmv${nd}(x, y) {${csrRowsSource(0, lo)}${spmvBody}${csrRowsSource(hi, m)}\n};`;
  const spmvTSource = `return function diaSpmvT${nd}(x, y) {\n  y.fill(0);${csrRowsTSource(0, lo)}${spmvTBody}${csrRowsTSource(hi, m)}\n};`;
  const start = runs?.start ?? null;
  const pattern = runs?.pattern ?? null;
  const v = runs === undefined ? coef : null;
  const spmv = generate<Make>(params, spmvSource)(indptr, indices, values, start, pattern, v);
  const spmvT = generate<Make>(params, spmvTSource)(indptr, indices, values, start, pattern, v);
  const info: SpmvKernelInfo =
    runs !== undefined
      ? { format: 'dia', diagonals: nd, coefficients: 'constant', patterns: runs.count, specialised: true }
      : { format: 'dia', diagonals: nd, coefficients: 'stored', specialised: true };
  return { spmv, spmvT, info };
}

/**
 * Every generated source is unique (specialize.ts): V8 caches compiled `new Function` sources by
 * their text, and a cache hit shares the feedback of the earlier function, whose inner closure then
 * counts as "many closures" and loses the specialisation (measured: a second identical ELL kernel
 * ran 1.7-2.8 ms instead of 1.1 ms).
 */
const generate = generateUniqueFunction;

function generatedKernels(m: number, cols: number, indptr: Int32Array, indices: Int32Array, values: Float64Array): KernelCache | undefined {
  type Make = (m: number, a: Int32Array, b: Int32Array | Float64Array, c?: Float64Array) => Kernel;
  let makeSpmvT: Make;
  try {
    makeSpmvT = generate<Make>(['m', 'indptr', 'indices', 'values'], `return function csrSpmvT(x, y) {${CSR_SPMVT_BODY}\n};`);
  } catch {
    return undefined; // code generation disallowed (e.g. a content security policy)
  }
  const dia = diaKernels(m, cols, indptr, indices, values);
  if (dia !== undefined) return dia;
  const spmvT = makeSpmvT(m, indptr, indices, values);
  const width = ellWidth(m, indptr);
  if (width !== undefined) {
    const { c, v } = buildEll(m, width, indptr, indices, values);
    const make = generate<Make>(
      ['m', 'c', 'v'],
      `return function ellSpmv${width}(x, y) {\n  for (let i = 0, p = 0; i < m; i++, p += ${width}) {\n    y[i] = ${ellRowExpression(width)};\n  }\n};`,
    );
    return { spmv: make(m, c, v), spmvT, info: { format: 'ell', width, specialised: true } };
  }
  const make = generate<Make>(['m', 'indptr', 'indices', 'values'], `return function csrSpmv(x, y) {${CSR_SPMV_BODY}\n};`);
  return { spmv: make(m, indptr, indices, values), spmvT, info: { format: 'csr', specialised: true } };
}

// ---------------------------------------------------------------------------------------------

export class CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row pointers, length rows + 1, indptr[0] = 0, non-decreasing, indptr[rows] = nnz. */
  readonly indptr: Int32Array;
  /** Column index of each stored entry, strictly increasing within a row. */
  readonly indices: Int32Array;
  /** Value of each stored entry (finite). */
  readonly values: Float64Array;
  /** The spmv/spmvT kernels, built on first use. */
  private kernels: KernelCache | undefined;

  /**
   * A rows×cols CSR matrix from its three arrays. Int32Array / Float64Array arguments are adopted
   * without copying when already canonical; other array-likes are copied. A row with unsorted or
   * repeated column indices is sorted and its duplicates summed (then new arrays are allocated).
   *
   * Throws INVALID_ARGUMENT for a malformed structure (indptr length, start, monotonicity, or an
   * index out of range), SHAPE_MISMATCH when indices/values lengths disagree with indptr,
   * NOT_FINITE for NaN/Infinity values, LIMIT_EXCEEDED beyond the int32 index range.
   */
  constructor(
    rows: number,
    cols: number,
    indptr: Int32Array | ArrayLike<number>,
    indices: Int32Array | ArrayLike<number>,
    values: Float64Array | ArrayLike<number>,
  ) {
    if (adoptTrusted) {
      adoptTrusted = false;
      this.rows = rows;
      this.cols = cols;
      this.indptr = indptr as Int32Array;
      this.indices = indices as Int32Array;
      this.values = values as Float64Array;
      return;
    }
    const fn = 'CsrMatrix';
    checkShape(rows, cols, fn);
    const p = toInt32(indptr, 'indptr', fn);
    const c = toInt32(indices, 'indices', fn);
    const v = toFloat64(values, 'values', fn);
    if (p.length !== rows + 1) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: indptr has length ${p.length}; expected rows + 1 = ${rows + 1}`, 'indptr');
    }
    if (p[0] !== 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: indptr[0] is ${p[0]}; expected 0`, 'indptr');
    for (let i = 0; i < rows; i++) {
      if (p[i + 1] < p[i]) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: indptr decreases at row ${i} (${p[i]} > ${p[i + 1]})`, 'indptr');
      }
    }
    const nnz = p[rows];
    if (c.length !== nnz) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: indices has length ${c.length}; expected indptr[rows] = ${nnz}`, 'indices');
    }
    if (v.length !== nnz) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: values has length ${v.length}; expected indptr[rows] = ${nnz}`, 'values');
    }
    assertFinite(v, 'values', fn);
    let canonical = true;
    for (let i = 0; i < rows; i++) {
      let prev = -1;
      for (let k = p[i], end = p[i + 1]; k < end; k++) {
        const j = c[k];
        if (j < 0 || j >= cols) {
          throw new OptkitError('INVALID_ARGUMENT', `${fn}: indices[${k}] = ${j} (row ${i}) is outside [0, ${cols})`, 'indices');
        }
        if (j <= prev) canonical = false;
        prev = j;
      }
    }
    this.rows = rows;
    this.cols = cols;
    if (canonical) {
      this.indptr = p;
      this.indices = c;
      this.values = v;
    } else {
      const rowIdx = new Int32Array(nnz);
      for (let i = 0; i < rows; i++) rowIdx.fill(i, p[i], p[i + 1]);
      const csr = cooToCsr(rows, cols, rowIdx, c, v);
      this.indptr = csr.indptr;
      this.indices = csr.indices;
      this.values = csr.values;
    }
  }

  /**
   * The rows×cols matrix with entries `vals[t]` at (`rowIdx[t]`, `colIdx[t]`) (coordinate / COO
   * triplets, 0-based, any order); duplicates are summed, as in scipy's `coo_matrix.tocsr()`.
   * O(nnz + rows + cols) (two counting sorts). Throws SHAPE_MISMATCH when the three lengths differ,
   * INVALID_ARGUMENT for an index that is not an integer in range, NOT_FINITE for bad values.
   */
  static fromCoo(
    rows: number,
    cols: number,
    rowIdx: ArrayLike<number>,
    colIdx: ArrayLike<number>,
    vals: ArrayLike<number>,
  ): CsrMatrix {
    const fn = 'CsrMatrix.fromCoo';
    checkShape(rows, cols, fn);
    const r = toInt32(rowIdx, 'rowIdx', fn);
    const c = toInt32(colIdx, 'colIdx', fn);
    if (c.length !== r.length) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: colIdx has length ${c.length}; expected ${r.length} (the length of rowIdx)`, 'colIdx');
    }
    if (vals.length !== r.length) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: vals has length ${vals.length}; expected ${r.length} (the length of rowIdx)`, 'vals');
    }
    if (r.length > INT32_MAX) throw new OptkitError('LIMIT_EXCEEDED', `${fn}: more than 2^31 - 1 entries`, 'vals');
    const v = toFloat64(vals, 'vals', fn);
    assertFinite(v, 'vals', fn);
    for (let t = 0; t < r.length; t++) {
      if (r[t] < 0 || r[t] >= rows) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: rowIdx[${t}] = ${r[t]} is outside [0, ${rows})`, 'rowIdx');
      }
      if (c[t] < 0 || c[t] >= cols) {
        throw new OptkitError('INVALID_ARGUMENT', `${fn}: colIdx[${t}] = ${c[t]} is outside [0, ${cols})`, 'colIdx');
      }
    }
    const csr = cooToCsr(rows, cols, r, c, v);
    return trusted(rows, cols, csr.indptr, csr.indices, csr.values);
  }

  /**
   * The sparse form of a dense row-major matrix, keeping entries with |a_ij| > dropTolerance
   * (default 0: every nonzero). Throws SHAPE_MISMATCH when data has the wrong length, NOT_FINITE for
   * NaN/Infinity entries, INVALID_OPTION for a negative tolerance.
   */
  static fromDense(A: DenseMatrix | DenseLike, options: FromDenseOptions = {}): CsrMatrix {
    const fn = 'CsrMatrix.fromDense';
    if (A === null || typeof A !== 'object' || A.data === undefined || typeof A.data.length !== 'number') {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix or {rows, cols, data}`, 'A');
    }
    const { rows, cols, data } = A;
    checkShape(rows, cols, fn);
    if (data.length !== rows * cols) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: A.data has length ${data.length}; expected ${rows}×${cols} = ${rows * cols}`, 'A.data');
    }
    const tol = options.dropTolerance ?? 0;
    if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option dropTolerance is ${String(tol)}; expected a finite number >= 0`, 'dropTolerance');
    }
    if (!(A instanceof DenseMatrix)) assertFinite(data, 'A.data', fn);
    const indptr = new Int32Array(rows + 1);
    let nnz = 0;
    for (let t = 0; t < data.length; t++) if (Math.abs(data[t]) > tol) nnz++;
    if (nnz > INT32_MAX) throw new OptkitError('LIMIT_EXCEEDED', `${fn}: more than 2^31 - 1 nonzeros`, 'A');
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let k = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        const a = data[o + j];
        if (Math.abs(a) > tol) {
          indices[k] = j;
          values[k++] = a;
        }
      }
      indptr[i + 1] = k;
    }
    return trusted(rows, cols, indptr, indices, values);
  }

  /** The n×n identity. */
  static identity(n: number): CsrMatrix {
    checkShape(n, n, 'CsrMatrix.identity');
    const indptr = new Int32Array(n + 1);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      indptr[i + 1] = i + 1;
      indices[i] = i;
    }
    return trusted(n, n, indptr, indices, new Float64Array(n).fill(1));
  }

  /** The square diagonal matrix with `v` on its diagonal (zeros stored explicitly). */
  static diag(v: ArrayLike<number>): CsrMatrix {
    const fn = 'CsrMatrix.diag';
    const d = toFloat64(v, 'v', fn);
    assertFinite(d, 'v', fn);
    const n = d.length;
    checkShape(n, n, fn);
    const indptr = new Int32Array(n + 1);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      indptr[i + 1] = i + 1;
      indices[i] = i;
    }
    return trusted(n, n, indptr, indices, d === v ? d.slice() : d);
  }

  /** Number of stored entries (explicit zeros included). */
  get nnz(): number {
    return this.indptr[this.rows];
  }

  /** The cached kernels, built on first use. */
  private kernelSet(): KernelCache {
    let k = this.kernels;
    if (k === undefined) {
      const { rows, cols, indptr, indices, values } = this;
      k = (this.nnz >= CODEGEN_MIN_NNZ ? generatedKernels(rows, cols, indptr, indices, values) : undefined) ?? sharedCsrKernels(rows, indptr, indices, values);
      this.kernels = k;
    }
    return k;
  }

  /** Which kernel {@link spmv} uses for this matrix (builds it if needed). */
  kernelInfo(): SpmvKernelInfo {
    return { ...this.kernelSet().info };
  }

  /**
   * Drops the cached kernel. Call it after writing into `indptr`, `indices` or `values` (which must
   * keep the matrix canonical and finite); the next product rebuilds the kernel from the arrays.
   */
  markModified(): void {
    this.kernels = undefined;
  }

  /**
   * y = A·x for x of length cols, into `out` (length rows, not overlapping x) or a new vector.
   *
   * The first call builds a kernel for this matrix and caches it (for matrices with at least 4096
   * entries; smaller ones use a shared CSR loop), the first that applies of:
   * - DIA, when the entries lie on at most 16 diagonals (offsets j − i), the rows whose diagonals
   *   all stay inside the matrix are at least half of the rows, and padding those rows to every
   *   diagonal adds at most 25 % entries (banded matrices, stencils on structured grids). x is read
   *   at fixed offsets, with no column indices. When those rows repeat at most 32 distinct
   *   coefficient rows in runs of 2 or more on average (constant-coefficient stencils such as
   *   `poisson2d`), the coefficients become constants in the generated code and nothing but x
   *   and y is read; otherwise a dense copy of the coefficients is kept (8 bytes per padded entry).
   * - ELL, when rows are nearly equal in length (padding to the widest row, at most 16, adds at
   *   most 25 % entries: FEM meshes, graphs of bounded degree): a padded ELLPACK copy of indices
   *   and values (12 bytes per padded entry) read by straight-line generated code.
   * - otherwise a CSR loop generated for this matrix.
   * `kernelInfo()` says which. Sums are formed in CSR order either way; the DIA and CSR kernels give
   * the same result to the last bit. x must be finite (its values are not scanned, to keep the
   * product O(nnz) without a second pass; padding multiplies 0 by entries of x).
   */
  spmv(x: Float64Array, out?: Float64Array): Float64Array {
    const fn = 'CsrMatrix.spmv';
    checkVector(x, this.cols, 'x', fn);
    let y: Float64Array;
    if (out === undefined) {
      y = new Float64Array(this.rows);
    } else {
      checkVector(out, this.rows, 'out', fn);
      checkNoOverlap(x, out, fn);
      y = out;
    }
    this.kernelSet().spmv(x, y);
    return y;
  }

  /** y = Aᵀ·x for x of length rows, into `out` (length cols, not overlapping x) or a new vector. */
  spmvT(x: Float64Array, out?: Float64Array): Float64Array {
    const fn = 'CsrMatrix.spmvT';
    checkVector(x, this.rows, 'x', fn);
    let y: Float64Array;
    if (out === undefined) {
      y = new Float64Array(this.cols);
    } else {
      checkVector(out, this.cols, 'out', fn);
      checkNoOverlap(x, out, fn);
      y = out;
    }
    this.kernelSet().spmvT(x, y);
    return y;
  }

  /** Aᵀ as a new canonical CSR matrix, in O(nnz + rows + cols) (a counting sort by column). */
  transpose(): CsrMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const nnz = this.nnz;
    const tptr = new Int32Array(cols + 1);
    for (let k = 0; k < nnz; k++) tptr[indices[k] + 1]++;
    for (let j = 0; j < cols; j++) tptr[j + 1] += tptr[j];
    const next = tptr.slice(0, cols);
    const tind = new Int32Array(nnz);
    const tval = new Float64Array(nnz);
    for (let i = 0; i < rows; i++) {
      for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
        const q = next[indices[k]]++;
        tind[q] = i;
        tval[q] = values[k];
      }
    }
    return trusted(cols, rows, tptr, tind, tval);
  }

  /** Position of entry (i, j) in indices/values, or -1 when it is not stored (binary search). */
  private find(i: number, j: number): number {
    const indices = this.indices;
    let lo = this.indptr[i];
    let hi = this.indptr[i + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = indices[mid];
      if (c === j) return mid;
      if (c < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Entry (i, j) (0 when not stored). */
  get(i: number, j: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
      throw new OptkitError('INVALID_ARGUMENT', `CsrMatrix.get: row index i = ${i} is outside [0, ${this.rows})`, 'i');
    }
    if (!Number.isInteger(j) || j < 0 || j >= this.cols) {
      throw new OptkitError('INVALID_ARGUMENT', `CsrMatrix.get: column index j = ${j} is outside [0, ${this.cols})`, 'j');
    }
    const k = this.find(i, j);
    return k < 0 ? 0 : this.values[k];
  }

  /** The main diagonal (a_00, a_11, ...), length min(rows, cols); absent entries are 0. */
  diagonal(): Float64Array {
    const n = Math.min(this.rows, this.cols);
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.find(i, i);
      if (k >= 0) d[i] = this.values[k];
    }
    return d;
  }

  /** The dense row-major copy. */
  toDense(): DenseMatrix {
    const { rows, cols, indptr, indices, values } = this;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) data[o + indices[k]] = values[k];
    }
    return DenseMatrix.wrap(rows, cols, data);
  }

  /** A deep copy (arrays copied; the kernel cache is not shared). */
  clone(): CsrMatrix {
    return trusted(this.rows, this.cols, this.indptr.slice(), this.indices.slice(), this.values.slice());
  }

  /** alpha·A as a new matrix with the same structure. */
  scale(alpha: number): CsrMatrix {
    assertFiniteNumber(alpha, 'alpha', 'CsrMatrix.scale');
    const v = new Float64Array(this.values.length);
    for (let k = 0; k < v.length; k++) v[k] = alpha * this.values[k];
    assertFinite(v, 'alpha·values', 'CsrMatrix.scale');
    return trusted(this.rows, this.cols, this.indptr.slice(), this.indices.slice(), v);
  }

  /**
   * A + beta·B (beta default 1) as a new matrix whose structure is the union of both (entries that
   * cancel to 0 are kept), by merging sorted rows in O(nnz(A) + nnz(B)).
   */
  add(B: CsrMatrix, beta = 1): CsrMatrix {
    const fn = 'CsrMatrix.add';
    if (!(B instanceof CsrMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: B must be a CsrMatrix`, 'B');
    if (B.rows !== this.rows || B.cols !== this.cols) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: B is ${B.rows}×${B.cols}; expected ${this.rows}×${this.cols} (the shape of A)`, 'B');
    }
    assertFiniteNumber(beta, 'beta', fn);
    const rows = this.rows;
    const ap = this.indptr, ai = this.indices, av = this.values;
    const bp = B.indptr, bi = B.indices, bv = B.values;
    const indptr = new Int32Array(rows + 1);
    let cap = this.nnz + B.nnz;
    if (cap > INT32_MAX) throw new OptkitError('LIMIT_EXCEEDED', `${fn}: the sum may exceed 2^31 - 1 entries`, 'B');
    let indices = new Int32Array(cap);
    let values = new Float64Array(cap);
    let w = 0;
    for (let i = 0; i < rows; i++) {
      let ka = ap[i];
      let kb = bp[i];
      const ea = ap[i + 1];
      const eb = bp[i + 1];
      while (ka < ea || kb < eb) {
        const ja = ka < ea ? ai[ka] : INT32_MAX;
        const jb = kb < eb ? bi[kb] : INT32_MAX;
        if (ja === jb) {
          indices[w] = ja;
          values[w++] = av[ka++] + beta * bv[kb++];
        } else if (ja < jb) {
          indices[w] = ja;
          values[w++] = av[ka++];
        } else {
          indices[w] = jb;
          values[w++] = beta * bv[kb++];
        }
      }
      indptr[i + 1] = w;
    }
    if (w < cap) {
      cap = w;
      indices = indices.slice(0, w);
      values = values.slice(0, w);
    }
    assertFinite(values, 'A + beta·B', fn);
    return trusted(rows, this.cols, indptr, indices, values);
  }

  /**
   * Whether A is square and |a_ij - a_ji| <= tol for all i, j (default tol 0: exactly symmetric).
   * Entries stored on one side only compare against 0.
   */
  isSymmetric(tol = 0): boolean {
    if (this.rows !== this.cols) return false;
    if (!(tol >= 0)) throw new OptkitError('INVALID_ARGUMENT', `CsrMatrix.isSymmetric: tol is ${tol}; expected a number >= 0`, 'tol');
    const T = this.transpose();
    const ap = this.indptr, ai = this.indices, av = this.values;
    const tp = T.indptr, ti = T.indices, tv = T.values;
    for (let i = 0; i < this.rows; i++) {
      let ka = ap[i];
      let kt = tp[i];
      const ea = ap[i + 1];
      const et = tp[i + 1];
      while (ka < ea || kt < et) {
        const ja = ka < ea ? ai[ka] : INT32_MAX;
        const jt = kt < et ? ti[kt] : INT32_MAX;
        let diff: number;
        if (ja === jt) diff = av[ka++] - tv[kt++];
        else if (ja < jt) diff = av[ka++];
        else diff = tv[kt++];
        if (Math.abs(diff) > tol) return false;
      }
    }
    return true;
  }
}
