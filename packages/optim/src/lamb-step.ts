/**
 * {@link lambStep}: one LAMB step in place on one parameter tensor (θ, m, v updated), the in-place
 * kernel form of the `lamb` transform of src/lamb.ts, as `lionStep` and `adamwStep` are for Lion and
 * AdamW. LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * arXiv 1904.00962, ICLR 2020; card shared/methods/lamb.md) needs the norm of the whole update before
 * it can scale it, so the step is two passes over the tensor:
 *
 *   pass 1  m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  u ← m̂/(√v̂ + ε) + λθ,
 *           accumulating ‖u‖² and ‖θ‖² (reads θ, g, m, v; writes m, v, u: 32 B/param in float32)
 *   ratio   ρ = φ(‖θ‖)/‖u‖ if ‖θ‖ > 0 and ‖u‖ > 0, else 1 (ρ = 1 without layer adaptation)
 *   pass 2  θ ← θ − lr·ρ·u (reads u, θ; writes θ: 12 B/param)
 *
 * The arithmetic, including every float32 rounding, is that of `lamb` followed by core's
 * `applyUpdates`, so both give the same bits whenever their bias corrections do: lambStep computes
 * 1 − βᵗ from `step` with `**` (as adamwStep), the transform from running products Πβ, and the two can
 * differ in the last bit of a float64 after a few steps (tested: bit-identical with betas whose powers
 * are exact, within 1 ulp of θ per step otherwise). The pass functions are also what each worker of
 * the multi-threaded stepper (src/parallel-step.ts) runs on its slice.
 */
import {
  OptkitError,
  SPECIALIZE_MIN_LENGTH,
  checkOption,
  generateUniqueFunction,
  type ParamArray,
} from '@optkit/core';
import { checkClamp, normFromSumOfSquares, trustRatio } from './lamb-trust.js';
import { checkStepArrays } from './lion.js';

const BETA = { min: 0, max: 1, maxExclusive: true };

/** Hyperparameters of one {@link lambStep} call (plain numbers: resolve schedules first). */
export interface LambStepOptions {
  /** Learning rate ≥ 0. */
  lr: number;
  /** First-moment decay in [0, 1) (the transform's default 0.9). */
  beta1: number;
  /** Second-moment decay in [0, 1) (the transform's default 0.999). */
  beta2: number;
  /** ε ≥ 0 added to √v̂ outside the root (the transform's default 1e-6). */
  epsilon: number;
  /** Decoupled weight decay λ ≥ 0 inside the update u (0 for a tensor excluded from decay). */
  weightDecay: number;
  /** The 1-based step t of the bias corrections 1 − βᵗ (an integer ≥ 1). */
  step: number;
  /** Adam's bias corrections (default true; false: m/(√v + ε) of the raw moments). */
  biasCorrection?: boolean;
  /** false gives ρ = 1 (a tensor excluded from layer adaptation; default true). */
  layerAdaptation?: boolean;
  /** φ clamp [lo, hi] of the weight norm (default none), as the transform's option. */
  clampWeightNorm?: readonly [number, number];
}

/** The scalars of one pass-1 call, computed once per step (shared by all tensors and threads). */
export interface LambPassScalars {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  /** 1/(1 − β₁ᵗ), or 1 without bias correction. */
  r1: number;
  /** 1/(1 − β₂ᵗ), or 1 without bias correction. */
  r2: number;
  eps: number;
}

/** Pass-1 scalars for betas and a 1-based step (r1 = r2 = 1 without bias correction). */
export function lambPassScalars(beta1: number, beta2: number, epsilon: number, step: number, biasCorrection: boolean): LambPassScalars {
  return {
    b1: beta1,
    c1: 1 - beta1,
    b2: beta2,
    c2: 1 - beta2,
    r1: biasCorrection ? 1 / (1 - beta1 ** step) : 1,
    r2: biasCorrection ? 1 / (1 - beta2 ** step) : 1,
    eps: epsilon,
  };
}

/*
 * The loops below are LAMB's pass 1 (also the `lamb` transform's, which passes its gradient buffer
 * as u) and its pass 2 + applyUpdates, written for separate g and u arrays: for float32 the update is rounded with Math.fround exactly where the chain's stores
 * round (after the Adam ratio, after the decay, after ×ρ and after ×(−lr)); the moments feed the
 * ratio unrounded, as in core's scaleByAdam. `+ 0` under the root is scaleByAdam's eps_root = 0.
 * The decay and no-decay cases are separate loops: with λ = 0 the chain adds nothing (adding 0·θ
 * would turn −0 into +0 and an infinite θ into NaN).
 */

function directionF32(
  theta: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, u: Float32Array,
  b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, wd: number,
  sums: Float64Array, at: number,
): void {
  const fr = Math.fround;
  const n = theta.length;
  let uu = 0;
  let ww = 0;
  if (wd !== 0) {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const wi = theta[i];
      const ui = fr(fr((mi * r1) / (Math.sqrt(vi * r2 + 0) + eps)) + wd * wi);
      u[i] = ui;
      uu += ui * ui;
      ww += wi * wi;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const wi = theta[i];
      const ui = fr((mi * r1) / (Math.sqrt(vi * r2 + 0) + eps));
      u[i] = ui;
      uu += ui * ui;
      ww += wi * wi;
    }
  }
  sums[at] = uu;
  sums[at + 1] = ww;
}

function directionF64(
  theta: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, u: Float64Array,
  b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, wd: number,
  sums: Float64Array, at: number,
): void {
  const n = theta.length;
  let uu = 0;
  let ww = 0;
  if (wd !== 0) {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const wi = theta[i];
      const ui = (mi * r1) / (Math.sqrt(vi * r2 + 0) + eps) + wd * wi;
      u[i] = ui;
      uu += ui * ui;
      ww += wi * wi;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const wi = theta[i];
      const ui = (mi * r1) / (Math.sqrt(vi * r2 + 0) + eps);
      u[i] = ui;
      uu += ui * ui;
      ww += wi * wi;
    }
  }
  sums[at] = uu;
  sums[at + 1] = ww;
}

function applyF32(theta: Float32Array, u: Float32Array, rho: number, nlr: number): void {
  const fr = Math.fround;
  const n = theta.length;
  for (let i = 0; i < n; i++) theta[i] += fr(fr(u[i] * rho) * nlr);
}

function applyF64(theta: Float64Array, u: Float64Array, rho: number, nlr: number): void {
  const n = theta.length;
  for (let i = 0; i < n; i++) theta[i] += u[i] * rho * nlr;
}

/*
 * SPECIALISED KERNELS (as in lion.ts and adamw.ts; core's specialize.ts): for tensors of
 * SPECIALIZE_MIN_LENGTH elements or more that come back with the same θ, g, m, v and u arrays, the
 * loops run in a kernel generated for those arrays; the sources are the loops above verbatim with the
 * dtype fixed, so the bits are the same (tested on both sides of the threshold). Five arrays are one
 * more than core's SpecializationCache compares, hence the small cache below with the same rules
 * (keyed on m; a kernel on the second consecutive call with the same arrays; none once code
 * generation turns out to be disallowed). Measured on float32, n = 10⁷, this 2-core VM under load,
 * interleaved, mean of 8 medians: pass 1 with g captured 7.4 ns/param, with g passed as an argument
 * 8.3. Each generated function is a bare loop (see the feedback note in lion.ts's lionKernelSource).
 */
interface LambKernel {
  direction(b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, sums: Float64Array, at: number): void;
  decayed(b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, wd: number, sums: Float64Array, at: number): void;
  apply(rho: number, nlr: number): void;
}
type MakeLambKernel = (theta: ParamArray, grad: ParamArray, m: ParamArray, v: ParamArray, u: ParamArray, n: number) => LambKernel;

interface LambKernelEntry {
  theta: ParamArray;
  grad: ParamArray;
  v: ParamArray;
  u: ParamArray;
  kernel: LambKernel | undefined;
}

const lambKernels = new WeakMap<ParamArray, LambKernelEntry>();
let codegenDisallowed = false;

function lambKernelSource(f32: boolean): string {
  const r = f32 ? 'Math.fround' : '';
  const body = (decay: boolean) => `let uu = 0;
    let ww = 0;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      const wi = theta[i];
      const ui = ${decay ? `${r}(${r}((mi * r1) / (Math.sqrt(vi * r2 + 0) + eps)) + wd * wi)` : `${r}((mi * r1) / (Math.sqrt(vi * r2 + 0) + eps))`};
      u[i] = ui;
      uu += ui * ui;
      ww += wi * wi;
    }
    sums[at] = uu;
    sums[at + 1] = ww;`;
  const apply = f32 ? 'theta[i] += Math.fround(Math.fround(u[i] * rho) * nlr);' : 'theta[i] += u[i] * rho * nlr;';
  return `return {
  direction: function lambDirection(b1, c1, b2, c2, r1, r2, eps, sums, at) {
    ${body(false)}
  },
  decayed: function lambDirectionDecayed(b1, c1, b2, c2, r1, r2, eps, wd, sums, at) {
    ${body(true)}
  },
  apply: function lambApply(rho, nlr) {
    for (let i = 0; i < n; i++) ${apply}
  },
};`;
}

/** The kernel specialised to these arrays, or undefined where the caller should run its shared loop. */
function kernelFor(theta: ParamArray, grad: ParamArray, m: ParamArray, v: ParamArray, u: ParamArray): LambKernel | undefined {
  const n = theta.length;
  if (codegenDisallowed || n < SPECIALIZE_MIN_LENGTH) return undefined;
  const e = lambKernels.get(m);
  if (e === undefined || e.theta !== theta || e.grad !== grad || e.v !== v || e.u !== u) {
    lambKernels.set(m, { theta, grad, v, u, kernel: undefined });
    return undefined;
  }
  if (e.kernel === undefined) {
    try {
      const make = generateUniqueFunction<MakeLambKernel>(['theta', 'grad', 'm', 'v', 'u', 'n'], lambKernelSource(theta instanceof Float32Array));
      e.kernel = make(theta, grad, m, v, u, n);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      codegenDisallowed = true; // code generation from strings is disallowed here
      return undefined;
    }
  }
  return e.kernel;
}

/**
 * LAMB pass 1 on one tensor or slice, without validation (callers validate once): updates m and v,
 * writes u = m̂/(√v̂ + ε) + λθ (λ = `wd`; 0: no decay term), and stores Σu² at `sums[at]` and Σθ² at
 * `sums[at + 1]`, each summed in index order in float64. All arrays share length and dtype; `u` may
 * alias `grad`.
 */
export function lambDirectionPass(
  theta: ParamArray, grad: ParamArray, m: ParamArray, v: ParamArray, u: ParamArray,
  p: LambPassScalars, wd: number, sums: Float64Array, at: number,
): void {
  const kernel = kernelFor(theta, grad, m, v, u);
  if (kernel !== undefined) {
    if (wd !== 0) kernel.decayed(p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, wd, sums, at);
    else kernel.direction(p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, sums, at);
  } else if (theta instanceof Float32Array) {
    directionF32(theta, grad as Float32Array, m as Float32Array, v as Float32Array, u as Float32Array, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, wd, sums, at);
  } else {
    directionF64(theta, grad as Float64Array, m as Float64Array, v as Float64Array, u as Float64Array, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, wd, sums, at);
  }
}

/**
 * LAMB pass 2 on one tensor or slice, without validation: θ ← θ + (u·ρ)·nlr with nlr = −lr, rounded
 * as the chain's stores for float32. `grad`, `m` and `v` only select pass 1's specialised kernel
 * (pass 2 then runs in the same generated code; it must follow pass 1 on the same arrays).
 */
export function lambApplyPass(theta: ParamArray, grad: ParamArray, m: ParamArray, v: ParamArray, u: ParamArray, rho: number, nlr: number): void {
  const e = lambKernels.get(m);
  const kernel = e !== undefined && e.theta === theta && e.grad === grad && e.v === v && e.u === u ? e.kernel : undefined;
  if (kernel !== undefined) kernel.apply(rho, nlr);
  else if (theta instanceof Float32Array) applyF32(theta, u as Float32Array, rho, nlr);
  else applyF64(theta as Float64Array, u as Float64Array, rho, nlr);
}

/**
 * The trust ratio of one tensor from its sums of squares (summed in any order): the card's rule
 * (ρ = φ(‖θ‖)/‖u‖ when both norms are positive, else 1), with the scaled recomputation over `u` /
 * `theta` when a sum overflowed, and 1 when `adapted` is false.
 */
export function lambRatioFromSums(
  uu: number, ww: number, u: ParamArray, theta: ParamArray, adapted: boolean, clamp: readonly [number, number] | undefined,
): number {
  if (!adapted) return 1;
  return trustRatio(normFromSumOfSquares(theta, ww), normFromSumOfSquares(u, uu), clamp);
}

/** Scratch for the two sums of squares of one lambStep call. */
const stepSums = new Float64Array(2);

/**
 * One LAMB step in place on one tensor: θ, m, v updated; `grad` read only; `u` (same length and
 * dtype) is a caller-owned scratch buffer that receives the update direction ρ·u's u (it may alias
 * `grad`, which is then overwritten). Returns the trust ratio ρ applied. Arrays that differ in
 * length or dtype give SHAPE_MISMATCH, `u` aliasing θ, m or v INVALID_ARGUMENT, bad options
 * INVALID_OPTION naming the option. Like lionStep and adamwStep it does not test the gradient: a
 * NaN gradient element gives NaN in its m, v and θ and, through the norm, ρ = 1 for the tensor (as
 * the `lamb` transform does); check gradients first where that matters (core's `Optimizer` has a
 * nanPolicy). Equal to the `lamb` transform + `applyUpdates` (see the module comment for when to
 * the bit).
 *
 * ```ts
 * const rho = lambStep(theta, grad, m, v, scratch, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01, step: t });
 * ```
 */
export function lambStep(theta: ParamArray, grad: ParamArray, m: ParamArray, v: ParamArray, u: ParamArray, o: LambStepOptions): number {
  const fn = 'lambStep';
  checkStepArrays(theta, grad, m, fn, 'm');
  checkStepArrays(theta, grad, v, fn, 'v');
  checkStepArrays(theta, grad, u, fn, 'u');
  if (u === theta || u === m || u === v || m === theta || v === theta || m === v) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: theta, m, v and u must be distinct arrays (only u may alias grad)`, 'u');
  }
  if (o === null || typeof o !== 'object') throw new OptkitError('INVALID_OPTION', `${fn}: options must be an object`, 'options');
  const lr = checkOption(o.lr, 'lr', { min: 0 }, fn);
  const beta1 = checkOption(o.beta1, 'beta1', BETA, fn);
  const beta2 = checkOption(o.beta2, 'beta2', BETA, fn);
  const epsilon = checkOption(o.epsilon, 'epsilon', { min: 0 }, fn);
  const wd = checkOption(o.weightDecay, 'weightDecay', { min: 0 }, fn);
  const step = checkOption(o.step, 'step', { min: 1, integer: true }, fn);
  const clamp = checkClamp(o.clampWeightNorm, fn);
  const p = lambPassScalars(beta1, beta2, epsilon, step, o.biasCorrection !== false);
  lambDirectionPass(theta, grad, m, v, u, p, wd, stepSums, 0);
  const rho = lambRatioFromSums(stepSums[0], stepSums[1], u, theta, o.layerAdaptation !== false, clamp);
  lambApplyPass(theta, grad, m, v, u, rho, -lr);
  return rho;
}
