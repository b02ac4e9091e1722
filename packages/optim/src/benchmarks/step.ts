/**
 * `optim.step`: the time of one optimizer step per parameter, on float32 arrays of 10⁷ parameters
 * (quick: 10⁶), for Lion (`lionStep`), AdamW (`adamwStep`) and LAMB
 * (the `lamb` transform of src/lamb.ts + `applyUpdates`), against:
 *
 * (a) the memory-bandwidth bound measured in the same run: the bytes a step must move divided by the
 *     one-thread STREAM-triad bandwidth (a[i] = b[i] + s·c[i] on Float64Arrays of 3·8·n bytes,
 *     counted as 24 B/element like STREAM, without write-allocate traffic). Bytes per parameter:
 *     Lion reads θ, g, m and writes θ, m: 20 B; AdamW reads θ, g, m, v and writes θ, m, v: 28 B; LAMB
 *     needs a second pass after the trust-ratio norms (pass 1 as AdamW but writing the update u instead
 *     of θ, pass 2 reads u, θ and writes θ): 40 B. Target ≤ 1.5× the bound.
 * (b) the same update written in numpy in place (ufuncs with out=, tools/reference/optim_step.py, one
 *     OpenBLAS thread, same n, float32). Target: faster than numpy.
 * (c) tfjs (wasm backend): `OptkitLion` / `OptkitAdamW` applyGradients against `tf.train.adam` on the
 *     same variables (4 tensors, 10⁶ parameters in all; quick 2.5·10⁵). Target ≤ 1.2× Adam's time.
 *
 * PERF-BASELINE.md §5 found a fused single-thread Adam loop near 2.1–2.2× the triad bound (sqrt and
 * divide bound, not memory bound); the rows report what this run measures, pass or not.
 */
import {
  Rng,
  applyUpdates,
  runReference,
  throwIfAborted,
  type BenchContext,
  type BenchResult,
  type BenchRow,
  type BenchmarkEntry,
} from '@optkit/core';
import { adamwStep } from '../adamw.js';
import { lamb } from '../lamb.js';
import { lionStep } from '../lion.js';

export interface StepBenchmarkOptions {
  /** Parameters for the typed-array rows (default 10⁷; quick 10⁶). */
  size?: number;
  /** Parameters for the tfjs rows (default 10⁶; quick 2.5·10⁵). */
  tfSize?: number;
  /** Minimum seconds per measurement (default 0.5; quick 0.2). */
  minSeconds?: number;
  /** Run the numpy reference (default true). */
  reference?: boolean;
  /** Run the tfjs rows (default true). */
  tfjs?: boolean;
}

// Three warm-up calls on the real arrays by default in the step rows: lion/adamw build a kernel
// specialised to those arrays on the second call (core specialize.ts), and V8 needs a call or two more to optimise it.
function medianSeconds(fn: () => void, minRuns: number, minSeconds: number, warmup = 1, maxRuns = 500): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - start < minSeconds * 1000)) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const round = (v: number, digits = 3) => Number(v.toPrecision(digits));

/**
 * STREAM triad on Float64Arrays of length n, as a closure over fixed arrays (the fastest code shape
 * measured in PERF-BASELINE.md §5). Returns bytes per second (24 B per element).
 */
function triadBandwidth(n: number, minSeconds: number): number {
  const a = new Float64Array(n);
  const b = new Float64Array(n).fill(1);
  const c = new Float64Array(n).fill(2);
  const s = 3;
  const triad = () => {
    for (let i = 0; i < n; i++) a[i] = b[i] + s * c[i];
  };
  // Warm up on the same arrays (the loop has no odd remainder path to deoptimise).
  for (let i = 0; i < 3; i++) triad();
  const t = medianSeconds(triad, 5, minSeconds, 0);
  if (a[n - 1] !== 7) throw new Error('triad check failed');
  return (24 * n) / t;
}

/** Memcpy bandwidth (dst.set(src)), 16 B per element of Float64Array (read + write), for the notes. */
function copyBandwidth(n: number, minSeconds: number): number {
  const a = new Float64Array(n);
  const b = new Float64Array(n).fill(1);
  const t = medianSeconds(() => a.set(b), 5, minSeconds, 2);
  return (16 * n) / t;
}

/** Calls the step kernels on small odd-length arrays first, so V8 optimises them before timing. */
function warmUpKernels(): void {
  const n = 1001;
  const th = new Float32Array(n).fill(0.5);
  const g = new Float32Array(n).fill(0.1);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  for (let i = 0; i < 200; i++) {
    lionStep(th, g, m, { lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
    adamwStep(th, g, m, v, { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, step: i + 1 });
  }
}

async function run(ctx: BenchContext, options: StepBenchmarkOptions): Promise<BenchResult> {
  const n = options.size ?? (ctx.quick ? 1_000_000 : 10_000_000);
  const tfSize = options.tfSize ?? (ctx.quick ? 250_000 : 1_000_000);
  const minSeconds = options.minSeconds ?? (ctx.quick ? 0.2 : 0.5);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const nLabel = n >= 1e6 && Number.isInteger(Math.log10(n)) ? `1e${Math.log10(n)}` : String(n);

  ctx.progress(0, 'bandwidth');
  const bw = triadBandwidth(n, minSeconds);
  const copyBw = copyBandwidth(n, minSeconds);
  notes.push(
    `one-thread bandwidth at n = ${n}: triad ${(bw / 1e9).toFixed(1)} GB/s (the bound), copy (TypedArray.set) ${(copyBw / 1e9).toFixed(1)} GB/s`,
  );

  const rng = new Rng(ctx.seed);
  const theta = rng.fillUniform(new Float32Array(n), -1, 1) as Float32Array;
  const grad = rng.fillNormal(new Float32Array(n)) as Float32Array;
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  warmUpKernels();
  const measured: { kind: string; seconds: number; bytes: number }[] = [];

  throwIfAborted(ctx.signal, 'optim.step');
  ctx.progress(0.1, 'lion');
  const lionO = { lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 };
  measured.push({ kind: 'lion', seconds: medianSeconds(() => lionStep(theta, grad, m, lionO), 5, minSeconds, 3), bytes: 20 });

  ctx.progress(0.2, 'adamw');
  m.fill(0);
  let t = 0;
  const adamO = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
  measured.push({
    kind: 'adamw',
    seconds: medianSeconds(() => {
      adamO.step = ++t;
      adamwStep(theta, grad, m, v, adamO);
    }, 5, minSeconds, 3),
    bytes: 28,
  });

  {
    ctx.progress(0.3, 'lamb');
    const params = { w: theta };
    const transform = lamb({ lr: 1e-3, weightDecay: 0.01 });
    const state = transform.init(params);
    const updates = { w: grad.slice() };
    // update overwrites the buffer with the step; refilling it costs a copy, so it is timed apart
    // and subtracted (the copy is not part of a step).
    const tCopy = medianSeconds(() => updates.w.set(grad), 5, minSeconds, 3);
    const tFull = medianSeconds(() => {
      updates.w.set(grad);
      transform.update(updates, state, params);
      applyUpdates(params, updates);
    }, 5, minSeconds, 3);
    measured.push({ kind: 'lamb', seconds: Math.max(tFull - tCopy, 1e-9), bytes: 40 });
    notes.push('lamb: the `lamb` transform of src/lamb.ts followed by applyUpdates (two passes; no in-place kernel), minus the time to refill the gradient buffer.');
  }

  for (const { kind, seconds, bytes } of measured) {
    const nsPerParam = (seconds / n) * 1e9;
    const boundNs = (bytes / bw) * 1e9;
    rows.push({
      name: `${kind} step f32 n=${nLabel} vs bandwidth bound (${bytes} B/param)`,
      value: round(nsPerParam),
      unit: 'ns/param',
      higherIsBetter: false,
      reference: { name: `triad bound, ${bytes} B at ${(bw / 1e9).toFixed(1)} GB/s`, value: round(boundNs) },
      ratio: round(boundNs / nsPerParam),
      target: '<= 1.5x the bound (ratio >= 0.667)',
      pass: nsPerParam <= 1.5 * boundNs,
    });
    ctx.log(`${kind}: ${nsPerParam.toFixed(2)} ns/param, bound ${boundNs.toFixed(2)} ns/param (${(nsPerParam / boundNs).toFixed(2)}x)`);
  }

  if (options.reference ?? true) {
    ctx.progress(0.45, 'numpy');
    const kinds = measured.map((x) => x.kind).join(',');
    // numpy runs while nothing else of this benchmark does; its arrays are its own (same n, float32).
    const ref = runReference('optim_step.py', ['--n', String(n), '--kinds', kinds, '--min-seconds', String(minSeconds)], {}, { env: { OPENBLAS_NUM_THREADS: '1' } });
    if (!ref.ok) {
      ctx.log(`numpy reference skipped: ${ref.skipped}`);
      notes.push(`numpy reference skipped: ${ref.skipped}`);
    } else {
      for (const { kind, seconds } of measured) {
        const np = ref.output[`${kind}_seconds`] as number;
        const nsOpt = (seconds / n) * 1e9;
        const nsNp = (np / n) * 1e9;
        rows.push({
          name: `${kind} step f32 n=${nLabel} vs numpy in place`,
          value: round(nsOpt),
          unit: 'ns/param',
          higherIsBetter: false,
          reference: { name: `numpy ${String(ref.output.numpy)} ufuncs with out=`, value: round(nsNp) },
          ratio: round(nsNp / nsOpt),
          target: '> 1 (faster than numpy)',
          pass: nsOpt < nsNp,
        });
      }
    }
  }

  if (options.tfjs ?? true) {
    ctx.progress(0.6, 'tfjs');
    rows.push(...(await tfjsRows(ctx, tfSize, minSeconds, notes)));
  }
  ctx.progress(1);
  return { rows, notes };
}

async function tfjsRows(ctx: BenchContext, size: number, minSeconds: number, notes: string[]): Promise<BenchRow[]> {
  const { useBestBackend } = await import('@optkit/core/tf');
  const choice = await useBestBackend({ prefer: 'wasm', warmUp: true, warmUpMs: ctx.quick ? 500 : 1500 });
  const tf = choice.tf;
  const { OptkitLion } = await import('../tf/lion.js');
  const { OptkitAdamW } = await import('../tf/adamw.js');
  notes.push(`tfjs backend: ${choice.summary}`);
  const rng = new Rng(ctx.seed + 1);
  const sizes = [0.5, 0.3, 0.15, 0.05].map((f) => Math.round(f * size));
  const vars = sizes.map((s) => tf.variable(tf.tensor1d(rng.fillUniform(new Float32Array(s), -1, 1) as Float32Array)));
  const grads = sizes.map((s) => tf.tensor1d(rng.fillNormal(new Float32Array(s)) as Float32Array));
  const list = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
  const total = sizes.reduce((a, b) => a + b, 0);
  const time = (opt: { applyGradients(g: typeof list): void }) => {
    const step = () => {
      opt.applyGradients(list);
      vars[0].dataSync(); // wasm runs synchronously; this only guards against a lazy backend
    };
    return medianSeconds(step, 5, minSeconds, 3);
  };
  try {
    // Adam is timed before and after the optkit classes and the faster of the two is the reference
    // (the conservative choice for the ratio; the first timing also absorbs any remaining warm-up).
    const timeAdam = () => {
      const adam = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      const t = time(adam as unknown as { applyGradients(g: typeof list): void });
      adam.dispose();
      return t;
    };
    let tAdam = timeAdam();
    const timed: [string, number][] = [];
    for (const [name, opt] of [
      ['OptkitLion', new OptkitLion({ learningRate: 1e-4 })],
      ['OptkitAdamW', new OptkitAdamW({ learningRate: 1e-3, weightDecay: 0.01 })],
    ] as const) {
      timed.push([name, time(opt)]);
      opt.dispose();
    }
    tAdam = Math.min(tAdam, timeAdam());
    const rows: BenchRow[] = [];
    for (const [name, tOpt] of timed) {
      rows.push({
        name: `${name}.applyGradients (${choice.tfBackend}) n=${total} vs tf.train.adam`,
        value: round(tOpt * 1e3),
        unit: 'ms/step',
        higherIsBetter: false,
        reference: { name: 'tf.train.adam, same variables', value: round(tAdam * 1e3) },
        ratio: round(tAdam / tOpt),
        target: "<= 1.2x adam's time (ratio >= 0.833)",
        pass: tOpt <= 1.2 * tAdam,
      });
      ctx.log(`${name}: ${(tOpt * 1e3).toFixed(2)} ms/step, tf.train.adam ${(tAdam * 1e3).toFixed(2)} ms/step`);
    }
    return rows;
  } finally {
    for (const t of [...vars, ...grads]) t.dispose();
  }
}

/** The benchmark with size overrides (tests use tiny sizes). */
export function makeStepBenchmark(options: StepBenchmarkOptions = {}): BenchmarkEntry {
  return {
    id: 'optim.step',
    title: 'Optimizer step time per parameter (Lion, AdamW, LAMB) vs the bandwidth bound, numpy, and tf.train.adam',
    run: (ctx) => run(ctx, options),
  };
}

export const stepBenchmark = makeStepBenchmark();
