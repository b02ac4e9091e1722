import { OptkitError } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptkitAdamW } from './adamw.js';
import { OptkitLion } from './lion.js';
import { OptkitLionKappa } from './lion-kappa.js';

beforeAll(async () => {
  await useBestBackend({ prefer: 'wasm' });
});

describe('excludeFromWeightDecay (OptkitLion, OptkitAdamW, OptkitLionKappa)', () => {
  const makers = [
    ['OptkitLion', (x?: string[]) => new OptkitLion({ learningRate: 0.1, weightDecay: 0.5, excludeFromWeightDecay: x })],
    ['OptkitAdamW', (x?: string[]) => new OptkitAdamW({ learningRate: 0.1, weightDecay: 0.5, excludeFromWeightDecay: x })],
    ['OptkitLionKappa', (x?: string[]) => new OptkitLionKappa({ learningRate: 0.1, weightDecay: 0.5, kappa: 'l2', excludeFromWeightDecay: x })],
  ] as const;
  for (const [name, make] of makers) {
    it(`${name}: matching variables are not decayed, the others are; the patterns survive getConfig`, () => {
      const kernel = tf.variable(tf.tensor1d([2, -4]), true, `${name}_mask_dense/kernel`);
      const bias = tf.variable(tf.tensor1d([2, -4]), true, `${name}_mask_dense/bias`);
      const opt = make(['bias$']);
      const zero = tf.zeros([2]);
      // zero gradients and zero state: the only change is the decoupled decay θ ← (1 − lr·λ)θ
      opt.applyGradients([
        { name: kernel.name, tensor: zero },
        { name: bias.name, tensor: zero },
      ]);
      expect(Array.from(kernel.dataSync())).toEqual([2 * 0.95, -4 * 0.95].map(Math.fround));
      expect(Array.from(bias.dataSync())).toEqual([2, -4]);
      expect((opt.getConfig() as { excludeFromWeightDecay?: string[] }).excludeFromWeightDecay).toEqual(['bias$']);
      expect('excludeFromWeightDecay' in make().getConfig()).toBe(false);
      expect(() => make(['('])).toThrow(OptkitError);
      try {
        make([3 as never]);
      } catch (err) {
        expect((err as OptkitError).argument).toBe('excludeFromWeightDecay');
      }
      for (const t of [kernel, bias, zero]) t.dispose();
      opt.dispose();
    });
  }
});
