import { describe, expect, it } from 'vitest';
import { OptkitError, csrOperator, getKernels, poisson2d, randomSpd, Rng, type LinearOperator } from '@optkit/core';
import { dcdm, type DirectionModel } from './dcdm.js';

/**
 * Reference preconditioned CG (Hestenes–Stiefel, the textbook recurrence, x₀ = 0), written here so
 * that the test does not depend on the package's `cg`. Stops when ‖r‖ ≤ tol·‖b‖. Records every iterate.
 */
function referencePcg(A: LinearOperator, b: Float64Array, precond: (r: Float64Array) => Float64Array, tol: number, maxIter: number) {
  const n = b.length;
  const x = new Float64Array(n);
  const r = b.slice();
  let z = precond(r);
  const p = z.slice();
  const Ap = new Float64Array(n);
  let rz = dotv(r, z);
  const bnorm = Math.sqrt(dotv(b, b));
  const xs: Float64Array[] = [];
  const res: number[] = [bnorm];
  let k = 0;
  while (k < maxIter) {
    A.apply(p, Ap);
    const alpha = rz / dotv(p, Ap);
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * Ap[i];
    }
    k++;
    xs.push(x.slice());
    const rn = Math.sqrt(dotv(r, r));
    res.push(rn);
    if (rn <= tol * bnorm) break;
    z = precond(r);
    const rzNew = dotv(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return { xs, res, iterations: k };
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const identity: DirectionModel = (r) => r.slice();

async function dcdmIterates(A: LinearOperator, b: Float64Array, model: DirectionModel, opts: Parameters<typeof dcdm>[3]) {
  const xs: Float64Array[] = [];
  const result = await dcdm(A, b, model, { ...opts, callback: (_k, _rn, x) => void xs.push(x.slice()) });
  return { xs, result };
}

function spdSystem(n: number, cond: number, seed: number) {
  const { matrix } = randomSpd(n, cond, { seed });
  const A: LinearOperator = {
    rows: n,
    cols: n,
    apply(x, out = new Float64Array(n)) {
      getKernels().gemv(n, n, 1, matrix.data, n, x, 0, out);
      return out;
    },
  };
  const b = new Rng(seed + 1).fillNormal(new Float64Array(n));
  return { A, b, matrix };
}

describe('dcdm', () => {
  // The systems are chosen so that CG itself is numerically stable over the run. On randomSpd(40, 100)
  // CG needs 47 > n iterations (finite-precision loss of conjugacy) and two textbook CG formulas
  // (Hestenes–Stiefel α = rᵀr/pᵀAp, β = ‖r₊‖²/‖r‖², against α = pᵀr/pᵀAp, β = −r₊ᵀAp/pᵀAp)
  // already differ by 1e-5 mid-run (measured), so no rearrangement of CG could match to 1e-10 there.
  it('with the identity model reproduces CG iterates and residuals (i_s = 1 and 2, both residual modes)', async () => {
    const { A, b } = spdSystem(40, 10, 3);
    const ref = referencePcg(A, b, (r) => r.slice(), 1e-8, 500);
    expect(ref.iterations).toBeGreaterThan(15);
    for (const is of [1, 2]) {
      for (const residual of ['recurrence', 'recompute'] as const) {
        const { xs, result } = await dcdmIterates(A, b, identity, { rtol: 1e-8, orthogonalizeAgainst: is, residual, maxIter: 500 });
        expect(result.reason).toBe('converged');
        expect(result.iterations).toBe(ref.iterations);
        const scale = maxAbs(ref.xs[ref.xs.length - 1]);
        for (let k = 0; k < ref.iterations; k++) {
          expect(maxAbsDiff(xs[k], ref.xs[k]) / scale, `i_s=${is} ${residual} iterate ${k + 1}`).toBeLessThan(1e-10);
          const rr = result.history.residual![k + 1];
          expect(Math.abs(rr - ref.res[k + 1]) / ref.res[0], `residual ${k + 1}`).toBeLessThan(1e-10);
        }
        expect(result.modelCalls).toBe(ref.iterations);
        expect(result.matvecs).toBe(ref.iterations * (residual === 'recompute' ? 2 : 1) + (residual === 'recompute' ? 0 : 1));
        const trueRes = A.apply(result.x).map((v, i) => b[i] - v);
        expect(result.residualNorm).toBeCloseTo(Math.hypot(...trueRes), 12);
      }
    }
  });

  it('with i_s = 0 and the identity model is steepest descent (slower than CG)', async () => {
    const { A, b } = spdSystem(40, 100, 3);
    const cgRes = await dcdm(A, b, identity, { rtol: 1e-6, maxIter: 1000 });
    const sd = await dcdm(A, b, identity, { rtol: 1e-6, maxIter: 1000, orthogonalizeAgainst: 0 });
    expect(sd.iterations).toBeGreaterThan(2 * cgRes.iterations);
    // Exact line search: the A-norm error never increases, so ‖r‖ need not be monotone but x converges.
    expect(sd.reason).toBe('converged');
  });

  it('with the Jacobi inverse r -> D^-1 r reproduces Jacobi-PCG', async () => {
    // A badly scaled SPD matrix, so Jacobi changes the iteration: S·A·S with A = randomSpd, S = diag(1..100).
    const n = 40;
    const { matrix } = randomSpd(n, 5, { seed: 7 });
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) s[i] = 1 + (99 * i) / (n - 1);
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = s[i] * matrix.data[i * n + j] * s[j];
    const A: LinearOperator = {
      rows: n,
      cols: n,
      apply(x, out = new Float64Array(n)) {
        getKernels().gemv(n, n, 1, M, n, x, 0, out);
        return out;
      },
    };
    const dinv = new Float64Array(n);
    for (let i = 0; i < n; i++) dinv[i] = 1 / M[i * n + i];
    const jacobi = (r: Float64Array) => {
      const z = new Float64Array(n);
      for (let i = 0; i < n; i++) z[i] = dinv[i] * r[i];
      return z;
    };
    const b = new Rng(11).fillNormal(new Float64Array(n));
    const ref = referencePcg(A, b, jacobi, 1e-8, 2000);
    const plain = referencePcg(A, b, (r) => r.slice(), 1e-8, 2000);
    expect(ref.iterations).toBeLessThan(plain.iterations);
    const { xs, result } = await dcdmIterates(A, b, jacobi, { rtol: 1e-8, maxIter: 2000, residual: 'recurrence' });
    expect(result.iterations).toBe(ref.iterations);
    const scale = maxAbs(ref.xs[ref.xs.length - 1]);
    for (let k = 0; k < ref.iterations; k++) {
      expect(maxAbsDiff(xs[k], ref.xs[k]) / scale, `iterate ${k + 1}`).toBeLessThan(1e-9);
    }
  });

  it('with the exact inverse converges in one iteration; and async models work', async () => {
    const { A, b, matrix } = spdSystem(25, 1000, 5);
    const k = getKernels();
    const exact: DirectionModel = async (r) => k.solve(matrix, r);
    const res = await dcdm(A, b, exact, { rtol: 1e-10 });
    expect(res.reason).toBe('converged');
    expect(res.iterations).toBe(1);
    const xTrue = k.solve(matrix, b);
    expect(maxAbsDiff(res.x, xTrue) / maxAbs(xTrue)).toBeLessThan(1e-10);
  });

  it('matches CG iteration counts on the 16x16 Poisson problem with the identity model', async () => {
    const A = csrOperator(poisson2d(16));
    const b = new Rng(1).fillNormal(new Float64Array(256));
    const ref = referencePcg(A, b, (r) => r.slice(), 1e-4, 1000);
    const res = await dcdm(A, b, identity, { rtol: 1e-4, maxIter: 1000 });
    expect(res.iterations).toBe(ref.iterations);
    expect(res.residualNorm).toBeLessThanOrEqual(1e-4 * ref.res[0]);
    const { xs } = await dcdmIterates(A, b, identity, { rtol: 1e-4, maxIter: 1000 });
    const scale = maxAbs(ref.xs[ref.xs.length - 1]);
    for (let k = 0; k < ref.iterations; k++) expect(maxAbsDiff(xs[k], ref.xs[k]) / scale).toBeLessThan(1e-10);
    expect(res.history.relres![res.iterations]).toBeCloseTo(res.residualNorm / ref.res[0], 12);
  });

  it('falls back to the residual when the model returns a zero direction, and reports maxIter', async () => {
    const A = csrOperator(poisson2d(6));
    const b = new Rng(2).fillNormal(new Float64Array(36));
    const zero: DirectionModel = (r) => new Float64Array(r.length);
    const res = await dcdm(A, b, zero, { rtol: 1e-8, maxIter: 200 });
    expect(res.fallbacks).toBe(res.iterations);
    expect(res.reason).toBe('converged'); // the fallback makes it plain CG
    const capped = await dcdm(A, b, identity, { rtol: 1e-12, maxIter: 3 });
    expect(capped.reason).toBe('maxIter');
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(3);
  });

  it('calls onIteration with the relative residual and stops when the callback returns false', async () => {
    const A = csrOperator(poisson2d(5));
    const b = new Rng(6).fillNormal(new Float64Array(25));
    const seen: [number, number][] = [];
    const res = await dcdm(A, b, identity, { rtol: 1e-12, onIteration: (k, rel) => void seen.push([k, rel]), callback: (k) => k < 4 });
    expect(res.reason).toBe('callback');
    expect(res.iterations).toBe(4);
    expect(seen.map((e) => e[0])).toEqual([1, 2, 3, 4]);
    expect(seen[3][1]).toBeCloseTo(res.residualNorm / Math.hypot(...b), 12);
  });

  it('x0 and the zero right-hand side', async () => {
    const A = csrOperator(poisson2d(5));
    const b = new Rng(3).fillNormal(new Float64Array(25));
    const first = await dcdm(A, b, identity, { rtol: 1e-12, maxIter: 100 });
    // atol stops at once when x₀ is already good.
    const again = await dcdm(A, b, identity, { x0: first.x, rtol: 0, atol: 1e-9 });
    expect(again.iterations).toBe(0);
    expect(again.reason).toBe('converged');
    expect(again.matvecs).toBe(1);
    const x0 = new Float64Array(25).fill(0.5);
    const fromX0 = await dcdm(A, b, identity, { x0, rtol: 1e-6 });
    expect(fromX0.reason).toBe('converged');
    const r0 = A.apply(x0).map((v, i) => b[i] - v);
    expect(fromX0.history.residual![0]).toBeCloseTo(Math.hypot(...r0), 12);
    // rtol is relative to ‖b‖ (the package's test); the deprecated tol stays relative to ‖r₀‖.
    expect(fromX0.residualNorm).toBeLessThanOrEqual(1e-6 * Math.hypot(...b));
    expect(fromX0.history.residual!.at(-2)!).toBeGreaterThan(1e-6 * Math.hypot(...b));
    const z = await dcdm(A, new Float64Array(25), identity);
    expect(z.reason).toBe('zeroRhs');
    expect(z.converged).toBe(true);
    expect(Array.from(z.x).every((v) => v === 0)).toBe(true);
    expect(z.modelCalls).toBe(0);
  });

  it('reports breakdown for a model returning NaN, and for an indefinite A', async () => {
    const A = csrOperator(poisson2d(4));
    const b = new Rng(4).fillNormal(new Float64Array(16));
    const nan: DirectionModel = (r) => {
      const q = r.slice();
      q[3] = NaN;
      return q;
    };
    const res = await dcdm(A, b, nan);
    expect(res.reason).toBe('breakdown');
    expect(res.converged).toBe(false);
    expect(Array.from(res.x).every(Number.isFinite)).toBe(true);
    const neg: LinearOperator = { rows: 16, cols: 16, apply: (x, out = new Float64Array(16)) => { for (let i = 0; i < 16; i++) out[i] = -x[i]; return out; } };
    const r2 = await dcdm(neg, b, identity);
    expect(r2.reason).toBe('breakdown');
  });

  it('keeps the deprecated tol as an alias of rtol: identical results from x₀ = 0, relative to ‖r₀‖ from a nonzero x₀', async () => {
    const A = csrOperator(poisson2d(6));
    const b = new Rng(11).fillNormal(new Float64Array(36));
    const viaRtol = await dcdm(A, b, identity, { rtol: 1e-7, maxIter: 500 });
    const viaTol = await dcdm(A, b, identity, { tol: 1e-7, maxIter: 500 });
    expect(viaTol.iterations).toBe(viaRtol.iterations);
    expect(Array.from(viaTol.x)).toEqual(Array.from(viaRtol.x));
    expect(viaTol.history.residual).toEqual(viaRtol.history.residual);
    // The default is rtol = 1e-4 (the paper's), the same as the old default tol = 1e-4 from x₀ = 0.
    const byDefault = await dcdm(A, b, identity);
    const old = await dcdm(A, b, identity, { tol: 1e-4 });
    expect(byDefault.iterations).toBe(old.iterations);
    expect(byDefault.residualNorm).toBeLessThanOrEqual(1e-4 * Math.hypot(...b));
    // From a nonzero x₀ with ‖r₀‖ ≠ ‖b‖ the two tests differ: tol·‖r₀‖ against rtol·‖b‖.
    const x0 = new Float64Array(36).fill(3);
    const r0 = A.apply(x0).map((v, i) => b[i] - v);
    const r0norm = Math.hypot(...r0);
    expect(r0norm).toBeGreaterThan(2 * Math.hypot(...b));
    const legacy = await dcdm(A, b, identity, { x0, tol: 1e-6, maxIter: 500 });
    const shared = await dcdm(A, b, identity, { x0, rtol: 1e-6, maxIter: 500 });
    expect(legacy.residualNorm).toBeLessThanOrEqual(1e-6 * r0norm);
    expect(legacy.history.residual!.at(-2)!).toBeGreaterThan(1e-6 * r0norm);
    expect(shared.residualNorm).toBeLessThanOrEqual(1e-6 * Math.hypot(...b));
    expect(shared.history.residual!.at(-2)!).toBeGreaterThan(1e-6 * Math.hypot(...b));
  });

  it('rejects bad input with OptkitError codes', async () => {
    const A = csrOperator(poisson2d(4));
    const b = new Float64Array(16).fill(1);
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        return (e as OptkitError).code;
      }
      return 'no error';
    };
    expect(await code(dcdm(A, b, (r) => r.subarray(1)))).toBe('SHAPE_MISMATCH');
    expect(await code(dcdm(A, new Float64Array(15), identity))).toBe('SHAPE_MISMATCH');
    const bn = b.slice();
    bn[2] = NaN;
    expect(await code(dcdm(A, bn, identity))).toBe('NOT_FINITE');
    const rect: LinearOperator = { rows: 16, cols: 15, apply: (x) => x };
    expect(await code(dcdm(rect, b, identity))).toBe('SHAPE_MISMATCH');
    expect(await code(dcdm(A, b, identity, { rtol: -1 }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, identity, { tol: -1 }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, identity, { tol: 1e-6, rtol: 1e-6 }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, identity, { maxIter: 1.5 }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, identity, { orthogonalizeAgainst: -1 }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, identity, { residual: 'exact' as 'recompute' }))).toBe('INVALID_OPTION');
    expect(await code(dcdm(A, b, 3 as unknown as DirectionModel))).toBe('INVALID_ARGUMENT');
    const ctl = new AbortController();
    ctl.abort();
    expect(await code(dcdm(A, b, identity, { signal: ctl.signal }))).toBe('ABORTED');
  });
});
