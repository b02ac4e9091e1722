import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it, expect } from 'vitest';
import { OptkitError } from '../errors.js';
import { DIGITS_URL, loadDigits } from './digits.js';

// The first and last lines of data/digits.csv.gz, read with zcat.
const FIRST = [
  0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0,
  9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
];
const LAST = [
  0, 0, 10, 14, 8, 1, 0, 0, 0, 2, 16, 14, 6, 1, 0, 0, 0, 0, 15, 15, 8, 15, 0, 0, 0, 0, 5, 16, 16, 10, 0, 0, 0, 0, 12, 15,
  15, 12, 0, 0, 0, 4, 16, 6, 4, 16, 6, 0, 0, 8, 16, 10, 8, 16, 8, 0, 0, 1, 8, 12, 14, 12, 1, 0,
];
// Class counts and the pixel total, from awk over the same file.
const CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
const PIXEL_SUM = 561718;

describe('loadDigits', () => {
  it('loads 1797 images of 64 pixels with the known first and last rows', () => {
    const d = loadDigits();
    expect(d.images.rows).toBe(1797);
    expect(d.images.cols).toBe(64);
    expect(d.labels.length).toBe(1797);
    expect(d.numClasses).toBe(10);
    expect(d.imageShape).toEqual([8, 8]);
    expect(Array.from(d.images.row(0))).toEqual(FIRST);
    expect(d.labels[0]).toBe(0);
    expect(Array.from(d.images.row(1796))).toEqual(LAST);
    expect(d.labels[1796]).toBe(8);
    expect(d.license).toMatch(/CC BY 4\.0/);
    expect(d.split).toBeUndefined();
  });

  it('has the known class counts, pixel range 0..16 and pixel total', () => {
    const d = loadDigits();
    const counts = new Array<number>(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(counts).toEqual(CLASS_COUNTS);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1797);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of d.images.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect([min, max, sum]).toEqual([0, 16, PIXEL_SUM]);
  });

  it('scales pixels to [0, 1] with normalize', () => {
    const d = loadDigits({ normalize: true });
    expect(d.pixelMax).toBe(1);
    expect(Array.from(d.images.row(0))).toEqual(FIRST.map((v) => v / 16));
    expect(Math.max(...d.images.data)).toBe(1);
  });

  it('returns independent copies', () => {
    const a = loadDigits();
    a.images.data[0] = 99;
    a.labels[0] = 7;
    const b = loadDigits();
    expect(b.images.data[0]).toBe(0);
    expect(b.labels[0]).toBe(0);
  });

  it('adds a stratified, seeded split with testFraction', () => {
    const d = loadDigits({ testFraction: 0.2, seed: 5 });
    const s = d.split!;
    expect(s.XTest.rows).toBe(360); // ceil(0.2 · 1797)
    expect(s.XTrain.rows).toBe(1437);
    const testCounts = new Array<number>(10).fill(0);
    for (const l of s.yTest) testCounts[l]++;
    for (let c = 0; c < 10; c++) expect(Math.abs(testCounts[c] - 0.2 * CLASS_COUNTS[c])).toBeLessThan(1);
    const again = loadDigits({ testFraction: 0.2, seed: 5 }).split!;
    expect(again.testIndex).toEqual(s.testIndex);
    const other = loadDigits({ testFraction: 0.2, seed: 6 }).split!;
    expect(other.testIndex).not.toEqual(s.testIndex);
    // Rows and labels travel together.
    const k = s.testIndex[0];
    expect(Array.from(s.XTest.row(0))).toEqual(Array.from(d.images.row(k)));
    expect(s.yTest[0]).toBe(d.labels[k]);
  });

  it('rejects bad options', () => {
    const bad = [{ testFraction: 0 }, { testFraction: 1 }, { testFraction: Number.NaN }, { seed: 1.5 }, { normalize: 'yes' as unknown as boolean }];
    for (const opts of bad) {
      try {
        loadDigits(opts);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(OptkitError);
        expect((err as OptkitError).code).toBe('INVALID_OPTION');
      }
    }
  });

  it('finds the data file from both the source and the built layout', () => {
    const pkgRoot = fileURLToPath(new URL('../../', import.meta.url));
    expect(fileURLToPath(DIGITS_URL)).toBe(pkgRoot + 'data/digits.csv.gz');
    expect(existsSync(DIGITS_URL)).toBe(true);
    // dist/data/digits.js sits at the same depth as src/data/digits.ts.
    const built = new URL('../../data/digits.csv.gz', pathToFileURL(pkgRoot + 'dist/data/digits.js'));
    expect(built.href).toBe(DIGITS_URL.href);
  });
});
