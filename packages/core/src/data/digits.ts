/**
 * The handwritten digits data set bundled with @optkit/core: 1797 grey-scale images of 8×8 pixels
 * (values 0..16, one image per row, row-major pixels), labels 0..9. It is the test part of UCI's
 * "Optical Recognition of Handwritten Digits" (Alpaydin & Kaynak, 1998), the same file as
 * scikit-learn's `load_digits`, licensed CC BY 4.0 (data/LICENSE-digits.md). Small enough for
 * experiments that must run in seconds, real enough to show a method's behaviour.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DenseMatrix } from '../dense.js';
import { OptkitError, checkOption } from '../errors.js';
import { parseNumericCsv } from './csv.js';
import { trainTestSplit, type TrainTestSplit } from './split.js';

/**
 * Location of the bundled file. This module sits two folders below the package root both as
 * source (src/data/digits.ts, used by tests) and when built (dist/data/digits.js), and the
 * package ships `data/`, so one relative URL serves both.
 */
export const DIGITS_URL = new URL('../../data/digits.csv.gz', import.meta.url);

export const DIGITS_ROWS = 1797;
export const DIGITS_PIXELS = 64;

export interface LoadDigitsOptions {
  /** Divide pixels by 16 so they lie in [0, 1] (default false: integers 0..16 as in the file). */
  normalize?: boolean;
  /** Also return a stratified train/test split with this test share, in (0, 1) (default: no split). */
  testFraction?: number;
  /** Seed of the split (default 0); only used with `testFraction`. */
  seed?: number;
}

export interface Digits {
  /** 1797×64, one image per row, pixel (r, c) of an image in column 8·r + c. */
  images: DenseMatrix;
  /** The digit shown, 0..9, one per image. */
  labels: Int32Array;
  numClasses: 10;
  imageShape: readonly [8, 8];
  /** Maximum pixel value: 16 as stored, 1 with `normalize`. */
  pixelMax: number;
  license: string;
  citation: string;
  source: string;
  /** The stratified split, when `testFraction` was given. */
  split?: TrainTestSplit<Int32Array>;
}

const FN = 'loadDigits';
let cache: { pixels: Float64Array; labels: Int32Array } | undefined;

/** Reads and checks the bundled file once; later calls copy from the cache. */
function readDigits(): { pixels: Float64Array; labels: Int32Array } {
  if (cache) return cache;
  let text: string;
  try {
    text = gunzipSync(readFileSync(DIGITS_URL)).toString('utf8');
  } catch (err) {
    throw new OptkitError('NOT_FOUND', `${FN}: cannot read the bundled data file ${DIGITS_URL.pathname}: ${(err as Error).message}`, undefined, { cause: err });
  }
  const { matrix } = parseNumericCsv(text, { header: false, delimiter: ',' });
  const cols = DIGITS_PIXELS + 1;
  if (matrix.rows !== DIGITS_ROWS || matrix.cols !== cols) {
    throw new OptkitError('PARSE_ERROR', `${FN}: ${DIGITS_URL.pathname} is ${matrix.rows}×${matrix.cols}; expected ${DIGITS_ROWS}×${cols}`);
  }
  const pixels = new Float64Array(DIGITS_ROWS * DIGITS_PIXELS);
  const labels = new Int32Array(DIGITS_ROWS);
  const d = matrix.data;
  for (let i = 0; i < DIGITS_ROWS; i++) {
    for (let j = 0; j < DIGITS_PIXELS; j++) {
      const v = d[i * cols + j];
      if (!(Number.isInteger(v) && v >= 0 && v <= 16)) {
        throw new OptkitError('PARSE_ERROR', `${FN}: row ${i + 1}, pixel ${j} is ${v}; expected an integer in 0..16`);
      }
      pixels[i * DIGITS_PIXELS + j] = v;
    }
    const label = d[i * cols + DIGITS_PIXELS];
    if (!(Number.isInteger(label) && label >= 0 && label <= 9)) {
      throw new OptkitError('PARSE_ERROR', `${FN}: row ${i + 1} has label ${label}; expected an integer in 0..9`);
    }
    labels[i] = label;
  }
  cache = { pixels, labels };
  return cache;
}

/**
 * Loads the digits data set (a fresh copy each call, so callers may modify it). With
 * `testFraction`, `split` holds a stratified, seeded train/test split of the same rows.
 *
 * ```ts
 * const { split } = loadDigits({ normalize: true, testFraction: 0.2, seed: 1 });
 * // split.XTrain: 1437×64, split.XTest: 360×64
 * ```
 */
export function loadDigits(options: LoadDigitsOptions = {}): Digits {
  const normalize = options.normalize ?? false;
  if (typeof normalize !== 'boolean') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option normalize must be a boolean`, 'normalize');
  }
  if (options.seed !== undefined) checkOption(options.seed, 'seed', { integer: true }, FN);
  const { pixels, labels } = readDigits();
  const data = pixels.slice();
  if (normalize) for (let i = 0; i < data.length; i++) data[i] /= 16;
  const digits: Digits = {
    images: DenseMatrix.wrap(DIGITS_ROWS, DIGITS_PIXELS, data),
    labels: labels.slice(),
    numClasses: 10,
    imageShape: [8, 8],
    pixelMax: normalize ? 1 : 16,
    license: 'CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); see data/LICENSE-digits.md',
    citation:
      'E. Alpaydin, C. Kaynak (1998). Optical Recognition of Handwritten Digits. UCI Machine Learning Repository.',
    source: 'https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits',
  };
  if (options.testFraction !== undefined) {
    digits.split = trainTestSplit(digits.images, digits.labels, {
      testFraction: options.testFraction,
      seed: options.seed ?? 0,
      stratify: true,
    });
  }
  return digits;
}
