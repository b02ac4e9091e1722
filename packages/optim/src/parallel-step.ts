/**
 * {@link ParallelOptimizer}: Lion, AdamW or LAMB steps split over `node:worker_threads` on shared
 * memory. The optimizer owns the parameters, the gradients and the optimizer state as typed-array
 * views on SharedArrayBuffers (one flat buffer per role, one view per tensor); the caller writes
 * gradients into {@link ParallelOptimizer.grads} in place and calls the synchronous
 * {@link ParallelOptimizer.step}. N workers each own a contiguous slice of the flat buffers (cut at
 * multiples of 16 elements, so no two threads write the same cache line) and run the single-thread
 * kernels on it: `lionStep`, `adamwStep` (so the results are those kernels' bit for bit, since the
 * arithmetic is elementwise), and LAMB's two passes of `lambStep`. For LAMB each worker leaves per
 * tensor partial sums Σu² and Σθ² in a shared Float64Array; the main thread adds them in worker order,
 * computes the trust ratios with the card's rules (lamb-trust.ts), and starts pass 2. The sums are
 * added in a different order than one thread adds them, so LAMB differs from `lambStep` by rounding
 * (bit-identical with threads = 1; tested within a stated tolerance otherwise).
 *
 * Why: one thread reaches about 2× the memory-bandwidth bound on these steps (the sqrt and divide of
 * Adam keep one core busy), and a second thread both adds compute and reaches more bandwidth
 * (PERF-BASELINE.md §5: triad 12–13 GB/s on one thread, 18–22 GB/s on two). Synchronisation is by
 * Atomics.wait/notify on a control Int32Array (parallel-protocol.ts): no message per step, a few tens
 * of microseconds of wake-up per phase, which is why this pays only for large models (≳ 10⁵–10⁶
 * parameters). The main thread blocks in Atomics.wait during a step (allowed in Node's main thread).
 *
 * SIMD: for float32 Lion, AdamW and LAMB, where core's `simdAvailable()` holds (WebAssembly SIMD
 * present, OPTKIT_NO_SIMD unset), θ, g, m, v (and LAMB's u) live in one shared WebAssembly.Memory and
 * the workers run the f64x2 kernels of parallel-simd.ts on it (the JS kernel only on the last n mod 4
 * elements of each segment). Those kernels do the JS kernels' double arithmetic operation for
 * operation with the same float32 rounding points, so the results stay `lionStep`'s / `adamwStep`'s
 * bit for bit, and LAMB's (sums of squares included, added in index order per segment) those of the
 * JS passes: the same as with OPTKIT_NO_SIMD=1 to the bit (tested).
 * Measured 2026-11-29 (float32, n = 10⁷, 2 threads, SIMD and OPTKIT_NO_SIMD=1 interleaved in one
 * process, median of 15, load average ≈ 1.3): Lion 1.5–1.9 → 0.62–0.73 ns/param, AdamW (λ = 0.01)
 * 2.6–2.7 → 1.20–1.26 ns/param; LAMB (λ = 0.01, same method, median of 15, 4 runs, load average
 * 0.9–1.8) 4.5–5.0 → 2.3–2.7 ns/param.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  OptkitError,
  checkOption,
  checkScalarOrSchedule,
  resolve,
  simdAvailable,
  type ParamArray,
  type Params,
  type ScalarOrSchedule,
  type WeightDecayMask,
} from '@optkit/core';
import { checkClamp } from './lamb-trust.js';
import { lambRatioFromSums } from './lamb-step.js';
import { COMMAND, CONTROL, ERROR_BYTES, HYPER, type ParallelKind, type ParallelWorkerData, type Segment } from './parallel-protocol.js';
import { createStepMemory, type SharedWasmMemory } from './parallel-simd.js';

export type { ParallelKind } from './parallel-protocol.js';

const BETA = { min: 0, max: 1, maxExclusive: true };
/** Slices and tensors start at multiples of this many elements (64 B of float32). */
const ALIGN = 16;
/** Most threads accepted. */
const MAX_THREADS = 256;

interface ParallelCommonOptions {
  /**
   * The initial parameters by name, all Float32Array or all Float64Array (non-empty); they are
   * copied into shared memory (later writes to these arrays do not reach the optimizer: use
   * {@link ParallelOptimizer.params}).
   */
  params: Params;
  /** Worker threads, an integer in [1, 256] (default 2). */
  threads?: number;
  /** Learning rate ≥ 0 or a schedule of the 0-based step count (the kind's default as below). */
  lr?: ScalarOrSchedule;
  /** Decoupled weight decay λ ≥ 0 (default: the kind's). */
  weightDecay?: number;
  /** Longest wait for the workers in one phase of a step, in ms (default 60 000); TIMEOUT past it. */
  timeoutMs?: number;
}

/** Lion (as `lionStep`): defaults lr 1e-4, beta1 0.9, beta2 0.99, weightDecay 0, every tensor decayed. */
export interface ParallelLionOptions extends ParallelCommonOptions {
  kind: 'lion';
  beta1?: number;
  beta2?: number;
  /** Which tensors are decayed: true for the names to decay (default: all). */
  mask?: WeightDecayMask;
}

/** AdamW (as `adamwStep`): defaults lr 1e-3, b1 0.9, b2 0.999, eps 1e-8, weightDecay 1e-2, all decayed. */
export interface ParallelAdamWOptions extends ParallelCommonOptions {
  kind: 'adamw';
  b1?: number;
  b2?: number;
  eps?: number;
  /** Which tensors are decayed: true for the names to decay (default: all). */
  mask?: WeightDecayMask;
}

/**
 * LAMB (as `lambStep` per tensor): defaults lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-6,
 * weightDecay 0, biasCorrection true, layerAdaptation true, no clamp, no exclusions (the `lamb`
 * transform's).
 */
export interface ParallelLambOptions extends ParallelCommonOptions {
  kind: 'lamb';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  biasCorrection?: boolean;
  layerAdaptation?: boolean;
  clampWeightNorm?: readonly [number, number];
  /** Names excluded from weight decay (default none). */
  excludeFromWeightDecay?: (name: string) => boolean;
  /** Names excluded from layer adaptation, ρ = 1 (default: excludeFromWeightDecay). */
  excludeFromLayerAdaptation?: (name: string) => boolean;
}

export type ParallelOptimizerOptions = ParallelLionOptions | ParallelAdamWOptions | ParallelLambOptions;

interface Resolved {
  kind: ParallelKind;
  threads: number;
  lr: ScalarOrSchedule;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decayed: boolean[];
  adapted: boolean[];
  biasCorrection: boolean;
  clamp: readonly [number, number] | undefined;
  timeoutMs: number;
}

const FN = 'createParallelOptimizer';

function checkFilter(f: unknown, name: string): ((n: string) => boolean) | undefined {
  if (f !== undefined && typeof f !== 'function') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option ${name} must be a function (name) => boolean`, name);
  }
  return f as ((n: string) => boolean) | undefined;
}

function resolveOptions(o: ParallelOptimizerOptions, names: string[]): Resolved {
  if (o === null || typeof o !== 'object') throw new OptkitError('INVALID_OPTION', `${FN}: options must be an object`, 'options');
  const kind = o.kind;
  if (kind !== 'lion' && kind !== 'adamw' && kind !== 'lamb') {
    throw new OptkitError('INVALID_OPTION', `${FN}: option kind must be 'lion', 'adamw' or 'lamb' (got ${JSON.stringify(kind)})`, 'kind');
  }
  const threads = checkOption(o.threads ?? 2, 'threads', { min: 1, max: MAX_THREADS, integer: true }, FN);
  const timeoutMs = checkOption(o.timeoutMs ?? 60_000, 'timeoutMs', { min: 0, minExclusive: true }, FN);
  const defaults = kind === 'lion' ? { lr: 1e-4, wd: 0 } : kind === 'adamw' ? { lr: 1e-3, wd: 1e-2 } : { lr: 1e-3, wd: 0 };
  const lr = checkScalarOrSchedule(o.lr ?? defaults.lr, 'lr', { min: 0 }, FN);
  const weightDecay = checkOption(o.weightDecay ?? defaults.wd, 'weightDecay', { min: 0 }, FN);
  let beta1: number;
  let beta2: number;
  let eps = 0;
  let decayMask: ((n: string) => boolean) | undefined;
  let adaptExclude: ((n: string) => boolean) | undefined;
  let biasCorrection = true;
  let layerAdaptation = true;
  let clamp: readonly [number, number] | undefined;
  if (o.kind === 'lion') {
    beta1 = checkOption(o.beta1 ?? 0.9, 'beta1', BETA, FN);
    beta2 = checkOption(o.beta2 ?? 0.99, 'beta2', BETA, FN);
    decayMask = checkFilter(o.mask, 'mask');
  } else if (o.kind === 'adamw') {
    beta1 = checkOption(o.b1 ?? 0.9, 'b1', BETA, FN);
    beta2 = checkOption(o.b2 ?? 0.999, 'b2', BETA, FN);
    eps = checkOption(o.eps ?? 1e-8, 'eps', { min: 0 }, FN);
    decayMask = checkFilter(o.mask, 'mask');
  } else {
    beta1 = checkOption(o.beta1 ?? 0.9, 'beta1', BETA, FN);
    beta2 = checkOption(o.beta2 ?? 0.999, 'beta2', BETA, FN);
    eps = checkOption(o.epsilon ?? 1e-6, 'epsilon', { min: 0 }, FN);
    const wdExclude = checkFilter(o.excludeFromWeightDecay, 'excludeFromWeightDecay');
    decayMask = wdExclude === undefined ? undefined : (n) => wdExclude(n) !== true;
    adaptExclude = checkFilter(o.excludeFromLayerAdaptation, 'excludeFromLayerAdaptation') ?? wdExclude;
    biasCorrection = o.biasCorrection !== false;
    layerAdaptation = o.layerAdaptation !== false;
    clamp = checkClamp(o.clampWeightNorm, FN);
  }
  return {
    kind,
    threads,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    decayed: names.map((n) => (decayMask ? decayMask(n) === true : true)),
    adapted: names.map((n) => layerAdaptation && (adaptExclude ? adaptExclude(n) !== true : true)),
    biasCorrection,
    clamp,
    timeoutMs,
  };
}

/**
 * How to start a worker: the built `.js` module beside this one, or, when this module runs from its
 * TypeScript sources (tests, `node --import tsx`), a small evaluated bootstrap that registers tsx's
 * ESM hooks in the new thread and then imports the `.ts` worker module. Node 20 does not apply
 * `--import` loader hooks given in a worker's execArgv to the worker's entry (measured: "Unknown
 * file extension .ts"), hence the bootstrap; tsx is a development dependency of the repository,
 * resolved from here only in that case.
 */
function workerStart(): { entry: string | URL; eval: boolean; execArgv?: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = new URL(`./parallel-step-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return { entry: file, eval: false };
  const require = createRequire(import.meta.url);
  const tsxPackage = require.resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  const api = new URL(exported.import.default, pathToFileURL(tsxPackage)).href;
  const code = `(async () => {
  const { register } = await import(${JSON.stringify(api)});
  register();
  await import(${JSON.stringify(file.href)});
})().catch((err) => { throw err; });`;
  return { entry: code, eval: true, execArgv: ['--conditions=@optkit/source'] };
}

/** Splits [0, total) into `threads` slices at multiples of ALIGN and cuts them at tensor bounds. */
function segmentsFor(offsets: number[], lengths: number[], total: number, threads: number): Segment[][] {
  const chunk = Math.ceil(total / threads / ALIGN) * ALIGN;
  const out: Segment[][] = [];
  for (let w = 0; w < threads; w++) {
    const lo = Math.min(total, w * chunk);
    const hi = Math.min(total, (w + 1) * chunk);
    const segs: Segment[] = [];
    for (let t = 0; t < offsets.length; t++) {
      const start = Math.max(lo, offsets[t]);
      const end = Math.min(hi, offsets[t] + lengths[t]);
      if (start < end) segs.push({ tensor: t, start, end });
    }
    out.push(segs);
  }
  return out;
}

/**
 * Lion, AdamW or LAMB steps on N worker threads over shared memory; create with
 * {@link createParallelOptimizer}. Per step, every tensor gets exactly the single-thread kernel's
 * update: `lionStep(θ, g, m, {lr_t, beta1, beta2, λ or 0})`, `adamwStep(θ, g, m, v, {..., step: t})`,
 * or `lambStep(θ, g, m, v, u, {...})` (LAMB up to the order of the norm sums), with lr_t the schedule
 * at the 0-based count t − 1 and λ = 0 for tensors outside the decay mask.
 *
 * Gradients are not checked, as in lionStep / adamwStep: a NaN gradient element makes its
 * parameter NaN (and, for LAMB, ρ = 1 for its tensor). Check `grads` first where that matters.
 */
export class ParallelOptimizer {
  /** The parameters: views on shared memory, updated in place by {@link step}. */
  readonly params: Params;
  /** The gradients: write the step's gradient here (in place) before calling {@link step}. */
  readonly grads: Params;
  /** Optimizer state views: m (all kinds), v (AdamW, LAMB), u (LAMB: the last update direction). */
  readonly state: { m: Params; v?: Params; u?: Params };
  readonly kind: ParallelKind;
  readonly threads: number;
  readonly dtype: 'float32' | 'float64';
  /** True when the workers run the WebAssembly SIMD kernels (float32 Lion / AdamW / LAMB; see the file comment). */
  readonly simd: boolean;
  /** Number of completed steps. */
  stepCount = 0;
  private readonly names: string[];
  private readonly o: Resolved;
  private readonly workers: Worker[];
  private readonly control: Int32Array;
  private readonly hyper: Float64Array;
  private readonly partials: Float64Array;
  private readonly ratios: Float64Array;
  private readonly errorText: Uint8Array;
  private readonly segments: Segment[][];
  /** Per-tensor totals of the partial sums (LAMB), preallocated. */
  private readonly sumScratch: Float64Array;
  private disposed = false;

  /** @internal Use {@link createParallelOptimizer}. */
  constructor(
    o: Resolved,
    names: string[],
    views: { params: Params; grads: Params; m: Params; v?: Params; u?: Params },
    shared: { control: Int32Array; hyper: Float64Array; partials: Float64Array; ratios: Float64Array; errorText: Uint8Array },
    segments: Segment[][],
    workers: Worker[],
    simd = false,
  ) {
    this.simd = simd;
    this.o = o;
    this.kind = o.kind;
    this.threads = o.threads;
    this.names = names;
    this.params = views.params;
    this.grads = views.grads;
    this.state = { m: views.m, ...(views.v ? { v: views.v } : {}), ...(views.u ? { u: views.u } : {}) };
    this.dtype = views.params[names[0]] instanceof Float32Array ? 'float32' : 'float64';
    this.control = shared.control;
    this.hyper = shared.hyper;
    this.partials = shared.partials;
    this.ratios = shared.ratios;
    this.errorText = shared.errorText;
    this.segments = segments;
    this.workers = workers;
    this.sumScratch = new Float64Array(2 * names.length);
  }

  /** Whether {@link dispose} has run (or a failed step disposed the workers). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** LAMB: the trust ratio ρ per tensor applied by the last step (1 before the first; others: all 1). */
  lastTrustRatios(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, t) => (out[n] = this.kind === 'lamb' && this.stepCount > 0 ? this.ratios[t] : 1));
    return out;
  }

  /**
   * One optimizer step on every tensor, from the gradients in {@link grads}; returns when all
   * workers are done. Throws UNAVAILABLE after {@link dispose}, INVALID_OPTION when the lr
   * schedule gives a negative or non-finite value (nothing is changed then), TIMEOUT when the
   * workers do not finish within `timeoutMs`, REMOTE_ERROR when a worker's kernel threw (the last
   * two dispose the optimizer: its state is then partly stepped).
   */
  step(): void {
    if (this.disposed) throw new OptkitError('UNAVAILABLE', 'ParallelOptimizer.step: the optimizer is disposed', 'optimizer');
    const o = this.o;
    const t = this.stepCount;
    const lr = checkOption(resolve(o.lr, t, 'lr'), 'lr', { min: 0 }, 'ParallelOptimizer.step');
    const h = this.hyper;
    h[HYPER.lr] = lr;
    h[HYPER.beta1] = o.beta1;
    h[HYPER.beta2] = o.beta2;
    h[HYPER.eps] = o.eps;
    h[HYPER.weightDecay] = o.weightDecay;
    h[HYPER.step] = t + 1;
    this.runCommand(COMMAND.step);
    if (this.kind === 'lamb') {
      this.computeTrustRatios();
      this.runCommand(COMMAND.apply);
    }
    this.stepCount = t + 1;
  }

  /** Per tensor: the partial sums added in worker order, then ρ by the card's rules. */
  private computeTrustRatios(): void {
    const T = this.names.length;
    const uu = this.sumScratch.subarray(0, T).fill(0);
    const ww = this.sumScratch.subarray(T, 2 * T).fill(0);
    for (let w = 0; w < this.threads; w++) {
      for (const s of this.segments[w]) {
        uu[s.tensor] += this.partials[(w * T + s.tensor) * 2];
        ww[s.tensor] += this.partials[(w * T + s.tensor) * 2 + 1];
      }
    }
    for (let t = 0; t < T; t++) {
      const name = this.names[t];
      this.ratios[t] = lambRatioFromSums(uu[t], ww[t], this.state.u![name], this.params[name], this.o.adapted[t], this.o.clamp);
    }
  }

  private runCommand(cmd: number): void {
    const c = this.control;
    Atomics.store(c, CONTROL.pending, this.threads);
    Atomics.store(c, CONTROL.cmd, cmd);
    Atomics.add(c, CONTROL.gen, 1);
    Atomics.notify(c, CONTROL.gen);
    const deadline = performance.now() + this.o.timeoutMs;
    for (;;) {
      const pending = Atomics.load(c, CONTROL.pending);
      if (pending === 0) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.dispose();
        throw new OptkitError('TIMEOUT', `ParallelOptimizer.step: ${pending} of ${this.threads} workers did not finish within ${this.o.timeoutMs} ms; the optimizer is disposed`, 'timeoutMs');
      }
      Atomics.wait(c, CONTROL.pending, pending, left);
    }
    const failed = Atomics.load(c, CONTROL.error);
    if (failed !== 0) {
      const end = this.errorText.indexOf(0);
      const message = new TextDecoder().decode(this.errorText.subarray(0, end < 0 ? ERROR_BYTES : end));
      this.dispose();
      throw new OptkitError('REMOTE_ERROR', `ParallelOptimizer.step: worker ${failed - 1} failed: ${message}; the optimizer is disposed`, 'optimizer');
    }
  }

  /**
   * Stops the workers (they leave their loop; then they are terminated). Idempotent. The views in
   * {@link params}, {@link grads} and {@link state} stay readable.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const c = this.control;
    Atomics.store(c, CONTROL.cmd, COMMAND.exit);
    Atomics.add(c, CONTROL.gen, 1);
    Atomics.notify(c, CONTROL.gen);
    for (const w of this.workers) void w.terminate().catch(() => {});
  }
}

/**
 * Creates a {@link ParallelOptimizer} with `threads` workers (default 2) for `kind` 'lion', 'adamw'
 * or 'lamb', copying `params` into shared memory; resolves once every worker has loaded its kernels.
 * Options and their defaults: {@link ParallelLionOptions}, {@link ParallelAdamWOptions},
 * {@link ParallelLambOptions}. Bad options (including a thread count that is not an integer in
 * [1, 256]) give INVALID_OPTION naming the option; params that are empty, of mixed dtypes or not
 * Float32Array/Float64Array give INVALID_ARGUMENT or EMPTY_INPUT. Call `dispose()` when done (the
 * workers do not keep the process alive, but they hold their memory until disposed).
 *
 * ```ts
 * const opt = await createParallelOptimizer({ kind: 'adamw', params: { w: new Float32Array(1e7) }, threads: 2, lr: 1e-3 });
 * opt.grads.w.set(gradient);   // in place
 * opt.step();                  // synchronous
 * opt.dispose();
 * ```
 */
export async function createParallelOptimizer(options: ParallelOptimizerOptions): Promise<ParallelOptimizer> {
  const params = (options as { params?: Params } | null)?.params;
  if (params === null || typeof params !== 'object') {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: params must be an object of Float32Array or Float64Array tensors`, 'params');
  }
  const names = Object.keys(params);
  if (names.length === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: params has no tensors`, 'params');
  const first = params[names[0]];
  if (!(first instanceof Float32Array || first instanceof Float64Array)) {
    throw new OptkitError('INVALID_ARGUMENT', `${FN}: params.${names[0]} must be a Float32Array or Float64Array`, `params.${names[0]}`);
  }
  for (const n of names) {
    const a = params[n];
    if (!(a instanceof Float32Array || a instanceof Float64Array) || a.constructor !== first.constructor) {
      throw new OptkitError('INVALID_ARGUMENT', `${FN}: params.${n} must be a ${first.constructor.name} like params.${names[0]} (one dtype for all tensors)`, `params.${n}`);
    }
  }
  const o = resolveOptions(options, names);
  const f32 = first instanceof Float32Array;
  const bytes = f32 ? 4 : 8;
  const offsets: number[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (const n of names) {
    offsets.push(total);
    lengths.push(params[n].length);
    total += Math.ceil(params[n].length / ALIGN) * ALIGN;
  }
  if (total === 0) throw new OptkitError('EMPTY_INPUT', `${FN}: every tensor in params is empty`, 'params');
  // SIMD kernels (float32): θ, g, m (and v, and LAMB's u) as consecutive regions of one shared
  // WebAssembly.Memory; otherwise one SharedArrayBuffer per role.
  const roles = o.kind === 'lion' ? 3 : o.kind === 'adamw' ? 4 : 5;
  const memory: SharedWasmMemory | null = f32 && simdAvailable() ? createStepMemory(roles * total * 4) : null;
  const buffer = () => new SharedArrayBuffer(total * bytes);
  const viewsOf = (sab: SharedArrayBuffer, base: number): Params => {
    const out: Params = {};
    names.forEach(
      (n, t) => (out[n] = f32 ? new Float32Array(sab, (base + offsets[t]) * 4, lengths[t]) : new Float64Array(sab, (base + offsets[t]) * 8, lengths[t])),
    );
    return out;
  };
  const bases = memory === null ? { theta: 0, grad: 0, m: 0, v: 0, u: 0 } : { theta: 0, grad: total, m: 2 * total, v: 3 * total, u: 4 * total };
  const thetaSab = memory?.buffer ?? buffer();
  const gradSab = memory?.buffer ?? buffer();
  const mSab = memory?.buffer ?? buffer();
  const vSab = o.kind === 'lion' ? null : (memory?.buffer ?? buffer());
  const uSab = o.kind === 'lamb' ? (memory?.buffer ?? buffer()) : null;
  const views = {
    params: viewsOf(thetaSab, bases.theta),
    grads: viewsOf(gradSab, bases.grad),
    m: viewsOf(mSab, bases.m),
    ...(vSab ? { v: viewsOf(vSab, bases.v) } : {}),
    ...(uSab ? { u: viewsOf(uSab, bases.u) } : {}),
  };
  for (const n of names) (views.params[n] as ParamArray).set(params[n]);
  const T = names.length;
  const sab = {
    control: new SharedArrayBuffer(CONTROL.length * 4),
    hyper: new SharedArrayBuffer(HYPER.length * 8),
    partials: new SharedArrayBuffer(Math.max(1, o.threads * T * 2) * 8),
    ratios: new SharedArrayBuffer(T * 8),
    errorText: new SharedArrayBuffer(ERROR_BYTES),
  };
  const segments = segmentsFor(offsets, lengths, total, o.threads);
  const start = workerStart();
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < o.threads; w++) {
    const data: ParallelWorkerData = {
      kind: o.kind,
      f32,
      index: w,
      tensors: T,
      control: sab.control,
      hyper: sab.hyper,
      partials: sab.partials,
      ratios: sab.ratios,
      errorText: sab.errorText,
      theta: thetaSab,
      grad: gradSab,
      m: mSab,
      v: vSab,
      u: uSab,
      bases,
      memory,
      segments: segments[w],
      decayed: o.decayed,
      biasCorrection: o.biasCorrection,
    };
    const worker = new Worker(start.entry, { workerData: data, eval: start.eval, ...(start.execArgv ? { execArgv: start.execArgv } : {}) });
    workers.push(worker);
    ready.push(
      new Promise<void>((res, rej) => {
        const fail = (err: unknown) =>
          rej(new OptkitError('UNAVAILABLE', `${FN}: worker ${w} failed to start: ${err instanceof Error ? err.message : String(err)}`, 'threads', { cause: err }));
        worker.once('message', () => res());
        worker.once('error', fail);
        worker.once('exit', (code) => fail(new Error(`exited with code ${code}`)));
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (err) {
    for (const w of workers) void w.terminate().catch(() => {});
    throw err;
  }
  for (const w of workers) {
    w.removeAllListeners('exit');
    w.removeAllListeners('error');
    w.on('error', () => {}); // a failure after start surfaces through the control array or the timeout
    w.unref();
  }
  const control = new Int32Array(sab.control);
  return new ParallelOptimizer(
    o,
    names,
    views,
    {
      control,
      hyper: new Float64Array(sab.hyper),
      partials: new Float64Array(sab.partials),
      ratios: new Float64Array(sab.ratios),
      errorText: new Uint8Array(sab.errorText),
    },
    segments,
    workers,
    memory !== null,
  );
}
