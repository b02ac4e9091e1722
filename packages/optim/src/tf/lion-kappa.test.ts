import { Optimizer, OptkitError, Rng } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lionKappa, type KappaSpec } from '../lion-kappa.js';
import { OptkitLionKappa, type OptkitLionKappaConfig } from './lion-kappa.js';

beforeAll(async () => {
  const choice = await useBestBackend({ prefer: 'wasm' });
  expect(choice.tfBackend).toBe('wasm');
});

function problem(n: number, seed: number) {
  const rng = new Rng(seed);
  const x0 = new Float64Array(n);
  const target = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = rng.uniform() < 0.5 ? -1 : 1;
    x0[i] = s * (1 + rng.uniform());
    target[i] = x0[i] + (rng.uniform() < 0.5 ? -1 : 1) * (2 + rng.uniform());
    d[i] = 0.5 + rng.uniform();
  }
  return { x0, target, d };
}

function qNorm(x: ArrayLike<number>, q: number): number {
  if (q === Infinity) {
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
    return m;
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]) ** q;
  return s ** (1 / q);
}

describe('OptkitLionKappa', () => {
  const cases: { name: string; tf: OptkitLionKappaConfig; float: KappaSpec }[] = [
    { name: 'sign', tf: { kappa: 'sign' }, float: 'sign' },
    { name: 'l2', tf: { kappa: 'l2' }, float: 'l2' },
    { name: 'lp 1.5', tf: { kappa: 'lp', p: 1.5 }, float: { lp: 1.5 } },
    { name: 'huber 0.5', tf: { kappa: 'huber', delta: 0.5 }, float: { huber: 0.5 } },
    { name: 'relativistic 0.3', tf: { kappa: 'relativistic', r: 0.3 }, float: { relativistic: 0.3 } },
    { name: 'quadratic', tf: { kappa: 'quadratic' }, float: 'quadratic' },
  ];
  for (const c of cases) {
    for (const decay of ['explicit', 'implicit'] as const) {
      it(`agrees with the float64 lionKappa (${c.name}, ${decay} decay) to 1e-5 relative over 100 steps`, () => {
        const n = 48;
        const { x0, target, d } = problem(n, 3);
        const hyper = { lr: 2e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.2 };
        const x = x0.slice();
        const opt64 = new Optimizer(lionKappa({ ...hyper, kappa: c.float, decay }), x);
        const g = new Float64Array(n);
        const v = tf.variable(tf.tensor1d(Float32Array.from(x0)), true);
        const tT = tf.tensor1d(Float32Array.from(target));
        const tD = tf.tensor1d(Float32Array.from(d));
        const opt = new OptkitLionKappa({ ...c.tf, learningRate: hyper.lr, beta1: hyper.beta1, beta2: hyper.beta2, weightDecay: hyper.weightDecay, decay });
        const before = tf.memory().numTensors;
        for (let t = 0; t < 100; t++) {
          for (let i = 0; i < n; i++) g[i] = d[i] * (x[i] - target[i]);
          opt64.step(g);
          const grad = tf.tidy(() => tf.mul(tD, tf.sub(v, tT)));
          opt.applyGradients([{ name: v.name, tensor: grad }]);
          grad.dispose();
          if (t === 0) expect(tf.memory().numTensors).toBe(before + 1); // the one slot, nothing else
        }
        expect(tf.memory().numTensors).toBe(before + 1);
        const xt = v.dataSync();
        let worst = 0;
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(xt[i] - x[i]) / Math.abs(x[i]));
        expect(worst).toBeLessThan(1e-5);
        opt.dispose();
        for (const t of [v, tT, tD]) t.dispose();
      });
    }
  }

  it('drives the iterates into the ball ‖θ‖_q ≤ 1/λ geometrically and keeps them there (sign: q = ∞, lp 1.5: q = 3)', () => {
    for (const [cfg, q] of [
      [{ kappa: 'sign' }, Infinity],
      [{ kappa: 'lp', p: 1.5 }, 3],
      [{ kappa: 'l2' }, 2],
    ] as [OptkitLionKappaConfig, number][]) {
      const n = 32;
      const rng = new Rng(5);
      const start = Float32Array.from({ length: n }, () => 4 * rng.normal());
      const v = tf.variable(tf.tensor1d(start), true);
      const lambda = 1;
      const lr = 0.05;
      const opt = new OptkitLionKappa({ ...cfg, learningRate: lr, weightDecay: lambda });
      let violation = Math.max(0, qNorm(start, q) - 1 / lambda);
      expect(violation).toBeGreaterThan(1);
      let entered = -1;
      for (let t = 0; t < 300; t++) {
        const grad = tf.tidy(() => tf.mul(tf.sin(tf.mul(v, 3 + t)), 5)); // arbitrary bounded gradients
        opt.applyGradients([{ name: v.name, tensor: grad }]);
        grad.dispose();
        const next = Math.max(0, qNorm(v.dataSync(), q) - 1 / lambda);
        expect(next).toBeLessThanOrEqual((1 - lr * lambda) * violation + 1e-5);
        if (entered >= 0) expect(next).toBeLessThanOrEqual(1e-5);
        if (next <= 1e-6 && entered < 0) entered = t;
        violation = next;
      }
      expect(entered).toBeGreaterThan(0);
      opt.dispose();
      v.dispose();
    }
  });

  it('round-trips its state and config through getWeights/setWeights and fromConfig', async () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]), true);
    const opt = new OptkitLionKappa({ learningRate: 0.05, weightDecay: 0.2, kappa: 'lp', p: 1.25 });
    const steps = [[0.3, -0.2, 0.1], [-0.5, 0.4, 0.2], [0.01, -0.02, 0.03]].map((g) => tf.tensor1d(g));
    opt.applyGradients({ [a.name]: steps[0] });
    opt.applyGradients({ [a.name]: steps[1] });
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const copy = tf.variable(tf.clone(a), true);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap['optkit.LionKappa'];
    expect(cls).toBe(OptkitLionKappa);
    const restored = fromConfig(cls, opt.getConfig()) as OptkitLionKappa;
    expect(restored.kappa).toBe('lp');
    expect(restored.p).toBe(1.25);
    await restored.setWeights(saved);
    opt.applyGradients({ [a.name]: steps[2] });
    restored.applyGradients({ [copy.name]: steps[2] });
    expect(Array.from(copy.dataSync())).toEqual(Array.from(a.dataSync()));
    for (const t of [a, copy, ...steps, ...saved.map((s) => s.tensor)]) t.dispose();
    opt.dispose();
    restored.dispose();
  });

  it('refuses bad configs with OptkitErrors naming the option', () => {
    const bad: [OptkitLionKappaConfig, string][] = [
      [{ learningRate: -1 }, 'learningRate'],
      [{ beta1: 1 }, 'beta1'],
      [{ kappa: 'cube' as never }, 'kappa'],
      [{ kappa: 'lp', p: 3 }, 'p'],
      [{ kappa: 'huber', delta: 0 }, 'delta'],
      [{ decay: 'later' as never }, 'decay'],
      [{ learningRate: 0.5, weightDecay: 3 }, 'weightDecay'],
    ];
    for (const [cfg, name] of bad) {
      try {
        new OptkitLionKappa(cfg);
        throw new Error(`accepted ${JSON.stringify(cfg)}`);
      } catch (err) {
        expect(err).toBeInstanceOf(OptkitError);
        expect((err as OptkitError).argument).toBe(name);
      }
    }
  });
});
