import { describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { OptkitError } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import { DcdmNet, asDirectionModel, buildDcdmNet } from './dcdm-net.js';

const { tf } = await useBestBackend();

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return 'no error';
}

describe('DcdmNet', () => {
  it('has the card architecture: 7 convs and a Dense(1) head, output on the input grid', () => {
    const net = buildDcdmNet({ shape: [8, 6], channels: 4, seed: 1 }, tf);
    // c1: 9·1·4 + 4; six more convs 9·4·4 + 4 each; dense 4 + 1.
    expect(net.size).toBe(40 + 6 * 148 + 5);
    expect(net.variables).toHaveLength(16);
    const x = tf.randomNormal([3, 8, 6, 1], 0, 1, 'float32', 7) as tfjs.Tensor4D;
    const y = net.predict(x);
    expect(y.shape).toEqual([3, 8, 6, 1]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    // A linear map would be homogeneous; ReLUs are positively homogeneous but biases are 0 at init,
    // so f(2x) = 2 f(x) holds at initialisation.
    const y2 = net.predict(tf.mul(x, 2) as tfjs.Tensor4D).dataSync();
    const y1 = y.dataSync();
    for (let i = 0; i < y1.length; i++) expect(Math.abs(y2[i] - 2 * y1[i])).toBeLessThan(1e-5 * (1 + Math.abs(y1[i])));
    // Inference mode (tf.conv2d) computes the same function as the trainable patch form.
    const yi = net.predict(x, 'infer').dataSync();
    for (let i = 0; i < y1.length; i++) expect(Math.abs(yi[i] - y1[i])).toBeLessThan(1e-5 * (1 + Math.abs(y1[i])));
    tf.dispose([x, y]);
    net.dispose();
  });

  it('is reproducible from its seed and round-trips through JSON exactly', () => {
    const a = buildDcdmNet({ shape: [4, 4], channels: 3, seed: 5 }, tf);
    const b = buildDcdmNet({ shape: [4, 4], channels: 3, seed: 5 }, tf);
    const c = buildDcdmNet({ shape: [4, 4], channels: 3, seed: 6 }, tf);
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.toJSON().weights[0].data).not.toBe(c.toJSON().weights[0].data);
    const json = JSON.parse(JSON.stringify(a.toJSON({ note: 'x' })));
    const d = DcdmNet.fromJSON(json, tf);
    expect(d.toJSON({ note: 'x' })).toEqual(json);
    const m1 = asDirectionModel(a);
    const m2 = asDirectionModel(d);
    const r = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i));
    expect(m2(r)).toEqual(m1(r));
    for (const n of [a, b, c, d]) n.dispose();
  });

  it('rejects bad configurations, files and grid sizes', () => {
    expect(code(() => buildDcdmNet({ shape: [5, 4] }, tf))).toBe('INVALID_OPTION');
    expect(code(() => buildDcdmNet({ shape: [4, 4, 4] }, tf))).toBe('SHAPE_MISMATCH');
    expect(code(() => buildDcdmNet({ shape: [4, 4], dims: 3 as 2 }, tf))).toBe('UNSUPPORTED');
    expect(code(() => buildDcdmNet({ shape: [4, 4], channels: 0 }, tf))).toBe('INVALID_OPTION');
    const net = buildDcdmNet({ shape: [4, 4], channels: 2 }, tf);
    const model = asDirectionModel(net);
    expect(code(() => model(new Float64Array(36)))).toBe('SHAPE_MISMATCH');
    expect(code(() => net.predict(tf.zeros([1, 6, 6, 1]) as tfjs.Tensor4D))).toBe('SHAPE_MISMATCH');
    const json = net.toJSON();
    expect(code(() => DcdmNet.fromJSON({ ...json, format: 'other' as 'optkit-dcdm-net' }, tf))).toBe('INVALID_ARGUMENT');
    expect(code(() => DcdmNet.fromJSON({ ...json, weights: json.weights.slice(1) }, tf))).toBe('INVALID_ARGUMENT');
    const short = { ...json, weights: json.weights.map((w, i) => (i === 0 ? { ...w, data: w.data.slice(0, 8) } : w)) };
    expect(code(() => DcdmNet.fromJSON(short, tf))).toBe('SHAPE_MISMATCH');
    const nan = new Float32Array(18).fill(NaN);
    const bad = { ...json, weights: json.weights.map((w, i) => (i === 0 ? { ...w, data: Buffer.from(nan.buffer).toString('base64') } : w)) };
    expect(code(() => DcdmNet.fromJSON(bad, tf))).toBe('NOT_FINITE');
    net.dispose();
  });
});
