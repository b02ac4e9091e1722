import { OptkitError, Rng, applyUpdates, generatedFunctionCount, type ParamArray, type Params } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { lamb, lastTrustRatios, type LambOptions } from './lamb.js';
import { lambStep, type LambStepOptions } from './lamb-step.js';

function codeOf(fn: () => unknown): { code: string; argument: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

/** Distance in units in the last place between two arrays of the same dtype (max over elements). */
function maxUlps(a: ParamArray, b: ParamArray): number {
  let worst = 0;
  if (a instanceof Float32Array) {
    const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
    const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < a.length; i++) {
      if (Object.is(a[i], b[i])) continue;
      if (Math.sign(a[i]) !== Math.sign(b[i]) || Number.isNaN(a[i]) || Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
      worst = Math.max(worst, Math.abs(ia[i] - ib[i]));
    }
    return worst;
  }
  const ia = new BigInt64Array(a.buffer, a.byteOffset, a.length);
  const ib = new BigInt64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    if (Math.sign(a[i]) !== Math.sign(b[i]) || Number.isNaN(a[i]) || Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    const d = ia[i] - ib[i];
    worst = Math.max(worst, Number(d < 0n ? -d : d));
  }
  return worst;
}

function bitEqual(a: ParamArray, b: ParamArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

interface Case {
  label: string;
  transform: LambOptions;
  /** lambStep's options without step and weightDecay (per tensor). */
  step: Omit<LambStepOptions, 'step' | 'weightDecay'>;
  weightDecay: number;
}

/**
 * Runs the `lamb` transform + applyUpdates and lambStep side by side on one tensor `w` for `steps`
 * steps with the same pseudo-gradients; returns the max ulp distance of θ, the max of
 * |Δ|/(tolerance · max(|θ before|, ‖step‖∞)) (≤ 1 passes; see the float64 test), and
 * whether m, v and ρ matched bit for bit. With `sync`, lambStep's θ, m, v are reset to the transform's before each step
 * (a per-step comparison).
 */
function compare(c: Case, f32: boolean, n: number, steps: number, sync: boolean) {
  const rng = new Rng(7);
  const make = () => (f32 ? new Float32Array(n) : new Float64Array(n));
  const w0 = rng.fillNormal(make());
  const params: Params = { w: w0.slice() };
  const t = lamb({ ...c.transform, weightDecay: c.weightDecay });
  const state = t.init(params);
  const theta = w0.slice();
  const m = make();
  const v = make();
  const u = make();
  const grad = make(); // one gradient buffer for all steps, so the specialised kernels apply from step 2
  let worst = 0;
  let worstScaled = 0;
  let momentsEqual = true;
  let ratiosEqual = true;
  for (let k = 1; k <= steps; k++) {
    const g = make();
    for (let i = 0; i < n; i++) g[i] = params.w[i] - 0.5 + 0.1 * rng.normal();
    grad.set(g);
    if (sync) {
      theta.set(params.w);
      m.set(state[0].mu.w);
      v.set(state[0].nu.w);
    }
    const before = params.w.slice();
    const updates = { w: g };
    t.update(updates, state, params);
    applyUpdates(params, updates);
    const rho = lambStep(theta, grad, m, v, u, { ...c.step, weightDecay: c.weightDecay, step: k });
    // Relative difference of the bias corrections (the only thing computed differently), plus 8 ulps.
    const b1 = c.step.beta1;
    const b2 = c.step.beta2;
    const rel = (a: number, b: number) => Math.abs(a / b - 1);
    const correctionGap = c.step.biasCorrection === false ? 0 : rel(1 - b1 ** k, 1 - state[0].b1Power) + rel(1 - b2 ** k, 1 - state[0].b2Power) / 2;
    const unit = (f32 ? 2 ** -23 : 2 ** -52) * 8 + correctionGap;
    let stepMax = 0;
    for (let i = 0; i < n; i++) stepMax = Math.max(stepMax, Math.abs(updates.w[i]));
    for (let i = 0; i < n; i++) {
      const scale = Math.max(Math.abs(before[i]), stepMax) * unit;
      worstScaled = Math.max(worstScaled, Math.abs(theta[i] - params.w[i]) / scale);
    }
    worst = Math.max(worst, maxUlps(theta, params.w));
    momentsEqual &&= bitEqual(m, state[0].mu.w) && bitEqual(v, state[0].nu.w);
    ratiosEqual &&= Object.is(rho, lastTrustRatios(state).w);
  }
  return { worst, worstScaled, momentsEqual, ratiosEqual };
}

const cases: Case[] = [
  { label: 'defaults, λ = 0', transform: {}, step: { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 }, weightDecay: 0 },
  { label: 'λ = 0.01', transform: { lr: 0.02 }, step: { lr: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 }, weightDecay: 0.01 },
  {
    label: 'no bias correction, λ = 0.1',
    transform: { biasCorrection: false, lr: 0.01 },
    step: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, biasCorrection: false },
    weightDecay: 0.1,
  },
  {
    label: 'φ clamp [0.5, 2]',
    transform: { clampWeightNorm: [0.5, 2] },
    step: { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clampWeightNorm: [0.5, 2] },
    weightDecay: 0.01,
  },
  {
    label: 'no layer adaptation',
    transform: { layerAdaptation: false, lr: 0.01 },
    step: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, layerAdaptation: false },
    weightDecay: 0.01,
  },
];

/** Betas whose powers are exact in float64 (β = 0.5, 0.75: βᵗ = Πβ for t ≤ 30), so r1, r2 agree. */
function dyadic(c: Case): Case {
  return { ...c, transform: { ...c.transform, beta1: 0.5, beta2: 0.75 }, step: { ...c.step, beta1: 0.5, beta2: 0.75 } };
}

describe('lambStep', () => {
  // 1001 runs the shared loops; 40000 (≥ SPECIALIZE_MIN_LENGTH) the specialised kernels from step 2.
  for (const n of [1001, 40_000]) {
    for (const f32 of [false, true]) {
      it(`${f32 ? 'float32' : 'float64'}, n = ${n}: equals lamb + applyUpdates bit for bit when βᵗ = Πβ (θ, m, v, ρ; 12 steps, every option)`, () => {
        const generated = generatedFunctionCount();
        for (const c of cases) {
          const r = compare(dyadic(c), f32, n, 12, false);
          expect(r.worst, c.label).toBe(0);
          expect(r.momentsEqual, c.label).toBe(true);
          expect(r.ratiosEqual, c.label).toBe(true);
        }
        // One kernel per case at n ≥ SPECIALIZE_MIN_LENGTH (so the generated code was what ran), none below.
        expect(generatedFunctionCount() - generated).toBe(n >= 32_768 ? cases.length : 0);
      });
    }
  }

  // With β = (0.9, 0.999) the bias corrections 1/(1 − βᵗ) (lambStep) and 1/(1 − Πβ) (the transform)
  // differ in the last bit of a float64 from t = 5 on. The tolerance, per step from the same state:
  // float32 θ within 1 ulp (the float64 difference almost never survives the float32 roundings);
  // float64 θᵢ within (δ + 8·2⁻⁵²)·max(|θᵢ before|, ‖lr·ρ·u‖∞), where δ = the relative difference of
  // 1 − β₁ᵗ plus half that of 1 − β₂ᵗ between the two ways of computing them: 1 − β₂ᵗ cancels
  // (0.999⁸ ≈ 0.992), so its one-ulp difference in β₂ᵗ becomes up to ~60 ulps of 1 − β₂ᵗ early on.
  // Neither form is the more accurate one; ulps of θᵢ or uᵢ are no measure where θ + step or the
  // Adam ratio + λθ cancel.
  it('float32: with β = (0.9, 0.999) (βᵗ ≠ Πβ from t = 5) each step is within 1 ulp of θ; m, v bit for bit', () => {
    for (const c of cases) {
      const r = compare(c, true, 3001, 30, true);
      expect(r.worst, c.label).toBeLessThanOrEqual(1);
      expect(r.momentsEqual, c.label).toBe(true);
    }
  });

  it('float64: with β = (0.9, 0.999) each step is within the bias corrections’ difference + 8 ulps; m, v bit for bit', () => {
    for (const c of cases) {
      const r = compare(c, false, 3001, 30, true);
      expect(r.worstScaled, c.label).toBeLessThanOrEqual(1);
      expect(r.momentsEqual, c.label).toBe(true);
    }
  });

  it('first step by hand: ‖Δθ‖ = lr·‖θ‖, ρ = ‖θ‖/‖u‖', () => {
    const theta = new Float64Array([3, 4]);
    const grad = new Float64Array([1, -1]);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    const u = new Float64Array(2);
    const rho = lambStep(theta, grad, m, v, u, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01, step: 1 });
    // Step 1: m̂ = g, v̂ = g², so u = g/(|g| + ε) + λθ = ±1/(1 + 1e-6) + 0.01·θ.
    const u0 = 1 / (1 + 1e-6) + 0.03;
    const u1 = -1 / (1 + 1e-6) + 0.04;
    expect(u[0]).toBeCloseTo(u0, 14);
    expect(u[1]).toBeCloseTo(u1, 14);
    expect(rho).toBeCloseTo(5 / Math.hypot(u0, u1), 12);
    expect(Math.hypot(theta[0] - 3, theta[1] - 4)).toBeCloseTo(0.05, 14);
    expect(Array.from(m)).toEqual([(1 - 0.9) * 1, (1 - 0.9) * -1]);
  });

  it('ρ = 1 for a zero tensor, for a zero update, and without layer adaptation', () => {
    const o = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0, step: 1 };
    const z = () => new Float64Array(3);
    // θ = 0: ρ = 1 even with a clamp whose lower end is positive (the zero test is on the raw ‖θ‖).
    const t0 = z();
    expect(lambStep(t0, new Float64Array([1, -2, 3]), z(), z(), z(), { ...o, clampWeightNorm: [1, 2] })).toBe(1);
    expect(Array.from(t0, (x) => Math.round(x * 1e6) / 1e6)).toEqual([-0.1, 0.1, -0.1]); // a plain Adam step
    // g = 0 and λ = 0: u = 0, ρ = 1, θ unchanged.
    const t1 = new Float64Array([1, 2, 3]);
    expect(lambStep(t1, z(), z(), z(), z(), o)).toBe(1);
    expect(Array.from(t1)).toEqual([1, 2, 3]);
    expect(lambStep(new Float64Array([3, 4, 0]), new Float64Array([1, 1, 1]), z(), z(), z(), { ...o, layerAdaptation: false })).toBe(1);
    // The clamp: ‖θ‖ = 5 clamped to 2.
    const u = z();
    const rho = lambStep(new Float64Array([3, 4, 0]), new Float64Array([1, 1, 1]), z(), z(), u, { ...o, clampWeightNorm: [0.5, 2] });
    expect(rho).toBeCloseTo(2 / Math.hypot(u[0], u[1], u[2]), 14);
  });

  it('u may alias grad (same result); NaN gradients propagate to θ with ρ = 1, as the lamb transform does', () => {
    const rng = new Rng(3);
    const w = rng.fillNormal(new Float32Array(50));
    const g = rng.fillNormal(new Float32Array(50));
    const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01, step: 1 };
    const a = w.slice();
    const b = w.slice();
    const ra = lambStep(a, g, new Float32Array(50), new Float32Array(50), new Float32Array(50), o);
    const gb = g.slice();
    const rb = lambStep(b, gb, new Float32Array(50), new Float32Array(50), gb, o);
    expect(rb).toBe(ra);
    expect(bitEqual(a, b)).toBe(true);

    const gNaN = g.slice();
    gNaN[7] = Number.NaN;
    const c = w.slice();
    const params = { w: w.slice() };
    const t = lamb({ lr: 0.01, weightDecay: 0.01 });
    const s = t.init(params);
    const updates = { w: gNaN.slice() };
    t.update(updates, s, params);
    applyUpdates(params, updates);
    expect(lambStep(c, gNaN, new Float32Array(50), new Float32Array(50), new Float32Array(50), o)).toBe(1);
    expect(Number.isNaN(c[7])).toBe(true);
    expect(bitEqual(c, params.w)).toBe(true);
  });

  it('bad input: SHAPE_MISMATCH for lengths or dtypes, INVALID_ARGUMENT for aliased state, INVALID_OPTION naming the option', () => {
    const a = () => new Float64Array(4);
    const o: LambStepOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0, step: 1 };
    expect(codeOf(() => lambStep(a(), new Float64Array(3), a(), a(), a(), o))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'grad' });
    expect(codeOf(() => lambStep(a(), a(), new Float32Array(4), a(), a(), o))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'm' });
    expect(codeOf(() => lambStep(a(), a(), a(), new Float64Array(5), a(), o))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'v' });
    expect(codeOf(() => lambStep(a(), a(), a(), a(), new Float32Array(4), o))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'u' });
    expect(codeOf(() => lambStep([1, 2] as unknown as Float64Array, a(), a(), a(), a(), o)).code).toBe('INVALID_ARGUMENT');
    const th = a();
    const m = a();
    expect(codeOf(() => lambStep(th, a(), m, a(), th, o))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'u' });
    expect(codeOf(() => lambStep(th, a(), m, m, a(), o)).code).toBe('INVALID_ARGUMENT');
    const bad: Array<[Partial<LambStepOptions>, string]> = [
      [{ lr: Number.NaN }, 'lr'],
      [{ lr: -1 }, 'lr'],
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: -0.1 }, 'beta2'],
      [{ beta2: Number.NaN }, 'beta2'],
      [{ epsilon: -1e-8 }, 'epsilon'],
      [{ weightDecay: Number.POSITIVE_INFINITY }, 'weightDecay'],
      [{ step: 0 }, 'step'],
      [{ step: 1.5 }, 'step'],
      [{ clampWeightNorm: [2, 1] }, 'clampWeightNorm[1]'],
      [{ clampWeightNorm: [1] as unknown as [number, number] }, 'clampWeightNorm'],
    ];
    for (const [patch, name] of bad) {
      expect(codeOf(() => lambStep(a(), a(), a(), a(), a(), { ...o, ...patch })), name).toEqual({ code: 'INVALID_OPTION', argument: name });
    }
    expect(codeOf(() => lambStep(a(), a(), a(), a(), a(), null as unknown as LambStepOptions)).code).toBe('INVALID_OPTION');
  });
});
