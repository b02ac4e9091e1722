/**
 * GCRO-DR: GMRES with deflated restarting and a recycle space carried from one solve to the next
 * (M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti, "Recycling Krylov subspaces for
 * sequences of linear systems", SIAM J. Sci. Comput. 28(5), 2006), as printed in App. B of H. Wang et
 * al., "Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling" (ICLR 2024,
 * arXiv 2401.09516) and as PETSc's KSPHPDDM runs it there (method card shared/methods/skr.md).
 *
 * Each cycle builds an Arnoldi basis V of the projected operator (I − C Cᵀ)Â from the current residual,
 * where U (n×k) and C = Â U (orthonormal columns) hold k harmonic Ritz vectors of Â's smallest-magnitude
 * harmonic Ritz values; it minimises the residual over span(U, V) and then replaces U, C by the k
 * harmonic Ritz vectors of the whole search space. With a recycle space from a previous solve (A may
 * differ), U is re-projected first: C = Â U, thin QR, U ← U R⁻¹ (k matvecs, counted). k = 0 is GMRES(m).
 * Â = M·A with a left preconditioner M (scipy's convention: M applies ≈ A⁻¹), else Â = A.
 *
 * Storage: every block of vectors (V, U, C, the recycle space) is a row-major array whose row j is the
 * j-th vector (the "n×k column-major" layout of the card), so Gram–Schmidt and the basis updates run
 * as gemv/gemm of core's kernel set. C and V share one array (C's rows right before V's), so each CGS2
 * pass against Ŵ = [C, V] is one gemv + one gemvT and C ← Ŵ Q is one gemm. All buffers, including the
 * small dense ones of the per-cycle eigenproblem and QRs, are allocated once per solve.
 * Memory ≈ (m + 4k + 9)·n doubles (V; U, C and their update buffers, k + 1 vectors each; x, r, work).
 *
 * WebAssembly SIMD (option `simd`, default on): for n >= 8192 (gmres's threshold) C, V, U, their update
 * buffers and r live in one core SimdArena, and the Arnoldi orthogonalisation (CGS2: one f64x2 dot per
 * row of Ŵ, then Ŵᵀ-combinations four rows per pass; MGS: fused axpy+dot), the norm and scaling of
 * the new vector, the cycle's residual update and the recycle-space update (VᵀU by dots, U and C ← Ŵ Q
 * by four-row combinations instead of core's JS gemm) run on its kernels. Every axpy-type update is
 * bit-identical to the JS path, the inner products round differently (four partial sums), and the
 * U/C updates sum in another order than gemm. Measured 2026-11-29 on the busy 2-core machine (load
 * 3–6, CPU time, SIMD and OPTKIT_NO_SIMD interleaved in one process, medians): a Darcy sequence with
 * N = 4, n = 128² (16 384), GCRO-DR(40, 20): solveSequence 'skr' 0.29×, 'gcrodr' 0.36×, one solve
 * 0.28× of the JS time, same iterations and matvecs; a micro-benchmark (random data) of the update
 * gemms alone (n = 16 384, k = 20, 41 rows): U/C update 0.24×, VᵀU 0.36× of core's gemm. The
 * x update and the one-off re-projection of an incoming recycle space stay JS (a few % of the time).
 */
import {
  OptkitError,
  Stopwatch,
  assertFinite,
  checkChoice,
  checkOption,
  getKernels,
  SimdArena,
  simdAvailable,
  type OperatorLike,
  type SimdKernels,
  type StopReason,
} from '@optkit/core';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';
import { realEigen, realEigenWorkspace, type RealEigenWorkspace } from './real-eigen.js';

/**
 * A recycle space handed from one GCRO-DR solve to the next: `k` vectors of length `n`, stored one
 * after the other in `U` (vector j is `U[j·n .. (j+1)·n)`, i.e. an n×k column-major matrix). Only
 * the span matters: the next solve re-projects it with its own operator.
 */
export interface RecycleSpace {
  n: number;
  k: number;
  U: Float64Array;
}

export interface GcroDrOptions extends KrylovOptions {
  /** Largest search space per cycle (the GMRES restart length), including the recycled vectors. Default 40 (the paper's PETSc runs). Integer ≥ 1. */
  m?: number;
  /**
   * Recycled vectors kept between cycles and solves. Default 20 (the paper's `-ksp_hpddm_recycle 20`).
   * Integer in [0, m). 0 gives GMRES(m). When the cut falls inside a complex-conjugate pair of harmonic
   * Ritz values, both are kept (k + 1 vectors, as HPDDM does) unless that would leave no Arnoldi step,
   * in which case the pair is dropped (k − 1).
   */
  k?: number;
  /**
   * Relative tolerance: stop when ‖M(b − A x)‖ ≤ max(rtol·‖M b‖, atol) (‖b − A x‖ ≤ max(rtol·‖b‖, atol)
   * without M). Default **1e-8**, the card's default (the package's KrylovOptions default is scipy's 1e-5).
   */
  rtol?: number;
  /** Most Arnoldi steps in total (the iteration count PETSc/HPDDM report). Default 10000 (the paper's runs). */
  maxIter?: number;
  /**
   * Gram–Schmidt against [C, V]: `'cgs2'` (default; classical Gram–Schmidt applied twice, which keeps the
   * basis orthogonal at rtol 1e-8 where plain CGS does not) or `'mgs'` (one modified Gram–Schmidt pass).
   */
  orthogonalization?: 'cgs2' | 'mgs';
  /** Recycle space from a previous solve (A may differ). Its `n` must match; at most k + 1 vectors (k + 1 only for k > 0). */
  recycle?: RecycleSpace;
  /** Called after every Arnoldi step with the iteration count and the relative (preconditioned) residual estimate. */
  onIteration?: (iteration: number, relativeResidual: number) => void;
  /**
   * Diagnostics (default false): after every cycle, record ‖Â V̂ − Ŵ G‖_F / ‖G‖_F in `history.arnoldiError`
   * and ‖CᵀC − I‖_F in `history.orthogonalityError`. Costs extra operator applications, not counted in `matvecs`.
   */
  diagnostics?: boolean;
  /**
   * Run the Arnoldi orthogonalisation (both CGS2 and MGS), the norms and scalings of the new Arnoldi
   * vector and the residual update with core's WebAssembly SIMD kernels (wasm-simd.ts) when the vectors
   * are long (n >= 1024) and {@link simdAvailable} (false where WebAssembly SIMD is missing
   * or the environment variable OPTKIT_NO_SIMD is set). Default true; false always uses the JS loops.
   * The two paths differ only in the rounding of inner products (the SIMD ones sum in another order);
   * every axpy-type update is bit-identical, so iterates agree to about 1e-12 relative.
   */
  simd?: boolean;
}

/**
 * The GCRO-DR result: {@link KrylovResult} plus the recycle space for the next solve.
 *
 * - `iterations`: Arnoldi steps (what PETSc/HPDDM report); `matvecs`: every application of A, i.e.
 *   iterations + the k products of the re-projection + one for x0 ≠ 0 + one for the true residual at exit
 *   (+ one more for each residual replacement, see below).
 * - `history.residual`: the (preconditioned) residual norm after the recycle projection, then one entry
 *   per Arnoldi step (the least-squares residual of the small problem, equal in exact arithmetic to the
 *   true residual). `history.cycleResidual`: the updated residual norm at the end of each cycle.
 * - The loop stops on the recurrence; the true residual is then computed and, should it miss the
 *   threshold (rounding), the iteration resumes from it (at most 3 times).
 * - `callback(iteration, residual, x)` receives the iterate at the start of the current cycle (GCRO-DR
 *   forms x only at cycle ends).
 */
export interface GcroDrResult extends KrylovResult {
  recycle: RecycleSpace;
  /** Cycles run (each at most m − k Arnoldi steps, the first one without recycle space m). */
  cycles: number;
  /** Columns of the incoming recycle space that survived the re-projection (rank drops removed). */
  recycledIn: number;
  /** Residual norm before and after projecting out the incoming recycle space (equal without one). */
  projection: { before: number; after: number };
  /** Applications of the preconditioner M (0 without one). */
  preconditionerApplications: number;
  /** The (preconditioned) stopping threshold max(rtol·‖M b‖, atol). */
  threshold: number;
}

const FN = 'gcrodr';
/** |R_jj| below this times the largest |R_ii| drops a column (card, pitfalls). */
const DROP_TOL = 1e-12;
/** An Arnoldi vector whose norm after orthogonalisation falls below this fraction of its norm before is a breakdown. */
const BREAKDOWN_TOL = 1e-14;

/**
 * Solves A x = b with GCRO-DR(m, k). See the file comment and {@link GcroDrOptions}; defaults m = 40,
 * k = 20, rtol = 1e-8, atol = 0, maxIter = 10000, x0 = 0, CGS2. Throws OptkitError for a non-square A,
 * b of the wrong length, NaN/Infinity in b or x0 (NOT_FINITE) or in A's products, bad options
 * (INVALID_OPTION: m < 1, k ≥ m, ...) and a recycle space of the wrong size (SHAPE_MISMATCH).
 * b = 0 returns x = 0 at once (reason `zeroRhs`). Non-convergence and breakdown are reported in the result.
 */
export function gcrodr(A: OperatorLike, b: Float64Array, options: GcroDrOptions = {}): GcroDrResult {
  const watch = new Stopwatch();
  const rtol = options.rtol ?? 1e-8;
  const sys = checkSystem(FN, A, b, { ...options, rtol });
  const { n } = sys;
  const op = sys.A;
  const M = sys.M;
  const m = checkOption(options.m ?? 40, 'm', { min: 1, integer: true }, FN);
  const kMax = checkOption(options.k ?? 20, 'k', { min: 0, integer: true }, FN);
  if (kMax >= m) {
    throw new OptkitError('INVALID_OPTION', `${FN}: option k is ${kMax}; expected an integer in [0, m) = [0, ${m})`, 'k');
  }
  const maxIter = checkOption(options.maxIter ?? 10000, 'maxIter', { min: 0, integer: true }, FN);
  const orth = checkChoice(options.orthogonalization ?? 'cgs2', ['cgs2', 'mgs'] as const, 'orthogonalization', FN);
  const recycleIn = options.recycle;
  // A complex pair straddling the cut may add one vector; never so many that a cycle has no Arnoldi step.
  const kAlloc = kMax === 0 ? 0 : Math.min(kMax + 1, m - 1);
  if (recycleIn !== undefined) checkRecycle(recycleIn, n, kAlloc);
  const diagnostics = options.diagnostics ?? false;

  const x = new Float64Array(n);
  const emptyRecycle = (): RecycleSpace => ({ n, k: 0, U: new Float64Array(0) });
  if (sys.bnorm === 0) {
    const rc = recycleIn ? { n, k: recycleIn.k, U: recycleIn.U.slice() } : emptyRecycle();
    return {
      x,
      converged: true,
      iterations: 0,
      reason: 'zeroRhs',
      history: { residual: [0] },
      residualNorm: 0,
      matvecs: 0,
      seconds: watch.seconds(),
      recycle: rc,
      cycles: 0,
      recycledIn: 0,
      projection: { before: 0, after: 0 },
      preconditionerApplications: 0,
      threshold: sys.threshold,
    };
  }

  const K = getKernels();
  let matvecs = 0;
  let precApps = 0;
  const tmp = M ? new Float64Array(n) : undefined;
  /** out = Â·v (A then M); throws NOT_FINITE when A's product is not finite. */
  const applyOp = (v: Float64Array, out: Float64Array): void => {
    if (M) {
      op.apply(v, tmp);
      matvecs++;
      M.apply(tmp!, out);
      precApps++;
    } else {
      op.apply(v, out);
      matvecs++;
    }
  };

  // Right-hand side norm and threshold in the monitored (preconditioned) norm.
  let bnormHat = sys.bnorm;
  let threshold = sys.threshold;
  if (M) {
    const mb = M.apply(b, new Float64Array(n));
    precApps++;
    bnormHat = norm(mb);
    if (!Number.isFinite(bnormHat)) {
      throw new OptkitError('NOT_FINITE', `${FN}: the preconditioner M produced non-finite values from b (singular M?)`, 'options.M');
    }
    if (bnormHat === 0) {
      throw new OptkitError('SINGULAR', `${FN}: the preconditioner M maps b ≠ 0 to 0 (singular M)`, 'options.M');
    }
    threshold = Math.max(sys.rtol * bnormHat, sys.atol);
  }

  // C, V and r go into one SIMD arena when the wasm kernels run the Arnoldi orthogonalisation.
  const kAllocRows = kAlloc + m + 1;
  const arena = n >= SIMD_MIN_LENGTH && (options.simd ?? true) ? SimdArena.tryCreate((kAllocRows + 1 + 3 * kAlloc) * n + 10) : undefined;
  const SK: SimdKernels | undefined = arena?.simd === true ? arena.kernels : undefined;

  // r = M(b − A x0).
  const r = arena !== undefined ? arena.alloc(n) : new Float64Array(n);
  const work = new Float64Array(n);
  const computeResidual = (): void => {
    op.apply(x, work);
    matvecs++;
    for (let i = 0; i < n; i++) work[i] = b[i] - work[i];
    if (M) {
      M.apply(work, r);
      precApps++;
    } else r.set(work);
  };
  if (sys.x0 !== undefined) {
    x.set(sys.x0);
    computeResidual();
  } else if (M) {
    M.apply(b, r);
    precApps++;
  } else r.set(b);
  if (!Number.isFinite(norm(r))) throw notFinite();

  // Recycle-space buffers and the Arnoldi basis. C and V share one array, C's kc vectors right
  // before V's (rows kAlloc − kc .. kAlloc − 1, then V from row kAlloc), so that Ŵ = [C, V] is one
  // block: each Gram–Schmidt pass against [C, V] is one gemv + one gemvT, and C ← Ŵ Q one gemm.
  // U is double-buffered for its update; Cnext receives C's update before it is copied into place.
  const block = (rows: number): Float64Array => (arena !== undefined ? arena.alloc(rows * n) : new Float64Array(rows * n));
  let U = block(kAlloc);
  let Unext = block(kAlloc);
  const Cnext = block(kAlloc);
  let kc = 0;
  const CV = arena !== undefined ? arena.alloc(kAllocRows * n) : new Float64Array(kAllocRows * n);
  /** Element offsets of CV and r in the arena (for the SIMD kernels). */
  const cvo = SK !== undefined ? arena!.offsetOf(CV) : 0;
  const ro = SK !== undefined ? arena!.offsetOf(r) : 0;
  const V = CV.subarray(kAlloc * n);
  /** The current C (kc rows); reset with {@link viewC} whenever kc changes. */
  let C = CV.subarray(kAlloc * n, kAlloc * n);
  /** Ŵ's storage: C's rows, then V's. */
  let CW = V;
  const viewC = (): void => {
    C = CV.subarray((kAlloc - kc) * n, kAlloc * n);
    CW = CV.subarray((kAlloc - kc) * n);
  };
  /** CᵀU (kc×kc, row-major) for the current C, U: by inner products after a re-projection, then updated in O(m³). */
  let CU: Float64Array = new Float64Array(kAlloc * kAlloc);

  // Re-projection of the incoming recycle space: C = Â U, thin QR by CGS2 with the same column
  // operations applied to U (so Â U = C holds throughout and U ends as Ỹ R⁻¹); near-dependent columns dropped.
  const beforeProjection = norm(r);
  let recycledIn = 0;
  if (recycleIn !== undefined && recycleIn.k > 0 && kMax > 0) {
    const coef = new Float64Array(kAlloc);
    const coef2 = new Float64Array(kAlloc);
    let largest = 0;
    // C is built in Cnext (its final size is known only at the end), then moved into place.
    C = Cnext;
    for (let j = 0; j < recycleIn.k; j++) {
      const u = U.subarray(kc * n, (kc + 1) * n);
      const c = C.subarray(kc * n, (kc + 1) * n);
      u.set(recycleIn.U.subarray(j * n, (j + 1) * n));
      applyOp(u, c);
      const before = norm(c);
      if (!Number.isFinite(before)) throw notFinite();
      if (kc > 0) {
        for (let pass = 0; pass < 2; pass++) {
          const h = (pass === 0 ? coef : coef2).subarray(0, kc);
          K.gemv(kc, n, 1, C, n, c, 0, h);
          K.gemvT(kc, n, -1, C, n, h, 1, c);
          K.gemvT(kc, n, -1, U, n, h, 1, u);
        }
      }
      const rjj = norm(c);
      largest = Math.max(largest, rjj);
      if (rjj === 0 || rjj < DROP_TOL * largest || rjj <= BREAKDOWN_TOL * before) continue;
      const inv = 1 / rjj;
      for (let i = 0; i < n; i++) {
        c[i] *= inv;
        u[i] *= inv;
      }
      kc++;
    }
    recycledIn = kc;
    CV.set(Cnext.subarray(0, kc * n), (kAlloc - kc) * n);
    viewC();
    if (kc > 0) {
      K.gemm(false, true, kc, kc, n, 1, C, n, U, n, 0, CU, kc);
      const cr = new Float64Array(kc);
      K.gemv(kc, n, 1, C, n, r, 0, cr);
      K.gemvT(kc, n, 1, U, n, cr, 1, x);
      K.gemvT(kc, n, -1, C, n, cr, 1, r);
    }
  }

  // Small dense work arrays, sized for the largest cycle (search space ≤ m columns).
  const ldR = m + 1;
  const Rls = new Float64Array(ldR * m); // column-major rotated G: column c at c·ldR
  const g = new Float64Array(m + 1);
  const cs = new Float64Array(m);
  const sn = new Float64Array(m);
  const Bm = new Float64Array(kAlloc * m); // B[i, j] at i·m + j  (Cᵀ Â V)
  const Hm = new Float64Array((m + 1) * m); // H[l, j] at l·m + j
  const D = new Float64Array(kAlloc);
  const y = new Float64Array(m);
  const t = new Float64Array(m + 1);
  const bcol = new Float64Array(kAlloc);
  const hcol = new Float64Array(m + 1);
  /** CGS2 coefficients against Ŵ = [C, V] (B's column, then H's), one array per pass. */
  const wcol = new Float64Array(kAlloc + m + 1);
  const wcol2 = new Float64Array(kAlloc + m + 1);
  // Workspace of the recycle-space update (step 4d), sized for the largest cycle and reused by every
  // cycle: the small dense problems allocate nothing per cycle.
  const ws = kMax > 0 ? recycleWorkspace(m, kAlloc) : undefined;

  const residualHistory: number[] = [];
  const cycleResidual: number[] = [];
  const arnoldiError: number[] = [];
  const orthogonalityError: number[] = [];
  let resnorm = norm(r);
  const afterProjection = resnorm;
  residualHistory.push(resnorm);
  let iterations = 0;
  let cycles = 0;
  let reason: StopReason | undefined;
  let replacements = 0;
  let trueNorm = resnorm;

  for (;;) {
    while (resnorm > threshold && iterations < maxIter && reason === undefined) {
      if (options.signal?.aborted) {
        reason = 'aborted';
        break;
      }
      cycles++;
      viewC();
      // Cycle start: D = diag(1/‖u_i‖), split r into its C part (≈ 0) and v₁.
      for (let i = 0; i < kc; i++) D[i] = 1 / norm(U.subarray(i * n, (i + 1) * n));
      const v0 = V.subarray(0, n);
      g.fill(0);
      if (kc > 0) {
        const cr = bcol.subarray(0, kc);
        K.gemv(kc, n, 1, C, n, r, 0, cr);
        for (let i = 0; i < kc; i++) g[i] = cr[i];
        v0.set(r);
        K.gemvT(kc, n, -1, C, n, cr, 1, v0);
      } else v0.set(r);
      const beta = norm(v0);
      g[kc] = beta;
      if (beta > 0) scaleInPlace(v0, 1 / beta);
      // Columns 0..kc−1 of G are diag(D): already triangular.
      Rls.fill(0);
      for (let i = 0; i < kc; i++) Rls[i * ldR + i] = D[i];
      const steps = Math.min(m - kc, maxIter - iterations);
      let s = 0;
      let breakdown = beta === 0;
      for (let j = 0; j < steps && !breakdown; j++) {
        const vj = V.subarray(j * n, (j + 1) * n);
        const w = V.subarray((j + 1) * n, (j + 2) * n);
        applyOp(vj, w);
        // Offsets of Ŵ = [C, V] and of w in the arena (SIMD path only).
        const cwo = cvo + (kAlloc - kc) * n;
        const wo = cvo + (kAlloc + j + 1) * n;
        const w0 = SK !== undefined ? Math.sqrt(SK.dot(wo, wo, n)) : norm(w);
        if (!Number.isFinite(w0)) throw notFinite();
        let h = 0;
        // Orthogonalise against C (coefficients → B[:, j]) and V_0..V_j (→ H[0..j, j]).
        if (SK !== undefined) {
          const rows = kc + j + 1;
          if (orth === 'cgs2') {
            for (let pass = 0; pass < 2; pass++) {
              const wc = pass === 0 ? wcol : wcol2;
              for (let i = 0; i < rows; i++) wc[i] = SK.dot(cwo + i * n, wo, n);
              gemvTSimd(SK, rows, -1, cwo, wc, wo, n);
            }
            for (let i = 0; i < kc; i++) bcol[i] = wcol[i] + wcol2[i];
            for (let i = 0; i <= j; i++) hcol[i] = wcol[kc + i] + wcol2[kc + i];
            h = Math.sqrt(SK.dot(wo, wo, n));
          } else {
            // MGS over the rows of Ŵ in order (C's, then V's), each update fused with the next inner product.
            let d = SK.dot(cwo, wo, n);
            for (let i = 0; i + 1 < rows; i++) {
              wcol[i] = d;
              d = SK.axpyDot(-d, cwo + i * n, wo, cwo + (i + 1) * n, n);
            }
            wcol[rows - 1] = d;
            h = Math.sqrt(SK.axpySquares(-d, cwo + (rows - 1) * n, wo, n));
            for (let i = 0; i < kc; i++) bcol[i] = wcol[i];
            for (let i = 0; i <= j; i++) hcol[i] = wcol[kc + i];
          }
        } else if (orth === 'cgs2') {
          const rows = kc + j + 1;
          for (let pass = 0; pass < 2; pass++) {
            const wc = (pass === 0 ? wcol : wcol2).subarray(0, rows);
            K.gemv(rows, n, 1, CW, n, w, 0, wc);
            K.gemvT(rows, n, -1, CW, n, wc, 1, w);
          }
          for (let i = 0; i < kc; i++) bcol[i] = wcol[i] + wcol2[i];
          for (let i = 0; i <= j; i++) hcol[i] = wcol[kc + i] + wcol2[kc + i];
        } else {
          for (let i = 0; i < kc; i++) {
            const c = C.subarray(i * n, (i + 1) * n);
            const d = dot(c, w);
            axpyInPlace(-d, c, w);
            bcol[i] = d;
          }
          for (let i = 0; i <= j; i++) {
            const v = V.subarray(i * n, (i + 1) * n);
            const d = dot(v, w);
            axpyInPlace(-d, v, w);
            hcol[i] = d;
          }
        }
        if (SK === undefined) h = norm(w);
        for (let i = 0; i < kc; i++) Bm[i * m + j] = bcol[i];
        for (let i = 0; i <= j; i++) Hm[i * m + j] = hcol[i];
        Hm[(j + 1) * m + j] = h;
        if (h === 0 || h <= BREAKDOWN_TOL * w0) {
          breakdown = true;
          w.fill(0);
        } else if (SK !== undefined) SK.scaleCopy(1 / h, wo, wo, n);
        else scaleInPlace(w, 1 / h);
        iterations++;
        s = j + 1;
        // Column kc + j of G, rotated by the cycle's previous Givens rotations, then a new one.
        const col = (kc + j) * ldR;
        for (let i = 0; i < kc; i++) Rls[col + i] = bcol[i];
        for (let i = 0; i <= j; i++) Rls[col + kc + i] = hcol[i];
        Rls[col + kc + j + 1] = breakdown ? 0 : h;
        for (let i = 0; i < j; i++) {
          const a = Rls[col + kc + i];
          const c2 = Rls[col + kc + i + 1];
          Rls[col + kc + i] = cs[i] * a + sn[i] * c2;
          Rls[col + kc + i + 1] = -sn[i] * a + cs[i] * c2;
        }
        const a = Rls[col + kc + j];
        const c2 = Rls[col + kc + j + 1];
        const rho = Math.hypot(a, c2);
        if (rho === 0) {
          cs[j] = 1;
          sn[j] = 0;
        } else {
          cs[j] = a / rho;
          sn[j] = c2 / rho;
        }
        Rls[col + kc + j] = rho;
        Rls[col + kc + j + 1] = 0;
        const gj = g[kc + j];
        g[kc + j] = cs[j] * gj;
        g[kc + j + 1] = -sn[j] * gj;
        resnorm = Math.abs(g[kc + j + 1]);
        residualHistory.push(resnorm);
        options.onIteration?.(iterations, resnorm / bnormHat);
        if (options.callback && options.callback(iterations, resnorm, x) === false) {
          reason = 'callback';
          break;
        }
        if (resnorm <= threshold) break;
      }
      const mh = kc + s;
      // y from the triangular system; a zero pivot (singular projected H) is a breakdown: stop there.
      let singular = false;
      for (let i = mh - 1; i >= 0; i--) {
        let sum = g[i];
        for (let c = i + 1; c < mh; c++) sum -= Rls[c * ldR + i] * y[c];
        const piv = Rls[i * ldR + i];
        if (piv === 0) {
          singular = true;
          y[i] = 0;
        } else y[i] = sum / piv;
      }
      // x += Ũ y_top + V y_bottom (Ũ = U·D);  r −= Ŵ (G y).
      for (let i = 0; i < kc; i++) t[i] = D[i] * y[i];
      if (kc > 0) K.gemvT(kc, n, 1, U, n, t.subarray(0, kc), 1, x);
      if (s > 0) K.gemvT(s, n, 1, V, n, y.subarray(kc, mh), 1, x);
      // G y = [D y_top + B y_bot; H̄ y_bot], applied to r through Ŵ = [C, V] in one gemvT.
      for (let i = 0; i < kc; i++) {
        let sum = D[i] * y[i];
        for (let j = 0; j < s; j++) sum += Bm[i * m + j] * y[kc + j];
        wcol[i] = sum;
      }
      for (let l = 0; l <= s; l++) {
        let sum = 0;
        for (let j = Math.max(0, l - 1); j < s; j++) sum += Hm[l * m + j] * y[kc + j];
        wcol[kc + l] = sum;
      }
      const wRows = kc + (s > 0 ? s + 1 : 0);
      if (wRows > 0) {
        if (SK !== undefined) gemvTSimd(SK, wRows, -1, cvo + (kAlloc - kc) * n, wcol, ro, n);
        else K.gemvT(wRows, n, -1, CW, n, wcol.subarray(0, wRows), 1, r);
      }
      resnorm = norm(r);
      cycleResidual.push(resnorm);
      if (diagnostics) recordDiagnostics();
      // New recycle space from the harmonic Ritz vectors of this cycle's search space.
      if (kMax > 0 && s > 0) updateRecycle(mh, s);
      if (reason === undefined && (singular || breakdown) && resnorm > threshold) reason = 'breakdown';

      // ---- closures over the cycle's state -------------------------------------------------
      function recordDiagnostics(): void {
        const G = buildG(mh, s);
        const lhs = new Float64Array(n);
        const rhs = new Float64Array(n);
        let err = 0;
        let gnorm = 0;
        for (let i = 0; i < G.length; i++) gnorm += G[i] * G[i];
        const saveM = matvecs;
        const saveP = precApps;
        for (let c = 0; c < mh; c++) {
          const v = new Float64Array(n);
          if (c < kc) for (let i = 0; i < n; i++) v[i] = U[c * n + i] * D[c];
          else v.set(V.subarray((c - kc) * n, (c - kc + 1) * n));
          applyOp(v, lhs);
          rhs.fill(0);
          for (let rr = 0; rr <= mh; rr++) {
            const coeff = G[rr * mh + c];
            if (coeff === 0) continue;
            const src = rr < kc ? C.subarray(rr * n, (rr + 1) * n) : V.subarray((rr - kc) * n, (rr - kc + 1) * n);
            axpyInPlace(coeff, src, rhs);
          }
          for (let i = 0; i < n; i++) err += (lhs[i] - rhs[i]) ** 2;
        }
        matvecs = saveM;
        precApps = saveP;
        arnoldiError.push(Math.sqrt(err / gnorm));
        let oe = 0;
        for (let i = 0; i < kc; i++) {
          for (let j = 0; j < kc; j++) {
            const d = dot(C.subarray(i * n, (i + 1) * n), C.subarray(j * n, (j + 1) * n)) - (i === j ? 1 : 0);
            oe += d * d;
          }
        }
        orthogonalityError.push(Math.sqrt(oe));
      }

      /** G = [[D, B], [0, H̄]] ((mh+1)×mh, row-major). */
      function buildG(mhat: number, sSteps: number, out?: Float64Array): Float64Array {
        const G = out ?? new Float64Array((mhat + 1) * mhat);
        if (out) G.fill(0, 0, (mhat + 1) * mhat);
        for (let i = 0; i < kc; i++) {
          G[i * mhat + i] = D[i];
          for (let j = 0; j < sSteps; j++) G[i * mhat + kc + j] = Bm[i * m + j];
        }
        for (let l = 0; l <= sSteps; l++) {
          for (let j = Math.max(0, l - 1); j < sSteps; j++) G[(kc + l) * mhat + kc + j] = Hm[l * m + j];
        }
        return G;
      }

      /**
       * Step 4d of the card: the k eigenvectors of GᵀG z = θ GᵀŴᵀV̂ z with smallest |θ|, through the
       * equivalent G = Q_G R_G form T = R_G⁻¹ Q_Gᵀ (ŴᵀV̂), μ = 1/θ largest in modulus (no squaring of
       * G's condition number). Then Ỹ = V̂ P, [Q, R] = qr(G P), C = Ŵ Q, U = Ỹ R⁻¹.
       */
      function updateRecycle(mhat: number, sSteps: number): void {
        const kWant = Math.min(kMax, mhat - 1);
        if (kWant <= 0) {
          kc = 0;
          return;
        }
        const w = ws!;
        const G = buildG(mhat, sSteps, w.G);
        // ŴᵀV̂ = [[CᵀŨ, 0], [VᵀŨ, [I; 0]]].
        const WV = w.WV;
        WV.fill(0, 0, (mhat + 1) * mhat);
        if (kc > 0) {
          const VU = w.VU;
          if (SK !== undefined) {
            const uo = arena!.offsetOf(U);
            for (let l = 0; l <= sSteps; l++) for (let j = 0; j < kc; j++) VU[l * kc + j] = SK.dot(cvo + (kAlloc + l) * n, uo + j * n, n);
          } else K.gemm(false, true, sSteps + 1, kc, n, 1, V, n, U, n, 0, VU, kc);
          for (let i = 0; i < kc; i++) for (let j = 0; j < kc; j++) WV[i * mhat + j] = CU[i * kc + j] * D[j];
          for (let l = 0; l <= sSteps; l++) for (let j = 0; j < kc; j++) WV[(kc + l) * mhat + j] = VU[l * kc + j] * D[j];
        }
        for (let l = 0; l < sSteps; l++) WV[(kc + l) * mhat + kc + l] = 1;
        // G = Ωᵀ R with the cycle's Givens rotations Ω (rows kc.. only) and R in Rls, so
        // Q_Gᵀ (ŴᵀV̂) = the first mhat rows of Ω (ŴᵀV̂): no separate QR of G.
        const OWV = w.OWV;
        OWV.set(WV.subarray(0, (mhat + 1) * mhat));
        for (let i = 0; i < sSteps; i++) {
          const r0 = (kc + i) * mhat;
          const r1 = r0 + mhat;
          const c = cs[i];
          const sv = sn[i];
          for (let col = 0; col < mhat; col++) {
            const a = OWV[r0 + col];
            const b2 = OWV[r1 + col];
            OWV[r0 + col] = c * a + sv * b2;
            OWV[r1 + col] = -sv * a + c * b2;
          }
        }
        const T = w.T;
        T.set(OWV.subarray(0, mhat * mhat));
        if (!upperSolveColMajor(Rls, ldR, mhat, T, mhat) || !isFiniteArray(T, mhat * mhat)) {
          kc = 0;
          return;
        }
        const eig = realEigen(T, mhat, w.eig);
        if (eig === undefined) {
          kc = 0;
          return;
        }
        const cols = selectLargest(eig.re, eig.im, kWant, Math.min(kAlloc, mhat));
        let kk = cols.length;
        let P = w.P;
        for (let i = 0; i < mhat; i++) for (let c = 0; c < kk; c++) P[i * kk + c] = eig.vectors[i * mhat + cols[c]];
        // Orthonormal basis of span(P), then the QR of G P; drop near-dependent columns and retry.
        const Q2 = w.Q2;
        const R2 = w.R2;
        let factored = false;
        for (let attempt = 0; attempt < 3 && kk > 0; attempt++) {
          kk = orthonormalColumns(P, mhat, kk, w.P2, w.qr);
          [P, w.P2] = [w.P2, P];
          if (kk === 0) break;
          const GP = w.GP;
          K.gemm(false, false, mhat + 1, kk, mhat, 1, G, mhat, P, kk, 0, GP, kk);
          if (!householderQr(GP, mhat + 1, kk, Q2, R2, w.qr)) {
            kk = 0;
            break;
          }
          let largest = 0;
          for (let c = 0; c < kk; c++) largest = Math.max(largest, Math.abs(R2[c * kk + c]));
          let kept = 0;
          for (let c = 0; c < kk; c++) if (Math.abs(R2[c * kk + c]) > DROP_TOL * largest) kept++;
          if (kept === kk) {
            factored = true;
            break;
          }
          kk = pickColumns(P, mhat, kk, R2, largest, w.P2);
          [P, w.P2] = [w.P2, P];
        }
        w.P = P;
        if (!factored || kk === 0) {
          kc = 0;
          return;
        }
        // S = P R⁻¹ (mhat×kk): rows solve s R = p.
        const S = w.S;
        const R = R2;
        for (let i = 0; i < mhat; i++) {
          for (let c = 0; c < kk; c++) {
            let sum = P[i * kk + c];
            for (let l = 0; l < c; l++) sum -= S[i * kk + l] * R[l * kk + c];
            S[i * kk + c] = sum / R[c * kk + c];
          }
        }
        const Qd = Q2;
        // CᵀU for the new pair: (ŴQ)ᵀ V̂ S = Qᵀ (ŴᵀV̂) S.
        const WVS = w.WVS;
        K.gemm(false, false, mhat + 1, kk, mhat, 1, WV, mhat, S, kk, 0, WVS, kk);
        const CUnew = w.CU;
        K.gemm(true, false, kk, kk, mhat + 1, 1, Qd, kk, WVS, kk, 0, CUnew, kk);
        // U_new = Sᵀ V̂ = (D·S_top)ᵀ U + S_botᵀ V;  C_new = Q_topᵀ C + Q_botᵀ V.
        for (let i = 0; i < kc; i++) for (let c = 0; c < kk; c++) S[i * kk + c] *= D[i];
        if (SK !== undefined) {
          // The same products as the gemm calls below, one output vector at a time (four input rows per pass).
          const uo = arena!.offsetOf(U);
          const uno = arena!.offsetOf(Unext);
          const cno = arena!.offsetOf(Cnext);
          const cwo = cvo + (kAlloc - kc) * n;
          for (let c = 0; c < kk; c++) {
            const out = Unext.subarray(c * n, (c + 1) * n);
            combineSimd(SK, kc, S, c, kk, uo, out, uno + c * n, n, false);
            combineSimd(SK, sSteps, S, kc * kk + c, kk, cvo + kAlloc * n, out, uno + c * n, n, kc > 0);
            combineSimd(SK, kc + sSteps + 1, Qd, c, kk, cwo, Cnext.subarray(c * n, (c + 1) * n), cno + c * n, n, false);
          }
        } else {
          if (kc > 0) K.gemm(true, false, kk, n, kc, 1, S, kk, U, n, 0, Unext, n);
          else Unext.fill(0, 0, kk * n);
          K.gemm(true, false, kk, n, sSteps, 1, S.subarray(kc * kk), kk, V, n, 1, Unext, n);
          K.gemm(true, false, kk, n, kc + sSteps + 1, 1, Qd, kk, CW, n, 0, Cnext, n);
        }
        [U, Unext] = [Unext, U];
        CV.set(Cnext.subarray(0, kk * n), (kAlloc - kk) * n);
        w.CU = CU;
        CU = CUnew;
        kc = kk;
      }
    }
    if (reason !== undefined) break;
    // Verify with the true residual; resume from it if rounding left the recurrence optimistic.
    computeResidual();
    trueNorm = norm(r);
    if (trueNorm <= threshold || iterations >= maxIter || replacements >= 3) break;
    replacements++;
    resnorm = trueNorm;
  }
  if (reason !== undefined) {
    // Stopped early (callback, abort, breakdown): report the true residual of the returned x.
    computeResidual();
    trueNorm = norm(r);
  }
  // residualNorm is the unpreconditioned ‖b − A x‖ (work holds b − A x after computeResidual).
  const residualNorm = M ? norm(work) : trueNorm;
  const converged = trueNorm <= threshold;
  if (reason === undefined) reason = converged ? 'converged' : iterations >= maxIter ? 'maxIter' : 'stagnation';
  else if (reason === 'breakdown' && converged) reason = 'converged';
  const history: GcroDrResult['history'] = { residual: residualHistory, cycleResidual };
  if (diagnostics) {
    history.arnoldiError = arnoldiError;
    history.orthogonalityError = orthogonalityError;
  }
  return {
    x,
    converged,
    iterations,
    reason,
    history,
    residualNorm,
    matvecs,
    seconds: watch.seconds(),
    recycle: { n, k: kc, U: U.slice(0, kc * n) },
    cycles,
    recycledIn,
    projection: { before: beforeProjection, after: afterProjection },
    preconditionerApplications: precApps,
    threshold,
  };
}

// ---------------------------------------------------------------------------------------------

/** Vectors at least this long use the SIMD kernels: from n = 1024 the arena and call overhead are repaid (measured on a Darcy sequence: 0.5× the time at n = 1024, 0.9× at 256); summation order then differs from the JS loops, which can move a convergence near-tie by an iteration. */
const SIMD_MIN_LENGTH = 1024;

/**
 * y (at yo) ← y + α·Σ_{i<rows} x_i·A_i with row i of A at ao + i·n: core's gemvT with β = 1 on the
 * SIMD kernels, bit-identical to it (four rows per pass, `y + (a0·A0 + a1·A1 + a2·A2 + a3·A3)`, then
 * the leftover rows one axpy each, with a_i = α·x_i).
 */
function gemvTSimd(SK: SimdKernels, rows: number, alpha: number, ao: number, x: Float64Array, yo: number, n: number): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) SK.combine4(alpha * x[i], alpha * x[i + 1], alpha * x[i + 2], alpha * x[i + 3], ao + i * n, n, yo, n, true);
  for (; i < rows; i++) SK.axpy(alpha * x[i], ao + i * n, yo, n);
}

/**
 * u (at uo) ← Σ_{r<rows} coef[c0 + r·stride]·A_r (plus the old u when `accumulate`), with row r of
 * A at ao + r·n: four rows per combine4 pass, then one axpy per leftover row. Sums in another order
 * than core's gemm, so it agrees with it to rounding only.
 */
function combineSimd(
  SK: SimdKernels,
  rows: number,
  coef: Float64Array,
  c0: number,
  stride: number,
  ao: number,
  u: Float64Array,
  uo: number,
  n: number,
  accumulate: boolean,
): void {
  let r = 0;
  let acc = accumulate;
  for (; r + 4 <= rows; r += 4) {
    const o = c0 + r * stride;
    SK.combine4(coef[o], coef[o + stride], coef[o + 2 * stride], coef[o + 3 * stride], ao + r * n, n, uo, n, acc);
    acc = true;
  }
  if (!acc) {
    if (r === rows) {
      u.fill(0);
      return;
    }
    SK.scaleCopy(coef[c0 + r * stride], ao + r * n, uo, n);
    r++;
  }
  for (; r < rows; r++) SK.axpy(coef[c0 + r * stride], ao + r * n, uo, n);
}

function notFinite(): OptkitError {
  return new OptkitError('NOT_FINITE', `${FN}: the operator A (or the preconditioner M) produced non-finite values (NaN or Infinity in A, singular M?)`, 'A');
}

function checkRecycle(rc: RecycleSpace, n: number, kAlloc: number): void {
  if (rc === null || typeof rc !== 'object' || !(rc.U instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: options.recycle must be {n, k, U: Float64Array}`, 'options.recycle');
  }
  if (rc.n !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${FN}: options.recycle.n is ${rc.n}; the system has n = ${n}`, 'options.recycle');
  }
  if (!Number.isInteger(rc.k) || rc.k < 0 || rc.k > kAlloc) {
    throw new OptkitError(
      'SHAPE_MISMATCH',
      `${FN}: options.recycle.k is ${rc.k}; expected an integer in [0, ${kAlloc}] (k, plus one for a complex pair; 0 when k = 0)`,
      'options.recycle',
    );
  }
  if (rc.U.length !== rc.k * n) {
    throw new OptkitError('SHAPE_MISMATCH', `${FN}: options.recycle.U has length ${rc.U.length}; expected k·n = ${rc.k * n}`, 'options.recycle');
  }
  assertFinite(rc.U, 'options.recycle.U', FN);
}

/**
 * Indices of eigenvalues in decreasing modulus (ties: lower index first), `want` of them; a complex
 * pair is kept whole, so the set may hold want + 1 (if ≤ `cap`) or else want − 1 entries.
 */
function selectLargest(re: Float64Array, im: Float64Array, want: number, cap: number): number[] {
  const n = re.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  // Moduli computed once, not per comparison (Math.hypot is slow; the values, hence the order, are the same).
  const mod = new Float64Array(n);
  for (let i = 0; i < n; i++) mod[i] = Math.hypot(re[i], im[i]);
  idx.sort((a, b) => mod[b] - mod[a] || a - b);
  const chosen = new Set<number>();
  for (const i of idx) {
    if (chosen.size >= want) break;
    if (chosen.has(i)) continue;
    if (im[i] !== 0) {
      // hqr2 stores a pair at (j, j+1) with im[j] > 0.
      const partner = im[i] > 0 ? i + 1 : i - 1;
      if (chosen.size + 2 > cap) break; // the pair straddles the cut and k + 1 does not fit: drop it
      chosen.add(i);
      chosen.add(partner);
    } else chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** Preallocated arrays of the recycle-space update, for search spaces of up to m columns and kAlloc vectors. */
interface RecycleWorkspace {
  G: Float64Array;
  WV: Float64Array;
  OWV: Float64Array;
  VU: Float64Array;
  T: Float64Array;
  P: Float64Array;
  P2: Float64Array;
  GP: Float64Array;
  Q2: Float64Array;
  R2: Float64Array;
  S: Float64Array;
  WVS: Float64Array;
  CU: Float64Array;
  qr: QrWorkspace;
  eig: RealEigenWorkspace;
}

function recycleWorkspace(m: number, kAlloc: number): RecycleWorkspace {
  return {
    G: new Float64Array((m + 1) * m),
    WV: new Float64Array((m + 1) * m),
    OWV: new Float64Array((m + 1) * m),
    VU: new Float64Array((m + 1) * kAlloc),
    T: new Float64Array(m * m),
    P: new Float64Array(m * kAlloc),
    P2: new Float64Array(m * kAlloc),
    GP: new Float64Array((m + 1) * kAlloc),
    Q2: new Float64Array((m + 1) * kAlloc),
    R2: new Float64Array(kAlloc * kAlloc),
    S: new Float64Array(m * kAlloc),
    WVS: new Float64Array((m + 1) * kAlloc),
    CU: new Float64Array(kAlloc * kAlloc),
    qr: { work: new Float64Array((m + 1) * kAlloc), rdiag: new Float64Array(kAlloc), R: new Float64Array(kAlloc * kAlloc) },
    eig: realEigenWorkspace(m),
  };
}

interface QrWorkspace {
  /** The Householder factor, column-major (column c at c·rows). */
  work: Float64Array;
  rdiag: Float64Array;
  /** Scratch R for {@link orthonormalColumns}. */
  R: Float64Array;
}

/**
 * Thin QR of the rows×cols row-major A (rows ≥ cols, not modified) by Householder reflections:
 * Q (rows×cols, row-major) and R (cols×cols, row-major) into the given arrays. The operations are
 * those of JAMA's / ml-matrix 6's `QrDecomposition` with `orthogonalMatrix` and `upperTriangularMatrix`
 * (what core's `qr` kernel runs), in the same order, so the factors are bit-for-bit the same; the
 * factor is kept column-major in `ws.work` and nothing is allocated. Returns false (like the kernel's
 * NOT_FINITE throw) when A holds NaN or Infinity.
 */
function householderQr(A: Float64Array, rows: number, cols: number, Q: Float64Array, R: Float64Array, ws: QrWorkspace): boolean {
  if (!isFiniteArray(A, rows * cols)) return false;
  const F = ws.work;
  const rdiag = ws.rdiag;
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) F[c * rows + i] = A[i * cols + c];
  for (let k = 0; k < cols; k++) {
    const ok = k * rows;
    let nrm = 0;
    for (let i = k; i < rows; i++) nrm = hypotenuse(nrm, F[ok + i]);
    if (nrm !== 0) {
      if (F[ok + k] < 0) nrm = -nrm;
      for (let i = k; i < rows; i++) F[ok + i] = F[ok + i] / nrm;
      F[ok + k] = F[ok + k] + 1;
      for (let j = k + 1; j < cols; j++) {
        const oj = j * rows;
        let s = 0;
        for (let i = k; i < rows; i++) s += F[ok + i] * F[oj + i];
        s = -s / F[ok + k];
        for (let i = k; i < rows; i++) F[oj + i] = F[oj + i] + s * F[ok + i];
      }
    }
    rdiag[k] = -nrm;
  }
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) R[i * cols + j] = i < j ? F[j * rows + i] : i === j ? rdiag[i] : 0;
  }
  // Q = H_0 H_1 ... H_{cols−1} [I; 0], built backwards column by column as JAMA does.
  for (let k = cols - 1; k >= 0; k--) {
    const ok = k * rows;
    for (let i = 0; i < rows; i++) Q[i * cols + k] = 0;
    Q[k * cols + k] = 1;
    const fkk = F[ok + k];
    if (fkk === 0) continue;
    for (let j = k; j < cols; j++) {
      let s = 0;
      for (let i = k; i < rows; i++) s += F[ok + i] * Q[i * cols + j];
      s = -s / fkk;
      for (let i = k; i < rows; i++) Q[i * cols + j] = Q[i * cols + j] + s * F[ok + i];
    }
  }
  return true;
}

/** sqrt(a² + b²) without overflow, exactly as ml-matrix 6 computes it (see {@link householderQr}). */
function hypotenuse(a: number, b: number): number {
  let r = 0;
  if (Math.abs(a) > Math.abs(b)) {
    r = b / a;
    return Math.abs(a) * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    r = a / b;
    return Math.abs(b) * Math.sqrt(1 + r * r);
  }
  return 0;
}

/**
 * An orthonormal basis of the span of the `cols` columns of P (rows×cols, row-major) into `out`
 * (rows×r', row-major; columns whose |R_jj| falls below DROP_TOL·max|R_ii| are left out). Returns r'.
 */
function orthonormalColumns(P: Float64Array, rows: number, cols: number, out: Float64Array, ws: QrWorkspace): number {
  if (!householderQr(P, rows, cols, out, ws.R, ws)) return 0;
  let largest = 0;
  for (let c = 0; c < cols; c++) largest = Math.max(largest, Math.abs(ws.R[c * cols + c]));
  return compactColumns(out, rows, cols, ws.R, largest);
}

/**
 * Keeps, in place, the columns c of the rows×cols row-major X with |R_cc| > DROP_TOL·largest (R cols×cols);
 * the result is rows×kept, row-major, at the start of X. Returns kept.
 */
function compactColumns(X: Float64Array, rows: number, cols: number, R: Float64Array, largest: number): number {
  let kept = 0;
  for (let c = 0; c < cols; c++) if (Math.abs(R[c * cols + c]) > DROP_TOL * largest) kept++;
  if (kept === cols) return cols;
  // Row i of the output ends before row i of the input starts (kept < cols), so a forward sweep is safe.
  for (let i = 0; i < rows; i++) {
    let o = i * kept;
    for (let c = 0; c < cols; c++) if (Math.abs(R[c * cols + c]) > DROP_TOL * largest) X[o++] = X[i * cols + c];
  }
  return kept;
}

/** The columns of P (rows×cols) kept by {@link compactColumns}'s rule, into `out` (rows×kept). Returns kept. */
function pickColumns(P: Float64Array, rows: number, cols: number, R: Float64Array, largest: number, out: Float64Array): number {
  out.set(P.subarray(0, rows * cols));
  return compactColumns(out, rows, cols, R, largest);
}

/**
 * B ← R⁻¹ B in place for the upper-triangular leading n×n block of R stored column-major (entry (i, c)
 * at c·ldR + i) and B n×cols row-major; returns false on a zero pivot (singular R).
 */
function upperSolveColMajor(R: Float64Array, ldR: number, n: number, X: Float64Array, cols: number): boolean {
  for (let i = n - 1; i >= 0; i--) {
    const piv = R[i * ldR + i];
    if (piv === 0) return false;
    for (let l = i + 1; l < n; l++) {
      const rl = R[l * ldR + i];
      if (rl === 0) continue;
      for (let c = 0; c < cols; c++) X[i * cols + c] -= rl * X[l * cols + c];
    }
    for (let c = 0; c < cols; c++) X[i * cols + c] /= piv;
  }
  return true;
}

function isFiniteArray(a: Float64Array, length = a.length): boolean {
  for (let i = 0; i < length; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

function norm(x: Float64Array): number {
  // Scaled only when needed: the plain sum of squares is exact enough for residual norms here.
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpyInPlace(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
}

function scaleInPlace(x: Float64Array, alpha: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}
