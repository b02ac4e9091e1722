/**
 * Numeric CSV: a table of finite numbers, optionally under one header row, read into a row-major
 * {@link DenseMatrix} and written back. The reader is meant for data files (features, targets,
 * benchmark inputs), not for general spreadsheets: every data cell must be a decimal number.
 *
 * Accepted syntax, line by line (`\n` or `\r\n` endings):
 * - cells separated by one delimiter: `,` `;` or tab exactly (spaces around a cell are ignored), or
 *   for `' '` any run of spaces and tabs, leading and trailing ones ignored (numpy.loadtxt's default);
 * - a cell may be wrapped in double quotes (`"a,b"`, `""` inside quotes is one `"`), mostly useful for
 *   header names; quoted cells cannot span lines;
 * - numbers: `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`); NaN, Infinity, hexadecimal, empty
 *   cells and decimal commas are rejected, so a missing value is an error rather than a silent 0;
 * - blank lines and full-line comments (first non-blank character `#` by default; `np.savetxt` writes
 *   its header that way) are skipped; line numbers in errors count them, so they match an editor's.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DenseMatrix } from '../dense.js';
import { OptkitError, assertFinite, checkChoice, checkOption } from '../errors.js';

export type CsvDelimiter = ',' | ';' | '\t' | ' ';

export interface NumericCsvOptions {
  /** Cell separator, or `'auto'` (default) to pick the first of `,` tab `;` space that splits the first lines into equally many numeric cells. */
  delimiter?: CsvDelimiter | 'auto';
  /** `true`: the first row is a header; `false`: none; `'auto'` (default): a header if any of its cells is not a number. */
  header?: boolean | 'auto';
  /** Read at most this many data rows and ignore the rest, like numpy.loadtxt's `max_rows` (default: all). */
  maxRows?: number;
  /** Refuse (LIMIT_EXCEEDED) a table wider than this many columns (default 1,000,000). */
  maxCols?: number;
  /** Lines whose first non-blank character is this string are skipped (default `'#'`; `''` turns it off). */
  comment?: string;
}

export interface NumericCsvResult {
  /** Column names, when the input has a header row. */
  header?: string[];
  /** The data, one matrix row per data line. */
  matrix: DenseMatrix;
  /** The delimiter used (the detected one with `delimiter: 'auto'`). */
  delimiter: CsvDelimiter;
}

const FN = 'parseNumericCsv';
const DELIMITERS: readonly CsvDelimiter[] = [',', '\t', ';', ' '];
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Lines examined by delimiter and header detection. */
const SAMPLE_LINES = 20;

interface Line {
  text: string;
  /** 1-based line number in the input. */
  number: number;
}

function parseError(message: string, line: number, column?: number): OptkitError {
  const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
  return new OptkitError('PARSE_ERROR', `${FN}: ${where}: ${message}`, 'text');
}

/** Calls `visit` for every non-blank, non-comment line until it returns false. */
function forEachLine(text: string, comment: string, visit: (line: Line) => boolean): void {
  let start = 0;
  let number = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    number++;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    const raw = text.slice(start, stop);
    start = end + 1;
    const trimmed = raw.trim();
    if (trimmed.length === 0 || (comment !== '' && trimmed.startsWith(comment))) continue;
    if (!visit({ text: raw, number })) return;
  }
}

/** Splits one line into raw cells, honouring double quotes; quoted cells come back unquoted. */
function splitCells(line: Line, delimiter: CsvDelimiter): string[] {
  const s = line.text;
  if (s.indexOf('"') < 0) {
    if (delimiter === ' ') return s.trim().split(/[ \t]+/);
    return s.split(delimiter);
  }
  const cells: string[] = [];
  const n = s.length;
  let i = 0;
  if (delimiter === ' ') while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  for (;;) {
    let cell = '';
    while (i < n && (s[i] === ' ' || s[i] === '\t') && s[i] !== delimiter) i++;
    if (s[i] === '"') {
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) throw parseError('unterminated quoted cell', line.number, cells.length + 1);
        cell += s.slice(i, q);
        if (s[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (i < n && (s[i] === ' ' || s[i] === '\t') && s[i] !== delimiter) i++;
      if (i < n && s[i] !== delimiter && !(delimiter === ' ' && s[i] === '\t')) {
        throw parseError(`unexpected ${JSON.stringify(s[i])} after a quoted cell`, line.number, cells.length + 1);
      }
    } else {
      let j = i;
      while (j < n && s[j] !== delimiter && !(delimiter === ' ' && s[j] === '\t')) j++;
      cell = s.slice(i, j);
      i = j;
    }
    cells.push(cell);
    if (i >= n) return cells;
    // Step over the separator (a whole run of blanks for the space delimiter).
    i++;
    if (delimiter === ' ') {
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      if (i >= n) return cells;
    }
  }
}

function isNumber(cell: string): boolean {
  return NUMBER.test(cell.trim());
}

function allNumeric(cells: string[]): boolean {
  for (const c of cells) if (!isNumber(c)) return false;
  return true;
}

/** Picks the delimiter: the first candidate that splits the sample into equally many numeric cells. */
function detectDelimiter(sample: Line[], header: boolean | 'auto'): CsvDelimiter {
  let consistent: CsvDelimiter | undefined;
  for (const d of DELIMITERS) {
    let rows: string[][];
    try {
      rows = sample.map((l) => splitCells(l, d));
    } catch {
      continue;
    }
    const width = rows[0].length;
    if (!rows.every((r) => r.length === width)) continue;
    // The first line may be a header, so it does not have to be numeric unless header is false.
    const data = header === false || rows.length === 1 ? rows : rows.slice(1);
    if (data.every(allNumeric)) return d;
    if (width > 1 && consistent === undefined) consistent = d;
  }
  // Nothing parses cleanly: keep a delimiter that at least gives a stable width, so the error that
  // follows points at the offending cell instead of at a column count.
  return consistent ?? ',';
}

/**
 * Parses a numeric CSV text. Returns the matrix, the header when there is one, and the delimiter.
 *
 * Throws (OptkitError): EMPTY_INPUT when there is no data row; PARSE_ERROR naming the line and the
 * 1-based column for a ragged row, a non-numeric or non-finite cell, or an unterminated quote;
 * LIMIT_EXCEEDED for a row wider than `maxCols`; INVALID_OPTION / INVALID_ARGUMENT for bad options.
 */
export function parseNumericCsv(text: string, options: NumericCsvOptions = {}): NumericCsvResult {
  if (typeof text !== 'string') {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: text must be a string, got ${typeof text}`, 'text');
  }
  const delimOpt = checkChoice(options.delimiter ?? 'auto', ['auto', ...DELIMITERS], 'delimiter', FN);
  const headerOpt = options.header ?? 'auto';
  if (headerOpt !== 'auto' && typeof headerOpt !== 'boolean') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option header is ${JSON.stringify(headerOpt)}; expected true, false or "auto"`, 'header');
  }
  const maxRows = checkOption(options.maxRows ?? Number.MAX_SAFE_INTEGER, 'maxRows', { min: 1, integer: true }, FN);
  const maxCols = checkOption(options.maxCols ?? 1_000_000, 'maxCols', { min: 1, integer: true }, FN);
  const comment = options.comment ?? '#';
  if (typeof comment !== 'string') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option comment must be a string`, 'comment');
  }

  const sample: Line[] = [];
  forEachLine(text, comment, (l) => (sample.push(l), sample.length < SAMPLE_LINES));
  if (sample.length === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: text has no data rows`, 'text');

  const delimiter = delimOpt === 'auto' ? detectDelimiter(sample, headerOpt) : delimOpt;
  const firstCells = splitCells(sample[0], delimiter);
  const hasHeader = headerOpt === 'auto' ? !allNumeric(firstCells) : headerOpt;
  const cols = firstCells.length;
  if (cols > maxCols) {
    throw new OptkitError('LIMIT_EXCEEDED', `${FN}: line ${sample[0].number} has ${cols} columns; maxCols is ${maxCols}`, 'maxCols');
  }

  let capacity = Math.max(16, Math.min(sample.length, maxRows)) * cols;
  let data = new Float64Array(capacity);
  let rows = 0;
  let skipFirst = hasHeader;
  forEachLine(text, comment, (line) => {
    if (skipFirst) {
      skipFirst = false;
      return true;
    }
    const cells = splitCells(line, delimiter);
    if (cells.length !== cols) {
      throw parseError(`has ${cells.length} cells; expected ${cols} like line ${sample[0].number}`, line.number);
    }
    if ((rows + 1) * cols > capacity) {
      capacity *= 2;
      const grown = new Float64Array(capacity);
      grown.set(data);
      data = grown;
    }
    const base = rows * cols;
    for (let j = 0; j < cols; j++) {
      const cell = cells[j].trim();
      if (!NUMBER.test(cell)) {
        throw parseError(cell === '' ? 'empty cell' : `${JSON.stringify(cell.slice(0, 40))} is not a number`, line.number, j + 1);
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw parseError(`${cell.slice(0, 40)} overflows float64`, line.number, j + 1);
      data[base + j] = v;
    }
    rows++;
    return rows < maxRows;
  });
  if (rows === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: text has a header but no data rows`, 'text');
  const matrix = DenseMatrix.wrap(rows, cols, data.length === rows * cols ? data : data.slice(0, rows * cols));
  const result: NumericCsvResult = { matrix, delimiter };
  if (hasHeader) result.header = firstCells.map((c) => c.trim());
  return result;
}

/**
 * Reads a numeric CSV file (gzip-compressed when its name ends in `.gz`) with
 * {@link parseNumericCsv}. Errors from the file system propagate (ENOENT, EACCES).
 */
export async function readNumericCsvFile(path: string, options: NumericCsvOptions = {}): Promise<NumericCsvResult> {
  const bytes = await readFile(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return parseNumericCsv(text, options);
}

function quoteIfNeeded(cell: string, delimiter: string): string {
  if (cell.includes(delimiter) || /["\r\n]/.test(cell) || cell !== cell.trim() || cell.startsWith('#')) {
    return `"${cell.replaceAll('"', '""')}"`;
  }
  return cell;
}

/**
 * Writes `matrix` as CSV text, one line per row ending in `\n`, after an optional `header` line
 * (quoted where needed). Numbers use JavaScript's shortest round-trip form, so
 * `parseNumericCsv(toCsv(m))` gives back exactly `m` (except that -0 is written as 0). Throws
 * NOT_FINITE if the matrix holds NaN or Infinity, SHAPE_MISMATCH for a header of the wrong length.
 */
export function toCsv(matrix: DenseMatrix, header?: readonly string[], options: { delimiter?: CsvDelimiter } = {}): string {
  if (!(matrix instanceof DenseMatrix)) {
    throw new OptkitError('INVALID_ARGUMENT', 'toCsv: matrix must be a DenseMatrix', 'matrix');
  }
  const delimiter = checkChoice(options.delimiter ?? ',', DELIMITERS, 'delimiter', 'toCsv');
  const { rows, cols, data } = matrix;
  // `data` is writable, so it may have been given NaN since construction; NaN would not read back.
  assertFinite(data, 'matrix.data', 'toCsv');
  const parts: string[] = [];
  if (header !== undefined) {
    if (header.length !== cols) {
      throw new OptkitError('SHAPE_MISMATCH', `toCsv: header has ${header.length} names; expected ${cols}`, 'header');
    }
    parts.push(header.map((h) => quoteIfNeeded(String(h), delimiter)).join(delimiter) + '\n');
  }
  const cells: string[] = new Array<string>(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) cells[j] = String(data[i * cols + j]);
    parts.push(cells.join(delimiter) + '\n');
  }
  return parts.join('');
}
