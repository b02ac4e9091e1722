import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { DenseMatrix } from '../dense.js';
import { OptkitError, type OptkitErrorCode } from '../errors.js';
import { Rng } from '../rng.js';
import { parseNumericCsv, readNumericCsvFile, toCsv, type NumericCsvOptions } from './csv.js';

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

describe('parseNumericCsv', () => {
  it('reads a comma-separated table with a header', () => {
    const r = parseNumericCsv('a,b,c\n1,2,3\n4.5,-6e-1,+7\n');
    expect(r.header).toEqual(['a', 'b', 'c']);
    expect(r.delimiter).toBe(',');
    expect(r.matrix.rows).toBe(2);
    expect(r.matrix.cols).toBe(3);
    expect(Array.from(r.matrix.data)).toEqual([1, 2, 3, 4.5, -0.6, 7]);
  });

  it('detects each delimiter and the absence of a header', () => {
    const cases: [string, string][] = [
      ['1,2\n3,4', ','],
      ['1;2\r\n3;4\r\n', ';'],
      ['1\t2\n3\t4', '\t'],
      ['  1   2 \n3\t 4', ' '],
    ];
    for (const [text, d] of cases) {
      const r = parseNumericCsv(text);
      expect(r.delimiter).toBe(d);
      expect(r.header).toBeUndefined();
      expect(Array.from(r.matrix.data)).toEqual([1, 2, 3, 4]);
    }
  });

  it('reads a single column and a single row', () => {
    expect(Array.from(parseNumericCsv('x\n1\n2\n3').matrix.data)).toEqual([1, 2, 3]);
    const row = parseNumericCsv('1 2 3');
    expect(row.matrix.rows).toBe(1);
    expect(Array.from(row.matrix.data)).toEqual([1, 2, 3]);
  });

  it('handles quoted header names, blanks, comments and spaces around cells', () => {
    const text = '# written by np.savetxt\n"x, first","say ""hi"""\n\n 1 , 2 \n# note\n.5,5.\n';
    const r = parseNumericCsv(text);
    expect(r.header).toEqual(['x, first', 'say "hi"']);
    expect(Array.from(r.matrix.data)).toEqual([1, 2, 0.5, 5]);
  });

  it('honours header true/false and an explicit delimiter', () => {
    const forced = parseNumericCsv('1,2\n3,4', { header: true });
    expect(forced.header).toEqual(['1', '2']);
    expect(Array.from(forced.matrix.data)).toEqual([3, 4]);
    expectCode(() => parseNumericCsv('a,b\n3,4', { header: false }), 'PARSE_ERROR', /line 1, column 1: "a" is not a number/);
    expect(Array.from(parseNumericCsv('1;2\n3;4', { delimiter: ';' }).matrix.data)).toEqual([1, 2, 3, 4]);
  });

  it('stops after maxRows data rows', () => {
    const r = parseNumericCsv('h\n1\n2\n3\nnot read', { maxRows: 2 });
    expect(Array.from(r.matrix.data)).toEqual([1, 2]);
  });

  it('grows its buffer past the sampled lines', () => {
    const rng = new Rng(3);
    const m = DenseMatrix.random(500, 7, { rng, distribution: 'normal' });
    const back = parseNumericCsv(toCsv(m)).matrix;
    expect(back.rows).toBe(500);
    expect(back.data).toEqual(m.data);
  });

  it('round-trips exactly through toCsv, with and without a header', () => {
    const m = new DenseMatrix(3, 2, [0.1, -1e-300, 123456789.123, 5e21, 1 / 3, -7]);
    expect(toCsv(m)).toBe('0.1,-1e-300\n123456789.123,5e+21\n0.3333333333333333,-7\n');
    const r = parseNumericCsv(toCsv(m, ['a', 'b;c']));
    expect(r.header).toEqual(['a', 'b;c']);
    expect(r.matrix.data).toEqual(m.data);
    const tabbed = toCsv(m, ['with space', 'b'], { delimiter: '\t' });
    const rt = parseNumericCsv(tabbed);
    expect(rt.delimiter).toBe('\t');
    expect(rt.header).toEqual(['with space', 'b']);
    expect(rt.matrix.data).toEqual(m.data);
    const spaced = parseNumericCsv(toCsv(m, ['x y', 'z'], { delimiter: ' ' }));
    expect(spaced.header).toEqual(['x y', 'z']);
    expect(spaced.matrix.data).toEqual(m.data);
  });

  it('reports ragged rows and bad cells with line and column', () => {
    expectCode(() => parseNumericCsv('1,2,3\n4,5\n'), 'PARSE_ERROR', /line 2: has 2 cells; expected 3/);
    expectCode(() => parseNumericCsv('a,b\n1,2\n\n3,x\n'), 'PARSE_ERROR', /line 4, column 2: "x" is not a number/);
    expectCode(() => parseNumericCsv('1,2\n3,\n'), 'PARSE_ERROR', /line 2, column 2: empty cell/);
    for (const bad of ['NaN', 'Infinity', '0x10', '1,5', '1e', '--1']) {
      expectCode(() => parseNumericCsv(`1;2\n3;${bad}`, { delimiter: ';' }), 'PARSE_ERROR', /line 2, column 2/);
    }
    expectCode(() => parseNumericCsv('1,2\n3,1e999'), 'PARSE_ERROR', /line 2, column 2: 1e999 overflows/);
    expectCode(() => parseNumericCsv('"a,b\n1,2'), 'PARSE_ERROR', /line 1, column 1: unterminated/);
  });

  it('rejects empty input with EMPTY_INPUT', () => {
    for (const text of ['', '\n\n', '  \r\n', '# only a comment\n']) expectCode(() => parseNumericCsv(text), 'EMPTY_INPUT');
    expectCode(() => parseNumericCsv('a,b\n'), 'EMPTY_INPUT', /no data rows/);
  });

  it('enforces maxCols before reading rows and validates options', () => {
    expectCode(() => parseNumericCsv('1,2,3\n4,5,6', { maxCols: 2 }), 'LIMIT_EXCEEDED', /3 columns; maxCols is 2/);
    const bad: NumericCsvOptions[] = [
      { delimiter: '|' as ',' },
      { header: 'yes' as unknown as boolean },
      { maxRows: 0 },
      { maxRows: 1.5 },
      { maxCols: Number.NaN },
    ];
    for (const opts of bad) expectCode(() => parseNumericCsv('1,2', opts), 'INVALID_OPTION');
    expectCode(() => parseNumericCsv(42 as unknown as string), 'INVALID_ARGUMENT');
  });
});

describe('toCsv', () => {
  it('validates its input', () => {
    const m = new DenseMatrix(1, 2, [1, 2]);
    expectCode(() => toCsv(m, ['only one']), 'SHAPE_MISMATCH');
    expectCode(() => toCsv({ rows: 1, cols: 1, data: new Float64Array(1) } as DenseMatrix), 'INVALID_ARGUMENT');
    m.data[1] = Number.NaN;
    expectCode(() => toCsv(m), 'NOT_FINITE');
  });
});

describe('readNumericCsvFile', () => {
  it('reads plain and gzip-compressed files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-csv-'));
    try {
      const text = 'u,v\n1,2\n3,4\n';
      writeFileSync(join(dir, 'a.csv'), text);
      writeFileSync(join(dir, 'a.csv.gz'), gzipSync(text));
      for (const name of ['a.csv', 'a.csv.gz']) {
        const r = await readNumericCsvFile(join(dir, name));
        expect(r.header).toEqual(['u', 'v']);
        expect(Array.from(r.matrix.data)).toEqual([1, 2, 3, 4]);
      }
      await expect(readNumericCsvFile(join(dir, 'missing.csv'))).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
