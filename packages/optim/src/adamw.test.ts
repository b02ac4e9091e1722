import {
  Optimizer,
  OptkitError,
  Rng,
  SPECIALIZE_MIN_LENGTH,
  applyUpdates,
  generatedFunctionCount,
  type GradientTransformation,
  type Params,
} from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { adamw, adamwChain, adamwStep } from './adamw.js';

function clone(p: Params): Params {
  const out: Params = {};
  for (const k in p) out[k] = p[k].slice();
  return out;
}

function runWith(t: GradientTransformation<any>, init: Params, steps: number): { params: Params; state: any } {
  const params = clone(init);
  const state = t.init(params);
  const rng = new Rng(9);
  for (let s = 0; s < steps; s++) {
    const g: Params = {};
    for (const k in params) {
      const a = params[k] instanceof Float32Array ? new Float32Array(params[k].length) : new Float64Array(params[k].length);
      rng.fillNormal(a);
      for (let i = 0; i < a.length; i++) a[i] = i % 5 === 2 ? 0 : a[i] + 0.5 * params[k][i];
      g[k] = a;
    }
    t.update(g, state, params);
    applyUpdates(params, g);
  }
  return { params, state };
}

const bitsEqual = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

describe('adamw', () => {
  it('first step by hand: θ₁ = θ₀ − lr·(sign(g)·1/(1 + ε/|g|) + λθ₀)', () => {
    // After one step m̂ = g and v̂ = g², so the Adam direction is g/(|g| + ε).
    const theta0 = [0.5, -2, 1];
    const g = [0.3, -4, 0];
    const lr = 0.01;
    const wd = 0.1;
    const eps = 1e-8;
    const params = { x: new Float64Array(theta0) };
    new Optimizer(adamw({ lr, weightDecay: wd, eps }), params).step({ x: new Float64Array(g) });
    for (let i = 0; i < 3; i++) {
      const expected = theta0[i] - lr * (g[i] / (Math.abs(g[i]) + eps) + wd * theta0[i]);
      expect(params.x[i]).toBeCloseTo(expected, 14);
    }
  });

  for (const dtype of ['f64', 'f32'] as const) {
    for (const wd of [0, 0.05]) {
      it(`${dtype}, weightDecay ${wd}: the fused adamw equals chain(scaleByAdam, addDecayedWeights, scaleByLearningRate) bit for bit`, () => {
        const rng = new Rng(4);
        const mk = (n: number) => rng.fillNormal(dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
        const init = { w: mk(40), b: mk(6) };
        const mask = (n: string) => n === 'w';
        const lr = (t: number) => 3e-3 * (1 - t / 100);
        const a = runWith(adamwChain({ lr, weightDecay: wd, mask, b2: 0.99 }), init, 35);
        const b = runWith(adamw({ lr, weightDecay: wd, mask, b2: 0.99 }), init, 35);
        for (const k of ['w', 'b']) {
          expect(bitsEqual(a.params[k], b.params[k]), `params.${k}`).toBe(true);
          expect(bitsEqual(a.state[0].mu[k], b.state.mu[k]), `mu.${k}`).toBe(true);
          expect(bitsEqual(a.state[0].nu[k], b.state.nu[k]), `nu.${k}`).toBe(true);
        }
      });
    }
  }

  it('adamwStep matches the transform to rounding (constant betas: β^t vs running products)', () => {
    const rng = new Rng(1);
    const init = { x: rng.fillNormal(new Float64Array(50)) };
    const ref = runWith(adamw({ lr: 1e-2, weightDecay: 0.1 }), init, 20);
    const theta = init.x.slice() as Float64Array;
    const m = new Float64Array(50);
    const v = new Float64Array(50);
    const grng = new Rng(9);
    for (let s = 1; s <= 20; s++) {
      const g = grng.fillNormal(new Float64Array(50));
      for (let i = 0; i < 50; i++) g[i] = i % 5 === 2 ? 0 : g[i] + 0.5 * theta[i];
      adamwStep(theta, g, m, v, { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.1, step: s });
    }
    for (let i = 0; i < 50; i++) expect(Math.abs(theta[i] - ref.params.x[i])).toBeLessThan(1e-12);
  });

  it('rejects bad options (INVALID_OPTION) and mismatched arrays (SHAPE_MISMATCH)', () => {
    for (const [opts, name] of [
      [{ lr: -1 }, 'lr'],
      [{ lr: Number.NaN }, 'lr'],
      [{ b1: 1 }, 'b1'],
      [{ b2: 1.2 }, 'b2'],
      [{ eps: -1 }, 'eps'],
      [{ weightDecay: Number.POSITIVE_INFINITY }, 'weightDecay'],
    ] as const) {
      for (const make of [adamw, adamwChain]) {
        let err: unknown;
        try {
          make(opts as never);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(OptkitError);
        expect((err as OptkitError).code).toBe('INVALID_OPTION');
        expect((err as OptkitError).argument).toBe(name);
      }
    }
    const z = () => new Float64Array(3);
    expect(() => adamwStep(z(), z(), z(), new Float64Array(2), { lr: 1, b1: 0.9, b2: 0.9, eps: 0, weightDecay: 0, step: 1 })).toThrow(OptkitError);
    expect(() => adamwStep(z(), z(), z(), z(), { lr: 1, b1: 0.9, b2: 0.9, eps: 0, weightDecay: 0, step: 0 })).toThrow(/step/);
    const params = { a: z() };
    const opt = new Optimizer(adamw(), params);
    expect(() => opt.step({ a: new Float64Array(4) })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});

describe('adamw: the kernels specialised to long, reused arrays', () => {
  const N = SPECIALIZE_MIN_LENGTH + 3;

  /** Like runWith, but refills one gradient buffer per tensor, so adamw specialises from step 2 on. */
  function runReusing(t: GradientTransformation<any>, init: Params, steps: number): { params: Params; state: any } {
    const params = clone(init);
    const state = t.init(params);
    const rng = new Rng(9);
    const g: Params = {};
    for (const k in params) g[k] = params[k].slice();
    for (let s = 0; s < steps; s++) {
      for (const k in params) {
        const a = g[k];
        rng.fillNormal(a);
        for (let i = 0; i < a.length; i++) a[i] = i % 5 === 2 ? 0 : a[i] + 0.5 * params[k][i];
      }
      t.update(g, state, params);
      applyUpdates(params, g);
    }
    return { params, state };
  }

  for (const dtype of ['f64', 'f32'] as const) {
    it(`${dtype}: the fused adamw equals adamwChain bit for bit, the decay switched on at step 3`, () => {
      const rng = new Rng(4);
      const mk = (n: number) => rng.fillNormal(dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
      const init = { w: mk(N), b: mk(6) };
      const mask = (n: string) => n === 'w';
      const lr = (t: number) => 3e-3 * (1 - t / 100);
      const wd = (t: number) => (t < 3 ? 0 : 0.05);
      const a = runReusing(adamwChain({ lr, weightDecay: wd, mask, b2: 0.99 }), init, 7);
      const generated = generatedFunctionCount();
      const b = runReusing(adamw({ lr, weightDecay: wd, mask, b2: 0.99 }), init, 7);
      expect(generatedFunctionCount()).toBeGreaterThan(generated);
      for (const k of ['w', 'b']) {
        expect(bitsEqual(a.params[k], b.params[k]), `params.${k}`).toBe(true);
        expect(bitsEqual(a.state[0].mu[k], b.state.mu[k]), `mu.${k}`).toBe(true);
        expect(bitsEqual(a.state[0].nu[k], b.state.nu[k]), `nu.${k}`).toBe(true);
      }
    });

    it(`${dtype}: adamwStep on reused arrays equals adamwStep on fresh gradients bit for bit`, () => {
      const init = new Rng(1).fillNormal(dtype === 'f32' ? new Float32Array(N) : new Float64Array(N));
      const run = (reuse: boolean) => {
        const theta = init.slice();
        const m = theta.slice().fill(0);
        const v = theta.slice().fill(0);
        const rng = new Rng(9);
        let g = theta.slice();
        for (let s = 1; s <= 6; s++) {
          if (!reuse) g = theta.slice();
          rng.fillNormal(g);
          for (let i = 0; i < N; i++) g[i] = i % 5 === 2 ? 0 : g[i] + 0.5 * theta[i];
          adamwStep(theta, g, m, v, { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.1, step: s });
        }
        return { theta, m, v };
      };
      const fresh = run(false);
      const generated = generatedFunctionCount();
      const reused = run(true);
      expect(generatedFunctionCount()).toBeGreaterThan(generated);
      expect(bitsEqual(fresh.theta, reused.theta)).toBe(true);
      expect(bitsEqual(fresh.m, reused.m)).toBe(true);
      expect(bitsEqual(fresh.v, reused.v)).toBe(true);
    });
  }
});
