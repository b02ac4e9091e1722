import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import {
  checkScalarOrSchedule,
  constantSchedule,
  cosineDecaySchedule,
  joinSchedules,
  linearSchedule,
  resolve,
  warmup,
  warmupCosineSchedule,
} from './schedule.js';

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return err as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

describe('resolve', () => {
  it('returns numbers as they are and evaluates schedules', () => {
    expect(resolve(0.5, 10)).toBe(0.5);
    expect(resolve((t) => 2 * t, 3)).toBe(6);
  });
  it('throws NOT_FINITE naming the option when a schedule returns NaN or Infinity', () => {
    const e = errorOf(() => resolve(() => Number.NaN, 0, 'lr'));
    expect(e.code).toBe('NOT_FINITE');
    expect(e.argument).toBe('lr');
    expect(e.message).toMatch(/lr/);
    expect(errorOf(() => resolve(() => Infinity, 4)).code).toBe('NOT_FINITE');
  });
});

describe('checkScalarOrSchedule', () => {
  it('accepts functions and in-range numbers, rejects the rest with INVALID_OPTION', () => {
    const f = () => 1;
    expect(checkScalarOrSchedule(f, 'lr')).toBe(f);
    expect(checkScalarOrSchedule(0.1, 'lr', { min: 0 })).toBe(0.1);
    const e = errorOf(() => checkScalarOrSchedule(-1, 'lr', { min: 0 }, 'sgd'));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.argument).toBe('lr');
    expect(errorOf(() => checkScalarOrSchedule(Number.NaN, 'b1')).code).toBe('INVALID_OPTION');
    expect(errorOf(() => checkScalarOrSchedule('0.1' as unknown as number, 'lr')).code).toBe('INVALID_OPTION');
  });
});

describe('constantSchedule', () => {
  it('is constant', () => {
    const s = constantSchedule(3e-4);
    expect(s(0)).toBe(3e-4);
    expect(s(1e9)).toBe(3e-4);
  });
  it('rejects non-finite values', () => {
    expect(errorOf(() => constantSchedule(Infinity)).code).toBe('INVALID_OPTION');
  });
});

describe('linearSchedule', () => {
  it('interpolates, then clamps (known values)', () => {
    const s = linearSchedule({ init: 1, end: 0.1, steps: 10 });
    expect(s(0)).toBe(1);
    expect(s(5)).toBeCloseTo(0.55, 15);
    expect(s(10)).toBe(0.1);
    expect(s(25)).toBe(0.1);
    expect(s(-3)).toBe(1);
  });
  it('starts at begin', () => {
    const s = linearSchedule({ init: 2, end: 0, steps: 4, begin: 10 });
    expect(s(5)).toBe(2);
    expect(s(10)).toBe(2);
    expect(s(11)).toBe(1.5);
    expect(s(13)).toBe(0.5);
    expect(s(14)).toBe(0);
  });
  it('validates options, naming them', () => {
    expect(errorOf(() => linearSchedule({ init: 1, end: 0, steps: 0 })).argument).toBe('steps');
    expect(errorOf(() => linearSchedule({ init: 1, end: 0, steps: 2.5 })).argument).toBe('steps');
    expect(errorOf(() => linearSchedule({ init: Number.NaN, end: 0, steps: 3 })).argument).toBe('init');
    const e = errorOf(() => linearSchedule({ init: 1, end: 0, steps: 3, begin: -1 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.argument).toBe('begin');
  });
});

describe('cosineDecaySchedule', () => {
  it('matches the closed form at known steps', () => {
    const s = cosineDecaySchedule({ init: 2, steps: 100 });
    expect(s(0)).toBe(2);
    expect(s(50)).toBeCloseTo(1, 14);
    expect(s(25)).toBeCloseTo(2 * 0.5 * (1 + Math.SQRT1_2), 14);
    expect(s(100)).toBeCloseTo(0, 15);
    expect(s(1000)).toBeCloseTo(0, 15);
  });
  it('decays to alpha·init', () => {
    const s = cosineDecaySchedule({ init: 1, steps: 10, alpha: 0.1 });
    expect(s(10)).toBeCloseTo(0.1, 15);
    expect(s(5)).toBeCloseTo(0.55, 15);
    expect(s(99)).toBeCloseTo(0.1, 15);
  });
  it('validates options', () => {
    expect(errorOf(() => cosineDecaySchedule({ init: 1, steps: -5 })).argument).toBe('steps');
    expect(errorOf(() => cosineDecaySchedule({ init: 1, steps: 5, alpha: -0.1 })).argument).toBe('alpha');
  });
});

describe('warmupCosineSchedule', () => {
  it('ramps linearly then follows the cosine (optax convention: steps includes warm-up)', () => {
    const s = warmupCosineSchedule({ peak: 1, warmupSteps: 10, steps: 110, end: 0.1 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(0.5, 15);
    expect(s(10)).toBe(1);
    expect(s(60)).toBeCloseTo(0.55, 14);
    expect(s(110)).toBeCloseTo(0.1, 15);
    expect(s(500)).toBeCloseTo(0.1, 15);
  });
  it('starts from init and allows no warm-up', () => {
    const s = warmupCosineSchedule({ peak: 1, warmupSteps: 4, steps: 10, init: 0.2 });
    expect(s(0)).toBe(0.2);
    expect(s(2)).toBeCloseTo(0.6, 15);
    const c = warmupCosineSchedule({ peak: 3, warmupSteps: 0, steps: 10 });
    expect(c(0)).toBe(3);
    expect(c(5)).toBeCloseTo(1.5, 14);
  });
  it('validates options', () => {
    expect(errorOf(() => warmupCosineSchedule({ peak: 1, warmupSteps: 10, steps: 10 })).argument).toBe('steps');
    expect(errorOf(() => warmupCosineSchedule({ peak: 1, warmupSteps: -1, steps: 10 })).argument).toBe('warmupSteps');
    expect(errorOf(() => warmupCosineSchedule({ peak: Infinity, warmupSteps: 1, steps: 10 })).argument).toBe('peak');
  });
});

describe('warmup', () => {
  it('ramps (t+1)/W times the first value, then shifts the wrapped schedule', () => {
    const inner = linearSchedule({ init: 1, end: 0, steps: 10 });
    const s = warmup(inner, 4);
    expect(s(0)).toBe(0.25);
    expect(s(1)).toBe(0.5);
    expect(s(3)).toBe(1);
    expect(s(4)).toBe(1);
    expect(s(9)).toBeCloseTo(0.5, 15);
    expect(s(14)).toBe(0);
  });
  it('wraps numbers and passes zero warm-up through', () => {
    expect(warmup(2, 2)(0)).toBe(1);
    expect(warmup(2, 2)(7)).toBe(2);
    const f = (t: number) => t;
    expect(warmup(f, 0)).toBe(f);
  });
  it('validates options', () => {
    expect(errorOf(() => warmup(1, 1.5)).argument).toBe('warmupSteps');
    expect(errorOf(() => warmup(Number.NaN, 3)).argument).toBe('schedule');
  });
});

describe('joinSchedules', () => {
  it('switches at the boundaries and restarts each schedule', () => {
    const s = joinSchedules([(t) => t, (t) => 100 + t, () => -1], [3, 5]);
    expect([0, 1, 2, 3, 4, 5, 9].map(s)).toEqual([0, 1, 2, 100, 101, -1, -1]);
  });
  it('validates lengths and boundary order', () => {
    expect(errorOf(() => joinSchedules([() => 1, () => 2], [])).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => joinSchedules([], [])).code).toBe('EMPTY_INPUT');
    const e = errorOf(() => joinSchedules([() => 1, () => 2, () => 3], [5, 5]));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.argument).toBe('boundaries[1]');
    expect(errorOf(() => joinSchedules([() => 1, () => 2], [-1])).argument).toBe('boundaries[0]');
  });
});
