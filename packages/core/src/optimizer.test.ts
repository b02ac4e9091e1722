import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { quadraticObjective, rosenbrock, type Objective } from './objective.js';
import { Optimizer, minimize } from './optimizer.js';
import { adam, cloneParams, sgd, type GradientTransformation, type Params, type StepContext } from './transform.js';

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

/** A diagonal quadratic ½ Σ dᵢ xᵢ² − bᵀx. */
function diagQuadratic(d: number[], b: number[]): Objective {
  const n = d.length;
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = d[i];
  return quadraticObjective({ rows: n, cols: n, data }, Float64Array.from(b));
}

describe('Optimizer', () => {
  it('updates a single vector in place (SGD by hand) and counts steps', () => {
    const w = f64(1, -1);
    const opt = new Optimizer(sgd(0.5), w);
    expect(opt.step(f64(2, 4))).toBe(true);
    expect(Array.from(w)).toEqual([0, -3]);
    expect(opt.params.x).toBe(w);
    expect(opt.stepCount).toBe(1);
  });

  it('updates named params and checks grads against them', () => {
    const params = { w: f64(1, 2), b: new Float32Array([0.5]) };
    const opt = new Optimizer(sgd(1), params);
    opt.step({ w: f64(1, 1), b: new Float32Array([0.5]) });
    expect(Array.from(params.w)).toEqual([0, 1]);
    expect(params.b[0]).toBe(0);
    const extra = errorOf(() => opt.step({ w: f64(1, 1), b: new Float32Array(1), c: f64(1) }));
    expect(extra.code).toBe('SHAPE_MISMATCH');
    expect(extra.argument).toBe('grads.c');
    expect(errorOf(() => opt.step({ w: f64(1, 1, 1), b: new Float32Array(1) })).argument).toBe('grads.w');
    expect(errorOf(() => opt.step({ w: f64(1, 1), b: f64(1) })).argument).toBe('grads.b');
    expect(errorOf(() => opt.step(f64(1, 1))).code).toBe('SHAPE_MISMATCH');
    expect(opt.stepCount).toBe(1);
  });

  it('nanPolicy "throw" names the parameter and changes nothing', () => {
    const params = { w: f64(1, 2), b: f64(3) };
    const opt = new Optimizer(adam(0.1), params);
    opt.step({ w: f64(1, 1), b: f64(1) });
    const before = cloneParams(params);
    const stateBefore = JSON.stringify(opt.state, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
    const e = errorOf(() => opt.step({ w: f64(1, 1), b: f64(Number.NaN) }));
    expect(e.code).toBe('NOT_FINITE');
    expect(e.argument).toBe('grads.b');
    expect(params).toEqual(before);
    expect(JSON.stringify(opt.state, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))).toBe(stateBefore);
    expect(opt.stepCount).toBe(1);
    expect(errorOf(() => opt.step({ w: f64(Infinity, 1), b: f64(0) })).argument).toBe('grads.w');
  });

  it('nanPolicy "skip" skips and counts, and the next finite step is unaffected', () => {
    const a = new Optimizer(adam(0.1), { w: f64(1, 2) }, { nanPolicy: 'skip' });
    const b = new Optimizer(adam(0.1), { w: f64(1, 2) });
    expect(a.step({ w: f64(Number.NaN, 1) })).toBe(false);
    expect(a.skippedSteps).toBe(1);
    expect(a.stepCount).toBe(0);
    expect(Array.from(a.params.w)).toEqual([1, 2]);
    a.step({ w: f64(0.3, -2) });
    b.step({ w: f64(0.3, -2) });
    expect(a.params.w).toEqual(b.params.w);
  });

  it('nanPolicy "ignore" lets NaN through; a bad policy is INVALID_OPTION', () => {
    const opt = new Optimizer(sgd(1), f64(1), { nanPolicy: 'ignore' });
    opt.step(f64(Number.NaN));
    expect(opt.params.x[0]).toBeNaN();
    expect(errorOf(() => new Optimizer(sgd(1), f64(1), { nanPolicy: 'warn' as 'skip' })).argument).toBe('nanPolicy');
  });

  it('passes step index, loss and hvp to the transform', () => {
    const seen: StepContext[] = [];
    const spy: GradientTransformation<Record<string, never>> = {
      init: () => ({}),
      update: (_u, _s, _p, ctx) => {
        seen.push({ ...ctx! });
      },
    };
    const opt = new Optimizer(spy, f64(0));
    const hvp = (_v: Params, _o: Params) => {};
    opt.step(f64(1), { loss: 3, hvp });
    opt.step(f64(1));
    expect(seen[0].step).toBe(0);
    expect(seen[0].loss).toBe(3);
    expect(seen[0].hvp).toBe(hvp);
    expect(seen[1].step).toBe(1);
    expect(seen[1].loss).toBeUndefined();
  });

  it('reset re-initialises state and counters', () => {
    const opt = new Optimizer(adam(0.1), f64(1), { nanPolicy: 'skip' });
    opt.step(f64(1));
    opt.step(f64(Number.NaN));
    opt.reset();
    expect(opt.stepCount).toBe(0);
    expect(opt.skippedSteps).toBe(0);
    const [adamState] = opt.state;
    expect(adamState.count).toBe(0);
    expect(adamState.mu.x[0]).toBe(0);
  });

  it('rejects bad constructor arguments', () => {
    expect(errorOf(() => new Optimizer({} as GradientTransformation, f64(1))).argument).toBe('transform');
    expect(errorOf(() => new Optimizer(sgd(1), { w: [1] as unknown as Float64Array })).argument).toBe('params.w');
  });
});

describe('minimize', () => {
  it('converges on a quadratic with SGD to A⁻¹b and records history', () => {
    const f = diagQuadratic([1, 2, 4], [1, 2, 4]); // minimiser (1, 1, 1)
    const x0 = f64(0, 0, 0);
    const r = minimize(f, x0, sgd(0.2), { tol: 1e-10, maxIter: 1000 });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('converged');
    for (const v of r.x) expect(v).toBeCloseTo(1, 9);
    expect(r.history.objective!.length).toBe(r.iterations + 1);
    expect(r.history.residual![r.iterations]).toBeLessThanOrEqual(1e-10);
    expect(r.history.time!.length).toBe(r.iterations + 1);
    expect(r.value).toBeCloseTo(-3.5, 9); // f(x*) = −½ bᵀx* = −½(1 + 2 + 4)
    expect(Array.from(x0)).toEqual([0, 0, 0]);
  });

  it('stops at maxIter and by callback', () => {
    const f = rosenbrock(2);
    const r = minimize(f, f64(-1, 1), adam(1e-3), { maxIter: 10 });
    expect(r.reason).toBe('maxIter');
    expect(r.iterations).toBe(10);
    expect(r.converged).toBe(false);
    const iters: number[] = [];
    const c = minimize(f, f64(-1, 1), adam(1e-3), { callback: (info) => (iters.push(info.iteration), info.iteration === 3) });
    expect(c.reason).toBe('callback');
    expect(c.iterations).toBe(3);
    expect(iters).toEqual([0, 1, 2, 3]);
  });

  it('reports breakdown on divergence and returns the last finite iterate', () => {
    const f = diagQuadratic([1], [0]);
    const r = minimize(f, f64(1), sgd(4), { maxIter: 100000 });
    expect(r.reason).toBe('breakdown');
    expect(r.converged).toBe(false);
    expect(Number.isFinite(r.x[0])).toBe(true);
    expect(Number.isFinite(r.value)).toBe(true);
    expect(r.history.objective!.length).toBe(r.iterations + 1);
  });

  it('hands an HVP closure at the current x to the transform (one Newton step solves a diagonal quadratic)', () => {
    const f = diagQuadratic([1, 10, 100], [2, 20, 300]);
    const ones: Params = { x: f64(1, 1, 1) };
    const diag: Params = { x: new Float64Array(3) };
    const newton: GradientTransformation<Record<string, never>> = {
      init: () => ({}),
      update(u, _s, _p, ctx) {
        ctx!.hvp!(ones, diag);
        for (let i = 0; i < 3; i++) u.x[i] = -u.x[i] / diag.x[i];
      },
    };
    const r = minimize(f, f64(5, 5, 5), newton, { tol: 1e-12 });
    expect(r.iterations).toBe(1);
    expect(Array.from(r.x)).toEqual([2, 2, 3]);
  });

  it('validates input', () => {
    const f = rosenbrock(2);
    expect(errorOf(() => minimize(f, f64(1), sgd(0.1))).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => minimize(f, f64(1, Number.NaN), sgd(0.1))).code).toBe('NOT_FINITE');
    expect(errorOf(() => minimize(f, f64(1, 1), sgd(0.1), { maxIter: -1 })).argument).toBe('maxIter');
    expect(errorOf(() => minimize(f, f64(1, 1), sgd(0.1), { tol: Number.NaN })).argument).toBe('tol');
    const ac = new AbortController();
    ac.abort();
    expect(errorOf(() => minimize(f, f64(0, 0), sgd(0.1), { signal: ac.signal })).code).toBe('ABORTED');
    const nanAtStart: Objective = { dim: 1, value: () => Number.NaN, grad: (_x, o = new Float64Array(1)) => o };
    expect(errorOf(() => minimize(nanAtStart, f64(0), sgd(0.1))).code).toBe('NOT_FINITE');
  });
});
