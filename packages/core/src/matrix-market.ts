/**
 * Matrix Market exchange format (NIST; Boisvert, Pozo, Remington, "The Matrix Market Exchange
 * Formats: Initial Design", NISTIR 5935, 1996) — the format of the SuiteSparse Matrix Collection and
 * of scipy's `scipy.io.mmread` / `mmwrite`.
 *
 * Supported: object `matrix`; formats `coordinate` (read into a {@link CsrMatrix}) and `array`
 * (column-major values, read into a {@link DenseMatrix}); fields `real` (also spelled `double`),
 * `integer` and `pattern` (coordinate only; every value 1); symmetries `general`, `symmetric` (the
 * stored triangle is mirrored) and `skew-symmetric` (mirrored with the sign flipped; no diagonal).
 * `complex` and `hermitian` are UNSUPPORTED, since optkit computes in real float64. Coordinate
 * duplicates are summed (as scipy does); Fortran `D` exponents (`1.5D+02`) are accepted.
 *
 * Hostile input is bounded: a header claiming more than `maxEntries` entries is refused
 * (LIMIT_EXCEEDED) before anything is allocated, and so is a claim the remaining input is too short
 * to hold (PARSE_ERROR); every other problem is a PARSE_ERROR naming the 1-based line number.
 */
import { openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { OptkitError, checkOption } from './errors.js';
import { CsrMatrix } from './csr.js';
import { DenseMatrix } from './dense.js';

export type MatrixMarketField = 'real' | 'integer' | 'pattern';
export type MatrixMarketSymmetry = 'general' | 'symmetric' | 'skew-symmetric';

interface MatrixMarketInfo {
  /** The field named in the header (`double` is reported as `real`). */
  field: MatrixMarketField;
  symmetry: MatrixMarketSymmetry;
  /** The comment lines after the header, without their leading `%`. */
  comments: string[];
}

/** What {@link readMatrixMarket} returns: a sparse matrix for coordinate files, dense for array files. */
export type MatrixMarketData =
  | ({ kind: 'coordinate'; matrix: CsrMatrix } & MatrixMarketInfo)
  | ({ kind: 'array'; matrix: DenseMatrix } & MatrixMarketInfo);

export interface ReadMatrixMarketOptions {
  /**
   * Most entries a header may announce (coordinate: stored entries; array: rows·cols), checked
   * before allocating. Default 50 000 000 (about 0.8 GB of CSR after symmetric mirroring).
   */
  maxEntries?: number;
}

export interface WriteMatrixMarketOptions {
  /**
   * Write only the lower triangle with symmetry `symmetric` (default false). The matrix must be
   * exactly symmetric (INVALID_ARGUMENT otherwise).
   */
  symmetric?: boolean;
  /** Comment text placed after the header; each of its lines becomes a `%` line. */
  comment?: string;
}

const FN = 'readMatrixMarket';
const DEFAULT_MAX_ENTRIES = 50_000_000;
const INT32_MAX = 0x7fffffff;
/** Bytes decoded at a time from a binary input, so no string ever holds a whole large file. */
const DECODE_CHUNK = 1 << 24;

/** A real number in decimal notation, optionally with an exponent (e/E, or Fortran's d/D). */
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parseError(line: number, message: string): OptkitError {
  return new OptkitError('PARSE_ERROR', `${FN}: line ${line}: ${message}`, 'input');
}

/** Lines of a string or of UTF-8 bytes (decoded a chunk of whole lines at a time). */
class LineReader {
  /** 1-based number of the line last returned. */
  lineNo = 0;
  /** Start and end (exclusive) in {@link chunk} of the line last advanced to. */
  start = 0;
  end = 0;
  private text = '';
  private pos = 0;
  private bytePos = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    input: string,
    private readonly bytes?: Uint8Array,
  ) {
    this.text = input;
  }

  /** An upper bound on the characters left (bytes of a binary input are at least its characters). */
  remaining(): number {
    return this.text.length - this.pos + (this.bytes ? this.bytes.length - this.bytePos : 0);
  }

  private refill(): boolean {
    const b = this.bytes;
    if (!b || this.bytePos >= b.length) return false;
    let end = Math.min(b.length, this.bytePos + DECODE_CHUNK);
    if (end < b.length) {
      // End the chunk just after a newline (UTF-8 never has 0x0A inside a multi-byte character).
      const nl = b.lastIndexOf(0x0a, end - 1);
      if (nl >= this.bytePos) end = nl + 1;
      else {
        const next = b.indexOf(0x0a, end);
        end = next < 0 ? b.length : next + 1;
      }
    }
    this.text = this.decoder.decode(b.subarray(this.bytePos, end));
    this.pos = 0;
    this.bytePos = end;
    return true;
  }

  /**
   * Advances to the next line; its text is `text.slice(start, end)` (line break and a trailing \r
   * excluded), read in place without copying. Returns false at the end of the input.
   */
  advance(): boolean {
    while (this.pos >= this.text.length) {
      if (!this.refill()) return false;
    }
    let end = this.text.indexOf('\n', this.pos);
    if (end < 0) end = this.text.length;
    this.start = this.pos;
    this.end = end > this.pos && this.text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    this.pos = end + 1;
    this.lineNo++;
    return true;
  }

  /** The chunk of text holding the current line. */
  get chunk(): string {
    return this.text;
  }

  /** The next line as a string, or undefined at the end of the input. */
  next(): string | undefined {
    return this.advance() ? this.text.slice(this.start, this.end) : undefined;
  }
}

/**
 * Finds the tokens (separated by spaces and tabs) of the reader's current line, storing the start and
 * end of the first `bounds.length / 2` in `bounds`, and returns their number: 0 for a blank line, -1
 * for a comment line (first non-blank character `%`).
 */
function tokenize(reader: LineReader, bounds: Int32Array): number {
  const text = reader.chunk;
  const end = reader.end;
  const keep = bounds.length >> 1;
  let count = 0;
  let i = reader.start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (count === 0 && c === 37 /* % */) return -1;
    const start = i;
    while (i < end && (c = text.charCodeAt(i)) !== 32 && c !== 9) i++;
    if (count < keep) {
      bounds[2 * count] = start;
      bounds[2 * count + 1] = i;
    }
    count++;
  }
  return count;
}

/** The next line that is neither blank nor a comment (comments collected when `comments` is given). */
function nextDataLine(reader: LineReader, bounds: Int32Array, comments?: string[]): number {
  while (reader.advance()) {
    const count = tokenize(reader, bounds);
    if (count > 0) return count;
    if (count < 0 && comments) comments.push(reader.chunk.slice(reader.start, reader.end).replace(/^\s*%/, ''));
  }
  return 0;
}

/** Token `t` of the current line as a string (for values and error messages). */
function token(reader: LineReader, bounds: Int32Array, t: number): string {
  return reader.chunk.slice(bounds[2 * t], bounds[2 * t + 1]);
}

/**
 * Token `t` as a 1-based index in [1, max], returned 0-based. Digits are read in place (no string
 * is made), which is most of the parsing time of a coordinate file.
 */
function parseIndex(reader: LineReader, bounds: Int32Array, t: number, max: number, what: string): number {
  const text = reader.chunk;
  const a = bounds[2 * t];
  const b = bounds[2 * t + 1];
  let v = 0;
  let ok = b - a <= 15; // keeps v exact; longer tokens are reported below
  for (let k = a; ok && k < b; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) ok = false;
    else v = v * 10 + d;
  }
  if (!ok) {
    const tok = token(reader, bounds, t);
    if (!INTEGER.test(tok)) throw parseError(reader.lineNo, `${what} index ${JSON.stringify(tok)} is not an integer`);
    v = Number(tok); // a sign or many digits: still an integer, checked against the range next
  }
  if (!(v >= 1 && v <= max)) throw parseError(reader.lineNo, `${what} index ${token(reader, bounds, t)} is outside [1, ${max}]`);
  return v - 1;
}

function parseSize(token: string, what: string, line: number): number {
  if (!INTEGER.test(token)) throw parseError(line, `${what} ${JSON.stringify(token)} is not an integer`);
  const v = Number(token);
  if (v < 0) throw parseError(line, `${what} is ${token}; expected >= 0`);
  return v;
}

function parseValue(token: string, field: MatrixMarketField, line: number): number {
  if (field === 'integer') {
    if (!INTEGER.test(token)) throw parseError(line, `value ${JSON.stringify(token)} is not an integer (field integer)`);
    return Number(token);
  }
  const v = Number(token);
  // Number() also takes 0x/0o/0b literals (never signed) and "Infinity"; everything else it maps to
  // a finite value is a decimal literal, so the regular expression is needed only off that path.
  if (v - v === 0 && !(token.charCodeAt(0) === 48 && token.length > 1 && (token.charCodeAt(1) | 32) >= 97)) return v;
  if (!REAL.test(token)) throw parseError(line, `value ${JSON.stringify(token)} is not a finite real number`);
  const w = Number(token.replace(/[dD]/, 'e')); // Fortran's 1.5D+02
  if (!Number.isFinite(w)) throw parseError(line, `value ${token} overflows to ${w}`);
  return w;
}

interface Header {
  format: 'coordinate' | 'array';
  field: MatrixMarketField;
  symmetry: MatrixMarketSymmetry;
}

function parseBanner(line: string | undefined): Header {
  if (line === undefined) throw parseError(1, 'empty input; expected a %%MatrixMarket header');
  const t = line.replace(/^\uFEFF/, '').trim().split(/[ \t]+/); // a byte-order mark may precede it
  if (t[0].toLowerCase() !== '%%matrixmarket') {
    throw parseError(1, `expected the header "%%MatrixMarket matrix <format> <field> <symmetry>", got ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (t.length !== 5) throw parseError(1, `the header has ${t.length} fields; expected 5 (%%MatrixMarket matrix <format> <field> <symmetry>)`);
  const [object, format, field, symmetry] = t.slice(1).map((s) => s.toLowerCase());
  if (object !== 'matrix') {
    throw new OptkitError('UNSUPPORTED', `${FN}: line 1: object ${JSON.stringify(object)} is not supported; expected "matrix"`, 'input');
  }
  if (format !== 'coordinate' && format !== 'array') {
    throw parseError(1, `format ${JSON.stringify(format)}; expected "coordinate" or "array"`);
  }
  if (field === 'complex') throw new OptkitError('UNSUPPORTED', `${FN}: line 1: complex matrices are not supported (optkit computes in real float64)`, 'input');
  if (field !== 'real' && field !== 'double' && field !== 'integer' && field !== 'pattern') {
    throw parseError(1, `field ${JSON.stringify(field)}; expected "real", "integer", "pattern" or "complex"`);
  }
  if (symmetry === 'hermitian') throw new OptkitError('UNSUPPORTED', `${FN}: line 1: hermitian matrices are not supported (they are complex)`, 'input');
  if (symmetry !== 'general' && symmetry !== 'symmetric' && symmetry !== 'skew-symmetric') {
    throw parseError(1, `symmetry ${JSON.stringify(symmetry)}; expected "general", "symmetric", "skew-symmetric" or "hermitian"`);
  }
  if (field === 'pattern' && format === 'array') throw parseError(1, 'field "pattern" is only valid with format "coordinate"');
  if (field === 'pattern' && symmetry === 'skew-symmetric') throw parseError(1, 'a pattern matrix cannot be skew-symmetric');
  return { format, field: field === 'double' ? 'real' : field, symmetry };
}

/**
 * Parses a Matrix Market file given as text or as UTF-8 bytes (a Buffer; large files are decoded a
 * chunk at a time). Returns the matrix (CsrMatrix for coordinate, DenseMatrix for array files) with
 * its field, symmetry and comments. Throws PARSE_ERROR naming the line for malformed input,
 * UNSUPPORTED for complex/hermitian/non-matrix files, LIMIT_EXCEEDED when the header announces more
 * than `maxEntries` entries (default 50 million) or sizes beyond int32.
 */
export function readMatrixMarket(input: string | Uint8Array, options: ReadMatrixMarketOptions = {}): MatrixMarketData {
  const maxEntries = checkOption(options.maxEntries ?? DEFAULT_MAX_ENTRIES, 'maxEntries', { min: 0, integer: true }, FN);
  let reader: LineReader;
  if (typeof input === 'string') reader = new LineReader(input);
  else if (input instanceof Uint8Array) reader = new LineReader('', input);
  else throw new OptkitError('INVALID_ARGUMENT', `${FN}: input must be a string or a Uint8Array/Buffer`, 'input');

  const header = parseBanner(reader.next());
  const { format, field, symmetry } = header;
  const comments: string[] = [];
  const bounds = new Int32Array(8);
  const sizeCount = nextDataLine(reader, bounds, comments);
  const sizeLine = reader.lineNo;
  const expectedSize = format === 'coordinate' ? 3 : 2;
  if (sizeCount === 0) throw parseError(sizeLine, 'missing the size line after the header');
  if (sizeCount !== expectedSize) {
    throw parseError(sizeLine, `expected ${expectedSize} fields (${format === 'coordinate' ? 'rows cols entries' : 'rows cols'}), got ${sizeCount}`);
  }
  const rows = parseSize(token(reader, bounds, 0), 'rows', sizeLine);
  const cols = parseSize(token(reader, bounds, 1), 'cols', sizeLine);
  if (rows > INT32_MAX - 1 || cols > INT32_MAX) {
    throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${sizeLine}: ${rows}×${cols} exceeds the int32 index range`, 'input');
  }
  if (symmetry !== 'general' && rows !== cols) {
    throw parseError(sizeLine, `a ${symmetry} matrix must be square; got ${rows}×${cols}`);
  }
  const info = { field, symmetry, comments };
  if (format === 'coordinate') {
    const entries = parseSize(token(reader, bounds, 2), 'entries', sizeLine);
    return { kind: 'coordinate', matrix: readCoordinate(reader, rows, cols, entries, field, symmetry, maxEntries, sizeLine), ...info };
  }
  return { kind: 'array', matrix: readArray(reader, rows, cols, field, symmetry, maxEntries, sizeLine), ...info };
}

function checkClaim(reader: LineReader, claimed: number, minChars: number, maxEntries: number, what: string, line: number): void {
  if (claimed > maxEntries) {
    throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${line}: the header announces ${claimed} ${what}; maxEntries is ${maxEntries}`, 'input');
  }
  // Each stored entry needs at least `minChars` characters plus a line break (the last one may lack it).
  const fit = Math.floor((reader.remaining() + 1) / (minChars + 1));
  if (claimed > fit) {
    throw parseError(line, `the header announces ${claimed} ${what}, but the rest of the input can hold at most ${fit}`);
  }
}

function readCoordinate(
  reader: LineReader,
  rows: number,
  cols: number,
  entries: number,
  field: MatrixMarketField,
  symmetry: MatrixMarketSymmetry,
  maxEntries: number,
  sizeLine: number,
): CsrMatrix {
  const fieldCount = field === 'pattern' ? 2 : 3;
  checkClaim(reader, entries, field === 'pattern' ? 3 : 5, maxEntries, 'entries', sizeLine);
  const mirrored = symmetry !== 'general';
  const capacity = mirrored ? 2 * entries : entries;
  if (capacity > INT32_MAX) throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${sizeLine}: ${capacity} entries exceed 2^31 - 1`, 'input');
  const r = new Int32Array(capacity);
  const c = new Int32Array(capacity);
  const v = new Float64Array(capacity);
  const sign = symmetry === 'skew-symmetric' ? -1 : 1;
  const bounds = new Int32Array(6);
  let n = 0;
  for (let e = 0; e < entries; e++) {
    const count = nextDataLine(reader, bounds);
    const line = reader.lineNo;
    if (count === 0) throw parseError(line, `expected ${entries} entries, found ${e}`);
    if (count !== fieldCount) throw parseError(line, `expected ${fieldCount} fields, got ${count}`);
    const i = parseIndex(reader, bounds, 0, rows, 'row');
    const j = parseIndex(reader, bounds, 1, cols, 'column');
    const value = field === 'pattern' ? 1 : parseValue(token(reader, bounds, 2), field, line);
    if (symmetry === 'skew-symmetric' && i === j) {
      throw parseError(line, `a skew-symmetric matrix stores no diagonal entry; got (${i + 1}, ${j + 1})`);
    }
    r[n] = i;
    c[n] = j;
    v[n++] = value;
    if (mirrored && i !== j) {
      r[n] = j;
      c[n] = i;
      v[n++] = sign * value;
    }
  }
  if (nextDataLine(reader, bounds) !== 0) throw parseError(reader.lineNo, `more entries than the ${entries} the header announces`);
  return CsrMatrix.fromCoo(rows, cols, r.subarray(0, n), c.subarray(0, n), v.subarray(0, n));
}

function readArray(
  reader: LineReader,
  rows: number,
  cols: number,
  field: MatrixMarketField,
  symmetry: MatrixMarketSymmetry,
  maxEntries: number,
  sizeLine: number,
): DenseMatrix {
  const total = rows * cols;
  if (total > maxEntries) {
    throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${sizeLine}: a ${rows}×${cols} array has ${total} entries; maxEntries is ${maxEntries}`, 'input');
  }
  // Stored values: all, the lower triangle with diagonal, or the strict lower triangle.
  const stored = symmetry === 'general' ? total : symmetry === 'symmetric' ? (rows * (rows + 1)) / 2 : (rows * (rows - 1)) / 2;
  checkClaim(reader, stored, 1, maxEntries, 'values', sizeLine);
  const data = new Float64Array(total);
  const bounds = new Int32Array(2);
  let read = 0;
  for (let j = 0; j < cols; j++) {
    const iStart = symmetry === 'general' ? 0 : symmetry === 'symmetric' ? j : j + 1;
    for (let i = iStart; i < rows; i++) {
      const count = nextDataLine(reader, bounds);
      const line = reader.lineNo;
      if (count === 0) throw parseError(line, `expected ${stored} values, found ${read}`);
      if (count !== 1) throw parseError(line, `expected 1 field, got ${count}`);
      const value = parseValue(token(reader, bounds, 0), field, line);
      data[i * cols + j] = value;
      if (symmetry === 'symmetric') data[j * cols + i] = value;
      else if (symmetry === 'skew-symmetric') data[j * cols + i] = -value;
      read++;
    }
  }
  if (nextDataLine(reader, bounds) !== 0) throw parseError(reader.lineNo, `more values than the ${stored} the header announces`);
  return DenseMatrix.wrap(rows, cols, data);
}

/**
 * Reads a Matrix Market file (`.mtx`, or gzip-compressed `.mtx.gz` / `.gz`). NOT_FOUND when the
 * file cannot be read; otherwise as {@link readMatrixMarket}.
 */
export function readMatrixMarketFile(path: string, options: ReadMatrixMarketOptions = {}): MatrixMarketData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new OptkitError('NOT_FOUND', `readMatrixMarketFile: cannot read ${path}: ${(err as Error).message}`, 'path', { cause: err });
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new OptkitError('PARSE_ERROR', `readMatrixMarketFile: ${path} is not valid gzip: ${(err as Error).message}`, 'path', { cause: err });
    }
  }
  return readMatrixMarket(bytes, options);
}

/** Lines (joined into chunks of about 64 k lines) of the Matrix Market text of `matrix`. */
function* matrixMarketChunks(matrix: CsrMatrix | DenseMatrix, options: WriteMatrixMarketOptions): Generator<string> {
  const fn = 'writeMatrixMarket';
  const symmetric = options.symmetric ?? false;
  const isCsr = matrix instanceof CsrMatrix;
  if (!isCsr && !(matrix instanceof DenseMatrix)) {
    throw new OptkitError('INVALID_ARGUMENT', `${fn}: matrix must be a CsrMatrix or a DenseMatrix`, 'matrix');
  }
  if (symmetric) {
    const ok = isCsr ? matrix.isSymmetric() : isSymmetricDense(matrix);
    if (!ok) throw new OptkitError('INVALID_ARGUMENT', `${fn}: options.symmetric is set but the matrix is not exactly symmetric`, 'options.symmetric');
  }
  const head = [`%%MatrixMarket matrix ${isCsr ? 'coordinate' : 'array'} real ${symmetric ? 'symmetric' : 'general'}`];
  if (options.comment !== undefined) {
    for (const line of String(options.comment).split(/\r?\n/)) head.push(`%${line.length ? ' ' : ''}${line}`);
  }
  const { rows, cols } = matrix;
  const lines: string[] = [];
  const CHUNK = 65536;
  if (isCsr) {
    const { indptr, indices, values } = matrix;
    let count = 0;
    if (symmetric) {
      for (let i = 0; i < rows; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) if (indices[k] <= i) count++;
    } else count = matrix.nnz;
    head.push(`${rows} ${cols} ${count}`);
    yield head.join('\n') + '\n';
    for (let i = 0; i < rows; i++) {
      for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) {
        const j = indices[k];
        if (symmetric && j > i) break; // columns ascend, so the rest of the row is upper
        lines.push(`${i + 1} ${j + 1} ${String(values[k])}`);
      }
      if (lines.length >= CHUNK) {
        yield lines.join('\n') + '\n';
        lines.length = 0;
      }
    }
  } else {
    const data = matrix.data;
    head.push(`${rows} ${cols}`);
    yield head.join('\n') + '\n';
    for (let j = 0; j < cols; j++) {
      for (let i = symmetric ? j : 0; i < rows; i++) lines.push(String(data[i * cols + j]));
      if (lines.length >= CHUNK) {
        yield lines.join('\n') + '\n';
        lines.length = 0;
      }
    }
  }
  if (lines.length) yield lines.join('\n') + '\n';
}

function isSymmetricDense(A: DenseMatrix): boolean {
  if (A.rows !== A.cols) return false;
  const n = A.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (A.data[i * n + j] !== A.data[j * n + i]) return false;
  return true;
}

/**
 * The Matrix Market text of `matrix`: `coordinate real` for a CsrMatrix (1-based, row by row),
 * `array real` for a DenseMatrix (column-major). Values are written in JavaScript's shortest
 * round-trip form, so reading the text back gives the same float64 values and structure (explicit
 * zeros included). With `symmetric`, only the lower triangle is written (INVALID_ARGUMENT unless the
 * matrix is exactly symmetric).
 */
export function writeMatrixMarket(matrix: CsrMatrix | DenseMatrix, options: WriteMatrixMarketOptions = {}): string {
  let out = '';
  for (const chunk of matrixMarketChunks(matrix, options)) out += chunk;
  return out;
}

/** Writes {@link writeMatrixMarket}'s text to `path` a chunk at a time (no whole-file string). */
export function writeMatrixMarketFile(path: string, matrix: CsrMatrix | DenseMatrix, options: WriteMatrixMarketOptions = {}): void {
  const chunks = matrixMarketChunks(matrix, options);
  const first = chunks.next(); // validate before creating the file
  const fd = openSync(path, 'w');
  try {
    if (!first.done) writeSync(fd, first.value);
    for (const chunk of chunks) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}
