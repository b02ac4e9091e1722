/**
 * Objectives: smooth functions f: ℝⁿ → ℝ with gradients (and optionally Hessian-vector products),
 * the finite-difference checks every method that takes an Objective is tested with, and three
 * example objectives (quadratic, Rosenbrock, logistic regression) for tests and experiments.
 *
 * Conventions: `x` is a Float64Array of length `dim`; `out` arguments are written and returned (a new
 * array when omitted). The example objectives here also accept an `out` that aliases `x` or `v`;
 * code written for any Objective should not rely on that. They keep preallocated scratch buffers, so
 * one instance must not be evaluated re-entrantly (e.g. from inside a callback of its own evaluation).
 */
import { OptkitError, assertFinite, assertInteger, assertLength, checkOption } from './errors.js';
import { gemv, gemvT } from './kernels.js';
import { Rng } from './rng.js';
import { dot, nrm2 } from './vector.js';

/** A smooth objective f: ℝ^dim → ℝ. */
export interface Objective {
  /** Number of variables. */
  readonly dim: number;
  /** f(x). */
  value(x: Float64Array): number;
  /** ∇f(x), written into `out` (a new array when omitted) and returned. */
  grad(x: Float64Array, out?: Float64Array): Float64Array;
  /** The Hessian-vector product ∇²f(x)·v, written into `out` and returned. Optional. */
  hvp?(x: Float64Array, v: Float64Array, out?: Float64Array): Float64Array;
  /** f(x) and ∇f(x) in one pass (cheaper than `value` + `grad` when they share work). Optional. */
  valueAndGrad?(x: Float64Array, out?: Float64Array): { value: number; grad: Float64Array };
}

/**
 * f(x), with ∇f(x) written into `gradOut`: uses `valueAndGrad` when the objective has it, else
 * `value` and `grad`. Optimizer loops call it once per iteration.
 */
export function evaluateObjective(objective: Objective, x: Float64Array, gradOut: Float64Array): number {
  if (objective.valueAndGrad) {
    const r = objective.valueAndGrad(x, gradOut);
    if (r.grad !== gradOut) gradOut.set(r.grad);
    return r.value;
  }
  const f = objective.value(x);
  const g = objective.grad(x, gradOut);
  if (g !== gradOut) gradOut.set(g);
  return f;
}

/** What {@link checkGradient} and {@link checkHvp} report. */
export interface DerivativeCheckResult {
  /** ‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂, 1e-300); 0 when both are zero. */
  relativeError: number;
  /** maxᵢ |analyticᵢ − numericᵢ|. */
  maxAbsError: number;
  /** The derivative values from the objective (gradient entries, directional derivatives, or Hv). */
  analytic: Float64Array;
  /** The same values by central differences. */
  numeric: Float64Array;
}

export interface CheckGradientOptions {
  /**
   * Finite-difference step. Default: ε^(1/3)·max(1, |xᵢ|) per coordinate, or ε^(1/3)·max(1, ‖x‖₂) along
   * a unit direction (ε = 2^-52), which balances the O(h²) truncation error of central differences
   * against the O(ε/h) rounding error.
   */
  h?: number;
  /**
   * `'coordinates'` compares every partial derivative (2·dim evaluations of f); a number k compares k
   * directional derivatives ∇f(x)ᵀd along random unit directions (2k evaluations). Default:
   * `'coordinates'` when dim ≤ 100, else 20 directions.
   */
  directions?: number | 'coordinates';
  /** Seed for the random directions (default 0). */
  seed?: number;
}

const CBRT_EPS = Math.cbrt(Number.EPSILON);
const TINY = 1e-300;

function checkObjective(objective: Objective, fn: string): void {
  if (
    objective === null ||
    typeof objective !== 'object' ||
    typeof objective.value !== 'function' ||
    typeof objective.grad !== 'function'
  ) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: objective must have value(x) and grad(x, out?) methods`, 'objective');
  }
  assertInteger(objective.dim, 'objective.dim', 1, fn);
}

function compare(analytic: Float64Array, numeric: Float64Array): DerivativeCheckResult {
  const diff = new Float64Array(analytic.length);
  let maxAbsError = 0;
  for (let i = 0; i < analytic.length; i++) {
    diff[i] = analytic[i] - numeric[i];
    const a = Math.abs(diff[i]);
    // NaN must not hide behind the max.
    if (a > maxAbsError || a !== a) maxAbsError = a;
  }
  const scale = Math.max(nrm2(analytic), nrm2(numeric), TINY);
  const err = nrm2(diff);
  return { relativeError: err === 0 ? 0 : err / scale, maxAbsError, analytic, numeric };
}

/**
 * Compares `objective.grad` with central differences (f(x + h·d) − f(x − h·d)) / 2h, along every
 * coordinate or along random unit directions. A correct gradient gives a relative error near 1e-9 or
 * below on smooth, well-scaled problems; a wrong one gives O(1). `x` is not modified.
 */
export function checkGradient(
  objective: Objective,
  x: Float64Array,
  options: CheckGradientOptions = {},
): DerivativeCheckResult {
  const fn = 'checkGradient';
  checkObjective(objective, fn);
  const n = objective.dim;
  assertLength(x, n, 'x', fn);
  assertFinite(x, 'x', fn);
  if (options.h !== undefined) checkOption(options.h, 'h', { min: 0, minExclusive: true }, fn);
  const directions = options.directions ?? (n <= 100 ? 'coordinates' : 20);
  if (directions !== 'coordinates') checkOption(directions, 'directions', { min: 1, integer: true }, fn);

  const g = objective.grad(x, new Float64Array(n));
  const work = Float64Array.from(x);
  if (directions === 'coordinates') {
    const numeric = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const h = options.h ?? CBRT_EPS * Math.max(1, Math.abs(xi));
      const xp = xi + h;
      const xm = xi - h;
      work[i] = xp;
      const fp = objective.value(work);
      work[i] = xm;
      const fm = objective.value(work);
      work[i] = xi;
      // Divide by the step actually taken (xp − xm is exact), not by 2h.
      numeric[i] = (fp - fm) / (xp - xm);
    }
    return compare(Float64Array.from(g), numeric);
  }

  const k = directions;
  const rng = new Rng(options.seed ?? 0);
  const d = new Float64Array(n);
  const analytic = new Float64Array(k);
  const numeric = new Float64Array(k);
  const h = options.h ?? CBRT_EPS * Math.max(1, nrm2(x));
  for (let t = 0; t < k; t++) {
    rng.fillNormal(d);
    const s = 1 / nrm2(d);
    for (let i = 0; i < n; i++) d[i] *= s;
    analytic[t] = dot(g, d);
    for (let i = 0; i < n; i++) work[i] = x[i] + h * d[i];
    const fp = objective.value(work);
    for (let i = 0; i < n; i++) work[i] = x[i] - h * d[i];
    const fm = objective.value(work);
    numeric[t] = (fp - fm) / (2 * h);
  }
  return compare(analytic, numeric);
}

export interface CheckHvpOptions {
  /** Finite-difference step along v. Default ε^(1/3)·max(1, ‖x‖₂)/‖v‖₂. */
  h?: number;
  /** The direction v (default: a seeded standard normal vector). */
  v?: Float64Array;
  /** Seed for the random v (default 0). */
  seed?: number;
}

/**
 * Compares `objective.hvp(x, v)` with the central difference of gradients
 * (∇f(x + h·v) − ∇f(x − h·v)) / 2h. Throws UNSUPPORTED when the objective has no `hvp`.
 */
export function checkHvp(objective: Objective, x: Float64Array, options: CheckHvpOptions = {}): DerivativeCheckResult {
  const fn = 'checkHvp';
  checkObjective(objective, fn);
  if (typeof objective.hvp !== 'function') {
    throw new OptkitError('UNSUPPORTED', `${fn}: objective has no hvp method`, 'objective');
  }
  const n = objective.dim;
  assertLength(x, n, 'x', fn);
  assertFinite(x, 'x', fn);
  let v: Float64Array;
  if (options.v !== undefined) {
    assertLength(options.v, n, 'options.v', fn);
    assertFinite(options.v, 'options.v', fn);
    v = options.v;
  } else {
    v = new Rng(options.seed ?? 0).fillNormal(new Float64Array(n)) as Float64Array;
  }
  const vNorm = nrm2(v);
  if (vNorm === 0) {
    const analytic = Float64Array.from(objective.hvp(x, v, new Float64Array(n)));
    return compare(analytic, new Float64Array(n));
  }
  if (options.h !== undefined) checkOption(options.h, 'h', { min: 0, minExclusive: true }, fn);
  const h = options.h ?? (CBRT_EPS * Math.max(1, nrm2(x))) / vNorm;
  const analytic = Float64Array.from(objective.hvp(x, v, new Float64Array(n)));
  const work = new Float64Array(n);
  for (let i = 0; i < n; i++) work[i] = x[i] + h * v[i];
  const gp = Float64Array.from(objective.grad(work, new Float64Array(n)));
  for (let i = 0; i < n; i++) work[i] = x[i] - h * v[i];
  const gm = objective.grad(work, new Float64Array(n));
  const numeric = new Float64Array(n);
  for (let i = 0; i < n; i++) numeric[i] = (gp[i] - gm[i]) / (2 * h);
  return compare(analytic, numeric);
}

// ---------------------------------------------------------------------------------------------
// Example objectives

/** A dense row-major matrix as core stores it. */
interface DenseLike {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A matrix-free operator (core's LinearOperator shape). */
interface OperatorLike {
  rows: number;
  cols: number;
  apply(x: Float64Array, out?: Float64Array): Float64Array;
}

function isOperator(a: DenseLike | OperatorLike): a is OperatorLike {
  return typeof (a as OperatorLike).apply === 'function';
}

/** `out` checked to have length n, or a new array when omitted. */
function outputFor(n: number, out: Float64Array | undefined, fn: string): Float64Array {
  if (out === undefined) return new Float64Array(n);
  assertLength(out, n, 'out', fn);
  return out;
}

function checkDense(m: DenseLike, name: string, fn: string): void {
  if (m === null || typeof m !== 'object' || !(m.data instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be {rows, cols, data: Float64Array} or have apply(x, out)`, name);
  }
  assertInteger(m.rows, `${name}.rows`, 1, fn);
  assertInteger(m.cols, `${name}.cols`, 1, fn);
  assertLength(m.data, m.rows * m.cols, `${name}.data`, fn);
  assertFinite(m.data, `${name}.data`, fn);
}

/**
 * f(x) = ½ xᵀA x − bᵀx + c for a symmetric A, with ∇f = A x − b and ∇²f·v = A v. A is a dense
 * row-major `{rows, cols, data}` (checked square, finite and symmetric to 1e-12 relative) or a
 * matrix-free `{rows, cols, apply(x, out?)}` operator (assumed symmetric; an unsymmetric A would make
 * the gradient ½(A + Aᵀ)x − b, not Ax − b). When A is positive definite the minimiser solves A x = b.
 */
export function quadraticObjective(A: DenseLike | OperatorLike, b: Float64Array, c = 0): Objective {
  const fn = 'quadraticObjective';
  if (A === null || typeof A !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a dense matrix or a linear operator`, 'A');
  }
  const n = b.length;
  if (!(b instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: b must be a Float64Array`, 'b');
  }
  if (n === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: b is empty`, 'b');
  assertFinite(b, 'b', fn);
  checkOption(c, 'c', {}, fn);
  let apply: (x: Float64Array, y: Float64Array) => void;
  if (isOperator(A)) {
    if (A.rows !== n || A.cols !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${A.rows}×${A.cols}; expected ${n}×${n} to match b`, 'A');
    }
    apply = (x, y) => {
      const r = A.apply(x, y);
      if (r !== y) y.set(r);
    };
  } else {
    checkDense(A, 'A', fn);
    if (A.rows !== n || A.cols !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${A.rows}×${A.cols}; expected ${n}×${n} to match b`, 'A');
    }
    let amax = 0;
    for (let i = 0; i < A.data.length; i++) amax = Math.max(amax, Math.abs(A.data[i]));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (Math.abs(A.data[i * n + j] - A.data[j * n + i]) > 1e-12 * amax) {
          throw new OptkitError('INVALID_ARGUMENT', `${fn}: A is not symmetric (A[${i},${j}] ≠ A[${j},${i}])`, 'A');
        }
      }
    }
    const data = Float64Array.from(A.data);
    apply = (x, y) => gemv(n, n, 1, data, n, x, 0, y);
  }
  const ax = new Float64Array(n);
  const bCopy = Float64Array.from(b);
  const valueAt = (x: Float64Array): number => {
    apply(x, ax);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * (0.5 * ax[i] - bCopy[i]);
    return s + c;
  };
  return {
    dim: n,
    value(x) {
      assertLength(x, n, 'x', 'quadraticObjective.value');
      return valueAt(x);
    },
    grad(x, out) {
      assertLength(x, n, 'x', 'quadraticObjective.grad');
      const g = outputFor(n, out, 'quadraticObjective.grad');
      apply(x, ax);
      for (let i = 0; i < n; i++) g[i] = ax[i] - bCopy[i];
      return g;
    },
    valueAndGrad(x, out) {
      assertLength(x, n, 'x', 'quadraticObjective.valueAndGrad');
      const g = outputFor(n, out, 'quadraticObjective.valueAndGrad');
      apply(x, ax);
      let s = 0;
      for (let i = 0; i < n; i++) {
        const xi = x[i];
        s += xi * (0.5 * ax[i] - bCopy[i]);
        g[i] = ax[i] - bCopy[i];
      }
      return { value: s + c, grad: g };
    },
    hvp(x, v, out) {
      assertLength(x, n, 'x', 'quadraticObjective.hvp');
      assertLength(v, n, 'v', 'quadraticObjective.hvp');
      const y = outputFor(n, out, 'quadraticObjective.hvp');
      apply(v, ax);
      y.set(ax);
      return y;
    },
  };
}

/**
 * The Rosenbrock function in `dim` ≥ 2 variables (the chained form of Rosenbrock 1960 used by scipy's
 * `rosen`): f(x) = Σᵢ₌₀^{dim−2} [100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²], minimum 0 at x = (1, …, 1). The
 * Hessian is tridiagonal; `hvp` applies it exactly (scipy `rosen_hess_prod`).
 */
export function rosenbrock(dim = 2): Objective {
  const fn = 'rosenbrock';
  assertInteger(dim, 'dim', 2, fn);
  const n = dim;
  const scratch = new Float64Array(n);
  const gradInto = (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    g.fill(0);
    for (let i = 0; i < n - 1; i++) {
      const xi = x[i];
      const r = x[i + 1] - xi * xi;
      const s = 1 - xi;
      f += 100 * r * r + s * s;
      g[i] += -400 * xi * r - 2 * s;
      g[i + 1] += 200 * r;
    }
    return f;
  };
  return {
    dim: n,
    value(x) {
      assertLength(x, n, 'x', 'rosenbrock.value');
      let f = 0;
      for (let i = 0; i < n - 1; i++) {
        const r = x[i + 1] - x[i] * x[i];
        const s = 1 - x[i];
        f += 100 * r * r + s * s;
      }
      return f;
    },
    grad(x, out) {
      assertLength(x, n, 'x', 'rosenbrock.grad');
      const g = outputFor(n, out, 'rosenbrock.grad');
      // g is zeroed before x is read in full, so compute into scratch when they alias.
      if (g === x) {
        gradInto(x, scratch);
        g.set(scratch);
      } else {
        gradInto(x, g);
      }
      return g;
    },
    valueAndGrad(x, out) {
      assertLength(x, n, 'x', 'rosenbrock.valueAndGrad');
      const g = outputFor(n, out, 'rosenbrock.valueAndGrad');
      let f: number;
      if (g === x) {
        f = gradInto(x, scratch);
        g.set(scratch);
      } else {
        f = gradInto(x, g);
      }
      return { value: f, grad: g };
    },
    hvp(x, v, out) {
      assertLength(x, n, 'x', 'rosenbrock.hvp');
      assertLength(v, n, 'v', 'rosenbrock.hvp');
      const y = outputFor(n, out, 'rosenbrock.hvp');
      const target = y === x || y === v ? scratch : y;
      for (let i = 0; i < n; i++) {
        let hii = 0;
        let s = 0;
        if (i < n - 1) {
          hii += 1200 * x[i] * x[i] - 400 * x[i + 1] + 2;
          s += -400 * x[i] * v[i + 1];
        }
        if (i > 0) {
          hii += 200;
          s += -400 * x[i - 1] * v[i - 1];
        }
        target[i] = hii * v[i] + s;
      }
      if (target !== y) y.set(target);
      return y;
    },
  };
}

export interface LogisticRegressionOptions {
  /** ℓ2 regularisation strength λ ≥ 0 in f(w) = mean loss + (λ/2)‖w‖² (default 0). */
  l2?: number;
}

/**
 * ℓ2-regularised logistic regression without intercept (add a column of ones to X for one):
 * f(w) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + (λ/2)‖w‖², with
 * ∇f = −(1/n) Σᵢ yᵢ σ(−yᵢ xᵢᵀw) xᵢ + λw and ∇²f·v = (1/n) Xᵀ diag(σ(zᵢ)σ(−zᵢ)) X v + λv (z = Xw).
 * X is dense row-major `{rows: n, cols: d, data}` (copied), labels y are ±1 or 0/1 (0 is mapped to
 * −1). The losses use log1p/exp forms that never overflow.
 */
export function logisticRegression(
  X: DenseLike,
  y: ArrayLike<number>,
  options: LogisticRegressionOptions = {},
): Objective {
  const fn = 'logisticRegression';
  checkDense(X, 'X', fn);
  const n = X.rows;
  const d = X.cols;
  if (y === null || typeof y !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: y must be an array of labels`, 'y');
  }
  assertLength(y, n, 'y', fn);
  const l2 = checkOption(options.l2 ?? 0, 'options.l2', { min: 0 }, fn);
  let zeroOne = true;
  let plusMinus = true;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) zeroOne = false;
    if (y[i] !== -1 && y[i] !== 1) plusMinus = false;
  }
  if (!zeroOne && !plusMinus) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: labels y must all be in {-1, 1} or all in {0, 1}`, 'y');
  }
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) labels[i] = y[i] === 1 ? 1 : -1;
  const data = Float64Array.from(X.data);
  const z = new Float64Array(n);
  const r = new Float64Array(n);
  const scratch = new Float64Array(d);
  const invN = 1 / n;

  const margins = (w: Float64Array): void => gemv(n, d, 1, data, d, w, 0, z);
  /** out = (1/n) Xᵀr + λ·w, with r the residual buffer; out must not alias w (callers guard). */
  const xtr = (w: Float64Array, out: Float64Array): void => {
    gemvT(n, d, invN, data, d, r, 0, out);
    if (l2 !== 0) for (let j = 0; j < d; j++) out[j] += l2 * w[j];
  };
  const lossAtMargins = (w: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const m = -labels[i] * z[i];
      // softplus(m) = log(1 + e^m) = max(m, 0) + log1p(e^{−|m|}).
      s += (m > 0 ? m : 0) + Math.log1p(Math.exp(-Math.abs(m)));
    }
    let ww = 0;
    for (let j = 0; j < d; j++) ww += w[j] * w[j];
    return s * invN + 0.5 * l2 * ww;
  };
  const gradResiduals = (): void => {
    for (let i = 0; i < n; i++) {
      const m = -labels[i] * z[i];
      // σ(m) without overflow.
      const sig = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
      r[i] = -labels[i] * sig;
    }
  };
  const gradInto = (w: Float64Array, out: Float64Array): void => {
    margins(w);
    gradResiduals();
    if (out === w) {
      xtr(w, scratch);
      out.set(scratch);
    } else {
      xtr(w, out);
    }
  };
  return {
    dim: d,
    value(w) {
      assertLength(w, d, 'w', 'logisticRegression.value');
      margins(w);
      return lossAtMargins(w);
    },
    grad(w, out) {
      assertLength(w, d, 'w', 'logisticRegression.grad');
      const g = outputFor(d, out, 'logisticRegression.grad');
      gradInto(w, g);
      return g;
    },
    valueAndGrad(w, out) {
      assertLength(w, d, 'w', 'logisticRegression.valueAndGrad');
      const g = outputFor(d, out, 'logisticRegression.valueAndGrad');
      margins(w);
      const f = lossAtMargins(w);
      gradResiduals();
      if (g === w) {
        xtr(w, scratch);
        g.set(scratch);
      } else {
        xtr(w, g);
      }
      return { value: f, grad: g };
    },
    hvp(w, v, out) {
      assertLength(w, d, 'w', 'logisticRegression.hvp');
      assertLength(v, d, 'v', 'logisticRegression.hvp');
      const y = outputFor(d, out, 'logisticRegression.hvp');
      margins(w);
      gemv(n, d, 1, data, d, v, 0, r);
      for (let i = 0; i < n; i++) {
        // σ(z)σ(−z) = e/(1 + e)² with e = exp(−|z|): no cancellation in 1 − σ for large |z|.
        const e = Math.exp(-Math.abs(z[i]));
        r[i] *= e / ((1 + e) * (1 + e));
      }
      if (y === v || y === w) {
        xtr(v, scratch);
        y.set(scratch);
      } else {
        xtr(v, y);
      }
      return y;
    },
  };
}
