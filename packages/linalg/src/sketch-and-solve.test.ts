import { DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { denseLeastSquares } from './dense-least-squares.js';
import { exactLeastSquares, linfDiagnostics, linfRegression, linfRowCount } from './linf-regression.js';
import { SKETCH_KINDS, createSketch } from './sketch.js';
import { sketchAndSolve } from './sketch-and-solve.js';
import { randomSparseLeastSquares } from './least-squares-problems.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

const maxAbs = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** The spike instance of the card: A = [I_d; 0] (n×d), b = e_{d+1}; x* = 0, OPT = 1, ‖A†‖ = 1. */
function spike(n: number, d: number): { A: DenseMatrix; b: Float64Array } {
  const A = new DenseMatrix(n, d);
  for (let j = 0; j < d; j++) A.data[j * d + j] = 1;
  const b = new Float64Array(n);
  b[d] = 1;
  return { A, b };
}

describe('denseLeastSquares', () => {
  it('matches the normal equations on a small well-conditioned problem, and gives the minimum-norm solution when rank-deficient', () => {
    const A = DenseMatrix.random(30, 4, { distribution: 'normal', seed: 1 });
    const b = new Rng(2).fillNormal(new Float64Array(30));
    const x = denseLeastSquares(A, b).x;
    const AtA = A.transpose().mul(A);
    const Atb = A.gemvT(b);
    expect(maxAbs(x, AtA.solve(Atb))).toBeLessThan(1e-12);
    // Two equal columns: the minimum-norm solution splits the coefficient evenly.
    const B = DenseMatrix.fromRows([
      [1, 1],
      [2, 2],
      [0, 0],
    ]);
    const r = denseLeastSquares(B, Float64Array.of(1, 2, 5));
    expect(r.method).toBe('svd');
    expect(r.rank).toBe(1);
    expect(r.x[0]).toBeCloseTo(0.5, 12);
    expect(r.x[1]).toBeCloseTo(0.5, 12);
    expect(r.residualNorm).toBeCloseTo(5, 12);
    expect(codeOf(() => denseLeastSquares(B, new Float64Array(2)))).toBe('SHAPE_MISMATCH');
  });
});

describe('sketchAndSolve', () => {
  it.each(SKETCH_KINDS)('%s: a consistent system b = A·w is solved exactly (x\' = w to 1e-10) when rank(SA) = d', (kind) => {
    const n = 300;
    const d = 6;
    const A = DenseMatrix.random(n, d, { distribution: 'normal', seed: 3 });
    const w = Float64Array.of(1, -2, 0.5, 3, -0.25, 2);
    const b = A.gemv(w);
    const r = sketchAndSolve(A, b, { kind, m: 40, seed: 11 });
    expect(r.rank).toBe(d);
    expect(maxAbs(r.x, w)).toBeLessThan(1e-10);
    expect(r.m).toBe(40);
    expect(r.residualSketched).toBeLessThan(1e-10);
    expect(r.sketchSeconds).toBeGreaterThanOrEqual(0);
    // Same seed, same answer; a pre-drawn operator gives the same as its options.
    const r2 = sketchAndSolve(A, b, createSketch(n, { kind, m: 40, seed: 11 }));
    expect(maxAbs(r2.x, r.x)).toBe(0);
  });

  it('srht with m = N and no sampling is orthogonal, so x\' = x* on an inconsistent system', () => {
    const n = 64;
    const A = DenseMatrix.random(n, 5, { distribution: 'normal', seed: 4 });
    const b = new Rng(5).fillNormal(new Float64Array(n));
    const x = sketchAndSolve(A, b, { kind: 'srht', m: n, seed: 2 }).x;
    expect(maxAbs(x, exactLeastSquares(A, b).xStar)).toBeLessThan(1e-12);
  });

  it('spike instance, CountSketch: the minimum-norm solution puts s(j)s(d+1)/k into the k columns sharing b\'s bucket, 0 elsewhere', () => {
    const n = 40;
    const d = 8;
    const m = 10; // collisions are likely (birthday: d = 8 columns in 10 buckets)
    const { A, b } = spike(n, d);
    for (let seed = 0; seed < 20; seed++) {
      const S = createSketch(n, { kind: 'countsketch', m, seed });
      const D = S.toDense();
      const bucket = (i: number) => [...Array(m).keys()].find((r) => D.data[r * n + i] !== 0)!;
      const sign = (i: number) => D.data[bucket(i) * n + i];
      const hb = bucket(d);
      const sharing = [...Array(d).keys()].filter((j) => bucket(j) === hb);
      const x = sketchAndSolve(A, b, S).x;
      for (let j = 0; j < d; j++) {
        const expected = sharing.includes(j) ? (sign(j) * sign(d)) / sharing.length : 0;
        expect(Math.abs(x[j] - expected)).toBeLessThan(1e-12);
      }
    }
  });

  it('rejects bad input', () => {
    const A = DenseMatrix.random(20, 3, { seed: 1 });
    const b = new Float64Array(20);
    expect(codeOf(() => sketchAndSolve(A, new Float64Array(19), { kind: 'srht', m: 8 }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchAndSolve(A, b, { kind: 'srht', m: 21 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => sketchAndSolve(A, b, { kind: 'srht', m: 2 }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchAndSolve(A, b, createSketch(19, { kind: 'srht', m: 8 })))).toBe('SHAPE_MISMATCH');
    const bad = b.slice();
    bad[4] = Number.NaN;
    expect(codeOf(() => sketchAndSolve(A, bad, { kind: 'gaussian', m: 8 }))).toBe('NOT_FINITE');
    expect(codeOf(() => sketchAndSolve(new DenseMatrix(0, 3), new Float64Array(0), { kind: 'gaussian', m: 1 }))).toBe('EMPTY_INPUT');
  });
});

describe('ℓ∞ regression helpers', () => {
  it('linfRowCount is ⌈c·ε⁻²·d·ln³(n/δ)⌉ and validates its arguments', () => {
    expect(linfRowCount({ d: 32, n: 2048, eps: 1, delta: 0.05 })).toBe(Math.ceil(32 * Math.log(2048 / 0.05) ** 3));
    expect(linfRowCount({ d: 10, n: 1000, eps: 0.5, delta: 0.1, constant: 0.01 })).toBe(Math.ceil((0.01 * 10 * Math.log(10000) ** 3) / 0.25));
    expect(codeOf(() => linfRowCount({ d: 10, n: 1000, eps: 0, delta: 0.1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => linfRowCount({ d: 10, n: 1000, eps: 1, delta: 1 }))).toBe('INVALID_OPTION');
  });

  it('linfDiagnostics on the spike instance: x* = 0, OPT = 1, ‖A†‖ = 1, normalised error √d·‖x‖∞', () => {
    const d = 9;
    const { A, b } = spike(50, d);
    const x = new Float64Array(d);
    x[2] = -0.5;
    const r = linfDiagnostics(A, b, x);
    expect(maxAbs(r.xStar, new Float64Array(d))).toBeLessThan(1e-15);
    expect(r.opt).toBeCloseTo(1, 14);
    expect(r.normApinv).toBeCloseTo(1, 14);
    expect(r.linfError).toBe(0.5);
    expect(r.normalized).toBeCloseTo(3 * 0.5, 12);
    // Scaling A by 2 halves ‖A†‖ and doubles the normalised error of the same x.
    const A2 = new DenseMatrix(50, d, A.data.map((v) => 2 * v));
    expect(linfDiagnostics(A2, b, x).normalized).toBeCloseTo(3, 12);
    expect(codeOf(() => linfDiagnostics(A, b, new Float64Array(d + 1)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => exactLeastSquares(new DenseMatrix(5, 2), new Float64Array(5)))).toBe('SINGULAR');
  });

  it('linfRegression: dense sketches only; the exact solution when the formula asks for m >= n', () => {
    const A = DenseMatrix.random(512, 4, { distribution: 'normal', seed: 8 });
    const b = new Rng(9).fillNormal(new Float64Array(512));
    const xs = exactLeastSquares(A, b).xStar;
    const ex = linfRegression(A, b); // ln³(512/0.05)·4 > 512
    expect(ex.exact).toBe(true);
    expect(maxAbs(ex.x, xs)).toBeLessThan(1e-12);
    const r = linfRegression(A, b, { m: 128, kind: 'gaussian', seed: 1 });
    expect(r.exact).toBe(false);
    expect(r.m).toBe(128);
    expect(linfDiagnostics(A, b, r.x).normalized).toBeLessThan(3);
    expect(codeOf(() => linfRegression(A, b, { kind: 'countsketch', m: 64 }))).toBe('INVALID_OPTION');
  });
});

describe('sketchAndSolve with a sparse (CSR) A', () => {
  it.each(SKETCH_KINDS)('%s: the CSR path gives the dense path\'s x\' for the same seed (1e-12 relative)', (kind) => {
    const p = randomSparseLeastSquares(600, 8, { density: 0.05, cond: 10, noise: 0.1, seed: 2 });
    const sparse = sketchAndSolve(p.A, p.b, { kind, m: 64, seed: 3 });
    const dense = sketchAndSolve(p.A.toDense(), p.b, { kind, m: 64, seed: 3 });
    expect(sparse.rank).toBe(dense.rank);
    const diff = Math.sqrt(sparse.x.reduce((s, v, i) => s + (v - dense.x[i]) ** 2, 0));
    const ref = Math.sqrt(dense.x.reduce((s, v) => s + v * v, 0));
    expect(diff / ref).toBeLessThan(1e-12);
    expect(Math.abs(sparse.residualSketched - dense.residualSketched)).toBeLessThan(1e-12 * dense.residualSketched);
  });

  it('rejects a CSR A with NaN in its values or the wrong number of rows', () => {
    const p = randomSparseLeastSquares(100, 4, { density: 0.1, seed: 1 });
    expect(codeOf(() => sketchAndSolve(p.A, new Float64Array(99), { kind: 'countsketch', m: 20 }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchAndSolve(p.A, p.b, createSketch(99, { kind: 'countsketch', m: 20 })))).toBe('SHAPE_MISMATCH');
    p.A.values[0] = Number.NaN;
    expect(codeOf(() => sketchAndSolve(p.A, p.b, { kind: 'countsketch', m: 20 }))).toBe('NOT_FINITE');
    expect(codeOf(() => sketchAndSolve({ rows: 100, cols: 4 } as unknown as DenseMatrix, p.b, { kind: 'countsketch', m: 20 }))).toBe('INVALID_ARGUMENT');
  });
});
