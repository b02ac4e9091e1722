import { Rng } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { adamwStep } from './adamw.js';
import { lambApplyPass, lambDirectionPass, lambPassScalars } from './lamb-step.js';
import { lionStep } from './lion.js';
import { createStepMemory, stepKernels } from './parallel-simd.js';

// The kernels themselves do not read OPTKIT_NO_SIMD (ParallelOptimizer does), so they are tested wherever they compile.
const available = createStepMemory(1) !== null;

function bitEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Random values plus the edge cases of the arithmetic: ±0 (sign(0) = 0 and the sign of a zero sum),
 * NaN and ±Infinity (a NaN step), values whose products overflow float32 (the demotion must round
 * to ±Infinity as a Float32Array store does), and subnormals.
 */
function fill(a: Float32Array, rng: Rng, scale: number): void {
  const special = [0, -0, Number.NaN, Infinity, -Infinity, 3e38, -3e38, 1e-45, -1e-40];
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform() < 0.1 ? special[rng.int(0, special.length - 1)] : scale * rng.normal();
}

describe.skipIf(!available)('parallel-simd kernels', () => {
  // Lengths 0..13 (every n mod 4, tails of 0..3, lengths below 4 where the kernel does nothing) and one long.
  const lengths = [...Array.from({ length: 14 }, (_, k) => k), 1001];

  it('lionPlain and lionDecayed equal lionStep bit for bit on the first ⌊n/4⌋·4 elements and leave the rest', () => {
    const rng = new Rng(3);
    for (const n of lengths) {
      for (const wd of [0, 0.1, 3]) {
        const memory = createStepMemory(3 * 1024 * 4 + 64)!;
        const k = stepKernels(memory);
        // Regions at element offsets 1, 1026, 2051: not 16-byte aligned, like arbitrary tensor starts.
        const theta = new Float32Array(memory.buffer, 4 * 1, n);
        const grad = new Float32Array(memory.buffer, 4 * 1026, n);
        const m = new Float32Array(memory.buffer, 4 * 2051, n);
        fill(theta, rng, 1);
        fill(grad, rng, 1);
        fill(m, rng, 0.1);
        const refTheta = theta.slice();
        const refM = m.slice();
        const n4 = n & ~3;
        lionStep(refTheta.subarray(0, n4), grad.slice(0, n4), refM.subarray(0, n4), { lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: wd });
        const tailTheta = theta.slice(n4);
        const tailM = m.slice(n4);
        if (wd === 0) k.lionPlain(1, 1026, 2051, n, Math.fround(-1e-3), 0.9, 1 - 0.9, 0.99, 1 - 0.99);
        else k.lionDecayed(1, 1026, 2051, n, -1e-3, 0.9, 1 - 0.9, 0.99, 1 - 0.99, wd);
        expect(bitEqual(theta, refTheta), `theta, n ${n}, wd ${wd}`).toBe(true);
        expect(bitEqual(m, refM), `m, n ${n}, wd ${wd}`).toBe(true);
        expect(bitEqual(theta.subarray(n4), tailTheta) && bitEqual(m.subarray(n4), tailM), `tail untouched, n ${n}`).toBe(true);
      }
    }
  });

  it('adamw equals adamwStep bit for bit (λ = 0 and λ > 0, steps 1 and 5)', () => {
    const rng = new Rng(4);
    for (const n of lengths) {
      for (const [wd, step] of [[0, 1], [0.01, 5], [0.5, 2]]) {
        const memory = createStepMemory(4 * 1024 * 4 + 64)!;
        const k = stepKernels(memory);
        const at = [3, 1027, 2050, 3073];
        const [theta, grad, m, v] = at.map((o) => new Float32Array(memory.buffer, 4 * o, n));
        fill(theta, rng, 1);
        fill(grad, rng, 1);
        fill(m, rng, 0.1);
        for (let i = 0; i < n; i++) v[i] = Math.abs(0.01 * rng.normal());
        if (n > 5) v[5] = 0; // √0 + eps
        const o = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: wd, step };
        const n4 = n & ~3;
        const ref = [theta, m, v].map((a) => a.slice(0, n4));
        adamwStep(ref[0], grad.slice(0, n4), ref[1], ref[2], o);
        const r1 = 1 / (1 - o.b1 ** o.step);
        const r2 = 1 / (1 - o.b2 ** o.step);
        k.adamw(at[0], at[1], at[2], at[3], n, -o.lr * r1, 1 - o.lr * o.weightDecay, o.b1, 1 - o.b1, o.b2, 1 - o.b2, r2, o.eps);
        expect(bitEqual(theta.subarray(0, n4), ref[0]), `theta, n ${n}, wd ${wd}`).toBe(true);
        expect(bitEqual(m.subarray(0, n4), ref[1]) && bitEqual(v.subarray(0, n4), ref[2]), `m, v, n ${n}`).toBe(true);
      }
    }
  });

  it('LAMB pass 1 (λ = 0 and λ > 0) and pass 2 equal lamb-step.ts\'s passes bit for bit, sums included', () => {
    const rng = new Rng(5);
    for (const n of lengths) {
      for (const [wd, step, eps] of [[0, 1, 1e-6], [0.01, 5, 1e-6], [0.5, 2, 0]]) {
        const memory = createStepMemory(5 * 1024 * 4 + 64)!;
        const k = stepKernels(memory);
        const at = [1, 1027, 2050, 3075, 4097];
        const [theta, grad, m, v, u] = at.map((o) => new Float32Array(memory.buffer, 4 * o, n));
        fill(theta, rng, 1);
        fill(grad, rng, 1);
        fill(m, rng, 0.1);
        for (let i = 0; i < n; i++) v[i] = Math.abs(0.01 * rng.normal());
        if (n > 5) v[5] = 0; // √(0 + 0) + eps, with eps = 0 a division by zero
        if (n > 6) v[6] = -0;
        const p = lambPassScalars(0.9, 0.999, eps, step, true);
        const n4 = n & ~3;
        // Reference on copies of the first ⌊n/4⌋·4 elements (fresh arrays: the JS loop, not a cached kernel).
        const ref = [theta, m, v].map((a) => a.slice(0, n4));
        const refU = new Float32Array(n4);
        const sums = new Float64Array(2);
        lambDirectionPass(ref[0], grad.slice(0, n4), ref[1], ref[2], refU, p, wd, sums, 0);
        const tailU = u.slice(n4);
        const [uu, ww] =
          wd === 0
            ? k.lambDirection(at[0], at[1], at[2], at[3], at[4], n, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, 0, 0)
            : k.lambDirectionDecayed(at[0], at[1], at[2], at[3], at[4], n, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, wd, 0, 0);
        const tag = `n ${n}, wd ${wd}, eps ${eps}`;
        expect(bitEqual(m.subarray(0, n4), ref[1]) && bitEqual(v.subarray(0, n4), ref[2]), `m, v, ${tag}`).toBe(true);
        expect(bitEqual(u.subarray(0, n4), refU), `u, ${tag}`).toBe(true);
        expect(bitEqual(u.subarray(n4), tailU), `u tail untouched, ${tag}`).toBe(true);
        expect(Object.is(uu, sums[0]) && Object.is(ww, sums[1]), `sums, ${tag}`).toBe(true);
        // The sums continue from the given starting values.
        const [uu2] = k.lambDirection(at[0], at[1], at[2], at[3], at[4], Math.min(n, 4), p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, 0.5, 0);
        if (n < 4) expect(uu2).toBe(0.5);
        // Pass 2 with a finite ρ, and with ρ = 1.
        for (const rho of [0.7310000000000001, 1]) {
          const refTheta = theta.slice(0, n4);
          lambApplyPass(refTheta, refU.slice(), ref[1].slice(), ref[2].slice(), u.slice(0, n4), rho, -1e-3);
          const tailTheta = theta.slice(n4);
          k.lambApply(at[0], at[4], n, rho, -1e-3);
          expect(bitEqual(theta.subarray(0, n4), refTheta), `theta, ${tag}, rho ${rho}`).toBe(true);
          expect(bitEqual(theta.subarray(n4), tailTheta), `theta tail untouched, ${tag}`).toBe(true);
        }
      }
    }
  });

  it('the memory is shared and sized in whole pages; over 4 GiB gives null', () => {
    const memory = createStepMemory(70_000)!;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(memory.buffer.byteLength).toBe(2 * 65536);
    expect(createStepMemory(2 ** 32 + 1)).toBeNull();
  });
});
