/**
 * Restarted GMRES (Saad & Schultz, "GMRES: A generalized minimal residual algorithm for solving
 * nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7(3), 1986), with right preconditioning,
 * Givens rotations on the Hessenberg matrix, modified Gram–Schmidt (or, on request, classical
 * Gram–Schmidt applied twice) and happy-breakdown handling. The options and the stopping test are
 * scipy.sparse.linalg.gmres's (`max(rtol·‖b‖, atol)`), with two documented differences: `maxIter`
 * counts inner iterations in total (scipy counts restart cycles), and the residual estimate of every
 * inner iteration is recorded.
 */
import {
  OptkitError,
  Stopwatch,
  checkChoice,
  checkOption,
  dot,
  generateUniqueFunction,
  SimdArena,
  simdAvailable,
  type OperatorLike,
  type SimdKernels,
  type StopReason,
} from '@optkit/core';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';

export interface GmresOptions extends KrylovOptions {
  /**
   * Restart length m: the Krylov basis kept before a restart (GMRES(m)). Default 20, scipy's
   * default. Values above n are cut to n (the Krylov space cannot grow beyond n). Must be an integer
   * >= 1 (INVALID_OPTION otherwise).
   */
  restart?: number;
  /**
   * How each new Arnoldi vector is orthogonalised against the basis. `'mgs'` (default): modified
   * Gram–Schmidt, as scipy and Saad & Schultz do, with each axpy fused with the next inner product
   * (one pass over the vectors per basis vector). `'cgs2'`: classical Gram–Schmidt applied twice
   * ("twice is enough", Giraud, Langou & Rozložník 2005), which keeps the basis orthogonal to working
   * precision even for ill-conditioned problems at about twice the vector traffic of MGS.
   */
  orthogonalization?: 'mgs' | 'cgs2';
  /**
   * Run modified Gram–Schmidt with core's WebAssembly SIMD kernels (wasm-simd.ts) when the vectors
   * are long (n >= 8192), orthogonalization is 'mgs' and {@link simdAvailable} (false where
   * WebAssembly SIMD is missing or the environment variable OPTKIT_NO_SIMD is set). Default true;
   * false always uses the JS loops. The two paths differ only in the rounding of the inner products
   * (the SIMD ones sum in another order), so iterates agree to about 1e-12 relative.
   */
  simd?: boolean;
}

/**
 * The GMRES result: {@link KrylovResult}. `history.residual[0]` is ‖b − A x0‖, then one entry per
 * inner iteration: the least-squares residual norm |g_{j+1}| of the rotated system, which in exact
 * arithmetic equals the true ‖b − A x_j‖ (right preconditioning leaves the residual unscaled).
 * `history.restartResidual` holds the true residual norm computed at the end of each cycle.
 * `residualNorm` is the true ‖b − A x‖ of the returned x.
 */
export type GmresResult = KrylovResult;

const FN = 'gmres';
/**
 * Shortest vectors for which a solve generates its own kernels (core's specialize.ts): below core's
 * SPECIALIZE_MIN_LENGTH (2^15) because one compile per solve is repaid within a few iterations of a
 * solve this long (on the 128×128 Poisson problem, 16 384 unknowns, CG's CPU time per iteration went
 * from 0.63× scipy's to 0.66–0.85× in three runs on a busy machine).
 */
const GENERATE_MIN_LENGTH = 8192;
/** Entries of each vector processed per block in the CGS2 passes (fits L1 together with a few basis rows). */
const CGS_BLOCK = 512;
/** h_{j+1,j} at or below this times ‖A z_j‖ counts as an exact (happy) breakdown: the Krylov space is invariant. */
const HAPPY_BREAKDOWN = 1e-14;
/** A rotated diagonal entry at or below this times the column norm makes the least-squares problem singular. */
const SINGULAR_R = 1e-14;

/**
 * Solves A x = b for square A by restarted GMRES(m) with right preconditioning: each cycle builds an
 * orthonormal basis V of the Krylov space K_m(A·M, r0) by Arnoldi, minimises ‖β e1 − H y‖ with
 * Givens rotations updated one column at a time (so the residual norm is known at every inner
 * iteration without forming x), and updates x ← x + M·(V y). The cycle stops early when the
 * estimate meets `max(rtol·‖b‖, atol)`; x and the true residual are then formed, and a new cycle
 * starts unless the true residual meets the threshold too (as in scipy).
 *
 * Happy breakdown: when h_{j+1,j} ≈ 0 the Krylov space is A-invariant and the least-squares
 * solution is exact; the cycle ends there. If the rotated diagonal of H vanishes as well (A·M
 * singular on the Krylov space), the solve stops with reason `'breakdown'` keeping the last usable
 * iterate. A non-finite value from A or M also stops it with `'breakdown'` (x stays finite).
 *
 * Defaults: x0 = 0, rtol = 1e-5, atol = 0, restart = 20, maxIter = 10·n inner iterations in total
 * (scipy: 10·n restart cycles), M = none, orthogonalization = 'mgs'. `callback(iter, estimate, x)`
 * runs after every inner iteration; its x is the iterate at the start of the current cycle (the
 * inner iterate is not formed, as in scipy's `callback_type='pr_norm'`). `signal` is checked once per
 * inner iteration (reason `'aborted'`). Zero b gives x = 0 at once (reason `'zeroRhs'`).
 *
 * Bad input throws OptkitError: A not square or b of the wrong length (SHAPE_MISMATCH), NaN or
 * Infinity in b or x0 (NOT_FINITE), restart < 1, negative rtol/atol, maxIter < 0 (INVALID_OPTION).
 * Cost per inner iteration j: one product with A, one with M, and j + 3 passes over n-vectors
 * (Gram–Schmidt j + 2, normalisation 1); memory m·n for the basis plus five n-vectors. For n >= 8192
 * the MGS passes run as WebAssembly SIMD where available (option `simd`).
 */
export function gmres(A: OperatorLike, b: Float64Array, options: GmresOptions = {}): GmresResult {
  const clock = new Stopwatch();
  const sys = checkSystem(FN, A, b, options);
  const { n, threshold } = sys;
  const op = sys.A;
  const M = sys.M;
  const restartOpt = options.restart ?? 20;
  checkOption(restartOpt, 'restart', { min: 1, integer: true }, FN);
  const maxIter = options.maxIter ?? 10 * n;
  checkOption(maxIter, 'maxIter', { min: 0, integer: true }, FN);
  const ortho = checkChoice(options.orthogonalization ?? 'mgs', ['mgs', 'cgs2'] as const, 'orthogonalization', FN);
  const callback = options.callback;
  if (callback !== undefined && typeof callback !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option callback must be a function`, 'callback');
  }
  const signal = options.signal;

  const x = new Float64Array(n);
  const history = { residual: [] as number[], restartResidual: [] as number[] };
  const finish = (converged: boolean, iterations: number, reason: StopReason, residualNorm: number, matvecs: number): GmresResult => ({
    x,
    converged,
    iterations,
    reason,
    history,
    residualNorm,
    matvecs,
    seconds: clock.seconds(),
  });

  if (sys.bnorm === 0) {
    history.residual.push(0);
    return finish(true, 0, 'zeroRhs', 0, 0);
  }

  const r = new Float64Array(n);
  let matvecs = 0;
  let beta: number;
  if (sys.x0 !== undefined) {
    x.set(sys.x0);
    matvecs++;
    beta = residual(op, b, x, r);
  } else {
    r.set(b);
    beta = sys.bnorm;
  }
  history.residual.push(beta);
  if (beta <= threshold) return finish(true, 0, 'converged', beta, matvecs);
  if (!Number.isFinite(beta)) return finish(false, 0, 'breakdown', beta, matvecs);

  const m = Math.max(1, Math.min(restartOpt, n, Math.max(maxIter, 1)));
  const V: Float64Array[] = [];
  // The basis, w and u go into one SIMD arena when the wasm kernels run Gram–Schmidt and V·y.
  const simdArena = ortho === 'mgs' && n >= GENERATE_MIN_LENGTH && (options.simd ?? true) ? SimdArena.tryCreate((m + 2) * n + 4) : undefined;
  // m basis vectors: v_m would only be needed to continue past the restart.
  const basis = simdArena !== undefined ? simdArena.alloc(m * n) : new Float64Array(m * n);
  for (let i = 0; i < m; i++) V.push(basis.subarray(i * n, (i + 1) * n));
  const ldh = m + 1;
  const H = new Float64Array(ldh * m); // column j holds h_{0..j+1, j}, rotated in place into R
  const cs = new Float64Array(m);
  const sn = new Float64Array(m);
  const g = new Float64Array(m + 1);
  const y = new Float64Array(m);
  const w = simdArena !== undefined ? simdArena.alloc(n) : new Float64Array(n);
  const z = M !== undefined ? new Float64Array(n) : w; // M·v_j (or v_j itself without M)
  const u = simdArena !== undefined ? simdArena.alloc(n) : new Float64Array(n); // V·y, then M·(V·y)

  const kernels = gmresKernels(basis, w, r, u, z, x, n, V);
  const simd = simdArena?.simd === true ? simdArena.kernels : undefined;
  const bo = simd !== undefined ? simdArena!.offsetOf(basis) : 0;
  const wo = simd !== undefined ? simdArena!.offsetOf(w) : 0;
  const uo = simd !== undefined ? simdArena!.offsetOf(u) : 0;
  let iterations = 0;
  let reason: StopReason | undefined;
  let lastTrue = beta;

  while (reason === undefined) {
    if (iterations >= maxIter) {
      reason = 'maxIter';
      break;
    }
    // v_0 = r / β
    kernels.startBasis(1 / beta);
    g.fill(0);
    g[0] = beta;
    let k = 0; // columns of H usable in the least-squares solve
    let cycleEnd = false;
    for (let j = 0; j < m && !cycleEnd; j++) {
      const vj = V[j];
      let src = vj;
      if (M !== undefined) {
        applyInto(M, vj, z);
        src = z;
      }
      applyInto(op, src, w);
      matvecs++;
      const col = j * ldh;
      let hnext =
        ortho === 'cgs2' ? cgs2(V, j, w, H, col, n) : simd !== undefined ? mgsSimd(simd, bo, wo, j, w, H, col, n) : mgs(kernels, V, j, w, H, col, n);
      const scale = columnNorm(H, col, j + 1, hnext);
      if (!Number.isFinite(hnext) || !Number.isFinite(scale)) {
        // A or M produced a non-finite value: keep the iterate of the previous columns.
        reason = 'breakdown';
        break;
      }
      const happy = hnext <= HAPPY_BREAKDOWN * scale;
      if (happy) hnext = 0;
      H[col + j + 1] = hnext;
      // Apply the previous rotations to the new column, then a new one that zeroes h_{j+1,j}.
      for (let i = 0; i < j; i++) {
        const a = H[col + i];
        const bb = H[col + i + 1];
        H[col + i] = cs[i] * a + sn[i] * bb;
        H[col + i + 1] = -sn[i] * a + cs[i] * bb;
      }
      const a = H[col + j];
      const t = Math.hypot(a, hnext);
      if (t <= SINGULAR_R * scale || t === 0) {
        // R would be singular: A·M maps the Krylov space into a smaller one (A singular).
        reason = 'breakdown';
        break;
      }
      cs[j] = a / t;
      sn[j] = hnext / t;
      H[col + j] = t;
      H[col + j + 1] = 0;
      g[j + 1] = -sn[j] * g[j];
      g[j] = cs[j] * g[j];
      k = j + 1;
      iterations++;
      const estimate = Math.abs(g[j + 1]);
      history.residual.push(estimate);
      if (estimate <= threshold || happy) cycleEnd = true;
      if (callback !== undefined && callback(iterations, estimate, x) === false) {
        reason = 'callback';
        break;
      }
      if (signal?.aborted) {
        reason = 'aborted';
        break;
      }
      if (iterations >= maxIter) break;
      if (!cycleEnd && j + 1 < m) {
        if (simd !== undefined) simd.scaleCopy(1 / hnext, wo, bo + (j + 1) * n, n);
        else kernels.storeBasis((j + 1) * n, 1 / hnext);
      }
    }
    if (k > 0) {
      // Back substitution R y = g, then x ← x + M·(V y).
      for (let i = k - 1; i >= 0; i--) {
        let s = g[i];
        for (let c = i + 1; c < k; c++) s -= H[c * ldh + i] * y[c];
        y[i] = s / H[i * ldh + i];
      }
      if (simd !== undefined) combineSimd(simd, bo, uo, y, k, u, n);
      else kernels.combine(y, k);
      if (M !== undefined) {
        applyInto(M, u, z);
        kernels.addZ();
      } else {
        kernels.addU();
      }
      matvecs++;
      beta = residual(op, b, x, r);
      lastTrue = beta;
      history.restartResidual.push(beta);
      if (!Number.isFinite(beta)) {
        // Only possible if A or M returned non-finite values for finite input: undo nothing, report.
        reason = 'breakdown';
        break;
      }
      if (beta <= threshold) {
        reason = 'converged';
        break;
      }
    }
    if (reason === undefined && iterations >= maxIter) reason = 'maxIter';
  }
  return finish(reason === 'converged', iterations, reason, lastTrue, matvecs);
}

/** out = op·x, copying when an operator written elsewhere returns a new vector instead of filling out. */
function applyInto(op: { apply(x: Float64Array, out?: Float64Array): Float64Array }, x: Float64Array, out: Float64Array): void {
  const r = op.apply(x, out);
  if (r !== out) {
    if (!(r instanceof Float64Array) || r.length !== out.length) {
      throw new OptkitError('SHAPE_MISMATCH', `${FN}: an operator's apply returned no Float64Array of length ${out.length}`, 'A');
    }
    out.set(r);
  }
}

/** r = b − A·x (r is used as scratch for A·x); returns ‖r‖. */
function residual(op: { apply(x: Float64Array, out?: Float64Array): Float64Array }, b: Float64Array, x: Float64Array, r: Float64Array): number {
  applyInto(op, x, r);
  const n = r.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = b[i] - r[i];
    r[i] = d;
    s += d * d;
  }
  return safeNorm(s, r);
}

/** √s, recomputed with scaling when the plain sum of squares over- or underflowed. */
function safeNorm(sumSquares: number, v: Float64Array): number {
  if (sumSquares > 1e-290 && sumSquares < 1e290) return Math.sqrt(sumSquares);
  if (sumSquares !== sumSquares) return Number.NaN;
  return norm(v);
}

/** ‖v‖₂ with scaling (no overflow or underflow). */
function norm(v: Float64Array): number {
  let amax = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > amax) amax = a;
    else if (a !== a) return Number.NaN;
  }
  if (amax === 0 || !Number.isFinite(amax)) return amax;
  const s = 1 / amax;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const t = v[i] * s;
    sum += t * t;
  }
  return amax * Math.sqrt(sum);
}

/** √(Σ_{i<count} H[col+i]² + hnext²) = ‖A z_j‖ up to rounding (the Arnoldi column before rotation), scaled against overflow. */
function columnNorm(H: Float64Array, col: number, count: number, hnext: number): number {
  let amax = Math.abs(hnext);
  for (let i = 0; i < count; i++) amax = Math.max(amax, Math.abs(H[col + i]));
  if (amax === 0 || !Number.isFinite(amax)) return amax;
  const t = hnext / amax;
  let s = t * t;
  for (let i = 0; i < count; i++) {
    const h = H[col + i] / amax;
    s += h * h;
  }
  return amax * Math.sqrt(s);
}

/**
 * Modified Gram–Schmidt of w against V[0..j], writing h_{i,j} into H[col + i]; returns ‖w‖ after.
 * The update w ← w − h_i v_i and the next inner product h_{i+1} = v_{i+1}·w share one loop, and the
 * last update also sums ‖w‖², so j + 2 passes over w in all (scipy: 2(j + 1) + 1).
 */
function mgs(K: GmresKernels, V: Float64Array[], j: number, w: Float64Array, H: Float64Array, col: number, n: number): number {
  H[col] = dot(V[0], w);
  for (let i = 0; i < j; i++) H[col + i + 1] = K.axpyDot(-H[col + i], i * n, (i + 1) * n);
  return safeNorm(K.axpySquares(-H[col + j], j * n), w);
}

/**
 * {@link mgs} with core's WebAssembly SIMD kernels on the arena holding the basis (vector i at
 * element offset bo + i·n) and w (at wo): the same operations in the same order; only the inner
 * products round differently (four partial sums).
 */
function mgsSimd(S: SimdKernels, bo: number, wo: number, j: number, w: Float64Array, H: Float64Array, col: number, n: number): number {
  H[col] = S.dot(bo, wo, n);
  for (let i = 0; i < j; i++) H[col + i + 1] = S.axpyDot(-H[col + i], bo + i * n, wo, bo + (i + 1) * n, n);
  return safeNorm(S.axpySquares(-H[col + j], bo + j * n, wo, n), w);
}

/** {@link combine} with the SIMD kernels: u (at uo) = Σ_{i<k} y_i·B[bo + i·n..], bit-identical to it. */
function combineSimd(S: SimdKernels, bo: number, uo: number, y: Float64Array, k: number, u: Float64Array, n: number): void {
  let c = 0;
  for (; c + 4 <= k; c += 4) S.combine4(y[c], y[c + 1], y[c + 2], y[c + 3], bo + c * n, n, uo, n, c !== 0);
  if (c === 0) u.fill(0);
  for (; c < k; c++) S.axpy(y[c], bo + c * n, uo, n);
}

/**
 * The vector work of GMRES on one solve's arrays: the basis B (vector i at offset i·n), w, r, u, z
 * and x. For n >= GENERATE_MIN_LENGTH the kernels are generated for these arrays (core's
 * specialize.ts): V8 then treats the captured arrays as constants, which ran the store-heavy
 * Gram–Schmidt loop about twice as fast here as the same loop over arrays passed as arguments.
 * Shorter vectors, or a runtime that forbids code generation, use the shared loops below.
 *
 * Tried on the 512×512 Poisson problem (GMRES(30), 2026-11-29, process CPU time per iteration on a
 * busy machine, each against this version in the same process), all slower, so not used: one
 * generated closure per basis vector over its own view (0.73–0.87×), a 2-way split of axpyDot into
 * halves with two sums (0.88–0.91×), four rotating partial sums (0.85–0.95×), and axpy then a
 * 4-sum dot over blocks of 1024 entries (0.5×). Classical Gram–Schmidt with 4-vector kernels is
 * no way out either: on this problem the DGKS test (‖w′‖ < ‖w‖/√2) asks for the second pass in 175
 * of 180 steps (measured with numpy), and two CGS passes cost more than one MGS pass here.
 *
 * What did help: WebAssembly SIMD. The vectors (2 MB each at n = 512²) sit in the L3 cache, so the
 * MGS loop is compute-bound in V8's scalar code; core's wasm-simd.ts runs it as f64x2 with two
 * accumulators (four doubles per iteration), 1.4–1.7× the speed of this loop per basis vector, and
 * the whole GMRES(30) solve on 512² Poisson (180 iterations) took 0.49–0.52× the CPU time per
 * iteration of the JS path (median of 4 interleaved solves each, 3 runs, same process, 2026-11-29,
 * load average 3–5 on 2 cores; 0.50–0.60× before combine went SIMD too). So for n >=
 * GENERATE_MIN_LENGTH with 'mgs', the basis, w and u live in a SimdArena, and {@link mgsSimd}, the
 * arena's scaleCopy (storeBasis) and {@link combineSimd} replace axpyDot/axpySquares/storeBasis/
 * combine below. combine runs only ⌈k/4⌉ passes per cycle against ~m²/2 for MGS, yet it took 6.6 %
 * of a profile of the SIMD solve as generated JS (a fresh closure per solve, called 6 times, barely
 * warms up), hence SIMD too. startBasis, addU and addZ (one pass per cycle each) stay JS. Four accumulators (eight doubles per iteration) were no
 * faster than two. `simd: false` or OPTKIT_NO_SIMD=1 keeps everything in JS.
 */
interface GmresKernels {
  /** w ← w + α·B[vo..], returning (new w)·B[no..]. */
  axpyDot(alpha: number, vo: number, no: number): number;
  /** w ← w + α·B[vo..], returning ‖new w‖². */
  axpySquares(alpha: number, vo: number): number;
  /** B[0..n) ← s·r. */
  startBasis(s: number): void;
  /** B[vo..vo+n) ← s·w. */
  storeBasis(vo: number, s: number): void;
  /** u ← Σ_{i<k} y_i B[i·n..], four basis vectors per pass over u. */
  combine(y: Float64Array, k: number): void;
  /** x ← x + u. */
  addU(): void;
  /** x ← x + z. */
  addZ(): void;
}

const GMRES_KERNEL_SOURCE = `return {
  axpyDot(alpha, vo, no) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = w[i] + alpha * B[vo + i];
      w[i] = a;
      s += a * B[no + i];
    }
    return s;
  },
  axpySquares(alpha, vo) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = w[i] + alpha * B[vo + i];
      w[i] = a;
      s += a * a;
    }
    return s;
  },
  startBasis(s) {
    for (let i = 0; i < n; i++) B[i] = r[i] * s;
  },
  storeBasis(vo, s) {
    for (let i = 0; i < n; i++) B[vo + i] = w[i] * s;
  },
  combine(y, k) {
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const y0 = y[c], y1 = y[c + 1], y2 = y[c + 2], y3 = y[c + 3];
      const o0 = c * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      if (c === 0) {
        for (let i = 0; i < n; i++) u[i] = y0 * B[o0 + i] + y1 * B[o1 + i] + y2 * B[o2 + i] + y3 * B[o3 + i];
      } else {
        for (let i = 0; i < n; i++) u[i] += y0 * B[o0 + i] + y1 * B[o1 + i] + y2 * B[o2 + i] + y3 * B[o3 + i];
      }
    }
    if (c === 0) u.fill(0);
    for (; c < k; c++) {
      const yc = y[c];
      const o = c * n;
      for (let i = 0; i < n; i++) u[i] += yc * B[o + i];
    }
  },
  addU() {
    for (let i = 0; i < n; i++) x[i] += u[i];
  },
  addZ() {
    for (let i = 0; i < n; i++) x[i] += z[i];
  },
};`;

function gmresKernels(
  B: Float64Array,
  w: Float64Array,
  r: Float64Array,
  u: Float64Array,
  z: Float64Array,
  x: Float64Array,
  n: number,
  views: Float64Array[],
): GmresKernels {
  if (n >= GENERATE_MIN_LENGTH) {
    try {
      type Make = (B: Float64Array, w: Float64Array, r: Float64Array, u: Float64Array, z: Float64Array, x: Float64Array, n: number) => GmresKernels;
      return generateUniqueFunction<Make>(['B', 'w', 'r', 'u', 'z', 'x', 'n'], GMRES_KERNEL_SOURCE)(B, w, r, u, z, x, n);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
    }
  }
  const V = (offset: number) => views[offset / n];
  return {
    axpyDot: (alpha, vo, no) => axpyDot(alpha, V(vo), w, V(no), n),
    axpySquares: (alpha, vo) => axpySquares(alpha, V(vo), w, n),
    startBasis: (s) => {
      for (let i = 0; i < n; i++) B[i] = r[i] * s;
    },
    storeBasis: (vo, s) => {
      for (let i = 0; i < n; i++) B[vo + i] = w[i] * s;
    },
    combine: (y, k) => combine(B, y, k, u, n),
    addU: () => {
      for (let i = 0; i < n; i++) x[i] += u[i];
    },
    addZ: () => {
      for (let i = 0; i < n; i++) x[i] += z[i];
    },
  };
}

/**
 * w ← w + α·v, returning the new w·next in the same pass. Plain one-accumulator loops here and
 * below: V8 ran unrolled loops that store to an array about twice as slowly.
 */
function axpyDot(alpha: number, v: Float64Array, w: Float64Array, next: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = w[i] + alpha * v[i];
    w[i] = a;
    s += a * next[i];
  }
  return s;
}

/** w ← w + α·v, returning ‖w‖² of the new w in the same pass. */
function axpySquares(alpha: number, v: Float64Array, w: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = w[i] + alpha * v[i];
    w[i] = a;
    s += a * a;
  }
  return s;
}

/**
 * Classical Gram–Schmidt twice: h = Vᵀw, w ← w − V h, repeated once, with the two coefficient
 * vectors summed into H[col..col+j]; returns ‖w‖ after. Both passes run over w in blocks, so each
 * basis vector and w are read once per pass.
 */
function cgs2(V: Float64Array[], j: number, w: Float64Array, H: Float64Array, col: number, n: number): number {
  const count = j + 1;
  for (let i = 0; i < count; i++) H[col + i] = 0;
  let sq = 0;
  for (let pass = 0; pass < 2; pass++) {
    // h_i = v_i · w for every i, block by block so w's block stays in cache.
    const h = cgsCoefficients(V, count, w, n);
    sq = 0;
    for (let start = 0; start < n; start += CGS_BLOCK) {
      const end = Math.min(n, start + CGS_BLOCK);
      for (let i = 0; i < count; i++) {
        const v = V[i];
        const c = h[i];
        for (let q = start; q < end; q++) w[q] -= c * v[q];
      }
      if (pass === 1) for (let q = start; q < end; q++) sq += w[q] * w[q];
    }
    for (let i = 0; i < count; i++) H[col + i] += h[i];
  }
  return safeNorm(sq, w);
}

/** Scratch for {@link cgsCoefficients}; grown on demand (one per process, never shrunk). */
let cgsScratch = new Float64Array(64);

function cgsCoefficients(V: Float64Array[], count: number, w: Float64Array, n: number): Float64Array {
  if (cgsScratch.length < count) cgsScratch = new Float64Array(2 * count);
  const h = cgsScratch;
  for (let i = 0; i < count; i++) h[i] = 0;
  for (let start = 0; start < n; start += CGS_BLOCK) {
    const end = Math.min(n, start + CGS_BLOCK);
    for (let i = 0; i < count; i++) {
      const v = V[i];
      let s = 0;
      for (let q = start; q < end; q++) s += v[q] * w[q];
      h[i] += s;
    }
  }
  return h;
}

/** u = Σ_{i<k} y_i·B[i·n..], four basis vectors per pass over u. */
function combine(B: Float64Array, y: Float64Array, k: number, u: Float64Array, n: number): void {
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const y0 = y[c];
    const y1 = y[c + 1];
    const y2 = y[c + 2];
    const y3 = y[c + 3];
    const o0 = c * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    if (c === 0) {
      for (let i = 0; i < n; i++) u[i] = y0 * B[o0 + i] + y1 * B[o1 + i] + y2 * B[o2 + i] + y3 * B[o3 + i];
    } else {
      for (let i = 0; i < n; i++) u[i] += y0 * B[o0 + i] + y1 * B[o1 + i] + y2 * B[o2 + i] + y3 * B[o3 + i];
    }
  }
  if (c === 0) u.fill(0);
  for (; c < k; c++) {
    const yc = y[c];
    const o = c * n;
    for (let i = 0; i < n; i++) u[i] += yc * B[o + i];
  }
}
