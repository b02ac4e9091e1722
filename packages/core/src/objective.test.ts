import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import {
  checkGradient,
  checkHvp,
  evaluateObjective,
  logisticRegression,
  quadraticObjective,
  rosenbrock,
  type Objective,
} from './objective.js';
import { Rng } from './rng.js';

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

function randomVec(n: number, seed: number, std = 1): Float64Array {
  return new Rng(seed).fillNormal(new Float64Array(n), 0, std) as Float64Array;
}

/** A random symmetric positive definite n×n matrix M Mᵀ + n·I, row-major. */
function randomSpd(n: number, seed: number): { rows: number; cols: number; data: Float64Array } {
  const m = randomVec(n * n, seed);
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
      data[i * n + j] = s;
    }
  }
  return { rows: n, cols: n, data };
}

function logisticData(n: number, d: number, seed: number) {
  const rng = new Rng(seed);
  const X = { rows: n, cols: d, data: rng.fillNormal(new Float64Array(n * d)) as Float64Array };
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.uniform() < 0.5 ? -1 : 1;
  return { X, y };
}

describe('checkGradient', () => {
  it('gives ~1e-9 or less for a correct gradient (Rosenbrock, coordinates)', () => {
    const f = rosenbrock(6);
    const x = randomVec(6, 1, 0.8);
    const r = checkGradient(f, x);
    expect(r.relativeError).toBeLessThan(1e-9);
    expect(r.analytic.length).toBe(6);
    expect(r.numeric.length).toBe(6);
  });

  it('flags a deliberately wrong gradient', () => {
    const good = rosenbrock(4);
    const bad: Objective = {
      dim: 4,
      value: (x) => good.value(x),
      grad: (x, out) => {
        const g = good.grad(x, out);
        g[2] *= 1.1; // 10% error in one partial derivative
        return g;
      },
    };
    const x = randomVec(4, 2);
    expect(checkGradient(bad, x).relativeError).toBeGreaterThan(1e-3);
    expect(checkGradient(bad, x, { directions: 8 }).relativeError).toBeGreaterThan(1e-3);
    expect(checkGradient(good, x, { directions: 8 }).relativeError).toBeLessThan(1e-8);
  });

  it('uses random directions by default above dim 100, and does not modify x', () => {
    const { X, y } = logisticData(60, 150, 3);
    const f = logisticRegression(X, y, { l2: 0.1 });
    const w = randomVec(150, 4, 0.1);
    const before = Float64Array.from(w);
    const r = checkGradient(f, w);
    expect(r.analytic.length).toBe(20);
    expect(r.relativeError).toBeLessThan(1e-7);
    expect(w).toEqual(before);
  });

  it('reports 0 for a zero gradient checked at a stationary point', () => {
    const r = checkGradient(rosenbrock(3), new Float64Array([1, 1, 1]));
    expect(r.maxAbsError).toBeLessThan(1e-6);
  });

  it('rejects bad input with named errors', () => {
    const f = rosenbrock(3);
    expect(errorOf(() => checkGradient(f, new Float64Array(2))).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => checkGradient(f, new Float64Array([1, Number.NaN, 0]))).code).toBe('NOT_FINITE');
    expect(errorOf(() => checkGradient(f, new Float64Array(3), { h: 0 })).argument).toBe('h');
    expect(errorOf(() => checkGradient(f, new Float64Array(3), { directions: 0 })).argument).toBe('directions');
    expect(errorOf(() => checkGradient({} as Objective, new Float64Array(3))).argument).toBe('objective');
  });
});

describe('checkHvp', () => {
  it('agrees with exact HVPs and flags a wrong one', () => {
    const f = rosenbrock(5);
    const x = randomVec(5, 5);
    expect(checkHvp(f, x, { seed: 1 }).relativeError).toBeLessThan(1e-8);
    const wrong: Objective = {
      dim: 5,
      value: f.value,
      grad: f.grad,
      hvp: (xx, v, out) => {
        const y = f.hvp!(xx, v, out);
        y[0] += 1;
        return y;
      },
    };
    expect(checkHvp(wrong, x, { seed: 1 }).relativeError).toBeGreaterThan(1e-4);
  });

  it('accepts a given direction and rejects objectives without hvp', () => {
    const f = rosenbrock(2);
    const r = checkHvp(f, new Float64Array([1, 1]), { v: new Float64Array([1, 0]) });
    expect(r.analytic[0]).toBeCloseTo(802, 10);
    expect(r.analytic[1]).toBeCloseTo(-400, 10);
    const noHvp: Objective = { dim: 2, value: f.value, grad: f.grad };
    expect(errorOf(() => checkHvp(noHvp, new Float64Array(2))).code).toBe('UNSUPPORTED');
    expect(errorOf(() => checkHvp(f, new Float64Array(2), { v: new Float64Array(3) })).code).toBe('SHAPE_MISMATCH');
  });
});

describe('quadraticObjective', () => {
  const A = { rows: 3, cols: 3, data: new Float64Array([4, 1, 0, 1, 3, -1, 0, -1, 2]) };
  const b = new Float64Array([1, -2, 0.5]);

  it('has value ½xᵀAx − bᵀx + c, gradient Ax − b and hvp Av (hand-computed)', () => {
    const f = quadraticObjective(A, b, 7);
    const x = new Float64Array([1, 2, 3]);
    // Ax = [6, 4, 4]; ½xᵀAx = ½(6 + 8 + 12) = 13; bᵀx = 1 − 4 + 1.5 = −1.5.
    expect(f.value(x)).toBeCloseTo(13 + 1.5 + 7, 14);
    expect(Array.from(f.grad(x))).toEqual([5, 6, 3.5]);
    expect(Array.from(f.hvp!(x, new Float64Array([0, 1, 0])))).toEqual([1, 3, -1]);
    const vg = f.valueAndGrad!(x);
    expect(vg.value).toBeCloseTo(21.5, 14);
    expect(Array.from(vg.grad)).toEqual([5, 6, 3.5]);
    expect(checkGradient(f, randomVec(3, 9)).relativeError).toBeLessThan(1e-9);
  });

  it('accepts a matrix-free operator with the same results', () => {
    const op = {
      rows: 3,
      cols: 3,
      apply(x: Float64Array, out = new Float64Array(3)) {
        const y0 = 4 * x[0] + x[1];
        const y1 = x[0] + 3 * x[1] - x[2];
        const y2 = -x[1] + 2 * x[2];
        out[0] = y0;
        out[1] = y1;
        out[2] = y2;
        return out;
      },
    };
    const fd = quadraticObjective(A, b);
    const fo = quadraticObjective(op, b);
    const x = randomVec(3, 11);
    expect(fo.value(x)).toBeCloseTo(fd.value(x), 13);
    expect(Array.from(fo.grad(x))).toEqual(Array.from(fd.grad(x)));
  });

  it('is minimised at A⁻¹b (gradient vanishes there)', () => {
    const spd = randomSpd(6, 12);
    const xStar = randomVec(6, 13);
    const bb = new Float64Array(6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) bb[i] += spd.data[i * 6 + j] * xStar[j];
    const f = quadraticObjective(spd, bb);
    const g = f.grad(xStar);
    for (let i = 0; i < 6; i++) expect(Math.abs(g[i])).toBeLessThan(1e-12);
  });

  it('handles out aliasing x and v', () => {
    const f = quadraticObjective(A, b);
    const x = new Float64Array([1, 2, 3]);
    f.grad(x, x);
    expect(Array.from(x)).toEqual([5, 6, 3.5]);
    const v = new Float64Array([0, 1, 0]);
    f.hvp!(new Float64Array(3), v, v);
    expect(Array.from(v)).toEqual([1, 3, -1]);
  });

  it('rejects bad input', () => {
    expect(errorOf(() => quadraticObjective(A, new Float64Array(2))).code).toBe('SHAPE_MISMATCH');
    const unsym = { rows: 2, cols: 2, data: new Float64Array([1, 2, 3, 4]) };
    expect(errorOf(() => quadraticObjective(unsym, new Float64Array(2))).argument).toBe('A');
    const nan = { rows: 2, cols: 2, data: new Float64Array([1, Number.NaN, Number.NaN, 1]) };
    expect(errorOf(() => quadraticObjective(nan, new Float64Array(2))).code).toBe('NOT_FINITE');
    expect(errorOf(() => quadraticObjective(A, new Float64Array([1, Infinity, 0]))).argument).toBe('b');
    expect(errorOf(() => quadraticObjective(A, b).grad(new Float64Array(4))).code).toBe('SHAPE_MISMATCH');
  });
});

describe('rosenbrock', () => {
  it('has its minimum 0 at ones with zero gradient', () => {
    const f = rosenbrock(7);
    const ones = new Float64Array(7).fill(1);
    expect(f.value(ones)).toBe(0);
    expect(Array.from(f.grad(ones))).toEqual(new Array(7).fill(0));
  });

  it('matches hand values in 2-D', () => {
    const f = rosenbrock();
    const z = new Float64Array(2);
    expect(f.value(z)).toBe(1);
    expect(Array.from(f.grad(z))).toEqual([-2, 0]);
    // At (−1, 2): r = 2 − 1 = 1, s = 2 → f = 100 + 4; g0 = −400·(−1)·1 − 4 = 396, g1 = 200.
    const x = new Float64Array([-1, 2]);
    expect(f.value(x)).toBe(104);
    expect(Array.from(f.grad(x))).toEqual([396, 200]);
    // Hessian at (−1, 2): [[1200 − 800 + 2, 400], [400, 200]].
    expect(Array.from(f.hvp!(x, new Float64Array([1, 0])))).toEqual([402, 400]);
    expect(Array.from(f.hvp!(x, new Float64Array([0, 1])))).toEqual([400, 200]);
  });

  it('passes gradient and HVP checks in higher dimension, with aliasing', () => {
    const f = rosenbrock(10);
    const x = randomVec(10, 21);
    expect(checkGradient(f, x).relativeError).toBeLessThan(1e-9);
    expect(checkHvp(f, x).relativeError).toBeLessThan(1e-8);
    const expected = f.grad(x);
    const alias = Float64Array.from(x);
    f.grad(alias, alias);
    expect(alias).toEqual(expected);
    const v = randomVec(10, 22);
    const hv = f.hvp!(x, v);
    f.hvp!(x, v, v);
    expect(v).toEqual(hv);
    const vg = f.valueAndGrad!(x);
    expect(vg.value).toBe(f.value(x));
    expect(vg.grad).toEqual(expected);
  });

  it('rejects dim < 2', () => {
    expect(errorOf(() => rosenbrock(1)).argument).toBe('dim');
  });
});

describe('logisticRegression', () => {
  it('has value log 2 and gradient −(1/2n) Σ yᵢxᵢ at w = 0', () => {
    const X = { rows: 3, cols: 2, data: new Float64Array([1, 2, -1, 0, 3, 1]) };
    const y = [1, -1, 1];
    const f = logisticRegression(X, y);
    expect(f.value(new Float64Array(2))).toBeCloseTo(Math.LN2, 15);
    // Σ yᵢxᵢ = [1 + 1 + 3, 2 + 0 + 1] = [5, 3].
    const g = f.grad(new Float64Array(2));
    expect(g[0]).toBeCloseTo(-5 / 6, 15);
    expect(g[1]).toBeCloseTo(-3 / 6, 15);
  });

  it('maps 0/1 labels to ±1 and adds the ℓ2 term', () => {
    const { X } = logisticData(20, 4, 30);
    const yPm = new Float64Array(20);
    const y01 = new Float64Array(20);
    for (let i = 0; i < 20; i++) {
      yPm[i] = i % 3 === 0 ? 1 : -1;
      y01[i] = i % 3 === 0 ? 1 : 0;
    }
    const w = randomVec(4, 31);
    const a = logisticRegression(X, yPm, { l2: 0.5 });
    const b = logisticRegression(X, y01, { l2: 0.5 });
    const c = logisticRegression(X, y01);
    expect(a.value(w)).toBe(b.value(w));
    const ww = w.reduce((s, v) => s + v * v, 0);
    expect(a.value(w) - c.value(w)).toBeCloseTo(0.25 * ww, 14);
  });

  it('passes gradient and HVP checks, and valueAndGrad agrees', () => {
    const { X, y } = logisticData(50, 8, 40);
    const f = logisticRegression(X, y, { l2: 1e-2 });
    const w = randomVec(8, 41);
    expect(checkGradient(f, w).relativeError).toBeLessThan(1e-8);
    expect(checkHvp(f, w).relativeError).toBeLessThan(1e-7);
    const vg = f.valueAndGrad!(w);
    expect(vg.value).toBe(f.value(w));
    expect(vg.grad).toEqual(f.grad(w));
  });

  it('never overflows for huge margins', () => {
    const X = { rows: 2, cols: 1, data: new Float64Array([1, -1]) };
    const f = logisticRegression(X, [1, 1]);
    const w = new Float64Array([1000]);
    // Sample 1 has margin 1000 (loss ≈ 0), sample 2 margin −1000 (loss ≈ 1000): mean 500.
    expect(f.value(w)).toBeCloseTo(500, 10);
    const g = f.grad(w);
    expect(g[0]).toBeCloseTo(0.5, 12);
    expect(Number.isFinite(f.hvp!(w, new Float64Array([1]))[0])).toBe(true);
  });

  it('rejects bad labels, shapes and options', () => {
    const X = { rows: 2, cols: 2, data: new Float64Array(4) };
    expect(errorOf(() => logisticRegression(X, [1, 2])).argument).toBe('y');
    expect(errorOf(() => logisticRegression(X, [1, 0, 1])).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => logisticRegression(X, [0, -1])).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => logisticRegression(X, [1, -1], { l2: -1 })).argument).toBe('options.l2');
    expect(errorOf(() => logisticRegression({ rows: 2, cols: 2, data: new Float64Array(3) }, [1, -1])).code).toBe(
      'SHAPE_MISMATCH',
    );
  });
});

describe('evaluateObjective', () => {
  it('uses valueAndGrad when present and value + grad otherwise', () => {
    const f = rosenbrock(3);
    const plain: Objective = { dim: 3, value: f.value, grad: f.grad };
    const x = randomVec(3, 50);
    const g1 = new Float64Array(3);
    const g2 = new Float64Array(3);
    expect(evaluateObjective(f, x, g1)).toBe(evaluateObjective(plain, x, g2));
    expect(g1).toEqual(g2);
  });
});
