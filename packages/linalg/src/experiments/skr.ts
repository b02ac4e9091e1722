/**
 * skr.md validation (section 4): a sequence of Darcy systems A = L·diag(exp(GRF)) on a 34×34 grid
 * (n = 1024), rtol = 1e-8, x₀ = 0, no preconditioner, solved four ways over the same sequence:
 * independent GMRES(40), GCRO-DR(40, 20) without cross-system recycling (deflated restarting alone),
 * GCRO-DR(40, 20) recycling in input order (SKR without sorting), and SKR (greedy sort on the coefficient
 * fields, then recycling along that order). Full run: the card's N = 30 systems, two interleaved runs
 * (fastest times kept); quick run: N = 10 systems of the same size, one run (the first system, which has
 * nothing to recycle, weighs more there).
 *
 * Gates (card §4 and issue 4): SKR's total matvecs ≤ 0.65× GMRES(40)'s; SKR's Arnoldi iterations
 * ≤ 0.75× GCRO-DR-without-recycling's; every solution of every method has true relative residual ≤ rtol.
 * Reported, not gated: the sorting gain (SKR vs unsorted recycling), the recycling gain over deflated
 * restarting alone, total times, and the share of products spent re-projecting the recycle space.
 */
import type { Claim, ExperimentContext, ExperimentEntry, ExperimentResult, SeriesPlot, Table } from '@optkit/core';
import type { SequenceMethod, SequenceResult } from '../skr.js';

const paper = {
  title: 'Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling',
  authors: 'H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu',
  year: 2024,
  venue: 'ICLR 2024',
  arxiv: '2401.09516',
};

const METHODS: { method: SequenceMethod; label: string }[] = [
  { method: 'gmres', label: 'GMRES(40)' },
  { method: 'gcrodr-norecycle', label: 'GCRO-DR(40,20) no recycling' },
  { method: 'gcrodr', label: 'GCRO-DR(40,20) recycling, input order' },
  { method: 'skr', label: 'SKR (sorted + recycling)' },
];

export interface SkrExperimentSettings {
  count: number;
  gridSize: number;
  m: number;
  k: number;
  rtol: number;
  /** Runs of the whole comparison (interleaved by method); times are the fastest run's (default 1). */
  repeats?: number;
}

export interface SkrOutcome {
  settings: SkrExperimentSettings;
  runs: Record<SequenceMethod, SequenceResult>;
  bnorms: number[];
}

/** Runs the four methods over one seeded Darcy sequence (exported for the test and the benchmark). */
export async function runSkrComparison(settings: SkrExperimentSettings, seed: number, ctx?: Pick<ExperimentContext, 'signal' | 'progress'>): Promise<SkrOutcome> {
  const { darcySequence } = await import('../pde-sequence.js');
  const { solveSequence } = await import('../skr.js');
  const systems = darcySequence({ count: settings.count, gridSize: settings.gridSize, seed });
  const bnorms = systems.map((s) => Math.sqrt(s.b.reduce((acc, v) => acc + v * v, 0)));
  // Warm-up so that the first timed method does not pay for JIT compilation alone.
  const warm = darcySequence({ count: 2, gridSize: 12, seed: seed + 1000 });
  for (const { method } of METHODS) solveSequence(warm, { method, m: 20, k: 8, rtol: 1e-6 });
  const runs = {} as Record<SequenceMethod, SequenceResult>;
  const repeats = settings.repeats ?? 1;
  for (let rep = 0; rep < repeats; rep++) {
    METHODS.forEach(({ method, label }, i) => {
      ctx?.progress((rep * METHODS.length + i) / (repeats * METHODS.length), label);
      const r = solveSequence(systems, {
        method,
        m: settings.m,
        k: settings.k,
        rtol: settings.rtol,
        maxIter: 10000,
        signal: ctx?.signal,
        keepSolutions: false,
      });
      // Counts are deterministic; keep the fastest run's times (the machine is shared).
      if (runs[method] === undefined || r.solveSeconds < runs[method].solveSeconds) runs[method] = r;
    });
  }
  ctx?.progress(1);
  return { settings, runs, bnorms };
}

const fmt = (v: number, d = 3) => Number(v.toPrecision(d));

export const skrExperiment: ExperimentEntry = {
  id: 'skr',
  card: 'skr',
  title: 'SKR: Krylov recycling over a sorted sequence of Darcy systems vs GMRES(40) and GCRO-DR without recycling',
  paper,
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const settings: SkrExperimentSettings = { count: ctx.quick ? 10 : 30, gridSize: 34, m: 40, k: 20, rtol: 1e-8, repeats: ctx.quick ? 1 : 2 };
    const { runs, bnorms } = await runSkrComparison(settings, ctx.seed, ctx);
    const N = settings.count;
    const g = runs.gmres;
    const nr = runs['gcrodr-norecycle'];
    const un = runs.gcrodr;
    const sk = runs.skr;
    const claims: Claim[] = [];

    const mvRatio = sk.totalMatvecs / g.totalMatvecs;
    claims.push({
      claim: `SKR's total matrix-vector products ≤ 0.65× independent GMRES(40)'s (Darcy n = ${(settings.gridSize - 2) ** 2}, N = ${N}, rtol 1e-8; all products counted, re-projection included)`,
      measured: `${fmt(mvRatio)} (${sk.totalMatvecs} vs ${g.totalMatvecs})`,
      expected: '<= 0.65',
      pass: mvRatio <= 0.65,
      gated: true,
    });
    const itRatio = sk.totalIterations / nr.totalIterations;
    claims.push({
      claim: "SKR's Arnoldi iterations ≤ 0.75× GCRO-DR(40,20) without cross-system recycling (the restart strategy alone)",
      measured: `${fmt(itRatio)} (${sk.totalIterations} vs ${nr.totalIterations})`,
      expected: '<= 0.75',
      pass: itRatio <= 0.75,
      gated: true,
    });
    let worst = 0;
    let allConverged = true;
    for (const { method } of METHODS) {
      for (const r of runs[method].results) {
        worst = Math.max(worst, r.relativeResidual);
        allConverged &&= r.converged;
      }
    }
    claims.push({
      claim: 'every solution of every method has true relative residual ‖b − A x‖/‖b‖ ≤ rtol = 1e-8',
      measured: worst.toExponential(3),
      expected: '<= 1e-8 (and all converged)',
      pass: worst <= settings.rtol && allConverged,
      gated: true,
    });
    const sortGain = 1 - sk.totalMatvecs / un.totalMatvecs;
    claims.push({
      claim: 'sorting gain: SKR vs GCRO-DR recycling in input order, fewer matrix-vector products (card: 0–10 %)',
      measured: `${fmt(100 * sortGain)} % (${sk.totalMatvecs} vs ${un.totalMatvecs}); iterations ${sk.totalIterations} vs ${un.totalIterations}`,
      expected: 'reported (0–10 % on the card)',
      pass: true,
      gated: false,
    });
    const recycleGain = 1 - un.totalMatvecs / nr.totalMatvecs;
    claims.push({
      claim: 'cross-system recycling gain over deflated restarting alone (input order vs no recycling), matrix-vector products',
      measured: `${fmt(100 * recycleGain)} % (${un.totalMatvecs} vs ${nr.totalMatvecs}); GCRO-DR alone vs GMRES(40): ${fmt(nr.totalMatvecs / g.totalMatvecs)}×`,
      expected: 'reported',
      pass: true,
      gated: false,
    });
    const timeRatio = sk.solveSeconds / g.solveSeconds;
    claims.push({
      claim: 'total solve time, SKR / GMRES(40) (this TypeScript build; a 5-point matvec is cheap next to GCRO-DR’s O(n(m+k)m) orthogonalisation and O(m³) eigenproblem per cycle)',
      measured: `${fmt(timeRatio)} (${fmt(sk.solveSeconds)} s vs ${fmt(g.solveSeconds)} s; no recycling ${fmt(nr.solveSeconds)} s, unsorted ${fmt(un.solveSeconds)} s)`,
      expected: 'reported (< 1 means SKR is faster)',
      pass: true,
      gated: false,
    });
    const reproj = sk.results.reduce((s, r) => s + r.recycledIn, 0);
    claims.push({
      claim: 'share of SKR products spent re-projecting the recycle space (C = A·U, k per system; omitted from HPDDM/paper iteration counts)',
      measured: `${fmt((100 * reproj) / sk.totalMatvecs)} % (${reproj} of ${sk.totalMatvecs})`,
      expected: 'reported (card: ≈ 20 % at n = 1024)',
      pass: true,
      gated: false,
    });

    // Plots: matvecs per system along each solve order; cumulative products; residual curves of one system.
    const perSystem: SeriesPlot = {
      kind: 'series',
      title: 'Matrix-vector products per system, along each method’s solve order',
      xLabel: 'position in the solve order',
      yLabel: 'matrix-vector products',
      mark: 'line',
      series: METHODS.map(({ method, label }) => {
        const run = runs[method];
        return { name: label, x: run.order.map((_, p) => p + 1), y: run.order.map((i) => run.results[i].matvecs) };
      }),
    };
    const cumulative: SeriesPlot = {
      kind: 'series',
      title: 'Cumulative matrix-vector products over the sequence',
      xLabel: 'systems solved',
      yLabel: 'total matrix-vector products',
      series: METHODS.map(({ method, label }) => {
        const run = runs[method];
        let acc = 0;
        return { name: label, x: run.order.map((_, p) => p + 1), y: run.order.map((i) => (acc += run.results[i].matvecs)) };
      }),
    };
    // The system in the middle of SKR's order: every recycling method has a recycle space there.
    const probe = sk.order[Math.floor(N / 2)];
    const residualPlot: SeriesPlot = {
      kind: 'series',
      title: `Relative residual of system ${probe} (GCRO-DR curves start after the recycle-space projection)`,
      xLabel: 'Arnoldi iteration',
      yLabel: '‖r‖ / ‖b‖ (recurrence estimate)',
      logY: true,
      series: METHODS.map(({ method, label }) => {
        const h = runs[method].results[probe].history.residual;
        return { name: label, x: h.map((_, i) => i), y: h.map((v) => Math.max(v / bnorms[probe], 1e-16)) };
      }),
    };
    const table: Table = {
      title: `Totals over N = ${N} Darcy systems (n = ${(settings.gridSize - 2) ** 2}, m = 40, k = 20, rtol = 1e-8)`,
      columns: ['method', 'iterations', 'matvecs', 'mean it / system', 'mean mv / system', 'solve time (s)', 'max rel. residual'],
      rows: METHODS.map(({ method, label }) => {
        const run = runs[method];
        return [
          label,
          run.totalIterations,
          run.totalMatvecs,
          fmt(run.totalIterations / N),
          fmt(run.totalMatvecs / N),
          fmt(run.solveSeconds),
          fmt(Math.max(...run.results.map((r) => r.relativeResidual))),
        ];
      }),
    };
    return {
      claims,
      plots: [perSystem, cumulative, residualPlot],
      tables: [table],
      notes: [
        'Card prototype (numpy, n = 1024, N = 30): GMRES(40) 194 it/system, GCRO-DR without recycling 144, SKR unsorted 87.9 it / 109 mv, sorted 85.2 it / 106 mv (its GCRO-DR counts were rounded up to cycle ends; optkit checks convergence after every Arnoldi step, as HPDDM does).',
        'Matrix: A[p,p] = 4a_p, A[p,q] = −a_q (A = L·diag(a), the correct stencil, not the official repository’s truncated-diagonal one); b = h², h = 1/(s−3); a = exp(GRF), α = 2.5, τ = 7.',
        'matvecs count every product with A: Arnoldi steps, GCRO-DR’s k re-projection products per system, and each solver’s final true-residual check (GMRES also its restart residuals).',
        `Times are wall-clock on a shared 2-core machine after a small warm-up (${settings.repeats ?? 1} interleaved run(s), fastest kept); reported, not gated.`,
      ],
    };
  },
};
