/**
 * sor-bandit.md validation: choosing the SOR ω online across a sequence of shifted 2D Laplacian
 * systems (10×10 grid, A_t = A + c_t·I, Beta-distributed shifts; "high" and "low" variance), from
 * iteration counts only. Compares Tsallis-INF, Tsallis-INF-CB and ChebCB with a fixed ω = 1
 * (Gauss–Seidel, the PETSc/Trilinos default), the best fixed grid ω in hindsight and the
 * instance-optimal ω* of Young's theory, by mean SOR iterations per system.
 *
 * The Tsallis learners run with the paper's reference normaliser (`newtonStart: 'reference'`), which is
 * what produced the card's numbers; see {@link TsallisInfOptions.newtonStart} for why it differs from
 * the exact one (reported beside it, not gated).
 *
 * Gates (card §4): full run (T = 5000) — Tsallis-INF ≤ 1.25× best fixed and ≤ 0.25× ω = 1; ChebCB
 * ≤ 0.75× best fixed (high variance) and ≤ 1.25× instance-optimal; best fixed ω = 1.80 (high) and in
 * [1.60, 1.70] (low). Quick run (T = 1000, the card's smoke version) — Tsallis-INF ≤ 1.4× best fixed and
 * ChebCB ≤ 0.85× best fixed (high variance); the rest is reported.
 */
import type { Claim, ExperimentContext, ExperimentEntry, ExperimentResult, SeriesPlot, Table } from '@optkit/core';

const paper = {
  title: 'Learning to Relax: Setting Solver Parameters Across a Sequence of Linear System Instances',
  authors: 'M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar',
  year: 2024,
  venue: 'ICLR 2024',
  arxiv: '2310.02246',
};

export interface SettingOutcome {
  variance: 'high' | 'low';
  T: number;
  mean: Record<string, number>;
  bestFixedOmega: number;
  cumulative: Record<string, number[]>;
}

function cumulativeMean(costs: ArrayLike<number>): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let t = 0; t < costs.length; t++) {
    sum += costs[t];
    out.push(sum / (t + 1));
  }
  return out;
}

/** One variance setting of the experiment: every policy and baseline on the same T systems. */
export async function runSorBanditSetting(variance: 'high' | 'low', T: number, seed: number, ctx: ExperimentContext, share: [number, number] = [0, 1]): Promise<SettingOutcome> {
  const { defaultOmegaGrid, learnSorSequence, shiftedLaplacianJacobiRadius, shiftedLaplacianSequence, youngOmega } = await import('../sor-learner.js');
  const { sor } = await import('../sor.js');
  const systems = [...shiftedLaplacianSequence({ count: T, variance, seed })];
  const arms = defaultOmegaGrid();
  const progress = (f: number, msg: string) => ctx.progress(share[0] + f * (share[1] - share[0]), `${variance} variance: ${msg}`);

  // Every grid ω on every system: the hindsight reference (and ω = 1 is the grid's first arm).
  progress(0, 'all grid ω');
  const tinf = learnSorSequence(systems, { policy: 'tsallis', newtonStart: 'reference', arms, seed: seed + 1, evaluateAllArms: true, signal: ctx.signal });
  progress(0.7, 'contextual bandits');
  const tinfExact = learnSorSequence(systems, { policy: 'tsallis', newtonStart: 'bracket', arms, seed: seed + 1, signal: ctx.signal });
  const tinfCb = learnSorSequence(systems, { policy: 'tsallis-cb', newtonStart: 'reference', arms, seed: seed + 2, signal: ctx.signal });
  const cheb = learnSorSequence(systems, { policy: 'chebcb', arms, seed: seed + 3, signal: ctx.signal });
  progress(0.9, 'instance-optimal ω*');
  const optimal = systems.map((s) => sor(s.A, s.b, { omega: youngOmega(shiftedLaplacianJacobiRadius(10, s.context)), recordHistory: false }).iterations);
  const armCosts = tinf.armCosts!;
  const d = arms.length;
  const gaussSeidel = Array.from({ length: T }, (_, t) => armCosts[t * d]);
  const best = tinf.bestFixed!;
  const bestCosts = Array.from({ length: T }, (_, t) => armCosts[t * d + best.arm]);
  const mean = (xs: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i];
    return s / xs.length;
  };
  return {
    variance,
    T,
    bestFixedOmega: best.omega,
    mean: {
      'ω = 1': mean(gaussSeidel),
      [`best fixed ω = ${best.omega.toFixed(2)}`]: best.total / T,
      'Tsallis-INF': tinf.total / T,
      'Tsallis-INF (exact normaliser)': tinfExact.total / T,
      'Tsallis-INF-CB': tinfCb.total / T,
      ChebCB: cheb.total / T,
      'instance-optimal ω*': mean(optimal),
    },
    cumulative: {
      'ω = 1': cumulativeMean(gaussSeidel),
      'best fixed ω': cumulativeMean(bestCosts),
      'Tsallis-INF': cumulativeMean(tinf.iterations),
      'Tsallis-INF (exact normaliser)': cumulativeMean(tinfExact.iterations),
      'Tsallis-INF-CB': cumulativeMean(tinfCb.iterations),
      ChebCB: cumulativeMean(cheb.iterations),
      'instance-optimal ω*': cumulativeMean(optimal),
    },
  };
}

function ratioClaim(claim: string, value: number, limit: number, gated = true): Claim {
  return { claim, measured: Number(value.toFixed(3)), expected: `<= ${limit}`, pass: value <= limit, gated };
}

export const sorBanditExperiment: ExperimentEntry = {
  id: 'sor-bandit',
  card: 'sor-bandit',
  title: 'Learning the SOR relaxation factor across a sequence of systems (Tsallis-INF, Tsallis-INF-CB, ChebCB)',
  paper,
  async run(ctx) {
    const T = ctx.quick ? 1000 : 5000;
    const high = await runSorBanditSetting('high', T, ctx.seed, ctx, [0, 0.5]);
    const low = await runSorBanditSetting('low', T, ctx.seed + 100, ctx, [0.5, 1]);
    const claims: Claim[] = [];
    for (const s of [high, low]) {
      const m = s.mean;
      const bestKey = Object.keys(m).find((k) => k.startsWith('best fixed'))!;
      const best = m[bestKey];
      const tag = `${s.variance} variance, T = ${s.T}`;
      if (ctx.quick) {
        claims.push(ratioClaim(`Tsallis-INF mean iterations / best fixed ω (${tag}; smoke gate)`, m['Tsallis-INF'] / best, 1.4, s.variance === 'high'));
        claims.push(ratioClaim(`ChebCB mean iterations / best fixed ω (${tag}; smoke gate)`, m.ChebCB / best, 0.85, s.variance === 'high'));
        claims.push(ratioClaim(`Tsallis-INF mean iterations / fixed ω = 1 (${tag})`, m['Tsallis-INF'] / m['ω = 1'], 0.25, false));
        claims.push(ratioClaim(`Tsallis-INF with the exact normaliser / best fixed ω (${tag}; report only)`, m['Tsallis-INF (exact normaliser)'] / best, 1.4, false));
      } else {
        claims.push(ratioClaim(`Tsallis-INF mean iterations / best fixed ω (${tag})`, m['Tsallis-INF'] / best, 1.25));
        claims.push(ratioClaim(`Tsallis-INF mean iterations / fixed default ω = 1 (${tag})`, m['Tsallis-INF'] / m['ω = 1'], 0.25));
        claims.push(ratioClaim(`Tsallis-INF with the exact normaliser / best fixed ω (${tag}; report only)`, m['Tsallis-INF (exact normaliser)'] / best, 1.25, false));
        claims.push(ratioClaim(`ChebCB mean iterations / instance-optimal ω* (${tag})`, m.ChebCB / m['instance-optimal ω*'], 1.25));
        if (s.variance === 'high') claims.push(ratioClaim(`ChebCB mean iterations / best fixed ω (${tag})`, m.ChebCB / best, 0.75));
      }
      const [lo, hi] = s.variance === 'high' ? [1.8, 1.8] : [1.6, 1.7];
      claims.push({
        claim: `the best fixed grid ω in hindsight (${tag})`,
        measured: Number(s.bestFixedOmega.toFixed(3)),
        expected: lo === hi ? `= ${lo.toFixed(2)}` : `in [${lo.toFixed(2)}, ${hi.toFixed(2)}]`,
        pass: s.bestFixedOmega >= lo - 1e-9 && s.bestFixedOmega <= hi + 1e-9,
        gated: !ctx.quick,
      });
    }
    const plots: SeriesPlot[] = [high, low].map((s) => {
      const stride = Math.max(1, Math.floor(s.T / 250));
      return {
        kind: 'series',
        title: `Mean SOR iterations per system so far (${s.variance} variance)`,
        xLabel: 'system t',
        yLabel: 'mean iterations over systems 1..t',
        logY: true,
        series: Object.entries(s.cumulative).map(([name, ys]) => {
          const x: number[] = [];
          const y: number[] = [];
          for (let t = 0; t < ys.length; t += stride) {
            x.push(t + 1);
            y.push(ys[t]);
          }
          return { name, x, y };
        }),
      };
    });
    const tables: Table[] = [
      {
        title: `Mean SOR iterations per system (T = ${T}, seed ${ctx.seed}); card (T = 5000): high — ω=1 610–626, best fixed 104, Tsallis-INF 116–126, TINF-CB 95–102, ChebCB 65–66, ω* 56–57`,
        columns: ['variance', ...Object.keys(high.mean).map((k) => (k.startsWith('best fixed') ? 'best fixed ω' : k)), 'best fixed ω value'],
        rows: [high, low].map((s) => [s.variance, ...Object.values(s.mean).map((v) => Number(v.toFixed(1))), Number(s.bestFixedOmega.toFixed(2))]),
      },
    ];
    const result: ExperimentResult = {
      claims,
      plots,
      tables,
      notes: [
        'The low-variance shifts are read as −0.15 + 0.6·Beta(2, 6) (the card writes "Beta(2, 6)"); only that reproduces its ω = 1 cost of about 270 iterations.',
        'Tsallis-INF and Tsallis-INF-CB run with the reference learner\'s normaliser (Newton from x = −1), which produced the paper\'s and the card\'s figures; once the normalised cumulative costs grow, it settles on a spurious root and plays greedily. The exact FTRL normaliser (the library default) is reported beside it.',
        'The card\'s paper could not be read in full: its regret exponents are not verified and not claimed here.',
      ],
    };
    return result;
  },
};
