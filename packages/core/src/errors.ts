/**
 * Errors and the shared entry-point validators.
 *
 * Bad input throws an {@link OptkitError} whose `code` says what kind of problem it is and whose
 * message names the argument, the function and the expected form. Numerical trouble during an
 * iteration (non-convergence, breakdown) is *not* an error: it is reported in the result.
 */

/** Machine-readable error categories. */
export type OptkitErrorCode =
  | 'SHAPE_MISMATCH'
  | 'NOT_FINITE'
  | 'INVALID_OPTION'
  | 'INVALID_ARGUMENT'
  | 'EMPTY_INPUT'
  | 'NOT_SPD'
  | 'SINGULAR'
  | 'PARSE_ERROR'
  | 'LIMIT_EXCEEDED'
  | 'NOT_FOUND'
  | 'DUPLICATE'
  | 'UNSUPPORTED'
  | 'ABORTED'
  /** A deadline passed (a cluster task, a request). */
  | 'TIMEOUT'
  /** A remote job handler failed; the message carries its error. */
  | 'REMOTE_ERROR'
  /** No service, broker or worker could take the request. */
  | 'UNAVAILABLE'
  /** A message broke the wire protocol (bad header, version, size). */
  | 'PROTOCOL';

export class OptkitError extends Error {
  override readonly name = 'OptkitError';
  readonly code: OptkitErrorCode;
  /** The argument or option at fault, when there is one (e.g. `'b'`, `'options.rtol'`). */
  readonly argument?: string;

  constructor(code: OptkitErrorCode, message: string, argument?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    if (argument !== undefined) this.argument = argument;
  }
}

/** Anything indexable with a length: typed arrays and plain arrays. */
export type NumericArrayLike = ArrayLike<number>;

const where = (fn: string | undefined) => (fn ? `${fn}: ` : '');

/** Throws NOT_FINITE naming `name` and the first bad index if `x` holds NaN or ±Infinity. */
export function assertFinite(x: NumericArrayLike, name: string, fn?: string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // v - v is 0 for finite numbers and NaN for NaN/±Infinity; one comparison per element.
    if (v - v !== 0) {
      throw new OptkitError('NOT_FINITE', `${where(fn)}${name}[${i}] is ${v}; expected finite values`, name);
    }
  }
}

/** Throws NOT_FINITE unless `v` is a finite number. */
export function assertFiniteNumber(v: number, name: string, fn?: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new OptkitError('NOT_FINITE', `${where(fn)}${name} is ${String(v)}; expected a finite number`, name);
  }
}

/** Throws SHAPE_MISMATCH unless `x.length === expected`. */
export function assertLength(x: { length: number }, expected: number, name: string, fn?: string): void {
  if (x.length !== expected) {
    throw new OptkitError(
      'SHAPE_MISMATCH',
      `${where(fn)}${name} has length ${x.length}; expected ${expected}`,
      name,
    );
  }
}

/** Throws INVALID_ARGUMENT unless `n` is an integer >= `min` (default 0). */
export function assertInteger(n: number, name: string, min = 0, fn?: string): void {
  if (!Number.isInteger(n) || n < min) {
    throw new OptkitError('INVALID_ARGUMENT', `${where(fn)}${name} is ${String(n)}; expected an integer >= ${min}`, name);
  }
}

/** Throws EMPTY_INPUT if `x` has length 0. */
export function assertNonEmpty(x: { length: number }, name: string, fn?: string): void {
  if (x.length === 0) throw new OptkitError('EMPTY_INPUT', `${where(fn)}${name} is empty`, name);
}

export interface RangeSpec {
  min?: number;
  max?: number;
  /** Exclude `min` itself (default false: inclusive). */
  minExclusive?: boolean;
  /** Exclude `max` itself (default false: inclusive). */
  maxExclusive?: boolean;
  integer?: boolean;
}

function describeRange(r: RangeSpec): string {
  const lo = r.min === undefined ? '(-inf' : `${r.minExclusive ? '(' : '['}${r.min}`;
  const hi = r.max === undefined ? 'inf)' : `${r.max}${r.maxExclusive ? ')' : ']'}`;
  return `${r.integer ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
}

/**
 * Validates a numeric option: finite, and within `range`. Throws INVALID_OPTION naming the option.
 * Returns the value so it can be used inline: `const tol = checkOption(opts.tol ?? 1e-5, 'tol', {min: 0})`.
 */
export function checkOption(value: number, name: string, range: RangeSpec = {}, fn?: string): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    (range.min === undefined || (range.minExclusive ? value > range.min : value >= range.min)) &&
    (range.max === undefined || (range.maxExclusive ? value < range.max : value <= range.max));
  if (!ok) {
    throw new OptkitError('INVALID_OPTION', `${where(fn)}option ${name} is ${String(value)}; expected ${describeRange(range)}`, name);
  }
  return value;
}

/** Throws INVALID_OPTION unless `value` is one of `allowed`, listing the valid choices. */
export function checkChoice<T extends string>(value: string, allowed: readonly T[], name: string, fn?: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new OptkitError(
      'INVALID_OPTION',
      `${where(fn)}option ${name} is ${JSON.stringify(value)}; expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
      name,
    );
  }
  return value as T;
}

/** Throws ABORTED if the signal has fired. Long loops call it once per iteration. */
export function throwIfAborted(signal: AbortSignal | undefined, fn?: string): void {
  if (signal?.aborted) {
    throw new OptkitError('ABORTED', `${where(fn)}aborted${signal.reason ? `: ${String(signal.reason)}` : ''}`);
  }
}
