import { Optimizer, OptkitError, Rng, type Params } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lamb } from '../lamb.js';
import { OptkitLamb } from './lamb.js';

beforeAll(async () => {
  const choice = await useBestBackend({ prefer: 'wasm' });
  expect(choice.tfBackend).toBe('wasm');
});

/** Separable quadratic ½Σ dᵢ(xᵢ − tᵢ)² per tensor, with targets far from x₀ (gradients keep their sign). */
function problem(sizes: Record<string, number>, seed: number) {
  const rng = new Rng(seed);
  const x0: Params = {};
  const target: Record<string, Float64Array> = {};
  const d: Record<string, Float64Array> = {};
  for (const k in sizes) {
    const n = sizes[k];
    x0[k] = new Float64Array(n);
    target[k] = new Float64Array(n);
    d[k] = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = rng.uniform() < 0.5 ? -1 : 1;
      x0[k][i] = s * (1 + rng.uniform());
      // Away from zero on the side of x₀: the iterates never cross 0, so elementwise relative errors
      // stay meaningful (LAMB moves each tensor by 1% of its norm per step at lr 1e-2).
      target[k][i] = x0[k][i] + s * (2 + rng.uniform());
      d[k][i] = 0.5 + rng.uniform();
    }
  }
  return { x0, target, d };
}

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  throw new Error('expected an OptkitError');
}

describe('OptkitLamb', () => {
  it('agrees with the float64 lamb to 1e-5 relative over 100 steps (params and moments), with exclusions', async () => {
    const sizes = { W: 48, b: 6 };
    const { x0, target, d } = problem(sizes, 1);
    const x: Params = { W: x0.W.slice(), b: x0.b.slice() };
    const opt64 = new Optimizer(lamb({ lr: 1e-2, weightDecay: 0.05, excludeFromWeightDecay: (n) => n === 'b' }), x);
    const g: Params = { W: new Float64Array(sizes.W), b: new Float64Array(sizes.b) };
    const vW = tf.variable(tf.tensor2d(Float32Array.from(x0.W), [8, 6]), true, 'lamb_agree_W');
    const vb = tf.variable(tf.tensor1d(Float32Array.from(x0.b)), true, 'lamb_agree_b');
    const consts = ['W', 'b'].flatMap((k) => [tf.tensor(Float32Array.from(target[k]), k === 'W' ? [8, 6] : [6]), tf.tensor(Float32Array.from(d[k]), k === 'W' ? [8, 6] : [6])]);
    const opt = new OptkitLamb({ learningRate: 1e-2, weightDecay: 0.05, excludeFromWeightDecay: ['agree_b$'] });
    for (let t = 0; t < 100; t++) {
      for (const k of ['W', 'b']) for (let i = 0; i < sizes[k as 'W']; i++) g[k][i] = d[k][i] * (x[k][i] - target[k][i]);
      opt64.step(g);
      const gs = tf.tidy(() => [tf.mul(consts[1], tf.sub(vW, consts[0])), tf.mul(consts[3], tf.sub(vb, consts[2]))]);
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
    expect(worst).toBeGreaterThan(0);
    const w = await opt.getWeights();
    expect(w.map((e) => e.name)).toEqual(['iter', `${vW.name}/m`, `${vb.name}/m`, `${vW.name}/v`, `${vb.name}/v`]);
    const state = (opt64.state as unknown as [{ mu: Params; nu: Params }])[0];
    const m = w[1].tensor.dataSync();
    const vv = w[3].tensor.dataSync();
    for (let i = 0; i < sizes.W; i++) {
      expect(Math.abs(m[i] - state.mu.W[i])).toBeLessThanOrEqual(1e-5 * Math.abs(state.mu.W[i]) + 1e-7);
      expect(Math.abs(vv[i] - state.nu.W[i])).toBeLessThanOrEqual(1e-5 * Math.abs(state.nu.W[i]) + 1e-9);
    }
    w[0].tensor.dispose();
    opt.dispose();
    tf.dispose([vW, vb, ...consts]);
  });

  it('first step by hand in float32 and ‖Δw‖/‖w‖ = lr', () => {
    const v = tf.variable(tf.tensor1d([3, 4]), true, 'lamb_first');
    const opt = new OptkitLamb({ learningRate: 0.1, weightDecay: 0.1 });
    const g = tf.tensor1d([1, -2]);
    opt.applyGradients({ [v.name]: g });
    const u0 = 1 / (1 + 1e-6) + 0.1 * 3;
    const u1 = -2 / (2 + 1e-6) + 0.1 * 4;
    const rho = 5 / Math.hypot(u0, u1);
    const got = v.dataSync();
    expect(got[0]).toBeCloseTo(3 - 0.1 * rho * u0, 5);
    expect(got[1]).toBeCloseTo(4 - 0.1 * rho * u1, 5);
    expect(Math.abs(Math.hypot(got[0] - 3, got[1] - 4) / 5 - 0.1) / 0.1).toBeLessThan(1e-5);
    tf.dispose([v, g]);
    opt.dispose();
  });

  it('zero tensors and excluded names get ρ = 1; layerAdaptation: false is AdamW', () => {
    const z = tf.variable(tf.zeros([3]), true, 'lamb_zero');
    const bias = tf.variable(tf.tensor1d([10, 10]), true, 'lamb_x_bias');
    const opt = new OptkitLamb({ learningRate: 0.1, weightDecay: 0.5, excludeFromWeightDecay: ['bias'] });
    const gz = tf.tensor1d([1, -1, 2]);
    const gb = tf.tensor1d([1, -1]);
    opt.applyGradients({ [z.name]: gz, [bias.name]: gb });
    // Plain Adam steps: −lr·g/(|g| + ε), no decay on the bias, no trust ratio.
    const step = 0.1 / (1 + 1e-6);
    expect(Array.from(z.dataSync()).map((x) => +x.toFixed(6))).toEqual([-step, step, -0.1 * (2 / (2 + 1e-6))].map((x) => +x.toFixed(6)));
    expect(Array.from(bias.dataSync()).map((x) => +x.toFixed(5))).toEqual([10 - step, 10 + step].map((x) => +x.toFixed(5)));
    opt.dispose();
    const w = tf.variable(tf.tensor1d([3, 4]), true, 'lamb_adamw');
    const o2 = new OptkitLamb({ learningRate: 0.1, weightDecay: 0.1, layerAdaptation: false });
    o2.applyGradients({ [w.name]: gb });
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(3 - 0.1 * (1 / (1 + 1e-6) + 0.3), 5);
    expect(got[1]).toBeCloseTo(4 - 0.1 * (-1 / (1 + 1e-6) + 0.4), 5);
    o2.dispose();
    tf.dispose([z, bias, gz, gb, w]);
  });

  it('does not leak tensors after the slots exist', () => {
    const a = tf.variable(tf.ones([3, 2]), true, 'lamb_leak_a');
    const b = tf.variable(tf.zeros([2]), true, 'lamb_leak_b');
    const opt = new OptkitLamb({ learningRate: 0.1, weightDecay: 0.01, clampWeightNorm: [0, 10] });
    const ga = tf.fill([3, 2], 0.5);
    const gb = tf.fill([2], -0.5);
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before - 4);
    tf.dispose([a, b, ga, gb]);
  });

  it('round-trips its state through getWeights/setWeights and through a saved model (renamed variables)', async () => {
    const make = (): tf.Sequential => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 5, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }));
      model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      model.compile({ optimizer: new OptkitLamb({ learningRate: 1e-2, weightDecay: 0.01, excludeFromWeightDecay: ['bias'] }), loss: 'meanSquaredError' });
      return model;
    };
    const rng = new Rng(3);
    const xs = tf.tensor2d(rng.fillNormal(new Float32Array(24)) as Float32Array, [8, 3]);
    const ys = tf.tensor2d(rng.fillNormal(new Float32Array(16)) as Float32Array, [8, 2]);
    const model = make();
    await model.fit(xs, ys, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    // getWeights → setWeights on a fresh optimizer, bound by position.
    const saved = (await model.optimizer.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    expect(saved.length).toBe(1 + 2 * 4);
    const other = new OptkitLamb(model.optimizer.getConfig() as never);
    await other.setWeights(saved);
    expect(other.iterations).toBe(6);
    other.dispose();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const opt = loaded.optimizer as OptkitLamb;
    expect(opt).toBeInstanceOf(OptkitLamb);
    expect(opt.iterations).toBe(6);
    expect(opt.getConfig()).toEqual(model.optimizer.getConfig());
    expect(loaded.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name)).not.toEqual(model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name));
    const weightsBefore = model.getWeights().map((w) => tf.clone(w));
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1);
    // Control: the same weights with a fresh optimizer (zero moments, iteration 0) take a different step.
    const control = make();
    control.setWeights(weightsBefore);
    await control.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    expect(control.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(w1);
    tf.dispose(weightsBefore);
    for (const m of [model, loaded, control]) {
      m.optimizer.dispose();
      m.dispose();
    }
    for (const w of saved) w.tensor.dispose();
    tf.dispose([xs, ys]);
  });

  it('rejects bad configs with INVALID_OPTION naming the option', async () => {
    for (const [cfg, name] of [
      [{ learningRate: -1 }, 'learningRate'],
      [{ learningRate: Number.NaN }, 'learningRate'],
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: -0.5 }, 'beta2'],
      [{ epsilon: -1 }, 'epsilon'],
      [{ weightDecay: Number.POSITIVE_INFINITY }, 'weightDecay'],
      [{ excludeFromWeightDecay: 'bias' }, 'excludeFromWeightDecay'],
      [{ excludeFromLayerAdaptation: ['('] }, 'excludeFromLayerAdaptation'],
      [{ clampWeightNorm: [2, 1] }, 'clampWeightNorm'],
    ] as const) {
      expect(() => new OptkitLamb(cfg as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: name }));
    }
    const opt = new OptkitLamb();
    const v = tf.variable(tf.ones([3]), true, 'lamb_bad_shape');
    const g = tf.ones([2]);
    expect(await codeOf(() => opt.applyGradients({ [v.name]: g }))).toBe('SHAPE_MISMATCH');
    tf.dispose([v, g]);
    opt.dispose();
  });
});
