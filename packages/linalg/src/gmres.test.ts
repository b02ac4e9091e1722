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
  simdAvailable,
  scaledOperator,
  denseOperator,
  csrOperator,
} from '@optkit/core';
import { gmres } from './gmres.js';

/** A random nonsymmetric n×n matrix shift·I + G with G standard Gaussian (well conditioned for shift ≈ 2√n). */
function randomNonsymmetric(n: number, shift: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  const A = DenseMatrix.wrap(n, n, rng.fillNormal(new Float64Array(n * n)));
  for (let i = 0; i < n; i++) A.data[i * n + i] += shift;
  return A;
}

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

describe('gmres', () => {
  it('solves a nonsymmetric system to the requested tolerance (vs dense LU)', () => {
    const n = 60;
    const A = randomNonsymmetric(n, 2 * Math.sqrt(n), 1);
    const b = randomVector(n, 2);
    const xStar = getKernels().solve(A, b);
    const rtol = 1e-10;
    const res = gmres(A, b, { rtol, restart: 20 });
    expect(res.converged).toBe(true);
    expect(res.reason).toBe('converged');
    const r = trueResidual(A, res.x, b);
    expect(r).toBeLessThanOrEqual(rtol * norm(b));
    expect(res.residualNorm).toBeCloseTo(r, 12);
    // ‖x − x*‖ ≤ ‖A⁻¹‖·‖r‖; this A's smallest singular value is > 1 (shift 2√n beats ‖G‖ ≈ 2√n only
    // loosely), so compare to a generous multiple of rtol·‖x*‖.
    expect(maxDiff(res.x, xStar)).toBeLessThan(1e-7 * norm(xStar));
    expect(res.history.residual!.length).toBe(res.iterations + 1);
    expect(res.history.residual![0]).toBeCloseTo(norm(b), 12);
  });

  it('terminates within n iterations on an n×n system when restart >= n (exact-arithmetic property)', () => {
    for (const seed of [3, 4, 5]) {
      const n = 16;
      // A plain Gaussian matrix: no eigenvalue clustering, so GMRES needs all n steps in exact arithmetic.
      const A = randomNonsymmetric(n, 0, seed);
      const b = randomVector(n, seed + 100);
      const res = gmres(A, b, { rtol: 1e-10, restart: n, maxIter: n });
      expect(res.converged).toBe(true);
      expect(res.iterations).toBeLessThanOrEqual(n);
      expect(trueResidual(A, res.x, b)).toBeLessThanOrEqual(1e-10 * norm(b));
    }
  });

  it('stops at the happy breakdown: 3 distinct eigenvalues need exactly 3 iterations', () => {
    const n = 30;
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = [1, 3, 7][i % 3];
    const A = diagonalOperator(d);
    const b = randomVector(n, 7);
    const res = gmres(A, b, { rtol: 1e-13, restart: 20 });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(3);
    for (let i = 0; i < n; i++) expect(res.x[i]).toBeCloseTo(b[i] / d[i], 12);
  });

  it('restarted GMRES(m) converges on a 2D Poisson problem; matvecs = iterations + one per cycle', () => {
    const A = poisson2d(12);
    const n = A.rows;
    const b = randomVector(n, 9);
    const res = gmres(A, b, { rtol: 1e-8, restart: 10 });
    expect(res.converged).toBe(true);
    expect(trueResidual(A, res.x, b)).toBeLessThanOrEqual(1e-8 * norm(b));
    const cycles = (res.history.restartResidual as number[]).length;
    expect(cycles).toBe(Math.ceil(res.iterations / 10));
    expect(res.matvecs).toBe(res.iterations + cycles);
    expect(res.residualNorm).toBe((res.history.restartResidual as number[])[cycles - 1]);
  });

  it('right preconditioning with the exact inverse of a diagonal matrix converges in one iteration', () => {
    const n = 40;
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = 1 + i * i;
    const A = diagonalOperator(d);
    const inv = diagonalOperator(d.map((v) => 1 / v));
    const b = randomVector(n, 11);
    const res = gmres(A, b, { rtol: 1e-12, M: inv });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(1);
    for (let i = 0; i < n; i++) expect(res.x[i]).toBeCloseTo(b[i] / d[i], 12);
  });

  it('a preconditioner changes the iterations but not the answer (SPD system, Jacobi-like M)', () => {
    const { matrix: A } = randomSpd(50, 1e3, { seed: 12 });
    const b = randomVector(50, 13);
    const xStar = getKernels().solve(A, b);
    const dinv = new Float64Array(50);
    for (let i = 0; i < 50; i++) dinv[i] = 1 / A.data[i * 50 + i];
    const res = gmres(A, b, { rtol: 1e-11, M: diagonalOperator(dinv), restart: 50 });
    expect(res.converged).toBe(true);
    expect(trueResidual(A, res.x, b)).toBeLessThanOrEqual(1e-11 * norm(b));
    expect(maxDiff(res.x, xStar)).toBeLessThan(1e-11 * 1e3 * norm(xStar));
  });

  it('CGS2 and MGS agree', () => {
    const n = 50;
    const A = randomNonsymmetric(n, 2 * Math.sqrt(n), 14);
    const b = randomVector(n, 15);
    const a = gmres(A, b, { rtol: 1e-10, restart: 15 });
    const c = gmres(A, b, { rtol: 1e-10, restart: 15, orthogonalization: 'cgs2' });
    expect(c.converged).toBe(true);
    expect(Math.abs(a.iterations - c.iterations)).toBeLessThanOrEqual(1);
    expect(maxDiff(a.x, c.x)).toBeLessThan(1e-8);
  });

  it('uses x0 and reports converged at once when x0 solves the system', () => {
    const n = 20;
    const A = randomNonsymmetric(n, 10, 16);
    const b = randomVector(n, 17);
    const xStar = getKernels().solve(A, b);
    const res = gmres(A, b, { x0: xStar, rtol: 1e-8 });
    expect(res.reason).toBe('converged');
    expect(res.iterations).toBe(0);
    expect(res.matvecs).toBe(1);
    const warm = gmres(A, b, { x0: xStar.map((v) => v + 1e-3), rtol: 1e-10 });
    expect(warm.converged).toBe(true);
    expect(trueResidual(A, warm.x, b)).toBeLessThanOrEqual(1e-10 * norm(b));
  });

  it('large n (kernels generated for the solve): the rotated estimate equals the true residual at each restart', () => {
    const A = poisson2d(184); // 33 856 unknowns
    expect(A.rows).toBeGreaterThanOrEqual(8192); // gmres.ts's GENERATE_MIN_LENGTH
    const b = randomVector(A.rows, 24);
    for (const M of [undefined, diagonalOperator(new Float64Array(A.rows).fill(0.25))]) {
      const res = gmres(A, b, { rtol: 0, restart: 10, maxIter: 30, M });
      expect(res.iterations).toBe(30);
      const est = res.history.residual!;
      const restarts = res.history.restartResidual as number[];
      expect(restarts.length).toBe(3);
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(est[10 * (c + 1)] - restarts[c]) / restarts[c]).toBeLessThan(1e-8);
      }
      expect(restarts[2]).toBeLessThan(restarts[0]);
      expect(res.residualNorm).toBeCloseTo(trueResidual(A, res.x, b), 8);
    }
  });

  it('WebAssembly SIMD and JS Gram–Schmidt give the same iterates on 2-D Poisson (to 1e-12 relative)', () => {
    const A = poisson2d(96); // 9216 unknowns: above GENERATE_MIN_LENGTH, so the SIMD path runs
    const b = randomVector(A.rows, 31);
    for (const M of [undefined, diagonalOperator(new Float64Array(A.rows).fill(0.25))]) {
      const opts = { rtol: 0, restart: 30, maxIter: 150, M };
      const js = gmres(A, b, { ...opts, simd: false });
      const wasm = gmres(A, b, opts);
      expect(wasm.iterations).toBe(js.iterations);
      expect(wasm.matvecs).toBe(js.matvecs);
      const relDiff = (p: Float64Array, q: Float64Array) => {
        let d = 0;
        for (let i = 0; i < p.length; i++) d = Math.max(d, Math.abs(p[i] - q[i]));
        return d / Math.max(...Array.from(q, Math.abs));
      };
      expect(relDiff(wasm.x, js.x)).toBeLessThan(1e-12);
      const est = js.history.residual!;
      let differs = false;
      wasm.history.residual!.forEach((r, i) => {
        expect(Math.abs(r - est[i])).toBeLessThanOrEqual(1e-12 * est[i]);
        if (r !== est[i]) differs = true;
      });
      // The inner products round differently, so identical histories would mean the SIMD path never
      // ran (it does not where OPTKIT_NO_SIMD is set).
      expect(differs).toBe(simdAvailable());
      expect(wasm.residualNorm).toBeLessThan(0.05 * norm(b));
    }
  });

  it('matrices of huge or tiny norm (no overflow in the Hessenberg column norms): the answer scales exactly', () => {
    const n = 30;
    const A = randomNonsymmetric(n, 2 * Math.sqrt(n), 28);
    const b = randomVector(n, 29);
    const ref = gmres(A, b, { rtol: 1e-10, restart: 8 });
    for (const c of [1e200, 1e-200]) {
      const res = gmres(scaledOperator(c, denseOperator(A)), b, { rtol: 1e-10, restart: 8 });
      expect(res.converged).toBe(true);
      expect(Math.abs(res.iterations - ref.iterations)).toBeLessThanOrEqual(1);
      expect(maxDiff(res.x.map((v) => v * c), ref.x)).toBeLessThan(1e-8 * norm(ref.x));
    }
    // The same with kernels generated for a large system (n = 33 856).
    const P = poisson2d(184);
    const pb = randomVector(P.rows, 30);
    const big = gmres(scaledOperator(1e160, csrOperator(P)), pb, { rtol: 0, restart: 10, maxIter: 20 });
    const plain = gmres(P, pb, { rtol: 0, restart: 10, maxIter: 20 });
    expect(big.residualNorm).toBeCloseTo(plain.residualNorm, 8);
    expect(maxDiff(big.x.map((v) => v * 1e160), plain.x)).toBeLessThan(1e-10 * norm(plain.x));
  });

  it('zero right-hand side returns zeros at once', () => {
    const res = gmres(randomNonsymmetric(5, 3, 1), new Float64Array(5), { x0: new Float64Array(5).fill(1) });
    expect(res.reason).toBe('zeroRhs');
    expect(res.converged).toBe(true);
    expect(Array.from(res.x)).toEqual([0, 0, 0, 0, 0]);
    expect(res.iterations).toBe(0);
  });

  it('reports maxIter without converging', () => {
    const A = poisson2d(16);
    const b = randomVector(A.rows, 18);
    const res = gmres(A, b, { rtol: 1e-12, restart: 5, maxIter: 12 });
    expect(res.converged).toBe(false);
    expect(res.reason).toBe('maxIter');
    expect(res.iterations).toBe(12);
    expect(res.residualNorm).toBeCloseTo(trueResidual(A, res.x, b), 10);
    expect(res.residualNorm).toBeLessThan(norm(b));
  });

  it('singular A with b outside its range: breakdown, finite x, no loop', () => {
    const A = DenseMatrix.fromRows([
      [1, 0],
      [0, 0],
    ]);
    const b = Float64Array.from([1, 1]);
    const res = gmres(A, b, { rtol: 1e-10 });
    expect(res.reason).toBe('breakdown');
    expect(res.converged).toBe(false);
    expect(res.x.every(Number.isFinite)).toBe(true);
    // The best approximation from span{b} (the first column only).
    expect(res.residualNorm).toBeCloseTo(trueResidual(A, res.x, b), 12);
    expect(res.residualNorm).toBeLessThan(norm(b));
  });

  it('singular preconditioner (M = 0): breakdown, x unchanged', () => {
    const A = randomNonsymmetric(6, 5, 22);
    const res = gmres(A, randomVector(6, 23), { M: functionOperator(6, 6, (_x, out) => out.fill(0)) });
    expect(res.reason).toBe('breakdown');
    expect(res.x.every((v) => v === 0)).toBe(true);
  });

  it('NaN written into a CSR matrix after construction: breakdown, finite x', () => {
    const A = poisson2d(4);
    A.values[5] = Number.NaN;
    A.markModified();
    const res = gmres(A, randomVector(16, 25));
    expect(res.reason).toBe('breakdown');
    expect(res.x.every(Number.isFinite)).toBe(true);
  });

  it('solves a symmetric indefinite system too (vs dense LU)', () => {
    const n = 40;
    const G = randomNonsymmetric(n, 0, 26);
    const S = DenseMatrix.zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S.data[i * n + j] = G.data[i * n + j] + G.data[j * n + i];
    const b = randomVector(n, 27);
    const res = gmres(S, b, { rtol: 1e-10, restart: n });
    expect(res.converged).toBe(true);
    expect(trueResidual(S, res.x, b)).toBeLessThanOrEqual(1e-10 * norm(b) * 1.01);
    const xStar = getKernels().solve(S, b);
    const cond = 1e4; // loose bound on this random symmetric matrix's condition number
    expect(maxDiff(res.x, xStar)).toBeLessThan(cond * 1e-10 * norm(xStar));
  });

  it('an operator returning NaN gives breakdown with a finite x', () => {
    const A = functionOperator(4, 4, (x, out) => {
      out.set(x);
      out[2] = Number.NaN;
    });
    const res = gmres(A, Float64Array.from([1, 2, 3, 4]));
    expect(res.reason).toBe('breakdown');
    expect(res.x.every(Number.isFinite)).toBe(true);
  });

  it('callback returning false stops; AbortSignal stops', () => {
    const A = poisson2d(16);
    const b = randomVector(A.rows, 19);
    const seen: number[] = [];
    const res = gmres(A, b, {
      rtol: 1e-12,
      callback: (it, r) => {
        seen.push(r);
        return it < 4;
      },
    });
    expect(res.reason).toBe('callback');
    expect(res.iterations).toBe(4);
    expect(seen.length).toBe(4);
    expect(res.residualNorm).toBeCloseTo(trueResidual(A, res.x, b), 10);
    const ctl = new AbortController();
    const aborted = gmres(A, b, {
      rtol: 1e-12,
      signal: ctl.signal,
      callback: (it) => {
        if (it === 3) ctl.abort();
      },
    });
    expect(aborted.reason).toBe('aborted');
    expect(aborted.iterations).toBe(3);
  });

  it('bad input throws OptkitError with the right code', () => {
    const A = randomNonsymmetric(4, 3, 20);
    const b = randomVector(4, 21);
    expectCode(() => gmres(A, b, { restart: 0 }), 'INVALID_OPTION');
    expectCode(() => gmres(A, b, { restart: -3 }), 'INVALID_OPTION');
    expectCode(() => gmres(A, b, { restart: 2.5 }), 'INVALID_OPTION');
    expectCode(() => gmres(A, b, { rtol: -1 }), 'INVALID_OPTION');
    expectCode(() => gmres(A, b, { maxIter: -1 }), 'INVALID_OPTION');
    expectCode(() => gmres(new DenseMatrix(3, 4), randomVector(3, 1)), 'SHAPE_MISMATCH');
    expectCode(() => gmres(A, randomVector(5, 1)), 'SHAPE_MISMATCH');
    expectCode(() => gmres(A, Float64Array.from([1, Number.NaN, 0, 0])), 'NOT_FINITE');
    expectCode(() => gmres(A, b, { x0: Float64Array.from([0, 0, Infinity, 0]) }), 'NOT_FINITE');
    expectCode(() => CsrMatrix.fromDense({ rows: 2, cols: 2, data: Float64Array.from([1, Number.NaN, 0, 1]) }), 'NOT_FINITE');
    expectCode(() => gmres(A, b, { M: diagonalOperator([1, 1, 1]) }), 'SHAPE_MISMATCH');
  });
});
