/**
 * The optimizer conformance battery: every gradient transformation in optkit runs through the same
 * tests (the role of optax's `contrib/_common_test.py`). A package adds one entry per optimizer:
 *
 * ```ts
 * import { describeOptimizerConformance } from '@optkit/core/testing';
 * describeOptimizerConformance([
 *   { name: 'lion', make: (lr) => lion({ lr }), lr: 1e-3 },
 * ]);
 * ```
 *
 * For each case it registers vitest tests:
 * - `parabola`: f(x) = Σ(x − x*)² from x0 = (−1, 10, 1) to x* = (1, −1, 1) (optax's target);
 * - `matrixParabola`: ½(x − x*)ᵀA(x − x*) in 10-D with A's eigenvalues logspace(−1, 1) (condition 100);
 * - `rosenbrock`: 2-D Rosenbrock from (0, 0) to (1, 1);
 *   all three must end within |x − x*| ≤ 3e-2 + 3e-2·|x*| per coordinate (optax's rtol = atol = 3e-2);
 * - `scheduleEqualsConstant`: `make(() => lr)` gives bit-identical params and state to `make(lr)`;
 * - `stateStable`: after steps the state has the same keys, the same typed-array objects (updated in
 *   place) with unchanged dtypes and lengths, and no NaN;
 * - `float32`: Float32Array params stay Float32Array, state buffers mirroring them are Float32Array,
 *   and the float32 parabola converges;
 * - `badInput`: mismatched names, lengths or dtypes give SHAPE_MISMATCH through the Optimizer adapter;
 *   `make(NaN)` and `make(-1)` give INVALID_OPTION;
 * - `nanGradient`: through the Optimizer, a NaN gradient throws NOT_FINITE naming the parameter and
 *   changes nothing (`nanPolicy: 'throw'`), or is skipped and counted (`'skip'`);
 * - `noContext`: `update` works with no `ctx` (skipped automatically when `needsHvp`).
 * Every step of the other tests carries `ctx.loss`, an exact `ctx.hvp` and a seeded `ctx.rng`.
 */
import { describe, expect, it } from 'vitest';
import { OptkitError } from '../errors.js';
import { quadraticObjective, rosenbrock, type Objective } from '../objective.js';
import { Optimizer, type StepExtras } from '../optimizer.js';
import { Rng } from '../rng.js';
import type { ScalarOrSchedule } from '../schedule.js';
import type { GradientTransformation, ParamArray, Params } from '../transform.js';

/** Names of the battery's tests, for `skip`. */
export const CONFORMANCE_TESTS = [
  'parabola',
  'matrixParabola',
  'rosenbrock',
  'scheduleEqualsConstant',
  'stateStable',
  'float32',
  'badInput',
  'nanGradient',
  'noContext',
] as const;
export type ConformanceTest = (typeof CONFORMANCE_TESTS)[number];

/** The convergence targets. */
export type ConformanceTarget = 'parabola' | 'matrixParabola' | 'rosenbrock';

export interface ConformanceCase {
  /** Test-suite name, e.g. `'adam'`. */
  name: string;
  /** Builds the transformation with learning rate `lr` (a number or a schedule). */
  make: (lr: ScalarOrSchedule) => GradientTransformation<any>;
  /** Learning rate for every test (> 0). */
  lr: number;
  /** Steps for the convergence targets (default 20 000, as optax). */
  steps?: number;
  /**
   * Tests that do not apply to this optimizer, by name (see {@link CONFORMANCE_TESTS}); they are not
   * registered at all (scipy's per-solver skip lists), and say why in the case's comment. Unknown
   * names are refused, so a typo cannot silently drop a test.
   */
  skip?: readonly ConformanceTest[];
  /** The transform needs `ctx.hvp`: the `noContext` test is skipped. */
  needsHvp?: boolean;
  /** Per-target learning rate or step count, when one lr cannot suit all three targets. */
  overrides?: Partial<Record<ConformanceTarget, { lr?: number; steps?: number }>>;
}

// ---------------------------------------------------------------------------------------------
// Problems

/** A smooth problem on named params, with everything a step context can carry. */
export interface ConformanceProblem {
  /** Initial parameters (copied by each run). */
  init: Params;
  /** Minimiser, when known. */
  solution?: Params;
  loss(p: Params): number;
  /** Writes ∇loss(p) into `out`. */
  grad(p: Params, out: Params): void;
  /** Writes ∇²loss(p)·v into `out`. */
  hvp(p: Params, v: Params, out: Params): void;
}

function clone(p: Params): Params {
  const out: Params = {};
  for (const k in p) out[k] = p[k].slice();
  return out;
}

/** A single-vector problem `{x}` from an objective with hvp. */
function fromObjective(f: Objective, x0: Float64Array, xStar: Float64Array): ConformanceProblem {
  return {
    init: { x: x0 },
    solution: { x: xStar },
    loss: (p) => f.value(p.x as Float64Array),
    grad: (p, out) => {
      f.grad(p.x as Float64Array, out.x as Float64Array);
    },
    hvp: (p, v, out) => {
      f.hvp!(p.x as Float64Array, v.x as Float64Array, out.x as Float64Array);
    },
  };
}

/** A random orthogonal n×n matrix (Gram–Schmidt on seeded normals), row-major. */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = rng.fillNormal(new Float64Array(n * n)) as Float64Array;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < n; k++) d += q[i * n + k] * q[j * n + k];
      for (let k = 0; k < n; k++) q[i * n + k] -= d * q[j * n + k];
    }
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k] ** 2;
    s = 1 / Math.sqrt(s);
    for (let k = 0; k < n; k++) q[i * n + k] *= s;
  }
  return q;
}

/** The convergence targets of the battery (fresh objects on every call). */
export function conformanceTarget(target: ConformanceTarget): ConformanceProblem {
  if (target === 'parabola') {
    // f(x) = ‖x − x*‖² = xᵀx − 2x*ᵀx + ‖x*‖²: quadratic with A = 2I, b = 2x*, c = ‖x*‖².
    const xStar = new Float64Array([1, -1, 1]);
    const f = quadraticObjective({ rows: 3, cols: 3, data: new Float64Array([2, 0, 0, 0, 2, 0, 0, 0, 2]) }, xStar.map((v) => 2 * v), 3);
    return fromObjective(f, new Float64Array([-1, 10, 1]), xStar);
  }
  if (target === 'matrixParabola') {
    const n = 10;
    const rng = new Rng(7);
    const q = randomOrthogonal(n, rng);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q[k * n + i] * 10 ** (-1 + (2 * k) / (n - 1)) * q[k * n + j];
        a[i * n + j] = s;
      }
    }
    // Exact symmetry (the products above agree only to rounding).
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
    const xStar = rng.fillNormal(new Float64Array(n)) as Float64Array;
    const b = new Float64Array(n);
    let c = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) b[i] += a[i * n + j] * xStar[j];
      c += 0.5 * xStar[i] * b[i];
    }
    return fromObjective(quadraticObjective({ rows: n, cols: n, data: a }, b, c), new Float64Array(n), xStar);
  }
  return fromObjective(rosenbrock(2), new Float64Array(2), new Float64Array([1, 1]));
}

/**
 * Two named tensors with a separable quadratic loss Σ ½dᵢ(pᵢ − tᵢ)², in float64 or float32; the
 * names and lengths (`weights` 7, `bias` 3) are used by the dtype and shape tests.
 */
export function separableProblem(dtype: 'float64' | 'float32' = 'float64', seed = 3): ConformanceProblem {
  const rng = new Rng(seed);
  const make = (n: number): ParamArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const sizes: Record<string, number> = { weights: 7, bias: 3 };
  const init: Params = {};
  const solution: Params = {};
  const curv: Record<string, Float64Array> = {};
  for (const k in sizes) {
    init[k] = rng.fillNormal(make(sizes[k]));
    solution[k] = rng.fillNormal(make(sizes[k]));
    curv[k] = rng.fillUniform(new Float64Array(sizes[k]), 0.5, 2) as Float64Array;
  }
  return {
    init,
    solution,
    loss(p) {
      let s = 0;
      for (const k in sizes) {
        const a = p[k];
        for (let i = 0; i < a.length; i++) s += 0.5 * curv[k][i] * (a[i] - solution[k][i]) ** 2;
      }
      return s;
    },
    grad(p, out) {
      for (const k in sizes) for (let i = 0; i < sizes[k]; i++) out[k][i] = curv[k][i] * (p[k][i] - solution[k][i]);
    },
    hvp(_p, v, out) {
      for (const k in sizes) for (let i = 0; i < sizes[k]; i++) out[k][i] = curv[k][i] * v[k][i];
    },
  };
}

/** Runs `steps` Optimizer steps of `transform` on `problem`, each with loss, exact hvp and a seeded rng. */
export function runConformanceProblem(
  transform: GradientTransformation<any>,
  problem: ConformanceProblem,
  steps: number,
  seed = 0,
): { params: Params; optimizer: Optimizer<any> } {
  const params = clone(problem.init);
  const grads = clone(problem.init);
  const opt = new Optimizer(transform, params);
  const extras: StepExtras = {
    rng: new Rng(seed),
    hvp: (v, out) => problem.hvp(params, v, out),
  };
  for (let k = 0; k < steps; k++) {
    problem.grad(params, grads);
    extras.loss = problem.loss(params);
    opt.step(grads, extras);
  }
  return { params, optimizer: opt };
}

// ---------------------------------------------------------------------------------------------
// State inspection

type Leaf = { path: string; value: unknown };

/** The leaves (numbers, booleans, strings, typed arrays, functions) of a state, with their paths. */
export function stateLeaves(state: unknown): Leaf[] {
  const out: Leaf[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v === null || v === undefined || typeof v !== 'object' || ArrayBuffer.isView(v)) {
      out.push({ path, value: v });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    for (const key of Object.keys(v as object).sort()) walk((v as Record<string, unknown>)[key], `${path}.${key}`);
  };
  walk(state, 'state');
  return out;
}

function bitsEqual(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (a.constructor !== b.constructor || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  return Object.is(a, b);
}

function snapshot(state: unknown): Leaf[] {
  return stateLeaves(state).map(({ path, value }) => ({
    path,
    value: ArrayBuffer.isView(value) ? (value as unknown as ParamArray).slice() : value,
  }));
}

function expectSameLeaves(actual: Leaf[], expected: Leaf[], what: string): void {
  expect(actual.map((l) => l.path), `${what}: state keys`).toEqual(expected.map((l) => l.path));
  for (let i = 0; i < actual.length; i++) {
    expect(bitsEqual(actual[i].value, expected[i].value), `${what}: ${actual[i].path} differs`).toBe(true);
  }
}

function expectParamsBitEqual(a: Params, b: Params, what: string): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k in a) expect(bitsEqual(a[k], b[k]), `${what}: params.${k} differs`).toBe(true);
}

function hasNaN(v: unknown): boolean {
  if (typeof v === 'number') return Number.isNaN(v);
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) return true;
  }
  return false;
}

function expectCloseTo(params: Params, solution: Params, what: string): void {
  for (const k in solution) {
    const x = params[k];
    const s = solution[k];
    for (let i = 0; i < s.length; i++) {
      const tol = 3e-2 + 3e-2 * Math.abs(s[i]);
      const err = Math.abs(x[i] - s[i]);
      expect(err <= tol, `${what}: ${k}[${i}] = ${x[i]}, expected ${s[i]} ± ${tol}`).toBe(true);
    }
  }
}

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError, but nothing was thrown');
}

// ---------------------------------------------------------------------------------------------
// The battery

function checkCases(cases: readonly ConformanceCase[]): void {
  const seen = new Set<string>();
  for (const c of cases) {
    if (typeof c.name !== 'string' || c.name === '' || seen.has(c.name)) {
      throw new OptkitError('INVALID_ARGUMENT', `describeOptimizerConformance: case name ${JSON.stringify(c.name)} is empty or repeated`, 'cases');
    }
    seen.add(c.name);
    if (typeof c.make !== 'function') {
      throw new OptkitError('INVALID_ARGUMENT', `describeOptimizerConformance: case ${c.name} has no make(lr)`, 'cases');
    }
    if (!(c.lr > 0) || !Number.isFinite(c.lr)) {
      throw new OptkitError('INVALID_OPTION', `describeOptimizerConformance: case ${c.name} has lr ${c.lr}; expected a finite number > 0`, 'lr');
    }
    for (const s of c.skip ?? []) {
      if (!(CONFORMANCE_TESTS as readonly string[]).includes(s)) {
        throw new OptkitError(
          'INVALID_OPTION',
          `describeOptimizerConformance: case ${c.name} skips unknown test ${JSON.stringify(s)}; known: ${CONFORMANCE_TESTS.join(', ')}`,
          'skip',
        );
      }
    }
  }
}

/** Registers the conformance tests (vitest `describe`/`it`) for every case. */
export function describeOptimizerConformance(cases: readonly ConformanceCase[]): void {
  checkCases(cases);
  for (const c of cases) {
    const skip = new Set<string>(c.skip ?? []);
    if (c.needsHvp) skip.add('noContext');
    const test = (name: ConformanceTest, body: () => void): void => {
      if (!skip.has(name)) it(name, body);
    };
    const stepsFor = (t: ConformanceTarget) => c.overrides?.[t]?.steps ?? c.steps ?? 20_000;
    const lrFor = (t: ConformanceTarget) => c.overrides?.[t]?.lr ?? c.lr;

    describe(`optimizer conformance: ${c.name}`, () => {
      for (const target of ['parabola', 'matrixParabola', 'rosenbrock'] as const) {
        test(target, () => {
          const problem = conformanceTarget(target);
          const { params } = runConformanceProblem(c.make(lrFor(target)), problem, stepsFor(target));
          expectCloseTo(params, problem.solution!, `${c.name} on ${target}`);
        });
      }

      test('scheduleEqualsConstant', () => {
        const lr = c.lr;
        const problem = separableProblem();
        const a = runConformanceProblem(c.make(lr), problem, 50, 1);
        const b = runConformanceProblem(c.make(() => lr), problem, 50, 1);
        expectParamsBitEqual(b.params, a.params, 'schedule vs constant');
        expectSameLeaves(snapshot(b.optimizer.state), snapshot(a.optimizer.state), 'schedule vs constant');
      });

      test('stateStable', () => {
        const problem = separableProblem();
        const params = clone(problem.init);
        const opt = new Optimizer(c.make(c.lr), params);
        const before = stateLeaves(opt.state);
        for (const { path, value } of before) expect(hasNaN(value), `${path} has NaN after init`).toBe(false);
        const grads = clone(problem.init);
        const extras: StepExtras = { rng: new Rng(2), hvp: (v, out) => problem.hvp(params, v, out) };
        for (let k = 0; k < 10; k++) {
          problem.grad(params, grads);
          extras.loss = problem.loss(params);
          opt.step(grads, extras);
        }
        const after = stateLeaves(opt.state);
        expect(after.map((l) => l.path), 'state keys').toEqual(before.map((l) => l.path));
        for (let i = 0; i < after.length; i++) {
          const p = after[i].path;
          const v0 = before[i].value;
          const v1 = after[i].value;
          expect(typeof v1, `${p} type`).toBe(typeof v0);
          if (ArrayBuffer.isView(v0)) {
            expect(v1, `${p} must be updated in place, not replaced`).toBe(v0);
            expect((v1 as ParamArray).length, `${p} length`).toBe((v0 as ParamArray).length);
          }
          expect(hasNaN(v1), `${p} has NaN after 10 steps`).toBe(false);
        }
        for (const k in params) expect(hasNaN(params[k]), `params.${k} has NaN`).toBe(false);
      });

      test('float32', () => {
        const xStar = [1, -1, 1];
        // The parabola of optax's test in float32, split into two tensors with distinctive names.
        const problem: ConformanceProblem = {
          init: { f32a: new Float32Array([-1, 10]), f32b: new Float32Array([1]) },
          solution: { f32a: new Float32Array([1, -1]), f32b: new Float32Array([1]) },
          loss: (p) => (p.f32a[0] - 1) ** 2 + (p.f32a[1] + 1) ** 2 + (p.f32b[0] - 1) ** 2,
          grad: (p, out) => {
            out.f32a[0] = 2 * (p.f32a[0] - xStar[0]);
            out.f32a[1] = 2 * (p.f32a[1] - xStar[1]);
            out.f32b[0] = 2 * (p.f32b[0] - xStar[2]);
          },
          hvp: (_p, v, out) => {
            out.f32a[0] = 2 * v.f32a[0];
            out.f32a[1] = 2 * v.f32a[1];
            out.f32b[0] = 2 * v.f32b[0];
          },
        };
        const { params, optimizer } = runConformanceProblem(c.make(lrFor('parabola')), problem, stepsFor('parabola'));
        expect(params.f32a).toBeInstanceOf(Float32Array);
        expect(params.f32b).toBeInstanceOf(Float32Array);
        expect(optimizer.params).toBe(params);
        for (const { path, value } of stateLeaves(optimizer.state)) {
          const name = path.slice(path.lastIndexOf('.') + 1);
          if (ArrayBuffer.isView(value) && (name === 'f32a' || name === 'f32b')) {
            expect(value, `${path} must be Float32Array like params.${name}`).toBeInstanceOf(Float32Array);
          }
        }
        expectCloseTo(params, problem.solution!, `${c.name} on the float32 parabola`);
      });

      test('badInput', () => {
        const params = { weights: new Float64Array(7), bias: new Float64Array(3) };
        const opt = new Optimizer(c.make(c.lr), params);
        const cases: Array<[Params, string]> = [
          [{ weights: new Float64Array(7) }, 'grads.bias'],
          [{ weights: new Float64Array(7), bias: new Float64Array(3), extra: new Float64Array(1) }, 'grads.extra'],
          [{ weights: new Float64Array(6), bias: new Float64Array(3) }, 'grads.weights'],
          [{ weights: new Float64Array(7), bias: new Float32Array(3) }, 'grads.bias'],
        ];
        for (const [grads, argument] of cases) {
          const e = errorOf(() => opt.step(grads));
          expect(e.code).toBe('SHAPE_MISMATCH');
          expect(e.argument).toBe(argument);
        }
        expect(opt.stepCount).toBe(0);
        expect(errorOf(() => c.make(Number.NaN)).code).toBe('INVALID_OPTION');
        expect(errorOf(() => c.make(-1)).code).toBe('INVALID_OPTION');
      });

      test('nanGradient', () => {
        const problem = separableProblem();
        for (const policy of ['throw', 'skip'] as const) {
          const params = clone(problem.init);
          const grads = clone(problem.init);
          const opt = new Optimizer(c.make(c.lr), params, { nanPolicy: policy });
          const extras: StepExtras = { rng: new Rng(4), hvp: (v, out) => problem.hvp(params, v, out) };
          for (let k = 0; k < 3; k++) {
            problem.grad(params, grads);
            extras.loss = problem.loss(params);
            opt.step(grads, extras);
          }
          const paramsBefore = clone(params);
          const stateBefore = snapshot(opt.state);
          problem.grad(params, grads);
          grads.bias[1] = Number.NaN;
          if (policy === 'throw') {
            const e = errorOf(() => opt.step(grads, extras));
            expect(e.code).toBe('NOT_FINITE');
            expect(e.argument).toBe('grads.bias');
          } else {
            expect(opt.step(grads, extras)).toBe(false);
            expect(opt.skippedSteps).toBe(1);
          }
          expect(opt.stepCount).toBe(3);
          expectParamsBitEqual(params, paramsBefore, `after a NaN gradient (${policy})`);
          expectSameLeaves(snapshot(opt.state), stateBefore, `after a NaN gradient (${policy})`);
        }
      });

      test('noContext', () => {
        const problem = conformanceTarget('parabola');
        const t = c.make(c.lr);
        const params = clone(problem.init);
        const grads = clone(problem.init);
        const state = t.init(params);
        const f0 = problem.loss(params);
        for (let k = 0; k < 200; k++) {
          problem.grad(params, grads);
          t.update(grads, state, params);
          for (const key in params) {
            const p = params[key];
            const u = grads[key];
            for (let i = 0; i < p.length; i++) p[i] += u[i];
          }
        }
        const f1 = problem.loss(params);
        expect(Number.isFinite(f1)).toBe(true);
        expect(f1, 'loss must decrease without ctx').toBeLessThan(f0);
      });
    });
  }
}
