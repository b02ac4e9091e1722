import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CsrMatrix, DenseMatrix, OptkitError } from '@optkit/core';
import { inferFormat, loadAllData, loadData, parseRunConfig, readRunConfig } from './config.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, message: (e as Error).message };
  }
  return { message: '' };
}

describe('inferFormat', () => {
  it('maps extensions, case-insensitively and through .gz', () => {
    expect(inferFormat('/d/a.mtx')).toBe('mtx');
    expect(inferFormat('A.MTX.gz')).toBe('mtx');
    expect(inferFormat('a9a.svm')).toBe('libsvm');
    expect(inferFormat('a9a.libsvm')).toBe('libsvm');
    expect(inferFormat('a9a.txt')).toBe('libsvm');
    expect(inferFormat('x.csv')).toBe('csv');
    expect(inferFormat('x.csv.gz')).toBe('csv');
    expect(inferFormat('opts.json')).toBe('json');
    expect(inferFormat('x.dat')).toBeUndefined();
    expect(inferFormat('noext')).toBeUndefined();
    expect(inferFormat('.mtx')).toBeUndefined();
  });
});

describe('parseRunConfig', () => {
  it('resolves paths against the base folder and infers formats', () => {
    const c = parseRunConfig({ data: { A: 'm/a.mtx', b: { path: '/abs/b.data', format: 'csv' } }, options: { tol: 1e-8 } }, '/base');
    expect(c).toEqual({
      data: { A: { path: '/base/m/a.mtx', format: 'mtx' }, b: { path: '/abs/b.data', format: 'csv' } },
      options: { tol: 1e-8 },
    });
    expect(parseRunConfig({}, '/base')).toEqual({ data: {}, options: {} });
  });

  it('rejects malformed configurations with INVALID_ARGUMENT naming the key', () => {
    expect(codeOf(() => parseRunConfig([], '/'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseRunConfig(null, '/'))).toBe('INVALID_ARGUMENT');
    expect(() => parseRunConfig({ dta: {} }, '/')).toThrow(/unknown key "dta"/);
    expect(() => parseRunConfig({ options: [1] }, '/')).toThrow(/"options" must be an object/);
    expect(() => parseRunConfig({ data: 'a.mtx' }, '/')).toThrow(/"data" must be an object/);
    expect(() => parseRunConfig({ data: { A: 3 } }, '/')).toThrow(/data\.A must be a file path/);
    expect(() => parseRunConfig({ data: { A: { path: '' } } }, '/')).toThrow(/data\.A\.path must be a non-empty string/);
    expect(() => parseRunConfig({ data: { A: { path: 'a', fmt: 'csv' } } }, '/')).toThrow(/data\.A: unknown key "fmt"/);
    expect(() => parseRunConfig({ data: { A: { path: 'a.csv', format: 'xlsx' } } }, '/')).toThrow(/data\.A\.format is "xlsx"/);
    expect(() => parseRunConfig({ data: { A: 'a.dat' } }, '/')).toThrow(/cannot infer the format of "a\.dat"/);
  });
});

describe('readRunConfig and loadData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optkit-config-'));
  writeFileSync(join(dir, 'a.mtx'), '%%MatrixMarket matrix coordinate real general\n% test\n2 3 3\n1 1 1.5\n2 3 -2\n1 2 4\n');
  writeFileSync(join(dir, 'x.csv'), 'a,b\n1,2\n3,4\n5,6\n');
  writeFileSync(join(dir, 'x.csv.gz'), gzipSync('1,2\n3,4\n'));
  writeFileSync(join(dir, 'd.txt'), '1 1:0.5 3:2\n-1 2:1\n');
  writeFileSync(join(dir, 'o.json'), '{"k": [1, 2]}');
  writeFileSync(join(dir, 'bad.json'), '{"k": ');
  writeFileSync(join(dir, 'bad.csv'), '1,2\n3,x\n');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ data: { A: 'a.mtx', X: 'x.csv', Z: 'x.csv.gz', D: 'd.txt', O: { path: 'o.json' } }, options: { k: 2 } }));
  writeFileSync(join(dir, 'broken.json'), '{ data: 1 }');

  it('loads every format with core readers into LoadedData', async () => {
    const config = await readRunConfig(join(dir, 'run.json'));
    expect(config.options).toEqual({ k: 2 });
    const data = await loadAllData(config);
    const A = data.A.value as CsrMatrix;
    expect(data.A.kind).toBe('mtx');
    expect(A).toBeInstanceOf(CsrMatrix);
    expect([A.rows, A.cols]).toEqual([2, 3]);
    expect(Array.from(A.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(A.indices)).toEqual([0, 1, 2]);
    expect(Array.from(A.values)).toEqual([1.5, 4, -2]);
    const X = data.X.value as DenseMatrix;
    expect(X).toBeInstanceOf(DenseMatrix);
    expect([X.rows, X.cols, ...X.data]).toEqual([3, 2, 1, 2, 3, 4, 5, 6]);
    expect((data.Z.value as DenseMatrix).rows).toBe(2);
    const D = data.D.value as { labels: Float64Array; features: CsrMatrix };
    expect(Array.from(D.labels)).toEqual([1, -1]);
    expect(D.features.cols).toBe(3);
    expect(data.O).toEqual({ kind: 'json', path: join(dir, 'o.json'), value: { k: [1, 2] } });
  });

  it('reports a missing config, bad JSON, a missing data file and parse errors, naming the data entry', async () => {
    expect((await asyncCodeOf(readRunConfig(join(dir, 'none.json')))).code).toBe('NOT_FOUND');
    const bad = await asyncCodeOf(readRunConfig(join(dir, 'broken.json')));
    expect(bad.code).toBe('PARSE_ERROR');
    expect(bad.message).toMatch(/broken\.json is not valid JSON/);
    const missing = await asyncCodeOf(loadData('A', { path: join(dir, 'nope.mtx'), format: 'mtx' }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(missing.message).toMatch(/^data\.A: file .*nope\.mtx does not exist$/);
    const json = await asyncCodeOf(loadData('O', { path: join(dir, 'bad.json'), format: 'json' }));
    expect(json.code).toBe('PARSE_ERROR');
    expect(json.message).toMatch(/^data\.O: /);
    const csv = await asyncCodeOf(loadData('X', { path: join(dir, 'bad.csv'), format: 'csv' }));
    expect(csv.code).toBe('PARSE_ERROR');
    expect(csv.message).toMatch(/^data\.X: .*line 2/);
    // A directory is not a data file.
    expect((await asyncCodeOf(loadData('A', { path: dir, format: 'mtx' }))).code).toBe('NOT_FOUND');
  });
});
