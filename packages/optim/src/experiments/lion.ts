/**
 * lion.md validation experiments.
 *
 * - `lion-known-answers` (E1, gating, float64 and tfjs): the one-step formula, the 3-step hand
 *   trajectory with β₁ = 0.5, β₂ = 0.9 and a zero gradient entry, |Δθ| = lr exactly, and the box
 *   behaviour (Lion-𝒦 view: ‖x‖∞ ≤ 1/λ at every step and convergence to the box-constrained optimum
 *   within 1.5·lr, judged on the median over the last 1/lr steps of the O(lr) chatter).
 * - `lion-vs-adamw` (E2, tfjs): teacher–student classification, inputs x ~ N(0, I₂₀), labels = argmax
 *   of a fixed random 20–32–5 tanh teacher; a 20–128–128–5 ReLU MLP (softmax cross-entropy) trained on
 *   20k samples for 30 epochs, batch 64, 5% linear warm-up then linear decay to 0. Grids: AdamW lr ∈
 *   {1e-3, 3e-3, 1e-2, 3e-2} with λ = 0.1, Lion lr ∈ {1e-4, 3e-4, 1e-3, 3e-3} with λ = 1 (same lr·λ).
 *   Claims: best Lion test accuracy within ±2 points of best AdamW; Lion's best lr 3–10× below
 *   AdamW's (lrs within one standard error of the top accuracy count as best: on a 3× grid a 0.15-point
 *   near-tie otherwise decides the ratio); Lion's optimizer state is half of AdamW's (getWeights()
 *   tensors, `iter` excluded).
 *   Report-only: the paper's "Lion's gain grows with batch size" (batch 1024, same epochs).
 */
import {
  Optimizer,
  Rng,
  throwIfAborted,
  type Claim,
  type ExperimentContext,
  type ExperimentEntry,
  type ExperimentResult,
  type SeriesPlot,
  type Table,
} from '@optkit/core';
import { lion } from '../lion.js';
import { boxProjection, boxQuadratic, projectedGradient, runKappa } from './lion-kappa.js';

const PAPER = {
  title: 'Symbolic Discovery of Optimization Algorithms',
  authors: 'X. Chen, C. Liang, D. Huang, E. Real, K. Wang, Y. Liu, H. Pham, X. Dong, T. Luong, C.-J. Hsieh, Y. Lu, Q. V. Le',
  year: 2023,
  arxiv: '2302.06675',
  venue: 'NeurIPS 2023',
};

type Tf = typeof import('@tensorflow/tfjs');

async function loadTf(): Promise<Tf> {
  const { useBestBackend } = await import('@optkit/core/tf');
  return (await useBestBackend()).tf;
}

// ---------------------------------------------------------------------------------------------
// E1

export const lionKnownAnswersExperiment: ExperimentEntry = {
  id: 'lion-known-answers',
  card: 'lion',
  title: 'Lion known answers: first step, hand trajectory, |Δθ| = lr, box behaviour (float64 and tfjs)',
  paper: PAPER,
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const claims: Claim[] = [];
    const plots: SeriesPlot[] = [];
    const tf = await loadTf();
    const { OptkitLion } = await import('../tf/lion.js');
    // One step from m = 0.
    {
      const theta0 = [0.7, -1.3, 2.0, 0.25];
      const g = [0.4, 2.5, -1e-3, 0];
      const lr = 0.01;
      const wd = 0.3;
      const sign = [1, 1, -1, 0];
      const x = new Float64Array(theta0);
      const opt = new Optimizer(lion({ lr, weightDecay: wd }), x);
      opt.step(new Float64Array(g));
      let err64 = 0;
      let errM = 0;
      const mu = (opt.state as unknown as { mu: { x: Float64Array } }).mu.x;
      for (let i = 0; i < 4; i++) {
        err64 = Math.max(err64, Math.abs(x[i] - ((1 - lr * wd) * theta0[i] - lr * sign[i])));
        errM = Math.max(errM, Math.abs(mu[i] - (1 - 0.99) * g[i]));
      }
      const v = tf.variable(tf.tensor1d(theta0));
      const gt = tf.tensor1d(g);
      const topt = new OptkitLion({ learningRate: lr, weightDecay: wd });
      topt.applyGradients([{ name: v.name, tensor: gt }]);
      const xt = v.dataSync();
      let err32 = 0;
      for (let i = 0; i < 4; i++) err32 = Math.max(err32, Math.abs(xt[i] - ((1 - lr * wd) * theta0[i] - lr * sign[i])));
      v.dispose();
      gt.dispose();
      topt.dispose();
      claims.push(
        { claim: 'float64: one step from m = 0 gives θ₁ = (1 − lrλ)θ₀ − lr·sign(g₁) and m = (1 − β₂)g₁', measured: Math.max(err64, errM), expected: '<= 1e-15', pass: err64 <= 1e-15 && errM <= 1e-15, gated: true },
        { claim: 'tfjs (float32): the same one step', measured: err32, expected: '<= 1e-6', pass: err32 <= 1e-6, gated: true },
      );
    }
    // 3-step hand trajectory (β₁ 0.5, β₂ 0.9, lr 0.1, λ 0.1; hand values in lion.test.ts).
    {
      const grads = [
        [0.5, -1, 0],
        [-2, 0.5, 0],
        [0.1, 0.2, 0],
      ];
      const expected = [1.071289, -2.041588, 0.4851495];
      const x = new Float64Array([1, -2, 0.5]);
      const opt = new Optimizer(lion({ lr: 0.1, beta1: 0.5, beta2: 0.9, weightDecay: 0.1 }), x);
      for (const g of grads) opt.step(new Float64Array(g));
      const err64 = Math.max(...expected.map((e, i) => Math.abs(x[i] - e)));
      const v = tf.variable(tf.tensor1d([1, -2, 0.5]));
      const topt = new OptkitLion({ learningRate: 0.1, beta1: 0.5, beta2: 0.9, weightDecay: 0.1 });
      for (const g of grads) {
        const gt = tf.tensor1d(g);
        topt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
      }
      const xt = v.dataSync();
      const err32 = Math.max(...expected.map((e, i) => Math.abs(xt[i] - e)));
      v.dispose();
      topt.dispose();
      claims.push({
        claim: '3-step hand trajectory (β₁ = 0.5, β₂ = 0.9, zero gradient entry): float64 / tfjs',
        measured: `${err64.toExponential(1)} / ${err32.toExponential(1)}`,
        expected: '<= 1e-14 / <= 1e-6',
        pass: err64 <= 1e-14 && err32 <= 1e-6,
        gated: true,
      });
    }
    // |Δθ| = lr exactly with λ = 0.
    {
      const lr = 1e-3;
      const n = 1000;
      const rng = new Rng(ctx.seed);
      const x = rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
      const prev = new Float64Array(n);
      const opt = new Optimizer(lion({ lr }), x);
      let worst64 = 0;
      const v = tf.variable(tf.tensor1d(Float32Array.from(x)));
      const topt = new OptkitLion({ learningRate: lr });
      let worst32 = 0;
      for (let t = 0; t < 20; t++) {
        const g = rng.fillNormal(new Float64Array(n)) as Float64Array;
        prev.set(x);
        opt.step(g.slice());
        for (let i = 0; i < n; i++) if (x[i] !== prev[i]) worst64 = Math.max(worst64, Math.abs(Math.abs(x[i] - prev[i]) - lr) / lr);
        const before = v.dataSync().slice();
        const gt = tf.tensor1d(Float32Array.from(g));
        topt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
        const after = v.dataSync();
        for (let i = 0; i < n; i++) if (after[i] !== before[i]) worst32 = Math.max(worst32, Math.abs(Math.abs(after[i] - before[i]) - lr) / lr);
      }
      v.dispose();
      topt.dispose();
      claims.push(
        { claim: 'λ = 0: every nonzero |θ_t − θ_{t−1}| equals lr (float64, relative error)', measured: worst64, expected: '< 1e-12', pass: worst64 < 1e-12, gated: true },
        { claim: 'λ = 0: the same in float32 (tfjs; |θ| ≤ 1, lr = 1e-3)', measured: worst32, expected: '< 2e-3', pass: worst32 < 2e-3, gated: true },
      );
    }
    ctx.progress(0.3, 'box behaviour');
    // Box behaviour.
    {
      const p = boxQuadratic(ctx.seed);
      const xBox = projectedGradient(p, boxProjection(1));
      const series: SeriesPlot['series'] = [];
      for (const lr of ctx.quick ? [1e-2] : [1e-2, 1e-3]) {
        // Lion chatters at O(lr) around x*_box, so the gate is the median distance over the last 1/lr
        // steps (as in lion-kappa-constrained); the final iterate, one sample of the chatter, is reported.
        const run = runKappa(p, { kappa: 'sign', lr, weightDecay: 1 }, Math.round(50 / lr), new Float64Array(p.d), xBox, 'sign', 1, ctx.signal, Math.round(1 / lr));
        const dist = run.trace.dist[run.trace.dist.length - 1];
        const tail = run.tailDist.slice().sort((a, b) => a - b);
        const tailMedian = tail[tail.length >> 1];
        claims.push(
          { claim: `box (d = 50, λ = 1, lr ${lr}): max_i |x_i| ≤ 1/λ at every step`, measured: run.maxViolation, expected: '<= 1e-12', pass: run.maxViolation <= 1e-12, gated: true },
          {
            claim: `box (lr ${lr}): ‖x_t − x*_box‖∞ ≤ 1.5·lr in the chatter regime — median over the last 1/lr of 50/lr steps`,
            measured: `${tailMedian.toPrecision(3)} (max ${tail[tail.length - 1].toPrecision(3)})`,
            expected: `<= ${1.5 * lr}`,
            pass: tailMedian <= 1.5 * lr,
            gated: true,
          },
          { claim: `box (lr ${lr}): ‖x − x*_box‖∞ of the final iterate after 50/lr steps ≤ 1.5·lr (one sample of the chatter, report only)`, measured: dist, expected: `<= ${1.5 * lr}`, pass: dist <= 1.5 * lr, gated: false },
        );
        series.push({ name: `Lion lr ${lr}`, x: run.trace.step, y: run.trace.dist.map((d) => Math.max(d, 1e-16)) });
      }
      plots.push({ kind: 'series', title: 'Lion with λ = 1 converges to the box-constrained optimum (‖x − x*_box‖∞)', xLabel: 'step', yLabel: '‖x − x*_box‖∞', logY: true, series });
    }
    ctx.progress(1);
    return {
      claims,
      plots,
      notes: [
        'The box claims reuse lion-kappa-constrained\'s problem (seeded by the run seed) and its gate: the median of ‖x_t − x*_box‖∞ over the last 1/lr steps, since the final iterate is one sample of Lion\'s O(lr) chatter (it exceeded 1.5·lr at seed 4 while the tail median did not); see that experiment\'s note.',
        'tfjs runs on the backend useBestBackend picks (wasm here). The wasm Sign kernel returns 0 for |x| ≤ 2^-23; OptkitLion scales c by 2^64 before sign to avoid it.',
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// E2

export interface TeacherStudentOptions {
  /** Training samples (default 20 000). */
  trainSize?: number;
  /** Test samples (default 5000). */
  testSize?: number;
  /** Epochs (default 30). */
  epochs?: number;
  /** Batch size (default 64). */
  batchSize?: number;
  seed?: number;
}

/** The teacher–student data: x ~ N(0, I₂₀), y = argmax(W₂ᵀ tanh(W₁ᵀx + b₁) + b₂), 20–32–5 teacher. */
export function teacherStudentData(n: number, rng: Rng, teacher: { W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: Float64Array }) {
  const x = new Float32Array(n * 20);
  const y = new Int32Array(n);
  const h = new Float64Array(32);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < 20; j++) x[s * 20 + j] = rng.normal();
    for (let k = 0; k < 32; k++) {
      let z = teacher.b1[k];
      for (let j = 0; j < 20; j++) z += x[s * 20 + j] * teacher.W1[j * 32 + k];
      h[k] = Math.tanh(z);
    }
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < 5; c++) {
      let z = teacher.b2[c];
      for (let k = 0; k < 32; k++) z += h[k] * teacher.W2[k * 5 + c];
      if (z > bestV) {
        bestV = z;
        best = c;
      }
    }
    y[s] = best;
  }
  return { x, y };
}

export interface TrainRun {
  optimizer: 'lion' | 'adamw';
  lr: number;
  batchSize: number;
  /** Test accuracy after each epoch. */
  testAccuracy: number[];
  final: number;
  /** Number of optimizer state tensors (getWeights() minus `iter`) and their total size. */
  stateTensors: number;
  stateSize: number;
}

/** Trains the 20–128–128–5 student with one optimizer and lr; returns per-epoch test accuracy. */
async function trainStudent(
  tf: Tf,
  data: { xTrain: Float32Array; yTrain: Int32Array; xTest: Float32Array; yTest: Int32Array },
  init: Float32Array[],
  which: 'lion' | 'adamw',
  lr: number,
  epochs: number,
  batchSize: number,
  seed: number,
  signal?: AbortSignal,
): Promise<TrainRun> {
  const { OptkitLion } = await import('../tf/lion.js');
  const { OptkitAdamW } = await import('../tf/adamw.js');
  const shapes = [
    [20, 128],
    [128],
    [128, 128],
    [128],
    [128, 5],
    [5],
  ];
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
  const nTrain = data.yTrain.length;
  const xTrain = tf.tensor2d(data.xTrain, [nTrain, 20]);
  const yTrain = tf.oneHot(tf.tensor1d(data.yTrain, 'int32'), 5);
  const xTest = tf.tensor2d(data.xTest, [data.yTest.length, 20]);
  const yTestT = tf.tensor1d(data.yTest, 'int32');
  const opt = which === 'lion' ? new OptkitLion({ learningRate: lr, weightDecay: 1.0 }) : new OptkitAdamW({ learningRate: lr, weightDecay: 0.1 });
  const forward = (x: import('@tensorflow/tfjs').Tensor2D) => {
    const h1 = tf.relu(tf.add(tf.matMul(x, vars[0] as never), vars[1]));
    const h2 = tf.relu(tf.add(tf.matMul(h1 as never, vars[2] as never), vars[3]));
    return tf.add(tf.matMul(h2 as never, vars[4] as never), vars[5]);
  };
  const stepsPerEpoch = Math.floor(nTrain / batchSize);
  const total = stepsPerEpoch * epochs;
  const warm = Math.max(1, Math.round(0.05 * total));
  const rng = new Rng(seed);
  const testAccuracy: number[] = [];
  let step = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      if (signal) throwIfAborted(signal, 'lion-vs-adamw');
      const perm = tf.tensor1d(rng.permutation(nTrain), 'int32');
      const xs = tf.gather(xTrain, perm);
      const ys = tf.gather(yTrain, perm);
      perm.dispose();
      for (let b = 0; b < stepsPerEpoch; b++) {
        // 5% linear warm-up to the peak, then linear decay to 0 at the last step.
        opt.learningRate = step < warm ? (lr * (step + 1)) / warm : (lr * (total - step)) / (total - warm);
        tf.tidy(() => {
          const xb = tf.slice(xs, [b * batchSize, 0], [batchSize, 20]) as import('@tensorflow/tfjs').Tensor2D;
          const yb = tf.slice(ys, [b * batchSize, 0], [batchSize, 5]);
          opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)) as import('@tensorflow/tfjs').Scalar, false, vars);
        });
        step++;
      }
      xs.dispose();
      ys.dispose();
      const acc = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forward(xTest), 1), yTestT), 'float32')).dataSync()[0]);
      testAccuracy.push(acc);
    }
    const weights = await opt.getWeights();
    const state = weights.slice(1);
    const stateSize = state.reduce((s, w) => s + w.tensor.size, 0);
    weights[0].tensor.dispose();
    return { optimizer: which, lr, batchSize, testAccuracy, final: testAccuracy[testAccuracy.length - 1], stateTensors: state.length, stateSize };
  } finally {
    opt.dispose();
    for (const t of [...vars, xTrain, yTrain, xTest, yTestT]) t.dispose();
  }
}

export interface TeacherStudentResult {
  runs: TrainRun[];
  claims: Claim[];
  plots: SeriesPlot[];
  tables: Table[];
}

export const LION_GRID = [1e-4, 3e-4, 1e-3, 3e-3];
export const ADAMW_GRID = [1e-3, 3e-3, 1e-2, 3e-2];

/** Runs the E2 grid at `batchSize` (and, with `largeBatch`, the report-only batch-1024 comparison). */
export async function teacherStudent(
  options: TeacherStudentOptions & { largeBatch?: number; signal?: AbortSignal; progress?: (f: number, m?: string) => void } = {},
): Promise<TeacherStudentResult> {
  const tf = await loadTf();
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize ?? 20_000;
  const testSize = options.testSize ?? 5000;
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 64;
  const rng = new Rng(seed + 1000);
  const teacher = {
    W1: rng.fillNormal(new Float64Array(20 * 32), 0, 1 / Math.sqrt(20)) as Float64Array,
    b1: rng.fillNormal(new Float64Array(32), 0, 0.1) as Float64Array,
    W2: rng.fillNormal(new Float64Array(32 * 5), 0, 1 / Math.sqrt(32)) as Float64Array,
    b2: rng.fillNormal(new Float64Array(5), 0, 0.1) as Float64Array,
  };
  const train = teacherStudentData(trainSize, rng, teacher);
  const test = teacherStudentData(testSize, rng, teacher);
  const data = { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y };
  // He-normal student initialisation, the same for every run; zero biases.
  const init = [
    rng.fillNormal(new Float32Array(20 * 128), 0, Math.sqrt(2 / 20)) as Float32Array,
    new Float32Array(128),
    rng.fillNormal(new Float32Array(128 * 128), 0, Math.sqrt(2 / 128)) as Float32Array,
    new Float32Array(128),
    rng.fillNormal(new Float32Array(128 * 5), 0, Math.sqrt(2 / 128)) as Float32Array,
    new Float32Array(5),
  ];
  const runs: TrainRun[] = [];
  const jobs: { which: 'lion' | 'adamw'; lr: number; batch: number }[] = [
    ...LION_GRID.map((lr) => ({ which: 'lion' as const, lr, batch: batchSize })),
    ...ADAMW_GRID.map((lr) => ({ which: 'adamw' as const, lr, batch: batchSize })),
  ];
  if (options.largeBatch) {
    for (const lr of LION_GRID) jobs.push({ which: 'lion', lr, batch: options.largeBatch });
    for (const lr of ADAMW_GRID) jobs.push({ which: 'adamw', lr, batch: options.largeBatch });
  }
  for (let j = 0; j < jobs.length; j++) {
    const { which, lr, batch } = jobs[j];
    runs.push(await trainStudent(tf, data, init, which, lr, epochs, batch, seed + 7, options.signal));
    options.progress?.((j + 1) / jobs.length, `${which} lr ${lr} batch ${batch}`);
  }
  const best = (which: 'lion' | 'adamw', batch: number) =>
    runs.filter((r) => r.optimizer === which && r.batchSize === batch).reduce((a, b) => (b.final > a.final ? b : a));
  const bl = best('lion', batchSize);
  const ba = best('adamw', batchSize);
  const gap = bl.final - ba.final;
  const lrRatio = ba.lr / bl.lr;
  // "Best lr" on a 3×-spaced grid is only defined up to the test set's sampling noise: lrs whose
  // accuracy is within one binomial standard error of the best (√(a(1−a)/n), about 0.5–0.8 points
  // here) are tied with it. The lr claim holds when some tied Lion lr and some tied AdamW lr are 3–10×
  // apart. (Seed 5, quick: Lion 1e-3 at 85.35% and 3e-3 at 85.2% — 0.15 points apart — decided
  // between a 30× and a 10× ratio.)
  const tiedLrs = (which: 'lion' | 'adamw', top: TrainRun) => {
    const se = Math.sqrt((top.final * (1 - top.final)) / testSize);
    return runs.filter((r) => r.optimizer === which && r.batchSize === batchSize && r.final >= top.final - se).map((r) => r.lr);
  };
  const lionTied = tiedLrs('lion', bl);
  const adamwTied = tiedLrs('adamw', ba);
  const tiedRatios = adamwTied.flatMap((a) => lionTied.map((l) => a / l));
  const tiedPass = tiedRatios.some((r) => r >= 3 - 1e-9 && r <= 10 + 1e-9);
  const claims: Claim[] = [
    { claim: `best Lion test accuracy within ±2 points of best AdamW (batch ${batchSize})`, measured: `${(100 * bl.final).toFixed(1)}% vs ${(100 * ba.final).toFixed(1)}% (${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(1)} points)`, expected: '|difference| <= 2 points', pass: Math.abs(gap) <= 0.02, gated: true },
    {
      claim: "Lion's best lr is 3–10× smaller than AdamW's (best: within one standard error of the top test accuracy)",
      measured: `argmax ${ba.lr} / ${bl.lr} = ${Number(lrRatio.toPrecision(3))}×; tied AdamW lrs {${adamwTied.join(', ')}}, tied Lion lrs {${lionTied.join(', ')}}`,
      expected: 'some tied pair in [3, 10]',
      pass: tiedPass,
      gated: true,
    },
    {
      claim: "Lion's optimizer state is half of AdamW's (getWeights() tensors without iter)",
      measured: `${bl.stateTensors} vs ${ba.stateTensors} tensors (${bl.stateSize} vs ${ba.stateSize} values)`,
      expected: 'ratio 0.5',
      pass: bl.stateTensors * 2 === ba.stateTensors && bl.stateSize * 2 === ba.stateSize,
      gated: true,
    },
  ];
  if (options.largeBatch) {
    const bl2 = best('lion', options.largeBatch);
    const ba2 = best('adamw', options.largeBatch);
    const gap2 = bl2.final - ba2.final;
    claims.push({
      claim: `paper: Lion's gain over AdamW grows with batch size (batch ${options.largeBatch} vs ${batchSize}); report only, did not reproduce in the card's prototype`,
      measured: `gain ${(100 * gap).toFixed(1)} points at batch ${batchSize}, ${(100 * gap2).toFixed(1)} at ${options.largeBatch} (Lion ${(100 * bl2.final).toFixed(1)}% at lr ${bl2.lr}, AdamW ${(100 * ba2.final).toFixed(1)}% at lr ${ba2.lr})`,
      expected: `gain at ${options.largeBatch} > gain at ${batchSize}`,
      pass: gap2 > gap,
      gated: false,
    });
  }
  const curve = (r: TrainRun) => ({ name: `${r.optimizer === 'lion' ? 'Lion' : 'AdamW'} lr ${r.lr} (batch ${r.batchSize})`, x: r.testAccuracy.map((_, i) => i + 1), y: r.testAccuracy });
  const plots: SeriesPlot[] = [
    { kind: 'series', title: `Teacher–student test accuracy per epoch, best lr of each (batch ${batchSize})`, xLabel: 'epoch', yLabel: 'test accuracy', series: [curve(bl), curve(ba)] },
    {
      kind: 'series',
      title: 'Final test accuracy against learning rate',
      xLabel: 'learning rate',
      yLabel: 'test accuracy',
      logX: true,
      mark: 'point',
      series: [...new Set(runs.map((r) => `${r.optimizer}|${r.batchSize}`))].map((key) => {
        const rs = runs.filter((r) => `${r.optimizer}|${r.batchSize}` === key);
        return { name: `${rs[0].optimizer === 'lion' ? 'Lion' : 'AdamW'} batch ${rs[0].batchSize}`, x: rs.map((r) => r.lr), y: rs.map((r) => r.final) };
      }),
    },
  ];
  const tables: Table[] = [
    {
      title: 'Teacher–student grid (final test accuracy)',
      columns: ['optimizer', 'batch', 'lr', 'weight decay', 'test accuracy'],
      rows: runs.map((r) => [r.optimizer, r.batchSize, r.lr, r.optimizer === 'lion' ? 1 : 0.1, Number(r.final.toFixed(4))]),
    },
  ];
  return { runs, claims, plots, tables };
}

export const lionVsAdamwExperiment: ExperimentEntry = {
  id: 'lion-vs-adamw',
  card: 'lion',
  title: 'Lion vs AdamW on teacher–student classification (tfjs): accuracy, best lr, state size',
  paper: PAPER,
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const settings = ctx.quick ? { trainSize: 4000, testSize: 2000, epochs: 6 } : { trainSize: 20_000, testSize: 5000, epochs: 30, largeBatch: 1024 };
    const r = await teacherStudent({ ...settings, batchSize: 64, seed: ctx.seed, signal: ctx.signal, progress: ctx.progress });
    return {
      claims: r.claims,
      plots: r.plots,
      tables: r.tables,
      notes: [
        `Setting: ${settings.trainSize} training / ${settings.testSize} test samples, ${settings.epochs} epochs, batch 64, 5% warm-up + linear decay${ctx.quick ? ' (quick mode: reduced from the card\'s 20k samples and 30 epochs; the batch-size comparison runs only in full mode)' : ''}.`,
        'Card prototype (numpy): Lion 0.822 vs AdamW 0.810; at batch 1024 Lion 0.705 vs AdamW 0.763 (the paper\'s batch-size gain did not reproduce at this scale).',
      ],
    };
  },
};
