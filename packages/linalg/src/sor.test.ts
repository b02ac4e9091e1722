import { describe, expect, it } from 'vitest';
import { CsrMatrix, DenseMatrix, OptkitError, Rng, getKernels, poisson2d } from '@optkit/core';
import { sor } from './sor.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  return undefined;
}

describe('sor', () => {
  it('with ω = 1 equals Gauss–Seidel sweeps written out densely', () => {
    const A = poisson2d(4);
    const n = A.rows;
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const D: number[][] = Array.from({ length: n }, () => new Array(n).fill(0));
    for (let i = 0; i < n; i++) for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) D[i][A.indices[p]] = A.values[p];
    const x = new Float64Array(n);
    for (let sweep = 0; sweep < 7; sweep++) {
      for (let i = 0; i < n; i++) {
        let s = b[i];
        for (let j = 0; j < n; j++) if (j !== i) s -= D[i][j] * x[j];
        x[i] = s / D[i][i];
      }
    }
    const r = sor(A, b, { omega: 1, maxIter: 7, tol: 0 });
    expect(r.iterations).toBe(7);
    expect(r.reason).toBe('maxIter');
    for (let i = 0; i < n; i++) expect(r.x[i]).toBeCloseTo(x[i], 14);
  });

  it('converges to the direct solution and records the residual per sweep', () => {
    const A = poisson2d(8);
    const b = Float64Array.from({ length: A.rows }, (_, i) => ((i * 7) % 5) - 2);
    const r = sor(A, b, { omega: 1.6, tol: 1e-10 });
    expect(r.converged).toBe(true);
    expect(r.history.residual!.length).toBe(r.iterations + 1);
    expect(r.residualNorm).toBeLessThanOrEqual(1e-10 * r.initialResidualNorm);
    const dense = new DenseMatrix(A.rows, A.cols);
    for (let i = 0; i < A.rows; i++) for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) dense.data[i * A.cols + A.indices[p]] = A.values[p];
    const exact = getKernels().solve(dense, b);
    for (let i = 0; i < A.rows; i++) expect(r.x[i]).toBeCloseTo(exact[i], 7);
  });

  it('on a 2×2 SPD system contracts per step at the closed-form spectral radius of I − M_ω⁻¹A', () => {
    // A = [[2, 1], [1, 2]]: Jacobi radius β = 1/2; consistently ordered, so for ω ≤ ω* the SOR
    // iteration matrix has spectral radius ((ωβ + √(ω²β² − 4(ω − 1)))/2)², and 1 − ω beyond ω*.
    const A = CsrMatrix.fromDense({ rows: 2, cols: 2, data: Float64Array.from([2, 1, 1, 2]) });
    const b = Float64Array.from([1, -3]);
    for (const omega of [0.8, 1, 1.05]) {
      const beta = 0.5;
      const disc = omega * omega * beta * beta - 4 * (omega - 1);
      const rho = disc >= 0 ? ((omega * beta + Math.sqrt(disc)) / 2) ** 2 : omega - 1;
      // Asymptotically the residual shrinks by ρ per sweep (the other eigenvalue's share dies out).
      // Not too many sweeps: b − Ax loses relative accuracy as the residual approaches rounding level.
      const sweeps = Math.max(5, Math.ceil(Math.log(1e-6) / Math.log(rho)));
      const res = sor(A, b, { omega, tol: 0, maxIter: sweeps }).history.residual!;
      expect(res.length).toBe(sweeps + 1);
      expect(res[sweeps] / res[sweeps - 1]).toBeCloseTo(rho, 7);
    }
  });

  it("on the 10×10 Laplacian the best ω on a fine grid is within 0.02 of Young's ω*", () => {
    const A = poisson2d(10);
    // The paper's right-hand sides (standard normal); a smooth b has a long transient that favours smaller ω.
    const rng = new Rng(3);
    const rhs = Array.from({ length: 5 }, () => rng.fillNormal(new Float64Array(A.rows)));
    const b = rhs[0];
    const young = 2 / (1 + Math.sin(Math.PI / 11));
    let bestOmega = 0;
    let bestIters = Infinity;
    for (let omega = 1.4; omega <= 1.7 + 1e-12; omega += 0.005) {
      let it = 0;
      for (const r of rhs) it += sor(A, r, { omega }).iterations;
      if (it < bestIters) {
        bestIters = it;
        bestOmega = omega;
      }
    }
    expect(Math.abs(bestOmega - young)).toBeLessThanOrEqual(0.02);
    // and far fewer sweeps than Gauss–Seidel
    expect(bestIters / rhs.length).toBeLessThan(0.25 * sor(A, b, { omega: 1 }).iterations);
  });

  it('SSOR sweeps converge and a zero right-hand side returns at once', () => {
    const A = poisson2d(6);
    const b = Float64Array.from({ length: A.rows }, (_, i) => 1 + (i % 3));
    const r = sor(A, b, { omega: 1.5, symmetric: true, tol: 1e-9 });
    expect(r.converged).toBe(true);
    const zero = sor(A, new Float64Array(A.rows));
    expect(zero.reason).toBe('zeroRhs');
    expect(zero.iterations).toBe(0);
    expect(Array.from(zero.x).every((v) => v === 0)).toBe(true);
  });

  it('stops at maxIter, honours an aborted signal, and reports divergence as breakdown', () => {
    const A = poisson2d(6);
    const b = Float64Array.from({ length: A.rows }, () => 1);
    expect(sor(A, b, { maxIter: 3 }).reason).toBe('maxIter');
    const ac = new AbortController();
    ac.abort();
    expect(sor(A, b, { signal: ac.signal }).reason).toBe('aborted');
    // A strongly non-diagonally-dominant nonsymmetric matrix: SOR blows up.
    const bad = CsrMatrix.fromDense({ rows: 2, cols: 2, data: Float64Array.from([1, 1e150, 1e150, 1]) });
    const r = sor(bad, Float64Array.from([1, 1]), { maxIter: 50 });
    expect(r.converged).toBe(false);
    expect(['breakdown', 'maxIter']).toContain(r.reason);
  });

  it('refuses bad input with named OptkitErrors', () => {
    const A = poisson2d(3);
    const b = new Float64Array(9).fill(1);
    expect(codeOf(() => sor(A, new Float64Array(8)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sor(CsrMatrix.fromDense({ rows: 2, cols: 3, data: new Float64Array(6).fill(1) }), Float64Array.from([1, 1])))).toBe('SHAPE_MISMATCH');
    for (const omega of [0, 2, -1, Number.NaN]) expect(codeOf(() => sor(A, b, { omega }))).toBe('INVALID_OPTION');
    expect(codeOf(() => sor(A, b, { tol: -1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => sor(A, b, { maxIter: 1.5 }))).toBe('INVALID_OPTION');
    const nanB = b.slice();
    nanB[4] = Number.NaN;
    expect(codeOf(() => sor(A, nanB))).toBe('NOT_FINITE');
    const nanA = poisson2d(3);
    nanA.values[0] = Number.NaN;
    expect(codeOf(() => sor(nanA, b))).toBe('NOT_FINITE');
    const noDiag = CsrMatrix.fromDense({ rows: 2, cols: 2, data: Float64Array.from([0, 1, 1, 2]) });
    expect(() => sor(noDiag, Float64Array.from([1, 1]))).toThrow(/A\[0,0\]/);
    expect(codeOf(() => sor(A, b, { x0: new Float64Array(3) }))).toBe('SHAPE_MISMATCH');
  });
});
