/**
 * Conjugate gradients, plain and preconditioned (Hestenes & Stiefel, "Methods of conjugate gradients
 * for solving linear systems", J. Res. Nat. Bur. Standards 49(6), 1952), with the options, stopping
 * test and iteration count of scipy.sparse.linalg.cg.
 */
import {
  OptkitError,
  Stopwatch,
  checkOption,
  dot,
  generateUniqueFunction,
  SimdArena,
  simdAvailable,
  type LinearOperator,
  type OperatorLike,
  type StopReason,
} from '@optkit/core';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';

/**
 * The CG result: {@link KrylovResult}. `history.residual[0]` is ‖b − A x0‖, then one entry per
 * iteration: the recursively updated residual norm ‖r_k‖ (unpreconditioned, as scipy tests it).
 * `residualNorm` is the true ‖b − A x‖ of the returned x, computed at exit (one more product with A,
 * counted in `matvecs`, unless no iteration ran).
 */
export type CgResult = KrylovResult;

export interface CgOptions extends KrylovOptions {
  /**
   * Run the vector updates and inner products with core's WebAssembly SIMD kernels (wasm-simd.ts)
   * when n >= 8192 and {@link simdAvailable} (false where WebAssembly SIMD is missing or the
   * environment variable OPTKIT_NO_SIMD is set). Default true; false always uses the JS loops. The
   * updates of x, r and p are bit-identical to the JS ones; only the inner products (pᵀq, ‖r‖², rᵀz)
   * round differently (four partial sums), so iterates agree to about 1e-12 relative.
   */
  simd?: boolean;
}

const FN = 'cg';
/**
 * Shortest vectors for which a solve generates its own kernels (core's specialize.ts): below core's
 * SPECIALIZE_MIN_LENGTH (2^15) because one compile per solve is repaid within a few iterations of a
 * solve this long (on the 128×128 Poisson problem, 16 384 unknowns, CG's CPU time per iteration went
 * from 0.63× scipy's to 0.66–0.85× in three runs on a busy machine).
 */
const GENERATE_MIN_LENGTH = 8192;

/**
 * Solves A x = b for symmetric positive definite A by (preconditioned) conjugate gradients. With a
 * preconditioner M ≈ A⁻¹ (symmetric positive definite, scipy's convention) each iteration computes
 * z = M r, ρ = rᵀz, p ← z + (ρ/ρ_prev) p, q = A p, α = ρ / pᵀq, x ← x + α p, r ← r − α q.
 *
 * Stops when ‖r_k‖ ≤ max(rtol·‖b‖, atol) (reason `'converged'`), after `maxIter` iterations
 * (`'maxIter'`), when `callback` returns false (`'callback'`) or `signal` fires (`'aborted'`).
 * Breakdown: an indefinite (or singular) A shows as pᵀA p ≤ 0, an indefinite preconditioner as
 * rᵀM r ≤ 0, and a non-finite value from A or M as NaN there; each stops the solve at once with reason
 * `'breakdown'` and the last finite iterate, rather than iterating on. Zero b gives x = 0 at once
 * (`'zeroRhs'`).
 *
 * Defaults: x0 = 0, rtol = 1e-5, atol = 0, maxIter = 10·n (scipy's), M = none. `callback(k, ‖r_k‖,
 * x_k)` runs after every iteration (x_k is the solver's own vector: read it, do not keep it).
 *
 * Bad input throws OptkitError: A not square or b of the wrong length (SHAPE_MISMATCH), NaN or
 * Infinity in b or x0 (NOT_FINITE), negative rtol/atol or maxIter (INVALID_OPTION).
 *
 * Cost per iteration: one product with A, one with M, and three fused passes over the vectors
 * (p update; pᵀq; x, r and ‖r‖² together), with ρ = ‖r‖² taken from the last pass when M is absent.
 *
 * For n >= 8192 (option `simd`, default on, see {@link CgOptions}) x, r, p, q and z live in a core
 * SimdArena and the passes run as WebAssembly f64x2 kernels (five passes: the p update and the x/r
 * update are two each there, as the arena has no fused kernel for them). On 2-D Poisson 512²
 * (rtol 1e-5, 759 iterations, CPU time per iteration, SIMD and OPTKIT_NO_SIMD interleaved in one
 * process, median of 5, 2026-11-29, load 1.5–2.5 on 2 cores) this took 0.70× the JS time without M
 * and 0.77× with a Jacobi M, same iteration counts (a scratch prototype: 0.62–0.69×).
 */
export function cg(A: OperatorLike, b: Float64Array, options: CgOptions = {}): CgResult {
  const clock = new Stopwatch();
  const sys = checkSystem(FN, A, b, options);
  const { n, threshold } = sys;
  const op = sys.A;
  const M = sys.M;
  const maxIter = options.maxIter ?? 10 * n;
  checkOption(maxIter, 'maxIter', { min: 0, integer: true }, FN);
  const callback = options.callback;
  if (callback !== undefined && typeof callback !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option callback must be a function`, 'callback');
  }
  const signal = options.signal;

  const x = new Float64Array(n);
  /** The iterate the loop updates: x itself, or a view of the SIMD arena copied into x at the end. */
  let xw: Float64Array = x;
  const residual: number[] = [];
  let matvecs = 0;
  const finish = (reason: StopReason, iterations: number, residualNorm: number): CgResult => {
    if (xw !== x) x.set(xw);
    return {
      x,
      converged: reason === 'converged' || reason === 'zeroRhs',
      iterations,
      reason,
      history: { residual },
      residualNorm,
      matvecs,
      seconds: clock.seconds(),
    };
  };

  if (sys.bnorm === 0) {
    residual.push(0);
    return finish('zeroRhs', 0, 0);
  }

  // x, r, p, q (and z) go into one SIMD arena when the wasm kernels run the vector work.
  const arena = n >= GENERATE_MIN_LENGTH && (options.simd ?? true) ? SimdArena.tryCreate((M !== undefined ? 5 : 4) * n + 10) : undefined;
  const SK = arena?.simd === true ? arena.kernels : undefined;
  const vector = (): Float64Array => (SK !== undefined ? arena!.alloc(n) : new Float64Array(n));
  if (SK !== undefined) xw = vector();
  const r = vector();
  const p = vector();
  const q = vector();
  const z = M !== undefined ? vector() : r;
  const [xo, ro, po, qo, zo] = SK !== undefined ? [xw, r, p, q, z].map((v) => arena!.offsetOf(v)) : [0, 0, 0, 0, 0];
  let rr: number; // ‖r‖²
  if (sys.x0 !== undefined) {
    xw.set(sys.x0);
    applyInto(op, xw, q);
    matvecs++;
    rr = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - q[i];
      r[i] = d;
      rr += d * d;
    }
  } else {
    r.set(b);
    rr = sys.bnorm * sys.bnorm;
  }
  let rnorm = Math.sqrt(rr);
  residual.push(rnorm);
  // A non-finite initial residual can only come from A·x0 (b and x0 are checked): report it.
  if (!Number.isFinite(rnorm)) return finish('breakdown', 0, rnorm);

  const kernels = SK === undefined ? cgKernels(xw, r, p, q, z, n) : undefined;
  let iterations = 0;
  let rhoPrev = 0;
  let reason: StopReason;
  for (;;) {
    if (rnorm <= threshold) {
      reason = 'converged';
      break;
    }
    if (iterations >= maxIter) {
      reason = 'maxIter';
      break;
    }
    let rho: number;
    if (M !== undefined) {
      applyInto(M, r, z);
      rho = SK !== undefined ? SK.dot(ro, zo, n) : dot(r, z);
      if (!(rho > 0)) {
        reason = 'breakdown'; // rᵀM r ≤ 0 with r ≠ 0: M is not positive definite (or gave NaN)
        break;
      }
    } else {
      rho = rr;
    }
    if (iterations === 0) p.set(z);
    else if (SK !== undefined) {
      // βp + z: the same value as the JS loop's z + βp.
      SK.scaleCopy(rho / rhoPrev, po, po, n);
      SK.axpy(1, zo, po, n);
    } else kernels!.xpby(rho / rhoPrev);
    applyInto(op, p, q);
    matvecs++;
    const pq = SK !== undefined ? SK.dot(po, qo, n) : dot(p, q);
    if (!(pq > 0)) {
      reason = 'breakdown'; // pᵀA p ≤ 0: A is not positive definite (or gave NaN)
      break;
    }
    const alpha = rho / pq;
    if (SK !== undefined) {
      // Two passes where the JS kernel fuses them; r + (−α)q equals r − αq exactly.
      SK.axpy(alpha, po, xo, n);
      rr = SK.axpySquares(-alpha, qo, ro, n);
    } else rr = kernels!.update(alpha);
    rhoPrev = rho;
    rnorm = Math.sqrt(rr);
    iterations++;
    residual.push(rnorm);
    if (callback !== undefined && callback(iterations, rnorm, xw) === false) {
      reason = rnorm <= threshold ? 'converged' : 'callback';
      break;
    }
    if (signal?.aborted) {
      reason = rnorm <= threshold ? 'converged' : 'aborted';
      break;
    }
  }
  let trueNorm = rnorm;
  if (iterations > 0) {
    applyInto(op, xw, q);
    matvecs++;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - q[i];
      s += d * d;
    }
    trueNorm = Math.sqrt(s);
  }
  return finish(reason, iterations, trueNorm);
}

/** out = op·x, copying when an operator written elsewhere returns a new vector instead of filling out. */
function applyInto(op: LinearOperator, x: Float64Array, out: Float64Array): void {
  const r = op.apply(x, out);
  if (r !== out) {
    if (!(r instanceof Float64Array) || r.length !== out.length) {
      throw new OptkitError('SHAPE_MISMATCH', `${FN}: an operator's apply returned no Float64Array of length ${out.length}`, 'A');
    }
    out.set(r);
  }
}

/** The vector work of one CG iteration on the solve's own arrays (see {@link cgKernels}). */
interface CgKernels {
  /** p ← z + β p. */
  xpby(beta: number): void;
  /** x ← x + α p and r ← r − α q in one pass; returns the new ‖r‖². */
  update(alpha: number): number;
}

const CG_KERNEL_SOURCE = `return {
  xpby(beta) {
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  },
  update(alpha) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      const a = r[i] - alpha * q[i];
      r[i] = a;
      s += a * a;
    }
    return s;
  },
};`;

/**
 * The kernels for one solve. For n >= GENERATE_MIN_LENGTH they are generated for this solve's
 * arrays (core's specialize.ts): V8 then treats the captured arrays as constants, which ran these
 * store-heavy loops about twice as fast here as the same loops over arrays passed as arguments.
 * Shorter vectors, or a runtime that forbids code generation, use the shared loops below. Plain
 * one-accumulator loops throughout: unrolled loops that store ran about twice as slowly in V8.
 */
function cgKernels(x: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, z: Float64Array, n: number): CgKernels {
  if (n >= GENERATE_MIN_LENGTH) {
    try {
      type Make = (x: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, z: Float64Array, n: number) => CgKernels;
      return generateUniqueFunction<Make>(['x', 'r', 'p', 'q', 'z', 'n'], CG_KERNEL_SOURCE)(x, r, p, q, z, n);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
    }
  }
  return {
    xpby: (beta) => xpby(z, beta, p, n),
    update: (alpha) => updateIterate(alpha, p, q, x, r, n),
  };
}

function xpby(z: Float64Array, beta: number, p: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
}

function updateIterate(alpha: number, p: Float64Array, q: Float64Array, x: Float64Array, r: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    x[i] += alpha * p[i];
    const a = r[i] - alpha * q[i];
    r[i] = a;
    s += a * a;
  }
  return s;
}
