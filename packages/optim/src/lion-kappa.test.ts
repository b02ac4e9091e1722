import { Optimizer, OptkitError, Rng, applyUpdates, type GradientTransformation, type Params } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { constraintViolation, kappa, kappaGrad, lionKappa, lionKappaChain } from './lion-kappa.js';
import { lion } from './lion.js';

function run(t: GradientTransformation<any>, init: Params, steps: number): { params: Params; state: any } {
  const params: Params = {};
  for (const k in init) params[k] = init[k].slice();
  const state = t.init(params);
  const rng = new Rng(21);
  for (let s = 0; s < steps; s++) {
    const g: Params = {};
    for (const k in params) {
      const a = params[k] instanceof Float32Array ? new Float32Array(params[k].length) : new Float64Array(params[k].length);
      rng.fillNormal(a);
      for (let i = 0; i < a.length; i++) a[i] += 0.4 * params[k][i];
      g[k] = a;
    }
    t.update(g, state, params);
    applyUpdates(params, g);
  }
  return { params, state };
}

const bitsEqual = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

function initParams(dtype: 'f64' | 'f32'): Params {
  const rng = new Rng(2);
  const mk = (n: number) => rng.fillNormal(dtype === 'f32' ? new Float32Array(n) : new Float64Array(n));
  return { w: mk(24), b: mk(4) };
}

describe('kappa gradient maps', () => {
  const c = new Float64Array([3, -4, 0, 0.5]);
  const apply = (f: (c: Float64Array, o: Float64Array) => void) => {
    const out = new Float64Array(4);
    f(c, out);
    return Array.from(out);
  };
  it('give the closed forms of the card table', () => {
    expect(apply(kappa.sign)).toEqual([1, -1, 0, 1]);
    const n2 = Math.hypot(3, 4, 0.5);
    apply(kappa.l2).forEach((v, i) => expect(v).toBeCloseTo(c[i] / n2, 15));
    expect(apply(kappa.quadratic)).toEqual([3, -4, 0, 0.5]);
    expect(apply(kappa.huber(1))).toEqual([1, -1, 0, 0.5]);
    expect(apply(kappa.deadzone(0.75))).toEqual([1, -1, 0, 0]);
    const nr = Math.sqrt(9 + 16 + 0.25 + 4);
    apply(kappa.relativistic(2)).forEach((v, i) => expect(v).toBeCloseTo(c[i] / nr, 15));
    const p = 1.5;
    const np = (3 ** p + 4 ** p + 0.5 ** p) ** (1 / p);
    apply(kappa.lp(p)).forEach((v, i) => expect(v).toBeCloseTo((Math.sign(c[i]) * Math.abs(c[i]) ** (p - 1)) / np ** (p - 1), 14));
    // Norm-type maps are unit vectors in the dual norm: ‖∇‖_q = 1.
    const q = p / (p - 1);
    expect(apply(kappa.lp(p)).reduce((s, v) => s + Math.abs(v) ** q, 0)).toBeCloseTo(1, 13);
  });

  it('are odd, return 0 at c = 0, and stay finite for float32 data near the range limits', () => {
    for (const f of [kappa.sign, kappa.l2, kappa.lp(1.25), kappa.quadratic, kappa.huber(0.3), kappa.deadzone(0.1), kappa.relativistic(1)]) {
      const a = new Float64Array([0.3, -2, 5, 0]);
      const pos = new Float64Array(4);
      const neg = new Float64Array(4);
      f(a, pos);
      f(a.map((v) => -v), neg);
      // == rather than Object.is: the sign of a zero output is irrelevant.
      for (let i = 0; i < 4; i++) expect(neg[i] === -pos[i], `${i}: ${neg[i]} vs ${-pos[i]}`).toBe(true);
      const z = new Float64Array(3);
      f(new Float64Array(3), z);
      expect(Array.from(z).every((v) => v === 0)).toBe(true);
    }
    const big = new Float32Array([3e38, -1e38, 1e-40]);
    const out = new Float32Array(3);
    kappa.lp(1.1)(big, out);
    expect(Array.from(out).every(Number.isFinite)).toBe(true);
    expect(out[0]).toBeGreaterThan(0);
    kappa.l2(big, out);
    expect(out[0]).toBeCloseTo(3 / Math.hypot(3, 1), 6);
  });

  it('rejects bad parameters and unknown specs with INVALID_OPTION', () => {
    for (const fn of [() => kappa.lp(0.5), () => kappa.lp(3), () => kappa.huber(0), () => kappa.deadzone(-1), () => kappa.relativistic(Number.NaN)]) {
      expect(fn).toThrow(OptkitError);
    }
    expect(() => kappaGrad('l1' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'kappa' }));
    expect(() => kappaGrad({ lp: 1.5, huber: 1 } as never)).toThrow(OptkitError);
  });
});

describe('constraintViolation', () => {
  it('measures the distance outside the induced set', () => {
    const x = [0.5, -3, 1];
    expect(constraintViolation(x, 'sign', 1)).toBe(2);
    expect(constraintViolation(x, 'sign', 0.25)).toBe(0);
    expect(constraintViolation(x, 'l2', 1)).toBeCloseTo(Math.hypot(0.5, 3, 1) - 1, 14);
    expect(constraintViolation(x, { lp: 2 }, 1)).toBeCloseTo(Math.hypot(0.5, 3, 1) - 1, 14);
    expect(constraintViolation(x, { huber: 2 }, 1)).toBe(1);
    expect(constraintViolation(x, 'quadratic', 1)).toBe(0);
    expect(constraintViolation(x, 'sign', 0)).toBe(0);
    expect(() => constraintViolation(x, 'sign', -1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('lionKappa', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    it(`${dtype}: kappa 'sign' is Lion bit for bit (with decay, mask and schedule)`, () => {
      const o = { lr: (t: number) => 1e-2 * 0.99 ** t, beta1: 0.8, beta2: 0.95, weightDecay: 0.5, mask: (n: string) => n === 'w' };
      const a = run(lion(o), initParams(dtype), 30);
      const b = run(lionKappa({ ...o, kappa: 'sign' }), initParams(dtype), 30);
      for (const k of ['w', 'b']) {
        expect(bitsEqual(a.params[k], b.params[k]), k).toBe(true);
        expect(bitsEqual(a.state.mu[k], b.state.mu[k]), k).toBe(true);
      }
    });
    it(`${dtype}: explicit decay equals the chain bit for bit for l2 and lp(1.5)`, () => {
      for (const spec of ['l2', { lp: 1.5 }] as const) {
        const o = { kappa: spec, lr: 3e-2, weightDecay: 0.7 };
        const a = run(lionKappaChain(o), initParams(dtype), 25);
        const b = run(lionKappa(o), initParams(dtype), 25);
        for (const k of ['w', 'b']) expect(bitsEqual(a.params[k], b.params[k]), `${JSON.stringify(spec)} ${k}`).toBe(true);
      }
    });
  }

  it('implicit decay: one step is x₁ = (x₀ − lr·∇𝒦(c))/(1 + lrλ)', () => {
    const x0 = [2, -0.5, 0.1];
    const g = [1, -3, 0];
    const lr = 0.1;
    const wd = 2;
    const x = new Float64Array(x0);
    new Optimizer(lionKappa({ kappa: 'l2', lr, weightDecay: wd, decay: 'implicit' }), x).step(new Float64Array(g));
    const n = Math.hypot(1, 3);
    for (let i = 0; i < 3; i++) expect(x[i]).toBeCloseTo((x0[i] - (lr * g[i]) / n) / (1 + lr * wd), 15);
  });

  it('keeps sign iterates in the box and l2 iterates in the ball (lion.md E1 box behaviour)', () => {
    const rng = new Rng(4);
    for (const spec of ['sign', 'l2'] as const) {
      const x = rng.fillNormal(new Float64Array(30), 0, 0.05) as Float64Array;
      expect(constraintViolation(x, spec, 2)).toBe(0); // start inside the set
      const opt = new Optimizer(lionKappa({ kappa: spec, lr: 0.05, weightDecay: 2 }), x);
      for (let t = 0; t < 300; t++) {
        const g = rng.fillNormal(new Float64Array(30), 0, 10) as Float64Array;
        opt.step(g);
        expect(constraintViolation(x, spec, 2)).toBeLessThanOrEqual(1e-15);
      }
    }
  });

  it('validates options: lr·λ ≤ 1, decay choice, betas', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return [(e as OptkitError).code, (e as OptkitError).argument];
      }
      return ['none'];
    };
    expect(code(() => lionKappa({ lr: 0.5, weightDecay: 3 }))).toEqual(['INVALID_OPTION', 'weightDecay']);
    expect(code(() => lionKappa({ decay: 'sideways' as never }))).toEqual(['INVALID_OPTION', 'decay']);
    expect(code(() => lionKappa({ beta1: -0.1 }))).toEqual(['INVALID_OPTION', 'beta1']);
    expect(code(() => lionKappa({ lr: Number.NaN }))).toEqual(['INVALID_OPTION', 'lr']);
    expect(code(() => lionKappa({ kappa: { lp: 7 } }))).toEqual(['INVALID_OPTION', 'p']);
    const t = lionKappa({ lr: () => 0.6, weightDecay: 2 });
    const p = { x: new Float64Array(2) };
    expect(code(() => t.update({ x: new Float64Array(2) }, t.init(p), p))).toEqual(['INVALID_OPTION', 'weightDecay']);
    const opt = new Optimizer(lionKappa(), { a: new Float64Array(2) });
    expect(code(() => opt.step({ a: new Float32Array(2) }))[0]).toBe('SHAPE_MISMATCH');
  });
});
