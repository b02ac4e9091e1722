/**
 * Trainable grid layers for the tfjs wasm backend: a k×k 'same' convolution written as patch
 * extraction (im2col) plus one matrix multiply, 2×2 average pooling and ×2 nearest upsampling, all
 * from ops whose gradients the wasm backend has.
 *
 * Why: tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so `tf.conv2d` cannot be trained
 * there (checked: `tf.grad` w.r.t. the filter throws "Kernel 'Conv2DBackpropFilter' not registered for
 * backend 'wasm'"; the input gradient works), and tfjs has no `extractImagePatches`. Zero padding,
 * k² slices, a concat and a matMul are differentiable on wasm, and the matMul runs in XNNPACK. The cpu
 * backend could train `tf.conv2d` but was 10–90× slower (method card, pitfalls). Upsampling uses
 * stack + reshape because tfjs's `tile` has no gradient for the rank-6 form.
 *
 * Layout: NHWC (batch, rows, columns, channels), as tfjs's own conv2d.
 */
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;

/**
 * The k×k patches of x ([B, H, W, C]) with zero 'same' padding, as [B, H, W, k·k·C]: entry
 * ((dy·k + dx)·C + c) of pixel (i, j) is x[i + dy − k/2, j + dx − k/2, c] (0 outside). This is the
 * order of a [k, k, C, Cout] filter flattened row-major, so `matMul(patches, filter.reshape([k·k·C, Cout]))`
 * equals `tf.conv2d(x, filter, 1, 'same')` (a cross-correlation, like every deep-learning "conv").
 */
export function extractPatches(tf: Tf, x: tfjs.Tensor4D, k: number): tfjs.Tensor4D {
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new Error(`extractPatches: kernel size must be odd, got ${k}`);
  if (k === 1) return x;
  const [B, H, W, C] = x.shape;
  const h = (k - 1) / 2;
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [h, h], [h, h], [0, 0]]);
    const parts: tfjs.Tensor4D[] = [];
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++) parts.push(tf.slice(padded, [0, dy, dx, 0], [B, H, W, C]));
    }
    return tf.concat(parts, 3);
  });
}

/**
 * y = conv2d(x, filter, stride 1, 'same') + bias via {@link extractPatches} and one matMul.
 * x: [B, H, W, Cin]; filter: [k, k, Cin, Cout]; bias: [Cout] (optional). Returns [B, H, W, Cout].
 */
export function patchConv2d(tf: Tf, x: tfjs.Tensor4D, filter: tfjs.Tensor4D, bias?: tfjs.Tensor1D): tfjs.Tensor4D {
  const [k, k2, cin, cout] = filter.shape;
  const [B, H, W, C] = x.shape;
  if (k !== k2 || C !== cin) throw new Error(`patchConv2d: filter ${filter.shape.join('x')} does not fit input ${x.shape.join('x')}`);
  return tf.tidy(() => {
    const patches = extractPatches(tf, x, k).reshape([B * H * W, k * k * cin]);
    let y = tf.matMul(patches, filter.reshape([k * k * cin, cout]));
    if (bias) y = tf.add(y, bias);
    return y.reshape([B, H, W, cout]) as tfjs.Tensor4D;
  });
}

/** 2×2 average pooling with stride 2 ([B, H, W, C] → [B, H/2, W/2, C]; H and W even), as reshape + mean. */
export function avgPool2(tf: Tf, x: tfjs.Tensor4D): tfjs.Tensor4D {
  const [B, H, W, C] = x.shape;
  if (H % 2 !== 0 || W % 2 !== 0) throw new Error(`avgPool2: the grid ${H}x${W} must have even sides`);
  return tf.tidy(() => tf.mean(x.reshape([B, H / 2, 2, W / 2, 2, C]), [2, 4]) as tfjs.Tensor4D);
}

/** Nearest-neighbour ×2 upsampling ([B, h, w, C] → [B, 2h, 2w, C]): y[2i + a, 2j + c] = x[i, j]. */
export function upsample2(tf: Tf, x: tfjs.Tensor4D): tfjs.Tensor4D {
  const [B, h, w, C] = x.shape;
  return tf.tidy(() => {
    const cols = tf.stack([x, x], 3).reshape([B, h, 2 * w, C]);
    return tf.stack([cols, cols], 2).reshape([B, 2 * h, 2 * w, C]) as tfjs.Tensor4D;
  });
}
