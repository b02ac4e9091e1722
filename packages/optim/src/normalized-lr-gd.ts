/**
 * Gradient descent on the logistic loss for linearly separable data: Normalized LR+GD, plain LR+GD
 * and the batch perceptron (its large-step limit), all stopping on margins, not on the loss.
 *
 * Paper: A. Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient
 * Descent with Large Step Sizes", arXiv 2412.08424 (AAAI 2025); method card
 * shared/methods/normalized-lr-gd.md. The paper's exact normaliser could not be re-read (card §7):
 * the default `'gradNorm'` (x ← x − γ∇f/‖∇f‖₂) is the card's reading; `'count'` and `'loss'` are the
 * alternatives it lists. A developer with the PDF should confirm the default.
 */
import {
  CsrMatrix,
  OptkitError,
  assertFinite,
  assertFiniteNumber,
  checkChoice,
  checkOption,
  getKernels,
  nrm2,
  throwIfAborted,
  type History,
  type SolveResult,
  type StopReason,
} from '@optkit/core';

/** A binary classification data set: rows a_i of A (dense row-major or CSR), labels y_i = ±1. */
export interface LogisticData {
  A: CsrMatrix | { rows: number; cols: number; data: Float64Array };
  y: Float64Array;
}

/** Per-iteration diagnostics given to callbacks. */
export interface IterInfo {
  iteration: number;
  /** Logistic loss f(x) = (1/n)Σ log(1 + exp(−m_i)), computed stably. */
  loss: number;
  /** Number of points with margin ≤ 0 (ties count as mistakes). */
  misclassified: number;
  /** min_i y_i a_iᵀx. */
  minMargin: number;
  xNorm: number;
}

export interface ClassifierResult extends SolveResult {
  /** True when every margin exceeds `targetMargin` (reason `'converged'`). */
  separated: boolean;
  /**
   * Series (one entry per evaluated iterate, the start included): `objective` (loss), `residual`
   * (‖∇f‖₂; 0 for the perceptron), `misclassified`, `minMargin`, `xNorm`, `time` (s).
   */
  history: History;
}

export type Normalization = 'gradNorm' | 'count' | 'loss' | 'none';

export interface NormalizedLrGdOptions {
  /** Step size γ > 0 (default 1). */
  gamma?: number;
  /** Divide ∇f by ‖∇f‖₂ (`'gradNorm'`, default), by (1/n)Σσ(−m_i) (`'count'`), by f(x) (`'loss'`), or not at all (`'none'` = LR+GD). */
  normalization?: Normalization;
  /** Iteration limit (default 1e5). */
  maxIter?: number;
  /** Stop when min_i m_i > targetMargin ≥ 0 (default 0). */
  targetMargin?: number;
  /** Start (default 0). */
  x0?: Float64Array;
  /** Called once per evaluated iterate; returning true stops (reason `'callback'`). */
  callback?: (it: IterInfo) => boolean | void;
  signal?: AbortSignal;
}

interface Design {
  n: number;
  d: number;
  /** out = A·x */
  mv: (x: Float64Array, out: Float64Array) => void;
  /** out = Aᵀ·z */
  mvT: (z: Float64Array, out: Float64Array) => void;
}

function checkData(data: LogisticData, fn: string): Design {
  if (data === null || typeof data !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: data must be {A, y}`, 'data');
  }
  const { A, y } = data;
  let design: Design;
  if (A instanceof CsrMatrix) {
    design = { n: A.rows, d: A.cols, mv: (x, out) => void A.spmv(x, out), mvT: (z, out) => void A.spmvT(z, out) };
  } else if (A !== null && typeof A === 'object' && A.data instanceof Float64Array && Number.isInteger(A.rows) && Number.isInteger(A.cols)) {
    const { rows: n, cols: d, data: a } = A;
    if (a.length !== n * d) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: data.A.data has length ${a.length}; expected rows·cols = ${n * d}`, 'data.A');
    }
    assertFinite(a, 'data.A', fn);
    const k = getKernels();
    design = { n, d, mv: (x, out) => k.gemv(n, d, 1, a, d, x, 0, out), mvT: (z, out) => k.gemvT(n, d, 1, a, d, z, 0, out) };
  } else {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: data.A must be a CsrMatrix or a dense {rows, cols, data: Float64Array}`, 'data.A');
  }
  if (design.n === 0 || design.d === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: data.A has no rows or no columns`, 'data.A');
  if (!(y instanceof Float64Array) || y.length !== design.n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: data.y must be a Float64Array of length ${design.n} (one label per row)`, 'data.y');
  }
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1 && y[i] !== -1) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: data.y[${i}] is ${y[i]}; expected labels ±1`, 'data.y');
    }
  }
  return design;
}

/** log(1 + exp(z)) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** σ(−m) = 1/(1 + exp(m)) without overflow. */
function sigmoidNeg(m: number): number {
  if (m >= 0) {
    const e = Math.exp(-m);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(m));
}

function newHistory(): History {
  return { objective: [], residual: [], misclassified: [], minMargin: [], xNorm: [], time: [] };
}

/** The normalised margin min_i y_i a_iᵀx / ‖x‖₂ (−Infinity for x = 0 is avoided: returns 0). */
export function marginOf(data: LogisticData, x: Float64Array): number {
  const fn = 'marginOf';
  const D = checkData(data, fn);
  if (!(x instanceof Float64Array) || x.length !== D.d) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: x must be a Float64Array of length ${D.d}`, 'x');
  }
  assertFinite(x, 'x', fn);
  const norm = nrm2(x);
  if (norm === 0) return 0;
  const z = new Float64Array(D.n);
  D.mv(x, z);
  let mn = Infinity;
  for (let i = 0; i < D.n; i++) mn = Math.min(mn, data.y[i] * z[i]);
  return mn / norm;
}

/**
 * Normalized LR+GD (card §2): x₀ = 0 (or `x0`), and per iteration
 * 1. margins m = y ⊙ (Ax); stop (`'converged'`, `separated: true`) if min m > targetMargin;
 * 2. s_i = σ(−m_i) (stable), ∇f = −(1/n)Aᵀ(y ⊙ s);
 * 3. x ← x − γ∇f/N with N = ‖∇f‖₂ (`'gradNorm'`), (1/n)Σs_i (`'count'`), f(x) (`'loss'`), 1 (`'none'`);
 *    N = 0 or non-finite stops with `'stagnation'` (possible only for non-separable data).
 * Two matrix-vector products per iteration, O(n + d) memory. Without separation it stops at maxIter
 * and returns the iterate with the fewest mistakes. History: see {@link ClassifierResult}.
 */
export function normalizedLogisticGD(data: LogisticData, options: NormalizedLrGdOptions = {}): ClassifierResult {
  return logisticDescent(data, options, 'normalizedLogisticGD', options.normalization ?? 'gradNorm');
}

/** Plain LR+GD, x ← x − γ∇f(x) (the baseline; `normalizedLogisticGD` with `normalization: 'none'`). */
export function logisticGD(data: LogisticData, options: Omit<NormalizedLrGdOptions, 'normalization'> = {}): ClassifierResult {
  return logisticDescent(data, options, 'logisticGD', 'none');
}

function logisticDescent(data: LogisticData, options: NormalizedLrGdOptions, fn: string, normalization: Normalization): ClassifierResult {
  const D = checkData(data, fn);
  const { n, d } = D;
  const y = data.y;
  const gamma = checkOption(options.gamma ?? 1, 'gamma', { min: 0, minExclusive: true }, fn);
  checkChoice(normalization, ['gradNorm', 'count', 'loss', 'none'] as const, 'normalization', fn);
  const maxIter = checkOption(options.maxIter ?? 1e5, 'maxIter', { min: 0, integer: true }, fn);
  const target = checkOption(options.targetMargin ?? 0, 'targetMargin', { min: 0 }, fn);
  const x = new Float64Array(d);
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== d) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${d}`, 'x0');
    }
    assertFinite(options.x0, 'x0', fn);
    x.set(options.x0);
  }
  const z = new Float64Array(n);
  const g = new Float64Array(d);
  const best = x.slice();
  let bestMistakes = Infinity;
  const history = newHistory();
  const start = performance.now();
  let reason: StopReason = 'maxIter';
  let separated = false;
  let it = 0;
  let gradNorm = NaN;
  for (;;) {
    throwIfAborted(options.signal, fn);
    D.mv(x, z);
    let loss = 0;
    let mistakes = 0;
    let minMargin = Infinity;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const m = y[i] * z[i];
      if (m < minMargin) minMargin = m;
      if (m <= 0) mistakes++;
      // One exp per point: with e = exp(−|m|), σ(−m) and log(1 + exp(−m)) both follow stably.
      let s: number;
      if (m >= 0) {
        const e = Math.exp(-m);
        s = e / (1 + e);
        loss += Math.log1p(e);
      } else {
        const e = Math.exp(m);
        s = 1 / (1 + e);
        loss += Math.log1p(e) - m;
      }
      count += s;
      z[i] = -y[i] * s; // reuse z for the weights of Aᵀ
    }
    loss /= n;
    count /= n;
    D.mvT(z, g);
    for (let j = 0; j < d; j++) g[j] /= n;
    gradNorm = nrm2(g);
    const xNorm = nrm2(x);
    history.objective!.push(loss);
    history.residual!.push(gradNorm);
    history.misclassified!.push(mistakes);
    history.minMargin!.push(minMargin);
    history.xNorm!.push(xNorm);
    history.time!.push((performance.now() - start) / 1000);
    if (mistakes < bestMistakes) {
      bestMistakes = mistakes;
      best.set(x);
    }
    if (options.callback && options.callback({ iteration: it, loss, misclassified: mistakes, minMargin, xNorm }) === true) {
      reason = 'callback';
      break;
    }
    if (minMargin > target) {
      separated = true;
      reason = 'converged';
      break;
    }
    if (it >= maxIter) break;
    const N = normalization === 'gradNorm' ? gradNorm : normalization === 'count' ? count : normalization === 'loss' ? loss : 1;
    if (!(N > 0 && N < Infinity) || !(gradNorm > 0)) {
      reason = 'stagnation';
      break;
    }
    const step = gamma / N;
    for (let j = 0; j < d; j++) x[j] -= step * g[j];
    it++;
  }
  return {
    x: separated || reason === 'callback' ? x : best,
    converged: separated,
    separated,
    iterations: it,
    reason,
    history,
    residualNorm: gradNorm,
    matvecs: 2 * (it + 1),
    seconds: (performance.now() - start) / 1000,
  };
}

export interface BatchPerceptronOptions {
  /** Iteration limit (default 1e5). */
  maxIter?: number;
  /** Normalised step u ← u + v/‖v‖ (default false: u ← u + v/n). */
  normalized?: boolean;
  /** Start (default 0). */
  x0?: Float64Array;
  signal?: AbortSignal;
}

/**
 * The batch perceptron, the γ → ∞ limit of LR+GD's x/γ (card §1): u ← u + (1/n)Σ w_i y_i a_i with
 * w_i = 1 if m_i(u) < 0, ½ if m_i(u) = 0 (the tie weight σ(0) that the limit needs), 0 if m_i(u) > 0;
 * `normalized`: u ← u + v/‖v‖ with v = Σ w_i y_i a_i (≤ R²/μ² iterations). Stops when all margins
 * are > 0 (reason `'converged'`), or at maxIter with the iterate of fewest mistakes.
 */
export function batchPerceptron(data: LogisticData, options: BatchPerceptronOptions = {}): ClassifierResult {
  const fn = 'batchPerceptron';
  const D = checkData(data, fn);
  const { n, d } = D;
  const y = data.y;
  const maxIter = checkOption(options.maxIter ?? 1e5, 'maxIter', { min: 0, integer: true }, fn);
  const normalized = options.normalized === true;
  const u = new Float64Array(d);
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== d) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${d}`, 'x0');
    }
    assertFinite(options.x0, 'x0', fn);
    u.set(options.x0);
  }
  const z = new Float64Array(n);
  const v = new Float64Array(d);
  const best = u.slice();
  let bestMistakes = Infinity;
  const history = newHistory();
  const start = performance.now();
  let reason: StopReason = 'maxIter';
  let separated = false;
  let it = 0;
  for (;;) {
    throwIfAborted(options.signal, fn);
    D.mv(u, z);
    let mistakes = 0;
    let minMargin = Infinity;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const m = y[i] * z[i];
      if (m < minMargin) minMargin = m;
      if (m <= 0) mistakes++;
      loss += softplus(-m);
      z[i] = m < 0 ? y[i] : m === 0 ? 0.5 * y[i] : 0;
    }
    history.objective!.push(loss / n);
    history.residual!.push(0);
    history.misclassified!.push(mistakes);
    history.minMargin!.push(minMargin);
    history.xNorm!.push(nrm2(u));
    history.time!.push((performance.now() - start) / 1000);
    if (mistakes < bestMistakes) {
      bestMistakes = mistakes;
      best.set(u);
    }
    if (minMargin > 0) {
      separated = true;
      reason = 'converged';
      break;
    }
    if (it >= maxIter) break;
    D.mvT(z, v);
    const vn = nrm2(v);
    if (!(vn > 0)) {
      reason = 'stagnation';
      break;
    }
    const s = normalized ? 1 / vn : 1 / n;
    for (let j = 0; j < d; j++) u[j] += s * v[j];
    it++;
  }
  return {
    x: separated ? u : best,
    converged: separated,
    separated,
    iterations: it,
    reason,
    history,
    matvecs: 2 * it + 1,
    seconds: (performance.now() - start) / 1000,
  };
}

/** The logistic loss (1/n)Σ log(1 + exp(−y_i a_iᵀx)) (stable) and its gradient into `grad` if given. */
export function logisticLoss(data: LogisticData, x: Float64Array, grad?: Float64Array): number {
  const fn = 'logisticLoss';
  const D = checkData(data, fn);
  if (!(x instanceof Float64Array) || x.length !== D.d) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: x must be a Float64Array of length ${D.d}`, 'x');
  }
  assertFinite(x, 'x', fn);
  if (grad !== undefined && (!(grad instanceof Float64Array) || grad.length !== D.d)) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: grad must be a Float64Array of length ${D.d}`, 'grad');
  }
  const z = new Float64Array(D.n);
  D.mv(x, z);
  let loss = 0;
  for (let i = 0; i < D.n; i++) {
    const m = data.y[i] * z[i];
    loss += softplus(-m);
    z[i] = -data.y[i] * sigmoidNeg(m);
  }
  if (grad) {
    D.mvT(z, grad);
    for (let j = 0; j < D.d; j++) grad[j] /= D.n;
  }
  const f = loss / D.n;
  assertFiniteNumber(f, 'loss', fn);
  return f;
}
