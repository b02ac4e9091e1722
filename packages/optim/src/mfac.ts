/**
 * M-FAC, the dynamic (sliding-window) part: inverse-Fisher-vector products with the damped empirical
 * Fisher of the last m gradients, `F = λI + (1/m) Σᵢ gᵢgᵢᵀ`, without forming a d×d matrix, and the
 * M-FAC preconditioned optimizer built on it.
 *
 * Paper: E. Frantar, E. Kurtić, D. Alistarh, "M-FAC: Efficient Matrix-Free Approximations of
 * Second-Order Information", NeurIPS 2021 (arXiv 2107.03356); algorithm as in the official
 * `IST-DASLab/M-FAC` `optim.py` (method card shared/methods/mfac.md, "Dynamic algorithm").
 *
 * With κ = 1/λ and the gradients in buffer order g₀..g_{m−1}, F is built by the Sherman–Morrison
 * chain F₀ = λI, Fᵢ = Fᵢ₋₁ + gᵢgᵢᵀ/m, so F⁻¹x = κx − Σᵢ (vᵢᵀx/dᵢ)vᵢ with vᵢ = Fᵢ₋₁⁻¹gᵢ and
 * dᵢ = m + gᵢᵀvᵢ. The window never stores the vᵢ: it keeps the Gram matrix K = GGᵀ (m×m) and
 * - `setup` (O(m³)): Gaussian elimination WITHOUT pivoting of M = κK + mI (SPD, pivots ≥ m) gives the
 *   upper factor U with U_ij = m·δᵢⱼ + gᵢᵀFᵢ₋₁⁻¹gⱼ (j ≥ i) = m·δᵢⱼ + Dᵢⱼ and dᵢ = Uᵢᵢ; the
 *   coefficients B (lower triangular, Bᵢᵢ = κ) with vᵢ = Σⱼ Bᵢⱼgⱼ follow row by row from
 *   B_{i,<i} = Σ_{k<i} (−D_ki/d_k)·B_{k,<i};
 * - `apply` (O(dm + m²)): q = κ·Gx, forward substitution q[i:] −= D[i−1, i:]·q[i−1]/d[i−1] (then
 *   qᵢ = vᵢᵀx), c = Bᵀ(q ⊘ d), F⁻¹x = κx − Gᵀc;
 * - `push` (O(dm + m³)): replace the oldest row of G, update row and column of K, re-run `setup`.
 * All m×m quantities and the products with G are float64 (the card's precision pitfall: κK spans
 * many orders of magnitude and κx − Gᵀc cancels heavily). Dense products go through core's kernel
 * set (gemv/gemvT), so a native BLAS replaces them.
 *
 * Zero rows (a window not yet full, or "removed" gradients) are kept in the formula with the window
 * size m in the denominators, as the reference does: the first products are ≈ g/(λ + ‖g‖²/m), i.e.
 * the first steps scale like m/‖g‖ (natural-gradient behaviour; card pitfall 1).
 */
import {
  OptkitError,
  assertFinite,
  assertInteger,
  assertLength,
  axpy,
  checkOption,
  checkParams,
  checkScalarOrSchedule,
  chain,
  addDecayedWeights,
  getKernels,
  resolve,
  scaleByLearningRate,
  type GradientTransformation,
  type ScalarOrSchedule,
} from '@optkit/core';

/** The m gradients of the window and the m×m factors derived from them (plain typed arrays). */
export interface MfacWindowState {
  /** Window size m (number of gradients kept). */
  m: number;
  /** Dimension d of each gradient. */
  dim: number;
  /** Damping λ added to the Fisher. */
  damp: number;
  /** The gradients, row-major m×d, row i = gᵢ (zero rows until filled). */
  G: Float64Array;
  /** Gram matrix K = GGᵀ, m×m. */
  K: Float64Array;
  /** Upper factor U of κK + mI (strict upper part = D, diagonal = d), m×m; lower part unused. */
  U: Float64Array;
  /** Coefficients B (lower triangular, diagonal κ), m×m, vᵢ = Σⱼ Bᵢⱼgⱼ. */
  B: Float64Array;
  /** Row of G that the next push overwrites. */
  last: number;
  /** Gradients pushed so far. */
  pushes: number;
  /** Work vectors of length m. */
  q: Float64Array;
  c: Float64Array;
  t: Float64Array;
}

/** A new empty window (all-zero gradients, so F = λI and the factors are those of mI). */
export function createMfacWindow(m: number, dim: number, damp = 1e-5): MfacWindowState {
  const fn = 'createMfacWindow';
  checkOption(m, 'ngrads', { min: 1, integer: true }, fn);
  assertInteger(dim, 'dim', 1, fn);
  checkOption(damp, 'damp', { min: 0, minExclusive: true }, fn);
  const w: MfacWindowState = {
    m,
    dim,
    damp,
    G: new Float64Array(m * dim),
    K: new Float64Array(m * m),
    U: new Float64Array(m * m),
    B: new Float64Array(m * m),
    last: 0,
    pushes: 0,
    q: new Float64Array(m),
    c: new Float64Array(m),
    t: new Float64Array(m),
  };
  mfacSetup(w, 0);
  return w;
}

/**
 * Recomputes U (hence D and d) and B from K. Rows of B before `firstChanged` are kept: they depend
 * only on K's leading block, which a push at row `firstChanged` leaves unchanged. O(m³/3) for U.
 */
export function mfacSetup(w: MfacWindowState, firstChanged = 0): void {
  const { m, K, U, B, c } = w;
  const kappa = 1 / w.damp;
  const kern = getKernels();
  // Row i of U (columns i..m−1) is M[i, i:] − Σ_{k<i} (U_ki/U_kk)·U[k, i:], one gemvT on the block
  // U[0:i, i:] (leading dimension m), which is Gaussian elimination without pivoting, row by row.
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let j = i; j < m; j++) U[row + j] = kappa * K[row + j];
    U[row + i] += m;
    if (i > 0) {
      for (let k = 0; k < i; k++) c[k] = -U[k * m + i] / U[k * m + k];
      kern.gemvT(i, m - i, 1, U.subarray(i), m, c.subarray(0, i), 1, U.subarray(row + i, row + m));
    }
  }
  // B row i: B[i, 0:i] = B[0:i, 0:i]ᵀ·coef with coef_k = −D_ki/d_k; B_ii = κ; zeros to the right.
  for (let i = firstChanged; i < m; i++) {
    const row = i * m;
    if (i > 0) {
      for (let k = 0; k < i; k++) c[k] = -U[k * m + i] / U[k * m + k];
      kern.gemvT(i, i, 1, B, m, c.subarray(0, i), 0, B.subarray(row, row + i));
    }
    B[row + i] = kappa;
    for (let j = i + 1; j < m; j++) B[row + j] = 0;
  }
}

/**
 * out ← F⁻¹x for the current window (x and out of length d; they may not alias). Uses `w.q`, `w.c`;
 * when `Gx` is given it must already hold G·x (pushAndApply reuses it).
 */
export function mfacApply(w: MfacWindowState, x: Float64Array, out: Float64Array, Gx?: Float64Array): Float64Array {
  const { m, dim, G, q, c } = w;
  const kappa = 1 / w.damp;
  if (Gx) {
    for (let i = 0; i < m; i++) q[i] = Gx[i];
  } else {
    getKernels().gemv(m, dim, 1, G, dim, x, 0, q);
  }
  mfacCoefficients(w, q, c);
  out.set(x);
  getKernels().gemvT(m, dim, -1, G, dim, c, kappa, out);
  return out;
}

/**
 * The m×m part of {@link mfacApply}: given `Gx` (= G·x, length m; overwritten), writes into `c` the
 * coefficients with F⁻¹x = κx − Gᵀc, i.e. q = κ·Gx, forward substitution (then qᵢ = vᵢᵀx),
 * c = Bᵀ(q ⊘ d). O(m²). Used directly by holders of G elsewhere (the tfjs class keeps G on the device).
 */
export function mfacCoefficients(w: MfacWindowState, Gx: Float64Array, c: Float64Array): Float64Array {
  const { m, U, B } = w;
  const q = Gx;
  const kappa = 1 / w.damp;
  for (let i = 0; i < m; i++) q[i] *= kappa;
  // Forward substitution: afterwards qᵢ = vᵢᵀx.
  for (let i = 1; i < m; i++) {
    const s = q[i - 1] / U[(i - 1) * m + (i - 1)];
    const row = (i - 1) * m;
    for (let j = i; j < m; j++) q[j] -= U[row + j] * s;
  }
  for (let i = 0; i < m; i++) q[i] /= U[i * m + i];
  getKernels().gemvT(m, m, 1, B, m, q, 0, c);
  return c;
}

/**
 * Replaces the oldest gradient of the window by `g` and refreshes the factors. Writes G·g (with the
 * new row) into `w.t` and returns it.
 */
export function mfacPush(w: MfacWindowState, g: Float64Array): Float64Array {
  const { m, dim, G, K, t } = w;
  const r = w.last;
  G.set(g, r * dim);
  getKernels().gemv(m, dim, 1, G, dim, g, 0, t);
  for (let i = 0; i < m; i++) {
    K[r * m + i] = t[i];
    K[i * m + r] = t[i];
  }
  mfacSetup(w, r);
  w.last = (r + 1) % m;
  w.pushes++;
  return t;
}

/** Pushes `g` and writes F⁻¹g for the updated window into `out` (reusing G·g). */
export function mfacPushAndApply(w: MfacWindowState, g: Float64Array, out: Float64Array): Float64Array {
  const t = mfacPush(w, g);
  return mfacApply(w, g, out, t);
}

export interface MfacInverseOptions {
  /** Damping λ > 0 added to the Fisher (default 1e-5, the reference's `damp`). */
  damp?: number;
}

/**
 * The dynamic M-FAC inverse-Fisher operator over a sliding window of `m` gradients of dimension `d`
 * (card API `MFACDynamicInverse`; a symmetric core `LinearOperator`). See the file comment for the
 * algorithm and costs.
 */
export class MfacInverse {
  readonly rows: number;
  readonly cols: number;
  readonly state: MfacWindowState;

  /** @param m window size (≥ 1; `ngrads`), @param d gradient dimension. */
  constructor(m: number, d: number, options: MfacInverseOptions = {}) {
    this.state = createMfacWindow(m, d, options.damp ?? 1e-5);
    this.rows = d;
    this.cols = d;
  }

  get m(): number {
    return this.state.m;
  }

  get d(): number {
    return this.state.dim;
  }

  /** Replaces the oldest gradient by `g` (length d, finite). */
  push(g: Float64Array): void {
    this.check(g, 'g', 'MfacInverse.push');
    mfacPush(this.state, g);
  }

  /** F⁻¹x (length d) into `out` (allocated if omitted). */
  apply(x: Float64Array, out?: Float64Array): Float64Array {
    const fn = 'MfacInverse.apply';
    this.check(x, 'x', fn);
    const o = out ?? new Float64Array(this.state.dim);
    if (out) assertLength(out, this.state.dim, 'out', fn);
    if (o === x) throw new OptkitError('INVALID_ARGUMENT', `${fn}: out must not alias x`, 'out');
    return mfacApply(this.state, x, o);
  }

  /** F is symmetric: applyT = apply. */
  applyT(x: Float64Array, out?: Float64Array): Float64Array {
    return this.apply(x, out);
  }

  /** Pushes `g`, then returns F⁻¹g for the new window (one G·g product shared). */
  pushAndApply(g: Float64Array, out?: Float64Array): Float64Array {
    const fn = 'MfacInverse.pushAndApply';
    this.check(g, 'g', fn);
    const o = out ?? new Float64Array(this.state.dim);
    if (out) assertLength(out, this.state.dim, 'out', fn);
    if (o === g) throw new OptkitError('INVALID_ARGUMENT', `${fn}: out must not alias g`, 'out');
    return mfacPushAndApply(this.state, g, o);
  }

  private check(v: Float64Array, name: string, fn: string): void {
    if (!(v instanceof Float64Array)) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: ${name} must be a Float64Array`, name);
    }
    assertLength(v, this.state.dim, name, fn);
    assertFinite(v, name, fn);
  }
}

// ---------------------------------------------------------------------------------------------
// The optimizer

export interface ScaleByMfacOptions {
  /** Window size m, an integer ≥ 1 (default 64; the reference's 1024 costs ≈1e9 flops per step in JS, card pitfall 3). */
  ngrads?: number;
  /** Damping λ > 0 (default 1e-5). */
  damp?: number;
  /** Momentum μ in [0, 1) on the preconditioned direction, v ← μv + (1 − μ)u (default 0: none). */
  momentum?: ScalarOrSchedule;
}

export interface ScaleByMfacState {
  count: number;
  /** The gradient window and its factors (one window over all parameters, concatenated by key order). */
  window: MfacWindowState;
  /** The concatenated gradient of this step (float64). */
  flat: Float64Array;
  /** The preconditioned direction F⁻¹g. */
  direction: Float64Array;
  /** Momentum buffer v (float64; zero and unused when momentum is 0). */
  velocity: Float64Array;
}

/**
 * M-FAC preconditioning (repo `MFAC.step`): the gradients of all parameters are concatenated (key
 * order of the params given to init) into g ∈ ℝᵈ; u = pushAndApply(g) = F⁻¹g for the window that
 * now holds g; with momentum μ > 0 the output is v ← μv + (1 − μ)u, else u. Scale with a learning
 * rate afterwards (see {@link mfac}). Float32 parameters get float32 updates; all internal
 * arithmetic is float64.
 */
export function scaleByMfac(options: ScaleByMfacOptions = {}): GradientTransformation<ScaleByMfacState> {
  const fn = 'scaleByMfac';
  const m = checkOption(options.ngrads ?? 64, 'ngrads', { min: 1, integer: true }, fn);
  const damp = checkOption(options.damp ?? 1e-5, 'damp', { min: 0, minExclusive: true }, fn);
  const momentum = checkScalarOrSchedule(options.momentum ?? 0, 'momentum', { min: 0, max: 1, maxExclusive: true }, fn);
  return {
    init(params) {
      checkParams(params, 'params', fn);
      let d = 0;
      for (const key in params) d += params[key].length;
      if (d === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: params hold no entries`, 'params');
      return {
        count: 0,
        window: createMfacWindow(m, d, damp),
        flat: new Float64Array(d),
        direction: new Float64Array(d),
        velocity: new Float64Array(d),
      };
    },
    update(updates, state) {
      const mu = resolve(momentum, state.count, 'momentum');
      if (!(mu >= 0 && mu < 1)) checkOption(mu, 'momentum', { min: 0, max: 1, maxExclusive: true }, fn);
      state.count++;
      const { flat, direction, velocity } = state;
      let off = 0;
      for (const key in updates) {
        const u = updates[key];
        for (let i = 0; i < u.length; i++) flat[off + i] = u[i];
        off += u.length;
      }
      if (off !== flat.length) {
        throw new OptkitError('SHAPE_MISMATCH', `${fn}: updates hold ${off} entries; the params given to init hold ${flat.length}`, 'updates');
      }
      mfacPushAndApply(state.window, flat, direction);
      let out = direction;
      if (mu > 0) {
        for (let i = 0; i < velocity.length; i++) velocity[i] *= mu;
        axpy(1 - mu, direction, velocity);
        out = velocity;
      }
      off = 0;
      for (const key in updates) {
        const u = updates[key];
        for (let i = 0; i < u.length; i++) u[i] = out[off + i];
        off += u.length;
      }
    },
  };
}

export interface MfacOptions extends ScaleByMfacOptions {
  /**
   * Optimise only the weights that are nonzero in the params given to init (the reference's `sparse`
   * option, for fine-tuning pruned models): their gradients are masked before they enter the window,
   * so the Fisher is the one of the compressed (support-only) problem and pruned weights stay exactly
   * 0. Default false.
   */
  sparse?: boolean;
  /** Learning rate ≥ 0 (default 1e-3, the reference's). */
  lr?: ScalarOrSchedule;
  /** L2 weight decay ≥ 0 added to the gradient BEFORE preconditioning, g ← ∇L + wd·w (default 0). */
  weightDecay?: ScalarOrSchedule;
}

/**
 * The M-FAC optimizer (repo `MFAC`): `chain(addDecayedWeights(weightDecay), scaleByMfac({ngrads,
 * damp, momentum}), scaleByLearningRate(lr))`, i.e. w ← w − lr·(μv + (1 − μ)F⁻¹(∇L + wd·w)).
 * Defaults: lr 1e-3, momentum 0, weightDecay 0, ngrads 64 (deviation: the reference uses 1024 on
 * GPUs; the O(m³) setup per step makes 32–128 the practical range on a CPU), damp 1e-5, sparse
 * false (with `sparse: true` a {@link freezeInitialZeros} step comes first).
 */
export function mfac(options: MfacOptions = {}): GradientTransformation<unknown[]> {
  const fn = 'mfac';
  const lr = checkScalarOrSchedule(options.lr ?? 1e-3, 'lr', { min: 0 }, fn);
  const wd = checkScalarOrSchedule(options.weightDecay ?? 0, 'weightDecay', { min: 0 }, fn);
  if (options.sparse !== undefined && typeof options.sparse !== 'boolean') {
    throw new OptkitError('INVALID_OPTION', `${fn}: sparse must be a boolean, got ${String(options.sparse)}`, 'sparse');
  }
  const precond = scaleByMfac(options);
  const steps: GradientTransformation<unknown>[] = [];
  if (options.sparse) steps.push(freezeInitialZeros() as GradientTransformation<unknown>);
  if (wd !== 0) steps.push(addDecayedWeights(wd) as GradientTransformation<unknown>);
  steps.push(precond as GradientTransformation<unknown>, scaleByLearningRate(lr) as GradientTransformation<unknown>);
  return chain(...steps);
}

/** State of {@link freezeInitialZeros}: 1 where the parameter entry was nonzero at init. */
export interface FreezeInitialZerosState {
  support: Record<string, Uint8Array>;
}

/**
 * Zeroes the update of every parameter entry that was exactly 0 in the params given to init, so
 * pruned weights stay pruned (sparse fine-tuning). Placed first in a chain, it also keeps those
 * entries out of every later statistic (M-FAC's gradient window, Adam's moments).
 */
export function freezeInitialZeros(): GradientTransformation<FreezeInitialZerosState> {
  const fn = 'freezeInitialZeros';
  return {
    init(params) {
      checkParams(params, 'params', fn);
      const support: Record<string, Uint8Array> = {};
      for (const key in params) {
        const p = params[key];
        const s = new Uint8Array(p.length);
        for (let i = 0; i < p.length; i++) s[i] = p[i] !== 0 ? 1 : 0;
        support[key] = s;
      }
      return { support };
    },
    update(updates, state) {
      for (const key in updates) {
        const u = updates[key];
        const s = state.support[key];
        if (!s || s.length !== u.length) {
          throw new OptkitError('SHAPE_MISMATCH', `${fn}: updates.${key} does not match the params given to init`, `updates.${key}`);
        }
        for (let i = 0; i < u.length; i++) if (s[i] === 0) u[i] = 0;
      }
    },
  };
}
