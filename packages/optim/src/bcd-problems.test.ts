import { describe, it, expect } from 'vitest';
import { CsrMatrix, DenseMatrix, OptkitError, Rng } from '@optkit/core';
import { leastSquaresProblem, linearModelLoss, logisticProblem, quadraticProblem, toColumns, type BcdProblem } from './bcd-problems.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

/** Central differences of p.f at x (on a copy, so no bound iterate is touched). */
function fdGrad(p: BcdProblem, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const xt = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const xi = xt[i];
    xt[i] = xi + h;
    const fp = p.f(xt);
    xt[i] = xi - h;
    const fm = p.f(xt);
    xt[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

const rng = new Rng(7);
const m = 6;
const n = 4;
const Adata = rng.fillNormal(new Float64Array(m * n));
const A = DenseMatrix.wrap(m, n, Adata);
const bvec = rng.fillNormal(new Float64Array(m));
const labels = Float64Array.of(1, -1, -1, 1, 1, -1);
const x0 = Float64Array.of(0.3, -0.7, 1.1, 0.2);

function dot(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i] * v[i];
  return s;
}
function Ax(x: ArrayLike<number>): Float64Array {
  const r = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) r[i] += Adata[i * n + j] * x[j];
  return r;
}

describe('leastSquaresProblem', () => {
  it('f = ½‖Ax − b‖² and grad match a direct computation and finite differences', () => {
    const p = leastSquaresProblem(A, bvec);
    const r = Ax(x0).map((v, i) => v - bvec[i]);
    expect(p.f(x0)).toBeCloseTo(0.5 * dot(r, r), 12);
    const g = p.grad(x0);
    expectClose(g, fdGrad(p, x0), 1e-6);
    expectClose(p.gradBlock!(x0, Int32Array.of(3, 1)), [g[3], g[1]], 1e-14);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += Adata[i * n + j] ** 2;
      expect(p.lipschitz[j]).toBeCloseTo(s, 12);
    }
  });

  it('dense, CSR and column-data inputs agree', () => {
    const p1 = leastSquaresProblem(A, bvec);
    const p2 = leastSquaresProblem(CsrMatrix.fromDense(A), bvec);
    const p3 = leastSquaresProblem(toColumns(A), bvec);
    for (const p of [p2, p3]) {
      expect(p.f(x0)).toBeCloseTo(p1.f(x0), 12);
      expectClose(p.grad(x0), p1.grad(x0), 1e-12);
    }
  });

  it('hessBlock/blockBound = A_bᵀA_b', () => {
    const p = leastSquaresProblem(A, bvec);
    const b = Int32Array.of(0, 2);
    const H = p.hessBlock(x0, b);
    const G = p.blockBound(b);
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (let r = 0; r < m; r++) s += Adata[r * n + b[i]] * Adata[r * n + b[k]];
        expect(H.data[i * 2 + k]).toBeCloseTo(s, 12);
        expect(G.data[i * 2 + k]).toBeCloseTo(s, 12);
      }
    }
  });

  it('the cached residual follows block updates (bind / onBlockUpdate / fBlockTrial)', () => {
    const p = leastSquaresProblem(A, bvec);
    const fresh = leastSquaresProblem(A, bvec);
    const x = Float64Array.from(x0);
    p.bind!(x);
    expect(p.f(x)).toBeCloseTo(fresh.f(x), 12);
    const b = Int32Array.of(1, 3);
    const delta = Float64Array.of(0.5, -0.25);
    const trial = p.fBlockTrial!(x, b, delta);
    x[1] += delta[0];
    x[3] += delta[1];
    expect(trial).toBeCloseTo(fresh.f(Float64Array.from(x)), 12);
    p.onBlockUpdate!(b, delta);
    expect(p.f(x)).toBeCloseTo(fresh.f(Float64Array.from(x)), 12);
    expectClose(p.grad(x), fresh.grad(Float64Array.from(x)), 1e-12);
    // a stale cache would be caught here: change x without telling the problem, then release
    x[0] += 1;
    expect(Math.abs(p.f(x) - fresh.f(Float64Array.from(x)))).toBeGreaterThan(1e-6);
    p.release!();
    expect(p.f(x)).toBeCloseTo(fresh.f(Float64Array.from(x)), 12);
  });

  it('rejects bad input', () => {
    expect(codeOf(() => leastSquaresProblem(A, new Float64Array(m - 1)))).toBe('SHAPE_MISMATCH');
    const bad = Float64Array.from(bvec);
    bad[2] = Number.NaN;
    expect(codeOf(() => leastSquaresProblem(A, bad))).toBe('NOT_FINITE');
    expect(codeOf(() => leastSquaresProblem({ m: 2, n: 2, dense: new Float64Array(3) }, new Float64Array(2)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => leastSquaresProblem({ m: 0, n: 2 } as never, new Float64Array(0)))).toBe('INVALID_ARGUMENT');
  });
});

describe('logisticProblem', () => {
  it('f = Σ log(1 + exp(−y aᵀx)) and grad vs finite differences', () => {
    const p = logisticProblem(A, labels);
    const z = Ax(x0);
    let f = 0;
    for (let i = 0; i < m; i++) f += Math.log(1 + Math.exp(-labels[i] * z[i]));
    expect(p.f(x0)).toBeCloseTo(f, 12);
    expectClose(p.grad(x0), fdGrad(p, x0), 1e-6);
    expect(p.f(new Float64Array(n))).toBeCloseTo(m * Math.LN2, 14);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += Adata[i * n + j] ** 2;
      expect(p.lipschitz[j]).toBeCloseTo(0.25 * s, 12);
    }
  });

  it('hessBlock vs finite differences of the gradient', () => {
    const p = logisticProblem(A, labels);
    const b = Int32Array.of(0, 3);
    const H = p.hessBlock(x0, b);
    const h = 1e-6;
    for (let l = 0; l < 2; l++) {
      const xp = Float64Array.from(x0);
      const xm = Float64Array.from(x0);
      xp[b[l]] += h;
      xm[b[l]] -= h;
      const gp = p.gradBlock!(xp, b);
      const gm = p.gradBlock!(xm, b);
      for (let i = 0; i < 2; i++) expect(H.data[i * 2 + l]).toBeCloseTo((gp[i] - gm[i]) / (2 * h), 6);
    }
  });

  it('linearModelLoss does not overflow for large margins', () => {
    const f = linearModelLoss('logistic', Float64Array.of(-1000, 1000), Float64Array.of(1, 1));
    expect(f).toBeCloseTo(1000, 10);
  });

  it('the cached margins follow block updates', () => {
    const p = logisticProblem(A, labels);
    const fresh = logisticProblem(A, labels);
    const x = Float64Array.from(x0);
    p.bind!(x);
    const b = Int32Array.of(0, 2);
    const delta = Float64Array.of(-0.4, 0.9);
    x[0] += delta[0];
    x[2] += delta[1];
    p.onBlockUpdate!(b, delta);
    expect(p.f(x)).toBeCloseTo(fresh.f(Float64Array.from(x)), 12);
    expectClose(p.grad(x), fresh.grad(Float64Array.from(x)), 1e-12);
  });

  it('rejects labels other than ±1 and the wrong length', () => {
    expect(codeOf(() => logisticProblem(A, Float64Array.of(1, -1, 0, 1, 1, -1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => logisticProblem(A, Float64Array.of(1, -1, 2, 1, 1, -1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => logisticProblem(A, Float64Array.of(1, -1)))).toBe('SHAPE_MISMATCH');
  });
});

describe('quadraticProblem', () => {
  // Q = tridiag(-1, 3, -1) 4×4, c = [1, 2, 3, 4]
  const Qd = DenseMatrix.fromRows([
    [3, -1, 0, 0],
    [-1, 3, -1, 0],
    [0, -1, 3, -1],
    [0, 0, -1, 3],
  ]);
  const c = Float64Array.of(1, 2, 3, 4);

  it('f = ½xᵀQx − cᵀx, grad = Qx − c (vs hand values and finite differences)', () => {
    const p = quadraticProblem(Qd, c);
    const x = Float64Array.of(1, 0, -1, 2);
    // Qx = [3, 0, -5, 7]; ½xᵀQx = ½(3 + 5 + 14) = 11; cᵀx = 1 - 3 + 8 = 6
    expect(p.f(x)).toBeCloseTo(5, 13);
    expect(Array.from(p.grad(x))).toEqual([2, -2, -8, 3]);
    expectClose(p.grad(x), fdGrad(p, x), 1e-7);
    expect(Array.from(p.gradBlock!(x, Int32Array.of(2, 0)))).toEqual([-8, 2]);
    expect(Array.from(p.lipschitz)).toEqual([3, 3, 3, 3]);
    expect(Array.from(p.rowSumBound!)).toEqual([4, 5, 5, 4]);
    expect(Array.from(p.blockBound(Int32Array.of(1, 2)).data)).toEqual([3, -1, -1, 3]);
    expect(Array.from(p.blockBound(Int32Array.of(0, 3)).data)).toEqual([3, 0, 0, 3]);
  });

  it('the cached gradient follows block updates', () => {
    const p = quadraticProblem(CsrMatrix.fromDense(Qd), c);
    const fresh = quadraticProblem(Qd, c);
    const x = Float64Array.of(0.5, -1, 2, 0);
    p.bind!(x);
    const b = Int32Array.of(1, 2);
    const delta = Float64Array.of(0.3, -0.6);
    const xn = Float64Array.from(x);
    xn[1] += delta[0];
    xn[2] += delta[1];
    expect(p.fBlockTrial!(x, b, delta)).toBeCloseTo(fresh.f(xn), 12);
    x.set(xn);
    p.onBlockUpdate!(b, delta);
    expectClose(p.grad(x), fresh.grad(Float64Array.from(x)), 1e-13);
    expect(p.f(x)).toBeCloseTo(fresh.f(Float64Array.from(x)), 12);
    expectClose(p.gradBlock!(x, Int32Array.of(3)), [fresh.grad(Float64Array.from(x))[3]], 1e-13);
  });

  it('rejects bad input', () => {
    expect(codeOf(() => quadraticProblem(Qd, Float64Array.of(1, 2, 3)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => quadraticProblem(DenseMatrix.fromRows([[1, 2, 3], [4, 5, 6]]), Float64Array.of(1, 2)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => quadraticProblem(DenseMatrix.fromRows([[2, 1], [0, 2]]), Float64Array.of(1, 2)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => quadraticProblem(DenseMatrix.fromRows([[2, 0], [0, 0]]), Float64Array.of(1, 2)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => quadraticProblem(Qd, Float64Array.of(1, 2, Infinity, 4)))).toBe('NOT_FINITE');
  });
});
