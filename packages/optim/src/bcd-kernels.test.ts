import { describe, it, expect } from 'vitest';
import { OptkitError } from '@optkit/core';
import {
  backSolve,
  blockApply,
  blockGram,
  blockScore,
  blockStep,
  choleskyInPlace,
  colAxpy,
  colDot,
  colSqNorm,
  factorBlock,
  factorNeeds,
  forwardSolve,
  lambdaMax,
  type ColumnData,
} from './bcd-kernels.js';

// A = [[1, 0, 2], [0, 3, 0], [4, 0, 5]] (3×3), dense column storage and the same in CSC.
const Adense: ColumnData = { m: 3, n: 3, dense: Float64Array.of(1, 0, 4, 0, 3, 0, 2, 0, 5) };
const Asparse: ColumnData = { m: 3, n: 3, colptr: Int32Array.of(0, 2, 3, 5), rowidx: Int32Array.of(0, 2, 1, 0, 2), vals: Float64Array.of(1, 4, 3, 2, 5) };

describe('column kernels', () => {
  for (const [name, A] of [['dense', Adense], ['sparse', Asparse]] as const) {
    it(`colDot / colAxpy / colSqNorm / blockApply (${name})`, () => {
      const v = Float64Array.of(1, 2, 3);
      expect(colDot(A, 0, v)).toBe(13);
      expect(colDot(A, 1, v)).toBe(6);
      expect(colDot(A, 2, v)).toBe(17);
      expect(colSqNorm(A, 0)).toBe(17);
      expect(colSqNorm(A, 2)).toBe(29);
      const y = Float64Array.of(1, 1, 1);
      colAxpy(A, 2, 2, y);
      expect(Array.from(y)).toEqual([5, 1, 11]);
      const out = new Float64Array(3).fill(99);
      blockApply(A, Int32Array.of(0, 2), Float64Array.of(1, -1), out);
      expect(Array.from(out)).toEqual([-1, 0, -1]);
    });

    it(`blockGram = scale·A_bᵀ diag(w) A_b (${name})`, () => {
      const out = new Float64Array(4);
      const work = new Float64Array(3);
      blockGram(A, Int32Array.of(0, 2), 2, out, work);
      // A_0ᵀA_0 = 17, A_0ᵀA_2 = 2 + 20 = 22, A_2ᵀA_2 = 29
      expect(Array.from(out)).toEqual([34, 44, 44, 58]);
      expect(Array.from(work)).toEqual([0, 0, 0]);
      blockGram(A, Int32Array.of(0, 2), 1, out, work, Float64Array.of(2, 7, 0.5));
      // Σ w a0 a2 = 2·1·2 + 0.5·4·5 = 14; Σ w a0² = 2 + 8 = 10; Σ w a2² = 8 + 12.5 = 20.5
      expect(Array.from(out)).toEqual([10, 14, 14, 20.5]);
      expect(Array.from(work)).toEqual([0, 0, 0]);
    });
  }
});

describe('Cholesky and solves', () => {
  it('factors [[4, 2], [2, 3]] into L = [[2, 0], [1, √2]]', () => {
    const H = Float64Array.of(4, 2, 2, 3);
    const ridge = choleskyInPlace(H, 2, new Float64Array(4));
    expect(ridge).toBe(0);
    expect(H[0]).toBe(2);
    expect(H[1]).toBe(0);
    expect(H[2]).toBe(1);
    expect(H[3]).toBeCloseTo(Math.SQRT2, 15);
  });

  it('solves H z = g for a 3×3 SPD matrix', () => {
    const H0 = Float64Array.of(4, 12, -16, 12, 37, -43, -16, -43, 98);
    const L = Float64Array.from(H0);
    choleskyInPlace(L, 3, new Float64Array(9));
    // Known factor: L = [[2,0,0],[6,1,0],[-8,5,3]]
    const expected = [2, 0, 0, 6, 1, 0, -8, 5, 3];
    for (let k = 0; k < 9; k++) expect(L[k]).toBeCloseTo(expected[k], 12);
    const zTrue = Float64Array.of(1, -2, 0.5);
    const g = new Float64Array(3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g[i] += H0[i * 3 + j] * zTrue[j];
    const y = new Float64Array(3);
    forwardSolve(L, 3, g, y);
    backSolve(L, 3, y, y); // aliasing allowed
    for (let i = 0; i < 3; i++) expect(y[i]).toBeCloseTo(zTrue[i], 10);
  });

  it('adds a ridge for a singular PSD matrix and throws NOT_SPD for an indefinite one', () => {
    const S = Float64Array.of(1, 1, 1, 1);
    const ridge = choleskyInPlace(S, 2, new Float64Array(4));
    expect(ridge).toBeGreaterThan(0);
    expect(ridge).toBeLessThan(1e-3);
    const I = Float64Array.of(1, 0, 0, -1);
    expect(() => choleskyInPlace(I, 2, new Float64Array(4))).toThrow(OptkitError);
    try {
      choleskyInPlace(Float64Array.of(1, 0, 0, -1), 2, new Float64Array(4));
    } catch (e) {
      expect((e as OptkitError).code).toBe('NOT_SPD');
    }
  });
});

describe('lambdaMax', () => {
  it('known eigenvalues', () => {
    const w = new Float64Array(16);
    expect(lambdaMax(Float64Array.of(2, 1, 1, 2), 2, w)).toBeCloseTo(3, 13);
    expect(lambdaMax(Float64Array.of(7), 1, w)).toBe(7);
    expect(lambdaMax(Float64Array.of(1, 0, 0, 0, 5, 0, 0, 0, 3), 3, w)).toBe(5);
    // tridiag(-1, 2, -1) of size 4: λ_max = 2 + 2cos(π/5)
    const T = Float64Array.of(2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2);
    const T0 = Float64Array.from(T);
    expect(lambdaMax(T, 4, w)).toBeCloseTo(2 + 2 * Math.cos(Math.PI / 5), 12);
    expect(Array.from(T)).toEqual(Array.from(T0)); // input untouched
  });
});

describe('blockScore, factorBlock, blockStep', () => {
  const H = () => Float64Array.of(2, 1, 1, 2);
  const g = Float64Array.of(3, -1);

  it('factorBlock gives L_b, the Gershgorin diagonal and the Cholesky factor', () => {
    const f = factorBlock(H(), 2, new Float64Array(4));
    expect(f.Lb).toBeCloseTo(3, 13);
    expect(Array.from(f.d)).toEqual([3, 3]);
    expect(f.chol[0]).toBeCloseTo(Math.SQRT2, 15);
    const only = factorBlock(H(), 2, new Float64Array(4), { lb: false, chol: false });
    expect(only.Lb).toBeNaN();
    expect(only.chol.length).toBe(0);
  });

  it('blockStep: lipschitz, diagonal and matrix steps', () => {
    const f = factorBlock(H(), 2, new Float64Array(4));
    const out = new Float64Array(2);
    const y = new Float64Array(2);
    blockStep('lipschitz', g, 2, f, out, y);
    expect(out[0]).toBeCloseTo(-1, 13);
    expect(out[1]).toBeCloseTo(1 / 3, 13);
    blockStep('diagonal', g, 2, f, out, y);
    expect(Array.from(out)).toEqual([-1, 1 / 3]);
    blockStep('matrix', g, 2, f, out, y);
    // H⁻¹ = (1/3)[[2,-1],[-1,2]]; H⁻¹g = [7/3, -5/3]
    expect(out[0]).toBeCloseTo(-7 / 3, 13);
    expect(out[1]).toBeCloseTo(5 / 3, 13);
  });

  it('blockScore for each rule', () => {
    const f = factorBlock(H(), 2, new Float64Array(4));
    const y = new Float64Array(2);
    expect(blockScore('gs', g, 2, 2, 0, undefined, undefined, y)).toBeCloseTo(Math.sqrt(10), 14);
    expect(blockScore('gs', g, 2, 1, 0, undefined, undefined, y)).toBe(4);
    expect(blockScore('gsl', g, 2, 2, 4, undefined, undefined, y)).toBeCloseTo(Math.sqrt(10) / 2, 14);
    expect(blockScore('gsd', g, 2, 2, 0, Float64Array.of(1, 4), undefined, y)).toBeCloseTo(Math.sqrt(9 + 0.25), 14);
    expect(blockScore('gsd', g, 2, 1, 0, Float64Array.of(1, 4), undefined, y)).toBeCloseTo(3.5, 14);
    // gᵀH⁻¹g = 3·7/3 + (−1)(−5/3) = 26/3
    expect(blockScore('gsq', g, 2, 2, 0, undefined, f.chol, y)).toBeCloseTo(Math.sqrt(26 / 3), 13);
  });

  it('factorNeeds', () => {
    expect(factorNeeds('gs', 'lipschitz')).toEqual({ lb: true, chol: false });
    expect(factorNeeds('gsq', 'diagonal')).toEqual({ lb: false, chol: true });
    expect(factorNeeds('gsl', 'matrix')).toEqual({ lb: true, chol: true });
  });
});
