import { describe, expect, it } from 'vitest';
import { useBestBackend } from '@optkit/core/tf';
import { avgPool2, extractPatches, patchConv2d, upsample2 } from './patch-conv.js';

const { tf } = await useBestBackend();

/** Direct 'same' cross-correlation in float64: y[b,i,j,o] = Σ x[b,i+dy-h,j+dx-h,c]·w[dy,dx,c,o] + bias[o]. */
function directConv(x: number[], [B, H, W, C]: number[], w: number[], [k, , , O]: number[], bias: number[]): Float64Array {
  const h = (k - 1) / 2;
  const y = new Float64Array(B * H * W * O);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let o = 0; o < O; o++) {
          let s = bias[o];
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const ii = i + dy - h;
              const jj = j + dx - h;
              if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
              for (let c = 0; c < C; c++) s += x[((b * H + ii) * W + jj) * C + c] * w[((dy * k + dx) * C + c) * O + o];
            }
          y[((b * H + i) * W + j) * O + o] = s;
        }
  return y;
}

function seq(n: number, seed: number): number[] {
  // Deterministic pseudo-random values in [-1, 1] (no tf randomness).
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s / 2147483648) * 2 - 1);
  }
  return out;
}

describe('patch-extraction convolution (wasm-trainable)', () => {
  it('runs on the wasm backend, where tf.conv2d has no filter gradient', () => {
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.ones([1, 4, 4, 1]) as import('@tensorflow/tfjs').Tensor4D;
    const w = tf.ones([3, 3, 1, 1]) as import('@tensorflow/tfjs').Tensor4D;
    expect(() => tf.grad((f: import('@tensorflow/tfjs').Tensor) => tf.conv2d(x, f as import('@tensorflow/tfjs').Tensor4D, 1, 'same').sum())(w)).toThrow(/Conv2DBackpropFilter/);
    const g = tf.grad((f: import('@tensorflow/tfjs').Tensor) => patchConv2d(tf, x, f as import('@tensorflow/tfjs').Tensor4D).sum())(w);
    // Σ over outputs of a 4×4 'same' conv: tap (dy, dx) sees 3·3 = 9 pixels off-centre, 16 at the centre, 12 on edges.
    expect(Array.from(g.dataSync())).toEqual([9, 12, 9, 12, 16, 12, 9, 12, 9]);
    tf.dispose([x, w, g]);
  });

  it('equals a direct convolution and tf.conv2d on a tiny input', () => {
    const xs = [2, 5, 4, 3];
    const ws = [3, 3, 3, 2];
    const x = seq(2 * 5 * 4 * 3, 1);
    const w = seq(3 * 3 * 3 * 2, 2);
    const bias = [0.25, -0.5];
    const want = directConv(x, xs, w, ws, bias);
    const xt = tf.tensor4d(x, xs as [number, number, number, number]);
    const wt = tf.tensor4d(w, ws as [number, number, number, number]);
    const bt = tf.tensor1d(bias);
    const got = patchConv2d(tf, xt, wt, bt).dataSync();
    const ref = tf.add(tf.conv2d(xt, wt, 1, 'same'), bt).dataSync();
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
      expect(Math.abs(ref[i] - want[i])).toBeLessThan(1e-5);
    }
    expect(extractPatches(tf, xt, 3).shape).toEqual([2, 5, 4, 27]);
    tf.dispose([xt, wt, bt]);
  });

  it('has filter and input gradients matching central finite differences (float64 reference)', () => {
    const xs = [1, 4, 3, 2];
    const ws = [3, 3, 2, 2];
    const x = seq(24, 3);
    const w = seq(36, 4);
    const bias = [0.1, -0.2];
    const g = seq(24, 5); // fixed cotangent: L = Σ g ⊙ conv(x, w)
    const L = (xv: number[], wv: number[]) => directConv(xv, xs, wv, ws, bias).reduce((s, v, i) => s + v * g[i], 0);
    const xt = tf.tensor4d(x, xs as [number, number, number, number]);
    const wt = tf.tensor4d(w, ws as [number, number, number, number]);
    const bt = tf.tensor1d(bias);
    const gt = tf.tensor4d(g, xs as [number, number, number, number]);
    const [dx, dw] = tf.grads((a: import('@tensorflow/tfjs').Tensor, b: import('@tensorflow/tfjs').Tensor) =>
      tf.sum(tf.mul(patchConv2d(tf, a as import('@tensorflow/tfjs').Tensor4D, b as import('@tensorflow/tfjs').Tensor4D, bt), gt)),
    )([xt, wt]);
    const h = 1e-6;
    const dwv = dw.dataSync();
    for (let i = 0; i < w.length; i++) {
      const wp = w.slice();
      const wm = w.slice();
      wp[i] += h;
      wm[i] -= h;
      expect(Math.abs(dwv[i] - (L(x, wp) - L(x, wm)) / (2 * h))).toBeLessThan(1e-4);
    }
    const dxv = dx.dataSync();
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      expect(Math.abs(dxv[i] - (L(xp, w) - L(xm, w)) / (2 * h))).toBeLessThan(1e-4);
    }
    tf.dispose([xt, wt, bt, gt, dx, dw]);
  });

  it('avgPool2 and upsample2 give the hand results and have gradients', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    expect(Array.from(avgPool2(tf, x).dataSync())).toEqual([3.5, 5.5, 11.5, 13.5]);
    const s = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(Array.from(upsample2(tf, s).dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const gp = tf.grad((t: import('@tensorflow/tfjs').Tensor) => avgPool2(tf, t as import('@tensorflow/tfjs').Tensor4D).sum())(x);
    expect(Array.from(gp.dataSync())).toEqual(new Array(16).fill(0.25));
    const gu = tf.grad((t: import('@tensorflow/tfjs').Tensor) => upsample2(tf, t as import('@tensorflow/tfjs').Tensor4D).sum())(s);
    expect(Array.from(gu.dataSync())).toEqual([4, 4, 4, 4]);
    expect(() => avgPool2(tf, tf.zeros([1, 3, 4, 1]) as import('@tensorflow/tfjs').Tensor4D)).toThrow(/even/);
    tf.dispose([x, s, gp, gu]);
  });
});
