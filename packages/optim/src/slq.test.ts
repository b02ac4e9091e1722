import { describe, expect, it } from 'vitest';
import { DenseMatrix, OptkitError, Rng, denseOperator, diagonalOperator, getKernels, identityOperator, logisticRegression, randomSpd } from '@optkit/core';
import { lanczos, slq, spectralDensity } from './slq.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return `${(e as OptkitError).code}:${(e as OptkitError).argument}`;
  }
  throw new Error('did not throw');
}

/** The explicit Hessian of an HVP operator, column by column, and its exact eigenvalues. */
function exactEigen(dim: number, hvp: (v: Float64Array, out: Float64Array) => void): Float64Array {
  const H = DenseMatrix.zeros(dim, dim);
  const e = new Float64Array(dim);
  const col = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    e.fill(0);
    e[j] = 1;
    hvp(e, col);
    for (let i = 0; i < dim; i++) H.data[i * dim + j] = col[i];
  }
  // Symmetrise the rounding.
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (H.data[i * dim + j] + H.data[j * dim + i]);
      H.data[i * dim + j] = s;
      H.data[j * dim + i] = s;
    }
  }
  return getKernels().symmetricEigen(H).values;
}

/** A d = 200 logistic-regression Hessian (n = 1000, correlated features, l2 = 1e-3) as an HVP. */
export function logisticHessian200(seed = 1): { dim: number; hvp: (v: Float64Array, out: Float64Array) => void } {
  const rng = new Rng(seed);
  const n = 1000;
  const d = 200;
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    for (let j = 0; j < d; j++) X[i * d + j] = (rng.normal() + 0.5 * z) * (1 + j / 50);
  }
  const y = Float64Array.from({ length: n }, () => rng.sign());
  const f = logisticRegression({ rows: n, cols: d, data: X }, y, { l2: 1e-3 });
  const w = rng.fillNormal(new Float64Array(d), 0, 0.05) as Float64Array;
  return { dim: d, hvp: (v, out) => void f.hvp!(w, v, out) };
}

describe('lanczos', () => {
  it('card E1: diag(1..199, 500): top Ritz value within 1e-10 of 500 after 30 steps, all Ritz values in [1, 500]', () => {
    const diag = Float64Array.from({ length: 200 }, (_, i) => (i === 199 ? 500 : i + 1));
    const r = lanczos(diagonalOperator(diag), { steps: 30, seed: 3 });
    expect(r.iterations).toBe(30);
    expect(Math.abs(r.ritzValues[29] - 500)).toBeLessThan(1e-10);
    for (const th of r.ritzValues) {
      expect(th).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(th).toBeLessThanOrEqual(500 + 1e-10);
    }
    let s = 0;
    for (const t of r.ritzWeights) s += t;
    expect(s).toBeCloseTo(1, 12);
  });

  it('breakdown on A = I: β₁ = 0 gives the single Ritz value 1', () => {
    const r = lanczos(identityOperator(50), { steps: 20 });
    expect(r.iterations).toBe(1);
    expect(r.reason).toBe('breakdown');
    expect(r.converged).toBe(true);
    expect(r.ritzValues.length).toBe(1);
    expect(r.ritzValues[0]).toBeCloseTo(1, 14);
  });

  it('an operator with 3 distinct eigenvalues breaks down after 3 steps with exactly those values', () => {
    const diag = Float64Array.from({ length: 30 }, (_, i) => [2, 5, 11][i % 3]);
    const r = lanczos(diagonalOperator(diag), { steps: 20, seed: 1 });
    expect(r.iterations).toBe(3);
    expect(r.ritzValues[0]).toBeCloseTo(2, 10);
    expect(r.ritzValues[1]).toBeCloseTo(5, 10);
    expect(r.ritzValues[2]).toBeCloseTo(11, 10);
  });

  it('without re-orthogonalisation ghosts appear; with it they do not (d = 200 Hessian, 80 steps)', () => {
    const diag = Float64Array.from({ length: 100 }, (_, i) => (i < 99 ? 1 + i / 99 : 100));
    const count = (vals: Float64Array) => vals.filter((v) => Math.abs(v - 100) < 1e-6).length;
    expect(count(lanczos(diagonalOperator(diag), { steps: 60, reorthogonalize: 'full' }).ritzValues)).toBe(1);
    expect(count(lanczos(diagonalOperator(diag), { steps: 60, reorthogonalize: 'none' }).ritzValues)).toBeGreaterThan(1);
  });

  it('is seeded: same seed, same result', () => {
    const A = randomSpd(40, 10, { seed: 2 }).matrix;
    const a = lanczos(denseOperator(A), { steps: 10, seed: 5 });
    const b = lanczos(denseOperator(A), { steps: 10, seed: 5 });
    const c = lanczos(denseOperator(A), { steps: 10, seed: 6 });
    expect(Array.from(a.alpha)).toEqual(Array.from(b.alpha));
    expect(Array.from(a.alpha)).not.toEqual(Array.from(c.alpha));
  });

  it('bad input: non-square operator, bad steps, bad hvp, bad start vector, NaN from the operator', () => {
    expect(code(() => lanczos({ rows: 3, cols: 4, apply: (x: Float64Array) => x }))).toBe('SHAPE_MISMATCH:A');
    expect(code(() => lanczos(identityOperator(3), { steps: 0 }))).toBe('INVALID_OPTION:steps');
    expect(code(() => lanczos({ dim: 0, hvp: () => {} }))).toBe('INVALID_OPTION:dim');
    expect(code(() => lanczos({ dim: 3 } as never))).toBe('INVALID_ARGUMENT:A');
    expect(code(() => lanczos(identityOperator(3), { startVector: new Float64Array(3) }))).toBe('INVALID_ARGUMENT:startVector');
    expect(code(() => lanczos(identityOperator(3), { reorthogonalize: 'some' as never }))).toBe('INVALID_OPTION:reorthogonalize');
    expect(code(() => lanczos({ dim: 3, hvp: (_v, out) => out.fill(NaN) }))).toBe('NOT_FINITE:A·q');
  });
});

describe('slq', () => {
  it('card E1 moments: random SPD 200×200, n_v = 50: Σ τθ and Σ τθ² match tr(A)/n and tr(A²)/n within 3 standard errors', () => {
    const n = 200;
    const A = randomSpd(n, 100, { seed: 4 }).matrix;
    let tr = 0;
    let tr2 = 0;
    for (let i = 0; i < n; i++) {
      tr += A.data[i * n + i];
      for (let j = 0; j < n; j++) tr2 += A.data[i * n + j] ** 2;
    }
    const res = slq(denseOperator(A), { probes: 50, steps: 20, seed: 8 });
    for (const [r, target] of [
      [1, tr / n],
      [2, tr2 / n],
    ] as const) {
      const per = res.runs.map((run) => run.ritzValues.reduce((s, th, k) => s + run.ritzWeights[k] * th ** r, 0));
      const mean = per.reduce((a, b) => a + b, 0) / per.length;
      const sd = Math.sqrt(per.reduce((a, b) => a + (b - mean) ** 2, 0) / (per.length - 1));
      expect(Math.abs(mean - target)).toBeLessThan((3 * sd) / Math.sqrt(per.length));
    }
  });

  it('d = 200 logistic Hessian: extreme eigenvalues within 5% of the exact ones (symmetricEigen)', () => {
    const H = logisticHessian200();
    const exact = exactEigen(H.dim, H.hvp);
    const res = slq(H, { probes: 3, steps: 80, seed: 2 });
    const lmin = exact[0];
    const lmax = exact[exact.length - 1];
    expect(Math.abs(res.lambdaMax - lmax) / lmax).toBeLessThan(0.05);
    expect(Math.abs(res.lambdaMin - lmin) / lmin).toBeLessThan(0.05);
  });

  it('the Gaussian-smoothed density integrates to 1 and peaks near the eigenvalue clusters', () => {
    const diag = Float64Array.from({ length: 200 }, (_, i) => (i < 150 ? 1 + 0.01 * (i % 7) : 10 + 0.01 * (i % 5)));
    const res = slq(diagonalOperator(diag), { probes: 10, steps: 20, seed: 1 });
    const { grid, density } = spectralDensity(res, { sigma: 0.2, points: 2000 });
    let integral = 0;
    for (let i = 1; i < grid.length; i++) integral += 0.5 * (density[i] + density[i - 1]) * (grid[i] - grid[i - 1]);
    expect(integral).toBeCloseTo(1, 4);
    // Mass near 1 ≈ 0.75, near 10 ≈ 0.25.
    let near1 = 0;
    for (let i = 1; i < grid.length; i++) if (grid[i] < 5) near1 += 0.5 * (density[i] + density[i - 1]) * (grid[i] - grid[i - 1]);
    expect(Math.abs(near1 - 0.75)).toBeLessThan(0.1);
    expect(code(() => spectralDensity(res, { sigma: 0 }))).toBe('INVALID_OPTION:sigma');
  });
});
