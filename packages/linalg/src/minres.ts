/**
 * MINRES for symmetric, possibly indefinite systems (Paige & Saunders, "Solution of sparse
 * indefinite systems of linear equations", SIAM J. Numer. Anal. 12(4), 1975), with an optional
 * symmetric positive definite preconditioner, following the recurrences of scipy.sparse.linalg.minres
 * (itself a translation of Saunders' MINRES) but with this package's stopping test
 * `‖b − A x_k‖ ≤ max(rtol·‖b‖, atol)`.
 */
import { OptkitError, Stopwatch, assertFiniteNumber, checkOption, dot, type LinearOperator, type OperatorLike, type StopReason } from '@optkit/core';
import { checkSystem, type KrylovOptions, type KrylovResult } from './krylov-options.js';

export interface MinresOptions extends KrylovOptions {
  /** Solve (A − shift·I) x = b instead (scipy's `shift`). Default 0. */
  shift?: number;
}

/**
 * The MINRES result: {@link KrylovResult}. `history.residual[0]` is ‖b − A x0‖, then one entry per
 * iteration: the 2-norm of the residual as MINRES updates it (without M: φ̄_k, the least-squares
 * residual of the Lanczos system; with M: the residual vector carried by the recurrence
 * r_k = s_k² r_{k−1} − φ̄_k c_k u_{k+1}, since φ̄_k is then the M-norm). `residualNorm` is the true
 * ‖b − A x‖ at exit (one more product with A).
 */
export type MinresResult = KrylovResult;

const FN = 'minres';
const EPS = 2.220446049250313e-16;

/**
 * Solves A x = b (or (A − shift·I) x = b) for symmetric A, definite or indefinite, by MINRES: the
 * iterate minimising ‖b − A x‖ (with M: ‖b − A x‖_M) over x0 + K_k(M A, M r0), built from the
 * preconditioned Lanczos process with short recurrences and one Givens rotation per iteration.
 *
 * M must be symmetric positive definite (it applies ≈ A⁻¹, scipy's convention; for an indefinite A
 * use an SPD approximation of |A|⁻¹). Stops when the residual norm meets `max(rtol·‖b‖, atol)`
 * (`'converged'`), after `maxIter` iterations (`'maxIter'`), when `callback` returns false or `signal`
 * fires (`'callback'`, `'aborted'`). Breakdown (`'breakdown'`, stopping at once with the last finite
 * iterate): rᵀM r < 0 (M indefinite, or A not symmetric), a non-finite value from A or M, or the
 * Lanczos matrix becoming singular to working precision (the rotation's γ_k below ε·‖T_k‖: A − shift·I
 * singular on the Krylov space, e.g. b outside its range). Zero b gives x = 0 at once (`'zeroRhs'`).
 * A is not checked for symmetry; a nonsymmetric A gives wrong answers or a breakdown.
 *
 * Defaults: x0 = 0, rtol = 1e-5, atol = 0, maxIter = 5·n (scipy's), M = none, shift = 0.
 * `callback(k, ‖r_k‖, x_k)` runs after every iteration.
 *
 * Bad input throws OptkitError: A not square or b of the wrong length (SHAPE_MISMATCH), NaN or
 * Infinity in b, x0 or shift (NOT_FINITE), negative rtol/atol or maxIter (INVALID_OPTION).
 */
export function minres(A: OperatorLike, b: Float64Array, options: MinresOptions = {}): MinresResult {
  const clock = new Stopwatch();
  const sys = checkSystem(FN, A, b, options);
  const { n, threshold } = sys;
  const op = sys.A;
  const M = sys.M;
  const maxIter = options.maxIter ?? 5 * n;
  checkOption(maxIter, 'maxIter', { min: 0, integer: true }, FN);
  const shift = options.shift ?? 0;
  assertFiniteNumber(shift, 'shift', FN);
  const callback = options.callback;
  if (callback !== undefined && typeof callback !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option callback must be a function`, 'callback');
  }
  const signal = options.signal;

  const x = new Float64Array(n);
  const residual: number[] = [];
  let matvecs = 0;
  let iterations = 0;
  const finish = (reason: StopReason, residualNorm: number): MinresResult => ({
    x,
    converged: reason === 'converged' || reason === 'zeroRhs',
    iterations,
    reason,
    history: { residual },
    residualNorm,
    matvecs,
    seconds: clock.seconds(),
  });
  if (sys.bnorm === 0) {
    residual.push(0);
    return finish('zeroRhs', 0);
  }

  // Lanczos vectors in the unpreconditioned space: r1 = β_{k−1}u_{k−1}, r2 = β_k u_k; y the next one.
  let r1 = new Float64Array(n);
  let r2 = new Float64Array(n);
  let y = new Float64Array(n);
  const v = new Float64Array(n);
  const zbuf = M !== undefined ? new Float64Array(n) : undefined;
  let w = new Float64Array(n);
  let w1 = new Float64Array(n);
  let w2 = new Float64Array(n);
  // With M: the residual vector, updated by recurrence (φ̄ is only its M-norm).
  const res = M !== undefined ? new Float64Array(n) : undefined;

  if (sys.x0 !== undefined) {
    x.set(sys.x0);
    applyInto(op, x, y);
    matvecs++;
    for (let i = 0; i < n; i++) r2[i] = b[i] - y[i] + shift * x[i];
  } else {
    r2.set(b);
  }
  let rnorm = norm2(r2);
  residual.push(rnorm);
  if (!Number.isFinite(rnorm)) return finish('breakdown', rnorm);
  if (rnorm <= threshold) return finish('converged', rnorm);
  if (res !== undefined) res.set(r2);

  let z = r2;
  let beta1: number;
  if (M !== undefined) {
    applyInto(M, r2, zbuf!);
    z = zbuf!;
    beta1 = dot(r2, z);
  } else {
    beta1 = rnorm * rnorm;
  }
  if (!(beta1 > 0)) return finish('breakdown', rnorm); // rᵀM r ≤ 0: M is not positive definite
  beta1 = Math.sqrt(beta1);

  let oldb = 0;
  let beta = beta1;
  let dbar = 0;
  let epsln = 0;
  let phibar = beta1;
  let tnorm2 = 0;
  let cs = -1;
  let sn = 0;
  let reason: StopReason | undefined;

  while (reason === undefined) {
    if (iterations >= maxIter) {
      reason = 'maxIter';
      break;
    }
    // v = z / β (the preconditioned Lanczos vector), y = (A − shift I) v − (β/β_old) r1, α = vᵀy.
    const s = 1 / beta;
    for (let i = 0; i < n; i++) v[i] = z[i] * s;
    applyInto(op, v, y);
    matvecs++;
    const alfa = lanczosStep(y, v, r1, shift, iterations === 0 ? 0 : beta / oldb, n);
    // y ← y − (α/β) r2; without M, β_{k+1}² = ‖y‖² in the same pass.
    const yy = axpySquares(-alfa / beta, r2, y, n);
    const tmp = r1;
    r1 = r2;
    r2 = y;
    y = tmp;
    oldb = beta;
    let beta2: number;
    if (M !== undefined) {
      applyInto(M, r2, zbuf!);
      z = zbuf!;
      beta2 = dot(r2, z);
    } else {
      z = r2;
      beta2 = yy;
    }
    if (!(beta2 >= 0) || !Number.isFinite(alfa)) {
      reason = 'breakdown'; // M indefinite, A not symmetric, or a non-finite value from A or M
      break;
    }
    beta = Math.sqrt(beta2);
    tnorm2 += alfa * alfa + oldb * oldb + beta * beta;

    // Apply the previous rotation, then compute the next one (scipy's names and signs).
    const oldeps = epsln;
    const delta = cs * dbar + sn * alfa;
    const gbar = sn * dbar - cs * alfa;
    epsln = sn * beta;
    dbar = -cs * beta;
    const gamma = Math.hypot(gbar, beta);
    if (!(gamma > EPS * Math.sqrt(tnorm2))) {
      reason = 'breakdown'; // T_k singular to working precision: A − shift·I singular on the Krylov space
      break;
    }
    cs = gbar / gamma;
    sn = beta / gamma;
    const phi = cs * phibar;
    phibar = sn * phibar;

    // w_k = (v − ε_k w_{k−2} − δ_k w_{k−1}) / γ_k and x ← x + φ_k w_k, in one pass.
    const t = w1;
    w1 = w2;
    w2 = w;
    w = t;
    updateIterate(v, oldeps, w1, delta, w2, 1 / gamma, phi, w, x, n);
    iterations++;

    if (res !== undefined) {
      // r_k = s_k² r_{k−1} − φ̄_k c_k u_{k+1}, with u_{k+1} = r2 / β_{k+1}.
      rnorm = beta > 0 ? residualUpdate(res, sn * sn, (-phibar * cs) / beta, r2, n) : scaleSquares(res, sn * sn, n);
    } else {
      rnorm = Math.abs(phibar);
    }
    residual.push(rnorm);
    if (rnorm <= threshold) reason = 'converged';
    else if (beta === 0) reason = 'breakdown'; // invariant subspace without a solution in it
    if (callback !== undefined && callback(iterations, rnorm, x) === false && reason === undefined) reason = 'callback';
    if (reason === undefined && signal?.aborted) reason = 'aborted';
  }
  let trueNorm = rnorm;
  if (iterations > 0) {
    applyInto(op, x, y);
    matvecs++;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = b[i] - y[i] + shift * x[i];
      sum += d * d;
    }
    trueNorm = Math.sqrt(sum);
  }
  return finish(reason, trueNorm);
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

function norm2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** y ← y − shift·v − c·r1 and returns vᵀy of the new y (c = 0 skips r1). */
function lanczosStep(y: Float64Array, v: Float64Array, r1: Float64Array, shift: number, c: number, n: number): number {
  let s = 0;
  if (c === 0) {
    for (let i = 0; i < n; i++) {
      const t = y[i] - shift * v[i];
      y[i] = t;
      s += v[i] * t;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const t = y[i] - shift * v[i] - c * r1[i];
      y[i] = t;
      s += v[i] * t;
    }
  }
  return s;
}

/** y ← y + α·r, returning ‖y‖² of the new y. */
function axpySquares(alpha: number, r: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i] + alpha * r[i];
    y[i] = t;
    s += t * t;
  }
  return s;
}

/** w = (v − e·w1 − d·w2)·g and x ← x + φ·w. */
function updateIterate(
  v: Float64Array,
  e: number,
  w1: Float64Array,
  d: number,
  w2: Float64Array,
  g: number,
  phi: number,
  w: Float64Array,
  x: Float64Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const t = (v[i] - e * w1[i] - d * w2[i]) * g;
    w[i] = t;
    x[i] += phi * t;
  }
}

/** res ← a·res + c·u, returning ‖res‖. */
function residualUpdate(res: Float64Array, a: number, c: number, u: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = a * res[i] + c * u[i];
    res[i] = t;
    s += t * t;
  }
  return Math.sqrt(s);
}

/** res ← a·res, returning ‖res‖. */
function scaleSquares(res: Float64Array, a: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = a * res[i];
    res[i] = t;
    s += t * t;
  }
  return Math.sqrt(s);
}
