/**
 * The pure-TypeScript general matrix multiply used by the default kernel set (`tsKernels`):
 * C ← α·op(A)·op(B) + β·C on row-major Float64Array storage, op(X) = X or Xᵀ.
 *
 * Structure (GotoBLAS; Goto & van de Geijn, "Anatomy of high-performance matrix multiplication",
 * ACM TOMS 34(3), 2008): the k dimension is cut into KC-deep slabs and n into NC-wide panels; each
 * KC×NC panel of op(B) is packed into NR-column strips, each MC×KC block of op(A) into MR-row strips,
 * and a MR×NR register-tiled micro-kernel with MR·NR local accumulators computes one tile of C from
 * one A strip and one B strip. Packing makes every inner-loop read sequential whatever the
 * transposes and leading dimensions, and zero-pads the edge strips so the micro-kernel always
 * computes a full tile (only the valid part of an edge tile is written back).
 *
 * Tile and block sizes were measured on the 2-core development machine (Node 20, V8 11.3). V8 emits
 * scalar SSE code with 16 XMM registers, so the micro-kernel is bound by instruction count (each load
 * carries a bounds check), not by cache traffic. In a micro-kernel test (best of 15 runs) 4×4 tiles
 * reached 4.6–4.8 GFLOP/s, 5×4 4.5–4.6, 8×2 4.0–4.4, 6×4 3.8–4.2, 8×4 and 4×8 about 4.0; whole-gemm
 * runs on the shared machine varied by ±40 % from run to run, and no other tile or MC/KC/NC choice
 * (64–512) was a repeatable gain. The packing buffers are allocated once, at the block sizes, as
 * module constants, so the micro-kernel reads fixed objects (PERF-BASELINE.md, section 5: closures
 * over fixed arrays ran faster than loops taking the arrays as arguments).
 *
 * This file does no argument validation; `kernels.ts` validates (`checkGemmArgs`) before calling.
 */

const MR = 4;
const NR = 4;
const MC = 64;
const KC = 256;
const NC = 1024;

/** Packed MC×KC block of op(A): MC/MR strips, each KC rows of MR values. */
const packedA = new Float64Array(MC * KC);
/** Packed KC×NC panel of op(B): NC/NR strips, each KC rows of NR values. */
const packedB = new Float64Array(KC * NC);
/** Accumulators of an edge tile, written back element by element. */
const edgeTile = new Float64Array(MR * NR);

/**
 * Below this many multiply-adds (or with fewer than MR rows / NR columns) a direct loop beats packing.
 */
const SMALL_WORK = 2048;

/**
 * C ← α·op(A)·op(B) + β·C, row-major. op(A) is m×k: A[i·lda + p] without transpose, A[p·lda + i]
 * with. op(B) is k×n: B[p·ldb + j] without transpose, B[j·ldb + p] with. C is m×n: C[i·ldc + j].
 * With β = 0, C is not read (NaN there is overwritten); with α = 0 or k = 0, A and B are not read.
 * Arguments must already be valid (see `checkGemmArgs` in kernels.ts).
 */
export function gemmPacked(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  if (beta !== 1) scaleC(m, n, beta, C, ldc);
  if (alpha === 0 || k === 0) return;
  if (m < MR || n < NR || m * n * k <= SMALL_WORK) {
    gemmDirect(transA, transB, m, n, k, alpha, A, lda, B, ldb, C, ldc);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      if (transB) packStridedLanes(packedB, NR, B, ldb, jc, pc, nc, kc);
      else packContiguousLanes(packedB, NR, B, ldb, jc, pc, nc, kc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packContiguousLanes(packedA, MR, A, lda, ic, pc, mc, kc);
        else packStridedLanes(packedA, MR, A, lda, ic, pc, mc, kc);
        macroKernel(mc, nc, kc, alpha, C, ic * ldc + jc, ldc);
      }
    }
  }
}

/** C ← βC on the m×n window (β = 0 writes zeros without reading C). */
function scaleC(m: number, n: number, beta: number, C: Float64Array, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const o = i * ldc;
    if (beta === 0) C.fill(0, o, o + n);
    else for (let j = o; j < o + n; j++) C[j] *= beta;
  }
}

/** Unpacked loops for tiny or thin problems, where packing would cost as much as the product. */
function gemmDirect(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  C: Float64Array,
  ldc: number,
): void {
  // op(A)(i, p) = A[i*sai + p*sap]
  const sai = transA ? 1 : lda;
  const sap = transA ? lda : 1;
  if (!transB && n >= 8) {
    // i-p-j: a row of C accumulates scaled rows of B (sequential in j).
    for (let i = 0; i < m; i++) {
      const co = i * ldc;
      for (let p = 0; p < k; p++) {
        const a = alpha * A[i * sai + p * sap];
        const bo = p * ldb;
        for (let j = 0; j < n; j++) C[co + j] += a * B[bo + j];
      }
    }
    return;
  }
  // i-j-p: dot products; op(B)(p, j) = B[p*sbp + j*sbj].
  const sbp = transB ? 1 : ldb;
  const sbj = transB ? ldb : 1;
  for (let i = 0; i < m; i++) {
    const ao = i * sai;
    const co = i * ldc;
    for (let j = 0; j < n; j++) {
      const bo = j * sbj;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ao + p * sap] * B[bo + p * sbp];
      C[co + j] += alpha * s;
    }
  }
}

/*
 * PACKING: both operands are packed into strips of `width` lanes (MR rows of op(A), NR columns of
 * op(B)), kc deep: dst[s·width·kc + p·width + lane] holds element (x = x0 + s·width + lane, p0 + p),
 * zero past `extent`. op(A) without transpose and op(B) with transpose store a lane's kc values
 * contiguously (x·ld + p: packStridedLanes); op(A) transposed and op(B) plain store a step's lanes
 * contiguously (p·ld + x: packContiguousLanes). So four packings are two functions.
 */

/** Packs lanes whose kc values lie contiguously in `src` (element (x, p) at src[x·ld + p]). */
function packStridedLanes(dst: Float64Array, width: number, src: Float64Array, ld: number, x0: number, p0: number, extent: number, kc: number): void {
  for (let s = 0; s * width < extent; s++) {
    const base = s * width * kc;
    for (let lane = 0; lane < width; lane++) {
      const x = s * width + lane;
      let d = base + lane;
      if (x < extent) {
        const from = (x0 + x) * ld + p0;
        for (let p = 0; p < kc; p++) {
          dst[d] = src[from + p];
          d += width;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          dst[d] = 0;
          d += width;
        }
      }
    }
  }
}

/** Packs lanes that lie side by side in `src` (element (x, p) at src[p·ld + x]). */
function packContiguousLanes(dst: Float64Array, width: number, src: Float64Array, ld: number, x0: number, p0: number, extent: number, kc: number): void {
  for (let s = 0; s * width < extent; s++) {
    const base = s * width * kc;
    const first = x0 + s * width;
    const w = Math.min(width, extent - s * width);
    for (let p = 0; p < kc; p++) {
      const from = (p0 + p) * ld + first;
      const d = base + p * width;
      let lane = 0;
      for (; lane < w; lane++) dst[d + lane] = src[from + lane];
      for (; lane < width; lane++) dst[d + lane] = 0;
    }
  }
}

/** Runs the micro-kernel over all tiles of the packed block: B strip outer (it stays in L1). */
function macroKernel(mc: number, nc: number, kc: number, alpha: number, C: Float64Array, cOff: number, ldc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const bOff = jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      microKernel4x4(kc, ir * kc, bOff, alpha, C, cOff + ir * ldc + jr, ldc, mr, nr);
    }
  }
}

/**
 * C[tile] += α · (A strip)(B strip) for one 4×4 tile: 16 accumulators in locals, one pass over kc.
 * Index arithmetic is written `(x + c) | 0` so V8 emits plain 32-bit adds without overflow checks
 * (checked in the generated code with --print-opt-code: one `jo` branch fewer per load).
 */
function microKernel4x4(
  kc: number,
  aOff: number,
  bOff: number,
  alpha: number,
  C: Float64Array,
  cOff: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  const Ap = packedA;
  const Bp = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = aOff | 0;
  let bi = bOff | 0;
  for (let p = 0; p < kc; p++) {
    const b0 = Bp[bi];
    const b1 = Bp[(bi + 1) | 0];
    const b2 = Bp[(bi + 2) | 0];
    const b3 = Bp[(bi + 3) | 0];
    const a0 = Ap[ai];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    const a1 = Ap[(ai + 1) | 0];
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    const a2 = Ap[(ai + 2) | 0];
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    const a3 = Ap[(ai + 3) | 0];
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai = (ai + 4) | 0;
    bi = (bi + 4) | 0;
  }
  if (mr === 4 && nr === 4) {
    let o = cOff;
    C[o] += alpha * c00; C[o + 1] += alpha * c01; C[o + 2] += alpha * c02; C[o + 3] += alpha * c03;
    o += ldc;
    C[o] += alpha * c10; C[o + 1] += alpha * c11; C[o + 2] += alpha * c12; C[o + 3] += alpha * c13;
    o += ldc;
    C[o] += alpha * c20; C[o + 1] += alpha * c21; C[o + 2] += alpha * c22; C[o + 3] += alpha * c23;
    o += ldc;
    C[o] += alpha * c30; C[o + 1] += alpha * c31; C[o + 2] += alpha * c32; C[o + 3] += alpha * c33;
    return;
  }
  const T = edgeTile;
  T[0] = c00; T[1] = c01; T[2] = c02; T[3] = c03;
  T[4] = c10; T[5] = c11; T[6] = c12; T[7] = c13;
  T[8] = c20; T[9] = c21; T[10] = c22; T[11] = c23;
  T[12] = c30; T[13] = c31; T[14] = c32; T[15] = c33;
  for (let r = 0; r < mr; r++) {
    const o = cOff + r * ldc;
    for (let c = 0; c < nr; c++) C[o + c] += alpha * T[r * NR + c];
  }
}

/** The micro-kernel tile and cache-block sizes, for tests and benchmark notes. */
export const gemmBlocking = { MR, NR, MC, KC, NC } as const;
