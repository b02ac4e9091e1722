/**
 * The DCDM network (TensorFlow.js, float32): a small residual CNN on a 2-D grid that maps a
 * normalised residual r/‖r‖ to a search direction, trained to act like A⁻¹ up to a scalar.
 *
 * A. Kaneda et al., "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems",
 * ICML 2023 (arXiv 2205.10763). The reference (`src/train.py`, 3-D, N = 64, 16 channels, 3×3×3 convs,
 * 'same' padding) is: linear conv → residual pairs of relu convs at full resolution → AvgPool 2 →
 * residual pairs at half resolution → UpSample ×2 + skip from the full-resolution branch → residual
 * pairs → per-voxel Dense(1). This is the card's 2-D CPU-sized version: one pooling level, one residual
 * pair per stage, so 7 convolutions (1 + 2 + 2 + 2) and the Dense(1) head. Each residual pair is
 * h = relu(conv(x)), y = relu(conv(h)) + x.
 *
 * The convolutions are {@link patchConv2d} (im2col + matMul), because the wasm backend cannot train
 * `tf.conv2d` (no Conv2DBackpropFilter kernel; see patch-conv.ts). Weights are held in tf.Variables;
 * {@link DcdmNet.toJSON} / {@link DcdmNet.fromJSON} store them as base64 float32 (exact round trip).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { OptkitError, Rng, assertFinite, checkOption } from '@optkit/core';
import { getTf } from '@optkit/core/tf';
import type { DirectionModel } from '../dcdm.js';
import { avgPool2, patchConv2d, upsample2 } from './patch-conv.js';

type Tf = typeof tfjs;

export interface DcdmNetConfig {
  /** Spatial dimensions (only 2 is implemented: the 3-D reference needs Conv3D, see the card). */
  dims: 2;
  /** Grid size [nx, ny] (even sides); unknown (i, j) is entry i·ny + j, as core's poisson2d. */
  shape: [number, number];
  /** Feature channels (default 16, the reference's; the shipped 16×16 model uses 8). */
  channels: number;
  /** Pooling levels (only 1 is implemented). */
  levels: 1;
  /** Convolution kernel size (3, the reference's). */
  kernel: number;
}

export interface BuildDcdmNetOptions {
  dims?: 2;
  shape: [number, number] | number[];
  channels?: number;
  levels?: 1;
  /** Seed of the Glorot-uniform initialisation (default 0). */
  seed?: number;
}

/** The serialised network: config, named float32 weights (base64, little-endian) and free-form metadata. */
export interface DcdmNetJson {
  format: 'optkit-dcdm-net';
  version: 1;
  config: DcdmNetConfig;
  weights: { name: string; shape: number[]; data: string }[];
  metadata?: Record<string, unknown>;
}

/** Names of the 7 convolutions, in order of use. */
const CONVS = ['c1', 'full_a', 'full_b', 'half_a', 'half_b', 'up_a', 'up_b'] as const;

export class DcdmNet {
  readonly config: DcdmNetConfig;
  /** The weights by name: `<conv>/kernel` [k, k, Cin, Cout], `<conv>/bias` [Cout], `dense/kernel` [C, 1], `dense/bias` [1]. */
  readonly weights: Map<string, tfjs.Variable>;
  /** The tfjs namespace the weights live in. */
  readonly tf: Tf;

  constructor(tf: Tf, config: DcdmNetConfig, weights: Map<string, tfjs.Variable>) {
    this.tf = tf;
    this.config = config;
    this.weights = weights;
  }

  /** The trainable variables, in a fixed order. */
  get variables(): tfjs.Variable[] {
    return [...this.weights.values()];
  }

  /** Number of scalar weights. */
  get size(): number {
    let s = 0;
    for (const v of this.weights.values()) s += v.size;
    return s;
  }

  /**
   * Forward pass: x [B, nx, ny, 1] → [B, nx, ny, 1]. `mode` 'train' (default) builds every convolution
   * from patches + matMul, which the wasm backend can differentiate; 'infer' uses `tf.conv2d`, whose
   * forward kernel wasm has (only its filter gradient is missing) — the same function, fewer ops.
   */
  predict(x: tfjs.Tensor4D, mode: 'train' | 'infer' = 'train'): tfjs.Tensor4D {
    const tf = this.tf;
    const [nx, ny] = this.config.shape;
    if (x.rank !== 4 || x.shape[1] !== nx || x.shape[2] !== ny || x.shape[3] !== 1) {
      throw new OptkitError('SHAPE_MISMATCH', `DcdmNet.predict: input is [${x.shape.join(', ')}]; expected [B, ${nx}, ${ny}, 1]`, 'x');
    }
    const w = (name: string) => this.weights.get(name)!;
    const conv =
      mode === 'infer'
        ? (name: string, t: tfjs.Tensor4D) => tf.add(tf.conv2d(t, w(`${name}/kernel`) as tfjs.Tensor4D, 1, 'same'), w(`${name}/bias`)) as tfjs.Tensor4D
        : (name: string, t: tfjs.Tensor4D) => patchConv2d(tf, t, w(`${name}/kernel`) as tfjs.Tensor4D, w(`${name}/bias`) as tfjs.Tensor1D);
    const pair = (a: string, b: string, t: tfjs.Tensor4D) => tf.add(tf.relu(conv(b, tf.relu(conv(a, t)))), t) as tfjs.Tensor4D;
    return tf.tidy(() => {
      const c1 = conv('c1', x);
      const full = pair('full_a', 'full_b', c1);
      const half = pair('half_a', 'half_b', avgPool2(tf, full));
      const up = tf.add(upsample2(tf, half), full) as tfjs.Tensor4D;
      const top = pair('up_a', 'up_b', up);
      const C = this.config.channels;
      const B = x.shape[0];
      const y = tf.add(tf.matMul(top.reshape([B * nx * ny, C]), w('dense/kernel') as tfjs.Tensor2D), w('dense/bias'));
      return y.reshape([B, nx, ny, 1]) as tfjs.Tensor4D;
    });
  }

  /** The network and its weights as JSON-ready data (`metadata` is stored as given). */
  toJSON(metadata?: Record<string, unknown>): DcdmNetJson {
    const weights = [...this.weights].map(([name, v]) => {
      const data = v.dataSync() as Float32Array;
      return { name, shape: v.shape.slice(), data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
    });
    return { format: 'optkit-dcdm-net', version: 1, config: { ...this.config, shape: [...this.config.shape] as [number, number] }, weights, ...(metadata ? { metadata } : {}) };
  }

  /**
   * Rebuilds a network from {@link toJSON}'s output in `tf` (default: `getTf()`, the backend
   * `useBestBackend` chose). INVALID_ARGUMENT / SHAPE_MISMATCH / NOT_FINITE on a malformed file.
   */
  static fromJSON(json: DcdmNetJson, tf: Tf = getTf()): DcdmNet {
    const fn = 'DcdmNet.fromJSON';
    if (!json || json.format !== 'optkit-dcdm-net' || json.version !== 1) {
      throw new OptkitError('INVALID_ARGUMENT', `${fn}: not an optkit-dcdm-net version 1 file`, 'json');
    }
    const config = checkConfig(json.config, fn);
    const expected = weightShapes(config);
    const weights = new Map<string, tfjs.Variable>();
    for (const [name, shape] of expected) {
      const entry = json.weights.find((e) => e.name === name);
      if (!entry) throw new OptkitError('INVALID_ARGUMENT', `${fn}: weight ${name} is missing`, 'json');
      const bytes = Buffer.from(entry.data, 'base64');
      const count = shape.reduce((a, b) => a * b, 1);
      if (bytes.byteLength !== 4 * count || entry.shape.join(',') !== shape.join(',')) {
        throw new OptkitError('SHAPE_MISMATCH', `${fn}: weight ${name} has shape [${entry.shape}] and ${bytes.byteLength / 4} values; expected [${shape}]`, 'json');
      }
      const values = new Float32Array(count);
      new Uint8Array(values.buffer).set(bytes);
      assertFinite(values, name, fn);
      weights.set(name, tf.variable(tf.tensor(values, shape, 'float32'), true, undefined));
    }
    return new DcdmNet(tf, config, weights);
  }

  /** Releases the weights' memory. */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }
}

function checkConfig(c: DcdmNetConfig, fn: string): DcdmNetConfig {
  if (!c || c.dims !== 2) throw new OptkitError('UNSUPPORTED', `${fn}: only dims = 2 is implemented (3-D needs Conv3D; see the card)`, 'dims');
  if (c.levels !== 1) throw new OptkitError('UNSUPPORTED', `${fn}: only levels = 1 is implemented`, 'levels');
  if (!Array.isArray(c.shape) || c.shape.length !== 2) throw new OptkitError('SHAPE_MISMATCH', `${fn}: shape must be [nx, ny]`, 'shape');
  for (const s of c.shape) {
    checkOption(s, 'shape', { min: 2, integer: true }, fn);
    if (s % 2 !== 0) throw new OptkitError('INVALID_OPTION', `${fn}: grid sides must be even (one 2×2 pooling level), got ${c.shape.join('x')}`, 'shape');
  }
  checkOption(c.channels, 'channels', { min: 1, integer: true }, fn);
  checkOption(c.kernel, 'kernel', { min: 1, integer: true }, fn);
  if (c.kernel % 2 === 0) throw new OptkitError('INVALID_OPTION', `${fn}: kernel must be odd`, 'kernel');
  return { dims: 2, shape: [c.shape[0], c.shape[1]], channels: c.channels, levels: 1, kernel: c.kernel };
}

function weightShapes(c: DcdmNetConfig): [string, number[]][] {
  const k = c.kernel;
  const C = c.channels;
  const out: [string, number[]][] = [];
  for (const name of CONVS) {
    out.push([`${name}/kernel`, [k, k, name === 'c1' ? 1 : C, C]]);
    out.push([`${name}/bias`, [C]]);
  }
  out.push(['dense/kernel', [C, 1]], ['dense/bias', [1]]);
  return out;
}

/**
 * A new network with Glorot-uniform kernels (limit √(6/(fan_in + fan_out)), Keras's default, drawn
 * from a seeded optkit Rng so the initial weights are reproducible on every backend) and zero biases.
 * Defaults: dims 2, channels 16, levels 1, kernel 3, seed 0. The weights live in `tf` (default
 * `getTf()` from @optkit/core/tf: call `useBestBackend()` first to get the wasm backend).
 */
export function buildDcdmNet(options: BuildDcdmNetOptions, tf: Tf = getTf()): DcdmNet {
  const fn = 'buildDcdmNet';
  const config = checkConfig(
    { dims: options.dims ?? 2, shape: options.shape as [number, number], channels: options.channels ?? 16, levels: options.levels ?? 1, kernel: 3 },
    fn,
  );
  const rng = new Rng(checkOption(options.seed ?? 0, 'seed', { integer: true }, fn));
  const weights = new Map<string, tfjs.Variable>();
  for (const [name, shape] of weightShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    if (name.endsWith('/kernel')) {
      const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
      const fanIn = receptive * shape[shape.length - 2];
      const fanOut = receptive * shape[shape.length - 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < count; i++) values[i] = rng.uniform(-limit, limit);
    }
    weights.set(name, tf.variable(tf.tensor(values, shape, 'float32'), true, undefined));
  }
  return new DcdmNet(tf, config, weights);
}

/**
 * The network as a {@link DirectionModel} for `dcdm`: r (length nx·ny, row-major grid) → float32
 * forward pass (inference mode: `tf.conv2d`) → float64 direction. Throws SHAPE_MISMATCH when r does not have the network's grid size.
 */
export function asDirectionModel(net: DcdmNet): DirectionModel {
  const tf = net.tf;
  const [nx, ny] = net.config.shape;
  const n = nx * ny;
  return (r: Float64Array) => {
    if (r.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `DCDM model: the residual has length ${r.length}; the network is for a ${nx}×${ny} grid (${n} unknowns)`, 'r');
    }
    const out = tf.tidy(() => net.predict(tf.tensor4d(Float32Array.from(r), [1, nx, ny, 1]), 'infer'));
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return Float64Array.from(data);
  };
}
