import { OptkitError, Rng, simdAvailable, type ParamArray, type Params } from '@optkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { adamwStep } from './adamw.js';
import { lambStep } from './lamb-step.js';
import { lionStep } from './lion.js';
import { ParallelOptimizer, createParallelOptimizer, type ParallelOptimizerOptions } from './parallel-step.js';

const open: ParallelOptimizer[] = [];
afterAll(() => {
  for (const o of open) o.dispose();
});

async function make(options: ParallelOptimizerOptions): Promise<ParallelOptimizer> {
  const opt = await createParallelOptimizer(options);
  open.push(opt);
  return opt;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; argument: string | undefined }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

// Sizes: one tensor above SPECIALIZE_MIN_LENGTH (its slices specialise), odd sizes that split
// across the workers' slice bounds, a 1-element tensor.
const SIZES = { w1: 40_003, b1: 17, w2: 3001, s: 1 };

function initial(f32: boolean, seed = 5): Params {
  const rng = new Rng(seed);
  const out: Params = {};
  for (const [k, n] of Object.entries(SIZES)) out[k] = rng.fillNormal(f32 ? new Float32Array(n) : new Float64Array(n));
  return out;
}

/** Writes step k's pseudo-gradient g = θ − 0.3 + noise into `grads` (same draw for both runs). */
function fillGrads(grads: Params, params: Params, rng: Rng): void {
  for (const k in grads) {
    const g = grads[k];
    for (let i = 0; i < g.length; i++) g[i] = params[k][i] - 0.3 + 0.5 * rng.normal();
  }
}

function bitEqual(a: ParamArray, b: ParamArray): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const zerosLike = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, a]) => [k, new (a.constructor as Float64ArrayConstructor)(a.length)]));
const clone = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, a]) => [k, a.slice()]));

describe('ParallelOptimizer', () => {
  /*
   * float32 Lion with λ = 0 (the plain SIMD kernel on every tensor) and AdamW, with the SIMD kernels
   * (where available) and with OPTKIT_NO_SIMD=1 (the JS kernels): both equal lionStep / adamwStep bit
   * for bit. SIZES has lengths of every residue mod 4 except 2 (40 003, 17, 3001, 1), so segment
   * tails run in JS; 'z' (2 elements) adds residue 2 and a gradient with NaN, ±Infinity and ±0.
   */
  for (const noSimd of [false, true]) {
    it(`float32 lion (λ = 0) and adamw ${noSimd ? 'with OPTKIT_NO_SIMD=1 (JS kernels)' : 'with SIMD where available'}: equal the single-thread kernels bit for bit`, async () => {
      const saved = process.env.OPTKIT_NO_SIMD;
      if (noSimd) process.env.OPTKIT_NO_SIMD = '1';
      let lionOpt: ParallelOptimizer;
      let adamwOpt: ParallelOptimizer;
      const p0 = { ...initial(true, 8), z: new Float32Array([0.5, -0.25]) };
      try {
        lionOpt = await make({ kind: 'lion', params: p0, threads: 2, lr: 1e-3 });
        adamwOpt = await make({ kind: 'adamw', params: p0, threads: 2, lr: 1e-2, weightDecay: 0 });
      } finally {
        if (saved === undefined) delete process.env.OPTKIT_NO_SIMD;
        else process.env.OPTKIT_NO_SIMD = saved;
      }
      for (const opt of [lionOpt, adamwOpt]) expect(opt.simd).toBe(!noSimd && simdAvailable());
      const ref = clone(p0);
      const m = zerosLike(p0);
      const refA = clone(p0);
      const mA = zerosLike(p0);
      const vA = zerosLike(p0);
      const rng = new Rng(21);
      for (let t = 1; t <= 4; t++) {
        fillGrads(lionOpt.grads, lionOpt.params, rng);
        fillGrads(adamwOpt.grads, adamwOpt.params, rng);
        if (t === 3) {
          for (const g of [lionOpt.grads, adamwOpt.grads]) {
            g.w1.set([Number.NaN, Infinity, -Infinity, 0, -0], 100);
            g.z[1] = Number.NaN;
          }
        }
        for (const k in ref) {
          lionStep(ref[k], lionOpt.grads[k], m[k], { lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
          adamwStep(refA[k], adamwOpt.grads[k], mA[k], vA[k], { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0, step: t });
        }
        lionOpt.step();
        adamwOpt.step();
      }
      for (const k in ref) {
        expect(bitEqual(lionOpt.params[k], ref[k]) && bitEqual(lionOpt.state.m[k], m[k]), `lion ${k}`).toBe(true);
        expect(bitEqual(adamwOpt.params[k], refA[k]) && bitEqual(adamwOpt.state.m[k], mA[k]) && bitEqual(adamwOpt.state.v![k], vA[k]), `adamw ${k}`).toBe(true);
      }
      expect(Number.isNaN(lionOpt.params.w1[100]) && Number.isNaN(adamwOpt.params.z[1])).toBe(true);
      lionOpt.dispose();
      adamwOpt.dispose();
    }, 30_000);
  }

  for (const f32 of [true, false]) {
    const dtype = f32 ? 'float32' : 'float64';

    const lionThreads = f32 ? 3 : 2;
    it(`${dtype} lion, ${lionThreads} threads: equals lionStep per tensor bit for bit (decay mask, lr schedule); a NaN gradient propagates`, async () => {
      for (const threads of [lionThreads]) {
        const p0 = initial(f32);
        const lr = (t: number) => 1e-3 * 0.9 ** t;
        const opt = await make({ kind: 'lion', params: p0, threads, lr, beta1: 0.9, beta2: 0.99, weightDecay: 0.1, mask: (n) => n !== 'b1' });
        // float32 runs the WebAssembly SIMD kernels where available: this test then proves them bit-identical.
        expect(opt.simd).toBe(f32 && simdAvailable());
        const ref = clone(p0);
        const m = zerosLike(p0);
        const rng = new Rng(11);
        for (let t = 0; t < 6; t++) {
          fillGrads(opt.grads, opt.params, rng);
          for (const k in ref) lionStep(ref[k], opt.grads[k], m[k], { lr: lr(t), beta1: 0.9, beta2: 0.99, weightDecay: k === 'b1' ? 0 : 0.1 });
          opt.step();
        }
        for (const k in ref) {
          expect(bitEqual(opt.params[k], ref[k]), `${threads} threads, ${k}`).toBe(true);
          expect(bitEqual(opt.state.m[k], m[k]), `${threads} threads, m.${k}`).toBe(true);
        }
        expect(opt.stepCount).toBe(6);
        // Gradients are not checked, as in lionStep: a NaN element makes its parameter NaN, nothing else.
        fillGrads(opt.grads, opt.params, rng);
        opt.grads.w1[42] = Number.NaN;
        for (const k in ref) lionStep(ref[k], opt.grads[k], m[k], { lr: lr(6), beta1: 0.9, beta2: 0.99, weightDecay: k === 'b1' ? 0 : 0.1 });
        opt.step();
        expect(Number.isNaN(opt.params.w1[42])).toBe(true);
        for (const k in ref) expect(bitEqual(opt.params[k], ref[k]), `after NaN, ${k}`).toBe(true);
        opt.dispose();
      }
    }, 30_000);

    const adamwThreads = f32 ? 2 : 3;
    it(`${dtype} adamw, ${adamwThreads} threads: equals adamwStep per tensor bit for bit; a NaN gradient propagates`, async () => {
      const p0 = initial(f32);
      const opt = await make({ kind: 'adamw', params: p0, threads: adamwThreads, lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, mask: (n) => n.startsWith('w') });
      expect(opt.simd).toBe(f32 && simdAvailable());
      const ref = clone(p0);
      const m = zerosLike(p0);
      const v = zerosLike(p0);
      const rng = new Rng(12);
      for (let t = 1; t <= 7; t++) {
        fillGrads(opt.grads, opt.params, rng);
        if (t === 7) opt.grads.b1[3] = Number.NaN;
        for (const k in ref) adamwStep(ref[k], opt.grads[k], m[k], v[k], { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: k.startsWith('w') ? 0.01 : 0, step: t });
        opt.step();
      }
      for (const k in ref) {
        expect(bitEqual(opt.params[k], ref[k]), k).toBe(true);
        expect(bitEqual(opt.state.m[k], m[k]) && bitEqual(opt.state.v![k], v[k]), `state ${k}`).toBe(true);
      }
      expect(Number.isNaN(opt.params.b1[3])).toBe(true);
      opt.dispose();
    }, 30_000);

    if (f32) {
      /*
       * float32 LAMB with the SIMD kernels against the same optimizer with OPTKIT_NO_SIMD=1 (the JS
       * passes), 2 threads: the kernels keep the JS rounding points and add the sums of squares in
       * index order, and both cut the same segments, so θ, m, v, u and every ρ agree bit for bit —
       * with and without weight decay ('b1' is excluded), a segment tail of every residue mod 4
       * ('z' adds 2), and NaN, ±Infinity and ±0 gradients (a NaN norm: ρ = 1).
       */
      it('float32 lamb, 2 threads: SIMD kernels equal OPTKIT_NO_SIMD=1 bit for bit (θ, m, v, u, ρ)', async () => {
        const p0 = { ...initial(true, 9), z: new Float32Array([0.5, -0.25]) };
        const options = {
          kind: 'lamb' as const, params: p0, threads: 2, lr: 0.01, weightDecay: 0.01, clampWeightNorm: [0, 150] as [number, number],
          excludeFromWeightDecay: (n: string) => n === 'b1',
        };
        const simdOpt = await make(options);
        const saved = process.env.OPTKIT_NO_SIMD;
        process.env.OPTKIT_NO_SIMD = '1';
        let jsOpt: ParallelOptimizer;
        try {
          jsOpt = await make(options);
        } finally {
          if (saved === undefined) delete process.env.OPTKIT_NO_SIMD;
          else process.env.OPTKIT_NO_SIMD = saved;
        }
        expect(simdOpt.simd).toBe(simdAvailable());
        expect(jsOpt.simd).toBe(false);
        const rng = new Rng(31);
        for (let t = 1; t <= 4; t++) {
          fillGrads(simdOpt.grads, simdOpt.params, rng);
          if (t === 3) {
            simdOpt.grads.w2.set([Number.NaN, Infinity, -Infinity, 0, -0], 100);
            simdOpt.grads.z[1] = Infinity;
          }
          for (const k in p0) jsOpt.grads[k].set(simdOpt.grads[k]);
          simdOpt.step();
          jsOpt.step();
          const rs = simdOpt.lastTrustRatios();
          const rj = jsOpt.lastTrustRatios();
          for (const k in p0) {
            expect(Object.is(rs[k], rj[k]), `rho ${k}, step ${t}`).toBe(true);
            expect(bitEqual(simdOpt.params[k], jsOpt.params[k]), `theta ${k}, step ${t}`).toBe(true);
            for (const role of ['m', 'v', 'u'] as const) {
              expect(bitEqual(simdOpt.state[role]![k], jsOpt.state[role]![k]), `${role} ${k}, step ${t}`).toBe(true);
            }
          }
          if (t === 3) expect(rs.w2).toBe(1);
        }
        expect(simdOpt.lastTrustRatios().w1).not.toBe(1);
        simdOpt.dispose();
        jsOpt.dispose();
      }, 30_000);
    }

    /*
     * LAMB: the workers' partial sums of squares are added in another order than one thread adds
     * them, so ‖u‖ and ‖θ‖ and hence ρ differ by rounding (relative ≲ n·2⁻⁵³; observed ≤ 1.4e-14). The
     * tolerance, per step from the same θ: every ρ within 1e-12 relative of lambStep's, and every θᵢ
     * within 2⁻²²·max(|θᵢ|, ‖Δθ‖∞) for float32 (2 ulps of the larger operand: a ρ that differs in
     * its last bits moves a rounded float32 product by at most 1 ulp, and rarely; observed: equal),
     * 1e-13·max(...) for float64 (observed 5e-15). m and v do not depend on ρ and must match bit for bit.
     * With threads = 1 the sums are in index order and the result is lambStep's bit for bit.
     */
    for (const threads of f32 ? [1, 2] : [3]) {
      it(`${dtype} lamb, ${threads} thread${threads > 1 ? 's' : ''}: ${threads === 1 ? 'equals lambStep per tensor bit for bit' : 'equals lambStep per tensor within the stated tolerance'}`, async () => {
        const p0 = initial(f32);
        p0.s.fill(0); // a zero tensor: ρ = 1 on the first step
        const common = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 };
        const opt = await make({
          kind: 'lamb', params: p0, threads, ...common, weightDecay: 0.01, clampWeightNorm: [0, 150],
          excludeFromWeightDecay: (n) => n === 'b1', excludeFromLayerAdaptation: (n) => n === 'w2',
        });
        // float32 runs the WebAssembly SIMD kernels where available: this test then covers them.
        expect(opt.simd).toBe(f32 && simdAvailable());
        const ref = clone(p0);
        const m = zerosLike(p0);
        const v = zerosLike(p0);
        const u = zerosLike(p0);
        const rng = new Rng(13);
        const tolerance = threads === 1 ? 0 : f32 ? 2 ** -22 : 1e-13;
        let worst = 0;
        let worstRho = 0;
        for (let t = 1; t <= 6; t++) {
          fillGrads(opt.grads, opt.params, rng);
          const rhos: Record<string, number> = {};
          const before = clone(ref);
          for (const k in ref) {
            rhos[k] = lambStep(ref[k], opt.grads[k], m[k], v[k], u[k], {
              ...common, step: t, weightDecay: k === 'b1' ? 0 : 0.01, layerAdaptation: k !== 'w2', clampWeightNorm: [0, 150],
            });
          }
          opt.step();
          const got = opt.lastTrustRatios();
          for (const k in ref) {
            worstRho = Math.max(worstRho, Math.abs(got[k] / rhos[k] - 1));
            let stepMax = 0;
            for (let i = 0; i < ref[k].length; i++) stepMax = Math.max(stepMax, Math.abs(ref[k][i] - before[k][i]));
            for (let i = 0; i < ref[k].length; i++) {
              const d = Math.abs(opt.params[k][i] - ref[k][i]);
              if (d > 0 || Number.isNaN(d)) worst = Math.max(worst, d / Math.max(Math.abs(ref[k][i]), stepMax));
            }
          }
          // The state is compared at the end; θ is reset to the reference so that each step is compared from the same start.
          for (const k in ref) opt.params[k].set(ref[k]);
        }
        expect(worst).toBeLessThanOrEqual(tolerance);
        expect(worstRho).toBeLessThanOrEqual(threads === 1 ? 0 : 1e-12);
        for (const k in ref) expect(bitEqual(opt.state.m[k], m[k]) && bitEqual(opt.state.v![k], v[k]), k).toBe(true);
        const rho = opt.lastTrustRatios();
        expect(rho.w2).toBe(1); // excluded from layer adaptation
        expect(rho.w1).not.toBe(1);
        // A NaN gradient: NaN in its parameter and ρ = 1 for its tensor (a NaN norm), as lambStep.
        fillGrads(opt.grads, opt.params, rng);
        opt.grads.w1[5] = Number.NaN;
        opt.step();
        expect(Number.isNaN(opt.params.w1[5])).toBe(true);
        expect(Number.isNaN(opt.params.w1[6])).toBe(false);
        expect(opt.lastTrustRatios().w1).toBe(1);
        opt.dispose();
      }, 30_000);
    }
  }

  it('dispose is idempotent; step after dispose throws UNAVAILABLE; params stay readable', async () => {
    const opt = await make({ kind: 'lion', params: { w: new Float32Array([1, 2, 3]) }, lr: 0.1 });
    opt.grads.w.set([1, -1, 0]);
    opt.step();
    expect(Array.from(opt.params.w)).toEqual([Math.fround(0.9), Math.fround(2.1), 3]);
    opt.dispose();
    opt.dispose();
    expect(opt.isDisposed).toBe(true);
    let err: unknown;
    try {
      opt.step();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OptkitError);
    expect((err as OptkitError).code).toBe('UNAVAILABLE');
    expect(opt.params.w[0]).toBe(Math.fround(0.9));
  }, 30_000);

  it('bad input: thread counts, options and params give OptkitError naming the option', async () => {
    const p = { w: new Float32Array(4) };
    for (const threads of [0, -1, 1.5, Number.NaN, 257, Number.POSITIVE_INFINITY]) {
      expect(await rejection(createParallelOptimizer({ kind: 'lion', params: p, threads })), String(threads)).toEqual({ code: 'INVALID_OPTION', argument: 'threads' });
    }
    const bad: Array<[ParallelOptimizerOptions, string]> = [
      [{ kind: 'sgd' as 'lion', params: p }, 'kind'],
      [{ kind: 'lion', params: p, lr: -1 }, 'lr'],
      [{ kind: 'lion', params: p, lr: Number.NaN }, 'lr'],
      [{ kind: 'lion', params: p, beta1: 1 }, 'beta1'],
      [{ kind: 'lion', params: p, beta2: -0.5 }, 'beta2'],
      [{ kind: 'lion', params: p, weightDecay: -1 }, 'weightDecay'],
      [{ kind: 'lion', params: p, mask: 'w' as never }, 'mask'],
      [{ kind: 'adamw', params: p, b1: 1.5 }, 'b1'],
      [{ kind: 'adamw', params: p, eps: -1 }, 'eps'],
      [{ kind: 'lamb', params: p, epsilon: Number.NaN }, 'epsilon'],
      [{ kind: 'lamb', params: p, clampWeightNorm: [3, 1] }, 'clampWeightNorm[1]'],
      [{ kind: 'lamb', params: p, excludeFromWeightDecay: 1 as never }, 'excludeFromWeightDecay'],
      [{ kind: 'lamb', params: p, timeoutMs: 0 }, 'timeoutMs'],
    ];
    for (const [o, name] of bad) expect(await rejection(createParallelOptimizer(o)), name).toEqual({ code: 'INVALID_OPTION', argument: name });
    expect((await rejection(createParallelOptimizer({ kind: 'lion', params: {} }))).code).toBe('EMPTY_INPUT');
    expect((await rejection(createParallelOptimizer({ kind: 'lion', params: { w: new Float32Array(0) } }))).code).toBe('EMPTY_INPUT');
    expect(await rejection(createParallelOptimizer({ kind: 'lion', params: { a: new Float32Array(2), b: new Float64Array(2) } }))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'params.b' });
    expect((await rejection(createParallelOptimizer({ kind: 'lion', params: { a: [1, 2] as never } }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(createParallelOptimizer(null as never))).code).toBe('INVALID_ARGUMENT');
    // A schedule that turns negative: INVALID_OPTION at that step, nothing changed.
    const opt = await make({ kind: 'adamw', params: { w: new Float32Array([1, 2]) }, lr: (t) => 0.1 - t * 0.1 });
    opt.grads.w.set([1, 1]);
    opt.step();
    const after = opt.params.w.slice();
    opt.step(); // lr(1) = 0: allowed
    let err: unknown;
    try {
      opt.step(); // lr(2) < 0
    } catch (e) {
      err = e;
    }
    expect((err as OptkitError).code).toBe('INVALID_OPTION');
    expect(opt.stepCount).toBe(2);
    expect(after[0]).toBeLessThan(1);
    opt.dispose();
  }, 30_000);
});
