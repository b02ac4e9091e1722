import { describe, it, expect } from 'vitest';
import {
  CsrMatrix,
  DenseMatrix,
  OptkitError,
  Rng,
  diagonalOperator,
  functionOperator,
  getKernels,
  poisson2d,
  randomSpd,
  scaledOperator,
  identityOperator,
  simdAvailable,
} from '@optkit/core';
import { cg } from './cg.js';

function randomVector(n: number, seed: number): Float64Array {
  return new Rng(seed).fillNormal(new Float64Array(n));
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(s);
}

function trueResidual(A: DenseMatrix | CsrMatrix, x: Float64Array, b: Float64Array): number {
  const Ax = A instanceof CsrMatrix ? A.spmv(x) : A.gemv(x);
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (b[i] - Ax[i]) ** 2;
  return Math.sqrt(s);
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
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

/** Q·diag(d)·Qᵀ with Q the eigenvectors of a random SPD matrix (a random orthogonal basis). */
function withEigenvalues(d: number[], seed: number): { A: DenseMatrix; Q: DenseMatrix } {
  const n = d.length;
  const Q = getKernels().symmetricEigen(randomSpd(n, 10, { seed }).matrix).vectors;
  const A = Q.mul(DenseMatrix.diag(d)).mul(Q.transpose());
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const m = 0.5 * (A.data[i * n + j] + A.data[j * n + i]);
    A.data[i * n + j] = m;
    A.data[j * n + i] = m;
  }
  return { A, Q };
}

describe('cg', () => {
  it('solves SPD systems to the requested tolerance (vs dense LU), several conditions', () => {
    for (const [n, cond, seed] of [
      [40, 10, 1],
      [80, 1e4, 2],
    ] as const) {
      const { matrix: A } = randomSpd(n, cond, { seed });
      const b = randomVector(n, seed + 10);
      const xStar = getKernels().solve(A, b);
      const rtol = 1e-10;
      const res = cg(A, b, { rtol });
      expect(res.converged).toBe(true);
      expect(res.reason).toBe('converged');
      const r = trueResidual(A, res.x, b);
      expect(r).toBeLessThanOrEqual(1.01 * rtol * norm(b));
      expect(res.residualNorm).toBeCloseTo(r, 14);
      // ‖x − x*‖ ≤ ‖A⁻¹‖‖r‖ = ‖r‖ (smallest eigenvalue 1).
      expect(norm(res.x.map((v, i) => v - xStar[i]))).toBeLessThanOrEqual(1.01 * rtol * norm(b) + 1e-12);
      expect(res.history.residual!.length).toBe(res.iterations + 1);
      expect(res.matvecs).toBe(res.iterations + 1);
    }
  });

  it('terminates in at most k iterations for k distinct eigenvalues', () => {
    const d = Array.from({ length: 24 }, (_, i) => [1, 2, 5, 9][i % 4]);
    const { A } = withEigenvalues(d, 3);
    const b = randomVector(24, 4);
    const res = cg(A, b, { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeLessThanOrEqual(4);
  });

  it('matches scipy on the 1D Poisson matrix with b = ones (closed-form solution x_i = i(n+1−i)/2)', () => {
    const n = 50;
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < n; i++) {
      rows.push(i);
      cols.push(i);
      vals.push(2);
      if (i > 0) {
        rows.push(i);
        cols.push(i - 1);
        vals.push(-1);
      }
      if (i < n - 1) {
        rows.push(i);
        cols.push(i + 1);
        vals.push(-1);
      }
    }
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const b = new Float64Array(n).fill(1);
    const res = cg(A, b, { rtol: 1e-12 });
    expect(res.converged).toBe(true);
    // Symmetric about the middle: CG in exact arithmetic needs n/2 = 25 steps here.
    expect(res.iterations).toBeLessThanOrEqual(26);
    for (let i = 0; i < n; i++) expect(res.x[i]).toBeCloseTo(((i + 1) * (n - i)) / 2, 8);
  });

  it('symmetric indefinite A: breakdown detected at once, no looping', () => {
    // pᵀAp for p = b = Q·1 is Σ d_i = −1 < 0: the first step already sees it.
    const d = [-4, 1, 1, 1];
    const { A, Q } = withEigenvalues(d, 5);
    const b = Q.gemv(new Float64Array(4).fill(1));
    const res = cg(A, b, { maxIter: 1000 });
    expect(res.reason).toBe('breakdown');
    expect(res.converged).toBe(false);
    expect(res.iterations).toBe(0);
    expect(res.x.every(Number.isFinite)).toBe(true);
    // A larger indefinite matrix with spectrum symmetric about 0 and a random b: breakdown (pᵀAp ≤ 0)
    // within n iterations, never a run to maxIter.
    const n = 30;
    const spec = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + i));
    const big = withEigenvalues(spec, 6).A;
    let breakdowns = 0;
    for (let s = 0; s < 5; s++) {
      const r = cg(big, randomVector(n, 100 + s), { rtol: 1e-10, maxIter: 10 * n });
      expect(r.iterations).toBeLessThan(10 * n);
      if (r.reason === 'breakdown') breakdowns++;
      else expect(r.reason).toBe('converged'); // CG may get through an indefinite A by luck
    }
    expect(breakdowns).toBeGreaterThan(0);
  });

  it('indefinite preconditioner (rᵀMr ≤ 0): breakdown', () => {
    const { matrix: A } = randomSpd(10, 10, { seed: 7 });
    const b = randomVector(10, 8);
    const res = cg(A, b, { M: scaledOperator(-1, identityOperator(10)) });
    expect(res.reason).toBe('breakdown');
    expect(res.iterations).toBe(0);
  });

  it('singular preconditioner (M = 0, so rᵀMr = 0): breakdown', () => {
    const { matrix: A } = randomSpd(6, 10, { seed: 17 });
    const res = cg(A, randomVector(6, 18), { M: functionOperator(6, 6, (_x, out) => out.fill(0)) });
    expect(res.reason).toBe('breakdown');
    expect(res.x.every((v) => v === 0)).toBe(true);
  });

  it('preconditioned CG: the exact inverse converges in one step; a diagonal M keeps the answer', () => {
    const n = 30;
    const d = Float64Array.from({ length: n }, (_, i) => 1 + i * i);
    const A = diagonalOperator(d);
    const b = randomVector(n, 9);
    const res = cg(A, b, { rtol: 1e-13, M: diagonalOperator(d.map((v) => 1 / v)) });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(1);
    for (let i = 0; i < n; i++) expect(res.x[i]).toBeCloseTo(b[i] / d[i], 12);

    const { matrix: S } = randomSpd(60, 1e3, { seed: 10 });
    const bs = randomVector(60, 11);
    const dinv = Float64Array.from({ length: 60 }, (_, i) => 1 / S.data[i * 61]);
    const pres = cg(S, bs, { rtol: 1e-11, M: diagonalOperator(dinv) });
    expect(pres.converged).toBe(true);
    expect(trueResidual(S, pres.x, bs)).toBeLessThanOrEqual(1.01e-11 * norm(bs));
    expect(maxDiff(pres.x, getKernels().solve(S, bs))).toBeLessThan(1e-9);
  });

  it('x0: converged at once when exact; a warm start needs fewer iterations', () => {
    const A = poisson2d(10);
    const b = randomVector(A.rows, 12);
    const cold = cg(A, b, { rtol: 1e-10 });
    const exact = cg(A, b, { rtol: 1e-6, x0: cold.x });
    expect(exact.reason).toBe('converged');
    expect(exact.iterations).toBe(0);
    expect(exact.matvecs).toBe(1);
    const rough = cg(A, b, { rtol: 1e-4 });
    const warm = cg(A, b, { rtol: 1e-10, x0: rough.x });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(cold.iterations);
  });

  it('atol: stops at max(rtol‖b‖, atol)', () => {
    const A = poisson2d(10);
    const b = randomVector(A.rows, 13);
    const res = cg(A, b, { rtol: 0, atol: 1e-3 });
    expect(res.converged).toBe(true);
    expect(res.history.residual![res.iterations]).toBeLessThanOrEqual(1e-3);
    expect(res.history.residual![res.iterations - 1]).toBeGreaterThan(1e-3);
  });

  it('zero right-hand side returns zeros at once', () => {
    const res = cg(poisson2d(3), new Float64Array(9), { x0: new Float64Array(9).fill(2) });
    expect(res.reason).toBe('zeroRhs');
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(0);
    expect(res.x.every((v) => v === 0)).toBe(true);
  });

  it('maxIter, callback and AbortSignal stop the iteration', () => {
    const A = poisson2d(16);
    const b = randomVector(A.rows, 14);
    const capped = cg(A, b, { rtol: 1e-12, maxIter: 7 });
    expect(capped.reason).toBe('maxIter');
    expect(capped.iterations).toBe(7);
    expect(capped.residualNorm).toBeCloseTo(trueResidual(A, capped.x, b), 10);
    const seen: number[] = [];
    const stopped = cg(A, b, {
      rtol: 1e-12,
      callback: (k, r, x) => {
        seen.push(r);
        expect(x.length).toBe(A.rows);
        return k < 5;
      },
    });
    expect(stopped.reason).toBe('callback');
    expect(stopped.iterations).toBe(5);
    expect(seen).toEqual(stopped.history.residual!.slice(1));
    const ctl = new AbortController();
    const aborted = cg(A, b, { rtol: 1e-12, signal: ctl.signal, callback: (k) => void (k === 3 && ctl.abort()) });
    expect(aborted.reason).toBe('aborted');
    expect(aborted.iterations).toBe(3);
  });

  it('large n (kernels generated for the solve) matches a textbook CG', () => {
    const A = poisson2d(184); // 33 856 unknowns
    const n = A.rows;
    expect(n).toBeGreaterThanOrEqual(8192); // cg.ts's GENERATE_MIN_LENGTH
    const b = randomVector(n, 20);
    const res = cg(A, b, { rtol: 0, maxIter: 30 });
    expect(res.iterations).toBe(30);
    // Hestenes–Stiefel written out with plain loops.
    const x = new Float64Array(n);
    const r = Float64Array.from(b);
    const p = Float64Array.from(b);
    const q = new Float64Array(n);
    let rr = r.reduce((s, v) => s + v * v, 0);
    for (let k = 0; k < 30; k++) {
      A.spmv(p, q);
      let pq = 0;
      for (let i = 0; i < n; i++) pq += p[i] * q[i];
      const alpha = rr / pq;
      let rrNew = 0;
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
        rrNew += r[i] * r[i];
      }
      for (let i = 0; i < n; i++) p[i] = r[i] + (rrNew / rr) * p[i];
      rr = rrNew;
      expect(res.history.residual![k + 1]).toBeCloseTo(Math.sqrt(rr), 8);
    }
    expect(maxDiff(res.x, x)).toBeLessThan(1e-10);
    expect(res.residualNorm).toBeCloseTo(trueResidual(A, res.x, b), 8);
  });

  it('WebAssembly SIMD and JS paths give the same iterations and iterates (1e-12) on 2-D Poisson, with and without M', () => {
    const A = poisson2d(96); // 9216 unknowns: above GENERATE_MIN_LENGTH, so the SIMD path runs
    const n = A.rows;
    const b = randomVector(n, 23);
    for (const M of [undefined, diagonalOperator(new Float64Array(n).fill(0.25))]) {
      const opts = { rtol: 1e-10, M };
      const js = cg(A, b, { ...opts, simd: false });
      const wasm = cg(A, b, opts);
      expect(js.converged).toBe(true);
      expect(wasm.iterations).toBe(js.iterations);
      expect(wasm.matvecs).toBe(js.matvecs);
      let d = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        d = Math.max(d, Math.abs(wasm.x[i] - js.x[i]));
        s = Math.max(s, Math.abs(js.x[i]));
      }
      expect(d / s).toBeLessThan(1e-12);
      const est = js.history.residual!;
      let differs = false;
      wasm.history.residual!.forEach((r, i) => {
        // Rounding differences of the inner products are absolute (~ε‖b‖), so scale by ‖r_0‖.
        expect(Math.abs(r - est[i])).toBeLessThanOrEqual(1e-12 * est[0]);
        if (r !== est[i]) differs = true;
      });
      // The inner products round differently, so identical histories would mean the SIMD path never ran.
      expect(differs).toBe(simdAvailable());
      expect(wasm.residualNorm).toBeLessThan(1e-9 * est[0]);
    }
  });

  it('NaN written into a CSR matrix after construction: breakdown, finite x (construction itself rejects NaN)', () => {
    const A = poisson2d(4);
    A.values[3] = Number.NaN;
    A.markModified();
    const res = cg(A, randomVector(16, 21));
    expect(res.reason).toBe('breakdown');
    expect(res.converged).toBe(false);
    expect(res.x.every(Number.isFinite)).toBe(true);
  });

  it('an operator returning NaN: breakdown, finite x', () => {
    const A = functionOperator(3, 3, (x, out) => {
      out.set(x);
      out[1] = Number.NaN;
    });
    const res = cg(A, Float64Array.from([1, 2, 3]));
    expect(res.reason).toBe('breakdown');
    expect(res.x.every(Number.isFinite)).toBe(true);
  });

  it('bad input throws OptkitError with the right code', () => {
    const { matrix: A } = randomSpd(4, 10, { seed: 15 });
    const b = randomVector(4, 16);
    expectCode(() => cg(new DenseMatrix(3, 4), randomVector(3, 1)), 'SHAPE_MISMATCH');
    expectCode(() => cg(A, randomVector(3, 1)), 'SHAPE_MISMATCH');
    expectCode(() => cg(A, Float64Array.from([1, 2, Number.NaN, 4])), 'NOT_FINITE');
    expectCode(() => cg(A, b, { x0: Float64Array.from([0, Number.NaN, 0, 0]) }), 'NOT_FINITE');
    expectCode(() => cg(A, b, { x0: new Float64Array(3) }), 'SHAPE_MISMATCH');
    expectCode(() => cg(A, b, { rtol: -1e-5 }), 'INVALID_OPTION');
    expectCode(() => cg(A, b, { atol: Number.NaN }), 'INVALID_OPTION');
    expectCode(() => cg(A, b, { maxIter: -1 }), 'INVALID_OPTION');
    expectCode(() => cg(A, b, { maxIter: 1.5 }), 'INVALID_OPTION');
    expectCode(() => cg(A, b, { M: identityOperator(5) }), 'SHAPE_MISMATCH');
    expectCode(() => CsrMatrix.fromDense({ rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, Number.NaN]) }), 'NOT_FINITE');
  });
});
