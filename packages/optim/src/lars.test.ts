import { describe, expect, it } from 'vitest';
import { OptkitError, Optimizer, sgd, type Params } from '@optkit/core';
import { lars, scaleByLars, type LarsOptions } from './lars.js';

function codeOf(fn: () => unknown): { code: string; argument: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

describe('lars', () => {
  it('two steps by hand (TF-Addons form: lr inside the momentum)', () => {
    const lr = 0.5;
    const mu = 0.9;
    const wd = 0.01;
    const eta = 0.02;
    const eps = 1e-3;
    const w = new Float64Array([3, 4]);
    const opt = new Optimizer(lars({ lr, momentum: mu, weightDecay: wd, trustCoefficient: eta, epsilon: eps }), { w });
    // Step 1: τ = η‖w‖/(‖g‖ + λ‖w‖ + ε) = 0.02·5/(√5 + 0.05 + 0.001); v = lr·τ·(g + λw); w ← w − v.
    const g1 = [1, -2];
    const tau1 = (eta * 5) / (Math.sqrt(5) + wd * 5 + eps);
    const v1 = [lr * tau1 * (g1[0] + wd * 3), lr * tau1 * (g1[1] + wd * 4)];
    opt.step({ w: new Float64Array(g1) });
    const w1 = [3 - v1[0], 4 - v1[1]];
    expect(w[0]).toBeCloseTo(w1[0], 15);
    expect(w[1]).toBeCloseTo(w1[1], 15);
    // Step 2: v ← μv + lr·τ·(g + λw) with τ from the new w.
    const g2 = [0.5, 0.5];
    const wn = Math.hypot(w1[0], w1[1]);
    const tau2 = (eta * wn) / (Math.hypot(0.5, 0.5) + wd * wn + eps);
    const v2 = [mu * v1[0] + lr * tau2 * (g2[0] + wd * w1[0]), mu * v1[1] + lr * tau2 * (g2[1] + wd * w1[1])];
    opt.step({ w: new Float64Array(g2) });
    expect(w[0]).toBeCloseTo(w1[0] - v2[0], 15);
    expect(w[1]).toBeCloseTo(w1[1] - v2[1], 15);
  });

  it('Nesterov: w ← w − (μ·v + lr·τ·(g + λw)) with the new v', () => {
    const w = new Float64Array([3, 4]);
    const opt = new Optimizer(lars({ lr: 1, momentum: 0.5, weightDecay: 0, trustCoefficient: 0.1, nesterov: true }), { w });
    opt.step({ w: new Float64Array([0, 5]) });
    // τ = 0.1·5/5 = 0.1; v = 0.1·(0, 5) = (0, 0.5); step = 0.5·v + 0.1·g = (0, 0.75).
    expect(w[0]).toBe(3);
    expect(w[1]).toBeCloseTo(4 - 0.75, 15);
  });

  it('skipped tensors get plain momentum SGD (τ = 1, no decay); zero norms fall back to τ = 1', () => {
    const params: Params = { bias: new Float64Array([1, 2]), zero: new Float64Array(2) };
    const ref: Params = { bias: new Float64Array([1, 2]), zero: new Float64Array(2) };
    const opt = new Optimizer(lars({ lr: 0.1, weightDecay: 0, skip: (n) => n === 'bias' }), params);
    const optRef = new Optimizer(sgd(0.1, { momentum: 0.9 }), ref);
    for (let k = 0; k < 5; k++) {
      opt.step({ bias: new Float64Array([1, -1]), zero: new Float64Array([k === 0 ? 1 : 0, 0]) });
      optRef.step({ bias: new Float64Array([1, -1]), zero: new Float64Array([k === 0 ? 1 : 0, 0]) });
    }
    expect(Array.from(params.bias)).toEqual(Array.from(ref.bias));
    // zero: ‖w‖ = 0 on step 1, so τ = 1 (plain momentum) — then ‖g‖ = 0 afterwards, τ = 1 again.
    expect(Array.from(params.zero)).toEqual(Array.from(ref.zero));
    const st = (opt.state as unknown as [{ ratios: Record<string, number> }])[0];
    expect(st.ratios).toEqual({ bias: 1, zero: 1 });
  });

  it('scaleByLars applies τ(g + λw) per tensor', () => {
    const t = scaleByLars({ trustCoefficient: 1, weightDecay: 0.5 });
    const params: Params = { a: new Float64Array([0, 2]) };
    const s = t.init(params);
    const u: Params = { a: new Float64Array([3, 0]) };
    t.update(u, s, params);
    // τ = 2/(3 + 1) = 0.5; g + λw = (3, 1).
    expect(Array.from(u.a)).toEqual([1.5, 0.5]);
    expect(s.ratios.a).toBe(0.5);
  });

  it('bad options give INVALID_OPTION naming the option', () => {
    const bad: Array<[LarsOptions, string]> = [
      [{ lr: Number.NaN }, 'lr'],
      [{ lr: -0.1 }, 'lr'],
      [{ momentum: 1 }, 'momentum'],
      [{ momentum: -0.5 }, 'momentum'],
      [{ weightDecay: -1 }, 'weightDecay'],
      [{ trustCoefficient: 0 }, 'trustCoefficient'],
      [{ epsilon: Number.NaN }, 'epsilon'],
      [{ skip: 'bias' as unknown as () => boolean }, 'skip'],
    ];
    for (const [o, name] of bad) expect(codeOf(() => lars(o))).toEqual({ code: 'INVALID_OPTION', argument: name });
    const t = scaleByLars();
    const s = t.init({ a: new Float64Array(1) });
    expect(codeOf(() => t.update({ a: new Float64Array(1) }, s)).code).toBe('INVALID_ARGUMENT');
  });
});
