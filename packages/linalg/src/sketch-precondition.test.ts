import { DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { denseLeastSquares } from './dense-least-squares.js';
import { randomLeastSquares, randomSparseLeastSquares } from './least-squares-problems.js';
import { lsqr } from './lsqr.js';
import { sketchPreconditionedLsqr } from './sketch-precondition.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}
const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
const relErr = (a: Float64Array, b: Float64Array) => norm(a.map((v, i) => v - b[i])) / norm(b);
function trueResidual(A: DenseMatrix, x: Float64Array, b: Float64Array): number {
  const r = A.gemv(x);
  for (let i = 0; i < r.length; i++) r[i] -= b[i];
  return norm(r);
}

describe('randomLeastSquares', () => {
  it('has the requested singular values (cond) and x* = xTrue, OPT as constructed', () => {
    const p = randomLeastSquares(200, 10, { cond: 1e4, seed: 3, noise: 0.05 });
    const s = p.A.svd().s;
    expect(s[0]).toBeCloseTo(1, 10);
    expect(s[0] / s[9]).toBeCloseTo(1e4, 4);
    const ls = denseLeastSquares(p.A, p.b);
    expect(relErr(ls.x, p.xTrue)).toBeLessThan(1e-9);
    expect(ls.residualNorm).toBeCloseTo(p.opt, 10);
  });
});

describe('sketchPreconditionedLsqr', () => {
  // Measured (n = 3000, d = 60, m = 4d, noise 1e-2, atol = btol = 1e-10): preconditioned 28-31
  // iterations for osnap/srht/gaussian/countsketch at cond 1e2 and at cond 1e8; plain LSQR 198
  // iterations at cond 1e2 and 510 at cond 1e8. Theory: A·R⁻¹ has condition ≤ (1+ε)/(1−ε) with
  // ε ≈ √(d/m) = 0.5, so LSQR's rate is independent of cond(A).
  it('iterations do not depend on cond(A): cond 1e2 and 1e8 both converge in < 45 iterations; plain LSQR needs >= 5x more at 1e8', () => {
    const its: number[] = [];
    for (const cond of [1e2, 1e8]) {
      const p = randomLeastSquares(2000, 50, { cond, seed: 1, noise: 1e-2 });
      const r = sketchPreconditionedLsqr(p.A, p.b, { sketch: { seed: 5 } });
      expect(r.converged).toBe(true);
      expect([1, 2]).toContain(r.istop);
      expect(r.preconditioner).toBe('qr');
      expect(r.kind).toBe('osnap');
      expect(r.m).toBe(200);
      expect(r.iterations).toBeLessThan(45);
      its.push(r.iterations);
      // The residual reaches OPT (x is a least-squares solution to the tolerance) ...
      expect(Math.abs(trueResidual(p.A, r.x, p.b) - p.opt) / p.opt).toBeLessThan(1e-8);
      // ... and the forward error is what the conditioning allows (κ·1e-10-ish at these tolerances).
      expect(relErr(r.x, p.xTrue)).toBeLessThan(cond * 1e-10);
      // history.residual is ‖b − A·x‖ (the preconditioned residual is the same vector).
      expect(r.history.residual[r.iterations]).toBeCloseTo(trueResidual(p.A, r.x, p.b), 8);
      if (cond === 1e8) {
        const plain = lsqr(p.A, p.b, { atol: 1e-10, btol: 1e-10, conlim: 1e12, iterLim: 5000 });
        expect(plain.iterations).toBeGreaterThanOrEqual(5 * r.iterations);
      }
    }
    expect(Math.abs(its[0] - its[1])).toBeLessThanOrEqual(8);
  });

  it.each(['srht', 'gaussian', 'countsketch'] as const)('works with a %s sketch', (kind) => {
    const p = randomLeastSquares(1000, 20, { cond: 1e6, seed: 2, noise: 1e-3 });
    const r = sketchPreconditionedLsqr(p.A, p.b, { sketch: { kind, m: 100, seed: 1 } });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(40);
    expect(Math.abs(trueResidual(p.A, r.x, p.b) - p.opt) / p.opt).toBeLessThan(1e-8);
  });

  it('rank-deficient A: falls back to the SVD preconditioner and still reaches the least-squares residual', () => {
    const n = 500;
    const base = DenseMatrix.random(n, 5, { distribution: 'normal', seed: 4 });
    const A = new DenseMatrix(n, 6);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 5; j++) A.data[i * 6 + j] = base.data[i * 5 + j];
      A.data[i * 6 + 5] = base.data[i * 5] - 2 * base.data[i * 5 + 1]; // a dependent column
    }
    const b = new Rng(5).fillNormal(new Float64Array(n));
    const r = sketchPreconditionedLsqr(A, b);
    expect(r.preconditioner).toBe('svd');
    expect(r.rank).toBe(5);
    const ref = denseLeastSquares(A, b, { method: 'svd' });
    expect(Math.abs(trueResidual(A, r.x, b) - ref.residualNorm)).toBeLessThan(1e-9 * ref.residualNorm);
  });

  it('x0 and callback work in the original coordinates', () => {
    const p = randomLeastSquares(600, 12, { cond: 1e3, seed: 6, noise: 1e-2 });
    let last: Float64Array | undefined;
    const r = sketchPreconditionedLsqr(p.A, p.b, { callback: (_it, _rn, x) => void (last = x.slice()) });
    expect(relErr(last!, r.x)).toBeLessThan(1e-14);
    const warm = sketchPreconditionedLsqr(p.A, p.b, { x0: r.x });
    expect(warm.iterations).toBeLessThanOrEqual(2);
    expect(relErr(warm.x, r.x)).toBeLessThan(1e-8);
  });

  it('rejects bad input', () => {
    const A = DenseMatrix.random(50, 5, { seed: 1 });
    const b = new Float64Array(50).fill(1);
    expect(codeOf(() => sketchPreconditionedLsqr(DenseMatrix.random(4, 5, { seed: 1 }), new Float64Array(4)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchPreconditionedLsqr(A, new Float64Array(49)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchPreconditionedLsqr(A, b, { sketch: { m: 3 } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => sketchPreconditionedLsqr(A, b, { sketch: { m: 51 } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => sketchPreconditionedLsqr(A, b, { sketch: { kind: 'nope' as 'srht' } }))).toBe('INVALID_OPTION');
    const bad = b.slice();
    bad[2] = Number.NaN;
    expect(codeOf(() => sketchPreconditionedLsqr(A, bad))).toBe('NOT_FINITE');
    expect(codeOf(() => sketchPreconditionedLsqr(A, b, { x0: new Float64Array(4) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchPreconditionedLsqr(A, b, { atol: -1 }))).toBe('INVALID_OPTION');
  });
});

describe('sketchPreconditionedLsqr with a sparse (CSR) A', () => {
  it('tall sparse problem (20000×200, 1 % stored): the CSR path reaches the dense path\'s solution and x*', () => {
    const p = randomSparseLeastSquares(20000, 200, { density: 0.01, cond: 1e3, noise: 1e-3, seed: 7 });
    const sparse = sketchPreconditionedLsqr(p.A, p.b);
    expect(sparse.istop === 1 || sparse.istop === 2).toBe(true);
    expect(sparse.kind).toBe('osnap');
    expect(sparse.iterations).toBeLessThan(60);
    const dense = sketchPreconditionedLsqr(p.A.toDense(), p.b);
    // Same seed: the sketch S·A agrees to rounding, so the two runs take the same path.
    expect(sparse.iterations).toBe(dense.iterations);
    expect(relErr(sparse.x, dense.x)).toBeLessThan(1e-10);
    expect(relErr(sparse.x, p.xTrue)).toBeLessThan(1e-8);
    const r = p.A.spmv(sparse.x).map((v, i) => v - p.b[i]);
    expect(norm(r)).toBeLessThan(p.opt * (1 + 1e-10));
  });

  it('every sketch kind preconditions a sparse A, equal to its dense path', () => {
    const p = randomSparseLeastSquares(3000, 30, { density: 0.02, cond: 1e4, noise: 1e-2, seed: 8 });
    const D = p.A.toDense();
    for (const kind of ['countsketch', 'osnap', 'gaussian', 'srht'] as const) {
      const s = sketchPreconditionedLsqr(p.A, p.b, { sketch: { kind, m: 150 } });
      const d = sketchPreconditionedLsqr(D, p.b, { sketch: { kind, m: 150 } });
      expect(s.converged).toBe(true);
      expect(relErr(s.x, d.x)).toBeLessThan(1e-10);
      expect(relErr(s.x, p.xTrue)).toBeLessThan(1e-7);
    }
  });

  it('rejects a sparse A with NaN values, wrong b length, or wide shape', () => {
    const p = randomSparseLeastSquares(200, 5, { density: 0.1, seed: 1 });
    expect(codeOf(() => sketchPreconditionedLsqr(p.A, new Float64Array(199)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => sketchPreconditionedLsqr(p.A.transpose(), new Float64Array(5)))).toBe('SHAPE_MISMATCH');
    p.A.values[3] = Number.POSITIVE_INFINITY;
    expect(codeOf(() => sketchPreconditionedLsqr(p.A, p.b))).toBe('NOT_FINITE');
  });
});
