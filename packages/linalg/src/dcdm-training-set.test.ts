import { describe, expect, it } from 'vitest';
import { OptkitError, poisson2d } from '@optkit/core';
import { ritzPairs, ritzTrainingSet } from './dcdm-training-set.js';

describe('ritzTrainingSet', () => {
  it('full Lanczos (m = n) on the 6x6 Poisson matrix gives its exact eigenpairs despite repeated eigenvalues', () => {
    const A = poisson2d(6);
    const { values, vectors, restarts } = ritzPairs(A, { seed: 1 });
    const exact: number[] = [];
    for (let i = 1; i <= 6; i++) for (let j = 1; j <= 6; j++) exact.push(4 - 2 * Math.cos((i * Math.PI) / 7) - 2 * Math.cos((j * Math.PI) / 7));
    exact.sort((a, b) => a - b);
    expect(restarts).toBeGreaterThan(0); // λ_ij = λ_ji: one Krylov space cannot hold both
    for (let k = 0; k < 36; k++) expect(Math.abs(values[k] - exact[k])).toBeLessThan(1e-10);
    for (let k = 0; k < 36; k += 7) {
      const v = new Float64Array(36);
      for (let i = 0; i < 36; i++) v[i] = vectors.data[i * 36 + k];
      const Av = A.spmv(v);
      let err = 0;
      for (let i = 0; i < 36; i++) err = Math.max(err, Math.abs(Av[i] - values[k] * v[i]));
      expect(err).toBeLessThan(1e-9);
    }
  });

  it('samples are unit norm, seeded, and dominated by the low modes', () => {
    const A = poisson2d(6);
    const a = ritzTrainingSet(A, { samples: 300, seed: 5 });
    const b = ritzTrainingSet(A, { samples: 300, seed: 5 });
    expect(a).toHaveLength(300);
    expect(a[17]).toEqual(b[17]);
    for (const v of a.slice(0, 20)) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    // cut = 18 + round(1.8) = 20 of 36 modes get 9×. Eigenvectors of a repeated eigenvalue are only
    // defined up to rotation, so compare subspaces: the first K ≤ 20 modes ending at an eigenvalue gap.
    const { values, vectors } = ritzPairs(A, { seed: 1 });
    let K = 20;
    while (values[K] - values[K - 1] < 1e-6) K--;
    const share = (81 * K) / (81 * 20 + 16);
    let low = 0;
    for (const v of a) {
      for (let k = 0; k < K; k++) {
        let c = 0;
        for (let i = 0; i < 36; i++) c += vectors.data[i * 36 + k] * v[i];
        low += c * c;
      }
    }
    expect(values[0]).toBeGreaterThan(0);
    expect(K).toBeGreaterThan(14);
    expect(low / a.length).toBeGreaterThan(share - 0.03);
    expect(low / a.length).toBeLessThan(share + 0.03);
    const flat = ritzTrainingSet(A, { samples: 300, seed: 5, lowWeight: 1 });
    let lowFlat = 0;
    for (const v of flat) {
      for (let k = 0; k < K; k++) {
        let c = 0;
        for (let i = 0; i < 36; i++) c += vectors.data[i * 36 + k] * v[i];
        lowFlat += c * c;
      }
    }
    expect(lowFlat / flat.length).toBeGreaterThan(K / 36 - 0.05);
    expect(lowFlat / flat.length).toBeLessThan(K / 36 + 0.05);
  });

  it('reuses precomputed Ritz pairs', () => {
    const A = poisson2d(4);
    const pairs = ritzPairs(A, { seed: 2 });
    const s1 = ritzTrainingSet(A, { pairs, samples: 5, seed: 3 });
    const s2 = ritzTrainingSet(A, { pairs, samples: 5, seed: 3 });
    expect(s1).toEqual(s2);
    expect(s1[0]).toHaveLength(16);
    expect(() => ritzTrainingSet(poisson2d(3), { pairs })).toThrow(OptkitError);
  });

  it('rejects bad input', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        return (e as OptkitError).code;
      }
      return 'no error';
    };
    expect(code(() => ritzPairs({ rows: 3, cols: 2, apply: (x) => x }))).toBe('SHAPE_MISMATCH');
    expect(code(() => ritzPairs(poisson2d(3), { steps: 10 }))).toBe('INVALID_OPTION');
    expect(code(() => ritzTrainingSet(poisson2d(3), { samples: 0 }))).toBe('INVALID_OPTION');
    expect(code(() => ritzTrainingSet({ rows: 4, cols: 4, apply: (x, out = new Float64Array(4)) => out.fill(NaN) }))).toBe('NOT_FINITE');
  });
});
