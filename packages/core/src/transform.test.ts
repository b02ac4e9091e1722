import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { constantSchedule, linearSchedule } from './schedule.js';
import {
  adam,
  addDecayedWeights,
  applyUpdates,
  asParams,
  chain,
  checkParams,
  checkParamsMatch,
  clipByGlobalNorm,
  cloneParams,
  globalNorm,
  identity,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  scaleBySchedule,
  sgd,
  traceMomentum,
  zerosLike,
  type GradientTransformation,
  type Params,
} from './transform.js';

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

const f64 = (...v: number[]) => new Float64Array(v);

/** Runs one update of `t` on a copy of `grads` and returns the updates. */
function once<S>(t: GradientTransformation<S>, state: S, grads: Params, params?: Params): Params {
  const u = cloneParams(grads);
  t.update(u, state, params);
  return u;
}

describe('params helpers', () => {
  it('asParams wraps one vector; zerosLike and cloneParams keep names and dtypes', () => {
    const x = f64(1, 2);
    expect(asParams(x).x).toBe(x);
    expect(asParams(x, 'w').w).toBe(x);
    const p = { a: f64(1, 2, 3), b: new Float32Array([4, 5]) };
    const z = zerosLike(p);
    expect(z.a).toBeInstanceOf(Float64Array);
    expect(z.b).toBeInstanceOf(Float32Array);
    expect(Array.from(z.a)).toEqual([0, 0, 0]);
    const c = cloneParams(p);
    expect(c.b).toBeInstanceOf(Float32Array);
    expect(c.a).not.toBe(p.a);
    expect(Array.from(c.a)).toEqual([1, 2, 3]);
    expect(errorOf(() => asParams([1, 2] as unknown as Float64Array)).code).toBe('INVALID_ARGUMENT');
  });

  it('checkParams names the bad entry', () => {
    const e = errorOf(() => checkParams({ a: f64(1), b: [1, 2] as unknown as Float64Array }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.argument).toBe('params.b');
    expect(errorOf(() => checkParams(f64(1) as unknown as Params)).code).toBe('INVALID_ARGUMENT');
  });

  it('checkParamsMatch reports missing, extra, length and dtype mismatches by key', () => {
    const ref = { w: f64(1, 2), b: f64(3) };
    expect(() => checkParamsMatch(ref, { b: f64(0), w: f64(0, 0) })).not.toThrow();
    const missing = errorOf(() => checkParamsMatch(ref, { w: f64(0, 0) }));
    expect(missing.code).toBe('SHAPE_MISMATCH');
    expect(missing.argument).toBe('grads.b');
    expect(missing.message).toMatch(/"b"/);
    const extra = errorOf(() => checkParamsMatch(ref, { w: f64(0, 0), b: f64(0), c: f64(1) }));
    expect(extra.code).toBe('SHAPE_MISMATCH');
    expect(extra.argument).toBe('grads.c');
    const len = errorOf(() => checkParamsMatch(ref, { w: f64(0, 0, 0), b: f64(0) }, 'Optimizer.step'));
    expect(len.argument).toBe('grads.w');
    expect(len.message).toMatch(/^Optimizer\.step: .*length 3; expected 2/);
    const dtype = errorOf(() => checkParamsMatch(ref, { w: new Float32Array(2), b: f64(0) }));
    expect(dtype.code).toBe('SHAPE_MISMATCH');
    expect(dtype.message).toMatch(/Float32Array.*Float64Array/);
    expect(errorOf(() => checkParamsMatch(ref, { w: null as unknown as Float64Array, b: f64(0) })).argument).toBe('grads.w');
    expect(errorOf(() => checkParamsMatch(ref, f64(1, 2) as unknown as Params)).code).toBe('SHAPE_MISMATCH');
  });

  it('globalNorm is the norm over all tensors and survives overflow', () => {
    expect(globalNorm({ a: f64(3), b: new Float32Array([4]) })).toBe(5);
    expect(globalNorm({ a: f64(1e200, 1e200) })).toBeCloseTo(Math.SQRT2 * 1e200, -185);
    expect(globalNorm({ a: f64(1, Infinity) })).toBe(Infinity);
    expect(globalNorm({ a: f64(1, Number.NaN) })).toBeNaN();
    expect(globalNorm({})).toBe(0);
  });

  it('applyUpdates adds in place and checks shapes', () => {
    const p = { w: f64(1, 2), b: new Float32Array([0.5]) };
    applyUpdates(p, { w: f64(0.5, -1), b: new Float32Array([0.25]) });
    expect(Array.from(p.w)).toEqual([1.5, 1]);
    expect(p.b[0]).toBe(0.75);
    expect(errorOf(() => applyUpdates(p, { w: f64(0, 0) })).argument).toBe('updates.b');
  });
});

describe('chain, identity, scale', () => {
  it('applies transforms in order, with one state per transform', () => {
    const t = chain(scale(2), scaleByLearningRate(0.5));
    const p = { x: f64(1, -2) };
    const st = t.init(p);
    expect(st).toEqual([{ count: 0 }, { count: 0 }]);
    const u = once(t, st, { x: f64(1, -2) });
    expect(Array.from(u.x)).toEqual([-1, 2]);
    expect(st).toEqual([{ count: 1 }, { count: 1 }]);
    const id = identity();
    const v = once(id, id.init(p), { x: f64(3) });
    expect(Array.from(v.x)).toEqual([3]);
    expect(errorOf(() => chain({} as GradientTransformation)).argument).toBe('transforms[0]');
  });

  it('evaluates schedules at the update count, starting from 0', () => {
    const t = scaleBySchedule((s) => s + 1);
    const st = t.init({});
    const seen: number[] = [];
    for (let k = 0; k < 3; k++) seen.push(once(t, st, { x: f64(1) }).x[0]);
    expect(seen).toEqual([1, 2, 3]);
    const lr = scaleByLearningRate(linearSchedule({ init: 1, end: 0, steps: 2 }));
    const ls = lr.init({});
    expect([0, 1, 2, 3].map(() => once(lr, ls, { x: f64(1) }).x[0])).toEqual([-1, -0.5, -0, -0]);
  });

  it('validates options at construction, naming them', () => {
    expect(errorOf(() => scale(Number.NaN)).argument).toBe('factor');
    expect(errorOf(() => scaleBySchedule(3 as unknown as (s: number) => number)).code).toBe('INVALID_OPTION');
    const e = errorOf(() => scaleByLearningRate(-0.1));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.argument).toBe('lr');
    expect(errorOf(() => scaleByLearningRate(Infinity)).argument).toBe('lr');
  });

  it('throws NOT_FINITE when a schedule returns NaN during update', () => {
    const t = scaleByLearningRate(() => Number.NaN);
    expect(errorOf(() => once(t, t.init({}), { x: f64(1) })).code).toBe('NOT_FINITE');
  });

  it('flipSign: false scales by +lr', () => {
    const t = scaleByLearningRate(0.5, { flipSign: false });
    expect(once(t, t.init({}), { x: f64(2) }).x[0]).toBe(1);
  });
});

describe('addDecayedWeights', () => {
  it('adds λ·params to the masked tensors only', () => {
    const t = addDecayedWeights(0.1, (name) => name !== 'bias');
    const params = { w: f64(2, -4), bias: f64(10) };
    const st = t.init(params);
    const u = once(t, st, { w: f64(1, 1), bias: f64(1) }, params);
    expect(u.w[0]).toBeCloseTo(1.2, 15);
    expect(u.w[1]).toBeCloseTo(0.6, 15);
    expect(u.bias[0]).toBe(1);
  });

  it('needs params and matching shapes; validates the decay', () => {
    const t = addDecayedWeights(0.1);
    const st = t.init({ w: f64(1) });
    expect(errorOf(() => once(t, st, { w: f64(1) })).argument).toBe('params');
    expect(errorOf(() => once(t, st, { w: f64(1) }, { w: f64(1, 2) })).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => addDecayedWeights(-1)).argument).toBe('weightDecay');
    expect(errorOf(() => addDecayedWeights(0.1, 'bias' as unknown as (n: string) => boolean)).argument).toBe('mask');
  });
});

describe('clipByGlobalNorm', () => {
  it('rescales to maxNorm only when the global norm exceeds it', () => {
    const t = clipByGlobalNorm(1);
    const u = once(t, t.init({}), { a: f64(3), b: f64(4) });
    expect(u.a[0]).toBeCloseTo(0.6, 15);
    expect(u.b[0]).toBeCloseTo(0.8, 15);
    const big = clipByGlobalNorm(10);
    const v = once(big, big.init({}), { a: f64(3), b: f64(4) });
    expect([v.a[0], v.b[0]]).toEqual([3, 4]);
    expect(errorOf(() => clipByGlobalNorm(0)).argument).toBe('maxNorm');
  });
});

describe('sgd and traceMomentum', () => {
  /** Applies a fixed sequence of gradients to a one-element parameter. */
  function run(t: GradientTransformation<unknown>, p0: number, grads: number[]): number[] {
    const params = { x: f64(p0) };
    const st = t.init(params);
    const out: number[] = [];
    for (const g of grads) {
      const u = { x: f64(g) };
      t.update(u, st, params);
      applyUpdates(params, u);
      out.push(params.x[0]);
    }
    return out;
  }

  it('plain SGD: θ ← θ − lr·g', () => {
    const r = run(sgd(0.1), 1, [2, 4]);
    expect(r[0]).toBeCloseTo(0.8, 15);
    expect(r[1]).toBeCloseTo(0.4, 15);
  });

  it('heavy ball, two steps by hand: t1 = 2, θ1 = 0.8; t2 = 4 + 0.9·2 = 5.8, θ2 = 0.22', () => {
    const r = run(sgd(0.1, { momentum: 0.9 }), 1, [2, 4]);
    expect(r[0]).toBeCloseTo(0.8, 15);
    expect(r[1]).toBeCloseTo(0.22, 15);
  });

  it('Nesterov, two steps by hand: u1 = 2 + 0.9·2 = 3.8; u2 = 4 + 0.9·5.8 = 9.22', () => {
    const r = run(sgd(0.1, { momentum: 0.9, nesterov: true }), 1, [2, 4]);
    expect(r[0]).toBeCloseTo(0.62, 15);
    expect(r[1]).toBeCloseTo(-0.302, 15);
  });

  it('keeps the momentum buffer in the params dtype and checks shapes', () => {
    const t = traceMomentum({ decay: 0.5 });
    const st = t.init({ a: new Float32Array(3), b: f64(0) });
    expect(st.trace.a).toBeInstanceOf(Float32Array);
    expect(st.trace.b).toBeInstanceOf(Float64Array);
    expect(errorOf(() => t.update({ a: new Float32Array(3) }, st)).argument).toBe('updates.b');
  });

  it('validates options', () => {
    expect(errorOf(() => sgd(-1)).argument).toBe('lr');
    expect(errorOf(() => sgd(Number.NaN)).code).toBe('INVALID_OPTION');
    expect(errorOf(() => sgd(0.1, { momentum: 1 })).argument).toBe('decay');
    expect(errorOf(() => sgd(0.1, { nesterov: true })).argument).toBe('nesterov');
    expect(errorOf(() => traceMomentum({ decay: -0.1 })).argument).toBe('decay');
  });
});

describe('scaleByAdam and adam', () => {
  it('first step is −lr·sign(g) with eps = 0 (bias correction makes m̂ = g, v̂ = g²)', () => {
    const t = adam(0.01, { eps: 0 });
    const params = { w: f64(1, 2, 3, 4) };
    const st = t.init(params);
    const u = once(t, st, { w: f64(3, -0.5, 1e-6, -1e5) }, params);
    const expected = [-0.01, 0.01, -0.01, 0.01];
    for (let i = 0; i < 4; i++) expect(u.w[i]).toBeCloseTo(expected[i], 16);
  });

  it('a zero gradient entry gives a zero update with the default eps', () => {
    const t = adam(0.01);
    const u = once(t, t.init({ w: f64(0, 0) }), { w: f64(0, 2) });
    expect(u.w[0] === 0).toBe(true); // −lr·0 is −0
    expect(u.w[1]).toBeCloseTo(-0.01, 9);
  });

  it('second step matches the textbook formula', () => {
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const t = scaleByAdam({ b1, b2, eps });
    const st = t.init({ x: f64(0) });
    once(t, st, { x: f64(1) });
    const u = once(t, st, { x: f64(2) });
    const m = b1 * (1 - b1) * 1 + (1 - b1) * 2;
    const v = b2 * (1 - b2) * 1 + (1 - b2) * 4;
    const expected = m / (1 - b1 ** 2) / (Math.sqrt(v / (1 - b2 ** 2)) + eps);
    expect(u.x[0]).toBeCloseTo(expected, 14);
    expect(st.count).toBe(2);
    expect(st.mu.x[0]).toBeCloseTo(0.29, 15);
    expect(st.nu.x[0]).toBeCloseTo(0.004999, 15);
  });

  it('AdamW as chain(scaleByAdam, addDecayedWeights, scaleByLearningRate): first step −lr·(sign g + λθ)', () => {
    const t = chain(scaleByAdam({ eps: 0 }), addDecayedWeights(0.5), scaleByLearningRate(0.1));
    const params = { w: f64(2, -1) };
    const u = once(t, t.init(params), { w: f64(0.3, 7) }, params);
    expect(u.w[0]).toBeCloseTo(-0.1 * (1 + 0.5 * 2), 15);
    expect(u.w[1]).toBeCloseTo(-0.1 * (1 + 0.5 * -1), 15);
  });

  it('scheduled betas equal constant betas bit for bit', () => {
    const a = scaleByAdam({ b1: 0.8, b2: 0.99 });
    const b = scaleByAdam({ b1: constantSchedule(0.8), b2: () => 0.99 });
    const sa = a.init({ x: f64(0, 0) });
    const sb = b.init({ x: f64(0, 0) });
    for (let k = 0; k < 5; k++) {
      const ua = once(a, sa, { x: f64(k + 1, -k) });
      const ub = once(b, sb, { x: f64(k + 1, -k) });
      expect(ub.x).toEqual(ua.x);
    }
  });

  it('keeps float32 state for float32 params', () => {
    const t = scaleByAdam();
    const st = t.init({ w: new Float32Array(4) });
    expect(st.mu.w).toBeInstanceOf(Float32Array);
    expect(st.nu.w).toBeInstanceOf(Float32Array);
    const mu = st.mu.w;
    once(t, st, { w: new Float32Array([1, 2, 3, 4]) });
    expect(st.mu.w).toBe(mu);
  });

  it('validates options, including scheduled betas at update time', () => {
    expect(errorOf(() => scaleByAdam({ b1: 1 })).argument).toBe('b1');
    expect(errorOf(() => scaleByAdam({ b2: -0.1 })).argument).toBe('b2');
    expect(errorOf(() => scaleByAdam({ eps: -1 })).argument).toBe('eps');
    expect(errorOf(() => adam(Number.NaN)).argument).toBe('lr');
    const t = scaleByAdam({ b1: () => 1 });
    expect(errorOf(() => once(t, t.init({ x: f64(0) }), { x: f64(1) })).argument).toBe('b1');
    const s = scaleByAdam();
    const st = s.init({ x: f64(0) });
    expect(errorOf(() => once(s, st, { y: f64(1) })).code).toBe('SHAPE_MISMATCH');
  });
});
