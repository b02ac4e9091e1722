import { describe, expect, it } from 'vitest';
import { CsrMatrix, DenseMatrix, OptkitError, Rng, functionOperator, getKernels, poisson2d, simdAvailable } from '@optkit/core';
import { gcrodr, type GcroDrResult, type RecycleSpace } from './gcrodr.js';
import { gmres } from './gmres.js';
import { darcySequence } from './pde-sequence.js';
import { realEigen, realEigenWorkspace } from './real-eigen.js';

/** A well-conditioned random nonsymmetric n×n matrix: shift·I + N(0, 1/n) entries. */
function randomNonsymmetric(n: number, seed: number, shift = 3): DenseMatrix {
  const rng = new Rng(seed);
  const A = new DenseMatrix(n, n);
  for (let i = 0; i < n * n; i++) A.data[i] = rng.normal() / Math.sqrt(n);
  for (let i = 0; i < n; i++) A.data[i * n + i] += shift;
  return A;
}

function randomVector(n: number, seed: number): Float64Array {
  return new Rng(seed).fillNormal(new Float64Array(n));
}

function norm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function relDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
  return Math.sqrt(d) / norm(b);
}

function trueResidual(A: DenseMatrix | CsrMatrix, x: Float64Array, b: Float64Array): number {
  const Ax = A instanceof DenseMatrix ? A.gemv(x, new Float64Array(b.length)) : A.spmv(x, new Float64Array(b.length));
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (b[i] - Ax[i]) ** 2;
  return Math.sqrt(s);
}

function expectCode(f: () => unknown, code: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(OptkitError);
  expect((caught as OptkitError).code).toBe(code);
}

describe('realEigen (the nonsymmetric eigensolver behind the harmonic Ritz vectors)', () => {
  it('returns A·V = V·Λ with complex pairs as [Re, Im] column pairs', () => {
    const n = 30;
    const A = DenseMatrix.random(n, n, { seed: 3, distribution: 'normal' });
    const eig = realEigen(A.data, n)!;
    expect(eig).toBeDefined();
    let pairs = 0;
    for (let j = 0; j < n; j++) {
      const AV = new Float64Array(n);
      const col = (c: number) => Float64Array.from({ length: n }, (_, i) => eig.vectors[i * n + c]);
      if (eig.im[j] === 0) {
        const v = col(j);
        A.gemv(v, AV);
        for (let i = 0; i < n; i++) expect(Math.abs(AV[i] - eig.re[j] * v[i])).toBeLessThan(1e-10 * norm(v) * 10);
      } else if (eig.im[j] > 0) {
        pairs++;
        // A (u + iv) = (a + ib)(u + iv): A u = a u − b v, A v = b u + a v.
        const u = col(j);
        const v = col(j + 1);
        const a = eig.re[j];
        const b = eig.im[j];
        A.gemv(u, AV);
        for (let i = 0; i < n; i++) expect(Math.abs(AV[i] - (a * u[i] - b * v[i]))).toBeLessThan(1e-9);
        A.gemv(v, AV);
        for (let i = 0; i < n; i++) expect(Math.abs(AV[i] - (b * u[i] + a * v[i]))).toBeLessThan(1e-9);
        expect(eig.im[j + 1]).toBe(-b);
      }
    }
    expect(pairs).toBeGreaterThan(0); // a random real matrix has complex eigenvalues
    // Trace = sum of eigenvalues.
    let trace = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      trace += A.data[i * n + i];
      sum += eig.re[i];
    }
    expect(Math.abs(trace - sum)).toBeLessThan(1e-10);
  });
});

describe('realEigen with a reused workspace', () => {
  it('gives bit-for-bit the results of a fresh call, for any earlier use of the workspace', () => {
    const ws = realEigenWorkspace(12);
    const big = randomNonsymmetric(12, 7);
    realEigen(big.data, 12, ws); // leaves the workspace dirty
    const n = 9;
    const A = randomNonsymmetric(n, 8);
    const fresh = realEigen(A.data, n)!;
    const reused = realEigen(A.data, n, ws)!;
    expect(Array.from(reused.re)).toEqual(Array.from(fresh.re));
    expect(Array.from(reused.im)).toEqual(Array.from(fresh.im));
    expect(Array.from(reused.vectors)).toEqual(Array.from(fresh.vectors));
    expect(reused.vectors.length).toBe(n * n);
  });
});

describe('gcrodr known answers', () => {
  it('card check (b): n = 50, m ≥ n converges in ≤ n Arnoldi steps to the dense LU solution', () => {
    const n = 50;
    const A = randomNonsymmetric(n, 1);
    const b = randomVector(n, 2);
    const xs = getKernels().solve(A, b);
    const r = gcrodr(A, b, { m: 60, k: 10, rtol: 1e-12 });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('converged');
    expect(r.iterations).toBeLessThanOrEqual(n);
    expect(r.cycles).toBe(1);
    expect(relDiff(r.x, xs)).toBeLessThan(1e-10);
    expect(r.residualNorm).toBeLessThanOrEqual(1e-12 * norm(b));
    // matvecs = Arnoldi steps + the true-residual check at exit.
    expect(r.matvecs).toBe(r.iterations + 1);
  });

  it('restarted GCRO-DR(10, 4) with recycling inside the solve matches the dense solve (n = 120)', () => {
    const n = 120;
    const A = randomNonsymmetric(n, 5, 1.5);
    const b = randomVector(n, 6);
    const xs = getKernels().solve(A, b);
    const r = gcrodr(A, b, { m: 10, k: 4, rtol: 1e-11 });
    expect(r.converged).toBe(true);
    expect(r.cycles).toBeGreaterThan(2);
    expect(r.residualNorm / norm(b)).toBeLessThanOrEqual(1e-11);
    expect(relDiff(r.x, xs)).toBeLessThan(1e-9);
    expect(r.recycle.k === 4 || r.recycle.k === 5).toBe(true); // k, or k + 1 for a straddling complex pair
    expect(r.recycle.U.length).toBe(r.recycle.k * n);
  });

  it('the MGS variant converges to the same solution', () => {
    const n = 80;
    const A = randomNonsymmetric(n, 7, 1.2);
    const b = randomVector(n, 8);
    const xs = getKernels().solve(A, b);
    const r = gcrodr(A, b, { m: 12, k: 5, rtol: 1e-10, orthogonalization: 'mgs' });
    expect(r.converged).toBe(true);
    expect(relDiff(r.x, xs)).toBeLessThan(1e-8);
  });

  it('card check (a): k = 0 is GMRES(m): same iterations and the same iterates as gmres', () => {
    const n = 150;
    const A = randomNonsymmetric(n, 9, 1.6);
    const b = randomVector(n, 10);
    // Converged runs: identical iteration counts.
    const g0 = gcrodr(A, b, { m: 15, k: 0, rtol: 1e-9 });
    const ref = gmres(A, b, { restart: 15, rtol: 1e-9, maxIter: 10000 });
    expect(g0.converged).toBe(true);
    expect(ref.converged).toBe(true);
    expect(g0.iterations).toBe(ref.iterations);
    expect(g0.recycle.k).toBe(0);
    // Iterates after a fixed number of inner iterations (rtol 0), at and between cycle ends.
    for (const maxIter of [15, 37, 60]) {
      const a = gcrodr(A, b, { m: 15, k: 0, rtol: 0, maxIter });
      const c = gmres(A, b, { restart: 15, rtol: 0, maxIter });
      expect(a.iterations).toBe(maxIter);
      expect(a.reason).toBe('maxIter');
      expect(relDiff(a.x, c.x)).toBeLessThan(1e-12);
    }
  });

  it('card check (c): the same (A, b) solved again with the recycle space needs strictly fewer iterations', () => {
    const [sys] = darcySequence({ count: 1, gridSize: 22, seed: 4 });
    const first = gcrodr(sys.A, sys.b, { rtol: 1e-8 });
    const second = gcrodr(sys.A, sys.b, { rtol: 1e-8, recycle: first.recycle });
    expect(first.converged && second.converged).toBe(true);
    expect(second.recycledIn).toBe(first.recycle.k);
    expect(second.iterations).toBeLessThan(first.iterations);
    // The re-projection costs k products, counted.
    expect(second.matvecs).toBe(second.iterations + second.recycledIn + 1);
    expect(second.projection.after).toBeLessThan(second.projection.before);
  });

  it('card check (d): A V̂ = Ŵ G and CᵀC = I hold to 1e-10 after every cycle', () => {
    const seq = darcySequence({ count: 2, gridSize: 18, seed: 2 });
    const r1 = gcrodr(seq[0].A, seq[0].b, { m: 20, k: 8, rtol: 1e-10, diagnostics: true });
    const r2 = gcrodr(seq[1].A, seq[1].b, { m: 20, k: 8, rtol: 1e-10, diagnostics: true, recycle: r1.recycle });
    for (const r of [r1, r2]) {
      expect(r.converged).toBe(true);
      const ae = r.history.arnoldiError!;
      const oe = r.history.orthogonalityError!;
      expect(ae.length).toBe(r.cycles);
      for (const e of ae) expect(e).toBeLessThan(1e-10);
      for (const e of oe) expect(e).toBeLessThan(1e-10);
      // Diagnostics do not change the counted products.
      expect(r.matvecs).toBe(r.iterations + r.recycledIn + 1);
    }
  });

  it('recycling across a sequence of nearby systems cuts the matvecs (Darcy, n = 256)', () => {
    const seq = darcySequence({ count: 6, gridSize: 18, seed: 11 });
    let recycle: RecycleSpace | undefined;
    let withRecycling = 0;
    let without = 0;
    let plain = 0;
    for (const s of seq) {
      const a = gcrodr(s.A, s.b, { m: 30, k: 10, rtol: 1e-8, recycle });
      recycle = a.recycle;
      const c = gcrodr(s.A, s.b, { m: 30, k: 10, rtol: 1e-8 });
      const g = gmres(s.A, s.b, { restart: 30, rtol: 1e-8, maxIter: 10000 });
      for (const r of [a, c, g]) {
        expect(r.converged).toBe(true);
        expect(trueResidual(s.A, r.x, s.b) / norm(s.b)).toBeLessThanOrEqual(1e-8);
      }
      withRecycling += a.matvecs;
      without += c.matvecs;
      plain += g.matvecs;
    }
    expect(withRecycling).toBeLessThan(without);
    expect(without).toBeLessThan(plain);
  });

  it('a left preconditioner (Jacobi) cuts iterations; rtol applies to ‖M r‖, residualNorm is ‖b − A x‖', () => {
    const [sys] = darcySequence({ count: 1, gridSize: 22, seed: 5 });
    const n = sys.A.rows;
    const diag = sys.A.diagonal();
    const M = functionOperator(n, n, (x, out) => {
      for (let i = 0; i < n; i++) out[i] = x[i] / diag[i];
    });
    const plain = gcrodr(sys.A, sys.b, { m: 20, k: 8, rtol: 1e-8 });
    const pre = gcrodr(sys.A, sys.b, { m: 20, k: 8, rtol: 1e-8, M });
    expect(pre.converged).toBe(true);
    expect(pre.iterations).toBeLessThan(plain.iterations);
    expect(pre.preconditionerApplications).toBeGreaterThan(pre.iterations);
    expect(pre.residualNorm).toBeCloseTo(trueResidual(sys.A, pre.x, sys.b), 12);
    // The monitored norm: ‖M(b − A x)‖ ≤ rtol·‖M b‖.
    const r = new Float64Array(n);
    sys.A.spmv(pre.x, r);
    let mr = 0;
    let mb = 0;
    for (let i = 0; i < n; i++) {
      mr += ((sys.b[i] - r[i]) / diag[i]) ** 2;
      mb += (sys.b[i] / diag[i]) ** 2;
    }
    expect(Math.sqrt(mr)).toBeLessThanOrEqual(1e-8 * Math.sqrt(mb));
  });

  it('x0, zero right-hand side, maxIter, callback and abort', () => {
    const n = 60;
    const A = randomNonsymmetric(n, 12, 1);
    const b = randomVector(n, 13);
    const xs = getKernels().solve(A, b);
    // x0 = the solution: converges at once, one product for the initial residual and one at exit.
    const r0 = gcrodr(A, b, { x0: xs, rtol: 1e-8 });
    expect(r0.converged).toBe(true);
    expect(r0.iterations).toBe(0);
    expect(r0.matvecs).toBe(2);
    const z = gcrodr(A, new Float64Array(n), { x0: b });
    expect(z.reason).toBe('zeroRhs');
    expect(z.converged).toBe(true);
    expect(Array.from(z.x)).toEqual(new Array(n).fill(0));
    const mi = gcrodr(A, b, { m: 8, k: 3, rtol: 1e-14, maxIter: 10 });
    expect(mi.converged).toBe(false);
    expect(mi.reason).toBe('maxIter');
    expect(mi.iterations).toBe(10);
    expect(mi.history.residual!.length).toBe(11);
    const cb = gcrodr(A, b, { m: 8, k: 3, rtol: 1e-14, callback: (it) => it < 5 });
    expect(cb.reason).toBe('callback');
    expect(cb.iterations).toBe(5);
    const ctl = new AbortController();
    ctl.abort();
    const ab = gcrodr(A, b, { signal: ctl.signal });
    expect(ab.reason).toBe('aborted');
    expect(ab.converged).toBe(false);
  });

  it('complex harmonic Ritz pairs (rotation-block spectrum): converges and recycles across perturbed systems', () => {
    // Block diagonal of 2×2 blocks [[a, β], [−β, a]] (eigenvalues a ± iβ) plus a small random perturbation.
    const n = 120;
    const make = (seed: number) => {
      const rng = new Rng(seed);
      const base = new Rng(77);
      const A = new DenseMatrix(n, n);
      for (let i = 0; i < n; i += 2) {
        const a = base.uniform(0.2, 3);
        const beta = base.uniform(0.5, 2);
        A.data[i * n + i] = a;
        A.data[(i + 1) * n + i + 1] = a;
        A.data[i * n + i + 1] = beta;
        A.data[(i + 1) * n + i] = -beta;
      }
      for (let i = 0; i < n * n; i++) A.data[i] += (0.02 * rng.normal()) / Math.sqrt(n);
      return A;
    };
    const b = randomVector(n, 31);
    let recycle: RecycleSpace | undefined;
    const its: number[] = [];
    for (let t = 0; t < 3; t++) {
      const A = make(100 + t);
      const r = gcrodr(A, b, { m: 16, k: 6, rtol: 1e-10, recycle });
      expect(r.converged).toBe(true);
      expect(trueResidual(A, r.x, b) / norm(b)).toBeLessThanOrEqual(1e-10);
      expect(r.recycle.k).toBeGreaterThanOrEqual(5);
      expect(r.recycle.k).toBeLessThanOrEqual(7);
      recycle = r.recycle;
      its.push(r.iterations);
    }
    expect(its[1]).toBeLessThan(its[0]);
    expect(its[2]).toBeLessThan(its[0]);
  });

  it('breakdown of a singular system is reported, not thrown', () => {
    // A = diag(1, 1, 0): b with a component along e3 cannot be reached.
    const A = new DenseMatrix(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 0]);
    const r = gcrodr(A, Float64Array.of(1, 1, 1), { m: 3, k: 1, rtol: 1e-10 });
    expect(r.converged).toBe(false);
    expect(['breakdown', 'stagnation', 'maxIter']).toContain(r.reason);
    expect(r.x.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('gcrodr WebAssembly SIMD path (n >= 8192)', () => {
  /** max |p − q| / max |q|, the measure of gmres's SIMD test. */
  function maxRelDiff(p: Float64Array, q: Float64Array): number {
    let d = 0;
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      d = Math.max(d, Math.abs(p[i] - q[i]));
      s = Math.max(s, Math.abs(q[i]));
    }
    return d / s;
  }
  /**
   * Same iterations, matvecs, cycles and recycle size; iterates within 1e-12 relative; residual
   * histories within 1e-12 of the initial residual (late entries are ~1e-6 of it, and the rounding
   * differences of the inner products are absolute, ~ε·‖r₀‖: measured up to ~1e-17·‖r₀‖ here).
   * Returns whether any history entry differs.
   */
  function expectSamePath(wasm: GcroDrResult, js: GcroDrResult): boolean {
    expect(wasm.iterations).toBe(js.iterations);
    expect(wasm.matvecs).toBe(js.matvecs);
    expect(wasm.cycles).toBe(js.cycles);
    expect(wasm.recycle.k).toBe(js.recycle.k);
    expect(maxRelDiff(wasm.x, js.x)).toBeLessThan(1e-12);
    const est = js.history.residual!;
    expect(wasm.history.residual!.length).toBe(est.length);
    let differs = false;
    wasm.history.residual!.forEach((r, i) => {
      expect(Math.abs(r - est[i])).toBeLessThanOrEqual(1e-12 * est[0]);
      if (r !== est[i]) differs = true;
    });
    return differs;
  }

  it('SIMD and JS give the same iterations, matvecs and iterates (1e-12) on a recycled Darcy sequence (CGS2)', () => {
    const seq = darcySequence({ count: 2, gridSize: 94, seed: 5 }); // n = 92² = 8464
    let rj: RecycleSpace | undefined;
    let rw: RecycleSpace | undefined;
    let differs = false;
    for (const s of seq) {
      const opts = { m: 30, k: 10, rtol: 1e-6 };
      const js = gcrodr(s.A, s.b, { ...opts, recycle: rj, simd: false });
      const wasm = gcrodr(s.A, s.b, { ...opts, recycle: rw });
      expect(js.converged).toBe(true);
      if (expectSamePath(wasm, js)) differs = true;
      rj = js.recycle;
      rw = wasm.recycle;
    }
    expect(rw!.k).toBeGreaterThan(0);
    // The inner products round differently, so identical histories would mean the SIMD path never ran
    // (it does not where OPTKIT_NO_SIMD is set).
    expect(differs).toBe(simdAvailable());
  });

  it('SIMD and JS give the same iterations, matvecs and iterates (1e-12) on 2-D Poisson (MGS and CGS2)', () => {
    const A = poisson2d(96); // 9216 unknowns
    const b = randomVector(A.rows, 41);
    for (const orthogonalization of ['mgs', 'cgs2'] as const) {
      const opts = { m: 25, k: 8, rtol: 0, maxIter: 100, orthogonalization };
      const js = gcrodr(A, b, { ...opts, simd: false });
      const wasm = gcrodr(A, b, opts);
      expect(js.cycles).toBeGreaterThan(2); // several recycle-space updates
      expect(expectSamePath(wasm, js)).toBe(simdAvailable());
      expect(wasm.history.residual!.at(-1)!).toBeLessThan(0.1 * norm(b));
    }
  });
});

describe('gcrodr bad input', () => {
  const n = 20;
  const A = randomNonsymmetric(n, 14);
  const b = randomVector(n, 15);

  it('rejects bad sizes and values with the right code', () => {
    expectCode(() => gcrodr(new DenseMatrix(3, 4), new Float64Array(3)), 'SHAPE_MISMATCH');
    expectCode(() => gcrodr(A, new Float64Array(n + 1)), 'SHAPE_MISMATCH');
    const bad = b.slice();
    bad[3] = NaN;
    expectCode(() => gcrodr(A, bad), 'NOT_FINITE');
    const nanOp = functionOperator(n, n, (_x, out) => out.fill(NaN));
    expectCode(() => gcrodr(nanOp, b), 'NOT_FINITE');
    expectCode(() => gcrodr(nanOp, b, { x0: b }), 'NOT_FINITE');
    // A singular preconditioner: M = 0, and M = diag(1/0).
    const zeroM = functionOperator(n, n, (_x, out) => out.fill(0));
    expectCode(() => gcrodr(A, b, { M: zeroM }), 'SINGULAR');
    const infM = functionOperator(n, n, (x, out) => {
      for (let i = 0; i < n; i++) out[i] = x[i] / 0;
    });
    expectCode(() => gcrodr(A, b, { M: infM }), 'NOT_FINITE');
  });

  it('rejects bad options', () => {
    expectCode(() => gcrodr(A, b, { m: 0 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { m: 10, k: 10 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { m: 10, k: 12 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { k: -1 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { m: 2.5 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { rtol: -1 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { maxIter: -1 }), 'INVALID_OPTION');
    expectCode(() => gcrodr(A, b, { orthogonalization: 'cgs' as 'mgs' }), 'INVALID_OPTION');
  });

  it('rejects a recycle space of the wrong size', () => {
    const good = gcrodr(A, b, { m: 10, k: 4, rtol: 1e-10 }).recycle;
    expect(good.k).toBeGreaterThan(0);
    // Wrong n.
    expectCode(() => gcrodr(A, b, { m: 10, k: 4, recycle: { n: n + 1, k: good.k, U: new Float64Array(good.k * (n + 1)) } }), 'SHAPE_MISMATCH');
    // More vectors than k (+1) allows.
    expectCode(() => gcrodr(A, b, { m: 10, k: 2, recycle: { n, k: 4, U: new Float64Array(4 * n).fill(1) } }), 'SHAPE_MISMATCH');
    // U of the wrong length.
    expectCode(() => gcrodr(A, b, { m: 10, k: 4, recycle: { n, k: 3, U: new Float64Array(2 * n) } }), 'SHAPE_MISMATCH');
    // Recycling with k = 0.
    expectCode(() => gcrodr(A, b, { m: 10, k: 0, recycle: good }), 'SHAPE_MISMATCH');
    // NaN in U.
    const U = good.U.slice();
    U[0] = NaN;
    expectCode(() => gcrodr(A, b, { m: 10, k: 4, recycle: { n, k: good.k, U } }), 'NOT_FINITE');
    // A rank-deficient recycle space is accepted: dependent columns are dropped.
    const dup = new Float64Array(2 * n);
    dup.set(good.U.subarray(0, n), 0);
    dup.set(good.U.subarray(0, n), n);
    const r = gcrodr(A, b, { m: 10, k: 4, rtol: 1e-10, recycle: { n, k: 2, U: dup } });
    expect(r.recycledIn).toBe(1);
    expect(r.converged).toBe(true);
  });
});
