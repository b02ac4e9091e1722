import { describe, it, expect } from 'vitest';
import {
  DenseMatrix,
  OptkitError,
  Rng,
  diagonalOperator,
  functionOperator,
  getKernels,
  identityOperator,
  poisson2d,
  randomSpd,
  scaledOperator,
} from '@optkit/core';
import { cg } from './cg.js';
import { minres } from './minres.js';

function randomVector(n: number, seed: number): Float64Array {
  return new Rng(seed).fillNormal(new Float64Array(n));
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(s);
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function trueResidual(A: DenseMatrix, x: Float64Array, b: Float64Array): number {
  const Ax = A.gemv(x);
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (b[i] - Ax[i]) ** 2;
  return Math.sqrt(s);
}

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
}

/** Q·diag(d)·Qᵀ (exactly symmetric) with Q a random orthogonal matrix. */
function withEigenvalues(d: number[], seed: number): DenseMatrix {
  const n = d.length;
  const Q = getKernels().symmetricEigen(randomSpd(n, 10, { seed }).matrix).vectors;
  const A = Q.mul(DenseMatrix.diag(d)).mul(Q.transpose());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (A.data[i * n + j] + A.data[j * n + i]);
      A.data[i * n + j] = m;
      A.data[j * n + i] = m;
    }
  }
  return A;
}

/** Eigenvalues ±(1 + i), alternating in sign: symmetric indefinite, condition number n. */
function indefinite(n: number, seed: number): DenseMatrix {
  return withEigenvalues(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + i)), seed);
}

describe('minres', () => {
  it('solves a symmetric indefinite system to the requested tolerance (vs dense LU)', () => {
    const n = 50;
    const A = indefinite(n, 1);
    const b = randomVector(n, 2);
    const xStar = getKernels().solve(A, b);
    const rtol = 1e-10;
    const res = minres(A, b, { rtol });
    expect(res.reason).toBe('converged');
    const r = trueResidual(A, res.x, b);
    expect(r).toBeLessThanOrEqual(1.05 * rtol * norm(b));
    expect(res.residualNorm).toBeCloseTo(r, 14);
    // ‖x − x*‖ ≤ ‖A⁻¹‖·‖r‖ = ‖r‖ (smallest |eigenvalue| is 1).
    expect(norm(res.x.map((v, i) => v - xStar[i]))).toBeLessThanOrEqual(1.05 * rtol * norm(b));
    // MINRES minimises ‖r‖ over growing Krylov spaces: the residual never increases.
    const h = res.history.residual!;
    for (let k = 1; k < h.length; k++) expect(h[k]).toBeLessThanOrEqual(h[k - 1] * (1 + 1e-12));
    expect(h.length).toBe(res.iterations + 1);
  });

  it('with an SPD preconditioner: same answer, residual history is the true 2-norm', () => {
    const n = 50;
    const A = indefinite(n, 3);
    const b = randomVector(n, 4);
    const xStar = getKernels().solve(A, b);
    const dinv = Array.from({ length: n }, (_, i) => 1 / (1 + Math.abs(A.data[i * n + i])));
    const checks: number[] = [];
    const res = minres(A, b, {
      rtol: 1e-10,
      M: diagonalOperator(dinv),
      callback: (_k, rn, x) => void checks.push(trueResidual(A, x, b) / rn),
    });
    expect(res.reason).toBe('converged');
    expect(trueResidual(A, res.x, b)).toBeLessThanOrEqual(1.05e-10 * norm(b));
    expect(maxDiff(res.x, xStar)).toBeLessThan(1e-9);
    // The recurrence r_k = s_k² r_{k−1} − φ̄_k c_k u_{k+1} tracks the true residual (until rounding
    // dominates near the end).
    for (const c of checks.slice(0, 20)) expect(Math.abs(c - 1)).toBeLessThan(1e-6);
  });

  it('at most k iterations for k distinct eigenvalues (indefinite)', () => {
    const d = Array.from({ length: 21 }, (_, i) => [-2, 1, 3][i % 3]);
    const A = withEigenvalues(d, 5);
    const b = randomVector(21, 6);
    const res = minres(A, b, { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeLessThanOrEqual(3);
    expect(maxDiff(res.x, getKernels().solve(A, b))).toBeLessThan(1e-11);
  });

  it('solves an SPD system (randomSpd) to the requested tolerance (vs dense LU)', () => {
    const { matrix: A } = randomSpd(60, 1e3, { seed: 18 });
    const b = randomVector(60, 19);
    const res = minres(A, b, { rtol: 1e-10 });
    expect(res.converged).toBe(true);
    expect(trueResidual(A, res.x, b)).toBeLessThanOrEqual(1.05e-10 * norm(b));
    // ‖x − x*‖ ≤ ‖A⁻¹‖‖r‖ = ‖r‖ (smallest eigenvalue 1).
    const xStar = getKernels().solve(A, b);
    expect(norm(res.x.map((v, i) => v - xStar[i]))).toBeLessThanOrEqual(1.05e-10 * norm(b));
  });

  it('agrees with CG on an SPD system', () => {
    const A = poisson2d(12);
    const b = randomVector(A.rows, 7);
    const m = minres(A, b, { rtol: 1e-10 });
    const c = cg(A, b, { rtol: 1e-10 });
    expect(m.converged && c.converged).toBe(true);
    expect(maxDiff(m.x, c.x)).toBeLessThan(1e-8);
    expect(Math.abs(m.iterations - c.iterations)).toBeLessThanOrEqual(3);
  });

  it('shift solves (A − σI) x = b', () => {
    const { matrix: A } = randomSpd(30, 100, { seed: 8 });
    const b = randomVector(30, 9);
    const sigma = 7.5; // inside the spectrum [1, 100]: A − σI is indefinite
    const As = A.clone();
    for (let i = 0; i < 30; i++) As.data[i * 31] -= sigma;
    const res = minres(A, b, { rtol: 1e-11, shift: sigma });
    expect(res.converged).toBe(true);
    expect(trueResidual(As, res.x, b)).toBeLessThanOrEqual(1.05e-11 * norm(b));
    expect(res.residualNorm).toBeCloseTo(trueResidual(As, res.x, b), 12);
  });

  it('x0, zero right-hand side, maxIter', () => {
    const A = indefinite(20, 10);
    const b = randomVector(20, 11);
    const xStar = getKernels().solve(A, b);
    const exact = minres(A, b, { x0: xStar, rtol: 1e-8 });
    expect(exact.reason).toBe('converged');
    expect(exact.iterations).toBe(0);
    const warm = minres(A, b, { x0: xStar.map((v) => v + 0.01), rtol: 1e-10 });
    expect(warm.converged).toBe(true);
    expect(trueResidual(A, warm.x, b)).toBeLessThanOrEqual(1.05e-10 * norm(b));
    const zero = minres(A, new Float64Array(20));
    expect(zero.reason).toBe('zeroRhs');
    expect(zero.x.every((v) => v === 0)).toBe(true);
    const capped = minres(A, b, { rtol: 1e-14, maxIter: 5 });
    expect(capped.reason).toBe('maxIter');
    expect(capped.iterations).toBe(5);
    expect(capped.residualNorm).toBeCloseTo(trueResidual(A, capped.x, b), 10);
  });

  it('breakdowns: indefinite preconditioner, singular A with b outside its range, NaN from A', () => {
    const A = indefinite(10, 12);
    const b = randomVector(10, 13);
    const negM = minres(A, b, { M: scaledOperator(-1, identityOperator(10)) });
    expect(negM.reason).toBe('breakdown');
    expect(negM.iterations).toBe(0);
    const S = DenseMatrix.diag([1, -1, 0]);
    const sing = minres(S, Float64Array.from([1, 1, 1]), { rtol: 1e-10, maxIter: 100 });
    expect(sing.reason).toBe('breakdown');
    expect(sing.iterations).toBeLessThanOrEqual(3);
    expect(sing.x.every(Number.isFinite)).toBe(true);
    const nan = functionOperator(3, 3, (x, out) => {
      out.set(x);
      out[0] = Number.NaN;
    });
    const r = minres(nan, Float64Array.from([1, 2, 3]));
    expect(r.reason).toBe('breakdown');
    expect(r.x.every(Number.isFinite)).toBe(true);
  });

  it('callback and AbortSignal stop the iteration', () => {
    const A = indefinite(40, 14);
    const b = randomVector(40, 15);
    const stopped = minres(A, b, { rtol: 1e-14, callback: (k) => k < 4 });
    expect(stopped.reason).toBe('callback');
    expect(stopped.iterations).toBe(4);
    const ctl = new AbortController();
    const aborted = minres(A, b, { rtol: 1e-14, signal: ctl.signal, callback: (k) => void (k === 2 && ctl.abort()) });
    expect(aborted.reason).toBe('aborted');
    expect(aborted.iterations).toBe(2);
  });

  it('bad input throws OptkitError with the right code', () => {
    const A = indefinite(4, 16);
    const b = randomVector(4, 17);
    expectCode(() => minres(new DenseMatrix(3, 4), randomVector(3, 1)), 'SHAPE_MISMATCH');
    expectCode(() => minres(A, randomVector(5, 1)), 'SHAPE_MISMATCH');
    expectCode(() => minres(A, Float64Array.from([1, Number.NaN, 0, 0])), 'NOT_FINITE');
    expectCode(() => minres(A, b, { shift: Number.NaN }), 'NOT_FINITE');
    expectCode(() => minres(A, b, { rtol: -1 }), 'INVALID_OPTION');
    expectCode(() => minres(A, b, { maxIter: -2 }), 'INVALID_OPTION');
  });
});
