/**
 * Core's sparse benchmark, run by `optkit bench`:
 *
 * - `core.spmv`: y = A·x for the 2D Poisson matrix on a 512×512 grid (262 144 unknowns, 1.31 M
 *   nonzeros; quick: 128×128), against scipy's `A @ x` on the same CSR arrays
 *   (tools/reference/spmv.py, OPENBLAS_NUM_THREADS=1). Rows: optkit's `CsrMatrix.spmv` (goal
 *   ≥ 0.5× scipy; the row name says which storage CsrMatrix picked for itself: DIA on this matrix),
 *   the matrix-free `poisson2dStencil` (goal ≥ 0.8× scipy's CSR product), a plain CSR loop with the
 *   arrays passed as arguments, for context (PERF-BASELINE.md section 3 measured it at 0.27–0.31×
 *   scipy), and, for context, CsrMatrix against scipy's own DIA storage (`A.todia() @ x`), so the
 *   comparison is honest about formats. scipy's nnz and result are checked against optkit's.
 *
 * Timing: median of many calls after warm-up, on each side; optkit's calls are split into three
 * rounds with a reference run between each two (scipy's calls are pooled from both runs), so that a
 * change in machine load affects both sides alike. `ratio` is optkit speed / reference speed. Where
 * Python or scipy is missing, `ctx.log` says why and optkit is still measured.
 */
import { throwIfAborted } from '../errors.js';
import { poisson2d, poisson2dStencil } from '../problems.js';
import { runReference } from '../reference.js';
import type { BenchContext, BenchResult, BenchRow, BenchmarkEntry } from '../registry.js';
import { Rng } from '../rng.js';

/** Size overrides, used by the tests to run the benchmark in well under a second of work. */
export interface SparseBenchmarkOptions {
  /** Grid points per side (default 512; quick 128). */
  grid?: number;
  /** Minimum seconds of timed calls per variant and round (default 0.3; quick 0.1). */
  minSeconds?: number;
  /** Run the scipy reference (default true). */
  reference?: boolean;
}

/** The plain CSR loop of PERF-BASELINE section 3: arrays passed as arguments, no specialisation. */
function plainCsrSpmv(m: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = indptr[i], end = indptr[i + 1]; k < end; k++) s += values[k] * x[indices[k]];
    y[i] = s;
  }
}

/** Appends the seconds of each call of `fn()` to `times` for at least `minRuns` calls and `minSeconds`. */
function sample(fn: () => void, times: number[], minRuns: number, minSeconds: number): void {
  const start = performance.now();
  let runs = 0;
  while (runs < minRuns || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
    runs++;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const round = (v: number, digits = 3) => Number(v.toPrecision(digits));

function runSpmv(ctx: BenchContext, options: SparseBenchmarkOptions): BenchResult {
  const id = 'core.spmv';
  const n = options.grid ?? (ctx.quick ? 128 : 512);
  const minSeconds = options.minSeconds ?? (ctx.quick ? 0.1 : 0.3);
  const useReference = options.reference ?? true;
  ctx.progress(0, `building poisson2d(${n})`);
  const A = poisson2d(n);
  const S = poisson2dStencil(n);
  const N = A.rows;
  const nnz = A.nnz;
  const x = new Rng(ctx.seed).fillUniform(new Float64Array(N), -1, 1) as Float64Array;
  const yCsr = new Float64Array(N);
  const yStencil = new Float64Array(N);
  const yPlain = new Float64Array(N);
  const { indptr, indices, values } = A;

  const variants: { key: 'csr' | 'stencil' | 'plain'; run: () => void }[] = [
    { key: 'csr', run: () => A.spmv(x, yCsr) },
    { key: 'stencil', run: () => S.apply(x, yStencil) },
    { key: 'plain', run: () => plainCsrSpmv(N, indptr, indices, values, x, yPlain) },
  ];
  // Warm-up: enough calls for V8 to finish optimizing each kernel before anything is timed.
  for (const v of variants) for (let i = 0; i < 30; i++) v.run();
  const notes: string[] = [];
  const dStencil = maxAbsDiff(yStencil, yCsr);
  const dPlain = maxAbsDiff(yPlain, yCsr);
  notes.push(`poisson2d(${n}): ${N} unknowns, ${nnz} nonzeros; CsrMatrix kernel ${JSON.stringify(A.kernelInfo())}`);
  notes.push(`max |y_stencil − y_csr| = ${dStencil}, max |y_plain − y_csr| = ${dPlain}`);
  if (dStencil !== 0 || dPlain !== 0) ctx.log(`${id}: optkit variants disagree (stencil ${dStencil}, plain ${dPlain})`);

  const times: Record<'csr' | 'stencil' | 'plain', number[]> = { csr: [], stencil: [], plain: [] };
  // Process CPU time per wall time while timing: below 1.0, other load took the core (PERF-BASELINE).
  let cpuMicros = 0;
  let wallMs = 0;
  const timeRound = () => {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (const v of variants) {
      throwIfAborted(ctx.signal, id);
      sample(v.run, times[v.key], 10, minSeconds / 2);
    }
    const cpu = process.cpuUsage(cpu0);
    cpuMicros += cpu.user + cpu.system;
    wallMs += performance.now() - wall0;
  };
  // optkit rounds alternate with reference runs (O R O R O), so that a change in machine load
  // (this box's L3 and memory bandwidth are shared) falls on both sides alike.
  const referenceRuns = useReference ? 2 : 0;
  const refTimes: number[] = [];
  const refDiaTimes: number[] = [];
  let refOk = true;
  let referenceSkipped = false;
  const referenceRun = (run: number) => {
    const ref = runReference(
      'spmv.py',
      ['--rows', String(N), '--cols', String(N), '--min-seconds', String(minSeconds / 2), '--dia'],
      { indptr, indices, values, x },
      { env: { OPENBLAS_NUM_THREADS: '1' } },
    );
    if (!ref.ok) {
      ctx.log(`${id}: scipy reference skipped: ${ref.skipped}`);
      notes.push(`scipy reference skipped: ${ref.skipped}`);
      referenceSkipped = true;
      return;
    }
    for (const t of ref.output.timesMs as number[]) refTimes.push(t);
    const dia = ref.output.dia as { timesMs: number[]; diagonals: number; maxAbsDiff: number } | undefined;
    if (dia !== undefined) {
      for (const t of dia.timesMs) refDiaTimes.push(t);
      notes.push(`scipy dia_matrix, run ${run + 1}: A.todia() has ${dia.diagonals} diagonals, max |y_dia − y_csr| = ${dia.maxAbsDiff} (scipy sums by diagonal)`);
    }
    const refNnz = Number(ref.output.nnz);
    const yRef = ref.readOutput('y');
    const dRef = maxAbsDiff(yRef, yCsr);
    const agree = refNnz === nnz && yRef.length === N && dRef <= 1e-12;
    refOk &&= agree;
    notes.push(
      `scipy run ${run + 1}: scipy ${String(ref.output.scipy)} (numpy ${String(ref.output.numpy)}), nnz ${refNnz} (optkit ${nnz}), ` +
        `canonical ${String(ref.output.canonical)}, max |y_scipy − y_optkit| = ${dRef}, median ${Number(ref.output.ms).toFixed(3)} ms, ` +
        `CPU/wall while timing ${Number(ref.output.cpuPerWall).toFixed(2)}`,
    );
    if (!agree) ctx.log(`${id}: scipy and optkit disagree (nnz ${refNnz} vs ${nnz}, max diff ${dRef})`);
  };
  const steps = 2 * referenceRuns + 1;
  for (let step = 0; step < steps; step++) {
    ctx.progress(0.05 + (0.95 * step) / steps, step % 2 === 0 ? 'timing optkit' : 'scipy reference');
    if (step % 2 === 0) timeRound();
    else if (!referenceSkipped) referenceRun(step >> 1);
  }
  ctx.progress(1);
  const refMs = refTimes.length > 0 ? median(refTimes) : undefined;

  const ms = {
    csr: median(times.csr) * 1e3,
    stencil: median(times.stencil) * 1e3,
    plain: median(times.plain) * 1e3,
  };
  notes.push(`optkit CPU/wall while timing ${(cpuMicros / 1000 / wallMs).toFixed(2)} (below 1: other load inflated the medians)`);
  const nsPerNnz = (t: number) => ((t * 1e6) / nnz).toFixed(2);
  notes.push(
    `ns per nonzero: CsrMatrix ${nsPerNnz(ms.csr)}, stencil ${nsPerNnz(ms.stencil)}, plain loop ${nsPerNnz(ms.plain)}` +
      (refMs !== undefined ? `, scipy ${nsPerNnz(refMs)}` : ''),
  );
  ctx.log(`${id}: CsrMatrix ${ms.csr.toFixed(3)} ms, stencil ${ms.stencil.toFixed(3)} ms, plain ${ms.plain.toFixed(3)} ms` + (refMs !== undefined ? `, scipy ${refMs.toFixed(3)} ms` : ''));

  const rows: BenchRow[] = [];
  const row = (key: 'csr' | 'stencil' | 'plain', name: string, goal?: number): BenchRow => {
    const r: BenchRow = { name, value: round(ms[key]), unit: 'ms', higherIsBetter: false };
    if (refMs !== undefined) {
      const ratio = refMs / ms[key];
      r.reference = { name: 'scipy csr A @ x (1 thread)', value: round(refMs) };
      r.ratio = round(ratio);
      if (goal !== undefined) {
        r.target = `>= ${goal}x scipy (and results agree)`;
        r.pass = ratio >= goal && refOk;
      }
    }
    return r;
  };
  const grid = `poisson2d ${n}x${n}`;
  const storage = A.kernelInfo().format.toUpperCase();
  rows.push(row('csr', `spmv CsrMatrix (auto ${storage}) ${grid}`, 0.5));
  rows.push(row('stencil', `spmv matrix-free stencil ${grid}`, 0.8));
  rows.push(row('plain', `spmv plain CSR loop ${grid} (context)`));
  if (refDiaTimes.length > 0) {
    const diaMs = median(refDiaTimes);
    rows.push({
      name: `spmv CsrMatrix (auto ${storage}) ${grid} vs scipy dia_matrix (context)`,
      value: round(ms.csr),
      unit: 'ms',
      higherIsBetter: false,
      reference: { name: 'scipy A.todia() @ x (1 thread)', value: round(diaMs) },
      ratio: round(diaMs / ms.csr),
    });
  }
  return { rows, notes };
}

/** The sparse benchmarks with size overrides (tests use tiny sizes). */
export function makeSparseBenchmarks(options: SparseBenchmarkOptions = {}): BenchmarkEntry[] {
  return [
    {
      id: 'core.spmv',
      title: 'CSR SpMV and a matrix-free stencil on the 2D Poisson matrix vs scipy',
      run: (ctx) => runSpmv(ctx, options),
    },
  ];
}

export const sparseBenchmarks: BenchmarkEntry[] = makeSparseBenchmarks();
