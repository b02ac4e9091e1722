/**
 * `linalg.recycling`: a seeded Darcy sequence (skr.md §4; full: N = 20 systems on a 34×34 grid,
 * n = 1024; quick: N = 6 on 18×18, n = 256), rtol 1e-8, x₀ = 0, solved by optkit's `solveSequence`
 * with GMRES(40) (independent), GCRO-DR(40, 20) without recycling, GCRO-DR recycling in input order and
 * SKR (sorted), against scipy.sparse.linalg in the same run (tools/reference/recycling.py, one OpenBLAS
 * thread): `gmres(restart=40)` per system, and `gcrotmk(m=20, k=20)` — GCROT(m, k), scipy's only
 * recycling Krylov solver — without recycling, recycling its `CU` list (discard_C=True, since A
 * changes) in input order, and in SKR's order. The systems go to Python as CSR arrays, one per system.
 *
 * Rows: total seconds over the sequence (optkit vs the scipy counterpart; ratio = scipy time / optkit
 * time, > 1 means optkit is faster) and total matrix-vector products (ratio = scipy's / optkit's).
 * Issue 4 sets no speed target for this benchmark; the rows report, they do not gate. Timing: median of
 * `repeats` runs of the whole sequence after a warm-up run (quick: 1 run).
 */
import { runReference, throwIfAborted, type BenchContext, type BenchResult, type BenchRow, type BenchmarkEntry } from '@optkit/core';
import type { SequenceMethod, SequenceResult } from '../skr.js';

export interface RecyclingBenchmarkOptions {
  /** Systems in the sequence (default 20; quick 6). */
  count?: number;
  /** Grid points per side (default 34 → n = 1024; quick 18 → n = 256). */
  gridSize?: number;
  /** Timed runs of the whole sequence per method (default 3; quick 1). */
  repeats?: number;
  /** Run the scipy reference (default true). */
  reference?: boolean;
}

const PAIRS: { method: SequenceMethod; label: string; ref: string; refLabel: string }[] = [
  { method: 'gmres', label: 'GMRES(40) independent', ref: 'gmres', refLabel: 'scipy gmres(restart=40)' },
  { method: 'gcrodr-norecycle', label: 'GCRO-DR(40,20) no recycling', ref: 'gcrotmk', refLabel: 'scipy gcrotmk(m=20,k=20) no CU' },
  { method: 'gcrodr', label: 'GCRO-DR(40,20) recycling, input order', ref: 'gcrotmk-recycle', refLabel: 'scipy gcrotmk CU recycling, input order' },
  { method: 'skr', label: 'SKR (sorted, recycling)', ref: 'gcrotmk-sorted', refLabel: 'scipy gcrotmk CU recycling, SKR order' },
];

const round = (v: number, digits = 3) => Number(v.toPrecision(digits));

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

interface RefMethod {
  seconds: number;
  iterations: number;
  matvecs: number;
  maxRelRes: number;
  converged: number;
}

async function runRecycling(ctx: BenchContext, options: RecyclingBenchmarkOptions): Promise<BenchResult> {
  const id = 'linalg.recycling';
  const count = options.count ?? (ctx.quick ? 6 : 20);
  const s = options.gridSize ?? (ctx.quick ? 18 : 34);
  const repeats = options.repeats ?? (ctx.quick ? 1 : 3);
  const rtol = 1e-8;
  // Loaded here so that listing the plugin's benchmarks stays cheap.
  const { darcySequence } = await import('../pde-sequence.js');
  const { solveSequence } = await import('../skr.js');
  const systems = darcySequence({ count, gridSize: s, seed: ctx.seed });
  const n = systems[0].A.rows;
  const notes: string[] = [`Darcy sequence: N = ${count}, n = ${n} (grid ${s}×${s}), rtol ${rtol}, x0 = 0, no preconditioner, seed ${ctx.seed}`];

  // optkit: a warm-up run of every method, then `repeats` timed runs.
  ctx.progress(0, 'optkit warm-up');
  const ours = {} as Record<SequenceMethod, SequenceResult>;
  const times = {} as Record<SequenceMethod, number[]>;
  for (const { method } of PAIRS) {
    ours[method] = solveSequence(systems, { method, m: 40, k: 20, rtol, keepSolutions: false });
    times[method] = [];
  }
  for (let rep = 0; rep < repeats; rep++) {
    for (const { method } of PAIRS) {
      throwIfAborted(ctx.signal, id);
      const t0 = performance.now();
      solveSequence(systems, { method, m: 40, k: 20, rtol, keepSolutions: false });
      times[method].push((performance.now() - t0) / 1000);
    }
    ctx.progress((0.5 * (rep + 1)) / repeats, 'optkit timed runs');
  }

  // scipy, on the same CSR arrays.
  let ref: Record<string, RefMethod> | undefined;
  if (options.reference ?? true) {
    ctx.progress(0.5, 'scipy reference');
    const nnz = Int32Array.from(systems.map((x) => x.A.nnz));
    const total = nnz.reduce((a, v) => a + v, 0);
    const indptr = new Int32Array(count * (n + 1));
    const indices = new Int32Array(total);
    const values = new Float64Array(total);
    const b = new Float64Array(count * n);
    let off = 0;
    systems.forEach((x, i) => {
      indptr.set(x.A.indptr, i * (n + 1));
      indices.set(x.A.indices, off);
      values.set(x.A.values, off);
      b.set(x.b, i * n);
      off += x.A.nnz;
    });
    const order = Int32Array.from(ours.skr.order);
    const r = runReference(
      'recycling.py',
      ['--n', String(n), '--count', String(count), '--rtol', String(rtol), '--m', '40', '--gcrot-m', '20', '--gcrot-k', '20', '--repeats', String(repeats)],
      { indptr, indices, values, nnz, b, order },
      { env: { OPENBLAS_NUM_THREADS: '1' } },
    );
    if (!r.ok) {
      ctx.log(`${id}: scipy reference skipped: ${r.skipped}`);
      notes.push(`scipy reference skipped: ${r.skipped}`);
    } else {
      ref = r.output.methods as Record<string, RefMethod>;
      notes.push(`scipy ${String(r.output.scipy)}, numpy ${String(r.output.numpy)}`);
    }
  }
  ctx.progress(1);

  const rows: BenchRow[] = [];
  const tag = `Darcy N=${count} n=${n}`;
  for (const { method, label, ref: refKey, refLabel } of PAIRS) {
    const run = ours[method];
    const secs = median(times[method]);
    const worst = Math.max(...run.results.map((x) => x.relativeResidual));
    notes.push(
      `optkit ${label}: ${run.totalIterations} iterations, ${run.totalMatvecs} matvecs, ${round(secs)} s, ` +
        `${run.convergedCount}/${count} converged, max rel. residual ${worst.toExponential(2)}`,
    );
    const timeRow: BenchRow = { name: `${label} total time, ${tag}`, value: round(secs * 1e3), unit: 'ms', higherIsBetter: false };
    const mvRow: BenchRow = { name: `${label} matvecs, ${tag}`, value: run.totalMatvecs, unit: 'matvecs', higherIsBetter: false };
    const rm = ref?.[refKey];
    if (rm) {
      notes.push(
        `${refLabel}: ${rm.iterations} ${refKey === 'gmres' ? 'inner' : 'outer'} iterations, ${rm.matvecs} matvecs, ${round(rm.seconds)} s, ` +
          `${rm.converged}/${count} converged, max rel. residual ${rm.maxRelRes.toExponential(2)}`,
      );
      timeRow.reference = { name: refLabel, value: round(rm.seconds * 1e3) };
      timeRow.ratio = round(rm.seconds / secs);
      mvRow.reference = { name: refLabel, value: rm.matvecs };
      mvRow.ratio = round(rm.matvecs / run.totalMatvecs);
    }
    rows.push(timeRow, mvRow);
  }
  const gm = ours.gmres.totalMatvecs;
  notes.push(
    `optkit matvecs relative to GMRES(40): no recycling ${round(ours['gcrodr-norecycle'].totalMatvecs / gm)}, ` +
      `recycling ${round(ours.gcrodr.totalMatvecs / gm)}, SKR ${round(ours.skr.totalMatvecs / gm)} (skr.md expects SKR ≤ 0.65 at n = 1024)`,
  );
  ctx.log(`${id}: ${rows.filter((x) => x.unit === 'ms').map((x) => `${x.name.split(',')[0]} ${x.value} ms` + (x.reference ? ` (scipy ${x.reference.value} ms)` : '')).join('; ')}`);
  return { rows, notes };
}

/** The benchmark with size overrides (the test uses tiny sizes). */
export function makeRecyclingBenchmark(options: RecyclingBenchmarkOptions = {}): BenchmarkEntry {
  return {
    id: 'linalg.recycling',
    title: 'GCRO-DR / SKR over a sequence of Darcy systems vs scipy gcrotmk (CU recycling) and gmres',
    run: (ctx) => runRecycling(ctx, options),
  };
}

export const recyclingBenchmark = makeRecyclingBenchmark();
