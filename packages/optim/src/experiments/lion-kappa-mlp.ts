/**
 * lion-kappa.md E2 (tfjs): the teacher–student MLP of lion.md E2 (20–128–128–5 ReLU student, softmax
 * cross-entropy, batch 64, 5% warm-up + linear decay) trained with Lion-ℓp (`OptkitLionKappa`,
 * per-tensor norms), p ∈ {1, 1.25, 1.5, 2}, λ ∈ {0.3, 1, 3}.
 *
 * Gate (i): for every weight tensor W the violation v_t = max(0, ‖W‖_q − 1/λ) (1/p + 1/q = 1) obeys
 * v_{t+1} ≤ (1 − lr_t·λ)·v_t + 1e-6 at every step, and once v_t = 0 it stays 0 (the ball is invariant).
 * Exact for norm-type 𝒦 since ‖∇𝒦‖_q = 1; the 1e-6 absorbs float32 rounding. Reported, not gated:
 * (ii) loss curves vs λ (the paper: a stronger bound speeds up early progress at some cost in final
 * loss), (iii) test accuracy vs p.
 */
import { Rng, throwIfAborted, type Claim, type ExperimentEntry, type SeriesPlot, type Table } from '@optkit/core';
import { teacherStudentData } from './lion.js';

type Tf = typeof import('@tensorflow/tfjs');

const paper = {
  title: 'Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts',
  authors: 'L. Chen, B. Liu, K. Liang, Q. Liu',
  year: 2024,
  venue: 'ICLR 2024',
  arxiv: '2310.05898',
};

/** ‖x‖_q in float64 (q = ∞ for p = 1). */
export function dualNorm(x: ArrayLike<number>, p: number): number {
  if (p === 1) {
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
    return m;
  }
  const q = p / (p - 1);
  let s = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]));
  if (scale === 0) return 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] / scale) ** q;
  return scale * s ** (1 / q);
}

interface RunOutcome {
  p: number;
  lambda: number;
  lossPerEpoch: number[];
  testAccuracy: number;
  /** Worst excess over the bound, max over steps and tensors of v_{t+1} − (1 − lr_t λ)v_t. */
  worstExcess: number;
  /** Violations that reappeared after reaching 0 (count of (tensor, step) pairs). */
  reentries: number;
  initialViolation: number;
  finalViolation: number;
}

export const lionKappaMlpExperiment: ExperimentEntry = {
  id: 'lion-kappa-mlp',
  card: 'lion-kappa',
  title: 'Lion-ℓp on a tfjs MLP: weights driven into and kept in the ‖W‖_q ≤ 1/λ ball',
  paper,
  async run(ctx) {
    const { useBestBackend } = await import('@optkit/core/tf');
    const tf: Tf = (await useBestBackend()).tf;
    const { OptkitLionKappa } = await import('../tf/lion-kappa.js');
    const ps = ctx.quick ? [1, 1.5] : [1, 1.25, 1.5, 2];
    const lambdas = ctx.quick ? [0.3, 3] : [0.3, 1, 3];
    const trainSize = ctx.quick ? 1024 : 5000;
    const testSize = ctx.quick ? 1000 : 2000;
    const epochs = ctx.quick ? 2 : 10;
    const batchSize = 64;
    const lr = 1e-3;
    const rng = new Rng(ctx.seed + 1000);
    const teacher = {
      W1: rng.fillNormal(new Float64Array(20 * 32), 0, 1 / Math.sqrt(20)) as Float64Array,
      b1: rng.fillNormal(new Float64Array(32), 0, 0.1) as Float64Array,
      W2: rng.fillNormal(new Float64Array(32 * 5), 0, 1 / Math.sqrt(32)) as Float64Array,
      b2: rng.fillNormal(new Float64Array(5), 0, 0.1) as Float64Array,
    };
    const train = teacherStudentData(trainSize, rng, teacher);
    const test = teacherStudentData(testSize, rng, teacher);
    const shapes = [[20, 128], [128], [128, 128], [128], [128, 5], [5]];
    const init = [
      rng.fillNormal(new Float32Array(20 * 128), 0, Math.sqrt(2 / 20)) as Float32Array,
      new Float32Array(128),
      rng.fillNormal(new Float32Array(128 * 128), 0, Math.sqrt(2 / 128)) as Float32Array,
      new Float32Array(128),
      rng.fillNormal(new Float32Array(128 * 5), 0, Math.sqrt(2 / 128)) as Float32Array,
      new Float32Array(5),
    ];
    const xTrain = tf.tensor2d(train.x, [trainSize, 20]);
    const yTrain = tf.oneHot(tf.tensor1d(train.y, 'int32'), 5);
    const xTest = tf.tensor2d(test.x, [testSize, 20]);
    const yTest = tf.tensor1d(test.y, 'int32');
    const outcomes: RunOutcome[] = [];
    const jobs = ps.flatMap((p) => lambdas.map((lambda) => ({ p, lambda })));
    try {
      for (let j = 0; j < jobs.length; j++) {
        const { p, lambda } = jobs[j];
        throwIfAborted(ctx.signal, 'lion-kappa-mlp');
        const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
        const opt = new OptkitLionKappa({ learningRate: lr, weightDecay: lambda, kappa: 'lp', p });
        const forward = (x: import('@tensorflow/tfjs').Tensor2D) => {
          const h1 = tf.relu(tf.add(tf.matMul(x, vars[0] as never), vars[1]));
          const h2 = tf.relu(tf.add(tf.matMul(h1 as never, vars[2] as never), vars[3]));
          return tf.add(tf.matMul(h2 as never, vars[4] as never), vars[5]);
        };
        const radius = 1 / lambda;
        let violation = vars.map((v) => Math.max(0, dualNorm(v.dataSync(), p) - radius));
        const initialViolation = Math.max(...violation);
        const reachedZero = violation.map((v) => v === 0);
        let worstExcess = -Infinity;
        let reentries = 0;
        const stepsPerEpoch = Math.floor(trainSize / batchSize);
        const total = stepsPerEpoch * epochs;
        const warm = Math.max(1, Math.round(0.05 * total));
        const order = new Rng(ctx.seed + 7);
        const lossPerEpoch: number[] = [];
        let step = 0;
        try {
          for (let e = 0; e < epochs; e++) {
            const perm = tf.tensor1d(order.permutation(trainSize), 'int32');
            const xs = tf.gather(xTrain, perm);
            const ys = tf.gather(yTrain, perm);
            perm.dispose();
            let lossSum = 0;
            for (let b = 0; b < stepsPerEpoch; b++) {
              const lrStep = step < warm ? (lr * (step + 1)) / warm : (lr * (total - step)) / (total - warm);
              opt.learningRate = lrStep;
              const loss: import('@tensorflow/tfjs').Scalar = tf.tidy(() => {
                const xb = tf.slice(xs, [b * batchSize, 0], [batchSize, 20]) as import('@tensorflow/tfjs').Tensor2D;
                const yb = tf.slice(ys, [b * batchSize, 0], [batchSize, 5]);
                return opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)) as import('@tensorflow/tfjs').Scalar, true, vars)!;
              });
              lossSum += loss.dataSync()[0];
              loss.dispose();
              for (let k = 0; k < vars.length; k++) {
                const next = Math.max(0, dualNorm(vars[k].dataSync(), p) - radius);
                worstExcess = Math.max(worstExcess, next - (1 - lrStep * lambda) * violation[k]);
                if (reachedZero[k] && next > 1e-6) reentries++;
                if (next === 0) reachedZero[k] = true;
                violation[k] = next;
              }
              step++;
            }
            xs.dispose();
            ys.dispose();
            lossPerEpoch.push(lossSum / stepsPerEpoch);
          }
          const acc = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forward(xTest), 1), yTest), 'float32')).dataSync()[0]);
          outcomes.push({ p, lambda, lossPerEpoch, testAccuracy: acc, worstExcess, reentries, initialViolation, finalViolation: Math.max(...violation) });
        } finally {
          opt.dispose();
          for (const v of vars) v.dispose();
        }
        ctx.progress((j + 1) / jobs.length, `Lion-ℓp p = ${p}, λ = ${lambda}`);
      }
    } finally {
      for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
    }
    const worst = Math.max(...outcomes.map((o) => o.worstExcess));
    const reentries = outcomes.reduce((s, o) => s + o.reentries, 0);
    const shrinking = outcomes.filter((o) => o.initialViolation > 0);
    const claims: Claim[] = [
      {
        claim: `every weight tensor: v_{t+1} ≤ (1 − lr_t·λ)·v_t + 1e-6 at every step (max excess over ${outcomes.length} runs)`,
        measured: Number(worst.toExponential(3)),
        expected: '<= 1e-6',
        pass: worst <= 1e-6,
        gated: true,
      },
      { claim: 'once a tensor is inside the ball it stays inside (re-entries after v = 0)', measured: reentries, expected: '= 0', pass: reentries === 0, gated: true },
      {
        claim: 'runs that start outside the ball end with a smaller violation',
        measured: `${shrinking.filter((o) => o.finalViolation < o.initialViolation).length}/${shrinking.length}`,
        expected: 'all',
        pass: shrinking.every((o) => o.finalViolation < o.initialViolation),
        gated: true,
      },
    ];
    const midP = ps.includes(1.5) ? 1.5 : ps[0];
    const plots: SeriesPlot[] = [
      {
        kind: 'series',
        title: `Training loss vs epoch for λ (Lion-ℓp, p = ${midP}) — report only`,
        xLabel: 'epoch',
        yLabel: 'mean training loss',
        series: outcomes.filter((o) => o.p === midP).map((o) => ({ name: `λ = ${o.lambda}`, x: o.lossPerEpoch.map((_, i) => i + 1), y: o.lossPerEpoch })),
      },
    ];
    const tables: Table[] = [
      {
        title: 'Lion-ℓp on the teacher–student MLP (test accuracy and constraint violation)',
        columns: ['p', 'λ', 'test accuracy', 'final loss', 'initial max violation', 'final max violation', 'max bound excess'],
        rows: outcomes.map((o) => [o.p, o.lambda, Number(o.testAccuracy.toFixed(4)), Number(o.lossPerEpoch[o.lossPerEpoch.length - 1].toFixed(4)), Number(o.initialViolation.toFixed(4)), Number(o.finalViolation.toFixed(4)), Number(o.worstExcess.toExponential(2))]),
      },
    ];
    return {
      claims,
      plots,
      tables,
      notes: [
        `Sizes: ${trainSize} training and ${testSize} test samples, ${epochs} epochs, lr ${lr} with 5% warm-up and linear decay (scaled down from lion.md E2's 20k samples × 30 epochs to keep the 12-run grid within a few minutes).`,
        'Loss vs λ and accuracy vs p are reported, not gated, as the card says.',
      ],
    };
  },
};
