/**
 * deep-conjugate-direction.md validation (section 4, the CPU-sized 2-D analogue) with the shipped model.
 *
 * A = 5-point Dirichlet Laplacian on the 16×16 grid (core `poisson2d(16)`, n = 256); the network is
 * the one shipped in models/dcdm-poisson16 (trained by tools/train-dcdm.ts: 2000 Ritz samples, 8
 * channels, Adam lr 1e-3, batch 8, 500 steps, seed 0). DCDM runs as the card says: i_s = 2, true
 * residual recomputed, maxIter 200, x₀ = 0, tol relative to ‖r₀‖ = ‖b‖. Baselines: the package's `cg`
 * plain, with `jacobi` and with `ichol0` (IC(0)-PCG, the paper's strongest classical baseline), x₀ = 0,
 * the same test ‖r‖ ≤ tol·‖b‖, maxIter 1000. Held-out right-hand sides, three kinds: (a) fresh
 * samples of the training distribution (another seed), (b) two Gaussian bumps (smooth, unseen),
 * (c) white noise N(0, I). Also the card's third baseline, deflated CG (deflated-cg.ts) with the 16 smallest
 * Ritz vectors of the Lanczos run made for the held-out loss — m = n steps, so they are the exact
 * eigenvectors, the strongest form of "16 approximate eigenvectors" — and no other preconditioner,
 * the same test ‖r‖ ≤ tol·‖b‖, maxIter 1000.
 *
 * Gated claims, exactly the card's: the model's loss ≤ 0.03 (training loss recorded by the script and
 * the held-out loss measured here) and DCDM iterations ≤ 0.5× CG's at tol 1e-4 and 1e-6 on each kind of
 * right-hand side (ratio of total iterations over the kind's right-hand sides). Also gated: the
 * identity model reproduces CG's iteration count (card check 1). Report-only: DCDM against IC(0)-PCG
 * and against deflated CG (the paper claims DCDM beats both in iterations at 3-D scale; the card gates
 * neither for the 2-D analogue), and wall time per solve
 * (one DCDM iteration costs a float32 network inference, ≫ a 256-unknown matvec: the claim is fewer
 * iterations, not less CPU time). Quick mode: 3 right-hand sides per kind instead of 20.
 */
import {
  DenseMatrix,
  Rng,
  csrOperator,
  poisson2d,
  throwIfAborted,
  type Claim,
  type ExperimentContext,
  type ExperimentEntry,
  type ExperimentResult,
  type SeriesPlot,
  type Table,
} from '@optkit/core';
import { cg } from '../cg.js';
import { deflatedCg } from '../deflated-cg.js';
import { dcdm, type DirectionModel } from '../dcdm.js';
import { ritzPairs, ritzTrainingSet } from '../dcdm-training-set.js';
import { ichol0, jacobi } from '../preconditioners.js';

const PAPER = {
  title: 'A Deep Conjugate Direction Method for Iteratively Solving Linear Systems',
  authors: 'A. Kaneda, O. Akar, J. Chen, V. A. T. Kala, D. Hyde, J. Teran',
  year: 2023,
  arxiv: '2205.10763',
  venue: 'ICML 2023 (PMLR 202)',
};

const N = 16;
const TOLS = [1e-4, 1e-6] as const;
const KINDS = ['(a) training distribution', '(b) two Gaussian bumps', '(c) white noise'] as const;

/** Two Gaussian bumps of random centre, width and sign on the N×N grid (smooth, not in the training set). */
function gaussianBumps(rng: Rng): Float64Array {
  const b = new Float64Array(N * N);
  for (let bump = 0; bump < 2; bump++) {
    const ci = rng.uniform(2, N - 3);
    const cj = rng.uniform(2, N - 3);
    const w = rng.uniform(1.5, 3.5);
    const a = bump === 0 ? 1 : rng.uniform(-1, 1);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) b[i * N + j] += a * Math.exp(-((i - ci) ** 2 + (j - cj) ** 2) / (2 * w * w));
  }
  return b;
}

function mean(xs: number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

export const deepConjugateDirectionExperiment: ExperimentEntry = {
  id: 'deep-conjugate-direction',
  card: 'deep-conjugate-direction',
  title: 'DCDM: learned search directions vs CG on the 16×16 Poisson grid (shipped model, held-out right-hand sides)',
  paper: PAPER,
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const { loadPretrainedDcdm } = await import('../tf/dcdm-pretrained.js');
    const { POISSON2D_STENCIL, evaluateDcdmLoss } = await import('../tf/dcdm-train.js');
    const perKind = ctx.quick ? 3 : 20;
    const claims: Claim[] = [];
    const plots: SeriesPlot[] = [];
    const notes: string[] = [];
    const P = poisson2d(N);
    const A = csrOperator(P);
    const Mj = jacobi(P);
    const Mic = ichol0(P);
    const pre = await loadPretrainedDcdm();
    const { net, model, tf, metadata } = pre;
    try {
      if (pre.shape[0] !== N || pre.shape[1] !== N) throw new Error(`the shipped model is for ${pre.shape.join('×')}, not ${N}×${N}`);
      // Loss of the shipped model: recorded training loss and the loss on fresh samples measured now.
      // One Lanczos run (m = n: the exact eigenpairs) serves both sample sets.
      const pairs = ritzPairs(P, { steps: N * N, seed: ctx.seed + 7001 });
      const heldOut = ritzTrainingSet(P, { pairs, samples: ctx.quick ? 100 : 500, seed: ctx.seed + 7002 });
      const heldOutLoss = evaluateDcdmLoss(net, POISSON2D_STENCIL, heldOut);
      const trainLoss = typeof metadata.finalLoss === 'number' ? metadata.finalLoss : NaN;
      claims.push({
        claim: 'the shipped model is trained: DCDM loss ≤ 0.03 (card: under-trained nets, loss ≳ 0.05, are slower than CG)',
        measured: `training ${trainLoss.toFixed(4)}, held-out ${heldOutLoss.toFixed(4)}`,
        expected: '<= 0.03 both',
        pass: trainLoss <= 0.03 && heldOutLoss <= 0.03,
        gated: true,
      });
      ctx.progress(0.1, 'loss evaluated');
      // Deflation space of the deflated-CG baseline: the 16 smallest (exact, m = n) Ritz vectors.
      const DEFLATION_DIM = 16;
      const W = new DenseMatrix(N * N, DEFLATION_DIM);
      for (let i = 0; i < N * N; i++) W.data.set(pairs.vectors.data.subarray(i * pairs.vectors.cols, i * pairs.vectors.cols + DEFLATION_DIM), i * DEFLATION_DIM);

      // Held-out right-hand sides.
      const rng = new Rng(ctx.seed + 4242);
      const rhs: Float64Array[][] = [
        ritzTrainingSet(P, { pairs, samples: perKind, seed: ctx.seed + 9001 }).map((v) => Float64Array.from(v)),
        Array.from({ length: perKind }, () => gaussianBumps(rng)),
        Array.from({ length: perKind }, () => rng.fillNormal(new Float64Array(N * N))),
      ];
      const identity: DirectionModel = (r) => r.slice();
      const table: Table = {
        title: 'Mean iterations to ‖r‖ ≤ tol·‖b‖ (x₀ = 0) and mean seconds per solve, per kind of held-out right-hand side',
        columns: ['rhs', 'tol', 'DCDM it', 'CG it', 'Jacobi-PCG it', 'IC(0)-PCG it', 'Deflated-CG it', 'DCDM/CG', 'DCDM/IC(0)', 'DCDM/Deflated-CG', 'DCDM conv', 'DCDM s', 'CG s', 'Deflated-CG s'],
        rows: [],
      };
      let identityOk = true;
      const ratiosIc: number[] = [];
      const ratiosDef: number[] = [];
      let done = 0;
      for (const tol of TOLS) {
        for (let kind = 0; kind < KINDS.length; kind++) {
          const its = { dcdm: [] as number[], cg: [] as number[], pcg: [] as number[], ic: [] as number[], def: [] as number[] };
          const secs = { dcdm: [] as number[], cg: [] as number[], def: [] as number[] };
          let converged = 0;
          for (let s = 0; s < perKind; s++) {
            throwIfAborted(ctx.signal, 'deep-conjugate-direction');
            const b = rhs[kind][s];
            const t0 = performance.now();
            const d = await dcdm(A, b, model, { rtol: tol, maxIter: 200, orthogonalizeAgainst: 2, residual: 'recompute' });
            secs.dcdm.push((performance.now() - t0) / 1000);
            const t1 = performance.now();
            const c = cg(A, b, { rtol: tol, maxIter: 1000 });
            secs.cg.push((performance.now() - t1) / 1000);
            const j = cg(A, b, { rtol: tol, maxIter: 1000, M: Mj });
            const ic = cg(A, b, { rtol: tol, maxIter: 1000, M: Mic });
            const t2 = performance.now();
            const def = deflatedCg(P, b, { W, rtol: tol, maxIter: 1000 });
            secs.def.push((performance.now() - t2) / 1000);
            its.def.push(def.iterations);
            its.dcdm.push(d.iterations);
            its.cg.push(c.iterations);
            its.pcg.push(j.iterations);
            its.ic.push(ic.iterations);
            if (d.converged) converged++;
            if (s === 0 && tol === 1e-4) {
              const id = await dcdm(A, b, identity, { rtol: tol, maxIter: 1000 });
              if (id.iterations !== c.iterations) identityOk = false;
            }
            if (s === 0 && tol === 1e-6) {
              const bnorm = Math.hypot(...b);
              const rel = (h: number[]) => h.map((v) => v / bnorm);
              plots.push({
                kind: 'series',
                title: `Relative residual vs iteration, rhs ${KINDS[kind]}, 16×16 Poisson`,
                xLabel: 'iteration',
                yLabel: '‖r‖ / ‖b‖',
                logY: true,
                series: [
                  { name: 'DCDM (shipped net, i_s = 2)', x: d.history.relres!.map((_, i) => i), y: d.history.relres! },
                  { name: 'CG', x: c.history.residual!.map((_, i) => i), y: rel(c.history.residual!) },
                  { name: 'Jacobi-PCG', x: j.history.residual!.map((_, i) => i), y: rel(j.history.residual!) },
                  { name: 'IC(0)-PCG', x: ic.history.residual!.map((_, i) => i), y: rel(ic.history.residual!) },
                  { name: 'Deflated CG (16 eigenvectors)', x: def.history.residual!.map((_, i) => i), y: rel(def.history.residual!) },
                ],
              });
            }
          }
          const total = (xs: number[]) => xs.reduce((a, v) => a + v, 0);
          const ratio = total(its.dcdm) / total(its.cg);
          const ratioIc = total(its.dcdm) / total(its.ic);
          ratiosIc.push(ratioIc);
          const ratioDef = total(its.dcdm) / total(its.def);
          ratiosDef.push(ratioDef);
          table.rows.push([
            KINDS[kind],
            tol,
            Number(mean(its.dcdm).toFixed(1)),
            Number(mean(its.cg).toFixed(1)),
            Number(mean(its.pcg).toFixed(1)),
            Number(mean(its.ic).toFixed(1)),
            Number(mean(its.def).toFixed(1)),
            Number(ratio.toFixed(3)),
            Number(ratioIc.toFixed(3)),
            Number(ratioDef.toFixed(3)),
            `${converged}/${perKind}`,
            Number(mean(secs.dcdm).toFixed(4)),
            Number(mean(secs.cg).toFixed(5)),
            Number(mean(secs.def).toFixed(5)),
          ]);
          claims.push({
            claim: `DCDM needs at most half of CG's iterations at tol ${tol} on held-out rhs ${KINDS[kind]} (${perKind} rhs, total iterations)`,
            measured: Number(ratio.toFixed(3)),
            expected: '<= 0.5',
            pass: ratio <= 0.5 && converged === perKind,
            gated: true,
          });
          done++;
          ctx.progress(0.1 + (0.85 * done) / (TOLS.length * KINDS.length), `tol ${tol} ${KINDS[kind]}`);
        }
      }
      claims.push({
        claim: 'the identity model makes DCDM (i_s = 2) take exactly CG\'s iterations (card check 1)',
        measured: identityOk ? 'equal on every kind' : 'differs',
        expected: 'equal',
        pass: identityOk,
        gated: true,
      });
      claims.push({
        claim: 'DCDM iterations relative to IC(0)-PCG (report only), per tolerance and kind of rhs',
        measured: ratiosIc.map((r) => r.toFixed(2)).join(' / '),
        expected: 'reported',
        pass: true,
        gated: false,
      });
      claims.push({
        claim: 'DCDM iterations relative to deflated CG with the 16 smallest eigenvectors (report only; the paper reports DCDM beating deflated PCG), per tolerance and kind of rhs',
        measured: ratiosDef.map((r) => r.toFixed(2)).join(' / '),
        expected: '< 1 (not gated)',
        pass: ratiosDef.every((r) => r < 1),
        gated: false,
      });
      const col = (name: string) => table.columns.indexOf(name);
      const dcdmSec = table.rows.map((r) => r[col('DCDM s')] as number);
      const cgSec = table.rows.map((r) => r[col('CG s')] as number);
      const defSec = table.rows.map((r) => r[col('Deflated-CG s')] as number);
      claims.push({
        claim: 'wall time per solve, DCDM vs CG vs deflated CG (report only: one DCDM iteration is a float32 network inference)',
        measured: `${(mean(dcdmSec) * 1000).toFixed(1)} ms vs ${(mean(cgSec) * 1000).toFixed(2)} ms vs ${(mean(defSec) * 1000).toFixed(2)} ms`,
        expected: 'reported',
        pass: true,
        gated: false,
      });
      notes.push(
        `Shipped model: ${net.size} float32 weights, ${String((metadata.training as Record<string, unknown> | undefined)?.steps ?? '?')} Adam steps; tfjs backend ${tf.getBackend()}.`,
        'Jacobi-PCG equals CG on this matrix (constant diagonal 4); it is plotted because the card lists it, not as a stronger baseline.',
        'Deflated CG (the card\'s third baseline) deflates the 16 smallest eigenvectors, computed once by Lanczos with m = n (exact here); its time per solve includes the 16 products A·W of its setup, not the Lanczos run.',
        'Claims gate the ratio of total iterations per kind of right-hand side; the 3-D paper-scale setting (N³ smoke systems) is not reproduced.',
      );
      ctx.progress(1, 'done');
      return { claims, plots, tables: [table], notes };
    } finally {
      net.dispose();
    }
  },
};
