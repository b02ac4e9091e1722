import { CsrMatrix, DenseMatrix, OptkitError, Rng, getKernels, randomSparse } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { SKETCH_KINDS, createSketch, type SketchKind, type SketchOptions } from './sketch.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** A random n×d matrix with orthonormal columns (thin QR of a Gaussian matrix). */
function randomSubspace(n: number, d: number, seed: number): DenseMatrix {
  const G = DenseMatrix.random(n, d, { distribution: 'normal', seed });
  return getKernels().qr(G).Q;
}

/** M = (SU)ᵀ(SU) − I: its spectral norm, squared Frobenius norm, and the extreme singular values of SU. */
function distortion(SU: DenseMatrix): { spectral: number; frob2: number; smin: number; smax: number } {
  const d = SU.cols;
  const G = new Float64Array(d * d);
  getKernels().gemm(true, false, d, d, SU.rows, 1, SU.data, d, SU.data, d, 0, G, d);
  let frob2 = 0;
  for (let i = 0; i < d; i++) {
    G[i * d + i] -= 1;
    for (let j = 0; j < d; j++) frob2 += G[i * d + j] ** 2;
  }
  // Symmetrise exactly for the eigen solver.
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) G[i * d + j] = G[j * d + i];
  const ev = getKernels().symmetricEigen(DenseMatrix.wrap(d, d, G)).values;
  const lo = ev[0];
  const hi = ev[d - 1];
  return { spectral: Math.max(-lo, hi), frob2, smin: Math.sqrt(1 + lo), smax: Math.sqrt(1 + hi) };
}

/**
 * E‖UᵀSᵀSU − I‖_F² for U (n×d, orthonormal columns, rows uᵢ), worked out from the second moments of
 * SᵀS: off-diagonal entries of SᵀS have variance c/m and are uncorrelated, diagonal entries are 1
 * except for the Gaussian (variance 2/m), so E = c(d² + d − 2Σ‖uᵢ‖⁴)/m (+ 2Σ‖uᵢ‖⁴/m for Gaussian,
 * giving (d² + d)/m). c = 1 for i.i.d. signs, CountSketch, OSNAP and SRHT with replacement;
 * c = (N − m)/(N − 1) for SRHT sampled without replacement (negatively correlated rows).
 */
function expectedFrob2(kind: SketchKind, U: DenseMatrix, m: number, N: number, sampling: 'with' | 'without' = 'without'): number {
  const { rows: n, cols: d, data } = U;
  let s4 = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < d; j++) r += data[i * d + j] ** 2;
    s4 += r * r;
  }
  if (kind === 'gaussian' || kind === 'fjlt') return (d * d + d) / m; // fjlt only with density 1 (then S is Gaussian).
  const c = kind === 'srht' && sampling === 'without' ? (N - m) / (N - 1) : 1;
  return (c * (d * d + d - 2 * s4)) / m;
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const varc = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
  return { mean, std: Math.sqrt(varc) };
}

describe('createSketch', () => {
  it('rejects bad input with OptkitErrors naming the problem', () => {
    expect(codeOf(() => createSketch(10, { kind: 'gaussian', m: 11 }))).toBe('INVALID_OPTION'); // sketch larger than the rows
    expect(codeOf(() => createSketch(10, { kind: 'srht', m: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(10, { kind: 'srht', m: 2.5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(0, { kind: 'srht', m: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => createSketch(10, { kind: 'dct' as SketchKind, m: 4 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(10, { kind: 'osnap', m: 4, osnapNonzeros: 5 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(10, { kind: 'fjlt', m: 4, fjltDensity: 0 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(10, { kind: 'srht', m: 4, srhtSampling: 'maybe' as 'with' }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createSketch(10, { kind: 'srht', m: 4, seed: 0.5 }))).toBe('INVALID_OPTION');
    const S = createSketch(10, { kind: 'countsketch', m: 4 });
    expect(codeOf(() => S.apply(new Float64Array(9)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => S.applyT(new Float64Array(10)))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => S.applyMatrix(new DenseMatrix(9, 2)))).toBe('SHAPE_MISMATCH');
    const bad = new DenseMatrix(10, 2);
    bad.data[3] = Number.NaN;
    expect(codeOf(() => S.applyMatrix(bad))).toBe('NOT_FINITE');
    try {
      createSketch(10, { kind: 'gaussian', m: 11 });
    } catch (e) {
      expect((e as OptkitError).message).toMatch(/m = 11.*n = 10/);
      expect((e as OptkitError).argument).toBe('options.m');
    }
  });

  it.each(SKETCH_KINDS)('%s: same seed gives the same S; apply, applyT and applyMatrix agree with toDense', (kind) => {
    const n = 13;
    const m = 5;
    const S = createSketch(n, { kind, m, seed: 7 });
    const D = S.toDense();
    expect(D.rows).toBe(m);
    expect(D.cols).toBe(n);
    expect(maxAbsDiff(createSketch(n, { kind, m, seed: 7 }).toDense().data, D.data)).toBe(0);
    expect(maxAbsDiff(createSketch(n, { kind, m, seed: 8 }).toDense().data, D.data)).toBeGreaterThan(0);
    // An rng is used as given (advanced in place): equal states give equal sketches.
    const fromRng = createSketch(n, { kind, m, rng: new Rng(7) }).toDense().data;
    expect(maxAbsDiff(createSketch(n, { kind, m, rng: new Rng(7) }).toDense().data, fromRng)).toBe(0);
    const shared = new Rng(7);
    createSketch(n, { kind, m, rng: shared });
    expect(maxAbsDiff(createSketch(n, { kind, m, rng: shared }).toDense().data, fromRng)).toBeGreaterThan(0);
    const rng = new Rng(3);
    const x = rng.fillNormal(new Float64Array(n));
    const y = rng.fillNormal(new Float64Array(m));
    const Sx = D.gemv(x);
    const Sty = D.gemvT(y);
    expect(maxAbsDiff(S.apply(x), Sx)).toBeLessThan(1e-13);
    expect(maxAbsDiff(S.applyT(y), Sty)).toBeLessThan(1e-13);
    const out = new Float64Array(m);
    expect(S.apply(x, out)).toBe(out);
    const A = DenseMatrix.random(n, 3, { distribution: 'normal', seed: 4 });
    expect(maxAbsDiff(S.applyMatrix(A).data, D.mul(A).data)).toBeLessThan(1e-13);
  });

  it('gaussian: the streamed path (m·n > 2^21, S regenerated per block) is consistent and repeatable', () => {
    const n = 3000;
    const m = 800;
    const S = createSketch(n, { kind: 'gaussian', m, seed: 1 });
    const A = DenseMatrix.random(n, 2, { distribution: 'normal', seed: 2 });
    const SA = S.applyMatrix(A);
    const SA2 = S.applyMatrix(A);
    expect(maxAbsDiff(SA.data, SA2.data)).toBe(0);
    const col = S.apply(A.column(1));
    for (let r = 0; r < m; r++) expect(col[r]).toBeCloseTo(SA.data[r * 2 + 1], 11);
    // ⟨Sx, y⟩ = ⟨x, Sᵀy⟩.
    const y = new Rng(5).fillNormal(new Float64Array(m));
    const x = A.column(0);
    const lhs = S.apply(x).reduce((s, v, i) => s + v * y[i], 0);
    const rhs = S.applyT(y).reduce((s, v, i) => s + v * x[i], 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.abs(lhs) + 1e-9);
  });

  it('srht with m = N (n a power of two) samples every row once: S is orthogonal, SᵀS = I to 1e-12', () => {
    const n = 64;
    const S = createSketch(n, { kind: 'srht', m: n, seed: 3 }).toDense();
    const StS = DenseMatrix.wrap(n, n, new Float64Array(n * n));
    getKernels().gemm(true, false, n, n, n, 1, S.data, n, S.data, n, 0, StS.data, n);
    expect(maxAbsDiff(StS.data, DenseMatrix.identity(n).data)).toBeLessThan(1e-12);
  });

  it.each(SKETCH_KINDS)('%s: Monte-Carlo E[SᵀS] ≈ I (2000 draws, n = 16, m = 8: entrywise error < 0.1)', (kind) => {
    const n = 16;
    const m = 8;
    const draws = 2000;
    const acc = new Float64Array(n * n);
    const StS = new Float64Array(n * n);
    for (let t = 0; t < draws; t++) {
      const S = createSketch(n, { kind, m, seed: 1000 + t }).toDense();
      getKernels().gemm(true, false, n, n, m, 1, S.data, n, S.data, n, 0, StS, n);
      for (let i = 0; i < n * n; i++) acc[i] += StS[i];
    }
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(acc[i * n + j] / draws - (i === j ? 1 : 0)));
    expect(err).toBeLessThan(0.1);
  });
});

describe('sketch norms in expectation and on random subspaces', () => {
  it.each(SKETCH_KINDS)('%s: E‖Sx‖² = ‖x‖² (mean over 400 seeds within 4 standard errors; variance as predicted)', (kind) => {
    const n = 256;
    const m = 32;
    const K = 400;
    const x = new Rng(9).fillNormal(new Float64Array(n));
    const norm = Math.hypot(...x);
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      x[i] /= norm;
      s4 += x[i] ** 4;
    }
    const values: number[] = [];
    const y = new Float64Array(m);
    for (let s = 0; s < K; s++) {
      createSketch(n, { kind, m, seed: 50_000 + s }).apply(x, y);
      values.push(y.reduce((a, v) => a + v * v, 0));
    }
    const { mean, std } = meanStd(values);
    // The d = 1 case of expectedFrob2: Var‖Sx‖² = c(2 − 2Σxᵢ⁴)/m (+ 2Σxᵢ⁴/m Gaussian); fjlt: measured.
    const N = 256;
    const predicted =
      kind === 'fjlt' ? undefined : kind === 'gaussian' ? 2 / m : ((kind === 'srht' ? (N - m) / (N - 1) : 1) * (2 - 2 * s4)) / m;
    const se = Math.sqrt((predicted ?? std * std) / K);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se);
    if (predicted !== undefined) expect(std * std / predicted).toBeGreaterThan(0.65);
    if (predicted !== undefined) expect(std * std / predicted).toBeLessThan(1.35);
  });

  // 50 random 6-dimensional subspaces U of R^1024 (a new U per seed), m = 256. Measured first (mean
  // ‖M‖_F² within 1-5 % of the exact expectation for every family; ‖M‖₂ medians 0.2-0.25, maxima
  // 0.3-0.36 at n = 2048, d = 8, m = 512), then asserted against what theory guarantees:
  //  (a) E‖M‖_F² exactly (expectedFrob2), M = (SU)ᵀ(SU) − I: the mean over the seeds within 4 standard errors;
  //  (b) Markov on ‖M‖₂² ≤ ‖M‖_F²: P(‖M‖₂ > ε) ≤ E‖M‖_F²/ε² = 0.2 for ε = √(5E), so at most 20 of 50 draws
  //      (the binomial mean plus 3.5 standard deviations) may exceed it; the singular values of SU
  //      then lie in [√(1 − ε), √(1 + ε)];
  //  (c) Gaussian (and FJLT with a dense Φ, which is Gaussian after the rotation HD): every draw within
  //      Vershynin's bound 1 ± (√(d/m) + t/√m), t = √(2 ln(2/δ)), δ = 10⁻³ (Introduction to the
  //      non-asymptotic analysis of random matrices, Cor. 5.35);
  //  (d) SRHT: Tropp's bound σ ∈ [√0.40, √1.48] (Improved analysis of the SRHT, 2011, Thm 3.1), at the
  //      m ≥ 4(√d + √(8 ln(dN)))² ln d it needs (m = 900 here).
  it.each(SKETCH_KINDS)('%s: a subspace embedding of random 6-dimensional subspaces (50 seeds)', (kind) => {
    const n = 1024;
    const d = 6;
    const m = 256;
    const seeds = 50;
    const frob: number[] = [];
    const expected: number[] = [];
    let exceed = 0;
    let worstLow = 1;
    let worstHigh = 1;
    const opts: Partial<SketchOptions> = kind === 'fjlt' ? { fjltDensity: 1 } : {};
    for (let s = 0; s < seeds; s++) {
      const U = randomSubspace(n, d, 900 + s);
      const S = createSketch(n, { kind, m, seed: s, ...opts });
      const r = distortion(S.applyMatrix(U));
      const E = expectedFrob2(kind, U, m, n);
      frob.push(r.frob2);
      expected.push(E);
      if (r.spectral > Math.sqrt(5 * E)) exceed++;
      else {
        expect(r.smin).toBeGreaterThanOrEqual(Math.sqrt(1 - Math.sqrt(5 * E)));
        expect(r.smax).toBeLessThanOrEqual(Math.sqrt(1 + Math.sqrt(5 * E)));
      }
      worstLow = Math.min(worstLow, r.smin);
      worstHigh = Math.max(worstHigh, r.smax);
    }
    const { mean, std } = meanStd(frob);
    const E = expected.reduce((a, b) => a + b) / seeds;
    expect(Math.abs(mean - E)).toBeLessThan((4 * std) / Math.sqrt(seeds));
    expect(exceed).toBeLessThanOrEqual(20);
    if (kind === 'gaussian' || kind === 'fjlt') {
      const eps = Math.sqrt(d / m) + Math.sqrt(2 * Math.log(2 / 1e-3)) / Math.sqrt(m);
      expect(worstLow).toBeGreaterThanOrEqual(1 - eps);
      expect(worstHigh).toBeLessThanOrEqual(1 + eps);
    }
    if (kind === 'srht') {
      const mTropp = 900;
      expect(mTropp).toBeGreaterThanOrEqual(4 * (Math.sqrt(d) + Math.sqrt(8 * Math.log(d * n))) ** 2 * Math.log(d));
      for (let s = 0; s < seeds; s++) {
        const r = distortion(createSketch(n, { kind, m: mTropp, seed: s }).applyMatrix(randomSubspace(n, d, 900 + s)));
        expect(r.smin).toBeGreaterThanOrEqual(Math.sqrt(0.4));
        expect(r.smax).toBeLessThanOrEqual(Math.sqrt(1.48));
      }
    }
  });

  it('srht without replacement has the smaller second moment (N − m)/(N − 1) of the exact formula; with replacement the full one', () => {
    const n = 512;
    const d = 4;
    const m = 256;
    for (const sampling of ['with', 'without'] as const) {
      const frob: number[] = [];
      const expected: number[] = [];
      for (let s = 0; s < 60; s++) {
        const U = randomSubspace(n, d, 300 + s);
        frob.push(distortion(createSketch(n, { kind: 'srht', m, seed: s, srhtSampling: sampling }).applyMatrix(U)).frob2);
        expected.push(expectedFrob2('srht', U, m, n, sampling));
      }
      const { mean, std } = meanStd(frob);
      const E = expected.reduce((a, b) => a + b) / frob.length;
      expect(Math.abs(mean - E)).toBeLessThan((4 * std) / Math.sqrt(frob.length));
    }
  });
});

describe('dense sketches on inputs with zero rows', () => {
  it.each(['gaussian', 'rademacher'] as const)('%s: the sparse-row path gives the same S·A as the dense one', (kind) => {
    const n = 200;
    const S = createSketch(n, { kind, m: 30, seed: 4 });
    const A = new DenseMatrix(n, 3);
    A.data[5 * 3 + 1] = 2;
    A.data[77 * 3] = -1;
    A.data[199 * 3 + 2] = 0.5;
    expect(maxAbsDiff(S.applyMatrix(A).data, S.toDense().mul(A).data)).toBeLessThan(1e-14);
    expect(maxAbsDiff(S.applyMatrix(new DenseMatrix(n, 2)).data, new Float64Array(60))).toBe(0);
  });
});

/** ‖X − Y‖_F / ‖Y‖_F. */
function relFrob(X: Float64Array, Y: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < X.length; i++) {
    num += (X[i] - Y[i]) ** 2;
    den += Y[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Median seconds of `reps` calls of f. */
function medianSeconds(f: () => unknown, reps: number): number {
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) / 1000);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(reps / 2)];
}

describe('sketches of a sparse (CSR) A', () => {
  // n = 300, k = 7: density 3 % leaves many rows empty; 20 % sends SRHT down its transform path and
  // 50 % sends Gaussian/Rademacher down their gemm path.
  const cases: Array<[string, number, number]> = [
    ['3 % stored', 0.03, 60],
    ['20 % stored', 0.2, 200],
    ['50 % stored', 0.5, 120],
  ];
  for (const [label, density, m] of cases) {
    it.each(SKETCH_KINDS)(`%s: S·A from the CSR arrays equals S·A of the dense copy, same seed (${label})`, (kind) => {
      const A = randomSparse(300, 7, density, { seed: 5 });
      const S = createSketch(300, { kind, m, seed: 9 });
      const sparse = S.applyMatrix(A);
      const dense = S.applyMatrix(A.toDense());
      expect(sparse.rows).toBe(m);
      expect(sparse.cols).toBe(7);
      expect(relFrob(sparse.data, dense.data)).toBeLessThan(1e-12);
      // A fresh draw from the same seed gives the same S·A.
      expect(relFrob(createSketch(300, { kind, m, seed: 9 }).applyMatrix(A).data, dense.data)).toBeLessThan(1e-12);
    });
  }

  it('gaussian streamed (m·n > 2^21) and srht on a non-power-of-two n: sparse path = dense path', () => {
    const A = randomSparse(5000, 6, 0.002, { seed: 1 });
    for (const kind of ['gaussian', 'rademacher', 'srht', 'countsketch', 'osnap'] as const) {
      const S = createSketch(5000, { kind, m: 500, seed: 2 });
      expect(relFrob(S.applyMatrix(A).data, S.applyMatrix(A.toDense()).data)).toBeLessThan(1e-12);
    }
  });

  it('countsketch of A with one stored entry per row is exactly the signed bucket sums', () => {
    // A = the n×1 column of ones as CSR: S·A[r] = Σ_{h(i) = r} s(i), an integer; compare with S·1.
    const n = 1000;
    const A = CsrMatrix.fromCoo(n, 1, Array.from({ length: n }, (_, i) => i), new Array(n).fill(0), new Array(n).fill(1));
    const S = createSketch(n, { kind: 'countsketch', m: 16, seed: 3 });
    const expected = S.apply(new Float64Array(n).fill(1));
    expect(Array.from(S.applyMatrix(A).data)).toEqual(Array.from(expected));
    expect(expected.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('an all-zero sparse A (no stored entries) sketches to zeros', () => {
    const Z = new CsrMatrix(50, 3, new Int32Array(51), new Int32Array(0), new Float64Array(0));
    for (const kind of SKETCH_KINDS) expect(createSketch(50, { kind, m: 10 }).applyMatrix(Z).data.every((v) => v === 0)).toBe(true);
  });

  it('rejects a CSR A with the wrong number of rows, or NaN written into its values', () => {
    const S = createSketch(40, { kind: 'countsketch', m: 8 });
    expect(codeOf(() => S.applyMatrix(randomSparse(39, 3, 0.2)))).toBe('SHAPE_MISMATCH');
    const A = randomSparse(40, 3, 0.2, { seed: 4 });
    A.values[2] = NaN;
    A.markModified();
    for (const kind of SKETCH_KINDS) expect(codeOf(() => createSketch(40, { kind, m: 8 }).applyMatrix(A))).toBe('NOT_FINITE');
  });

  it('countsketch of a sparse A costs O(nnz): 10x the entries takes several times longer, and far less than the dense product', () => {
    // A ratio check, not a timing assertion: bounds are loose for a shared machine.
    const n = 20000;
    const k = 200;
    const S = createSketch(n, { kind: 'countsketch', m: 800, seed: 0 });
    const A1 = randomSparse(n, k, 0.01, { seed: 1 }); // 40 000 stored
    const A10 = randomSparse(n, k, 0.1, { seed: 2 }); // 400 000 stored
    const D1 = A1.toDense();
    for (let w = 0; w < 3; w++) {
      S.applyMatrix(A1);
      S.applyMatrix(A10);
    }
    // Interleaved, and the fastest of each: a burst of load on this shared machine slows one call, never
    // speeds one up, so minima taken side by side compare the work itself.
    let t1 = Infinity;
    let t10 = Infinity;
    for (let r = 0; r < 15; r++) {
      t1 = Math.min(t1, medianSeconds(() => S.applyMatrix(A1), 1));
      t10 = Math.min(t10, medianSeconds(() => S.applyMatrix(A10), 1));
    }
    const tDense = medianSeconds(() => S.applyMatrix(D1), 3);
    expect(t10 / t1).toBeGreaterThan(2);
    expect(tDense / t1).toBeGreaterThan(4);
  });
});
