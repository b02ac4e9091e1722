import { describe, it, expect } from 'vitest';
import { CsrMatrix, DenseMatrix, OptkitError, Rng, getKernels, poisson1d, poisson2d } from '@optkit/core';
import { cg } from './cg.js';
import { gmres } from './gmres.js';
import { ichol0, ilu0, jacobi, ssor } from './preconditioners.js';
import type { Preconditioner } from './krylov-options.js';

function randomVector(n: number, seed: number): Float64Array {
  return new Rng(seed).fillNormal(new Float64Array(n));
}

function toDense(A: CsrMatrix): DenseMatrix {
  const D = DenseMatrix.zeros(A.rows, A.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) D.data[i * A.cols + A.indices[k]] = A.values[k];
  }
  return D;
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function expectCode(fn: () => unknown, code: string, messagePart?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
  if (messagePart !== undefined) expect((caught as OptkitError).message).toContain(messagePart);
}

/**
 * Upwind convection–diffusion on an m×m grid: the 5-point Laplacian plus c·(u_i − u_{i−1}) in both
 * directions (nonsymmetric, an M-matrix, diagonally dominant).
 */
function convectionDiffusion(m: number, c: number): CsrMatrix {
  const P = poisson2d(m);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < P.rows; i++) {
    for (let k = P.indptr[i]; k < P.indptr[i + 1]; k++) {
      const j = P.indices[k];
      let v = P.values[k];
      if (j === i) v += 2 * c;
      else if (j === i - 1 || j === i - m) v -= c;
      rows.push(i);
      cols.push(j);
      vals.push(v);
    }
  }
  return CsrMatrix.fromCoo(P.rows, P.cols, rows, cols, vals);
}

describe('jacobi', () => {
  it('applies D⁻¹', () => {
    const A = CsrMatrix.fromDense(DenseMatrix.fromRows([
      [2, 1, 0],
      [0, -4, 1],
      [3, 0, 0.5],
    ]));
    const M = jacobi(A);
    expect(Array.from(M.apply(Float64Array.from([2, 4, 1])))).toEqual([1, -1, 2]);
    expect(Array.from(M.diagonal)).toEqual([2, -4, 0.5]);
  });

  it('changes nothing on 2D Poisson (constant diagonal: M = I/4): identical CG and GMRES iterations', () => {
    // With M = I/4 every PCG quantity is a power-of-two rescaling of CG's (z = r/4, α ×4, p /4), so
    // the iterates agree up to the summation order of rᵀz versus ‖r‖² (rounding only); GMRES's Krylov
    // space of A·M = A/4 is that of A.
    const A = poisson2d(32);
    const b = randomVector(A.rows, 1);
    const M = jacobi(A);
    const plain = cg(A, b, { rtol: 1e-8 });
    const pre = cg(A, b, { rtol: 1e-8, M });
    expect(pre.iterations).toBe(plain.iterations);
    let xmax = 0;
    for (const v of plain.x) xmax = Math.max(xmax, Math.abs(v));
    expect(maxDiff(pre.x, plain.x)).toBeLessThan(1e-12 * xmax);
    const g = gmres(A, b, { rtol: 1e-8, restart: 30 });
    const gp = gmres(A, b, { rtol: 1e-8, restart: 30, M });
    expect(gp.iterations).toBe(g.iterations);
  });
});

describe('ssor', () => {
  it('applies ω(2−ω)(D+ωU)⁻¹ D (D+ωL)⁻¹ (checked through its inverse, nonsymmetric A)', () => {
    const Ad = DenseMatrix.fromRows([
      [4, -1, 0, 2],
      [1, 5, -2, 0],
      [0, 3, 6, 1],
      [-1, 0, 2, 3],
    ]);
    const A = CsrMatrix.fromDense(Ad);
    for (const omega of [1, 0.7, 1.5]) {
      const M = ssor(A, { omega });
      const r = randomVector(4, 2);
      const z = M.apply(r);
      // M⁻¹ = (D + ωL) D⁻¹ (D + ωU) / (ω(2 − ω)); M⁻¹ z must give r back.
      const n = 4;
      const DL = DenseMatrix.zeros(n, n);
      const DU = DenseMatrix.zeros(n, n);
      const Dinv = DenseMatrix.zeros(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const a = Ad.get(i, j);
          if (i === j) {
            DL.set(i, j, a);
            DU.set(i, j, a);
            Dinv.set(i, j, 1 / a);
          } else if (j < i) DL.set(i, j, omega * a);
          else DU.set(i, j, omega * a);
        }
      }
      const back = DL.mul(Dinv).mul(DU).gemv(z).map((v) => v / (omega * (2 - omega)));
      expect(maxDiff(back, r)).toBeLessThan(1e-13);
      // In place gives the same result.
      const inPlace = Float64Array.from(r);
      M.apply(inPlace, inPlace);
      expect(maxDiff(inPlace, z)).toBe(0);
    }
  });
});

describe('ichol0', () => {
  it('equals the exact Cholesky factor on a tridiagonal SPD matrix (no fill)', () => {
    const A = poisson1d(8);
    const { L } = ichol0(A);
    const exact = getKernels().cholesky(toDense(A));
    expect(maxDiff(toDense(L).data, exact.data)).toBeLessThan(1e-14);
    const b = randomVector(8, 3);
    const z = ichol0(A).apply(b);
    expect(maxDiff(z, getKernels().solve(toDense(A), b))).toBeLessThan(1e-13);
  });

  it('matches A on its own pattern (L Lᵀ)_ij = a_ij, with L on the pattern of tril(A)', () => {
    const A = poisson2d(6);
    const { L } = ichol0(A);
    const LLt = toDense(L).mul(toDense(L).transpose());
    for (let i = 0; i < A.rows; i++) {
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
        expect(LLt.get(i, A.indices[k])).toBeCloseTo(A.values[k], 13);
      }
      for (let k = L.indptr[i]; k < L.indptr[i + 1]; k++) expect(L.indices[k]).toBeLessThanOrEqual(i);
    }
    // Fill positions (e.g. (m, 1) for m = 6) are not matched: IC(0) is incomplete there.
    expect(L.nnz).toBe((A.nnz + A.rows) / 2);
  });

  it('rejects an indefinite or nonsymmetric matrix with NOT_SPD (a pivot <= 0), never NaN', () => {
    const indef = CsrMatrix.fromDense(DenseMatrix.fromRows([
      [1, 2, 0],
      [2, 1, 0],
      [0, 0, 3],
    ]));
    expectCode(() => ichol0(indef), 'NOT_SPD', 'row 1');
    const nonsym = CsrMatrix.fromDense(DenseMatrix.fromRows([
      [4, 1],
      [0.5, 4],
    ]));
    expectCode(() => ichol0(nonsym), 'NOT_SPD', 'symmetric');
    const negDiag = CsrMatrix.fromDense(DenseMatrix.fromRows([
      [-1, 0],
      [0, 1],
    ]));
    expectCode(() => ichol0(negDiag), 'NOT_SPD', 'row 0');
  });
});

describe('ilu0', () => {
  it('equals the exact LU where LU has no fill (nonsymmetric tridiagonal), and solves A exactly', () => {
    const Ad = DenseMatrix.fromRows([
      [4, -1, 0, 0, 0],
      [2, 5, -1, 0, 0],
      [0, 1, 3, 2, 0],
      [0, 0, -2, 6, 1],
      [0, 0, 0, 1, 2],
    ]);
    const A = CsrMatrix.fromDense(Ad);
    const P = ilu0(A);
    const { L, U } = P.factors();
    expect(maxDiff(toDense(L).mul(toDense(U)).data, Ad.data)).toBeLessThan(1e-14);
    // Doolittle by hand on the first rows: l_10 = 2/4, u_11 = 5 + 1/2.
    expect(toDense(L).get(1, 0)).toBe(0.5);
    expect(toDense(U).get(1, 1)).toBe(5.5);
    for (let i = 0; i < 5; i++) expect(toDense(L).get(i, i)).toBe(1);
    const b = randomVector(5, 4);
    expect(maxDiff(P.apply(b), getKernels().solve(Ad, b))).toBeLessThan(1e-13);
  });

  it('matches A on its pattern when LU would fill in, and equals IC(0) on a symmetric matrix', () => {
    const A = convectionDiffusion(6, 0.7);
    const { L, U } = ilu0(A).factors();
    const LU = toDense(L).mul(toDense(U));
    for (let i = 0; i < A.rows; i++) {
      for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) expect(LU.get(i, A.indices[k])).toBeCloseTo(A.values[k], 13);
    }
    // For symmetric A, ILU(0) and IC(0) are the same matrix M (L_ilu = L_ic·diag(L_ic)⁻¹).
    const S = poisson2d(8);
    const r = randomVector(S.rows, 5);
    expect(maxDiff(ilu0(S).apply(r), ichol0(S).apply(r))).toBeLessThan(1e-13);
  });

  it('zero pivot: SINGULAR naming the row', () => {
    const A = CsrMatrix.fromDense(DenseMatrix.fromRows([
      [1, 1],
      [1, 1],
    ]));
    expectCode(() => ilu0(A), 'SINGULAR', 'row 1');
  });
});

describe('preconditioners on 2D Poisson (as theory says)', () => {
  it('SSOR, IC(0) and ILU(0) cut CG/GMRES iterations; SSOR with the optimal ω improves the order', () => {
    // CG on the m×m Poisson matrix: κ = O(h⁻²), so iterations grow like 1/h (×2 per grid doubling).
    // SSOR(ω=1) and IC(0) keep κ = O(h⁻²) with a smaller constant (the same ×2 growth, fewer
    // iterations); SSOR with ω = 2/(1 + sin πh) gives κ = O(h⁻¹) (Axelsson & Barker 1984; Saad 2003
    // §10.2), iterations growing like h^(−1/2): ×√2 per doubling.
    const count = (m: number) => {
      const A = poisson2d(m);
      const b = randomVector(A.rows, 6);
      const h = 1 / (m + 1);
      const it = (M?: Preconditioner) => {
        const r = cg(A, b, { rtol: 1e-8, M });
        expect(r.converged).toBe(true);
        return r.iterations;
      };
      return {
        none: it(),
        ssor1: it(ssor(A)),
        ssorOpt: it(ssor(A, { omega: 2 / (1 + Math.sin(Math.PI * h)) })),
        ic0: it(ichol0(A)),
        ilu0: it(ilu0(A)),
      };
    };
    const c32 = count(32);
    const c64 = count(64);
    // Measured (seeded b): 32×32 none 100, SSOR(1) 40, SSOR(ω*) 24, IC(0) 35; 64×64: 197, 77, 34, 65.
    expect(c32.ic0).toBeLessThanOrEqual(0.5 * c32.none);
    expect(c32.ilu0).toBe(c32.ic0);
    expect(c32.ssor1).toBeLessThanOrEqual(0.5 * c32.none);
    expect(c32.ssorOpt).toBeLessThan(c32.ssor1);
    const growth = (k: keyof typeof c32) => c64[k] / c32[k];
    expect(growth('none')).toBeGreaterThan(1.8);
    expect(growth('none')).toBeLessThan(2.2);
    expect(growth('ic0')).toBeGreaterThan(1.6);
    expect(growth('ssor1')).toBeGreaterThan(1.6);
    expect(growth('ssorOpt')).toBeGreaterThan(1.2);
    expect(growth('ssorOpt')).toBeLessThan(1.6);
  });

  it('ILU(0) cuts right-preconditioned GMRES iterations on a nonsymmetric convection–diffusion matrix', () => {
    const A = convectionDiffusion(32, 1);
    const b = randomVector(A.rows, 7);
    const plain = gmres(A, b, { rtol: 1e-8, restart: 30 });
    const pre = gmres(A, b, { rtol: 1e-8, restart: 30, M: ilu0(A) });
    expect(plain.converged && pre.converged).toBe(true);
    expect(pre.iterations).toBeLessThanOrEqual(0.5 * plain.iterations);
  });
});

describe('bad input', () => {
  it('throws OptkitError with the right code', () => {
    const rect = CsrMatrix.fromDense({ rows: 2, cols: 3, data: Float64Array.from([1, 0, 0, 0, 1, 0]) });
    const missingDiag = CsrMatrix.fromCoo(3, 3, [0, 1, 2, 2], [0, 2, 1, 2], [1, 1, 1, 1]);
    const zeroDiag = new CsrMatrix(2, 2, [0, 2, 4], [0, 1, 0, 1], [1, 2, 2, 0]);
    for (const build of [jacobi, ssor, ichol0, ilu0] as ((A: CsrMatrix) => unknown)[]) {
      expectCode(() => build(rect), 'SHAPE_MISMATCH');
      expectCode(() => build(missingDiag), 'SINGULAR', 'row 1');
      expectCode(() => build(zeroDiag), 'SINGULAR', 'row 1');
      expectCode(() => build(toDense(poisson1d(3)) as unknown as CsrMatrix), 'INVALID_ARGUMENT');
      const nan = poisson1d(3);
      nan.values[2] = Number.NaN;
      expectCode(() => build(nan), 'NOT_FINITE');
    }
    expectCode(() => ssor(poisson1d(3), { omega: 0 }), 'INVALID_OPTION');
    expectCode(() => ssor(poisson1d(3), { omega: 2 }), 'INVALID_OPTION');
    const M = ilu0(poisson1d(3));
    expectCode(() => M.apply(new Float64Array(4)), 'SHAPE_MISMATCH');
    const buf = new Float64Array(5);
    expectCode(() => M.apply(buf.subarray(0, 3), buf.subarray(1, 4)), 'INVALID_ARGUMENT');
  });
});
