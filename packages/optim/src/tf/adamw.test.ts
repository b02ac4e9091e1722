import { Optimizer, OptkitError, Rng } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamw } from '../adamw.js';
import { OptkitAdamW } from './adamw.js';

beforeAll(async () => {
  expect((await useBestBackend({ prefer: 'wasm' })).tfBackend).toBe('wasm');
});

describe('OptkitAdamW', () => {
  it('agrees with the float64 adamw to 1e-5 relative over 100 steps (params, m and v)', async () => {
    const n = 50;
    const rng = new Rng(2);
    const x0 = rng.fillUniform(new Float64Array(n), 1, 2) as Float64Array;
    const target = x0.map((v, i) => v + (i % 2 ? 2 : -2) - rng.uniform());
    const d = rng.fillUniform(new Float64Array(n), 0.5, 1.5) as Float64Array;
    const cfg = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const x = x0.slice();
    const opt64 = new Optimizer(adamw(cfg), x);
    const g = new Float64Array(n);
    const v = tf.variable(tf.tensor1d(Float32Array.from(x0)), true, 'adamw_agree_x');
    const tT = tf.tensor1d(Float32Array.from(target));
    const tD = tf.tensor1d(Float32Array.from(d));
    const opt = new OptkitAdamW({ learningRate: cfg.lr, beta1: cfg.b1, beta2: cfg.b2, epsilon: cfg.eps, weightDecay: cfg.weightDecay });
    for (let t = 0; t < 100; t++) {
      for (let i = 0; i < n; i++) g[i] = d[i] * (x[i] - target[i]);
      opt64.step(g);
      const grad = tf.tidy(() => tf.mul(tD, tf.sub(v, tT)));
      opt.applyGradients({ [v.name]: grad });
      grad.dispose();
    }
    const xt = v.dataSync();
    const state = opt64.state as unknown as { mu: { x: Float64Array }; nu: { x: Float64Array } };
    const w = await opt.getWeights();
    expect(w.map((e) => e.name)).toEqual(['iter', `${v.name}/m`, `${v.name}/v`]);
    const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(b, (bv, i) => Math.abs(a[i] - bv) / Math.abs(bv)));
    expect(rel(xt, x)).toBeLessThan(1e-5);
    expect(rel(w[1].tensor.dataSync(), state.mu.x)).toBeLessThan(1e-5);
    expect(rel(w[2].tensor.dataSync(), state.nu.x)).toBeLessThan(1e-5);
    for (const t of [v, tT, tD, w[0].tensor]) t.dispose();
    opt.dispose();
  });

  it('with weightDecay 0 matches tf.train.adam (same epsilon) to float32 rounding', () => {
    const a = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'adamw_vs_adam_a');
    const b = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'adamw_vs_adam_b');
    const mine = new OptkitAdamW({ learningRate: 0.01, weightDecay: 0, epsilon: 1e-7 });
    const ref = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    for (let t = 0; t < 20; t++) {
      const g = tf.tensor1d([0.3 * t - 2, 1, -0.01 * t]);
      mine.applyGradients({ [a.name]: g });
      ref.applyGradients([{ name: b.name, tensor: g }]);
      g.dispose();
    }
    const x = a.dataSync();
    const y = b.dataSync();
    for (let i = 0; i < 3; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5 * Math.abs(y[i]));
    for (const t of [a, b]) t.dispose();
    mine.dispose();
    ref.dispose();
  });

  it('no tensor leak; state round-trips by position; a shape mismatch at binding throws', async () => {
    const a = tf.variable(tf.ones([2, 3]), true, 'adamw_rt_a');
    const opt = new OptkitAdamW({ learningRate: 0.1 });
    const g = tf.fill([2, 3], 0.25);
    opt.applyGradients({ [a.name]: g });
    const before = tf.memory().numTensors;
    opt.applyGradients({ [a.name]: g });
    expect(tf.memory().numTensors).toBe(before);
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    expect(saved).toHaveLength(3);
    const copy = tf.variable(tf.clone(a), true, 'adamw_rt_copy');
    const restored = new OptkitAdamW(opt.getConfig() as never);
    await restored.setWeights(saved);
    expect(restored.iterations).toBe(2);
    const g2 = tf.fill([2, 3], -0.5);
    opt.applyGradients({ [a.name]: g2 });
    restored.applyGradients({ [copy.name]: g2 });
    expect(Array.from(copy.dataSync())).toEqual(Array.from(a.dataSync()));
    // Wrong shape at binding is an error, not a silent restart.
    const other = tf.variable(tf.ones([4]), true, 'adamw_rt_other');
    const again = new OptkitAdamW();
    await again.setWeights(saved);
    const g4 = tf.ones([4]);
    expect(() => again.applyGradients({ [other.name]: g4 })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    await expect(again.setWeights(saved.slice(0, 2))).rejects.toThrow(OptkitError);
    for (const t of [a, g, copy, g2, other, g4, ...saved.map((s) => s.tensor)]) t.dispose();
    for (const o of [opt, restored, again]) o.dispose();
  });

  it('rejects bad configs with INVALID_OPTION naming the option', () => {
    for (const [cfg, name] of [
      [{ learningRate: -1 }, 'learningRate'],
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: Number.NaN }, 'beta2'],
      [{ epsilon: -1 }, 'epsilon'],
      [{ weightDecay: -0.1 }, 'weightDecay'],
    ] as const) {
      expect(() => new OptkitAdamW(cfg)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: name }));
    }
  });
});
