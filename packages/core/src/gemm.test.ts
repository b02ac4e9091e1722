import { describe, expect, it } from 'vitest';
import { gemmBlocking, gemmPacked } from './gemm.js';
import { Rng } from './rng.js';

/** The definition: C ← α·op(A)·op(B) + β·C by a plain triple loop (β = 0 ignores C). */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const a = transA ? A[p * lda + i] : A[i * lda + p];
        const b = transB ? B[j * ldb + p] : B[p * ldb + j];
        s += a * b;
      }
      C[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
    }
  }
}

function random(n: number, rng: Rng): Float64Array {
  return rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  pad: number;
}

function runCase(c: Case, rng: Rng): void {
  const { m, n, k, transA, transB, alpha, beta, pad } = c;
  const aRows = transA ? k : m;
  const aCols = transA ? m : k;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const lda = aCols + pad;
  const ldb = bCols + pad;
  const ldc = n + pad;
  const A = random(Math.max(1, aRows * lda), rng);
  const B = random(Math.max(1, bRows * ldb), rng);
  const C0 = random(Math.max(1, m * ldc), rng);
  const C = C0.slice();
  const R = C0.slice();
  gemmPacked(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  naiveGemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, R, ldc);
  let maxErr = 0;
  for (let i = 0; i < C.length; i++) maxErr = Math.max(maxErr, Math.abs(C[i] - R[i]));
  // Each entry is a sum of k products of magnitude ≤ 1: the reordering error is ≲ k·eps.
  const label = JSON.stringify(c);
  expect(maxErr, label).toBeLessThan(1e-14 * (k + 2) * (Math.abs(alpha) + 1) + 1e-15);
  // Padding columns (between n and ldc) must be untouched.
  for (let i = 0; i < m; i++) {
    for (let j = n; j < ldc; j++) expect(C[i * ldc + j], label).toBe(C0[i * ldc + j]);
  }
}

describe('gemmPacked against the triple loop', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 7, 5],
    [4, 4, 4],
    [5, 3, 9],
    [8, 8, 40],
    [17, 33, 9],
    [33, 17, 1],
    [64, 64, 64],
    [65, 130, 257],
    [130, 67, 300],
  ];
  const rng = new Rng(42);

  it('matches on odd shapes, every transpose combination, α/β and padded leading dimensions', () => {
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const [alpha, beta, pad] of [
            [1, 0, 0],
            [-0.5, 1, 3],
            [2, -1.5, 1],
          ]) {
            runCase({ m, n, k, transA, transB, alpha, beta, pad }, rng);
          }
        }
      }
    }
  });

  it('handles panels wider than NC and deeper than KC', () => {
    const { NC, KC } = gemmBlocking;
    runCase({ m: 5, n: NC + 9, k: 7, transA: false, transB: false, alpha: 1, beta: 0.5, pad: 2 }, rng);
    runCase({ m: 6, n: 11, k: 2 * KC + 3, transA: true, transB: true, alpha: 1, beta: 0, pad: 0 }, rng);
  });

  it('with β = 0 overwrites NaN in C without reading it', () => {
    const A = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const B = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const C = new Float64Array(16).fill(Number.NaN);
    gemmPacked(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4);
    expect(Array.from(C)).toEqual(Array.from(A));
    // The packed path too (large enough to skip the direct loop).
    const n = 20;
    const I = new Float64Array(n * n);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    const X = random(n * n, rng);
    const Y = new Float64Array(n * n).fill(Number.NaN);
    gemmPacked(false, false, n, n, n, 1, X, n, I, n, 0, Y, n);
    expect(Array.from(Y)).toEqual(Array.from(X));
  });

  it('with α = 0 or k = 0 only scales C', () => {
    const A = new Float64Array(30 * 30).fill(Number.NaN);
    const C = new Float64Array(30 * 30).fill(2);
    gemmPacked(false, false, 30, 30, 30, 0, A, 30, A, 30, 3, C, 30);
    expect(C.every((v) => v === 6)).toBe(true);
    const D = new Float64Array(6).fill(1);
    gemmPacked(false, false, 2, 3, 0, 1, new Float64Array(0), 1, new Float64Array(0), 3, -1, D, 3);
    expect(Array.from(D)).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('does nothing for empty outputs', () => {
    const C = Float64Array.from([7]);
    gemmPacked(false, false, 0, 5, 5, 1, new Float64Array(0), 5, new Float64Array(25), 5, 0, C, 5);
    gemmPacked(false, false, 5, 0, 5, 1, new Float64Array(25), 5, new Float64Array(0), 1, 0, C, 1);
    expect(C[0]).toBe(7);
  });

  it('gives an exact known product', () => {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]; op(A)ᵀ-stored variant gives the same.
    const C = new Float64Array(4);
    gemmPacked(false, false, 2, 2, 2, 1, Float64Array.from([1, 2, 3, 4]), 2, Float64Array.from([5, 6, 7, 8]), 2, 0, C, 2);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
    gemmPacked(true, true, 2, 2, 2, 1, Float64Array.from([1, 3, 2, 4]), 2, Float64Array.from([5, 7, 6, 8]), 2, 0, C, 2);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
  });
});
