/**
 * The worker-thread entry of {@link ParallelOptimizer} (src/parallel-step.ts): builds views of its
 * slice of the shared parameter, gradient and state buffers once, then loops: park in Atomics.wait on
 * the control array's generation slot, run the command on its segments with the same single-thread
 * kernels (`lionStep`, `adamwStep`, LAMB's two passes from lamb-step.ts), report completion through
 * the pending counter. See parallel-protocol.ts for the protocol. The views never change, so the
 * kernels specialise to them (core's specialize.ts) from the second step on. With a shared
 * WebAssembly.Memory in `workerData.memory` (float32), each segment's first ⌊n/4⌋·4 elements run in
 * the SIMD kernels of parallel-simd.ts and the rest in the JS kernel; for LAMB's pass 1 the sums of
 * squares of those last elements are then added to the kernel's in index order, so each segment's
 * sums are the JS loop's to the bit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { adamwStep, type AdamWStepOptions } from './adamw.js';
import { lambApplyPass, lambDirectionPass, lambPassScalars } from './lamb-step.js';
import { lionStep, type LionStepOptions } from './lion.js';
import { COMMAND, CONTROL, ERROR_BYTES, HYPER, type ParallelWorkerData } from './parallel-protocol.js';
import { stepKernels } from './parallel-simd.js';

type View = Float32Array | Float64Array;

interface SegmentViews {
  tensor: number;
  /** SIMD: element offsets of this segment's θ, g, m, v, u in the memory, and its length. */
  at: { theta: number; grad: number; m: number; v: number; u: number; n: number };
  /** SIMD: views of the last n mod 4 elements, for the JS kernel (null when n mod 4 = 0). */
  tail: { theta: View; grad: View; m: View; v: View | null; u: View | null } | null;
  theta: View;
  grad: View;
  m: View;
  v: View | null;
  u: View | null;
}

function run(data: ParallelWorkerData): void {
  const control = new Int32Array(data.control);
  const hyper = new Float64Array(data.hyper);
  const partials = new Float64Array(data.partials);
  const ratios = new Float64Array(data.ratios);
  const view = (buffer: SharedArrayBuffer, start: number, end: number): View =>
    data.f32 ? new Float32Array(buffer, start * 4, end - start) : new Float64Array(buffer, start * 8, end - start);
  const b = data.bases;
  const kernels = data.memory === null ? null : stepKernels(data.memory);
  const segments: SegmentViews[] = data.segments.map((s) => {
    const n = s.end - s.start;
    const t = s.start + (n & ~3);
    return {
      tensor: s.tensor,
      at: { theta: b.theta + s.start, grad: b.grad + s.start, m: b.m + s.start, v: b.v + s.start, u: b.u + s.start, n },
      tail:
        kernels === null || t === s.end
          ? null
          : {
              theta: view(data.theta, b.theta + t, b.theta + s.end),
              grad: view(data.grad, b.grad + t, b.grad + s.end),
              m: view(data.m, b.m + t, b.m + s.end),
              v: data.v === null ? null : view(data.v, b.v + t, b.v + s.end),
              u: data.u === null ? null : view(data.u, b.u + t, b.u + s.end),
            },
      theta: view(data.theta, b.theta + s.start, b.theta + s.end),
      grad: view(data.grad, b.grad + s.start, b.grad + s.end),
      m: view(data.m, b.m + s.start, b.m + s.end),
      v: data.v === null ? null : view(data.v, b.v + s.start, b.v + s.end),
      u: data.u === null ? null : view(data.u, b.u + s.start, b.u + s.end),
    };
  });
  // One options object per segment, refilled each step (no allocation per step for Lion/AdamW).
  const lionOptions: LionStepOptions[] = segments.map(() => ({ lr: 0, beta1: 0, beta2: 0, weightDecay: 0 }));
  const adamwOptions: AdamWStepOptions[] = segments.map(() => ({ lr: 0, b1: 0, b2: 0, eps: 0, weightDecay: 0, step: 1 }));
  const partialBase = data.index * data.tensors * 2;
  /** Where the JS kernel leaves the sums of a SIMD segment's tail (discarded: they are re-added in order). */
  const tailSums = new Float64Array(2);

  const stepSegments = (cmd: number): void => {
    const lr = hyper[HYPER.lr];
    const wd = hyper[HYPER.weightDecay];
    if (data.kind === 'lion') {
      for (let k = 0; k < segments.length; k++) {
        const s = segments[k];
        const o = lionOptions[k];
        o.lr = lr;
        o.beta1 = hyper[HYPER.beta1];
        o.beta2 = hyper[HYPER.beta2];
        o.weightDecay = data.decayed[s.tensor] ? wd : 0;
        if (kernels === null) {
          lionStep(s.theta, s.grad, s.m, o);
          continue;
        }
        // As lionRun: step = fround(−lr) when λ = 0 (float32 only here).
        const b1 = o.beta1;
        const b2 = o.beta2;
        const a = s.at;
        if (o.weightDecay === 0) kernels.lionPlain(a.theta, a.grad, a.m, a.n, Math.fround(-lr), b1, 1 - b1, b2, 1 - b2);
        else kernels.lionDecayed(a.theta, a.grad, a.m, a.n, -lr, b1, 1 - b1, b2, 1 - b2, o.weightDecay);
        if (s.tail !== null) lionStep(s.tail.theta, s.tail.grad, s.tail.m, o);
      }
    } else if (data.kind === 'adamw') {
      for (let k = 0; k < segments.length; k++) {
        const s = segments[k];
        const o = adamwOptions[k];
        o.lr = lr;
        o.b1 = hyper[HYPER.beta1];
        o.b2 = hyper[HYPER.beta2];
        o.eps = hyper[HYPER.eps];
        o.weightDecay = data.decayed[s.tensor] ? wd : 0;
        o.step = hyper[HYPER.step];
        if (kernels === null) {
          adamwStep(s.theta, s.grad, s.m, s.v!, o);
          continue;
        }
        // adamwStep's scalars, computed by the same expressions.
        const r1 = 1 / (1 - o.b1 ** o.step);
        const r2 = 1 / (1 - o.b2 ** o.step);
        const a = s.at;
        kernels.adamw(a.theta, a.grad, a.m, a.v, a.n, -o.lr * r1, 1 - o.lr * o.weightDecay, o.b1, 1 - o.b1, o.b2, 1 - o.b2, r2, o.eps);
        if (s.tail !== null) adamwStep(s.tail.theta, s.tail.grad, s.tail.m, s.tail.v!, o);
      }
    } else if (cmd === COMMAND.step) {
      const p = lambPassScalars(hyper[HYPER.beta1], hyper[HYPER.beta2], hyper[HYPER.eps], hyper[HYPER.step], data.biasCorrection);
      for (const s of segments) {
        const lambda = data.decayed[s.tensor] ? wd : 0;
        const at = partialBase + 2 * s.tensor;
        if (kernels === null) {
          lambDirectionPass(s.theta, s.grad, s.m, s.v!, s.u!, p, lambda, partials, at);
          continue;
        }
        const a = s.at;
        const [uu, ww] =
          lambda === 0
            ? kernels.lambDirection(a.theta, a.grad, a.m, a.v, a.u, a.n, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, 0, 0)
            : kernels.lambDirectionDecayed(a.theta, a.grad, a.m, a.v, a.u, a.n, p.b1, p.c1, p.b2, p.c2, p.r1, p.r2, p.eps, lambda, 0, 0);
        partials[at] = uu;
        partials[at + 1] = ww;
        const tail = s.tail;
        if (tail === null) continue;
        lambDirectionPass(tail.theta, tail.grad, tail.m, tail.v!, tail.u!, p, lambda, tailSums, 0);
        // Continue the sums in index order (θ is not written by pass 1; u holds the float32 values the JS loop squared).
        for (let i = 0; i < tail.u!.length; i++) {
          partials[at] += tail.u![i] * tail.u![i];
          partials[at + 1] += tail.theta[i] * tail.theta[i];
        }
      }
    } else {
      for (const s of segments) {
        if (kernels === null) {
          lambApplyPass(s.theta, s.grad, s.m, s.v!, s.u!, ratios[s.tensor], -lr);
          continue;
        }
        kernels.lambApply(s.at.theta, s.at.u, s.at.n, ratios[s.tensor], -lr);
        const tail = s.tail;
        if (tail !== null) lambApplyPass(tail.theta, tail.grad, tail.m, tail.v!, tail.u!, ratios[s.tensor], -lr);
      }
    }
  };

  // Tell the main thread the modules loaded and the views exist; after this no message is sent (only Atomics).
  parentPort!.postMessage('ready');
  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.gen, seen);
    const gen = Atomics.load(control, CONTROL.gen);
    if (gen === seen) continue;
    seen = gen;
    const cmd = Atomics.load(control, CONTROL.cmd);
    if (cmd === COMMAND.exit) return;
    try {
      stepSegments(cmd);
    } catch (err) {
      const text = new TextEncoder().encode(String(err instanceof Error ? `${err.name}: ${err.message}` : err)).subarray(0, ERROR_BYTES);
      new Uint8Array(data.errorText).set(text);
      Atomics.compareExchange(control, CONTROL.error, 0, data.index + 1);
    }
    if (Atomics.sub(control, CONTROL.pending, 1) === 1) Atomics.notify(control, CONTROL.pending);
  }
}

if (parentPort !== null) run(workerData as ParallelWorkerData);
