import { describe, expect, it } from 'vitest';
import {
  OptkitError,
  assertFinite,
  assertFiniteNumber,
  assertInteger,
  assertLength,
  assertNonEmpty,
  checkChoice,
  checkOption,
  throwIfAborted,
} from './errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  return undefined;
}

describe('OptkitError', () => {
  it('carries code, argument and a name', () => {
    const e = new OptkitError('SHAPE_MISMATCH', 'b has length 3; expected 4', 'b');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('OptkitError');
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.argument).toBe('b');
  });
});

describe('validators', () => {
  it('assertFinite finds NaN and Infinity with their index and the argument name', () => {
    expect(() => assertFinite(new Float64Array([1, 2, 3]), 'x')).not.toThrow();
    expect(() => assertFinite(new Float64Array([1, NaN]), 'x', 'cg')).toThrow(/cg: x\[1\] is NaN/);
    expect(codeOf(() => assertFinite([0, -Infinity], 'b'))).toBe('NOT_FINITE');
    expect(codeOf(() => assertFiniteNumber(Infinity, 'tol'))).toBe('NOT_FINITE');
  });

  it('assertLength, assertInteger, assertNonEmpty', () => {
    expect(() => assertLength(new Float64Array(3), 4, 'b', 'gmres')).toThrow(/gmres: b has length 3; expected 4/);
    expect(codeOf(() => assertLength([1], 2, 'b'))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => assertInteger(-1, 'n'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertInteger(2.5, 'n'))).toBe('INVALID_ARGUMENT');
    expect(() => assertInteger(0, 'n')).not.toThrow();
    expect(codeOf(() => assertNonEmpty([], 'x'))).toBe('EMPTY_INPUT');
  });

  it('checkOption enforces ranges, integrality and finiteness, naming the option', () => {
    expect(checkOption(0.5, 'beta1', { min: 0, max: 1, maxExclusive: true })).toBe(0.5);
    expect(() => checkOption(1, 'beta1', { min: 0, max: 1, maxExclusive: true })).toThrow(/option beta1 is 1; expected a number in \[0, 1\)/);
    expect(codeOf(() => checkOption(0, 'lr', { min: 0, minExclusive: true }))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkOption(NaN, 'lr'))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkOption(3.5, 'restart', { integer: true }))).toBe('INVALID_OPTION');
    expect(checkOption(30, 'restart', { min: 1, integer: true })).toBe(30);
  });

  it('checkChoice lists valid values', () => {
    expect(checkChoice('gmres', ['gmres', 'gcrodr'] as const, 'method')).toBe('gmres');
    expect(() => checkChoice('bicg', ['gmres', 'gcrodr'], 'method')).toThrow(/expected one of "gmres", "gcrodr"/);
  });

  it('throwIfAborted', () => {
    const ac = new AbortController();
    expect(() => throwIfAborted(ac.signal)).not.toThrow();
    ac.abort('stop');
    expect(codeOf(() => throwIfAborted(ac.signal))).toBe('ABORTED');
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });
});
