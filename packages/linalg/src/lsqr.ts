/**
 * LSQR: C. C. Paige and M. A. Saunders, "LSQR: An algorithm for sparse linear equations and sparse
 * least squares", ACM TOMS 8(1), 1982 — Golub–Kahan bidiagonalisation with QR updates, solving
 * min ‖A·x − b‖₂ (or ‖[A; damp·I]·x − [b; 0]‖₂) for any m×n operator with a transpose. A line-by-line
 * port of scipy.sparse.linalg.lsqr (scipy 1.17), with its options, estimates and stopping rules:
 *
 * - istop 0: x = 0 solves the problem (b = 0 or Aᵀb = 0); 1: A·x = b within atol, btol (a compatible
 *   system: ‖r‖ ≤ btol·‖b‖ + atol·‖A‖·‖x‖); 2: a least-squares solution within atol
 *   (‖Aᵀr‖ ≤ atol·‖A‖·‖r‖); 3: the estimate of cond(Ā) exceeded conlim; 4, 5, 6: as 1, 2, 3 with the
 *   tolerance at machine precision; 7: iteration limit.
 * - The norms ‖A‖, cond(A), ‖r‖, ‖Aᵀr‖ and ‖x‖ are LSQR's running estimates, as in scipy.
 *
 * Differences from scipy, for optkit's conventions: a zero b returns x = 0 at once with reason
 * 'zeroRhs' (scipy returns istop 0 and divides by ‖b‖ = 0 when x0 is given); `callback` and `signal`
 * can stop the loop; bad input throws OptkitError. `calc_var` is not offered.
 */
import {
  CsrMatrix,
  DenseMatrix,
  OptkitError,
  Stopwatch,
  aslinearoperator,
  assertFinite,
  checkOption,
  getKernels,
  nrm2,
  throwIfAborted,
  type LinearOperator,
  type OperatorLike,
  type SolveResult,
  type StopReason,
} from '@optkit/core';

export interface LsqrOptions {
  /** Damping factor λ: solve min ‖[A; λI]x − [b; 0]‖. Default 0. */
  damp?: number;
  /** Relative tolerance on ‖Aᵀr‖ / the A·x part of the compatible test (scipy `atol`). Default 1e-6. */
  atol?: number;
  /** Relative tolerance on ‖r‖/‖b‖ (scipy `btol`). Default 1e-6. */
  btol?: number;
  /** Stop when the cond(Ā) estimate exceeds this (0 disables). Default 1e8. */
  conlim?: number;
  /** Most iterations. Default 2·n (scipy's `iter_lim`), n = columns of A. */
  iterLim?: number;
  /** Initial guess (length n). Default zeros. Not modified. */
  x0?: Float64Array;
  /**
   * Called once per iteration with the iteration number, the estimate of ‖b − A·x‖ (r1norm) and x
   * (reused, do not keep). Return false to stop (reason 'callback').
   */
  callback?: (iteration: number, residualNorm: number, x: Float64Array) => boolean | void;
  signal?: AbortSignal;
}

export interface LsqrResult extends SolveResult {
  /** scipy's stop code 0-7 (module comment). */
  istop: number;
  /** ‖b − A·x‖ estimate (scipy r1norm). */
  r1norm: number;
  /** √(‖b − Ax‖² + damp²‖x‖²) estimate (scipy r2norm). */
  r2norm: number;
  /** Frobenius-norm estimate of Ā = [A; damp·I]. */
  anorm: number;
  /** Condition estimate of Ā. */
  acond: number;
  /** ‖Āᵀ r̄‖ estimate. */
  arnorm: number;
  /** ‖x‖ estimate. */
  xnorm: number;
  /** r1norm (same as residualNorm). */
  residualNorm: number;
  /** Products with A plus products with Aᵀ. */
  matvecs: number;
  seconds: number;
  /**
   * history.residual: r1norm per iteration, starting with ‖b − A·x0‖; history.normalResidual: the
   * ‖Āᵀr̄‖ estimate per iteration, starting with its initial value.
   */
  history: { residual: number[]; normalResidual: number[] };
}

const EPS = 2 ** -52;

/**
 * A dense matrix as an operator calling the kernel set's gemv/gemvT directly: LSQR hands it only
 * vectors of the right length it allocated itself, so the adapter's per-call argument checks are
 * skipped (the kernels still check sizes in O(1)).
 */
function denseKernelOperator(A: DenseMatrix): LinearOperator {
  const { rows, cols, data } = A;
  const K = getKernels();
  return {
    rows,
    cols,
    apply: (x, out = new Float64Array(rows)) => {
      K.gemv(rows, cols, 1, data, Math.max(1, cols), x, 0, out);
      return out;
    },
    applyT: (y, out = new Float64Array(cols)) => {
      K.gemvT(rows, cols, 1, data, Math.max(1, cols), y, 0, out);
      return out;
    },
  };
}

/** Stable Givens rotation (scipy's _sym_ortho): [c, s, r] with r = √(a² + b²). */
function symOrtho(a: number, b: number, out: Float64Array): void {
  if (b === 0) {
    out[0] = Math.sign(a) || 0;
    out[1] = 0;
    out[2] = Math.abs(a);
  } else if (a === 0) {
    out[0] = 0;
    out[1] = Math.sign(b);
    out[2] = Math.abs(b);
  } else if (Math.abs(b) > Math.abs(a)) {
    const tau = a / b;
    const s = Math.sign(b) / Math.sqrt(1 + tau * tau);
    out[0] = s * tau;
    out[1] = s;
    out[2] = b / s;
  } else {
    const tau = b / a;
    const c = Math.sign(a) / Math.sqrt(1 + tau * tau);
    out[0] = c;
    out[1] = c * tau;
    out[2] = a / c;
  }
}

const REASON: Record<number, StopReason> = { 0: 'converged', 1: 'converged', 2: 'converged', 3: 'breakdown', 4: 'converged', 5: 'converged', 6: 'breakdown', 7: 'maxIter' };

/**
 * min ‖A·x − b‖₂ (damped when `damp` > 0) by LSQR for A an operator with `applyT` (DenseMatrix,
 * CsrMatrix — products by core's spmv/spmvT — or any LinearOperator with applyT; dense products go
 * through core's gemv/gemvT kernels). A stored matrix is checked for NaN/Infinity (NOT_FINITE). Converged means
 * istop ∈ {0, 1, 2, 4, 5}; istop 3/6 (cond limit) report reason 'breakdown', 7 'maxIter'.
 * Throws INVALID_ARGUMENT (no applyT), SHAPE_MISMATCH, NOT_FINITE, INVALID_OPTION.
 */
export function lsqr(A: OperatorLike, b: Float64Array, options: LsqrOptions = {}): LsqrResult {
  const fn = 'lsqr';
  // NaN/Infinity in a stored matrix would only surface as NaN estimates: reject it up front, O(size).
  if (A instanceof DenseMatrix) assertFinite(A.data, 'A', fn);
  else if (A instanceof CsrMatrix) assertFinite(A.values, 'A.values', fn);
  const op: LinearOperator = A instanceof DenseMatrix ? denseKernelOperator(A) : aslinearoperator(A);
  if (typeof op.applyT !== 'function') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must provide applyT (Aᵀ·x); LSQR needs both products`, 'A');
  }
  const m = op.rows;
  const n = op.cols;
  if (!(b instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: b must be a Float64Array`, 'b');
  if (b.length !== m) throw new OptkitError('SHAPE_MISMATCH', `${fn}: b has length ${b.length}; A is ${m}x${n}`, 'b');
  assertFinite(b, 'b', fn);
  const damp = checkOption(options.damp ?? 0, 'damp', { min: 0 }, fn);
  const atol = checkOption(options.atol ?? 1e-6, 'atol', { min: 0 }, fn);
  const btol = checkOption(options.btol ?? 1e-6, 'btol', { min: 0 }, fn);
  const conlim = checkOption(options.conlim ?? 1e8, 'conlim', { min: 0 }, fn);
  const iterLim = checkOption(options.iterLim ?? 2 * n, 'iterLim', { min: 0, integer: true }, fn);
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${n}`, 'options.x0');
    }
    assertFinite(options.x0, 'options.x0', fn);
  }
  const clock = new Stopwatch();
  const applyT = op.applyT.bind(op);
  const x = options.x0 ? options.x0.slice() : new Float64Array(n);
  const history = { residual: [] as number[], normalResidual: [] as number[] };
  const bnorm = nrm2(b);
  const finish = (istop: number, reason: StopReason, itn: number, est: { r1norm: number; r2norm: number; anorm: number; acond: number; arnorm: number; xnorm: number }, matvecs: number): LsqrResult => ({
    x,
    converged: reason === 'converged' || reason === 'zeroRhs',
    iterations: itn,
    reason,
    istop,
    ...est,
    residualNorm: est.r1norm,
    matvecs,
    seconds: clock.seconds(),
    history,
  });
  if (bnorm === 0) {
    x.fill(0);
    history.residual.push(0);
    history.normalResidual.push(0);
    return finish(0, 'zeroRhs', 0, { r1norm: 0, r2norm: 0, anorm: 0, acond: 0, arnorm: 0, xnorm: 0 }, 0);
  }

  const ctol = conlim > 0 ? 1 / conlim : 0;
  let anorm = 0;
  let acond = 0;
  const dampsq = damp * damp;
  let ddnorm = 0;
  let res2 = 0;
  let xnorm = 0;
  let xxnorm = 0;
  let z = 0;
  let cs2 = -1;
  let sn2 = 0;
  let matvecs = 0;

  const u = b.slice();
  const tmpM = new Float64Array(m);
  const v = new Float64Array(n);
  const tmpN = new Float64Array(n);
  const w = new Float64Array(n);
  let beta: number;
  if (options.x0) {
    op.apply(x, tmpM);
    matvecs++;
    for (let i = 0; i < m; i++) u[i] -= tmpM[i];
    beta = nrm2(u);
  } else {
    beta = bnorm;
  }
  let alfa = 0;
  if (beta > 0) {
    const ib = 1 / beta;
    for (let i = 0; i < m; i++) u[i] *= ib;
    applyT(u, v);
    matvecs++;
    alfa = nrm2(v);
  }
  if (alfa > 0) {
    const ia = 1 / alfa;
    for (let j = 0; j < n; j++) v[j] *= ia;
  }
  w.set(v);
  let rhobar = alfa;
  let phibar = beta;
  let rnorm = beta;
  let r1norm = rnorm;
  let r2norm = rnorm;
  let arnorm = alfa * beta;
  history.residual.push(r1norm);
  history.normalResidual.push(arnorm);
  const estimates = () => ({ r1norm, r2norm, anorm, acond, arnorm, xnorm });
  if (arnorm === 0) return finish(0, 'converged', 0, estimates(), matvecs);

  const rot = new Float64Array(3);
  let itn = 0;
  let istop = 0;
  while (itn < iterLim) {
    throwIfAborted(options.signal, fn);
    itn++;
    // Bidiagonalisation: β u = A v − α u, α v = Aᵀ u − β v.
    op.apply(v, tmpM);
    matvecs++;
    for (let i = 0; i < m; i++) u[i] = tmpM[i] - alfa * u[i];
    beta = nrm2(u);
    if (beta > 0) {
      const ib = 1 / beta;
      for (let i = 0; i < m; i++) u[i] *= ib;
      anorm = Math.sqrt(anorm * anorm + alfa * alfa + beta * beta + dampsq);
      applyT(u, tmpN);
      matvecs++;
      for (let j = 0; j < n; j++) v[j] = tmpN[j] - beta * v[j];
      alfa = nrm2(v);
      if (alfa > 0) {
        const ia = 1 / alfa;
        for (let j = 0; j < n; j++) v[j] *= ia;
      }
    }
    // A plane rotation eliminates the damping parameter.
    let rhobar1: number;
    let psi: number;
    if (damp > 0) {
      rhobar1 = Math.sqrt(rhobar * rhobar + dampsq);
      const cs1 = rhobar / rhobar1;
      const sn1 = damp / rhobar1;
      psi = sn1 * phibar;
      phibar = cs1 * phibar;
    } else {
      rhobar1 = rhobar;
      psi = 0;
    }
    // A plane rotation eliminates the subdiagonal element β.
    symOrtho(rhobar1, beta, rot);
    const cs = rot[0];
    const sn = rot[1];
    const rho = rot[2];
    const theta = sn * alfa;
    rhobar = -cs * alfa;
    const phi = cs * phibar;
    phibar = sn * phibar;
    const tau = sn * phi;
    // Update x and w.
    const t1 = phi / rho;
    const t2 = -theta / rho;
    let dk2 = 0;
    for (let j = 0; j < n; j++) {
      const wj = w[j];
      const dk = wj / rho;
      dk2 += dk * dk;
      x[j] += t1 * wj;
      w[j] = v[j] + t2 * wj;
    }
    ddnorm += dk2;
    // A rotation on the right eliminates the super-diagonal θ; it gives the estimate of ‖x‖.
    const delta = sn2 * rho;
    const gambar = -cs2 * rho;
    const rhs = phi - delta * z;
    const zbar = rhs / gambar;
    xnorm = Math.sqrt(xxnorm + zbar * zbar);
    const gamma = Math.sqrt(gambar * gambar + theta * theta);
    cs2 = gambar / gamma;
    sn2 = theta / gamma;
    z = rhs / gamma;
    xxnorm += z * z;
    // Convergence tests: estimates of cond(Ā), ‖r̄‖ and ‖Āᵀr̄‖.
    acond = anorm * Math.sqrt(ddnorm);
    const res1 = phibar * phibar;
    res2 += psi * psi;
    rnorm = Math.sqrt(res1 + res2);
    arnorm = alfa * Math.abs(tau);
    // r1norm = ‖b − Ax‖, r2norm = rnorm = √(r1norm² + damp²‖x‖²).
    const r1sq = rnorm * rnorm - dampsq * xxnorm;
    r1norm = Math.sqrt(Math.abs(r1sq));
    if (r1sq < 0) r1norm = -r1norm;
    r2norm = rnorm;
    const test1 = rnorm / bnorm;
    const test2 = arnorm / (anorm * rnorm + EPS);
    const test3 = 1 / (acond + EPS);
    const tt1 = test1 / (1 + (anorm * xnorm) / bnorm);
    const rtol = btol + (atol * anorm * xnorm) / bnorm;
    // The machine-precision variants guard against tolerances set to 0 (as scipy does).
    if (itn >= iterLim) istop = 7;
    if (1 + test3 <= 1) istop = 6;
    if (1 + test2 <= 1) istop = 5;
    if (1 + tt1 <= 1) istop = 4;
    if (test3 <= ctol) istop = 3;
    if (test2 <= atol) istop = 2;
    if (test1 <= rtol) istop = 1;
    history.residual.push(r1norm);
    history.normalResidual.push(arnorm);
    if (options.callback && options.callback(itn, r1norm, x) === false && istop === 0) {
      return finish(istop, 'callback', itn, estimates(), matvecs);
    }
    if (istop !== 0) break;
  }
  if (istop === 0) istop = 7; // iterLim = 0
  return finish(istop, REASON[istop], itn, estimates(), matvecs);
}
