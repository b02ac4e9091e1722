import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { Rng } from './rng.js';
import {
  add,
  amax,
  asum,
  axpby,
  axpy,
  copy,
  dot,
  fill,
  hadamard,
  iamax,
  linspace,
  normInf,
  nrm2,
  scal,
  sub,
  xpby,
  zeros,
} from './vector.js';

const f = (...v: number[]) => Float64Array.from(v);

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

function randomVec(n: number, seed: number): Float64Array {
  return new Rng(seed).fillUniform(new Float64Array(n), -1, 1) as Float64Array;
}

describe('dot', () => {
  it('matches a plain sum for every length 0..19 (unrolled body and remainder)', () => {
    for (let n = 0; n <= 19; n++) {
      const x = randomVec(n, n);
      const y = randomVec(n, 100 + n);
      let ref = 0;
      for (let i = 0; i < n; i++) ref += x[i] * y[i];
      expect(dot(x, y)).toBeCloseTo(ref, 14);
    }
  });

  it('gives a known answer', () => {
    expect(dot(f(1, 2, 3, 4, 5), f(5, 4, 3, 2, 1))).toBe(35);
  });

  it('rejects vectors of different lengths, naming y', () => {
    const e = errorOf(() => dot(f(1, 2), f(1, 2, 3)));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('y');
    expect(e.message).toMatch(/dot: y has length 3; expected 2/);
  });
});

describe('in-place updates', () => {
  it('axpy: y += alpha x', () => {
    const y = f(1, 1, 1);
    expect(axpy(2, f(1, 2, 3), y)).toBe(y);
    expect(Array.from(y)).toEqual([3, 5, 7]);
    expect(errorOf(() => axpy(1, f(1), f(1, 2))).argument).toBe('y');
  });

  it('axpby: y = alpha x + beta y, and beta = 0 overwrites NaN', () => {
    expect(Array.from(axpby(2, f(1, 2), 3, f(1, 1)))).toEqual([5, 7]);
    expect(Array.from(axpby(2, f(1, 2), 0, f(Number.NaN, 1)))).toEqual([2, 4]);
    expect(errorOf(() => axpby(1, f(1), 1, f())).code).toBe('SHAPE_MISMATCH');
  });

  it('xpby: y = x + beta y (the CG direction update)', () => {
    expect(Array.from(xpby(f(1, 2), 0.5, f(4, 8)))).toEqual([3, 6]);
    expect(errorOf(() => xpby(f(1, 2), 1, f(1))).argument).toBe('y');
  });

  it('scal, fill, copy', () => {
    expect(Array.from(scal(-2, f(1, 2, 3)))).toEqual([-2, -4, -6]);
    expect(Array.from(fill(new Float64Array(3), 7))).toEqual([7, 7, 7]);
    const y = new Float64Array(3);
    expect(copy(f(1, 2, 3), y)).toBe(y);
    expect(Array.from(y)).toEqual([1, 2, 3]);
    expect(errorOf(() => copy(f(1, 2, 3), new Float64Array(2))).argument).toBe('y');
  });
});

describe('elementwise', () => {
  it('add, sub, hadamard allocate or write out, and allow aliasing', () => {
    expect(Array.from(add(f(1, 2), f(3, 4)))).toEqual([4, 6]);
    expect(Array.from(sub(f(1, 2), f(3, 5)))).toEqual([-2, -3]);
    expect(Array.from(hadamard(f(1, 2), f(3, 4)))).toEqual([3, 8]);
    const x = f(1, 2);
    expect(sub(x, f(1, 1), x)).toBe(x);
    expect(Array.from(x)).toEqual([0, 1]);
  });

  it('name the mismatched argument', () => {
    expect(errorOf(() => add(f(1, 2), f(1))).argument).toBe('y');
    expect(errorOf(() => sub(f(1, 2), f(1, 2), f(1))).argument).toBe('out');
    expect(errorOf(() => hadamard(f(1, 2), f(1, 2), new Float64Array(3))).argument).toBe('out');
  });
});

describe('reductions', () => {
  it('asum sums absolute values for every remainder length', () => {
    expect(asum(f())).toBe(0);
    expect(asum(f(-1, 2, -3, 4, -5, 6, -7))).toBe(28);
  });

  it('amax / normInf give the largest magnitude; NaN propagates', () => {
    expect(amax(f())).toBe(0);
    expect(amax(f(1, -5, 3))).toBe(5);
    expect(normInf(f(1, -5, 3))).toBe(5);
    expect(amax(f(1, Number.NaN, 3))).toBeNaN();
  });

  it('iamax returns the first index of the largest magnitude, or of the first NaN', () => {
    expect(iamax(f())).toBe(-1);
    expect(iamax(f(1, -5, 5, 3))).toBe(1);
    expect(iamax(f(0, 0))).toBe(0);
    expect(iamax(f(1, 9, Number.NaN, Number.NaN))).toBe(2);
    expect(iamax(f(Number.NaN, 9))).toBe(0);
  });
});

describe('nrm2', () => {
  it('gives known answers', () => {
    expect(nrm2(f())).toBe(0);
    for (let n = 1; n <= 19; n++) expect(nrm2(new Float64Array(n).fill(-2))).toBeCloseTo(2 * Math.sqrt(n), 14);
    expect(nrm2(f(0, 0, 0))).toBe(0);
    expect(nrm2(f(3, 4))).toBe(5);
    expect(nrm2(f(1, 1, 1, 1))).toBe(2);
  });

  it('does not overflow where the plain sum of squares would', () => {
    expect(nrm2(f(3e200, 4e200))).toBeCloseTo(5e200, -186);
    expect(nrm2(f(3e200, 4e200)) / 5e200).toBeCloseTo(1, 15);
    expect(nrm2(f(1e308, 1e308)) / (1e308 * Math.SQRT2)).toBeCloseTo(1, 15);
    // A norm that itself exceeds the float64 range is Infinity.
    expect(nrm2(f(1.5e308, 1.5e308))).toBe(Number.POSITIVE_INFINITY);
    // Huge and medium values mixed.
    expect(nrm2(f(1e300, 1, 1e300)) / (Math.SQRT2 * 1e300)).toBeCloseTo(1, 15);
  });

  it('does not underflow where the plain sum of squares would', () => {
    expect(nrm2(f(3e-200, 4e-200)) / 5e-200).toBeCloseTo(1, 15);
    // Squares around 1e-320 are subnormal: the plain pass would lose most bits.
    const x = new Float64Array(100).fill(1e-160);
    expect(nrm2(x) / 1e-159).toBeCloseTo(1, 14);
    // Subnormal inputs.
    expect(nrm2(f(5e-324, 5e-324, 5e-324, 5e-324))).toBe(1e-323);
    // Tiny and medium mixed: the tiny part is negligible but must not break the result.
    expect(nrm2(f(1e-300, 3, 4))).toBe(5);
  });

  it('agrees with Math.hypot on random vectors of mixed scales', () => {
    const rng = new Rng(7);
    for (const scale of [1e-170, 1e-150, 1, 1e150, 1e170]) {
      for (const n of [1, 2, 5, 17, 100]) {
        const x = new Float64Array(n);
        for (let i = 0; i < n; i++) x[i] = rng.uniform(-1, 1) * scale;
        const ref = Math.hypot(...x);
        expect(Math.abs(nrm2(x) - ref) / ref).toBeLessThan(1e-14);
      }
    }
  });

  it('propagates NaN and Infinity', () => {
    expect(nrm2(f(1, Number.NaN, 2))).toBeNaN();
    expect(nrm2(f(1, Number.POSITIVE_INFINITY, 2))).toBe(Number.POSITIVE_INFINITY);
    expect(nrm2(f(1e-300, Number.NEGATIVE_INFINITY))).toBe(Number.POSITIVE_INFINITY);
    expect(nrm2(f(1e300, Number.NaN))).toBeNaN();
  });
});

describe('constructors', () => {
  it('zeros validates n', () => {
    expect(Array.from(zeros(3))).toEqual([0, 0, 0]);
    expect(errorOf(() => zeros(-1)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => zeros(1.5)).argument).toBe('n');
  });

  it('linspace includes both endpoints exactly', () => {
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const x = linspace(0.1, 0.7, 7);
    expect(x[0]).toBe(0.1);
    expect(x[6]).toBe(0.7);
    expect(Array.from(linspace(2, 3, 1))).toEqual([2]);
    expect(linspace(2, 3, 0).length).toBe(0);
    expect(Array.from(linspace(1, -1, 3))).toEqual([1, 0, -1]);
  });

  it('linspace rejects bad arguments', () => {
    expect(errorOf(() => linspace(Number.NaN, 1, 3)).code).toBe('NOT_FINITE');
    expect(errorOf(() => linspace(0, Number.POSITIVE_INFINITY, 3)).argument).toBe('stop');
    expect(errorOf(() => linspace(0, 1, -2)).code).toBe('INVALID_ARGUMENT');
  });
});
