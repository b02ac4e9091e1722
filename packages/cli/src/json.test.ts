import { describe, expect, it } from 'vitest';
import { formatJson, nonFiniteNote, stringifyResult, toJsonValue, type JsonValue } from './json.js';

describe('toJsonValue', () => {
  it('turns typed arrays into arrays and non-finite numbers into null, recording their paths', () => {
    const { value, nonFinite } = toJsonValue({ x: Float64Array.of(1, NaN, 3), i: Int32Array.of(4, 5), loss: Infinity, ok: true, s: 'a' });
    expect(value).toEqual({ x: [1, null, 3], i: [4, 5], loss: null, ok: true, s: 'a' });
    expect(nonFinite).toEqual(['$.x[1]', '$.loss']);
  });

  it('writes matrices by their defining arrays only', () => {
    const csr = { rows: 2, cols: 2, indptr: Int32Array.of(0, 1, 2), indices: Int32Array.of(0, 1), values: Float64Array.of(3, 4), kernels: { spmv: () => 0 } };
    const dense = { rows: 1, cols: 2, data: Float64Array.of(1, 2), extra: 'dropped' };
    expect(toJsonValue(csr).value).toEqual({ rows: 2, cols: 2, indptr: [0, 1, 2], indices: [0, 1], values: [3, 4] });
    expect(toJsonValue(dense).value).toEqual({ rows: 1, cols: 2, data: [1, 2] });
  });

  it('handles Map, Set, bigint, Date, Error, toJSON, functions, undefined and cycles', () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    const shared = [1];
    const { value } = toJsonValue({
      m: new Map([['k', 1]]),
      s: new Set([2, 3]),
      b: 5n,
      big: 2n ** 70n,
      d: new Date(0),
      e: new Error('boom'),
      t: { toJSON: () => 'custom' },
      f: () => 1,
      u: undefined,
      arr: [undefined, () => 1],
      cyc,
      twice: [shared, shared],
    });
    expect(value).toEqual({
      m: { k: 1 },
      s: [2, 3],
      b: 5,
      big: (2n ** 70n).toString(),
      d: '1970-01-01T00:00:00.000Z',
      e: { name: 'Error', message: 'boom' },
      t: 'custom',
      arr: [null, null],
      cyc: { a: 1, self: '[Circular]' },
      twice: [[1], [1]],
    });
  });

  it('names odd keys with bracket paths', () => {
    expect(toJsonValue({ 'a b': [NaN] }).nonFinite).toEqual(['$["a b"][0]']);
    expect(toJsonValue(NaN)).toEqual({ value: null, nonFinite: ['$'] });
  });
});

describe('stringifyResult', () => {
  it('gives indented JSON ending in a newline and a note only when something was not finite', () => {
    expect(stringifyResult({ a: 1 })).toEqual({ text: '{\n  "a": 1\n}\n' });
    const r = stringifyResult({ a: [NaN, -Infinity] });
    expect(JSON.parse(r.text)).toEqual({ a: [null, null] });
    expect(r.note).toBe('2 non-finite numbers (NaN or Infinity) written as null: $.a[0], $.a[1]');
  });

  it('shortens long path lists', () => {
    const note = nonFiniteNote(['$[0]', '$[1]', '$[2]', '$[3]', '$[4]', '$[5]', '$[6]']);
    expect(note).toBe('7 non-finite numbers (NaN or Infinity) written as null: $[0], $[1], $[2], $[3], $[4], ... (2 more)');
    expect(nonFiniteNote([])).toBeUndefined();
  });
});

describe('formatJson', () => {
  it('keeps arrays of primitives on one line and indents the rest; parses back to the same value', () => {
    const v: JsonValue = { a: [1, 2.5, null, 'x', true], b: [{ c: [] }, {}], d: 'q"' };
    const text = formatJson(v);
    expect(text).toBe('{\n  "a": [1, 2.5, null, "x", true],\n  "b": [\n    {\n      "c": []\n    },\n    {}\n  ],\n  "d": "q\\""\n}');
    expect(JSON.parse(text)).toEqual(v);
    expect(formatJson(3)).toBe('3');
  });
});
