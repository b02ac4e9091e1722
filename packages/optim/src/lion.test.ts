import {
  Optimizer,
  OptkitError,
  Rng,
  addDecayedWeights,
  applyUpdates,
  SPECIALIZE_MIN_LENGTH,
  chain,
  generatedFunctionCount,
  scaleByLearningRate,
  type GradientTransformation,
  type Params,
} from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { lion, lionStep, scaleByLion } from './lion.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  throw new Error('expected an OptkitError');
}

function clone(p: Params): Params {
  const out: Params = {};
  for (const k in p) out[k] = p[k].slice();
  return out;
}

/** Runs `steps` steps of `t` on params with gradients drawn from a seeded rng (same for every call). */
function runWith(t: GradientTransformation<any>, init: Params, steps: number, seed = 5): { params: Params; state: any } {
  const params = clone(init);
  const state = t.init(params);
  const rng = new Rng(seed);
  for (let s = 0; s < steps; s++) {
    const g: Params = {};
    for (const k in params) {
      const a = params[k] instanceof Float32Array ? new Float32Array(params[k].length) : new Float64Array(params[k].length);
      rng.fillNormal(a);
      // A few exact zeros, and a gradient correlated with the params, so decay and sign(0) both matter.
      for (let i = 0; i < a.length; i++) a[i] = i % 7 === 3 ? 0 : a[i] + 0.3 * params[k][i];
      g[k] = a;
    }
    t.update(g, state, params);
    applyUpdates(params, g);
  }
  return { params, state };
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function initParams(dtype: 'f64' | 'f32'): Params {
  const rng = new Rng(11);
  const mk = (n: number) => rng.fillNormal(dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
  return { w: mk(33), b: mk(5) };
}

describe('lion: known answers (lion.md E1)', () => {
  it('one step from m = 0: θ₁ = (1 − lrλ)θ₀ − lr·sign(g₁), m = (1 − β₂)g₁', () => {
    const theta0 = new Float64Array([0.7, -1.3, 2.0, 0.25]);
    const g = new Float64Array([0.4, 2.5, -1e-9, 0]);
    const lr = 0.01;
    const wd = 0.3;
    const params = { x: theta0.slice() };
    const opt = new Optimizer(lion({ lr, weightDecay: wd }), params);
    opt.step({ x: g.slice() });
    const sign = [1, 1, -1, 0];
    for (let i = 0; i < 4; i++) {
      const expected = (1 - lr * wd) * theta0[i] - lr * sign[i];
      expect(Math.abs(params.x[i] - expected)).toBeLessThanOrEqual(4e-16 * Math.abs(expected));
      expect((opt.state as any).mu.x[i]).toBe((1 - 0.99) * g[i]);
    }
  });

  it('3-step hand trajectory with β₁ = 0.5, β₂ = 0.9 and a zero gradient entry', () => {
    // Hand computation (lr 0.1, λ 0.1), see the comments for each step:
    // 1: c = 0.5g₁ → s = (1,−1,0); θ₁ = (0.89, −1.88, 0.495); m₁ = 0.1g₁ = (0.05, −0.1, 0)
    // 2: c = 0.5m₁ + 0.5g₂ = (−0.975, 0.2, 0) → s = (−1, 1, 0); θ₂ = (0.9811, −1.9612, 0.49005);
    //    m₂ = 0.9m₁ + 0.1g₂ = (−0.155, −0.04, 0)
    // 3: c = 0.5m₂ + 0.5g₃ = (−0.0275, 0.08, 0) → s = (−1, 1, 0); θ₃ = (1.071289, −2.041588, 0.4851495);
    //    m₃ = (−0.1295, −0.016, 0)
    // With β₁ and β₂ swapped, step 2's first c would be 0.9·0.25 − 0.2 = +0.025: a different sign.
    const grads = [
      [0.5, -1, 0],
      [-2, 0.5, 0],
      [0.1, 0.2, 0],
    ];
    const expectedTheta = [
      [0.89, -1.88, 0.495],
      [0.9811, -1.9612, 0.49005],
      [1.071289, -2.041588, 0.4851495],
    ];
    const expectedM = [
      [0.05, -0.1, 0],
      [-0.155, -0.04, 0],
      [-0.1295, -0.016, 0],
    ];
    for (const make of [
      () => lion({ lr: 0.1, beta1: 0.5, beta2: 0.9, weightDecay: 0.1 }),
      () => chain(scaleByLion({ beta1: 0.5, beta2: 0.9 }), addDecayedWeights(0.1), scaleByLearningRate(0.1)),
    ] as (() => GradientTransformation<any>)[]) {
      const params = { x: new Float64Array([1, -2, 0.5]) };
      const opt = new Optimizer(make(), params);
      for (let t = 0; t < 3; t++) {
        opt.step({ x: new Float64Array(grads[t]) });
        const mu = (Array.isArray(opt.state) ? (opt.state as any)[0].mu.x : (opt.state as any).mu.x) as Float64Array;
        for (let i = 0; i < 3; i++) {
          expect(params.x[i]).toBeCloseTo(expectedTheta[t][i], 14);
          expect(mu[i]).toBeCloseTo(expectedM[t][i], 15);
        }
      }
    }
    // The swapped betas really give other numbers (the test can tell them apart).
    const swapped = { x: new Float64Array([1, -2, 0.5]) };
    const opt = new Optimizer(lion({ lr: 0.1, beta1: 0.9, beta2: 0.5, weightDecay: 0.1 }), swapped);
    for (let t = 0; t < 2; t++) opt.step({ x: new Float64Array(grads[t]) });
    expect(Math.abs(swapped.x[0] - expectedTheta[1][0])).toBeGreaterThan(0.1);
  });

  it('every nonzero coordinate of θ_t − θ_{t−1} is ±lr exactly when λ = 0 (float64 < 1e-12, float32 < 2e-3)', () => {
    for (const [dtype, tol] of [
      ['f64', 1e-12],
      ['f32', 2e-3],
    ] as const) {
      const lr = 1e-3;
      const rng = new Rng(3);
      const make = (n: number) => (dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
      const theta = rng.fillUniform(make(200), -1, 1);
      const m = make(200);
      const prev = theta.slice();
      let nonzero = 0;
      for (let t = 0; t < 50; t++) {
        const g = rng.fillNormal(make(200));
        g[t] = 0; // with m = 0 at t = 0 this coordinate must not move
        prev.set(theta);
        lionStep(theta, g, m, { lr, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
        for (let i = 0; i < theta.length; i++) {
          const d = theta[i] - prev[i];
          if (d === 0) continue;
          nonzero++;
          expect(Math.abs(Math.abs(d) - lr) / lr).toBeLessThan(tol);
        }
        if (t === 0) expect(theta[0]).toBe(prev[0]);
      }
      expect(nonzero).toBeGreaterThan(9000);
    }
  });
});

describe('lion: the fused forms equal the chain bit for bit', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    for (const wd of [0, 0.7]) {
      it(`${dtype}, weightDecay ${wd}, with a mask and a schedule`, () => {
        const mask = (name: string) => name !== 'b';
        const lr = (t: number) => 1e-2 / (1 + t);
        const ref = chain(scaleByLion({ beta1: 0.85, beta2: 0.97 }), addDecayedWeights(wd, mask), scaleByLearningRate(lr));
        const fused = lion({ lr, beta1: 0.85, beta2: 0.97, weightDecay: wd, mask });
        const init = initParams(dtype);
        const a = runWith(ref, init, 40);
        const b = runWith(fused, init, 40);
        for (const k of ['w', 'b']) {
          expect(bitsEqual(a.params[k], b.params[k]), `params.${k}`).toBe(true);
          expect(bitsEqual(a.state[0].mu[k], b.state.mu[k]), `mu.${k}`).toBe(true);
          expect(b.params[k].constructor).toBe(init[k].constructor);
        }
      });
    }
    it(`${dtype}: lionStep equals the chain + applyUpdates bit for bit`, () => {
      const init = initParams(dtype);
      const ref = chain(scaleByLion({}), addDecayedWeights(0.2), scaleByLearningRate(3e-3));
      const a = runWith(ref, init, 30);
      const params = clone(init);
      const mu: Params = { w: params.w.slice().fill(0), b: params.b.slice().fill(0) };
      const rng = new Rng(5);
      for (let s = 0; s < 30; s++) {
        for (const k of ['w', 'b']) {
          const g = params[k] instanceof Float32Array ? new Float32Array(params[k].length) : new Float64Array(params[k].length);
          rng.fillNormal(g);
          for (let i = 0; i < g.length; i++) g[i] = i % 7 === 3 ? 0 : g[i] + 0.3 * params[k][i];
          lionStep(params[k], g, mu[k], { lr: 3e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.2 });
        }
      }
      // runWith draws w then b for each step in the same order.
      for (const k of ['w', 'b']) expect(bitsEqual(a.params[k], params[k]), k).toBe(true);
    });
  }

  it('the state holds one momentum array per parameter (half of AdamW)', () => {
    const state = lion().init(initParams('f64'));
    expect(Object.keys(state.mu)).toEqual(['w', 'b']);
    expect(state.mu.w).toHaveLength(33);
  });
});

describe('lion: bad input', () => {
  it('rejects bad options with INVALID_OPTION naming them', () => {
    const cases: [() => unknown, string][] = [
      [() => lion({ lr: -1 }), 'lr'],
      [() => lion({ lr: Number.NaN }), 'lr'],
      [() => lion({ beta1: 1 }), 'beta1'],
      [() => lion({ beta2: -0.1 }), 'beta2'],
      [() => lion({ beta2: Number.NaN }), 'beta2'],
      [() => lion({ weightDecay: -1 }), 'weightDecay'],
      [() => lion({ mask: 3 as never }), 'mask'],
      [() => scaleByLion({ beta1: 1.5 }), 'beta1'],
      [() => lionStep(new Float64Array(2), new Float64Array(2), new Float64Array(2), { lr: -1, beta1: 0.9, beta2: 0.99, weightDecay: 0 }), 'lr'],
    ];
    for (const [fn, name] of cases) {
      try {
        fn();
        throw new Error(`no error for ${name}`);
      } catch (err) {
        expect(err).toBeInstanceOf(OptkitError);
        expect((err as OptkitError).code).toBe('INVALID_OPTION');
        expect((err as OptkitError).argument).toBe(name);
      }
    }
    // A schedule that leaves [0, 1) is caught when used.
    const t = lion({ beta1: () => 2 });
    const p = { x: new Float64Array(2) };
    expect(codeOf(() => t.update({ x: new Float64Array(2) }, t.init(p), p))).toBe('INVALID_OPTION');
  });

  it('rejects mismatched shapes, names and dtypes with SHAPE_MISMATCH', () => {
    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0 };
    expect(codeOf(() => lionStep(new Float64Array(3), new Float64Array(2), new Float64Array(3), o))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => lionStep(new Float64Array(3), new Float32Array(3), new Float64Array(3), o))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => lionStep(new Float64Array(3), new Float64Array(3), new Float64Array(4), o))).toBe('SHAPE_MISMATCH');
    const params = { a: new Float64Array(3) };
    const opt = new Optimizer(lion(), params);
    expect(codeOf(() => opt.step({ b: new Float64Array(3) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => opt.step({ a: new Float64Array(4) }))).toBe('SHAPE_MISMATCH');
    const t = lion({ weightDecay: 0.1 });
    expect(codeOf(() => t.update({ a: new Float64Array(3) }, t.init(params)))).toBe('INVALID_ARGUMENT');
  });

  it('NaN gradients: throw NOT_FINITE and change nothing, or skip and count', () => {
    const params = { a: new Float64Array([1, 2]) };
    const opt = new Optimizer(lion({ lr: 0.1 }), params);
    expect(codeOf(() => opt.step({ a: new Float64Array([0.5, Number.NaN]) }))).toBe('NOT_FINITE');
    expect(Array.from(params.a)).toEqual([1, 2]);
    const skip = new Optimizer(lion({ lr: 0.1 }), params, { nanPolicy: 'skip' });
    expect(skip.step({ a: new Float64Array([Number.NaN, 1]) })).toBe(false);
    expect(skip.skippedSteps).toBe(1);
    expect(Array.from(params.a)).toEqual([1, 2]);
  });
});

describe('lion: the kernels specialised to long, reused arrays equal the chain bit for bit', () => {
  const N = SPECIALIZE_MIN_LENGTH + 3;

  /** Like runWith, but refills one gradient buffer per tensor, so the fused forms specialise from step 2 on. */
  function runReusing(t: GradientTransformation<any>, init: Params, steps: number): Params {
    const params = clone(init);
    const state = t.init(params);
    const rng = new Rng(5);
    const g: Params = {};
    for (const k in params) g[k] = params[k].slice();
    for (let s = 0; s < steps; s++) {
      for (const k in params) {
        const a = g[k];
        rng.fillNormal(a);
        for (let i = 0; i < a.length; i++) a[i] = i % 7 === 3 ? 0 : a[i] + 0.3 * params[k][i];
      }
      t.update(g, state, params);
      applyUpdates(params, g);
    }
    return params;
  }

  function longParams(dtype: 'f64' | 'f32'): Params {
    const rng = new Rng(12);
    const mk = (n: number) => rng.fillNormal(dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
    return { w: mk(N), b: mk(5) };
  }

  for (const dtype of ['f64', 'f32'] as const) {
    it(`${dtype}: lion with a decay switched on at step 3 (mask, schedule)`, () => {
      const mask = (name: string) => name !== 'b';
      const lr = (t: number) => 1e-2 / (1 + t);
      const wd = (t: number) => (t < 3 ? 0 : 0.7);
      const init = longParams(dtype);
      const a = runReusing(chain(scaleByLion({ beta1: 0.85, beta2: 0.97 }), addDecayedWeights(wd, mask), scaleByLearningRate(lr)), init, 8);
      const generated = generatedFunctionCount();
      const b = runReusing(lion({ lr, beta1: 0.85, beta2: 0.97, weightDecay: wd, mask }), init, 8);
      expect(generatedFunctionCount()).toBeGreaterThan(generated);
      for (const k of ['w', 'b']) expect(bitsEqual(a[k], b[k]), k).toBe(true);
    });

    for (const wd of [0, 0.2]) {
      it(`${dtype}, weightDecay ${wd}: lionStep on reused arrays equals lionStep on fresh gradients`, () => {
        const init = longParams(dtype).w;
        const o = { lr: 3e-3, beta1: 0.9, beta2: 0.99, weightDecay: wd };
        const run = (reuse: boolean) => {
          const theta = init.slice();
          const m = theta.slice().fill(0);
          const rng = new Rng(5);
          let g = theta.slice();
          for (let s = 0; s < 6; s++) {
            if (!reuse) g = theta.slice();
            rng.fillNormal(g);
            for (let i = 0; i < N; i++) g[i] = i % 7 === 3 ? 0 : g[i] + 0.3 * theta[i];
            lionStep(theta, g, m, o);
          }
          return { theta, m };
        };
        const fresh = run(false);
        const generated = generatedFunctionCount();
        const reused = run(true);
        expect(generatedFunctionCount()).toBeGreaterThan(generated);
        expect(bitsEqual(fresh.theta, reused.theta)).toBe(true);
        expect(bitsEqual(fresh.m, reused.m)).toBe(true);
      });
    }
  }
});
