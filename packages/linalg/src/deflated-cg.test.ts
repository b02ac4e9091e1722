import { CsrMatrix, DenseMatrix, OptkitError, Rng, poisson2d, type LinearOperator } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { cg } from './cg.js';
import { deflatedCg } from './deflated-cg.js';
import { ichol0 } from './preconditioners.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));

/** ‖b − A x‖ for a CSR A. */
function trueResidual(A: CsrMatrix, x: Float64Array, b: Float64Array): number {
  const r = A.spmv(x);
  for (let i = 0; i < r.length; i++) r[i] = b[i] - r[i];
  return norm(r);
}

/**
 * The exact eigenpairs of poisson2d(N) (diag 4, −1 neighbours, unknown i·N + j): unit vectors
 * sin((i+1)pπ/(N+1))·sin((j+1)qπ/(N+1)), eigenvalue 4 − 2cos(pπ/(N+1)) − 2cos(qπ/(N+1)), p, q = 1..N,
 * sorted ascending.
 */
function poissonEigenpairs(N: number): Array<{ value: number; vector: Float64Array }> {
  const h = Math.PI / (N + 1);
  const pairs: Array<{ value: number; vector: Float64Array }> = [];
  for (let p = 1; p <= N; p++) {
    for (let q = 1; q <= N; q++) {
      const v = new Float64Array(N * N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) v[i * N + j] = Math.sin((i + 1) * p * h) * Math.sin((j + 1) * q * h);
      const s = 1 / norm(v);
      for (let t = 0; t < v.length; t++) v[t] *= s;
      pairs.push({ value: 4 - 2 * Math.cos(p * h) - 2 * Math.cos(q * h), vector: v });
    }
  }
  return pairs.sort((a, b) => a.value - b.value);
}

describe('deflatedCg', () => {
  it('diagonal A, W = the k smallest exact eigenvectors: iterations equal CG on A with those eigenvalues removed (±1)', () => {
    const n = 400;
    const k = 5;
    const rng = new Rng(1);
    // Five small outliers below a cluster in [1, 100]: CG pays for the outliers, deflation removes them.
    const lambda = new Float64Array(n);
    const small = [1e-4, 5e-4, 2e-3, 1e-2, 5e-2];
    for (let i = 0; i < n; i++) lambda[i] = i < k ? small[i] : 1 + 99 * rng.uniform();
    const A = CsrMatrix.diag(lambda);
    const b = rng.fillNormal(new Float64Array(n));
    const W = new DenseMatrix(n, k);
    for (let j = 0; j < k; j++) W.data[j * k + j] = 1;
    const rtol = 1e-10;
    const def = deflatedCg(A, b, { W, rtol });
    const reduced = cg(CsrMatrix.diag(lambda.subarray(k)), b.slice(k), { rtol: 0, atol: rtol * norm(b) });
    const full = cg(A, b, { rtol });
    expect(def.converged && reduced.converged && full.converged).toBe(true);
    expect(Math.abs(def.iterations - reduced.iterations)).toBeLessThanOrEqual(1);
    expect(def.iterations).toBeLessThan(0.75 * full.iterations);
    expect(def.residualNorm).toBeLessThanOrEqual(rtol * norm(b) * (1 + 1e-6));
    expect(def.deflationDim).toBe(k);
    expect(def.setupMatvecs).toBe(k);
    // The deflated start solves the deflated components exactly: x₀ = W(WᵀAW)⁻¹Wᵀb.
    for (let j = 0; j < k; j++) expect(def.x[j]).toBeCloseTo(b[j] / lambda[j], 8);
  });

  it('2-D Poisson 16×16, W = the 8 smallest exact sine eigenvectors: iterations equal CG on the complement (±1), far fewer than CG', () => {
    const N = 16;
    const A = poisson2d(N);
    const pairs = poissonEigenpairs(N);
    // The closed form is right: A v = λ v.
    const Av = A.spmv(pairs[0].vector);
    expect(norm(Av.map((v, i) => v - pairs[0].value * pairs[0].vector[i]))).toBeLessThan(1e-12);
    const k = 8;
    const W = pairs.slice(0, k).map((p) => p.vector);
    const b = new Rng(2).fillNormal(new Float64Array(N * N));
    // CG on A with the k smallest eigenvalues removed = CG on A with b's components along them removed
    // (the complement is invariant), at the same absolute threshold.
    const bPerp = b.slice();
    for (const w of W) {
      let c = 0;
      for (let i = 0; i < bPerp.length; i++) c += w[i] * bPerp[i];
      for (let i = 0; i < bPerp.length; i++) bPerp[i] -= c * w[i];
    }
    for (const rtol of [1e-6, 1e-10]) {
      const def = deflatedCg(A, b, { W, rtol });
      const removed = cg(A, bPerp, { rtol: 0, atol: rtol * norm(b) });
      const plain = cg(A, b, { rtol });
      expect(def.converged).toBe(true);
      expect(Math.abs(def.iterations - removed.iterations)).toBeLessThanOrEqual(1);
      expect(def.iterations).toBeLessThan(plain.iterations);
      expect(trueResidual(A, def.x, b)).toBeLessThanOrEqual(rtol * norm(b) * (1 + 1e-6));
    }
    // Deflation on top of IC(0): converges to the tolerance in no more iterations than IC(0)-PCG.
    const M = ichol0(A);
    const dpcg = deflatedCg(A, b, { W, M, rtol: 1e-10 });
    expect(dpcg.converged).toBe(true);
    expect(trueResidual(A, dpcg.x, b)).toBeLessThanOrEqual(1e-10 * norm(b) * (1 + 1e-6));
    expect(dpcg.iterations).toBeLessThanOrEqual(cg(A, b, { M, rtol: 1e-10 }).iterations);
    // The same space given as a DenseMatrix (other column scales, other order) gives the same count.
    const Wd = new DenseMatrix(N * N, k);
    for (let j = 0; j < k; j++) for (let i = 0; i < N * N; i++) Wd.data[i * k + j] = (j + 1) * W[k - 1 - j][i];
    const a = deflatedCg(A, b, { W, rtol: 1e-10 });
    const c = deflatedCg(A, b, { W: Wd, rtol: 1e-10 });
    expect(Math.abs(a.iterations - c.iterations)).toBeLessThanOrEqual(1);
  });

  it('with W empty it is cg: the same iterations, history and x, with and without a preconditioner and x0', () => {
    const A = poisson2d(12);
    const b = new Rng(3).fillNormal(new Float64Array(144));
    const x0 = new Rng(4).fillNormal(new Float64Array(144));
    const M = ichol0(A);
    for (const options of [{ rtol: 1e-9 }, { rtol: 1e-9, M }, { rtol: 1e-9, x0 }, { rtol: 1e-7, M, x0, maxIter: 7 }]) {
      const ref = cg(A, b, options);
      for (const W of [new DenseMatrix(144, 0), [] as Float64Array[]]) {
        const def = deflatedCg(A, b, { ...options, W });
        expect(def.iterations).toBe(ref.iterations);
        expect(def.reason).toBe(ref.reason);
        expect(def.history.residual).toEqual(ref.history.residual);
        expect(Array.from(def.x)).toEqual(Array.from(ref.x));
        expect(def.residualNorm).toBe(ref.residualNorm);
        expect(def.deflationDim).toBe(0);
      }
    }
    // deflationDim 0 without W: plain CG too, no Lanczos.
    const none = deflatedCg(A, b, { deflationDim: 0, rtol: 1e-9 });
    expect(none.iterations).toBe(cg(A, b, { rtol: 1e-9 }).iterations);
    expect(none.setupMatvecs).toBe(0);
  });

  // Measured (rtol 1e-8, these b): 24×24 Poisson, CG 74 iterations; 16 Ritz vectors from the default 64
  // Lanczos steps 60; from 256 or 576 (= n) steps 40. 16×16: CG 51; 64 steps 40; 128 or 256 steps 27. A single Lanczos start vector sees one direction
  // per eigenspace until the Krylov space becomes invariant, and this Laplacian's eigenvalues come in
  // pairs, so few steps deflate only half of each low pair.
  it('default W: 16 Lanczos Ritz vectors cut the iterations, exact ones (lanczosSteps = n) more; W is reusable', () => {
    const N = 24;
    const A = poisson2d(N);
    const b = new Rng(5).fillNormal(new Float64Array(N * N));
    const first = deflatedCg(A, b, { rtol: 1e-8 });
    const plain = cg(A, b, { rtol: 1e-8 });
    expect(first.converged).toBe(true);
    expect(first.deflationDim).toBe(16);
    expect(first.W.rows).toBe(N * N);
    expect(first.W.cols).toBe(16);
    expect(first.setupMatvecs).toBe(64 + 16);
    expect(first.iterations).toBeLessThan(plain.iterations);
    expect(trueResidual(A, first.x, b)).toBeLessThanOrEqual(1e-8 * norm(b) * (1 + 1e-6));
    // The smallest Ritz value approximates the smallest eigenvalue from above (Rayleigh–Ritz; Lanczos
    // finds the extremes first): 2.6e-7 above it after 64 steps here.
    const exact = poissonEigenpairs(N).map((p) => p.value);
    expect(first.ritzValues![0]).toBeGreaterThanOrEqual(exact[0] - 1e-12);
    expect(first.ritzValues![0] - exact[0]).toBeLessThan(1e-4 * exact[0]);
    expect(Array.from(first.ritzValues!)).toEqual(Array.from(first.ritzValues!).sort((p, q) => p - q));
    // Lanczos run to n steps: the Ritz pairs are the exact 16 smallest eigenpairs, and the effective
    // condition number drops from λ_n/λ_1 to λ_n/λ_17.
    // (On the 16×16 grid, n = 256, to keep the dense eigensolve of the tridiagonal matrix short.)
    const A16 = poisson2d(16);
    const b16 = new Rng(5).fillNormal(new Float64Array(256));
    const exact16 = poissonEigenpairs(16).map((p) => p.value);
    const full = deflatedCg(A16, b16, { rtol: 1e-8, lanczosSteps: 256 });
    for (let j = 0; j < 16; j++) expect(full.ritzValues![j]).toBeCloseTo(exact16[j], 9);
    expect(full.iterations).toBeLessThan(0.6 * cg(A16, b16, { rtol: 1e-8 }).iterations);
    const b2 = new Rng(6).fillNormal(new Float64Array(256));
    const again = deflatedCg(A16, b2, { W: full.W, rtol: 1e-8 });
    expect(again.converged).toBe(true);
    expect(again.setupMatvecs).toBe(16);
    expect(again.ritzValues).toBeUndefined();
    expect(again.iterations).toBeLessThan(0.6 * cg(A16, b2, { rtol: 1e-8 }).iterations);
    // Same seed, same Lanczos, same result.
    expect(deflatedCg(A, b, { rtol: 1e-8 }).iterations).toBe(first.iterations);
  });

  it('x0, zero right-hand side, callback and breakdown', () => {
    const A = poisson2d(10);
    const b = new Rng(7).fillNormal(new Float64Array(100));
    const x0 = new Float64Array(100).fill(1);
    const r = deflatedCg(A, b, { x0, deflationDim: 4, rtol: 1e-10 });
    expect(r.converged).toBe(true);
    expect(trueResidual(A, r.x, b)).toBeLessThanOrEqual(1e-10 * norm(b) * (1 + 1e-6));
    const z = deflatedCg(A, new Float64Array(100));
    expect(z.reason).toBe('zeroRhs');
    expect(z.x.every((v) => v === 0)).toBe(true);
    expect(z.matvecs).toBe(0);
    const stopped = deflatedCg(A, b, { deflationDim: 4, rtol: 1e-12, callback: (it) => it < 3 });
    expect(stopped.reason).toBe('callback');
    expect(stopped.iterations).toBe(3);
    // Positive definite on span W but indefinite elsewhere: breakdown in the result, not thrown.
    const d = new Float64Array(50).fill(1);
    d[40] = -1;
    const ind = CsrMatrix.diag(d);
    const e0 = new Float64Array(50);
    e0[0] = 1;
    const bi = new Float64Array(50).fill(1);
    const br = deflatedCg(ind, bi, { W: [e0] });
    expect(br.reason).toBe('breakdown');
    expect(br.converged).toBe(false);
    expect(br.x.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad input with OptkitError codes', () => {
    const A = poisson2d(6);
    const n = 36;
    const b = new Float64Array(n).fill(1);
    const w = new Rng(8).fillNormal(new Float64Array(n));
    const v = new Rng(9).fillNormal(new Float64Array(n));
    expect(codeOf(() => deflatedCg(A, b, { W: new DenseMatrix(35, 2) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => deflatedCg(A, b, { W: [w, new Float64Array(35)] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => deflatedCg(A, b, { W: [w, w.map((t) => 2 * t)] }))).toBe('SINGULAR'); // dependent columns
    expect(codeOf(() => deflatedCg(A, b, { W: [w, v, w.map((t, i) => t - 3 * v[i])] }))).toBe('SINGULAR');
    expect(codeOf(() => deflatedCg(A, b, { W: [w, new Float64Array(n)] }))).toBe('SINGULAR'); // zero column
    const tooMany = Array.from({ length: n + 1 }, (_, j) => new Rng(j).fillNormal(new Float64Array(n)));
    expect(codeOf(() => deflatedCg(A, b, { W: tooMany }))).toBe('SINGULAR');
    const wn = w.slice();
    wn[3] = Number.NaN;
    expect(codeOf(() => deflatedCg(A, b, { W: [wn] }))).toBe('NOT_FINITE');
    expect(codeOf(() => deflatedCg(A, b, { W: [Array.from(w)] as unknown as Float64Array[] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => deflatedCg(A, b, { W: 'x' as unknown as Float64Array[] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => deflatedCg(A, b, { deflationDim: n }))).toBe('INVALID_OPTION');
    expect(codeOf(() => deflatedCg(A, b, { deflationDim: -1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => deflatedCg(A, b, { deflationDim: 8, lanczosSteps: 4 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => deflatedCg(A, b, { W: [w], deflationDim: 4 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => deflatedCg(A, new Float64Array(35)))).toBe('SHAPE_MISMATCH');
    const rect: LinearOperator = { rows: n, cols: n - 1, apply: (x) => x };
    expect(codeOf(() => deflatedCg(rect, b))).toBe('SHAPE_MISMATCH');
    const bn = b.slice();
    bn[0] = Number.NaN;
    expect(codeOf(() => deflatedCg(A, bn))).toBe('NOT_FINITE');
    expect(codeOf(() => deflatedCg(A, b, { rtol: -1 }))).toBe('INVALID_OPTION');
    // A not positive definite on span W.
    const neg = A.scale(-1);
    expect(codeOf(() => deflatedCg(neg, b, { W: [w] }))).toBe('NOT_SPD');
  });
});
