/**
 * The fast Walsh–Hadamard transform: y = H_N·x with H_N the (unnormalised, ±1) Sylvester Hadamard
 * matrix of order N = 2^p, H_1 = [1], H_2N = [[H_N, H_N], [H_N, −H_N]]. In place, iterative
 * butterflies, O(N log N) additions, no allocation. It is the fast part of the SRHT and FJLT sketches
 * (sketch.ts); divide by √N for the orthonormal transform.
 */
import { OptkitError, assertInteger } from '@optkit/core';

/** Whether `n` is a power of two (1, 2, 4, ...). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/** The smallest power of two ≥ n (n ≥ 1). */
export function nextPowerOfTwo(n: number): number {
  assertInteger(n, 'n', 1, 'nextPowerOfTwo');
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Applies H_N in place to each of the `k` columns of `x`, a row-major N×k block (length N·k, N a
 * power of two): column c is x[c], x[k + c], x[2k + c], .... With k > 1 a butterfly combines two
 * whole rows, so the k columns are transformed in one sweep over memory per stage. Unnormalised:
 * applying it twice multiplies by N. Returns x.
 */
export function fwht(x: Float64Array, k = 1): Float64Array {
  if (!(x instanceof Float64Array)) throw new OptkitError('INVALID_ARGUMENT', 'fwht: x must be a Float64Array', 'x');
  assertInteger(k, 'k', 1, 'fwht');
  const N = x.length / k;
  if (!isPowerOfTwo(N)) {
    throw new OptkitError('SHAPE_MISMATCH', `fwht: x has length ${x.length} = ${N}·${k}; expected a power of two times k = ${k}`, 'x');
  }
  if (k === 1) fwhtVector(x, N);
  else fwhtRows(x, N, k);
  return x;
}

function fwhtVector(x: Float64Array, N: number): void {
  for (let h = 1; h < N; h *= 2) {
    const step = 2 * h;
    for (let i = 0; i < N; i += step) {
      const end = i + h;
      for (let j = i; j < end; j++) {
        const a = x[j];
        const b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

function fwhtRows(x: Float64Array, N: number, k: number): void {
  for (let h = 1; h < N; h *= 2) {
    const step = 2 * h;
    const off = h * k;
    for (let i = 0; i < N; i += step) {
      const start = i * k;
      const end = (i + h) * k;
      for (let j = start; j < end; j++) {
        const a = x[j];
        const b = x[j + off];
        x[j] = a + b;
        x[j + off] = a - b;
      }
    }
  }
}
