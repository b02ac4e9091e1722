import { OptkitError } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { beginLionDirection, beginLionStep, initLionDecayState, initLionMomentum, lionBetas, lionHyper } from './lion-hyper.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return [(e as OptkitError).code, (e as OptkitError).argument];
  }
  return undefined;
};

describe('Lion-family shared prologue', () => {
  it('validates hyperparameters at construction, naming the option', () => {
    expect(lionHyper({}, 'f')).toMatchObject({ lro: 1e-4, b1o: 0.9, b2o: 0.99, wdo: 0, mask: undefined });
    expect(codeOf(() => lionHyper({ lr: -1 }, 'f'))).toEqual(['INVALID_OPTION', 'lr']);
    expect(codeOf(() => lionHyper({ beta2: 1 }, 'f'))).toEqual(['INVALID_OPTION', 'beta2']);
    expect(codeOf(() => lionHyper({ weightDecay: Number.NaN }, 'f'))).toEqual(['INVALID_OPTION', 'weightDecay']);
    expect(codeOf(() => lionHyper({ mask: 3 as never }, 'f'))).toEqual(['INVALID_OPTION', 'mask']);
    expect(codeOf(() => lionBetas({ beta1: -0.1 }, 'f'))).toEqual(['INVALID_OPTION', 'beta1']);
  });

  it('init allocates zero momentum of the same dtype and evaluates the mask once', () => {
    const params = { w: new Float32Array([1, 2]), b: new Float64Array([3]) };
    const s = initLionDecayState(params, (n) => n === 'w', 'f');
    expect(s.count).toBe(0);
    expect(s.mu.w).toBeInstanceOf(Float32Array);
    expect(Array.from(s.mu.b)).toEqual([0]);
    expect(s.decayed).toEqual({ w: true, b: false });
    expect(initLionDecayState(params, undefined, 'f').decayed).toEqual({ w: true, b: true });
    expect(codeOf(() => initLionMomentum({ w: [1] as never }, 'f'))?.[0]).toBeDefined();
  });

  it('resolves schedules at the count and advances it only when every check passes', () => {
    const params = { w: new Float64Array(2) };
    const hyper = lionHyper({ lr: (t) => 0.1 * (t + 1), beta1: (t) => (t < 1 ? 0.5 : 1.5), weightDecay: 2 }, 'f');
    const s = initLionDecayState(params, undefined, 'f');
    const g = { w: new Float64Array(2) };
    expect(beginLionStep(s, g, params, hyper, 'f')).toEqual({ b1: 0.5, b2: 0.99, lr: 0.1, wd: 2 });
    expect(s.count).toBe(1);
    // β₁(1) = 1.5 is out of range: refused, count unchanged.
    expect(codeOf(() => beginLionStep(s, g, params, hyper, 'f'))).toEqual(['INVALID_OPTION', 'beta1']);
    expect(s.count).toBe(1);
    const plain = lionHyper({ weightDecay: 1 }, 'f');
    const s2 = initLionDecayState(params, undefined, 'f');
    expect(codeOf(() => beginLionStep(s2, g, undefined, plain, 'f'))).toEqual(['INVALID_ARGUMENT', 'params']);
    expect(codeOf(() => beginLionStep(s2, g, params, plain, 'f', () => {
      throw new OptkitError('INVALID_OPTION', 'custom', 'weightDecay');
    }))).toEqual(['INVALID_OPTION', 'weightDecay']);
    expect(s2.count).toBe(0);
    expect(codeOf(() => beginLionDirection(s2, { v: new Float64Array(2) }, plain, 'f'))?.[0]).toBe('SHAPE_MISMATCH');
    expect(beginLionDirection(s2, g, plain, 'f')).toEqual({ b1: 0.9, b2: 0.99 });
    expect(s2.count).toBe(1);
  });
});
