import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { OptkitError, Optimizer, Rng } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import { mfac } from '../mfac.js';
import { OptkitMfac } from './mfac.js';

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return `${(e as OptkitError).code}:${(e as OptkitError).argument}`;
  }
  throw new Error('did not throw');
}

/** Least squares ½·mean‖XW + b − Y‖² with W 4×3, b 3 on 16 fixed rows. */
const rng = new Rng(5);
const n = 16;
const X = rng.fillNormal(new Float64Array(n * 4)) as Float64Array;
const Y = rng.fillNormal(new Float64Array(n * 3)) as Float64Array;
const W0 = rng.fillNormal(new Float64Array(12), 0, 0.5) as Float64Array;
const b0 = new Float64Array([0.1, -0.2, 0.3]);

function gradF64(W: Float64Array, b: Float64Array, gW: Float64Array, gb: Float64Array): void {
  gW.fill(0);
  gb.fill(0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      let r = b[k] - Y[i * 3 + k];
      for (let j = 0; j < 4; j++) r += X[i * 4 + j] * W[j * 3 + k];
      r /= n;
      gb[k] += r;
      for (let j = 0; j < 4; j++) gW[j * 3 + k] += X[i * 4 + j] * r;
    }
  }
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('OptkitMfac (tfjs)', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('agrees with the float64 mfac over 100 steps (tf gradients, float32) to 1e-5 relative', () => {
    const cfg = { learningRate: 0.05, ngrads: 8, damp: 0.1, momentum: 0.5, weightDecay: 0.01 };
    const params = { W: W0.slice(), b: b0.slice() };
    const opt64 = new Optimizer(mfac({ lr: cfg.learningRate, ngrads: cfg.ngrads, damp: cfg.damp, momentum: cfg.momentum, weightDecay: cfg.weightDecay }), params);
    const gW = new Float64Array(12);
    const gb = new Float64Array(3);
    for (let t = 0; t < 100; t++) {
      gradF64(params.W, params.b, gW, gb);
      opt64.step({ W: gW, b: gb });
    }
    const W = tf.variable(tf.tensor2d(Float32Array.from(W0), [4, 3]), true, 'mfac_agree_W');
    const b = tf.variable(tf.tensor1d(Float32Array.from(b0)), true, 'mfac_agree_b');
    const xs = tf.tensor2d(Float32Array.from(X), [n, 4]);
    const ys = tf.tensor2d(Float32Array.from(Y), [n, 3]);
    const opt = new OptkitMfac(cfg);
    for (let t = 0; t < 100; t++) {
      const { grads } = tf.variableGrads(() => tf.mul(0.5, tf.mean(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(xs, W), b), ys)), 1))) as tf.Scalar, [W, b]);
      opt.applyGradients(grads);
      for (const k in grads) grads[k].dispose();
    }
    const err = relErr([...W.dataSync(), ...b.dataSync()], [...params.W, ...params.b]);
    expect(err).toBeLessThan(1e-5);
    expect(relErr(params.W, W0)).toBeGreaterThan(0.1); // the parameters moved: the comparison is not vacuous
    for (const t of [W, b, xs, ys]) t.dispose();
    opt.dispose();
  });

  it('leaks no tensors per step, and getWeights/setWeights round-trips the state (same next steps)', async () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]), true, 'mfac_rt_a');
    const opt = new OptkitMfac({ learningRate: 0.1, ngrads: 4, damp: 0.5, momentum: 0.3 });
    const grads = [
      [0.3, -0.1, 0.2],
      [-0.5, 0.4, 0.1],
      [0.2, 0.2, -0.3],
      [0.1, -0.6, 0.5],
      [0.7, 0.1, 0.1],
    ];
    const step = (o: OptkitMfac, v: tf.Variable, g: number[]) => {
      const t = tf.tensor1d(g);
      o.applyGradients({ [v.name]: t });
      t.dispose();
    };
    step(opt, a, grads[0]);
    const before = tf.memory().numTensors;
    step(opt, a, grads[1]);
    expect(tf.memory().numTensors).toBe(before);
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const copy = tf.variable(a.clone(), true, 'mfac_rt_copy');
    const restored = new OptkitMfac(opt.getConfig() as never);
    await restored.setWeights(saved);
    expect(restored.iterations).toBe(2);
    for (const g of grads.slice(2)) {
      step(opt, a, g);
      step(restored, copy, g);
    }
    expect(relErr(copy.dataSync(), a.dataSync())).toBeLessThan(1e-6);
    // Control: a fresh optimizer takes different steps.
    const fresh = tf.variable(tf.tensor1d([1, -2, 3]), true, 'mfac_rt_fresh');
    const freshOpt = new OptkitMfac(opt.getConfig() as never);
    for (const g of grads) step(freshOpt, fresh, g);
    const other = tf.variable(tf.tensor1d([1, -2, 3]), true, 'mfac_rt_other');
    const otherOpt = new OptkitMfac(opt.getConfig() as never);
    for (const g of grads.slice(0, 2)) step(otherOpt, other, g);
    const restarted = new OptkitMfac(opt.getConfig() as never);
    for (const g of grads.slice(2)) step(restarted, other, g);
    expect(relErr(other.dataSync(), fresh.dataSync())).toBeGreaterThan(1e-3);
    expect(await codeOf(() => restored.setWeights([saved[0], saved[1]]))).toBe('INVALID_ARGUMENT:weightValues');
    for (const w of saved) w.tensor.dispose();
    for (const t of [a, copy, fresh, other]) t.dispose();
    for (const o of [opt, restored, freshOpt, otherOpt, restarted]) o.dispose();
  });

  it('survives model.save/loadLayersModel with includeOptimizer (renamed variables) and gives the same next step', async () => {
    const make = () => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 5, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
      model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      model.compile({ optimizer: new OptkitMfac({ learningRate: 1e-2, ngrads: 4, damp: 1e-2 }), loss: 'meanSquaredError' });
      return model;
    };
    const r = new Rng(3);
    const xs = tf.tensor2d(r.fillNormal(new Float32Array(24)) as Float32Array, [8, 3]);
    const ys = tf.tensor2d(r.fillNormal(new Float32Array(16)) as Float32Array, [8, 2]);
    const model = make();
    await model.fit(xs, ys, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (art) => {
        artifacts = art;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const opt = loaded.optimizer as OptkitMfac;
    expect(opt).toBeInstanceOf(OptkitMfac);
    expect(opt.iterations).toBe(6);
    expect(opt.getConfig()).toEqual({ learningRate: 1e-2, ngrads: 4, damp: 1e-2, momentum: 0, weightDecay: 0 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const w1 = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const w2 = loaded.getWeights().flatMap((w) => Array.from(w.dataSync()));
    expect(relErr(w2, w1)).toBeLessThan(1e-6);
    for (const m of [model, loaded]) {
      m.optimizer.dispose();
      m.dispose();
    }
    xs.dispose();
    ys.dispose();
  });

  it('card E2 tfjs smoke test: a teacher–student MLP trains with M-FAC (m = 32) in model.compile, no NaN, at least as low as SGD', async () => {
    const r = new Rng(11);
    const N = 512;
    const xs = tf.tensor2d(r.fillNormal(new Float32Array(N * 8)) as Float32Array, [N, 8]);
    const teacher = tf.sequential();
    teacher.add(tf.layers.dense({ units: 16, inputShape: [8], activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 21 }) }));
    teacher.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 22 }) }));
    const ys = teacher.predict(xs) as tf.Tensor;
    const finalLoss = async (optimizer: tf.Optimizer) => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 16, inputShape: [8], activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
      model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
      model.compile({ optimizer, loss: 'meanSquaredError' });
      const h = await model.fit(xs, ys, { epochs: 15, batchSize: 32, shuffle: false, verbose: 0 });
      const loss = h.history.loss[h.history.loss.length - 1] as number;
      model.optimizer.dispose();
      model.dispose();
      return loss;
    };
    const sgdBest = Math.min(...(await Promise.all([0.03, 0.1, 0.3].map((lr) => finalLoss(tf.train.sgd(lr))))));
    const mfacBest = Math.min(...(await Promise.all([1e-3, 3e-3, 1e-2].map((lr) => finalLoss(new OptkitMfac({ learningRate: lr, ngrads: 32, damp: 1e-4 }))))));
    expect(Number.isFinite(mfacBest)).toBe(true);
    expect(mfacBest).toBeLessThanOrEqual(sgdBest);
    teacher.dispose();
    xs.dispose();
    ys.dispose();
  }, 60000);

  it('bad options name themselves (window size 0 included); the class is registered', () => {
    const check = (f: () => unknown, name: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        expect((e as OptkitError).code).toBe('INVALID_OPTION');
        expect((e as OptkitError).argument).toBe(name);
        return;
      }
      throw new Error(`no error for ${name}`);
    };
    check(() => new OptkitMfac({ ngrads: 0 }), 'ngrads');
    check(() => new OptkitMfac({ ngrads: 1.5 }), 'ngrads');
    check(() => new OptkitMfac({ learningRate: -1 }), 'learningRate');
    check(() => new OptkitMfac({ learningRate: NaN }), 'learningRate');
    check(() => new OptkitMfac({ damp: 0 }), 'damp');
    check(() => new OptkitMfac({ momentum: 1 }), 'momentum');
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map['optkit.Mfac']).toBeDefined();
  });
});
