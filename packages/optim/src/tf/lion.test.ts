import { Optimizer, OptkitError, Rng, loadDigits } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lion } from '../lion.js';
import { OptkitLion } from './lion.js';

beforeAll(async () => {
  const choice = await useBestBackend({ prefer: 'wasm' });
  expect(choice.tfBackend).toBe('wasm');
});

/** Separable quadratic ½Σ dᵢ(xᵢ − tᵢ)² whose minimiser is far from x₀ (no sign flips in 100 small steps). */
function problem(n: number, seed: number) {
  const rng = new Rng(seed);
  const x0 = new Float64Array(n);
  const target = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = rng.uniform() < 0.5 ? -1 : 1;
    x0[i] = s * (1 + rng.uniform());
    // |x − t| ≥ 2 > |x|: the gradient's relative float32 error stays at the level of x's.
    target[i] = x0[i] + (rng.uniform() < 0.5 ? -1 : 1) * (2 + rng.uniform());
    d[i] = 0.5 + rng.uniform();
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

describe('OptkitLion', () => {
  it('agrees with the float64 lion to 1e-5 relative over 100 steps (params and momentum)', () => {
    const n = 64;
    const { x0, target, d } = problem(n, 1);
    const cfg = { lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 };
    const x = x0.slice();
    const opt64 = new Optimizer(lion(cfg), x);
    const g = new Float64Array(n);
    const v = tf.variable(tf.tensor1d(Float32Array.from(x0)), true, 'lion_agree_x');
    const tT = tf.tensor1d(Float32Array.from(target));
    const tD = tf.tensor1d(Float32Array.from(d));
    const opt = new OptkitLion({ learningRate: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, weightDecay: cfg.weightDecay });
    for (let t = 0; t < 100; t++) {
      for (let i = 0; i < n; i++) g[i] = d[i] * (x[i] - target[i]);
      opt64.step(g);
      const grad = tf.tidy(() => tf.mul(tD, tf.sub(v, tT)));
      opt.applyGradients([{ name: v.name, tensor: grad }]);
      grad.dispose();
    }
    const xt = v.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(xt[i] - x[i]) / Math.abs(x[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(worst).toBeGreaterThan(0); // float32 really differs from float64 (the comparison is real)
    const mu = (opt64.state as unknown as { mu: { x: Float64Array } }).mu.x;
    return opt.getWeights().then((w) => {
      expect(w.map((e) => e.name)).toEqual(['iter', `${v.name}/m`]);
      const m = w[1].tensor.dataSync();
      for (let i = 0; i < n; i++) expect(Math.abs(m[i] - mu[i])).toBeLessThanOrEqual(1e-5 * Math.abs(mu[i]) + 1e-7);
      expect(w[0].tensor.dataSync()[0]).toBe(100);
      w[0].tensor.dispose();
      opt.dispose();
      v.dispose();
      tT.dispose();
      tD.dispose();
    });
  });

  it("works around the wasm Sign kernel, which returns 0 for |x| ≤ float32 epsilon", () => {
    const t = tf.tensor1d([1e-7, -1e-7]);
    const s = tf.sign(t);
    expect(Array.from(s.dataSync())).toEqual([0, 0]); // if tfjs fixes this, the workaround is moot
    const v = tf.variable(tf.tensor1d([1, 1]), true, 'lion_sign_eps');
    const opt = new OptkitLion({ learningRate: 0.5 });
    const g = tf.tensor1d([1e-6, -1e-6]); // c = 1e-7 after one step from m = 0
    opt.applyGradients({ [v.name]: g });
    expect(Array.from(v.dataSync())).toEqual([0.5, 1.5]);
    for (const x of [t, s, v, g]) x.dispose();
    opt.dispose();
  });

  it('first step known answer in float32: θ₁ = (1 − lrλ)θ₀ − lr·sign(g), m = (1 − β₂)g; sign(0) = 0', () => {
    const v = tf.variable(tf.tensor1d([0.5, -1, 2, 3]), true, 'lion_first_x');
    const opt = new OptkitLion({ learningRate: 0.01, weightDecay: 0.5 });
    const g = tf.tensor1d([2, -0.1, 0, 1e-6]);
    opt.applyGradients({ [v.name]: g });
    const got = v.dataSync();
    const want = [0.5 * 0.995 - 0.01, -1 * 0.995 + 0.01, 2 * 0.995, 3 * 0.995 - 0.01];
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    g.dispose();
    opt.dispose();
    v.dispose();
  });

  it('does not leak tensors, skips null gradients, accepts maps and lists', () => {
    const a = tf.variable(tf.ones([3, 2]), true, 'lion_leak_a');
    const b = tf.variable(tf.ones([2]), true, 'lion_leak_b');
    const opt = new OptkitLion({ learningRate: 0.1 });
    const ga = tf.fill([3, 2], 0.5);
    const gb = tf.fill([2], -0.5);
    opt.applyGradients({ [a.name]: ga, [b.name]: gb }); // creates the slots
    const before = tf.memory().numTensors;
    opt.applyGradients([
      { name: a.name, tensor: ga },
      { name: b.name, tensor: gb },
    ]);
    expect(tf.memory().numTensors).toBe(before);
    const bBefore = Array.from(b.dataSync());
    opt.applyGradients([
      { name: a.name, tensor: ga },
      { name: b.name, tensor: null as unknown as tf.Tensor },
    ]);
    expect(Array.from(b.dataSync())).toEqual(bBefore);
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.iterations).toBe(3);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before - 2); // the two m slots
    for (const t of [a, b, ga, gb]) t.dispose();
  });

  it('round-trips its state through getWeights/setWeights (continues with the same next step)', async () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]), true, 'lion_rt_a');
    const opt = new OptkitLion({ learningRate: 0.05, weightDecay: 0.2 });
    const grads = [
      [0.3, -0.2, 0.1],
      [-0.5, 0.4, 0.2],
      [0.001, -0.001, -0.001], // small against m: the restored state decides the signs
    ];
    for (const g of grads.slice(0, 2)) {
      const t = tf.tensor1d(g);
      opt.applyGradients({ [a.name]: t });
      t.dispose();
    }
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const copy = tf.variable(tf.clone(a), true, 'lion_rt_copy'); // a differently named variable: bound by position
    const restored = new OptkitLion(opt.getConfig() as never);
    await restored.setWeights(saved);
    expect(restored.iterations).toBe(2);
    const g3 = tf.tensor1d(grads[2]);
    opt.applyGradients({ [a.name]: g3 });
    restored.applyGradients({ [copy.name]: g3 });
    expect(Array.from(copy.dataSync())).toEqual(Array.from(a.dataSync()));
    // A fresh optimizer (m = 0) would have moved coordinate 0 differently: the state mattered.
    const fresh = tf.variable(tf.tensor1d([1, -2, 3]), true, 'lion_rt_fresh');
    const freshOpt = new OptkitLion(opt.getConfig() as never);
    for (const g of grads.slice(0, 2)) {
      const t = tf.tensor1d(g);
      freshOpt.applyGradients({ [fresh.name]: t });
      t.dispose();
    }
    const restarted = new OptkitLion(opt.getConfig() as never); // iter 0, m = 0
    restarted.applyGradients({ [fresh.name]: g3 });
    expect(Array.from(fresh.dataSync())).not.toEqual(Array.from(a.dataSync()));
    freshOpt.dispose();
    restarted.dispose();
    expect(await codeOf(() => restored.setWeights([]))).toBe('INVALID_ARGUMENT');
    for (const w of saved) w.tensor.dispose();
    for (const t of [a, copy, g3, fresh]) t.dispose();
    opt.dispose();
    restored.dispose();
  });

  it('survives model.save/loadLayersModel with includeOptimizer (renamed variables) and gives the same next step', async () => {
    const make = () => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 5, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
      model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      model.compile({ optimizer: new OptkitLion({ learningRate: 1e-2, weightDecay: 0.1 }), loss: 'meanSquaredError' });
      return model;
    };
    const rng = new Rng(3);
    const xs = tf.tensor2d(rng.fillNormal(new Float32Array(24)) as Float32Array, [8, 3]);
    const ys = tf.tensor2d(rng.fillNormal(new Float32Array(16)) as Float32Array, [8, 2]);
    const model = make();
    await model.fit(xs, ys, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const opt = loaded.optimizer as OptkitLion;
    expect(opt).toBeInstanceOf(OptkitLion);
    expect(opt.iterations).toBe(6);
    expect(opt.getConfig()).toEqual({ learningRate: 1e-2, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 });
    const names = loaded.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name);
    expect(names).not.toEqual(model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name)); // renamed on reload
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1);
    // Control: a loaded model whose optimizer restarts from m = 0 takes a different step.
    const control = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts!, weightSpecs: artifacts!.weightSpecs!.slice(0, 4), weightData: (artifacts!.weightData as ArrayBuffer).slice(0, (3 * 5 + 5 + 5 * 2 + 2) * 4) }));
    control.compile({ optimizer: new OptkitLion({ learningRate: 1e-2, weightDecay: 0.1 }), loss: 'meanSquaredError' });
    await control.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const w3 = control.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w3).not.toEqual(w1);
    for (const m of [model, loaded, control]) {
      m.optimizer.dispose();
      m.dispose();
    }
    xs.dispose();
    ys.dispose();
  });

  it('trains a digits MLP in model.compile to within 2 points of tf.train.adam', async () => {
    const { split } = loadDigits({ normalize: true, testFraction: 0.25, seed: 0 });
    const s = split!;
    const toTensors = (X: { rows: number; cols: number; data: Float64Array }, y: Int32Array) => [
      tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]),
      tf.oneHot(tf.tensor1d(y, 'int32'), 10).toFloat(),
    ];
    const [xTrain, yTrain] = toTensors(s.XTrain, s.yTrain);
    const [xTest, yTest] = toTensors(s.XTest, s.yTest);
    const accuracy = async (optimizer: tf.Optimizer) => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 32, inputShape: [64], activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 7 }) }));
      model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }));
      model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      await model.fit(xTrain, yTrain, { epochs: 12, batchSize: 32, shuffle: false, verbose: 0 });
      const [, acc] = model.evaluate(xTest, yTest) as tf.Scalar[];
      const value = (await acc.data())[0];
      model.optimizer.dispose();
      model.dispose();
      return value;
    };
    const adamAcc = await accuracy(tf.train.adam(1e-2));
    const lionAcc = await accuracy(new OptkitLion({ learningRate: 1e-3 }));
    expect(adamAcc).toBeGreaterThan(0.9);
    expect(lionAcc).toBeGreaterThanOrEqual(adamAcc - 0.02);
    for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
  }, 30_000);

  it('rejects bad configs, unknown variables and mismatched gradient shapes', async () => {
    for (const [cfg, name] of [
      [{ learningRate: -1 }, 'learningRate'],
      [{ learningRate: Number.NaN }, 'learningRate'],
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: -0.5 }, 'beta2'],
      [{ weightDecay: -1 }, 'weightDecay'],
    ] as const) {
      expect(() => new OptkitLion(cfg)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: name }));
    }
    const opt = new OptkitLion();
    const g = tf.ones([2]);
    expect(await codeOf(() => opt.applyGradients({ no_such_variable_xyz: g }))).toBe('NOT_FOUND');
    const v = tf.variable(tf.ones([3]), true, 'lion_bad_shape');
    expect(await codeOf(() => opt.applyGradients({ [v.name]: g }))).toBe('SHAPE_MISMATCH');
    expect(opt.iterations).toBe(0);
    g.dispose();
    v.dispose();
    opt.dispose();
  });
});
