import { Optimizer, Rng, type Params } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lars } from '../lars.js';
import { OptkitLars } from './lars.js';

beforeAll(async () => {
  const choice = await useBestBackend({ prefer: 'wasm' });
  expect(choice.tfBackend).toBe('wasm');
});

describe('OptkitLars', () => {
  for (const nesterov of [false, true]) {
    it(`agrees with the float64 lars to 1e-5 relative over 100 steps (nesterov ${nesterov}, a skipped tensor)`, () => {
      const rng = new Rng(4);
      const sizes = { W: 30, b: 5 };
      const x0: Params = {};
      const target: Record<string, Float64Array> = {};
      for (const [k, n] of Object.entries(sizes)) {
        x0[k] = new Float64Array(n);
        target[k] = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const s = rng.uniform() < 0.5 ? -1 : 1;
          x0[k][i] = s * (1 + rng.uniform());
          target[k][i] = x0[k][i] + s * (2 + rng.uniform()); // away from 0: no sign crossings
        }
      }
      const cfg = { lr: 0.5, momentum: 0.9, weightDecay: 1e-3, trustCoefficient: 0.02, epsilon: 1e-6, nesterov };
      const x: Params = { W: x0.W.slice(), b: x0.b.slice() };
      const opt64 = new Optimizer(lars({ ...cfg, skip: (n) => n === 'b' }), x);
      const vW = tf.variable(tf.tensor1d(Float32Array.from(x0.W)), true, `lars_agree_W_${nesterov}`);
      const vb = tf.variable(tf.tensor1d(Float32Array.from(x0.b)), true, `lars_agree_b_${nesterov}`);
      const tW = tf.tensor1d(Float32Array.from(target.W));
      const tb = tf.tensor1d(Float32Array.from(target.b));
      const opt = new OptkitLars({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay, trustCoefficient: cfg.trustCoefficient, epsilon: cfg.epsilon, nesterov, skip: ['_b_'] });
      const g: Params = { W: new Float64Array(sizes.W), b: new Float64Array(sizes.b) };
      for (let t = 0; t < 100; t++) {
        for (const k of ['W', 'b']) for (let i = 0; i < g[k].length; i++) g[k][i] = 0.01 * (x[k][i] - target[k][i]);
        opt64.step(g);
        const gs = tf.tidy(() => [tf.mul(0.01, tf.sub(vW, tW)), tf.mul(0.01, tf.sub(vb, tb))]);
        opt.applyGradients([
          { name: vW.name, tensor: gs[0] },
          { name: vb.name, tensor: gs[1] },
        ]);
        tf.dispose(gs);
      }
      let worst = 0;
      for (const [k, v] of [['W', vW], ['b', vb]] as const) {
        const xt = v.dataSync();
        for (let i = 0; i < xt.length; i++) worst = Math.max(worst, Math.abs(xt[i] - x[k][i]) / Math.abs(x[k][i]));
      }
      expect(worst).toBeLessThan(1e-5);
      expect(Math.abs(vW.dataSync()[0] - x0.W[0])).toBeGreaterThan(1e-2); // it really moved
      opt.dispose();
      tf.dispose([vW, vb, tW, tb]);
    });
  }

  it('does not leak, round-trips through getWeights/setWeights, rejects bad configs', async () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]), true, 'lars_rt_a');
    const opt = new OptkitLars({ learningRate: 0.5, trustCoefficient: 0.1 });
    const grads = [[0.3, -0.2, 0.1], [-0.5, 0.4, 0.2], [0.1, 0.1, -0.9]].map((g) => tf.tensor1d(g));
    opt.applyGradients({ [a.name]: grads[0] });
    const before = tf.memory().numTensors;
    opt.applyGradients({ [a.name]: grads[1] });
    expect(tf.memory().numTensors).toBe(before);
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    expect(saved.map((w) => w.name)).toEqual(['iter', `${a.name}/v`]);
    const copy = tf.variable(tf.clone(a), true, 'lars_rt_copy');
    const restored = new OptkitLars(opt.getConfig() as never);
    await restored.setWeights(saved);
    opt.applyGradients({ [a.name]: grads[2] });
    restored.applyGradients({ [copy.name]: grads[2] });
    expect(Array.from(copy.dataSync())).toEqual(Array.from(a.dataSync()));
    for (const [cfg, name] of [
      [{ learningRate: -1 }, 'learningRate'],
      [{ momentum: 1 }, 'momentum'],
      [{ weightDecay: -1 }, 'weightDecay'],
      [{ trustCoefficient: 0 }, 'trustCoefficient'],
      [{ epsilon: Number.NaN }, 'epsilon'],
      [{ skip: [1] }, 'skip'],
    ] as const) {
      expect(() => new OptkitLars(cfg as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: name }));
    }
    opt.dispose();
    restored.dispose();
    for (const w of saved) w.tensor.dispose();
    tf.dispose([a, copy, ...grads]);
  });
});
