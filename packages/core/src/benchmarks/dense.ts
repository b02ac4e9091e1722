/**
 * Core's dense-kernel benchmarks, run by `optkit bench`:
 *
 * - `core.gemm`: f64 matrix product C = A·B at n = 256, 512, 1024 (quick: 128, 256), in GFLOP/s, for
 *   optkit's current kernel set against ml-matrix `mmul` (goal ≥ 5×) and numpy `matmul` on one
 *   OpenBLAS thread and on all cores (tools/reference/matmul.py, same input data). The products are
 *   cross-checked against each other.
 * - `core.blas1`: `dot` and `nrm2` at n = 10⁷ (quick: 10⁶) against the memory-bandwidth bound measured
 *   in the same run, a `Float64Array.prototype.set` copy of as many bytes as the kernel reads (goal:
 *   at most 1.3× the copy time), with numpy's `dot` and `linalg.norm` as extra reference rows
 *   (tools/reference/blas1.py).
 *
 * `ratio` is always optkit speed / reference speed. Where Python or numpy is missing, `ctx.log` says
 * why and optkit is still measured.
 */
import { availableParallelism } from 'node:os';
import { Matrix } from 'ml-matrix';
import { throwIfAborted } from '../errors.js';
import { getKernels, type KernelSet } from '../kernels.js';
import { runReference } from '../reference.js';
import type { BenchContext, BenchResult, BenchRow, BenchmarkEntry } from '../registry.js';
import { Rng } from '../rng.js';
import { dot, nrm2 } from '../vector.js';

/** Size overrides, used by the tests to run both benchmarks in well under a second of work. */
export interface DenseBenchmarkOptions {
  /** gemm orders (default 256, 512, 1024; quick 128, 256). */
  gemmSizes?: number[];
  /** BLAS-1 vector length (default 10⁷; quick 10⁶). */
  blas1Length?: number;
  /** Minimum seconds spent timing each measurement (default 0.5; quick 0.2). */
  minSeconds?: number;
  /** Run the numpy references (default true). */
  reference?: boolean;
}

/** Median seconds of `fn()` over at least `minRuns` calls and `minSeconds`, after `warmup` calls. */
function medianSeconds(fn: () => void, minRuns: number, minSeconds: number, warmup = 1, maxRuns = 1000): number {
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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const round = (v: number, digits = 3) => Number(v.toPrecision(digits));

/**
 * Many calls on small, odd-length inputs before timing. Without them V8 first optimizes a kernel
 * on-stack in the middle of one huge call, then deoptimizes it at the remainder loop (which had no
 * type feedback yet), and the timed calls partly run unoptimized code: 2–6× slower than the steady
 * state a solver sees after its first few iterations.
 */
function warmUpBlas1(): void {
  const a = new Float64Array(1003).fill(0.5);
  const b = new Float64Array(1003).fill(0.25);
  let s = 0;
  for (let i = 0; i < 300; i++) s += dot(a, b) + nrm2(a);
  if (s !== s) throw new Error('unreachable');
}

/** The same for gemm: full and edge tiles, every transpose path the benchmark uses. */
function warmUpGemm(kernels: KernelSet): void {
  for (const n of [37, 64]) {
    const A = new Float64Array(n * n).fill(0.5);
    const C = new Float64Array(n * n);
    for (let i = 0; i < 20; i++) kernels.gemm(false, false, n, n, n, 1, A, n, A, n, 0, C, n);
  }
}

function runGemm(ctx: BenchContext, options: DenseBenchmarkOptions): BenchResult {
  const sizes = options.gemmSizes ?? (ctx.quick ? [128, 256] : [256, 512, 1024]);
  const minSeconds = options.minSeconds ?? (ctx.quick ? 0.2 : 0.5);
  const useReference = options.reference ?? true;
  const allThreads = availableParallelism();
  const kernels = getKernels();
  const rows: BenchRow[] = [];
  const notes: string[] = [`kernel set: ${kernels.name}; numpy threads: 1 and ${allThreads} (OPENBLAS_NUM_THREADS)`];
  const rng = new Rng(ctx.seed);
  warmUpGemm(kernels);
  for (let s = 0; s < sizes.length; s++) {
    throwIfAborted(ctx.signal, 'core.gemm');
    const n = sizes[s];
    ctx.progress(s / sizes.length, `gemm n=${n}`);
    const flops = 2 * n * n * n;
    const A = rng.fillUniform(new Float64Array(n * n), -1, 1) as Float64Array;
    const B = rng.fillUniform(new Float64Array(n * n), -1, 1) as Float64Array;
    const C = new Float64Array(n * n);
    const tOptkit = medianSeconds(() => kernels.gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n), 3, minSeconds, 2);
    const gfOptkit = flops / tOptkit / 1e9;

    // ml-matrix is 5–6× slower: two timed calls are enough at the largest size.
    const mA = Matrix.from1DArray(n, n, A);
    const mB = Matrix.from1DArray(n, n, B);
    let mC = mA.mmul(mB);
    const tMl = medianSeconds(() => {
      mC = mA.mmul(mB);
    }, 2, minSeconds, 0);
    const gfMl = flops / tMl / 1e9;
    let maxDiffMl = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) maxDiffMl = Math.max(maxDiffMl, Math.abs(mC.get(i, j) - C[i * n + j]));
    // Entries are sums of n products of magnitude ≤ 1; reordering changes them by ≲ n·eps.
    const tolerance = 1e-15 * n * 4;
    const agrees = maxDiffMl <= tolerance;
    notes.push(`n=${n}: max |C_optkit − C_ml-matrix| = ${maxDiffMl.toExponential(2)} (tolerance ${tolerance.toExponential(1)})`);
    rows.push({
      name: `gemm f64 n=${n} vs ml-matrix mmul`,
      value: round(gfOptkit),
      unit: 'GFLOP/s',
      higherIsBetter: true,
      reference: { name: 'ml-matrix mmul', value: round(gfMl) },
      ratio: round(gfOptkit / gfMl),
      target: '>= 5x ml-matrix mmul (and products agree)',
      pass: gfOptkit / gfMl >= 5 && agrees,
    });
    ctx.log(`gemm n=${n}: optkit ${gfOptkit.toFixed(2)} GFLOP/s, ml-matrix ${gfMl.toFixed(2)} GFLOP/s`);

    if (!useReference) continue;
    for (const threads of [1, allThreads]) {
      const ref = runReference(
        'matmul.py',
        ['--n', String(n), '--min-seconds', String(minSeconds), ...(threads === 1 ? ['--write-c'] : [])],
        { A, B },
        { env: { OPENBLAS_NUM_THREADS: String(threads) } },
      );
      if (!ref.ok) {
        ctx.log(`gemm n=${n}: numpy reference (${threads} thread${threads > 1 ? 's' : ''}) skipped: ${ref.skipped}`);
        notes.push(`numpy reference skipped: ${ref.skipped}`);
        break;
      }
      const gfNumpy = Number(ref.output.gflops);
      const used = ref.output.threads ?? threads;
      if (threads === 1) {
        const Cn = ref.readOutput('C');
        let d = 0;
        for (let i = 0; i < C.length; i++) d = Math.max(d, Math.abs(Cn[i] - C[i]));
        notes.push(`n=${n}: max |C_optkit − C_numpy| = ${d.toExponential(2)}; numpy ${String(ref.output.numpy)}, ${String(ref.output.blas)}`);
        if (d > tolerance) ctx.log(`gemm n=${n}: optkit and numpy products differ by ${d}`);
      }
      rows.push({
        name: `gemm f64 n=${n} vs numpy matmul, ${String(used)} thread${used === 1 ? '' : 's'}`,
        value: round(gfOptkit),
        unit: 'GFLOP/s',
        higherIsBetter: true,
        reference: { name: `numpy matmul (OpenBLAS, ${String(used)} thread${used === 1 ? '' : 's'})`, value: round(gfNumpy) },
        ratio: round(gfOptkit / gfNumpy, 3),
      });
      ctx.log(`gemm n=${n}: numpy ${String(used)} thread(s) ${gfNumpy.toFixed(2)} GFLOP/s`);
    }
  }
  ctx.progress(1);
  return { rows, notes };
}

function runBlas1(ctx: BenchContext, options: DenseBenchmarkOptions): BenchResult {
  const n = options.blas1Length ?? (ctx.quick ? 1_000_000 : 10_000_000);
  const minSeconds = options.minSeconds ?? (ctx.quick ? 0.2 : 0.5);
  const useReference = options.reference ?? true;
  const rng = new Rng(ctx.seed);
  const x = rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
  const y = rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
  // The bound: copying as many bytes as the kernel reads (dot reads 2n doubles, nrm2 n doubles).
  const src2 = new Float64Array(2 * n).fill(1);
  const dst2 = new Float64Array(2 * n);
  const src1 = src2.subarray(0, n);
  const dst1 = dst2.subarray(0, n);
  let sink = 0;
  const copy2 = () => dst2.set(src2);
  const copy1 = () => dst1.set(src1);
  const runDot = () => {
    sink += dot(x, y);
  };
  const runNrm2 = () => {
    sink += nrm2(x);
  };
  warmUpBlas1();
  // Interleaved rounds so that drifting machine load hits the kernel and its bound alike.
  const times = { copy2: [] as number[], dot: [] as number[], copy1: [] as number[], nrm2: [] as number[] };
  for (const f of [copy2, runDot, copy1, runNrm2]) f();
  const rounds = Math.max(9, Math.min(51, Math.ceil((minSeconds * 1e9) / (n * 8 * 6))));
  for (let r = 0; r < rounds; r++) {
    throwIfAborted(ctx.signal, 'core.blas1');
    times.copy2.push(medianSeconds(copy2, 1, 0, 0));
    times.dot.push(medianSeconds(runDot, 1, 0, 0));
    times.copy1.push(medianSeconds(copy1, 1, 0, 0));
    times.nrm2.push(medianSeconds(runNrm2, 1, 0, 0));
    ctx.progress((r + 1) / (rounds + 1), 'dot / nrm2');
  }
  const tCopy2 = median(times.copy2);
  const tDot = median(times.dot);
  const tCopy1 = median(times.copy1);
  const tNrm2 = median(times.nrm2);
  const ms = (t: number) => round(t * 1000);
  const rows: BenchRow[] = [
    {
      name: `dot n=${n} vs copy bound (${(16 * n) / 1e6} MB read)`,
      value: ms(tDot),
      unit: 'ms',
      higherIsBetter: false,
      reference: { name: 'Float64Array.set copy of the same bytes', value: ms(tCopy2) },
      ratio: round(tCopy2 / tDot),
      target: '<= 1.3x the copy time (ratio >= 0.77)',
      pass: tDot <= 1.3 * tCopy2,
    },
    {
      name: `nrm2 n=${n} vs copy bound (${(8 * n) / 1e6} MB read)`,
      value: ms(tNrm2),
      unit: 'ms',
      higherIsBetter: false,
      reference: { name: 'Float64Array.set copy of the same bytes', value: ms(tCopy1) },
      ratio: round(tCopy1 / tNrm2),
      target: '<= 1.3x the copy time (ratio >= 0.77)',
      pass: tNrm2 <= 1.3 * tCopy1,
    },
  ];
  const notes = [
    `copy bandwidth: ${((16 * n) / tCopy2 / 1e9).toFixed(1)} GB/s read (${((32 * n) / tCopy2 / 1e9).toFixed(1)} GB/s read + write)`,
    `dot reads ${((16 * n) / tDot / 1e9).toFixed(1)} GB/s, nrm2 ${((8 * n) / tNrm2 / 1e9).toFixed(1)} GB/s (checksum ${sink.toPrecision(3)})`,
  ];
  ctx.log(`blas1 n=${n}: dot ${ms(tDot)} ms (copy ${ms(tCopy2)} ms), nrm2 ${ms(tNrm2)} ms (copy ${ms(tCopy1)} ms)`);
  if (useReference) {
    const ref = runReference('blas1.py', ['--min-seconds', String(minSeconds)], { x, y }, { env: { OPENBLAS_NUM_THREADS: '1' } });
    if (!ref.ok) {
      ctx.log(`blas1: numpy reference skipped: ${ref.skipped}`);
      notes.push(`numpy reference skipped: ${ref.skipped}`);
    } else {
      const tnDot = Number(ref.output.dot_seconds);
      const tnNorm = Number(ref.output.norm_seconds);
      const dotDiff = Math.abs(Number(ref.output.dot) - dot(x, y));
      const normDiff = Math.abs(Number(ref.output.norm) - nrm2(x));
      notes.push(`numpy ${String(ref.output.numpy)} (1 thread): |dot − numpy| = ${dotDiff.toExponential(2)}, |nrm2 − numpy norm| = ${normDiff.toExponential(2)}`);
      rows.push(
        {
          name: `dot n=${n} vs numpy dot (1 thread)`,
          value: ms(tDot),
          unit: 'ms',
          higherIsBetter: false,
          reference: { name: 'numpy dot', value: ms(tnDot) },
          ratio: round(tnDot / tDot),
        },
        {
          name: `nrm2 n=${n} vs numpy linalg.norm (1 thread)`,
          value: ms(tNrm2),
          unit: 'ms',
          higherIsBetter: false,
          reference: { name: 'numpy linalg.norm (sqrt(dot(x, x)), not overflow-safe)', value: ms(tnNorm) },
          ratio: round(tnNorm / tNrm2),
        },
      );
    }
  }
  ctx.progress(1);
  return { rows, notes };
}

/** The two dense benchmarks, with optional size overrides (the registered ones use none). */
export function makeDenseBenchmarks(options: DenseBenchmarkOptions = {}): BenchmarkEntry[] {
  return [
    {
      id: 'core.gemm',
      title: 'Dense f64 gemm: optkit vs ml-matrix and numpy (OpenBLAS, 1 and all threads)',
      run: (ctx) => runGemm(ctx, options),
    },
    {
      id: 'core.blas1',
      title: 'BLAS-1 dot and nrm2 vs the memory-bandwidth (copy) bound and numpy',
      run: (ctx) => runBlas1(ctx, options),
    },
  ];
}

export const denseBenchmarks: BenchmarkEntry[] = makeDenseBenchmarks();
