import { describe, expect, it } from 'vitest';
import { OptkitError, Optimizer, Rng, checkHvp, logisticRegression, randomSpd, type Params, type StepContext } from '@optkit/core';
import {
  adahessian,
  centralDifferenceHvp,
  hessianDiagonalStats,
  hutchinsonDiagonal,
  scaleByAdahessian,
  type AdahessianOptions,
  type ScaleByAdahessianOptions,
} from './adahessian.js';

function codeOf(fn: () => unknown): { code: string; argument: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

/** A context whose hvp multiplies every tensor elementwise by a fixed diagonal. */
function diagonalContext(diag: Record<string, number[]>, calls = { n: 0 }): StepContext {
  return {
    step: 0,
    hvp(v, out) {
      calls.n++;
      for (const k in v) for (let i = 0; i < v[k].length; i++) out[k][i] = diag[k][i] * v[k][i];
    },
  };
}

/** One update of scaleByAdahessian on zero gradients; returns the averaged estimate D̄. */
function estimateOnce(options: ScaleByAdahessianOptions, diag: Record<string, number[]>): Record<string, number[]> {
  const params: Params = {};
  for (const k in diag) params[k] = new Float64Array(diag[k].length);
  const t = scaleByAdahessian(options);
  const s = t.init(params);
  const g: Params = {};
  for (const k in diag) g[k] = new Float64Array(diag[k].length);
  t.update(g, s, params, diagonalContext(diag));
  const out: Record<string, number[]> = {};
  for (const k in s.diag) out[k] = Array.from(s.diag[k]);
  return out;
}

describe('hutchinsonDiagonal', () => {
  it('is exact with one sample for a diagonal H', () => {
    const h = [0.001, 2, -3, 40];
    const d = hutchinsonDiagonal((z) => z.map((v, i) => h[i] * v), 4, { seed: 3 });
    expect(Array.from(d)).toEqual(h);
  });

  it('its mean over 20 000 samples is within 4·√(Σ_{j≠i} H_ij²/N) of H_ii for a dense 20×20 SPD H', () => {
    const n = 20;
    const N = 20_000;
    const H = randomSpd(n, 100, { seed: 5 }).matrix.data;
    const hvp = (z: Float64Array): Float64Array => {
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += H[i * n + j] * z[j];
        y[i] = s;
      }
      return y;
    };
    const d = hutchinsonDiagonal(hvp, n, { samples: N, seed: 7 });
    let offDiagonalMass = 0;
    for (let i = 0; i < n; i++) {
      let off = 0;
      for (let j = 0; j < n; j++) if (j !== i) off += H[i * n + j] ** 2;
      offDiagonalMass += off;
      expect(Math.abs(d[i] - H[i * n + i])).toBeLessThanOrEqual(4 * Math.sqrt(off / N));
    }
    expect(offDiagonalMass).toBeGreaterThan(0); // the test is not trivially exact
  });

  it('rejects bad arguments', () => {
    expect(codeOf(() => hutchinsonDiagonal((z) => z, 0)).argument).toBe('dim');
    expect(codeOf(() => hutchinsonDiagonal((z) => z, 3, { samples: 0 })).argument).toBe('samples');
    expect(codeOf(() => hutchinsonDiagonal((z) => z.slice(1), 3)).code).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => hutchinsonDiagonal(3 as never, 3)).argument).toBe('hvp');
  });
});

describe('centralDifferenceHvp', () => {
  it('matches the analytic HVP of logistic regression to < 1e-6 relative (float64)', () => {
    const rng = new Rng(2);
    const n = 200;
    const d = 8;
    const X = { rows: n, cols: d, data: rng.fillNormal(new Float64Array(n * d)) as Float64Array };
    const y = Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 0 : 1));
    const f = logisticRegression(X, y, { l2: 1e-3 });
    const x = rng.fillNormal(new Float64Array(d), 0, 0.5) as Float64Array;
    const hvp = centralDifferenceHvp((p, out) => f.grad(p, out), x);
    for (let k = 0; k < 3; k++) {
      const v = rng.fillNormal(new Float64Array(d)) as Float64Array;
      const exact = f.hvp!(x, v);
      const fd = hvp(v);
      let num = 0;
      let den = 0;
      for (let i = 0; i < d; i++) {
        num += (fd[i] - exact[i]) ** 2;
        den += exact[i] ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-6);
    }
    expect(Array.from(hvp(new Float64Array(d)))).toEqual(new Array(d).fill(0));
    // core's own checker agrees that the analytic HVP is right.
    expect(checkHvp(f, x).relativeError).toBeLessThan(1e-6);
  });

  it('rejects bad arguments', () => {
    expect(codeOf(() => centralDifferenceHvp(() => {}, new Float64Array(2), { step: 0 })).argument).toBe('step');
    expect(codeOf(() => centralDifferenceHvp(() => {}, [1, 2] as never)).argument).toBe('x');
    const h = centralDifferenceHvp(() => {}, new Float64Array(2));
    expect(codeOf(() => h(new Float64Array(3))).code).toBe('SHAPE_MISMATCH');
  });
});

describe('scaleByAdahessian: spatial averaging', () => {
  it('2×4 matrix with blockSize 2 averages consecutive pairs; 1-D tensors untouched', () => {
    const out = estimateOnce(
      { shapes: { W: [2, 4], b: [4] }, blockSize: 2 },
      { W: [1, 2, 3, 4, 5, 6, 7, 8], b: [1, 2, 3, 4] },
    );
    expect(out.W).toEqual([1.5, 1.5, 3.5, 3.5, 5.5, 5.5, 7.5, 7.5]);
    expect(out.b).toEqual([1, 2, 3, 4]);
  });

  it('a tfjs 3×3×1×1 kernel is averaged over its 9 spatial positions; 3×3×1×2 per output channel', () => {
    const k9 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(estimateOnce({ shapes: { k: [3, 3, 1, 1] } }, { k: k9 }).k).toEqual(new Array(9).fill(5));
    // [kh, kw, in, out] with out = 2: entries alternate channel 0, 1.
    const k18 = Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? i : 100 + i));
    const mean0 = (0 + 2 + 4 + 6 + 8 + 10 + 12 + 14 + 16) / 9;
    const mean1 = mean0 + 101;
    expect(estimateOnce({ shapes: { k: [3, 3, 1, 2] } }, { k: k18 }).k).toEqual(k18.map((_, i) => (i % 2 === 0 ? mean0 : mean1)));
    // PyTorch layout [out, in, kh, kw]: consecutive blocks of 9.
    const o = estimateOnce({ shapes: { k: [2, 1, 3, 3] }, convLayout: 'oihw' }, { k: [...k9, ...k9.map((v) => 10 * v)] }).k;
    expect(o).toEqual([...new Array(9).fill(5), ...new Array(9).fill(50)]);
  });

  it('signed average by default; absBeforeAverage averages magnitudes (the CV code)', () => {
    const diag = { W: [-1, 3, 2, -2] };
    expect(estimateOnce({ shapes: { W: [2, 2] }, blockSize: 2 }, diag).W).toEqual([1, 1, 0, 0]);
    expect(estimateOnce({ shapes: { W: [2, 2] }, blockSize: 2, absBeforeAverage: true }, diag).W).toEqual([2, 2, 2, 2]);
  });

  it('bad shapes and block sizes name the option', () => {
    const t = scaleByAdahessian({ shapes: { W: [2, 3] }, blockSize: 4 });
    expect(codeOf(() => t.init({ W: new Float64Array(6) }))).toEqual({ code: 'INVALID_OPTION', argument: 'blockSize' });
    const t2 = scaleByAdahessian({ shapes: { W: [2, 2] } });
    expect(codeOf(() => t2.init({ W: new Float64Array(6) }))).toEqual({ code: 'SHAPE_MISMATCH', argument: 'shapes.W' });
    const t3 = scaleByAdahessian({ shapes: { V: [2] } });
    expect(codeOf(() => t3.init({ W: new Float64Array(2) }))).toEqual({ code: 'INVALID_OPTION', argument: 'shapes.V' });
    const t4 = scaleByAdahessian({ shapes: { W: [2, -1] } });
    expect(codeOf(() => t4.init({ W: new Float64Array(2) })).argument).toBe('shapes.W');
  });
});

describe('adahessian', () => {
  it('one-step Newton on f = ½Σhᵢxᵢ², h = logspace(−3, 3, 20): x₁ = 0 exactly (k = 1, ε = 0, lr = 1)', () => {
    const n = 20;
    const h = Array.from({ length: n }, (_, i) => 10 ** (-3 + (6 * i) / (n - 1)));
    const x = new Float64Array(n).fill(1);
    const opt = new Optimizer(adahessian({ lr: 1, epsilon: 0 }), { x });
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) g[i] = h[i] * x[i];
    opt.step({ x: g }, { hvp: (v, out) => diagonalContext({ x: h }).hvp!(v, out) });
    // The card's prototype reports residual 0.0. Here m̂/den equals 1 only up to the roundings of
    // ((1 − β1)g)/(1 − β1) and √((1 − β2)h²)/√(1 − β2) (the official code's operation order), so
    // x₁ = 1 − m̂/den is 0 or one ulp of 1: 11 of the 20 coordinates are exactly 0, the rest ±1.1e-16
    // or ±2.2e-16. Nothing of size h (from 1e-3 to 1e3) survives: the step is the Newton step.
    for (let i = 0; i < n; i++) expect(Math.abs(x[i]), `x[${i}]`).toBeLessThanOrEqual(Number.EPSILON);
  });

  it('k = 0 is momentum SGD with bias-corrected momentum and step lr/(1 + ε), bit for bit', () => {
    const rng = new Rng(4);
    const n = 9;
    const x = rng.fillNormal(new Float64Array(n)) as Float64Array;
    const xr = x.slice();
    const lr = 0.05;
    const eps = 1e-4;
    const opt = new Optimizer(adahessian({ lr, hessianPower: 0, epsilon: eps }), { x });
    const m = new Float64Array(n);
    let b1p = 1;
    const ctx = diagonalContext({ x: Array.from({ length: n }, (_, i) => i - 4) });
    for (let k = 0; k < 30; k++) {
      const g = new Float64Array(n);
      for (let i = 0; i < n; i++) g[i] = Math.sin(x[i] + k);
      opt.step({ x: g.slice() }, { hvp: ctx.hvp });
      b1p *= 0.9;
      for (let i = 0; i < n; i++) {
        m[i] = 0.9 * m[i] + (1 - 0.9) * g[i];
        xr[i] += -lr * (m[i] / (1 - b1p) / (1 + eps));
      }
      for (let i = 0; i < n; i++) expect(Object.is(x[i], xr[i]), `step ${k} x[${i}]`).toBe(true);
    }
  });

  it('the step is −lr·(m̂/den + λθ), den = (√ŝ)^k + ε, by hand for two steps', () => {
    const x = new Float64Array([2]);
    const hh = 3;
    const o: AdahessianOptions = { lr: 0.1, weightDecay: 0.01, hessianPower: 0.5, epsilon: 1e-4, beta1: 0.8, beta2: 0.9 };
    const opt = new Optimizer(adahessian(o), { x });
    const ctx = diagonalContext({ x: [hh] });
    let m = 0;
    let s = 0;
    let xr = 2;
    for (let t = 1; t <= 2; t++) {
      const g = hh * xr;
      opt.step({ x: new Float64Array([g]) }, { hvp: ctx.hvp });
      m = 0.8 * m + 0.2 * g;
      s = 0.9 * s + 0.1 * hh * hh;
      const den = Math.pow(Math.sqrt(s) / Math.sqrt(1 - 0.9 ** t), 0.5) + 1e-4;
      xr = xr - 0.1 * (m / (1 - 0.8 ** t) / den + 0.01 * xr);
      expect(x[0]).toBeCloseTo(xr, 14);
    }
  });

  it('the estimate from the transform is unbiased: its mean over many seeds is diag H for a dense H', () => {
    const H = [
      [2, 0.5, -0.3],
      [0.5, 1, 0.2],
      [-0.3, 0.2, 3],
    ];
    const ctx: StepContext = {
      step: 0,
      hvp(v, out) {
        for (let i = 0; i < 3; i++) out.x[i] = H[i][0] * v.x[0] + H[i][1] * v.x[1] + H[i][2] * v.x[2];
      },
    };
    const N = 4000;
    const mean = [0, 0, 0];
    for (let seed = 0; seed < N; seed++) {
      const t = scaleByAdahessian({ seed });
      const s = t.init({ x: new Float64Array(3) });
      t.update({ x: new Float64Array(3) }, s, undefined, ctx);
      for (let i = 0; i < 3; i++) mean[i] += s.diag.x[i] / N;
    }
    for (let i = 0; i < 3; i++) {
      let off = 0;
      for (let j = 0; j < 3; j++) if (j !== i) off += H[i][j] ** 2;
      expect(Math.abs(mean[i] - H[i][i])).toBeLessThanOrEqual(4 * Math.sqrt(off / N));
    }
  });

  it('hessianEvery reuses the estimate; samples averages several; seeds and ctx.rng are deterministic', () => {
    const calls = { n: 0 };
    const ctx = diagonalContext({ x: [1, 2, 3] }, calls);
    const t = scaleByAdahessian({ hessianEvery: 3, samples: 2 });
    const s = t.init({ x: new Float64Array(3) });
    for (let k = 0; k < 7; k++) t.update({ x: new Float64Array([1, 1, 1]) }, s, undefined, ctx);
    expect(calls.n).toBe(6); // estimates on updates 0, 3, 6, two HVPs each
    expect(hessianDiagonalStats(s)).toEqual({ mean: 2, min: 1, hvpCalls: 6 });
    const draw = (opts: ScaleByAdahessianOptions, rng?: Rng): number[] => {
      const c: StepContext = {
        step: 0,
        rng,
        hvp(v, out) {
          for (let i = 0; i < 40; i++) out.x[i] = v.x[(i + 1) % 40];
        },
      };
      const tt = scaleByAdahessian(opts);
      const st = tt.init({ x: new Float64Array(40) });
      tt.update({ x: new Float64Array(40) }, st, undefined, c);
      return Array.from(st.diag.x);
    };
    expect(draw({ seed: 5 })).toEqual(draw({ seed: 5 }));
    expect(draw({ seed: 5 })).not.toEqual(draw({ seed: 6 }));
    expect(draw({}, new Rng(1))).toEqual(draw({}, new Rng(1)));
    expect(draw({}, new Rng(1))).not.toEqual(draw({}, new Rng(2)));
    expect(draw({ seed: 0 }, new Rng(1))).toEqual(draw({}));
  });

  it('needs ctx.hvp; bad options give INVALID_OPTION naming the option', () => {
    const t = adahessian();
    const s = t.init({ x: new Float64Array(2) });
    expect(codeOf(() => t.update({ x: new Float64Array(2) }, s, { x: new Float64Array(2) }))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'ctx.hvp' });
    const bad: Array<[AdahessianOptions, string]> = [
      [{ lr: Number.NaN }, 'lr'],
      [{ lr: -1 }, 'lr'],
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: 1.5 }, 'beta2'],
      [{ epsilon: -1e-4 }, 'epsilon'],
      [{ weightDecay: -1 }, 'weightDecay'],
      [{ hessianPower: 1.5 }, 'hessianPower'],
      [{ hessianPower: -0.1 }, 'hessianPower'],
      [{ blockSize: 0 }, 'blockSize'],
      [{ blockSize: 2.5 }, 'blockSize'],
      [{ hessianEvery: 0 }, 'hessianEvery'],
      [{ samples: 0 }, 'samples'],
      [{ seed: 0.5 }, 'seed'],
      [{ convLayout: 'nchw' as never }, 'convLayout'],
      [{ shapes: 3 as never }, 'shapes'],
    ];
    for (const [o, name] of bad) expect(codeOf(() => adahessian(o)), name).toEqual({ code: 'INVALID_OPTION', argument: name });
    expect(codeOf(() => hessianDiagonalStats({} as never)).code).toBe('INVALID_ARGUMENT');
  });

  it('float32 params keep float32 state and converge on a diagonal quadratic', () => {
    const h = [0.01, 1, 100];
    const x = new Float32Array([1, -1, 1]);
    const opt = new Optimizer(adahessian({ lr: 0.15 }), { x });
    const ctx = diagonalContext({ x: h });
    for (let k = 0; k < 300; k++) {
      const g = new Float32Array(3);
      for (let i = 0; i < 3; i++) g[i] = h[i] * x[i];
      opt.step({ x: g }, { hvp: ctx.hvp });
    }
    const st = (opt.state as unknown as [{ mu: Params; nu: Params }])[0];
    expect(st.mu.x).toBeInstanceOf(Float32Array);
    expect(st.nu.x).toBeInstanceOf(Float32Array);
    for (let i = 0; i < 3; i++) expect(Math.abs(x[i])).toBeLessThan(1e-2);
  });
});
