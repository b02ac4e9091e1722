/**
 * lion-kappa.md E1 (gating, float64, seconds): Lion-𝒦 iterates stay in the feasible set and
 * converge to the constrained optimum, on f(x) = ½(x − a)ᵀH(x − a), d = 50, H = AᵀA/d + 0.1I
 * (A Gaussian), a ~ N(0, 9I), λ = 1, β = 0.9/0.99, x₀ = 0. Reference optima by projected gradient
 * (box, ℓ2 ball) and by a linear solve (quadratic 𝒦). Also used by lion.md E1's box claim.
 *
 * The card's E2 (tfjs MLP with Lion-ℓp, λ ∈ {0.3, 1, 3}) is experiments/lion-kappa-mlp.ts.
 */
import {
  DenseMatrix,
  Optimizer,
  Rng,
  getKernels,
  throwIfAborted,
  type Claim,
  type ExperimentContext,
  type ExperimentEntry,
  type ExperimentResult,
  type SeriesPlot,
} from '@optkit/core';
import { constraintViolation, lionKappa, type LionKappaOptions } from '../lion-kappa.js';

/** The quadratic test problem of the cards: H (row-major d×d), a, f, ∇f. */
export interface BoxQuadratic {
  d: number;
  H: Float64Array;
  a: Float64Array;
  /** Upper bound on λ_max(H) (Gershgorin), for the projected-gradient step. */
  lipschitz: number;
  value(x: Float64Array): number;
  grad(x: Float64Array, out: Float64Array): void;
}

/** f(x) = ½(x − a)ᵀH(x − a) with H = AᵀA/d + 0.1I, A ~ N(0,1)^{d×d}, a ~ N(0, 9I) (seeded). */
export function boxQuadratic(seed: number, d = 50): BoxQuadratic {
  const rng = new Rng(seed);
  const A = rng.fillNormal(new Float64Array(d * d)) as Float64Array;
  const H = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += A[k * d + i] * A[k * d + j];
      H[i * d + j] = H[j * d + i] = s / d + (i === j ? 0.1 : 0);
    }
  }
  const a = rng.fillNormal(new Float64Array(d), 0, 3) as Float64Array;
  let lipschitz = 0;
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.abs(H[i * d + j]);
    lipschitz = Math.max(lipschitz, s);
  }
  const r = new Float64Array(d);
  const grad = (x: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < d; i++) r[i] = x[i] - a[i];
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += H[i * d + j] * r[j];
      out[i] = s;
    }
  };
  const g = new Float64Array(d);
  return {
    d,
    H,
    a,
    lipschitz,
    grad,
    value(x) {
      grad(x, g);
      let s = 0;
      for (let i = 0; i < d; i++) s += 0.5 * (x[i] - a[i]) * g[i];
      return s;
    },
  };
}

/** Projected gradient x ← Π(x − ∇f(x)/L) from 0 for `iters` iterations (the reference optimum). */
export function projectedGradient(p: BoxQuadratic, project: (x: Float64Array) => void, iters = 20_000): Float64Array {
  const x = new Float64Array(p.d);
  const g = new Float64Array(p.d);
  const step = 1 / p.lipschitz;
  for (let k = 0; k < iters; k++) {
    p.grad(x, g);
    for (let i = 0; i < p.d; i++) x[i] -= step * g[i];
    project(x);
  }
  return x;
}

/** Clip to the box ‖x‖∞ ≤ radius. */
export const boxProjection = (radius: number) => (x: Float64Array) => {
  for (let i = 0; i < x.length; i++) x[i] = x[i] > radius ? radius : x[i] < -radius ? -radius : x[i];
};

/** Rescale onto the ball ‖x‖₂ ≤ radius. */
export const ballProjection = (radius: number) => (x: Float64Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const n = Math.sqrt(s);
  if (n > radius) for (let i = 0; i < x.length; i++) x[i] *= radius / n;
};

export interface KappaRun {
  x: Float64Array;
  /** Largest constraint violation seen over all steps (after each step). */
  maxViolation: number;
  /** ∞-norm distance to `target` at the recorded steps. */
  trace: { step: number[]; dist: number[]; violation: number[]; f: number[] };
  /** ∞-norm distance to `target` after each of the last `tailSteps` steps (empty without a target). */
  tailDist: number[];
}

/** Runs Lion-𝒦 on `p` for `steps` steps from `x0`, tracking violation and distance to `target`. */
export function runKappa(
  p: BoxQuadratic,
  options: LionKappaOptions,
  steps: number,
  x0: Float64Array,
  target: Float64Array | undefined,
  spec: 'sign' | 'l2' | 'quadratic',
  lambda: number,
  signal?: AbortSignal,
  tailSteps = 0,
): KappaRun {
  const x = x0.slice();
  const g = new Float64Array(p.d);
  const opt = new Optimizer(lionKappa(options), x);
  const trace = { step: [] as number[], dist: [] as number[], violation: [] as number[], f: [] as number[] };
  let maxViolation = 0;
  const tailDist: number[] = [];
  const every = Math.max(1, Math.floor(steps / 200));
  for (let t = 1; t <= steps; t++) {
    p.grad(x, g);
    opt.step(g);
    const v = constraintViolation(x, spec, lambda);
    if (v > maxViolation) maxViolation = v;
    if (target && t > steps - tailSteps) tailDist.push(infDist(x, target));
    if (t % every === 0 || t === steps) {
      if (signal) throwIfAborted(signal, 'lion-kappa experiment');
      let dist = 0;
      if (target) for (let i = 0; i < p.d; i++) dist = Math.max(dist, Math.abs(x[i] - target[i]));
      trace.step.push(t);
      trace.dist.push(dist);
      trace.violation.push(v);
      trace.f.push(p.value(x));
    }
  }
  return { x, maxViolation, trace, tailDist };
}

function infDist(x: Float64Array, y: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export const lionKappaExperiment: ExperimentEntry = {
  id: 'lion-kappa-constrained',
  card: 'lion-kappa',
  title: 'Lion-𝒦 solves the constrained problem: iterates stay in the set and converge to its optimum',
  paper: {
    title: 'Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts',
    authors: 'L. Chen, B. Liu, K. Liang, Q. Liu',
    year: 2024,
    arxiv: '2310.05898',
    venue: 'ICLR 2024',
  },
  run(ctx: ExperimentContext): ExperimentResult {
    const p = boxQuadratic(ctx.seed);
    const lambda = 1;
    const betas = { beta1: 0.9, beta2: 0.99 };
    const claims: Claim[] = [];
    const plots: SeriesPlot[] = [];
    const xBox = projectedGradient(p, boxProjection(1 / lambda));
    const fBox = p.value(xBox);
    const lrs = ctx.quick ? [1e-2] : [1e-2, 1e-3];
    const distSeries: SeriesPlot['series'] = [];
    for (const lr of lrs) {
      const steps = Math.round(50 / lr);
      const tail = Math.round(1 / lr);
      const run = runKappa(p, { kappa: 'sign', lr, weightDecay: lambda, ...betas }, steps, new Float64Array(p.d), xBox, 'sign', lambda, ctx.signal, tail);
      const dist = infDist(run.x, xBox);
      const sortedTail = run.tailDist.slice().sort((a, b) => a - b);
      const tailMedian = sortedTail[sortedTail.length >> 1];
      const tailMax = sortedTail[sortedTail.length - 1];
      const gap = p.value(run.x) - fBox;
      claims.push(
        { claim: `sign (Lion), lr ${lr}: max_i |x_i| ≤ 1/λ at every step`, measured: run.maxViolation, expected: '<= 1e-12', pass: run.maxViolation <= 1e-12, gated: true },
        { claim: `sign (Lion), lr ${lr}: ‖x_t − x*_box‖∞ ≤ 1.5·lr in the chatter regime — median over the last 1/lr of 50/lr steps`, measured: `${tailMedian.toPrecision(3)} (max ${tailMax.toPrecision(3)})`, expected: `<= ${1.5 * lr}`, pass: tailMedian <= 1.5 * lr, gated: true },
        { claim: `sign (Lion), lr ${lr}: ‖x − x*_box‖∞ of the final iterate after 50/lr steps ≤ 1.5·lr (the card's form; one sample of the chatter, report only)`, measured: dist, expected: `<= ${1.5 * lr}`, pass: dist <= 1.5 * lr, gated: false },
        { claim: `sign (Lion), lr ${lr}: f(x) − f(x*_box) ≤ 10·lr²`, measured: gap, expected: `<= ${10 * lr * lr}`, pass: gap <= 10 * lr * lr, gated: true },
      );
      distSeries.push({ name: `Lion lr ${lr}`, x: run.trace.step, y: run.trace.dist.map((v) => Math.max(v, 1e-16)) });
      ctx.progress(0.3, `sign lr ${lr}`);
    }
    // Phase 1: from x0 = 5·1 the violation shrinks by exactly (1 − lrλ) per step.
    {
      const lr = 1e-2;
      const x0 = new Float64Array(p.d).fill(5);
      const run = runKappa(p, { kappa: 'sign', lr, weightDecay: lambda, ...betas }, 200, x0, undefined, 'sign', lambda);
      const v100 = run.trace.violation[run.trace.step.indexOf(100)];
      const v200 = run.trace.violation[run.trace.step.indexOf(200)];
      const e100 = 4 * (1 - lr * lambda) ** 100;
      const e200 = 4 * (1 - lr * lambda) ** 200;
      const err = Math.max(Math.abs(v100 - e100), Math.abs(v200 - e200));
      claims.push({
        claim: 'phase 1 (x₀ = 5·1, lr 1e-2): violation at t = 100, 200 equals 4(1 − lrλ)^t',
        measured: `${v100.toFixed(6)}, ${v200.toFixed(6)} (max error ${err.toExponential(1)})`,
        expected: `${e100.toFixed(6)}, ${e200.toFixed(6)} to 1e-9`,
        pass: err <= 1e-9,
        gated: true,
      });
      plots.push({
        kind: 'series',
        title: 'Phase 1: constraint violation max(0, ‖x‖∞ − 1/λ) from x₀ = 5·1 (lr 1e-2, λ 1)',
        xLabel: 'step',
        yLabel: 'violation',
        logY: true,
        series: [
          { name: 'Lion', x: run.trace.step, y: run.trace.violation.map((v) => Math.max(v, 1e-16)) },
          { name: '4(1 − lrλ)^t', x: run.trace.step, y: run.trace.step.map((t) => 4 * (1 - lr * lambda) ** t) },
        ],
      });
    }
    // ℓ2: converges to the ball-constrained optimum, and stays in the ball.
    {
      const lr = ctx.quick ? 3e-3 : 1e-3;
      const steps = ctx.quick ? 20_000 : 50_000;
      const xBall = projectedGradient(p, ballProjection(1 / lambda));
      const run = runKappa(p, { kappa: 'l2', lr, weightDecay: lambda, ...betas }, steps, new Float64Array(p.d), xBall, 'l2', lambda, ctx.signal);
      const dist = infDist(run.x, xBall);
      claims.push(
        { claim: `l2, lr ${lr}: ‖x‖₂ ≤ 1/λ at every step`, measured: run.maxViolation, expected: '<= 1e-12', pass: run.maxViolation <= 1e-12, gated: true },
        { claim: `l2, lr ${lr}: ‖x − x*_ball‖∞ after ${steps} steps ≤ 1e-6`, measured: dist, expected: '<= 1e-6', pass: dist <= 1e-6, gated: true },
      );
      distSeries.push({ name: `Lion-ℓ2 lr ${lr} (to ball optimum)`, x: run.trace.step, y: run.trace.dist.map((v) => Math.max(v, 1e-16)) });
      ctx.progress(0.6, 'l2');
    }
    // quadratic 𝒦: momentum + L2, converges to argmin f + (λ/2)‖x‖² = (H + λI)⁻¹Ha.
    {
      const d = p.d;
      const M = new Float64Array(d * d);
      const rhs = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          M[i * d + j] = p.H[i * d + j] + (i === j ? lambda : 0);
          rhs[i] += p.H[i * d + j] * p.a[j];
        }
      }
      const xRidge = getKernels().solve(new DenseMatrix(d, d, M), rhs) as Float64Array;
      const lr = 1e-2;
      const steps = ctx.quick ? 5000 : 20_000;
      const run = runKappa(p, { kappa: 'quadratic', lr, weightDecay: lambda, ...betas }, steps, new Float64Array(d), xRidge, 'quadratic', lambda);
      const dist = infDist(run.x, xRidge);
      claims.push({ claim: `quadratic 𝒦 (momentum + L2), lr ${lr}: converges to (H + λI)⁻¹Ha`, measured: dist, expected: '<= 1e-8', pass: dist <= 1e-8, gated: true });
      distSeries.push({ name: `quadratic 𝒦 lr ${lr} (to ridge optimum)`, x: run.trace.step, y: run.trace.dist.map((v) => Math.max(v, 1e-16)) });
    }
    // λ = 0: sign approaches the unconstrained minimiser a within O(lr).
    {
      const lr = ctx.quick ? 3e-3 : 1e-3;
      const steps = Math.round(50 / lr);
      const run = runKappa(p, { kappa: 'sign', lr, weightDecay: 0, ...betas }, steps, new Float64Array(p.d), p.a, 'sign', 0);
      const dist = infDist(run.x, p.a);
      claims.push({ claim: `λ = 0, sign, lr ${lr}: ‖x − a‖∞ ≤ 5·lr (O(lr) chatter around the minimiser)`, measured: dist, expected: `<= ${5 * lr}`, pass: dist <= 5 * lr, gated: true });
      distSeries.push({ name: `Lion λ = 0, lr ${lr} (to a)`, x: run.trace.step, y: run.trace.dist.map((v) => Math.max(v, 1e-16)) });
    }
    // Implicit decay reaches the same constrained solution (report only).
    let implicitDist = Number.NaN;
    {
      const lr = 1e-2;
      const run = runKappa(p, { kappa: 'sign', lr, weightDecay: lambda, decay: 'implicit', ...betas }, 5000, new Float64Array(p.d), xBox, 'sign', lambda);
      implicitDist = infDist(run.x, xBox);
      claims.push({ claim: 'implicit decay (lr 1e-2) also reaches x*_box within 1.5·lr', measured: implicitDist, expected: '<= 0.015', pass: implicitDist <= 0.015, gated: false });
    }
    let active = 0;
    for (const v of xBox) if (Math.abs(v) >= 1 - 1e-12) active++;
    plots.unshift({
      kind: 'series',
      title: 'Distance to the constrained optimum, ‖x_t − x*‖∞ (d = 50, λ = 1)',
      xLabel: 'step',
      yLabel: '‖x − x*‖∞',
      logY: true,
      series: distSeries,
    });
    ctx.progress(1);
    return {
      claims,
      plots,
      notes: [
        `x*_box has ${active} of ${p.d} coordinates on the box boundary; reference optima by projected gradient (20 000 iterations, step 1/L with L a Gershgorin bound).`,
        'The 1.5·lr bound is gated on the median of ‖x_t − x*_box‖∞ over the last 1/lr steps: Lion chatters at O(lr) around x*_box, and the final iterate is one sample of that chatter. Over problem seeds 0–9 (measured after the RNG seeding fix) the median was 1.05–1.33·lr at both lrs, the last-1/lr maximum 1.6–2.5·lr, and the final iterate 0.69–1.94·lr (2 of 20 seed/lr pairs above 1.5·lr, seeds 4 and 5 at lr 1e-2). The card\'s final-iterate form is reported next to the gate.',
        'E2 of the card (tfjs MLP with Lion-ℓp, per-tensor violation decay) is the separate experiment lion-kappa-mlp (OptkitLionKappa).',
      ],
    };
  },
};
