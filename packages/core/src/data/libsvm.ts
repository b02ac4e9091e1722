/**
 * The svmlight / LIBSVM sparse text format, read into a {@link CsrMatrix} of features and a label
 * vector, and written back. This is the format of the LIBSVM data sets
 * (https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/) that sparse-optimisation papers use.
 *
 * One sample per line: `<label> [qid:<int>] <index>:<value> <index>:<value> ... [# comment]`,
 * tokens separated by spaces or tabs. Blank and comment-only lines are skipped (line numbers in
 * errors still count them). As in scikit-learn's `load_svmlight_file`:
 * - indices are one-based by default; `zeroBased: 'auto'` (the default) treats the file as
 *   zero-based if any index is 0 and as one-based otherwise, which is right for every file that
 *   uses its first column at least once — pass `zeroBased` explicitly when that may not hold;
 * - the indices of a line must be strictly increasing: a duplicate or out-of-order index is a
 *   PARSE_ERROR (rather than silently summing or sorting, which would hide a broken writer);
 * - `qid:` tokens (ranking data) are accepted right after the label and skipped;
 * - explicit zero values are kept as stored entries, so a file round-trips exactly;
 * - multi-label lines (`1,3 5:1`) are not supported (PARSE_ERROR).
 *
 * Input is text or its UTF-8 bytes (files are parsed from their bytes, so they need not fit in one
 * JavaScript string, about 512 MiB in Node 20). The number of features is bounded by `maxFeatures` (default 10^8), checked before anything is allocated, so a
 * stray huge index cannot make downstream code allocate a giant dense vector.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { CsrMatrix } from '../csr.js';
import { OptkitError, checkOption } from '../errors.js';

export interface LibsvmParseOptions {
  /** Number of feature columns (default: largest index + 1). An index beyond it is a PARSE_ERROR. */
  numFeatures?: number;
  /** Whether indices start at 0: `true`, `false`, or `'auto'` (default; see the module comment). */
  zeroBased?: boolean | 'auto';
  /** Read at most this many samples and ignore the rest (default: all). */
  maxRows?: number;
  /** Refuse (LIMIT_EXCEEDED) more than this many features (default 10^8, at most 2^31 - 1). */
  maxFeatures?: number;
}

export interface LibsvmData {
  /** One label per sample. */
  labels: Float64Array;
  /** Samples × features, one CSR row per line, column indices zero-based and sorted. */
  features: CsrMatrix;
  /** Whether the file was read as zero-based (the resolved value of `zeroBased`). */
  zeroBased: boolean;
}

const FN = 'parseLibsvm';
const INT32_MAX = 2147483647;

// Character codes used by the scanner.
const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const COLON = 58;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const LOWER_Q = 113;
const LOWER_I = 105;
const LOWER_D = 100;

/** Exact powers of ten: every 10^k with k <= 22 is a double, which is what the fast path needs. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
/** 2^53: every integer up to it is exact in a double. */
const MAX_EXACT = 2 ** 53;

/**
 * The decimal number in bytes `b[start, end)`, or NaN if it is not one. Simple decimals (mantissa
 * digits forming an integer below 2^53, combined exponent within ±22) are computed as `m · 10^e` or
 * `m / 10^-e` with both operands exact doubles, so the single rounding makes the result correctly
 * rounded (Clinger's fast path, 1990); everything else goes to `Number()` on the token's text.
 * Either way the result equals `Number(token)` for every accepted token, which the tests check.
 */
function parseDecimal(b: Uint8Array, start: number, end: number, text: Buffer): number {
  let i = start;
  let negative = false;
  if (i < end && (b[i] === PLUS || b[i] === MINUS)) {
    negative = b[i] === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let c = 0;
  while (i < end && (c = b[i]) >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    digits++;
    i++;
  }
  if (i < end && b[i] === DOT) {
    i++;
    while (i < end && (c = b[i]) >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      scale--;
      i++;
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < end && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) {
      expNegative = b[i] === MINUS;
      i++;
    }
    let exp = 0;
    let expDigits = 0;
    while (i < end && (c = b[i]) >= ZERO && c <= NINE) {
      if (exp < 100000) exp = exp * 10 + (c - ZERO);
      expDigits++;
      i++;
    }
    if (expDigits === 0) return Number.NaN;
    scale += expNegative ? -exp : exp;
  }
  if (i !== end) return Number.NaN;
  // Once the mantissa passes 2^53 its running value has been rounded, so it is not used.
  if (mantissa >= MAX_EXACT || scale > 22 || scale < -22) return Number(text.toString('latin1', start, end));
  const v = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  return negative ? -v : v;
}

/** The non-negative decimal integer in bytes `b[start, end)`, or -1 if it is not one; capped above INT32_MAX. */
function parseIndex(b: Uint8Array, start: number, end: number): number {
  if (start === end) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c < ZERO || c > NINE) return -1;
    if (v <= INT32_MAX) v = v * 10 + (c - ZERO);
  }
  return v;
}

/** Growable typed arrays for the CSR parts, doubling like a vector. */
class Grow<T extends Int32Array | Float64Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T, capacity: number) {
    this.data = make(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): T {
    return this.data.length === this.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

function parseError(line: number, message: string): OptkitError {
  return new OptkitError('PARSE_ERROR', `${FN}: line ${line}: ${message}`, 'text');
}

function token(text: Buffer, a: number, b: number): string {
  return JSON.stringify(b - a > 40 ? text.toString('utf8', a, a + 40) + '…' : text.toString('utf8', a, b));
}

/**
 * Parses svmlight / LIBSVM text, given as a string or as UTF-8 bytes (see the module comment for
 * the accepted syntax).
 *
 * Throws (OptkitError): PARSE_ERROR naming the line for a bad label, token, value (NaN and
 * Infinity included), a duplicate or unsorted index, index 0 in a one-based file, or an index
 * beyond `numFeatures`; LIMIT_EXCEEDED when `numFeatures` or an index exceeds `maxFeatures`;
 * EMPTY_INPUT when there is no sample; INVALID_OPTION for bad options.
 */
export function parseLibsvm(text: string | Uint8Array, options: LibsvmParseOptions = {}): LibsvmData {
  // The scanner works on bytes: indexing a Uint8Array is 2-3x faster than charCodeAt on a string,
  // and files need not fit in one string. Only ASCII matters outside comments.
  let buf: Buffer;
  if (typeof text === 'string') buf = Buffer.from(text, 'utf8');
  else if (text instanceof Uint8Array) buf = Buffer.isBuffer(text) ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  else throw new OptkitError('INVALID_ARGUMENT', `${FN}: text must be a string or a Uint8Array, got ${typeof text}`, 'text');
  const bytes: Uint8Array = buf;
  const maxFeatures = checkOption(options.maxFeatures ?? 1e8, 'maxFeatures', { min: 1, max: INT32_MAX, integer: true }, FN);
  const maxRows = checkOption(options.maxRows ?? Number.MAX_SAFE_INTEGER, 'maxRows', { min: 1, integer: true }, FN);
  let numFeatures = -1;
  if (options.numFeatures !== undefined) {
    numFeatures = checkOption(options.numFeatures, 'numFeatures', { min: 0, integer: true }, FN);
    if (numFeatures > maxFeatures) {
      throw new OptkitError('LIMIT_EXCEEDED', `${FN}: numFeatures ${numFeatures} exceeds maxFeatures ${maxFeatures}`, 'numFeatures');
    }
  }
  const zeroOpt = options.zeroBased ?? 'auto';
  if (zeroOpt !== 'auto' && typeof zeroOpt !== 'boolean') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option zeroBased is ${JSON.stringify(zeroOpt)}; expected true, false or "auto"`, 'zeroBased');
  }
  // Raw indices are stored as written; one-based files are shifted once at the end, because with
  // 'auto' the base is known only after the whole file has been seen. Until then the per-line
  // bounds allow the larger (one-based) range, and the final check below settles it.
  const rawLimit = zeroOpt === true ? maxFeatures - 1 : maxFeatures;
  const rawColsLimit = numFeatures < 0 ? Number.POSITIVE_INFINITY : zeroOpt === true ? numFeatures - 1 : numFeatures;

  const estimate = Math.max(16, Math.min(1 << 20, bytes.length >>> 3));
  const labels = new Grow((n) => new Float64Array(n), Math.max(16, estimate >>> 4));
  const indptr = new Grow((n) => new Int32Array(n), Math.max(16, estimate >>> 4));
  const indices = new Grow((n) => new Int32Array(n), estimate);
  const values = new Grow((n) => new Float64Array(n), estimate);
  indptr.push(0);

  let sawZero = false;
  let maxRaw = -1;
  let maxRawLine = 0;
  let lineNo = 0;
  let rows = 0;
  const n = bytes.length;
  let pos = 0;
  // Position of the next '#' at or after `pos` (n when none), searched again only once passed, so
  // files without comments are not rescanned to the end on every line.
  let nextHash = -1;
  while (pos < n && rows < maxRows) {
    lineNo++;
    let lineEnd = bytes.indexOf(NL, pos);
    if (lineEnd < 0) lineEnd = n;
    let end = lineEnd;
    if (nextHash < pos) {
      nextHash = bytes.indexOf(HASH, pos);
      if (nextHash < 0) nextHash = n;
    }
    if (nextHash < end) end = nextHash;
    let i = pos;
    pos = lineEnd + 1;

    // Label: the first token, or nothing on a blank / comment-only line.
    while (i < end && (bytes[i] === SPACE || bytes[i] === TAB || bytes[i] === CR)) i++;
    if (i >= end) continue;
    let j = i;
    while (j < end && bytes[j] > SPACE) j++;
    const label = parseDecimal(bytes, i, j, buf);
    if (!Number.isFinite(label)) throw parseError(lineNo, `label ${token(buf, i, j)} is not a finite number`);
    labels.push(label);

    let prev = -1;
    let first = true;
    for (i = j; ; i = j) {
      while (i < end) {
        const c = bytes[i];
        if (c !== SPACE && c !== TAB && c !== CR) break;
        i++;
      }
      if (i >= end) break;
      j = i;
      let colon = -1;
      while (j < end) {
        const c = bytes[j];
        if (c <= SPACE) break;
        if (c === COLON && colon < 0) colon = j;
        j++;
      }
      if (colon < 0) throw parseError(lineNo, `token ${token(buf, i, j)} is not index:value`);
      if (first && colon - i === 3 && bytes[i] === LOWER_Q && bytes[i + 1] === LOWER_I && bytes[i + 2] === LOWER_D) {
        if (parseIndex(bytes, colon + 1, j) < 0) throw parseError(lineNo, `qid ${token(buf, i, j)} is not a non-negative integer`);
        first = false;
        continue;
      }
      first = false;
      const idx = parseIndex(bytes, i, colon);
      if (idx < 0) throw parseError(lineNo, `index in ${token(buf, i, j)} is not a non-negative integer`);
      if (idx > rawLimit) {
        throw new OptkitError(
          'LIMIT_EXCEEDED',
          `${FN}: line ${lineNo}: index ${idx > INT32_MAX ? '> 2^31' : idx} exceeds maxFeatures ${maxFeatures}`,
          'maxFeatures',
        );
      }
      if (idx > rawColsLimit) {
        throw parseError(lineNo, `index ${idx} is out of range for numFeatures ${numFeatures} (${zeroOpt === true ? 'zero' : 'one'}-based)`);
      }
      if (idx <= prev) {
        throw parseError(lineNo, `index ${idx} ${idx === prev ? 'is repeated' : `follows ${prev}`}; indices must be strictly increasing`);
      }
      prev = idx;
      const v = parseDecimal(bytes, colon + 1, j, buf);
      if (!Number.isFinite(v)) throw parseError(lineNo, `value in ${token(buf, i, j)} is not a finite number`);
      if (idx === 0) {
        if (zeroOpt === false) throw parseError(lineNo, 'index 0 in a one-based file (pass zeroBased: true or "auto")');
        sawZero = true;
      }
      if (idx > maxRaw) {
        maxRaw = idx;
        maxRawLine = lineNo;
      }
      indices.push(idx);
      values.push(v);
    }
    if (indices.length > INT32_MAX) {
      throw new OptkitError('LIMIT_EXCEEDED', `${FN}: more than 2^31 - 1 stored entries`, 'text');
    }
    indptr.push(indices.length);
    rows++;
  }
  if (rows === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: text has no samples`, 'text');

  const zeroBased = zeroOpt === 'auto' ? sawZero : zeroOpt;
  const idx = indices.finish();
  if (!zeroBased) for (let k = 0; k < idx.length; k++) idx[k] -= 1;
  const maxCol = maxRaw < 0 ? -1 : zeroBased ? maxRaw : maxRaw - 1;
  // Reachable only with 'auto' resolving to zero-based after the per-line checks allowed one-based.
  if (numFeatures >= 0 && maxCol >= numFeatures) {
    throw parseError(maxRawLine, `index ${maxRaw} is out of range for numFeatures ${numFeatures} (zero-based, index 0 seen)`);
  }
  if (maxCol + 1 > maxFeatures) {
    throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${maxRawLine}: index ${maxRaw} exceeds maxFeatures ${maxFeatures} (zero-based)`, 'maxFeatures');
  }
  const cols = numFeatures >= 0 ? numFeatures : maxCol + 1;
  // The arrays are canonical (rows in order, columns strictly increasing, checked above), so the
  // constructor adopts them without copying after its O(nnz) validation.
  const features = new CsrMatrix(rows, cols, indptr.finish(), idx, values.finish());
  return { labels: labels.finish(), features, zeroBased };
}


/**
 * Reads an svmlight / LIBSVM file (gzip-compressed when its name ends in `.gz`) with
 * {@link parseLibsvm}, from its bytes (no string is made, so files beyond 512 MiB work).
 * File-system and gzip errors propagate.
 */
export async function readLibsvmFile(path: string, options: LibsvmParseOptions = {}): Promise<LibsvmData> {
  const bytes = await readFile(path);
  return parseLibsvm(path.endsWith('.gz') ? gunzipSync(bytes) : bytes, options);
}

export interface LibsvmWriteOptions {
  /** Write zero-based indices (default false: one-based, the LIBSVM convention). */
  zeroBased?: boolean;
}

/**
 * Writes labels and CSR features as svmlight / LIBSVM text, one line per row ending in `\n`,
 * entries in increasing column order, every stored entry written, explicit zeros included. Numbers use JavaScript's shortest round-trip form,
 * so `parseLibsvm(writeLibsvm(y, X), {numFeatures: X.cols})` gives back `y` and `X` exactly
 * (`numFeatures` matters only when the last columns are empty).
 *
 * Throws SHAPE_MISMATCH when `labels` and `features.rows` differ, NOT_FINITE for NaN or Infinity
 * (values can be written into a CsrMatrix's arrays after construction).
 */
export function writeLibsvm(labels: ArrayLike<number>, features: CsrMatrix, options: LibsvmWriteOptions = {}): string {
  const fn = 'writeLibsvm';
  if (!(features instanceof CsrMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: features must be a CsrMatrix`, 'features');
  const { rows, indptr, indices, values } = features;
  if (labels.length !== rows) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: labels has length ${labels.length}; expected ${rows} (features.rows)`, 'labels');
  }
  const offset = options.zeroBased ? 0 : 1;
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (!Number.isFinite(y)) throw new OptkitError('NOT_FINITE', `${fn}: labels[${r}] is ${y}`, 'labels');
    // CsrMatrix keeps each row's columns strictly increasing, which is the order the format needs.
    let line = String(y);
    for (let k = indptr[r], end = indptr[r + 1]; k < end; k++) {
      const v = values[k];
      if (!Number.isFinite(v)) throw new OptkitError('NOT_FINITE', `${fn}: row ${r}, column ${indices[k]} is ${v}`, 'features');
      line += ` ${indices[k] + offset}:${v}`;
    }
    parts.push(line + '\n');
  }
  return parts.join('');
}
