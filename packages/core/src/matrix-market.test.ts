import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';
import { OptkitError } from './errors.js';
import { readMatrixMarket, readMatrixMarketFile, writeMatrixMarket, writeMatrixMarketFile, type MatrixMarketData } from './matrix-market.js';
import { Rng } from './rng.js';

function expectError(f: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
  if (message) expect((caught as OptkitError).message).toMatch(message);
}

const lines = (...l: string[]) => l.join('\n') + '\n';

/** The CsrMatrix of a coordinate result (fails the test for an array result). */
function csrOf(r: MatrixMarketData): CsrMatrix {
  expect(r.kind).toBe('coordinate');
  return r.matrix as CsrMatrix;
}

/** The DenseMatrix of an array result (fails the test for a coordinate result). */
function denseOf(r: MatrixMarketData): DenseMatrix {
  expect(r.kind).toBe('array');
  return r.matrix as DenseMatrix;
}

function dense(text: string | Uint8Array): number[][] {
  const r = readMatrixMarket(text);
  return r.kind === 'coordinate' ? r.matrix.toDense().toRows() : r.matrix.toRows();
}

describe('readMatrixMarket: coordinate', () => {
  it('reads a general real matrix with comments, blank lines and duplicates', () => {
    const text = lines(
      '%%MatrixMarket matrix coordinate real general',
      '% a comment',
      '%another',
      '',
      '3 4 5',
      '1 1 1.5',
      '% comment between entries',
      '3 4 -2e-3',
      '',
      '2 2 1.0D+02',
      '1 1 0.5',
      '  3\t1   7  ',
    );
    const r = readMatrixMarket(text);
    expect(r.kind).toBe('coordinate');
    expect(r.field).toBe('real');
    expect(r.symmetry).toBe('general');
    expect(r.comments).toEqual([' a comment', 'another']);
    expect(r.matrix).toBeInstanceOf(CsrMatrix);
    expect(dense(text)).toEqual([
      [2, 0, 0, 0],
      [0, 100, 0, 0],
      [7, 0, 0, -0.002],
    ]);
  });

  it('reads every decimal form of a real value', () => {
    const forms = ['-.5', '+1e+2', '0e0', '1.5d-3', '2.D1', '007', '0.25', '1E-310'];
    const text = lines('%%MatrixMarket matrix array real general', `${forms.length} 1`, ...forms);
    expect(Array.from(denseOf(readMatrixMarket(text)).data)).toEqual([-0.5, 100, 0, 0.0015, 20, 7, 0.25, 1e-310]);
  });

  it('mirrors symmetric and skew-symmetric entries; pattern values are 1; integer field', () => {
    expect(dense(lines('%%MatrixMarket matrix coordinate real symmetric', '3 3 3', '1 1 4', '3 1 -1', '2 2 5'))).toEqual([
      [4, 0, -1],
      [0, 5, 0],
      [-1, 0, 0],
    ]);
    expect(dense(lines('%%MatrixMarket matrix coordinate integer skew-symmetric', '3 3 2', '2 1 3', '3 2 -7'))).toEqual([
      [0, -3, 0],
      [3, 0, 7],
      [0, -7, 0],
    ]);
    const p = readMatrixMarket(lines('%%MatrixMarket matrix coordinate pattern symmetric', '2 2 2', '2 1', '1 1'));
    expect(p.field).toBe('pattern');
    expect(csrOf(p).toDense().toRows()).toEqual([
      [1, 1],
      [1, 0],
    ]);
    expect(readMatrixMarket(lines('%%MatrixMarket MATRIX Coordinate Double General', '1 1 1', '1 1 2')).field).toBe('real');
  });

  it('accepts Buffers with CRLF line ends and no final newline; empty matrices', () => {
    const buf = Buffer.from('%%MatrixMarket matrix coordinate real general\r\n2 2 1\r\n2 1 3.25');
    expect(dense(buf)).toEqual([
      [0, 0],
      [3.25, 0],
    ]);
    expect(dense('\uFEFF%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2\n')).toEqual([[2]]);
    expect(dense(Buffer.from('\uFEFF%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2\n'))).toEqual([[2]]);
    const empty = readMatrixMarket(lines('%%MatrixMarket matrix coordinate real general', '0 0 0'));
    expect(empty.matrix.rows).toBe(0);
    expect(csrOf(readMatrixMarket(lines('%%MatrixMarket matrix coordinate real general', '5 3 0'))).nnz).toBe(0);
  });

  it('decodes large binary input chunk by chunk, across long lines and multi-byte characters', () => {
    const longComment = `% ${'é'.repeat(9_000_000)}`; // 18 MB of UTF-8, longer than one decode chunk
    const text = lines('%%MatrixMarket matrix coordinate real general', '% header comment', '3 3 3', '1 1 1', longComment, '2 2 2', longComment, '3 3 3');
    const buf = Buffer.from(text, 'utf8');
    expect(buf.length).toBeGreaterThan(2 * (1 << 24));
    expect(dense(buf)).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
  });
});

describe('readMatrixMarket: array', () => {
  it('reads column-major general, symmetric and skew-symmetric arrays', () => {
    const g = readMatrixMarket(lines('%%MatrixMarket matrix array real general', '% c', '2 3', '1', '2', '3', '4', '5', '6'));
    expect(g.kind).toBe('array');
    expect(g.matrix).toBeInstanceOf(DenseMatrix);
    expect(denseOf(g).toRows()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    expect(dense(lines('%%MatrixMarket matrix array real symmetric', '3 3', '1', '2', '3', '4', '5', '6'))).toEqual([
      [1, 2, 3],
      [2, 4, 5],
      [3, 5, 6],
    ]);
    expect(dense(lines('%%MatrixMarket matrix array integer skew-symmetric', '3 3', '1', '2', '3'))).toEqual([
      [0, -1, -2],
      [1, 0, -3],
      [2, 3, 0],
    ]);
  });
});

describe('readMatrixMarket: errors', () => {
  const H = '%%MatrixMarket matrix coordinate real general';

  it('names the line of malformed entries', () => {
    expectError(() => readMatrixMarket(lines(H, '% c', '3 3 2', '1 1 1', '% c', '', '2 2')), 'PARSE_ERROR', /line 7: expected 3 fields, got 2/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 1 1 1')), 'PARSE_ERROR', /line 3: expected 3 fields, got 4/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '4 1 1')), 'PARSE_ERROR', /line 3: row index 4 is outside \[1, 3\]/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 0 1')), 'PARSE_ERROR', /line 3: column index 0/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1.5 1 1')), 'PARSE_ERROR', /line 3: row index "1.5" is not an integer/);
    expectError(() => readMatrixMarket(lines(H, '3 3 2', '1 1 nan', '2 2 1')), 'PARSE_ERROR', /line 3: value "nan"/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 1 inf')), 'PARSE_ERROR', /line 3/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 1 0x10')), 'PARSE_ERROR', /line 3/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 1 1e999')), 'PARSE_ERROR', /line 3: value 1e999 overflows/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate integer general', '3 3 1', '1 1 1.5')), 'PARSE_ERROR', /line 3: .*not an integer/);
  });

  it('detects too few and too many entries', () => {
    expectError(() => readMatrixMarket(lines(H, '3 3 3', '1 1 1', '2 2 2', '% trailing comment')), 'PARSE_ERROR', /expected 3 entries, found 2/);
    expectError(() => readMatrixMarket(lines(H, '3 3 1', '1 1 1', '2 2 2')), 'PARSE_ERROR', /line 4: more entries than the 1/);
    // (The trailing comment makes the input long enough to pass the size check, so the count is what fails.)
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array real general', '2 2', '1', '2', '3', '% end')), 'PARSE_ERROR', /line 6: expected 4 values, found 3/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array real general', '2 2', '1', '2', '3')), 'PARSE_ERROR', /can hold at most 3/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array real general', '1 1', '1', '2')), 'PARSE_ERROR', /line 4: more values/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array real general', '1 1', '1 2')), 'PARSE_ERROR', /line 3: expected 1 field, got 2/);
  });

  it('checks the header and the size line', () => {
    expectError(() => readMatrixMarket(''), 'PARSE_ERROR', /line 1/);
    expectError(() => readMatrixMarket(lines('%MatrixMarket matrix coordinate real general', '1 1 0')), 'PARSE_ERROR', /line 1/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate real', '1 1 0')), 'PARSE_ERROR', /line 1: the header has 4 fields/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix sparse real general', '1 1 0')), 'PARSE_ERROR', /line 1: format/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate quaternion general', '1 1 0')), 'PARSE_ERROR', /line 1: field/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array pattern general', '1 1')), 'PARSE_ERROR', /line 1/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate complex general', '1 1 1', '1 1 1 0')), 'UNSUPPORTED');
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate real hermitian', '1 1 0')), 'UNSUPPORTED');
    expectError(() => readMatrixMarket(lines('%%MatrixMarket vector coordinate real general', '1 0')), 'UNSUPPORTED');
    expectError(() => readMatrixMarket(lines(H)), 'PARSE_ERROR', /missing the size line/);
    expectError(() => readMatrixMarket(lines(H, '% c', '3 3')), 'PARSE_ERROR', /line 3: expected 3 fields \(rows cols entries\), got 2/);
    expectError(() => readMatrixMarket(lines(H, '3 -3 0')), 'PARSE_ERROR', /line 2: cols is -3/);
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix coordinate real symmetric', '2 3 0')), 'PARSE_ERROR', /must be square/);
    expectError(
      () => readMatrixMarket(lines('%%MatrixMarket matrix coordinate real skew-symmetric', '2 2 1', '1 1 5')),
      'PARSE_ERROR',
      /line 3: a skew-symmetric matrix stores no diagonal entry/,
    );
    expectError(() => readMatrixMarket(42 as unknown as string), 'INVALID_ARGUMENT');
  });

  it('refuses absurd claims before allocating', () => {
    expectError(() => readMatrixMarket(lines(H, '10 10 1000000000', '1 1 1')), 'LIMIT_EXCEEDED', /announces 1000000000 entries; maxEntries is 50000000/);
    expectError(() => readMatrixMarket(lines(H, '10 10 3', '1 1 1'), { maxEntries: 2 }), 'LIMIT_EXCEEDED');
    expectError(() => readMatrixMarket(lines('%%MatrixMarket matrix array real general', '100000 100000', '1')), 'LIMIT_EXCEEDED', /10000000000 entries/);
    expectError(() => readMatrixMarket(lines(H, '3000000000 1 0')), 'LIMIT_EXCEEDED');
    // Within maxEntries, but far more than the few remaining bytes can hold.
    expectError(() => readMatrixMarket(lines(H, '10 10 40000000', '1 1 1')), 'PARSE_ERROR', /can hold at most/);
    expectError(() => readMatrixMarket(lines(H, '1 1 0'), { maxEntries: -1 }), 'INVALID_OPTION');
  });
});

describe('writeMatrixMarket', () => {
  it('round-trips a sparse matrix with explicit zeros, exactly', () => {
    const rng = new Rng(5);
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (let t = 0; t < 60; t++) {
      r.push(rng.int(0, 9));
      c.push(rng.int(0, 6));
      v.push(t === 0 ? 0 : rng.normal() * 10 ** rng.int(-300, 300));
    }
    const A = CsrMatrix.fromCoo(10, 7, r, c, v);
    const text = writeMatrixMarket(A, { comment: 'line one\nline two' });
    expect(text.startsWith('%%MatrixMarket matrix coordinate real general\n% line one\n% line two\n10 7 ')).toBe(true);
    const back = readMatrixMarket(text);
    expect(back.comments).toEqual([' line one', ' line two']);
    expect(back.kind).toBe('coordinate');
    const B = back.matrix as CsrMatrix;
    expect(B.indptr).toEqual(A.indptr);
    expect(B.indices).toEqual(A.indices);
    expect(B.values).toEqual(A.values);
  });

  it('writes the lower triangle of symmetric matrices and round-trips', () => {
    const S = CsrMatrix.fromDense({ rows: 3, cols: 3, data: [2, -1, 0, -1, 2, 0.5, 0, 0.5, 3] });
    const text = writeMatrixMarket(S, { symmetric: true });
    expect(text).toBe(lines('%%MatrixMarket matrix coordinate real symmetric', '3 3 5', '1 1 2', '2 1 -1', '2 2 2', '3 2 0.5', '3 3 3'));
    const back = readMatrixMarket(text).matrix as CsrMatrix;
    expect(back.toDense().data).toEqual(S.toDense().data);
    expectError(() => writeMatrixMarket(CsrMatrix.fromDense({ rows: 2, cols: 2, data: [1, 2, 3, 4] }), { symmetric: true }), 'INVALID_ARGUMENT');
  });

  it('writes dense matrices as column-major arrays and round-trips', () => {
    const D = DenseMatrix.random(4, 3, { seed: 2, distribution: 'normal' });
    const text = writeMatrixMarket(D);
    expect(text.split('\n').slice(0, 3)).toEqual(['%%MatrixMarket matrix array real general', '4 3', String(D.data[0])]);
    expect(text.split('\n')[3]).toBe(String(D.data[3])); // (2, 1): the next row of column 1
    const back = readMatrixMarket(text);
    expect(back.kind).toBe('array');
    expect(denseOf(back).data).toEqual(D.data);
    const S = new DenseMatrix(2, 2, [1, 7, 7, 3]);
    const st = writeMatrixMarket(S, { symmetric: true });
    expect(st).toBe(lines('%%MatrixMarket matrix array real symmetric', '2 2', '1', '7', '3'));
    expect(denseOf(readMatrixMarket(st)).data).toEqual(S.data);
    expectError(() => writeMatrixMarket(new DenseMatrix(2, 2, [1, 2, 3, 4]), { symmetric: true }), 'INVALID_ARGUMENT');
    expectError(() => writeMatrixMarket({ rows: 1, cols: 1, data: new Float64Array(1) } as unknown as DenseMatrix), 'INVALID_ARGUMENT');
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optkit-mm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and reads .mtx and .mtx.gz files', () => {
    const A = CsrMatrix.fromDense({ rows: 3, cols: 2, data: [1, 0, 0, 2.5, -3, 0] });
    const path = join(dir, 'a.mtx');
    writeMatrixMarketFile(path, A, { comment: 'test' });
    expect(readFileSync(path, 'utf8')).toBe(writeMatrixMarket(A, { comment: 'test' }));
    expect((readMatrixMarketFile(path).matrix as CsrMatrix).toDense().data).toEqual(A.toDense().data);
    const gz = join(dir, 'a.mtx.gz');
    writeFileSync(gz, gzipSync(readFileSync(path)));
    expect((readMatrixMarketFile(gz).matrix as CsrMatrix).toDense().data).toEqual(A.toDense().data);
    expectError(() => readMatrixMarketFile(join(dir, 'missing.mtx')), 'NOT_FOUND');
    writeFileSync(join(dir, 'bad.gz'), 'not gzip');
    expectError(() => readMatrixMarketFile(join(dir, 'bad.gz')), 'PARSE_ERROR');
  });
});
