import { describe, expect, it } from 'vitest';
import { SpecializationCache, generateUniqueFunction, generatedFunctionCount } from './specialize.js';

describe('generateUniqueFunction', () => {
  it('builds a factory whose inner closure captures the arrays it was given', () => {
    type Make = (a: Float64Array, n: number) => (s: number) => void;
    const make = generateUniqueFunction<Make>(['a', 'n'], 'return function (s) { for (let i = 0; i < n; i++) a[i] *= s; };');
    const a = new Float64Array([1, 2, 3]);
    const scale = make(a, 3);
    scale(2);
    expect(Array.from(a)).toEqual([2, 4, 6]);
  });

  it('gives every call a distinct source (a unique first line), even for the same body', () => {
    const before = generatedFunctionCount();
    const f = generateUniqueFunction<() => number>([], 'return 1;');
    const g = generateUniqueFunction<() => number>([], 'return 1;');
    expect(generatedFunctionCount()).toBe(before + 2);
    expect(f()).toBe(1);
    expect(g()).toBe(1);
    expect(f).not.toBe(g);
    expect(String(f)).not.toBe(String(g));
    expect(String(f)).toContain(`// optkit kernel ${before + 1}`);
  });

  it('throws a SyntaxError for a bad body', () => {
    expect(() => generateUniqueFunction<() => void>([], 'return (;')).toThrow(SyntaxError);
  });
});

describe('SpecializationCache', () => {
  it('builds on the second call with the same arrays, reuses it, and starts over for a new array', () => {
    const cache = new SpecializationCache<string>(4);
    const key = new Float64Array(4);
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    let builds = 0;
    const build = () => `kernel ${++builds}`;
    expect(cache.get(4, key, a, b, null, build)).toBeUndefined();
    expect(cache.get(4, key, a, b, null, build)).toBe('kernel 1');
    expect(cache.get(4, key, a, b, null, build)).toBe('kernel 1');
    const b2 = new Float64Array(4);
    expect(cache.get(4, key, a, b2, null, build)).toBeUndefined();
    expect(cache.get(4, key, a, b2, null, build)).toBe('kernel 2');
    expect(cache.get(4, new Float64Array(4), a, b2, null, build)).toBeUndefined();
    expect(builds).toBe(2);
  });

  it('never specialises arrays shorter than minLength', () => {
    const cache = new SpecializationCache<number>(10);
    const key = new Float64Array(9);
    for (let i = 0; i < 3; i++) expect(cache.get(9, key, null, null, null, () => 1)).toBeUndefined();
  });

  it('gives up for good when code generation is disallowed (EvalError), and rethrows other errors', () => {
    const cache = new SpecializationCache<number>(1);
    const key = {};
    cache.get(1, key, null, null, null, () => 1);
    expect(
      cache.get(1, key, null, null, null, () => {
        throw new EvalError('Code generation from strings disallowed');
      }),
    ).toBeUndefined();
    cache.get(1, key, null, null, null, () => 1);
    expect(cache.get(1, key, null, null, null, () => 1)).toBeUndefined();
    const other = new SpecializationCache<number>(1);
    other.get(1, key, null, null, null, () => 1);
    expect(() =>
      other.get(1, key, null, null, null, () => {
        throw new SyntaxError('bad');
      }),
    ).toThrow(SyntaxError);
  });
});
