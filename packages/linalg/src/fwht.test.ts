import { OptkitError } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { fwht, isPowerOfTwo, nextPowerOfTwo } from './fwht.js';

/** The dense Sylvester Hadamard matrix of order n (row-major), built by its recursion. */
function sylvester(n: number): Float64Array {
  let H = Float64Array.of(1);
  for (let s = 1; s < n; s *= 2) {
    const G = new Float64Array(4 * s * s);
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        const h = H[i * s + j];
        G[i * 2 * s + j] = h;
        G[i * 2 * s + j + s] = h;
        G[(i + s) * 2 * s + j] = h;
        G[(i + s) * 2 * s + j + s] = -h;
      }
    }
    H = G;
  }
  return H;
}

describe('fwht', () => {
  it.each([8, 16])('equals multiplication by the dense Sylvester Hadamard matrix (n = %i)', (n) => {
    const H = sylvester(n);
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(1 + i * 0.7));
    const expected = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expected[i] += H[i * n + j] * x[j];
    const y = fwht(x.slice());
    for (let i = 0; i < n; i++) expect(y[i]).toBeCloseTo(expected[i], 12);
    // Columns of a row-major n×3 block are transformed independently.
    const k = 3;
    const X = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) X[i * k + c] = x[i] * (c + 1) + c;
    fwht(X, k);
    for (let c = 0; c < k; c++) {
      const col = Float64Array.from({ length: n }, (_, i) => x[i] * (c + 1) + c);
      const ref = fwht(col);
      for (let i = 0; i < n; i++) expect(X[i * k + c]).toBeCloseTo(ref[i], 12);
    }
  });

  it('applied twice multiplies by N', () => {
    const x = Float64Array.from({ length: 64 }, (_, i) => i - 20);
    const y = fwht(fwht(x.slice()));
    for (let i = 0; i < 64; i++) expect(y[i]).toBeCloseTo(64 * x[i], 10);
  });

  it('power-of-two helpers', () => {
    expect(nextPowerOfTwo(1)).toBe(1);
    expect(nextPowerOfTwo(5)).toBe(8);
    expect(nextPowerOfTwo(2048)).toBe(2048);
    expect(isPowerOfTwo(12)).toBe(false);
    expect(isPowerOfTwo(16)).toBe(true);
  });

  it('rejects lengths that are not a power of two times k', () => {
    const err = (() => {
      try {
        fwht(new Float64Array(12));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OptkitError);
    expect((err as OptkitError).code).toBe('SHAPE_MISMATCH');
    expect(() => fwht(new Float64Array(12), 3)).not.toThrow();
    expect(() => fwht(new Float64Array(8), 0)).toThrow(OptkitError);
  });
});
