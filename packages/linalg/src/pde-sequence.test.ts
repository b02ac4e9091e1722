import { describe, expect, it } from 'vitest';
import { OptkitError, Rng } from '@optkit/core';
import { darcyMatrix, darcySequence, gaussianRandomField } from './pde-sequence.js';

function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
}

describe('gaussianRandomField', () => {
  it('equals the direct inverse 2-D DFT of the card’s spectral coefficients', () => {
    const s = 6;
    const alpha = 2.5;
    const tau = 7;
    const sigma = tau ** (alpha - 1);
    const g = gaussianRandomField(s, { seed: 5 });
    // Same draws in the same order (re, im per wavenumber, row-major), then a naive double sum.
    const rng = new Rng(5);
    const cre: number[] = [];
    const cim: number[] = [];
    const wave = (i: number) => (i < s / 2 ? i : i - s);
    for (let k1 = 0; k1 < s; k1++) {
      for (let k2 = 0; k2 < s; k2++) {
        const re = rng.normal() / Math.SQRT2;
        const im = rng.normal() / Math.SQRT2;
        const amp = k1 === 0 && k2 === 0 ? 0 : s * s * Math.SQRT2 * sigma * (4 * Math.PI ** 2 * (wave(k1) ** 2 + wave(k2) ** 2) + tau * tau) ** (-alpha / 2);
        cre.push(re * amp);
        cim.push(im * amp);
      }
    }
    let mean = 0;
    for (let x1 = 0; x1 < s; x1++) {
      for (let x2 = 0; x2 < s; x2++) {
        let sum = 0;
        for (let k1 = 0; k1 < s; k1++) {
          for (let k2 = 0; k2 < s; k2++) {
            const th = (2 * Math.PI * (k1 * x1 + k2 * x2)) / s;
            sum += cre[k1 * s + k2] * Math.cos(th) - cim[k1 * s + k2] * Math.sin(th);
          }
        }
        expect(g[x1 * s + x2]).toBeCloseTo(sum / (s * s), 12);
        mean += g[x1 * s + x2];
      }
    }
    expect(Math.abs(mean)).toBeLessThan(1e-12); // the mean mode is zero
  });

  it('has the variance of the card’s convention (E|ξ|² = 1): Var g = Σ_k amp_k² / (2 s⁴)', () => {
    const s = 8;
    const sigma = 7 ** 1.5;
    const wave = (i: number) => (i < s / 2 ? i : i - s);
    let expected = 0;
    for (let k1 = 0; k1 < s; k1++) {
      for (let k2 = 0; k2 < s; k2++) {
        if (k1 === 0 && k2 === 0) continue;
        const amp = s * s * Math.SQRT2 * sigma * (4 * Math.PI ** 2 * (wave(k1) ** 2 + wave(k2) ** 2) + 49) ** -1.25;
        expected += (amp * amp) / (2 * s ** 4);
      }
    }
    const rng = new Rng(1);
    let sum = 0;
    let count = 0;
    for (let t = 0; t < 400; t++) {
      const g = gaussianRandomField(s, {}, rng);
      for (const v of g) {
        sum += v * v;
        count++;
      }
    }
    expect(sum / count / expected).toBeGreaterThan(0.9);
    expect(sum / count / expected).toBeLessThan(1.1);
  });

  it('rejects an odd grid and bad parameters', () => {
    expectCode(() => gaussianRandomField(7), 'INVALID_OPTION');
    expectCode(() => gaussianRandomField(8, { tau: 0 }), 'INVALID_OPTION');
    expectCode(() => gaussianRandomField(8, { alpha: NaN }), 'INVALID_OPTION');
  });
});

describe('darcyMatrix and darcySequence', () => {
  it('builds A = L·diag(a) on the interior nodes (hand check on a 6×6 grid)', () => {
    const s = 6;
    const a = Float64Array.from({ length: s * s }, (_, i) => 1 + i / 10);
    const A = darcyMatrix(a, s);
    const q = s - 2;
    expect(A.rows).toBe(q * q);
    expect(A.nnz).toBe(5 * q * q - 4 * q);
    const D = A.toDense();
    const coef = (i: number, j: number) => a[(i + 1) * s + (j + 1)];
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < q; j++) {
        const p = i * q + j;
        for (let i2 = 0; i2 < q; i2++) {
          for (let j2 = 0; j2 < q; j2++) {
            const c = i2 * q + j2;
            const dist = Math.abs(i - i2) + Math.abs(j - j2);
            const expected = dist === 0 ? 4 * coef(i, j) : dist === 1 ? -coef(i2, j2) : 0;
            expect(D.data[p * q * q + c]).toBe(expected);
          }
        }
      }
    }
  });

  it('is seeded, sized as the card says, with b = h² and params = a = exp(GRF) on the full grid', () => {
    const a = darcySequence({ count: 3, gridSize: 12, seed: 7 });
    const b = darcySequence({ count: 3, gridSize: 12, seed: 7 });
    const c = darcySequence({ count: 3, gridSize: 12, seed: 8 });
    expect(a).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(a[i].A.rows).toBe(100);
      expect(Array.from(a[i].A.values)).toEqual(Array.from(b[i].A.values));
      expect(Array.from(a[i].params)).toEqual(Array.from(b[i].params));
      expect(a[i].params.length).toBe(144);
      expect(a[i].params.every((v) => v > 0)).toBe(true);
      expect(a[i].b.every((v) => v === 1 / 81)).toBe(true); // h = 1/(s − 3) = 1/9
    }
    expect(Array.from(a[0].params)).not.toEqual(Array.from(c[0].params));
    expect(Array.from(a[0].params)).not.toEqual(Array.from(a[1].params));
    // Default size: s = 34 → n = 1024.
    const [d] = darcySequence({ count: 1 });
    expect(d.A.rows).toBe(1024);
    // Nonsymmetric.
    const T = d.A.transpose();
    let asym = 0;
    for (let i = 0; i < d.A.values.length; i++) asym = Math.max(asym, Math.abs(d.A.values[i] - T.values[i]));
    expect(asym).toBeGreaterThan(0);
  });

  it('rejects bad options', () => {
    expectCode(() => darcySequence({ count: 0 }), 'INVALID_OPTION');
    expectCode(() => darcySequence({ gridSize: 13 }), 'INVALID_OPTION');
    expectCode(() => darcySequence({ gridSize: 4 }), 'INVALID_OPTION');
    expectCode(() => darcyMatrix(new Float64Array(10), 6), 'SHAPE_MISMATCH');
  });
});
