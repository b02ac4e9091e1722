/**
 * Every optkit tfjs optimizer survives `model.save(..., {includeOptimizer: true})` and
 * `tf.loadLayersModel` (which renames the variables): the reloaded model's next epoch equals the
 * original's, and a reload whose optimizer restarts from zero state does not (so the state mattered).
 */
import { Rng } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptkitAdahessian } from './adahessian.js';
import { OptkitAdamW } from './adamw.js';
import { OptkitLamb } from './lamb.js';
import { OptkitLars } from './lars.js';
import { OptkitLionKappa } from './lion-kappa.js';
import { OptkitMfac } from './mfac.js';

beforeAll(async () => {
  await useBestBackend({ prefer: 'wasm' });
});

const cases: [string, () => tf.Optimizer][] = [
  ['OptkitLars', () => new OptkitLars({ learningRate: 0.5, momentum: 0.9, weightDecay: 1e-3 })],
  ['OptkitAdahessian', () => new OptkitAdahessian({ learningRate: 0.05, seed: 4 })],
  ['OptkitLamb', () => new OptkitLamb({ learningRate: 1e-2, weightDecay: 0.01 })],
  ['OptkitAdamW', () => new OptkitAdamW({ learningRate: 1e-2, weightDecay: 0.1, excludeFromWeightDecay: ['bias'] })],
  ['OptkitLionKappa', () => new OptkitLionKappa({ learningRate: 1e-2, weightDecay: 0.5, kappa: 'lp', p: 1.5 })],
  ['OptkitMfac', () => new OptkitMfac({ learningRate: 1e-2 })],
];

describe('save and reload with the optimizer', () => {
  for (const [name, makeOptimizer] of cases) {
    it(`${name}: the reloaded model continues exactly like the original`, async () => {
      const make = (optimizer: tf.Optimizer) => {
        const model = tf.sequential();
        model.add(tf.layers.dense({ units: 5, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
        model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
        model.compile({ optimizer, loss: 'meanSquaredError' });
        return model;
      };
      const rng = new Rng(3);
      const xs = tf.tensor2d(rng.fillNormal(new Float32Array(24)) as Float32Array, [8, 3]);
      const ys = tf.tensor2d(rng.fillNormal(new Float32Array(16)) as Float32Array, [8, 2]);
      const model = make(makeOptimizer());
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
      expect(loaded.optimizer.getClassName()).toBe(model.optimizer.getClassName());
      expect(loaded.optimizer.getConfig()).toEqual(model.optimizer.getConfig());
      await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      await loaded.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
      const w2 = loaded.getWeights().map((w) => Array.from(w.dataSync()));
      expect(w2).toEqual(w1);
      // Control: the same weights with a fresh optimizer take a different step.
      const weightsOnly = { ...artifacts!, weightSpecs: artifacts!.weightSpecs!.slice(0, 4), weightData: (artifacts!.weightData as ArrayBuffer).slice(0, (3 * 5 + 5 + 5 * 2 + 2) * 4) };
      const control = await tf.loadLayersModel(tf.io.fromMemory(weightsOnly));
      control.compile({ optimizer: makeOptimizer(), loss: 'meanSquaredError' });
      await control.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      expect(control.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(w1);
      for (const m of [model, loaded, control]) {
        m.optimizer.dispose();
        m.dispose();
      }
      xs.dispose();
      ys.dispose();
    });
  }
});
