/**
 * lamb.md validation: E1 (known answers, float64/float32, gated) and E2 (large-batch sweep on a
 * teacher–student MLP trained with TensorFlow.js gradients, report-only as the card marks it).
 *
 * E1: ‖Δw‖/‖w‖ = lr for every adapted tensor; `layerAdaptation: false` is AdamW bit for bit; LAMB's
 * loss trajectories on a two-layer ReLU regression net are invariant to the layer rescaling
 * (W1, b1, W2) → (cW1, c·b1, W2/c) while Adam's are not.
 * E2: LAMB against AdamW (= LAMB with ρ ≡ 1, the same λ placement) with lr = lr₁₂₈·√(B/128), warm-up 5%
 * + linear decay, λ = 0.01, over batch sizes up to 8192: does LAMB hold its accuracy where AdamW with the
 * same lr scaling degrades? The card expects LAMB ≈ AdamW at this scale (the paper's advantage needs deep
 * transformers), so those claims are reported, not gated; the trust ratios must stay finite and positive.
 */
import {
  Optimizer,
  Rng,
  addDecayedWeights,
  adam,
  chain,
  scaleByAdam,
  scaleByLearningRate,
  type Claim,
  type ExperimentContext,
  type ExperimentEntry,
  type ExperimentResult,
  type GradientTransformation,
  type Params,
  type SeriesPlot,
} from '@optkit/core';
import { lamb, lastTrustRatios, tensorNorm, type LambState } from '../lamb.js';

// ---------------------------------------------------------------------------------------------
// E1: the two-layer ReLU regression net

/** A full-batch loss with gradient over named params. */
export interface ParamsLoss {
  /** Writes ∇loss(p) into `grad` and returns loss(p). */
  loss(p: Params, grad: Params): number;
}

/**
 * lamb.md E1's net: X ~ N(0, I₁₀) (512 × 10), Y = sin(X w*), f(x) = W2ᵀ relu(W1ᵀx + b1) with hidden
 * width 32, loss = mean ½(f(x) − y)². Params W1 (10×32 row-major), b1 (32, initialised NON-zero),
 * W2 (32).
 */
export function reluRegressionNet(seed: number): { net: ParamsLoss; init: Params } {
  const n = 512;
  const d = 10;
  const hdim = 32;
  const rng = new Rng(seed);
  const X = rng.fillNormal(new Float64Array(n * d)) as Float64Array;
  const wStar = rng.fillNormal(new Float64Array(d)) as Float64Array;
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] * wStar[j];
    Y[i] = Math.sin(s);
  }
  const init: Params = {
    W1: rng.fillNormal(new Float64Array(d * hdim), 0, 1 / Math.sqrt(d)),
    b1: rng.fillNormal(new Float64Array(hdim), 0, 0.1),
    W2: rng.fillNormal(new Float64Array(hdim), 0, 1 / Math.sqrt(hdim)),
  };
  const A = new Float64Array(hdim);
  const net: ParamsLoss = {
    loss(p, g) {
      const W1 = p.W1;
      const b1 = p.b1;
      const W2 = p.W2;
      const gW1 = g.W1;
      const gb1 = g.b1;
      const gW2 = g.W2;
      gW1.fill(0);
      gb1.fill(0);
      gW2.fill(0);
      let L = 0;
      for (let i = 0; i < n; i++) {
        const row = i * d;
        for (let k = 0; k < hdim; k++) A[k] = b1[k];
        // Row-major W1 (d × hdim): the inner loop runs over contiguous entries.
        for (let j = 0; j < d; j++) {
          const xj = X[row + j];
          const off = j * hdim;
          for (let k = 0; k < hdim; k++) A[k] += xj * W1[off + k];
        }
        let out = 0;
        for (let k = 0; k < hdim; k++) {
          const h = A[k] > 0 ? A[k] : 0;
          A[k] = h;
          out += h * W2[k];
        }
        const r = out - Y[i];
        L += 0.5 * r * r;
        const dr = r / n;
        // A now holds the activations; dh is zero where the unit is inactive.
        for (let k = 0; k < hdim; k++) {
          const h = A[k];
          gW2[k] += dr * h;
          const dh = h > 0 ? dr * W2[k] : 0;
          gb1[k] += dh;
          A[k] = dh;
        }
        for (let j = 0; j < d; j++) {
          const xj = X[row + j];
          const off = j * hdim;
          for (let k = 0; k < hdim; k++) gW1[off + k] += xj * A[k];
        }
      }
      return L / n;
    },
  };
  return { net, init };
}

/** Full-batch losses (before each step and after the last) from the rescaled start (cW1, c·b1, W2/c). */
export function rescaledTrajectory(t: GradientTransformation<any>, net: ParamsLoss, init: Params, c: number, steps: number): number[] {
  const params: Params = {
    W1: init.W1.map((v) => c * v),
    b1: init.b1.map((v) => c * v),
    W2: init.W2.map((v) => v / c),
  };
  const g: Params = { W1: new Float64Array(init.W1.length), b1: new Float64Array(init.b1.length), W2: new Float64Array(init.W2.length) };
  const opt = new Optimizer(t, params);
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    losses.push(net.loss(params, g));
    opt.step(g);
  }
  losses.push(net.loss(params, g));
  return losses;
}

/** max over k < `upTo` (default all) of |a_k − b_k| / |a_k|. */
export function maxRelativeDifference(a: number[], b: number[], upTo = a.length): number {
  let m = 0;
  for (let i = 0; i < upTo; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(a[i]));
  return m;
}

/**
 * The float64 predictability horizon of a trajectory: the number of leading entries on which `twin`
 * (the same run from a start perturbed by one ulp) agrees with `a` to a relative `tol`. Late in some
 * draws LAMB's constant relative step makes the dynamics chaotic, and from there on no float64 run
 * reproduces its own trajectory; a comparison of trajectories is decidable only before that.
 */
export function predictableSteps(a: number[], twin: number[], tol: number): number {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - twin[i]) <= tol * Math.abs(a[i]))) return i;
  return a.length;
}

/** `init` with every other entry of W1 moved up by one ulp (relative 2⁻⁵², the size of one rounding). */
function ulpNudged(init: Params): Params {
  return { W1: init.W1.map((v, i) => (i % 2 === 1 ? v * (1 + 2 ** -52) : v)), b1: init.b1.slice(), W2: init.W2.slice() };
}

/** max over steps and tensors of |‖Δw‖/‖w‖ − lr|/lr for LAMB on the ReLU net (params of the given dtype). */
function relativeStepError(net: ParamsLoss, init: Params, f32: boolean, steps: number): number {
  const lr = 0.01;
  const params: Params = {};
  const g: Params = {};
  const g64: Params = {};
  for (const k in init) {
    params[k] = f32 ? Float32Array.from(init[k]) : init[k].slice();
    g[k] = f32 ? new Float32Array(init[k].length) : new Float64Array(init[k].length);
    g64[k] = new Float64Array(init[k].length);
  }
  const t = lamb({ lr, weightDecay: 0.01 });
  const state = t.init(params);
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    const p64: Params = {};
    for (const k in params) p64[k] = Float64Array.from(params[k]);
    net.loss(p64, g64);
    for (const k in g) g[k].set(g64[k]);
    t.update(g, state, params);
    for (const k in params) {
      const rel = tensorNorm(g[k]) / tensorNorm(params[k]);
      worst = Math.max(worst, Math.abs(rel - lr) / lr);
      const p = params[k];
      const u = g[k];
      for (let i = 0; i < p.length; i++) p[i] += u[i];
    }
  }
  return worst;
}

function e1(seed: number): { claims: Claim[]; plot: SeriesPlot; notes: string[] } {
  const { net, init } = reluRegressionNet(seed);
  const steps = 300;
  const cs = [1, 10, 100];
  const exact = cs.map((c) => rescaledTrajectory(lamb({ lr: 0.01, epsilon: 0 }), net, init, c, steps));
  const withEps = cs.map((c) => rescaledTrajectory(lamb({ lr: 0.01, epsilon: 1e-12 }), net, init, c, steps));
  const pow2 = rescaledTrajectory(lamb({ lr: 0.01, epsilon: 0 }), net, init, 1024, steps);
  const adamRuns = cs.map((c) => rescaledTrajectory(adam(3e-3), net, init, c, steps));
  // The chaos control: the c = 1, ε = 0 run from a start nudged by one ulp. Its departure from the
  // c = 1 run is pure float64 rounding amplified by the dynamics; the rescaled runs differ from the
  // c = 1 run by exactly such roundings (c = 10, 100 are not powers of two), so the invariance claims
  // are decided over the steps where this twin still agrees to 1e-13 (rounding amplified < ~10³×).
  const twin = rescaledTrajectory(lamb({ lr: 0.01, epsilon: 0 }), net, ulpNudged(init), 1, steps);
  const horizon = predictableSteps(exact[0], twin, 1e-13);
  const floorAll = maxRelativeDifference(exact[0], twin);
  const dExactAll = Math.max(maxRelativeDifference(exact[0], exact[1]), maxRelativeDifference(exact[0], exact[2]));
  const dEpsAll = Math.max(maxRelativeDifference(withEps[0], withEps[1]), maxRelativeDifference(withEps[0], withEps[2]));
  const dExact = Math.max(maxRelativeDifference(exact[0], exact[1], horizon), maxRelativeDifference(exact[0], exact[2], horizon));
  const dEps = Math.max(maxRelativeDifference(withEps[0], withEps[1], horizon), maxRelativeDifference(withEps[0], withEps[2], horizon));
  const minHorizon = 100;
  const window = horizon === exact[0].length ? `all ${steps} steps` : `steps 0–${horizon - 1} (the 1-ulp twin departs by > 1e-13 at step ${horizon})`;
  const dPow2 = maxRelativeDifference(exact[0], pow2);
  const dAdam = Math.min(maxRelativeDifference(adamRuns[0], adamRuns[1]), maxRelativeDifference(adamRuns[0], adamRuns[2]));
  const step64 = relativeStepError(net, init, false, 20);
  const step32 = relativeStepError(net, init, true, 20);
  // layerAdaptation: false against the AdamW chain, bit for bit.
  const a = rescaledTrajectory(lamb({ lr: 3e-3, weightDecay: 0.01, layerAdaptation: false }), net, init, 1, 50);
  const b = rescaledTrajectory(chain(scaleByAdam({ eps: 1e-6 }), addDecayedWeights(0.01), scaleByLearningRate(3e-3)), net, init, 1, 50);
  const differing = a.filter((v, i) => !Object.is(v, b[i])).length;
  const e = (v: number) => v.toExponential(2);
  const claims: Claim[] = [
    { claim: 'LAMB: ‖Δw‖/‖w‖ = lr for every adapted tensor (float64, 20 steps, relative error)', measured: e(step64), expected: '< 1e-12', pass: step64 < 1e-12, gated: true },
    { claim: 'LAMB: ‖Δw‖/‖w‖ = lr for every adapted tensor (float32 params)', measured: e(step32), expected: '< 1e-5', pass: step32 < 1e-5, gated: true },
    { claim: 'layerAdaptation: false reproduces AdamW exactly (50 steps, losses differing in any bit)', measured: differing, expected: '0', pass: differing === 0, gated: true },
    {
      claim: 'Layer-rescaling invariance, ε = 0: LAMB loss trajectories for c ∈ {1, 10, 100} coincide (300 steps, or up to float64 predictability; max relative difference)',
      measured: `${e(dExact)} over ${window}${horizon === exact[0].length ? '' : `; over all ${steps} steps ${e(dExactAll)}`}, where a 1-ulp nudge of the c = 1 start alone gives ${e(floorAll)}`,
      expected: `< 1e-9 over ≥ ${minHorizon} predictable steps`,
      pass: dExact < 1e-9 && horizon >= minHorizon,
      gated: true,
    },
    {
      claim: 'Layer-rescaling invariance, ε = 1e-12 (max relative difference, same steps)',
      measured: `${e(dEps)} over ${window}${horizon === exact[0].length ? '' : `; over all ${steps} steps ${e(dEpsAll)}`}`,
      expected: `< 1e-4 over ≥ ${minHorizon} predictable steps`,
      pass: dEps < 1e-4 && horizon >= minHorizon,
      gated: true,
    },
    { claim: 'Layer-rescaling invariance for c = 1024 (power of two: exact in floating point)', measured: e(dPow2), expected: '= 0', pass: dPow2 === 0, gated: true },
    { claim: 'Adam (lr 3e-3) is not invariant (min over c = 10, 100 of the max relative difference)', measured: e(dAdam), expected: '> 1e-2', pass: dAdam > 1e-2, gated: true },
  ];
  const xs = exact[0].map((_, i) => i);
  const plot: SeriesPlot = {
    kind: 'series',
    title: 'E1: loss from rescaled starts (cW1, c·b1, W2/c) — LAMB curves coincide, Adam’s do not',
    xLabel: 'step',
    yLabel: 'training loss',
    logY: true,
    series: [
      ...cs.map((c, i) => ({ name: `LAMB c = ${c}`, x: xs, y: exact[i] })),
      ...cs.map((c, i) => ({ name: `Adam c = ${c}`, x: xs, y: adamRuns[i] })),
    ],
  };
  const notes = [
    `E1 final losses: LAMB ${exact.map((t) => t[steps].toFixed(6)).join(' / ')}, Adam ${adamRuns.map((t) => t[steps].toFixed(3)).join(' / ')} for c = 1 / 10 / 100 (card prototype: LAMB 0.128942 for all c; Adam 0.296 / 0.366 / 0.424; different data draw).`,
    'E1 data seed = ctx.seed + 1. In exact arithmetic the invariance holds on every draw (with ε = 0; ε breaks it slightly: the c-rescaled run equals the c = 1 run with ε·c on W1, b1 and ε/c on W2). In float64, c = 10 and 100 add ~1e-16 rounding. Up to step ~150 every draw keeps the ε = 0 runs within ~1e-15 and the ε = 1e-12 runs within ~1e-8 (ε’s own effect; card prototype 2e-6). After step ~200 constant-relative-step LAMB turns chaotic on some draws and amplifies any perturbation by up to ~1e8: a 1-ulp nudge of the c = 1 start then departs just as far as the rescaled runs (ctx.seed 0–15, all 300 steps, ε = 0 rescaled vs 1-ulp twin: seed 9: 2.9e-8 vs 2.8e-8, seed 8: 2.6e-9 vs 1.3e-10, seed 2: 4.1e-11 vs 8.8e-11; rescaled/twin ratio 0.45–33), and the ~1e-8 ε effect is amplified to 4e-3 (seed 2), 6e-3 (8), 0.5 (9), 0.14 (11). Those late differences measure the draw’s chaos, not LAMB’s invariance, so both invariance claims are decided over the steps where the 1-ulp twin still agrees to 1e-13 (all 300 on calm draws, ≥ 150 on every draw of seeds 0–15), and the whole-run numbers are reported beside them. The c = 1024 claim stays exact over all 300 steps on every draw.',
  ];
  return { claims, plot, notes };
}

// ---------------------------------------------------------------------------------------------
// E2: large-batch sweep (tfjs gradients, float32 LAMB/AdamW transforms)

interface E2Config {
  nTrain: number;
  nTest: number;
  epochs: number;
  batches: number[];
  lr128: number[];
}

interface E2Run {
  method: 'LAMB' | 'AdamW';
  batch: number;
  lr128: number;
  accuracy: number[];
  finalLoss: number;
  diverged: boolean;
  ratios: Record<string, { min: number; max: number; median: number; finite: boolean }>;
}

const LAYERS = [20, 128, 128, 5];

async function e2(ctx: ExperimentContext, cfg: E2Config): Promise<{ runs: E2Run[]; backend: string }> {
  const { useBestBackend } = await import('@optkit/core/tf');
  const choice = await useBestBackend();
  const tf = choice.tf;
  const rng = new Rng(ctx.seed + 2);
  // Teacher: 20–32–5 tanh net with N(0, 1/fan_in) weights; labels = argmax of its output.
  const tW1 = rng.fillNormal(new Float64Array(20 * 32), 0, 1 / Math.sqrt(20));
  const tb1 = rng.fillNormal(new Float64Array(32), 0, 0.1);
  const tW2 = rng.fillNormal(new Float64Array(32 * 5), 0, 1 / Math.sqrt(32));
  const n = cfg.nTrain + cfg.nTest;
  const X = rng.fillNormal(new Float32Array(n * 20)) as Float32Array;
  const labels = new Int32Array(n);
  const h = new Float64Array(32);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 32; k++) {
      let a = tb1[k];
      for (let j = 0; j < 20; j++) a += X[i * 20 + j] * tW1[j * 32 + k];
      h[k] = Math.tanh(a);
    }
    let best = 0;
    let bestV = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < 5; c++) {
      let o = 0;
      for (let k = 0; k < 32; k++) o += h[k] * tW2[k * 5 + c];
      if (o > bestV) {
        bestV = o;
        best = c;
      }
    }
    labels[i] = best;
  }
  const xTest = tf.tensor2d(X.subarray(cfg.nTrain * 20), [cfg.nTest, 20]);
  const yTest = labels.subarray(cfg.nTrain);
  const names = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'];
  const shapes: number[][] = [[20, 128], [128], [128, 128], [128], [128, 5], [5]];
  const initRng = new Rng(ctx.seed + 3);
  const init: Params = {};
  names.forEach((name, i) => {
    const s = shapes[i];
    init[name] = s.length === 2 ? initRng.fillNormal(new Float32Array(s[0] * s[1]), 0, Math.sqrt(2 / s[0])) : new Float32Array(s[0]);
  });

  const forward = (ts: Record<string, import('@tensorflow/tfjs').Tensor>, x: import('@tensorflow/tfjs').Tensor) => {
    const a1 = tf.relu(tf.add(tf.matMul(x as never, ts.W1 as never), ts.b1));
    const a2 = tf.relu(tf.add(tf.matMul(a1 as never, ts.W2 as never), ts.b2));
    return tf.add(tf.matMul(a2 as never, ts.W3 as never), ts.b3);
  };

  const runs: E2Run[] = [];
  const total = cfg.batches.length * cfg.lr128.length * 2;
  let done = 0;
  for (const batch of cfg.batches) {
    for (const lr128 of cfg.lr128) {
      for (const method of ['LAMB', 'AdamW'] as const) {
        const peak = lr128 * Math.sqrt(batch / 128);
        const stepsPerEpoch = Math.floor(cfg.nTrain / batch);
        const T = stepsPerEpoch * cfg.epochs;
        const W = Math.max(1, Math.round(0.05 * T));
        const lr = (k: number): number => (k < W ? (peak * (k + 1)) / W : (peak * Math.max(0, T - k)) / (T - W));
        const transform = lamb({ lr, weightDecay: 0.01, layerAdaptation: method === 'LAMB' });
        const params: Params = {};
        const grads: Params = {};
        for (const k of names) {
          params[k] = init[k].slice();
          grads[k] = new Float32Array(init[k].length);
        }
        const state = transform.init(params) as LambState;
        const ratioLog: Record<string, number[]> = {};
        for (const k of names) ratioLog[k] = [];
        const accuracy: number[] = [];
        const xb = new Float32Array(batch * 20);
        const yb = new Int32Array(batch);
        let diverged = false;
        let lastLoss = Number.NaN;
        const permRng = new Rng(ctx.seed + 4);
        for (let epoch = 0; epoch < cfg.epochs && !diverged; epoch++) {
          const perm = permRng.permutation(cfg.nTrain);
          for (let s = 0; s < stepsPerEpoch; s++) {
            for (let r = 0; r < batch; r++) {
              const i = perm[s * batch + r];
              xb.set(X.subarray(i * 20, i * 20 + 20), r * 20);
              yb[r] = labels[i];
            }
            const lossValue = tf.tidy(() => {
              const x = tf.tensor2d(xb, [batch, 20]);
              const y = tf.oneHot(tf.tensor1d(yb, 'int32'), 5);
              const ts = names.map((k, i) => tf.tensor(params[k], shapes[i]));
              const f = (...vs: import('@tensorflow/tfjs').Tensor[]) => {
                const m: Record<string, import('@tensorflow/tfjs').Tensor> = {};
                names.forEach((k, i) => (m[k] = vs[i]));
                return tf.losses.softmaxCrossEntropy(y, forward(m, x)) as import('@tensorflow/tfjs').Scalar;
              };
              const { value, grads: gs } = tf.valueAndGrads(f)(ts);
              names.forEach((k, i) => grads[k].set(gs[i].dataSync() as Float32Array));
              return value.dataSync()[0];
            });
            lastLoss = lossValue;
            if (!Number.isFinite(lossValue)) {
              diverged = true;
              break;
            }
            transform.update(grads, state, params);
            for (const k of names) {
              const p = params[k];
              const u = grads[k];
              for (let i = 0; i < p.length; i++) p[i] += u[i];
            }
            if (method === 'LAMB') {
              const rr = lastTrustRatios(state);
              for (const k of names) ratioLog[k].push(rr[k]);
            }
          }
          const acc = tf.tidy(() => {
            const m: Record<string, import('@tensorflow/tfjs').Tensor> = {};
            names.forEach((k, i) => (m[k] = tf.tensor(params[k], shapes[i])));
            const pred = tf.argMax(forward(m, xTest), 1).dataSync();
            let ok = 0;
            for (let i = 0; i < cfg.nTest; i++) if (pred[i] === yTest[i]) ok++;
            return ok / cfg.nTest;
          });
          accuracy.push(diverged ? Number.NaN : acc);
        }
        const ratios: E2Run['ratios'] = {};
        if (method === 'LAMB') {
          for (const k of names) {
            const v = ratioLog[k].slice().sort((a, b) => a - b);
            ratios[k] = { min: v[0], max: v[v.length - 1], median: v[Math.floor(v.length / 2)], finite: v.every((x) => Number.isFinite(x) && x > 0) };
          }
        }
        runs.push({ method, batch, lr128, accuracy, finalLoss: lastLoss, diverged, ratios });
        done++;
        ctx.progress(0.3 + (0.7 * done) / total, `${method} B=${batch} lr128=${lr128}`);
      }
    }
  }
  xTest.dispose();
  return { runs, backend: choice.backend };
}

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const first = e1(ctx.seed + 1);
  ctx.progress(0.3, 'E1 done');
  const cfg: E2Config = ctx.quick
    ? { nTrain: 4_096, nTest: 1_024, epochs: 3, batches: [128, 1024], lr128: [1e-2] }
    : { nTrain: 20_000, nTest: 5_000, epochs: 12, batches: [128, 1024, 8192], lr128: [3e-3, 1e-2] };
  const { runs, backend } = await e2(ctx, cfg);
  const best = (method: string, batch: number): E2Run =>
    runs
      .filter((r) => r.method === method && r.batch === batch)
      .reduce((a, b) => ((b.accuracy[b.accuracy.length - 1] ?? 0) > (a.accuracy[a.accuracy.length - 1] ?? 0) ? b : a));
  const finalAcc = (r: E2Run) => r.accuracy[r.accuracy.length - 1];
  const bSmall = cfg.batches[0];
  const bLarge = cfg.batches[cfg.batches.length - 1];
  const lambDrop = finalAcc(best('LAMB', bSmall)) - finalAcc(best('LAMB', bLarge));
  const adamDrop = finalAcc(best('AdamW', bSmall)) - finalAcc(best('AdamW', bLarge));
  const gaps = cfg.batches.map((b) => finalAcc(best('LAMB', b)) - finalAcc(best('AdamW', b)));
  const lambDiverged = runs.filter((r) => r.method === 'LAMB' && r.diverged).length;
  const ratiosOk = runs.filter((r) => r.method === 'LAMB').every((r) => Object.values(r.ratios).every((s) => s.finite));
  const pts = (v: number) => `${(100 * v).toFixed(1)} pts`;
  const claims: Claim[] = [
    ...first.claims,
    {
      claim: `E2: LAMB holds its accuracy from batch ${bSmall} to ${bLarge} (sqrt lr scaling) where AdamW with the same scaling degrades: accuracy drop LAMB vs AdamW`,
      measured: `${pts(lambDrop)} vs ${pts(adamDrop)}`,
      expected: 'LAMB drop <= AdamW drop (report only: the card expects LAMB ≈ AdamW at this scale)',
      pass: lambDrop <= adamDrop,
      gated: false,
    },
    {
      claim: 'E2: LAMB ≈ AdamW at every batch size (best lr each; LAMB − AdamW test accuracy)',
      measured: cfg.batches.map((b, i) => `B=${b}: ${gaps[i] >= 0 ? '+' : ''}${pts(gaps[i])}`).join(', '),
      expected: 'within ±2 points (report only)',
      pass: gaps.every((g) => Math.abs(g) <= 0.02),
      gated: false,
    },
    {
      claim: 'E2: LAMB does not diverge at any sqrt-scaled lr',
      measured: `${lambDiverged} of ${runs.filter((r) => r.method === 'LAMB').length} runs diverged`,
      expected: '0 (report only)',
      pass: lambDiverged === 0,
      gated: false,
    },
    {
      claim: 'E2: LAMB trust ratios ρ per layer stay finite and positive over training',
      measured: ratiosOk ? 'all finite and > 0' : 'non-finite or non-positive ratio seen',
      expected: 'finite and > 0',
      pass: ratiosOk,
      gated: true,
    },
  ];
  const accPlot: SeriesPlot = {
    kind: 'series',
    title: 'E2: test accuracy per epoch (best lr₁₂₈ per method and batch size)',
    xLabel: 'epoch',
    yLabel: 'test accuracy',
    series: cfg.batches.flatMap((b) =>
      (['LAMB', 'AdamW'] as const).map((m) => {
        const r = best(m, b);
        return { name: `${m} B=${b} (lr₁₂₈ ${r.lr128})`, x: r.accuracy.map((_, i) => i + 1), y: r.accuracy };
      }),
    ),
  };
  const ratioRows: (string | number)[][] = [];
  for (const r of runs.filter((x) => x.method === 'LAMB')) {
    for (const [layer, s] of Object.entries(r.ratios)) ratioRows.push([r.batch, r.lr128, layer, s.min.toPrecision(3), s.median.toPrecision(3), s.max.toPrecision(3)]);
  }
  return {
    claims,
    plots: [first.plot, accPlot],
    tables: [
      {
        title: `E2: final test accuracy (teacher–student 20–128–128–5 ReLU MLP, ${cfg.nTrain} samples, ${cfg.epochs} epochs, λ = 0.01, warm-up 5% + linear decay, lr = lr₁₂₈·√(B/128))`,
        columns: ['method', 'batch', 'lr128', 'test accuracy', 'final train loss', 'diverged'],
        rows: runs.map((r) => [r.method, r.batch, r.lr128, finalAcc(r).toFixed(4), r.finalLoss.toFixed(4), r.diverged ? 'yes' : 'no']),
      },
      { title: 'E2: LAMB trust ratio ρ per layer over training (min / median / max)', columns: ['batch', 'lr128', 'layer', 'min', 'median', 'max'], rows: ratioRows },
    ],
    notes: [
      ...first.notes,
      `E2 computes gradients with TensorFlow.js (${backend} backend) and applies the float32 LAMB / AdamW transforms of @optkit/optim; AdamW is lamb({layerAdaptation: false}), which equals the AdamW chain bit for bit (claim above), so both methods share moments, ε = 1e-6 and λ placement.`,
      'Biases start at zero, so they get ρ = 1 (a plain AdamW step) on the first step (lamb.md §7).',
      ctx.quick
        ? 'Quick mode: 4096 samples, 3 epochs, batch 128 and 1024, lr₁₂₈ = 1e-2 only (a smoke run of E2; its report-only numbers say little at 12 steps for batch 1024; see the full run).'
        : 'Full mode uses 20k training samples (lion.md E2’s size) instead of lamb.md’s 60k: the 20–128–128–5 MLP costs ~118 kFLOP per sample per step and tfjs-wasm reaches ~4 GFLOP/s on these small matmuls here, so 60k × 12 epochs × 12 runs would take 6–15 minutes on this 2-core machine.',
    ],
  };
}

export const lambExperiment: ExperimentEntry = {
  id: 'lamb-large-batch',
  card: 'lamb',
  title: 'LAMB: relative steps, layer-rescaling invariance, and a large-batch sweep against AdamW',
  paper: {
    title: 'Large Batch Optimization for Deep Learning: Training BERT in 76 minutes',
    authors: 'Y. You, J. Li, S. Reddi, J. Hseu, S. Kumar, S. Bhojanapalli, X. Song, J. Demmel, K. Keutzer, C.-J. Hsieh',
    year: 2020,
    arxiv: '1904.00962',
    venue: 'ICLR 2020',
  },
  run,
};
