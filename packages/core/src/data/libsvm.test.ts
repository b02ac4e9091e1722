import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { CsrMatrix } from '../csr.js';
import { OptkitError, type OptkitErrorCode } from '../errors.js';
import { Rng } from '../rng.js';
import { parseLibsvm, readLibsvmFile, writeLibsvm, type LibsvmParseOptions } from './libsvm.js';

function expectCode(fn: () => unknown, code: OptkitErrorCode, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    expect((err as OptkitError).code).toBe(code);
    if (message) expect((err as OptkitError).message).toMatch(message);
    return;
  }
  expect.unreachable(`expected OptkitError ${code}`);
}

const csrParts = (X: CsrMatrix) => ({
  rows: X.rows,
  cols: X.cols,
  indptr: Array.from(X.indptr),
  indices: Array.from(X.indices),
  values: Array.from(X.values),
});

describe('parseLibsvm', () => {
  it('reads one-based lines with comments, qid, blank lines, CRLF and empty rows', () => {
    const text = [
      '# a header comment',
      '+1 qid:3 1:0.5 3:-2 # trailing comment',
      '',
      '-1\t2:1e3  4:.25\r',
      '0',
      '2.5 1:0',
    ].join('\n');
    const { labels, features, zeroBased } = parseLibsvm(text);
    expect(zeroBased).toBe(false);
    expect(Array.from(labels)).toEqual([1, -1, 0, 2.5]);
    expect(csrParts(features)).toEqual({
      rows: 4,
      cols: 4,
      indptr: [0, 2, 4, 4, 5],
      indices: [0, 2, 1, 3, 0],
      values: [0.5, -2, 1000, 0.25, 0],
    });
  });

  it('reads UTF-8 bytes (Buffer or a Uint8Array view) the same as text, comments in any script', () => {
    const text = '1 1:2 # größe ✓\n-1 3:0.5\n';
    const fromText = parseLibsvm(text);
    const padded = new Uint8Array(100);
    const encoded = new TextEncoder().encode(text);
    padded.set(encoded, 7);
    for (const bytes of [Buffer.from(text), padded.subarray(7, 7 + encoded.length)]) {
      const r = parseLibsvm(bytes);
      expect(r.labels).toEqual(fromText.labels);
      expect(csrParts(r.features)).toEqual(csrParts(fromText.features));
    }
    expectCode(() => parseLibsvm('1 1:2\n1 2:ä\n'), 'PARSE_ERROR', /line 2: value in "2:ä"/);
  });

  it("detects zero-based files with 'auto' and honours an explicit choice", () => {
    const text = '1 0:1 2:3\n0 1:4\n';
    const auto = parseLibsvm(text);
    expect(auto.zeroBased).toBe(true);
    expect(csrParts(auto.features)).toEqual({ rows: 2, cols: 3, indptr: [0, 2, 3], indices: [0, 2, 1], values: [1, 3, 4] });
    const forcedZero = parseLibsvm('1 1:1 2:3\n', { zeroBased: true });
    expect(Array.from(forcedZero.features.indices)).toEqual([1, 2]);
    expect(forcedZero.features.cols).toBe(3);
    expectCode(() => parseLibsvm(text, { zeroBased: false }), 'PARSE_ERROR', /line 1: index 0 in a one-based file/);
  });

  it('uses numFeatures for the width and rejects indices beyond it with the line number', () => {
    const r = parseLibsvm('1 2:1\n1 3:1\n', { numFeatures: 10 });
    expect(r.features.cols).toBe(10);
    // One-based: index 3 is the last column of 3 features.
    expect(parseLibsvm('1 2:1\n1 3:1\n', { numFeatures: 3 }).features.cols).toBe(3);
    expectCode(() => parseLibsvm('1 2:1\n1 4:1\n', { numFeatures: 3 }), 'PARSE_ERROR', /line 2: index 4 is out of range for numFeatures 3/);
    expectCode(() => parseLibsvm('1 3:1\n', { numFeatures: 3, zeroBased: true }), 'PARSE_ERROR', /line 1: index 3 is out of range/);
    // 'auto' that turns out zero-based (index 0 on line 3) makes index 3 on line 1 too large.
    expectCode(() => parseLibsvm('1 3:1\n1 1:1\n1 0:1\n', { numFeatures: 3 }), 'PARSE_ERROR', /line 1: index 3 is out of range/);
    expect(parseLibsvm('1\n', { numFeatures: 0 }).features.cols).toBe(0);
    expectCode(() => parseLibsvm('1 1:1\n', { numFeatures: 0 }), 'PARSE_ERROR');
  });

  it('rejects duplicate and unsorted indices, like scikit-learn', () => {
    expectCode(() => parseLibsvm('1 1:1\n1 2:1 2:3\n'), 'PARSE_ERROR', /line 2: index 2 is repeated/);
    expectCode(() => parseLibsvm('1 1:1\n\n1 5:1 3:3\n'), 'PARSE_ERROR', /line 3: index 3 follows 5/);
  });

  it('rejects bad tokens, labels and values with the line number', () => {
    const bad: [string, RegExp][] = [
      ['1 abc', /token "abc" is not index:value/],
      ['1 3', /token "3" is not index:value/],
      ['1 3:', /value in "3:" is not a finite number/],
      ['1 :4', /index in ":4" is not a non-negative integer/],
      ['1 -1:4', /index in "-1:4"/],
      ['1 1.5:4', /index in "1.5:4"/],
      ['1 3:x', /value in "3:x"/],
      ['1 3:nan', /value in "3:nan"/],
      ['1 3:NaN', /value in "3:NaN"/],
      ['1 3:inf', /value in "3:inf"/],
      ['1 3:Infinity', /value in "3:Infinity"/],
      ['1 3:1e999', /value in "3:1e999"/],
      ['1 3:0x10', /value in "3:0x10"/],
      ['1 3:1e', /value in "3:1e"/],
      ['1 3:1:2', /value in "3:1:2"/],
      ['nan 3:1', /label "nan" is not a finite number/],
      ['1,2 3:1', /label "1,2"/],
      ['1 2:1 qid:4', /index in "qid:4"/],
      ['1 qid:x 2:1', /qid "qid:x"/],
    ];
    for (const [line, message] of bad) {
      expectCode(() => parseLibsvm(`1 1:1\n${line}\n`), 'PARSE_ERROR', new RegExp(`line 2: ${message.source}`));
    }
  });

  it('parses values exactly as Number() does, fast path and fallback alike', () => {
    const rng = new Rng(11);
    const tokens: string[] = [];
    for (let t = 0; t < 3000; t++) {
      const intDigits = rng.int(0, 18);
      const fracDigits = rng.int(intDigits === 0 ? 1 : 0, 18);
      let s = rng.uniform() < 0.3 ? '-' : rng.uniform() < 0.1 ? '+' : '';
      for (let k = 0; k < intDigits; k++) s += String(rng.int(0, 9));
      if (fracDigits > 0 || rng.uniform() < 0.2) s += '.';
      for (let k = 0; k < fracDigits; k++) s += String(rng.int(0, 9));
      if (rng.uniform() < 0.5) s += (rng.uniform() < 0.5 ? 'e' : 'E') + ['', '+', '-'][rng.int(0, 2)] + String(rng.int(0, 40));
      tokens.push(s);
    }
    tokens.push('0.1', '0.3', '1e-22', '1e22', '9007199254740993', '123456789012345.6', '4.9e-324', '1.7976931348623157e308', '-0');
    const text = tokens.map((s, k) => `${s} ${k + 1}:${s}`).join('\n');
    const { labels, features } = parseLibsvm(text);
    const wrong = tokens.filter((s, k) => !Object.is(labels[k], Number(s)) || !Object.is(features.values[k], Number(s)));
    expect(wrong).toEqual([]);
  });

  it('bounds the number of features before allocating', () => {
    expectCode(() => parseLibsvm('1 1:1', { numFeatures: 1e8 + 1 }), 'LIMIT_EXCEEDED', /numFeatures 100000001 exceeds maxFeatures/);
    expectCode(() => parseLibsvm('1 1:1\n1 99999999999999:1\n'), 'LIMIT_EXCEEDED', /line 2: index > 2\^31 exceeds maxFeatures 100000000/);
    expectCode(() => parseLibsvm('1 1:1\n1 101:1\n', { maxFeatures: 100 }), 'LIMIT_EXCEEDED', /line 2: index 101/);
    expect(parseLibsvm('1 100:1\n', { maxFeatures: 100 }).features.cols).toBe(100);
    expectCode(() => parseLibsvm('1 100:1\n', { maxFeatures: 100, zeroBased: true }), 'LIMIT_EXCEEDED');
    expectCode(() => parseLibsvm('1 100:1\n1 0:1\n', { maxFeatures: 100 }), 'LIMIT_EXCEEDED', /line 1: index 100/);
  });

  it('stops after maxRows samples', () => {
    const r = parseLibsvm('1 1:1\n2 2:2\n3 3:garbage never read\n', { maxRows: 2 });
    expect(Array.from(r.labels)).toEqual([1, 2]);
    expect(r.features.rows).toBe(2);
  });

  it('rejects empty input and bad options', () => {
    for (const text of ['', '\n', '# only a comment\n', '   \r\n']) expectCode(() => parseLibsvm(text), 'EMPTY_INPUT');
    const bad: LibsvmParseOptions[] = [
      { numFeatures: -1 },
      { numFeatures: 2.5 },
      { maxRows: 0 },
      { maxFeatures: 0 },
      { maxFeatures: 2 ** 31 },
      { zeroBased: 'yes' as unknown as boolean },
    ];
    for (const opts of bad) expectCode(() => parseLibsvm('1 1:1', opts), 'INVALID_OPTION');
    expectCode(() => parseLibsvm(undefined as unknown as string), 'INVALID_ARGUMENT');
  });
});

describe('writeLibsvm', () => {
  it('writes one-based lines by default and zero-based on request', () => {
    const X = new CsrMatrix(3, 4, [0, 2, 2, 3], [0, 3, 1], [0.5, -2, 0]);
    const y = [1, -1, 0.25];
    expect(writeLibsvm(y, X)).toBe('1 1:0.5 4:-2\n-1\n0.25 2:0\n');
    expect(writeLibsvm(y, X, { zeroBased: true })).toBe('1 0:0.5 3:-2\n-1\n0.25 1:0\n');
  });

  it('round-trips a random sparse matrix exactly', () => {
    const rng = new Rng(7);
    const rows = 200;
    const cols = 300;
    const ri: number[] = [];
    const ci: number[] = [];
    const vs: number[] = [];
    for (let t = 0; t < 3000; t++) {
      ri.push(rng.int(0, rows - 1));
      ci.push(rng.int(0, cols - 2)); // the last column stays empty
      const scale = 10 ** rng.int(-30, 30);
      vs.push(rng.uniform() < 0.05 ? 0 : rng.normal() * scale);
    }
    const X = CsrMatrix.fromCoo(rows, cols, ri, ci, vs);
    const y = Float64Array.from({ length: rows }, () => rng.int(-1, 1) * (rng.uniform() < 0.5 ? 1 : 1 / 3));
    for (const zeroBased of [false, true]) {
      const text = writeLibsvm(y, X, { zeroBased });
      const back = parseLibsvm(text, { numFeatures: cols, zeroBased });
      expect(back.labels).toEqual(y);
      expect(csrParts(back.features)).toEqual(csrParts(X));
    }
    // Without numFeatures the width is the largest index + 1.
    expect(parseLibsvm(writeLibsvm(y, X)).features.cols).toBe(cols - 1);
  });

  it('validates its input', () => {
    const X = new CsrMatrix(2, 2, [0, 1, 2], [0, 1], [1, 2]);
    expectCode(() => writeLibsvm([1], X), 'SHAPE_MISMATCH');
    expectCode(() => writeLibsvm([1, NaN], X), 'NOT_FINITE');
    expectCode(() => writeLibsvm([1, 2], {} as CsrMatrix), 'INVALID_ARGUMENT');
    X.values[1] = Infinity;
    expectCode(() => writeLibsvm([1, 2], X), 'NOT_FINITE', /row 1, column 1/);
  });
});

describe('readLibsvmFile', () => {
  it('reads plain and gzip-compressed files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-libsvm-'));
    try {
      const text = '1 1:2 3:4\n-1 2:5\n';
      writeFileSync(join(dir, 'a.svm'), text);
      writeFileSync(join(dir, 'a.svm.gz'), gzipSync(text));
      for (const name of ['a.svm', 'a.svm.gz']) {
        const r = await readLibsvmFile(join(dir, name));
        expect(Array.from(r.labels)).toEqual([1, -1]);
        expect(csrParts(r.features)).toEqual({ rows: 2, cols: 3, indptr: [0, 2, 3], indices: [0, 2, 1], values: [2, 4, 5] });
      }
      await expect(readLibsvmFile(join(dir, 'missing.svm'))).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
