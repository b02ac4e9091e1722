import { OptkitError } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { checkClamp, normFromSumOfSquares, scaledNorm, trustRatio } from './lamb-trust.js';

describe('lamb-trust', () => {
  it('normFromSumOfSquares is √sum when it is finite, and the scaled norm when the sum overflowed', () => {
    const a = Float64Array.of(3, 4);
    expect(normFromSumOfSquares(a, 25)).toBe(5);
    const big = Float64Array.of(3e200, 4e200);
    let plain = 0;
    for (const v of big) plain += v * v;
    expect(plain).toBe(Infinity);
    expect(normFromSumOfSquares(big, plain)).toBeCloseTo(5e200, -186);
    expect(Math.abs(normFromSumOfSquares(big, plain) / 5e200 - 1)).toBeLessThan(1e-15);
  });

  it('scaledNorm propagates NaN and Infinity', () => {
    expect(scaledNorm(Float64Array.of(1, NaN), NaN)).toBeNaN();
    expect(scaledNorm(Float64Array.of(1, Infinity), Infinity)).toBe(Infinity);
    expect(scaledNorm(new Float32Array([3e30, 4e30]), Infinity)).toBeCloseTo(5e30, -24);
  });

  it('trustRatio is φ(‖w‖)/‖u‖, and 1 when either norm is zero or not a number', () => {
    expect(trustRatio(2, 4, undefined)).toBe(0.5);
    expect(trustRatio(0, 4, undefined)).toBe(1);
    expect(trustRatio(2, 0, undefined)).toBe(1);
    expect(trustRatio(NaN, 1, undefined)).toBe(1);
    // φ clamps ‖w‖ into [lo, hi].
    expect(trustRatio(20, 4, [0, 10])).toBe(2.5);
    expect(trustRatio(0.5, 4, [1, 10])).toBe(0.25);
    expect(trustRatio(5, 4, [1, 10])).toBe(1.25);
  });

  it('checkClamp validates the pair and names the option', () => {
    expect(checkClamp(undefined, 'f')).toBeUndefined();
    expect(checkClamp([0, 10], 'f')).toEqual([0, 10]);
    expect(checkClamp([2, 2], 'f')).toEqual([2, 2]);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        return [(e as OptkitError).code, (e as OptkitError).argument];
      }
      throw new Error('expected an OptkitError');
    };
    expect(code(() => checkClamp([1] as unknown as [number, number], 'f'))).toEqual(['INVALID_OPTION', 'clampWeightNorm']);
    expect(code(() => checkClamp([-1, 2], 'f'))).toEqual(['INVALID_OPTION', 'clampWeightNorm[0]']);
    expect(code(() => checkClamp([3, 2], 'f'))).toEqual(['INVALID_OPTION', 'clampWeightNorm[1]']);
    expect(code(() => checkClamp([0, 0], 'f'))).toEqual(['INVALID_OPTION', 'clampWeightNorm[1]']);
    expect(code(() => checkClamp([0, NaN], 'f'))).toEqual(['INVALID_OPTION', 'clampWeightNorm[1]']);
  });
});
