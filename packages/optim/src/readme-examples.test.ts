/**
 * The examples of packages/optim/README.md, run as tests so the README cannot drift from the code.
 * Each `it` holds one README example (imports from the public surface, as a user would write them)
 * with a light known-answer assertion. When you change an example in the README, change it here too.
 */
import { DenseMatrix, Rng, Optimizer, diagonalOperator, localExecutor, minimize, poisson2d, quadraticObjective, sgd, type Params } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  AlfLbBalancer,
  MfacInverse,
  bcd,
  bcdShardJob,
  fixedPartition,
  forestPartition,
  leastSquaresProblem,
  maxViolation,
  moeRouteJob,
  quadraticProblem,
  runBcdDriver,
  runMoe,
  freezeInitialZeros,
  syntheticColumns,
  adahessian,
  adamw,
  adamwStep,
  batchHessianTopEigen,
  batchPerceptron,
  centralDifferenceHvp,
  constraintViolation,
  hessianDiagonalStats,
  lamb,
  lambStep,
  createParallelOptimizer,
  lanczos,
  lars,
  lastIterateBound,
  lastTrustRatios,
  lion,
  lionKappa,
  lionStep,
  logisticGD,
  marginOf,
  mfac,
  normalizedLogisticGD,
  plugin,
  refineSchedule,
  scaleLr,
  slq,
  slqLearner,
  spectralDensity,
  stepSchedule,
} from './index.js';
import { OptkitAdamW, OptkitLion, OptkitLionKappa, OptkitTfOptimizer, checkTfOption, type VariableStep } from './tf/index.js';

describe('README examples', () => {
  it('lion', () => {
    const w = new Float64Array([1, -2, 0.5]);
    const opt = new Optimizer(lion({ lr: 0.1 }), w);
    opt.step(new Float64Array([0.3, -0.001, 0])); // overwrites its argument
    expect(Array.from(w)).toEqual([0.9, -1.9, 0.5]); // θ − lr·sign(g): every moving coordinate moves by lr

    // The in-place kernel (what the optim.step benchmark times): θ, m ← step(θ, g, m)
    const theta = new Float32Array([1, -1]);
    const m = new Float32Array(2);
    lionStep(theta, new Float32Array([2, -3]), m, { lr: 1e-2, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
    expect(theta[0]).toBeCloseTo(0.99, 6);
    expect(theta[1]).toBeCloseTo(-0.99, 6);
    expect(m[0]).toBeCloseTo(0.02, 6); // m = (1 − β₂)·g
    expect(m[1]).toBeCloseTo(-0.03, 6);
  });

  it('adamw', () => {
    const params: Params = { w: new Float64Array([1, 1]), b: new Float64Array([1]) };
    const opt = new Optimizer(adamw({ lr: 0.1, weightDecay: 0.01, mask: (name) => name !== 'b' }), params);
    opt.step({ w: new Float64Array([2, -2]), b: new Float64Array([5]) });
    // First step: m̂/(√v̂ + ε) ≈ sign(g); decay λθ on w only
    expect(params.w[0]).toBeCloseTo(1 - 0.1 * (1 + 0.01), 6); // 0.899
    expect(params.w[1]).toBeCloseTo(1 - 0.1 * (-1 + 0.01), 6); // 1.099
    expect(params.b[0]).toBeCloseTo(0.9, 6);

    const theta = new Float64Array([1]);
    const m = new Float64Array(1);
    const v = new Float64Array(1);
    adamwStep(theta, new Float64Array([2]), m, v, { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 });
    expect(theta[0]).toBeCloseTo(0.899, 6);
  });

  it('lion-kappa', () => {
    // min ½‖x − a‖² subject to ‖x‖₂ ≤ 1/λ: Lion-𝒦 with 𝒦 = ‖·‖₂ and λ = 1
    const a = new Float64Array([3, 4]);
    const x = new Float64Array(2);
    const opt = new Optimizer(lionKappa({ kappa: 'l2', lr: 0.01, weightDecay: 1 }), x);
    for (let t = 0; t < 2000; t++) opt.step(Float64Array.from(x, (xi, i) => xi - a[i]));
    expect(x[0]).toBeCloseTo(0.6, 5); // x* = a/‖a‖ = [0.6, 0.8], on the ball's boundary
    expect(x[1]).toBeCloseTo(0.8, 5);
    expect(constraintViolation(x, 'l2', 1)).toBeLessThanOrEqual(1e-12);

    // 𝒦 = ‖·‖₁ (Lion itself): the box ‖x‖∞ ≤ 1/λ
    const y = new Float64Array(2);
    const box = new Optimizer(lionKappa({ kappa: 'sign', lr: 0.01, weightDecay: 1 }), y);
    for (let t = 0; t < 5000; t++) box.step(Float64Array.from(y, (yi, i) => yi - [3, -0.5][i]));
    expect(Math.abs(y[0] - 1)).toBeLessThanOrEqual(0.015); // x* = clip(a, −1, 1) = [1, −0.5], within 1.5·lr
    expect(Math.abs(y[1] + 0.5)).toBeLessThanOrEqual(0.015);
    expect(constraintViolation(y, 'sign', 1)).toBe(0);
  });

  it('lamb', () => {
    const params: Params = { w: new Float64Array([3, 4]), b: new Float64Array([0]) };
    const opt = new Optimizer(lamb({ lr: 0.01, weightDecay: 0.01, excludeFromWeightDecay: (n) => n === 'b' }), params);
    opt.step({ w: new Float64Array([1, -1]), b: new Float64Array([0.5]) });
    const ratios = lastTrustRatios(opt.state); // ρ per tensor: { w: ≈ 3.5, b: 1 }
    expect(ratios.b).toBe(1); // excluded from layer adaptation (it follows excludeFromWeightDecay)
    expect(ratios.w).toBeGreaterThan(3);
    const dw = Math.hypot(params.w[0] - 3, params.w[1] - 4);
    expect(dw / 5).toBeCloseTo(0.01, 12); // ‖Δw‖/‖w‖ = lr
  });

  it('lambStep', () => {
    const theta = new Float32Array([3, 4]), m = new Float32Array(2), v = new Float32Array(2), u = new Float32Array(2);
    const rho = lambStep(theta, new Float32Array([1, -1]), m, v, u, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0, step: 1 });
    expect(rho).toBeCloseTo(5 / Math.SQRT2, 4); // ‖θ‖/‖u‖ with u ≈ [1, −1]
    expect(Math.hypot(theta[0] - 3, theta[1] - 4)).toBeCloseTo(0.05, 6); // lr·‖θ‖ (float32)
  });

  it('ParallelOptimizer', async () => {
    const opt = await createParallelOptimizer({ kind: 'adamw', threads: 2, params: { w: new Float32Array([1, -2, 0.5, 3]) }, lr: 0.1, weightDecay: 0 });
    try {
      opt.grads.w.set([1, -1, 0, 2]);
      opt.step();
      expect(Array.from(opt.params.w, (x) => Math.round(x * 1e5) / 1e5)).toEqual([0.9, -1.9, 0.5, 2.9]);
    } finally {
      opt.dispose();
    }
  }, 30_000);

  it('lars', () => {
    const params: Params = { w: new Float64Array([3, 4]) };
    const opt = new Optimizer(lars({ lr: 0.1, weightDecay: 0 }), params);
    opt.step({ w: new Float64Array([0.6, 0.8]) });
    const [larsState] = opt.state;
    expect(larsState.ratios.w).toBeCloseTo(5e-3, 15); // τ = η‖w‖/‖g‖ = 1e-3·5/1
    expect(params.w[0]).toBeCloseTo(3 - 0.1 * 5e-3 * 0.6, 15); // first step: w − lr·τ·g
    expect(params.w[1]).toBeCloseTo(4 - 0.1 * 5e-3 * 0.8, 15);
  });

  it('adahessian', () => {
    // f(x) = ½xᵀAx − bᵀx with a badly scaled diagonal A; minimize passes ctx.hvp from f.hvp
    const f = quadraticObjective(DenseMatrix.diag([1, 100]), new Float64Array([1, 1]));
    const r = minimize(f, new Float64Array(2), adahessian(), { maxIter: 500, tol: 1e-8 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6); // x* = A⁻¹b = [1, 0.01]
    expect(r.x[1]).toBeCloseTo(0.01, 8);

    // With an Optimizer: give step an HVP at the current parameters
    const x = new Float64Array(2);
    const opt = new Optimizer(adahessian({ lr: 0.15 }), x);
    const hvp = centralDifferenceHvp((z, out) => f.grad(z, out), x); // H·v from two gradients
    for (let t = 0; t < 200; t++) opt.step(f.grad(x), { hvp: (v, out) => void hvp(v.x as Float64Array, out.x as Float64Array) });
    const stats = hessianDiagonalStats(opt.state); // mean/min |D̄|, hvpCalls
    expect(stats.hvpCalls).toBe(200);
    expect(stats.min).toBeCloseTo(1, 4); // Hutchinson is exact for a diagonal H: D̄ = [1, 100]
    expect(x[1]).toBeCloseTo(0.01, 4);
  });

  it('mfac', () => {
    const Finv = new MfacInverse(2, 2, { damp: 1 }); // window m = 2, d = 2: F = λI + (1/m)Σ gᵢgᵢᵀ
    Finv.push(new Float64Array([2, 0])); // F = I + [[4, 0], [0, 0]]/2 = diag(3, 1)
    expect(Array.from(Finv.apply(new Float64Array([3, 1])))).toEqual([1, 1]);

    const w = new Float64Array([1, 1]);
    const opt = new Optimizer(mfac({ lr: 1e-3, ngrads: 16 }), w);
    opt.step(new Float64Array([3, 4])); // first step: −lr·g/(λ + ‖g‖²/m), the natural-gradient scale
    expect(w[0]).toBeCloseTo(1 - (1e-3 * 3) / (1e-5 + 25 / 16), 12);
    expect(w[1]).toBeCloseTo(1 - (1e-3 * 4) / (1e-5 + 25 / 16), 12);
  });

  it('mfac sparse', () => {
    const params: Params = { w: new Float64Array([0.5, 0, -1, 0]) }; // a pruned layer: zeros stay zeros
    const opt = new Optimizer(mfac({ lr: 1e-2, ngrads: 8, sparse: true }), params);
    for (let t = 0; t < 5; t++) opt.step({ w: new Float64Array([1, 2, -1, 3]) });
    expect(params.w[1]).toBe(0);
    expect(params.w[3]).toBe(0);
    expect(params.w[0]).toBeLessThan(0.5);
    expect(typeof freezeInitialZeros().update).toBe('function'); // the building block, first in any chain
  });

  it('bcd', () => {
    const { columns, b } = syntheticColumns(300, 1000, { seed: 1 }); // the card's problem A (scaled), sparse columns
    const problem = leastSquaresProblem(columns, b); // f(x) = ½‖Ax − b‖²; also logisticProblem, softmaxProblem, quadraticProblem
    const x0 = new Float64Array(1000);
    const greedy = bcd(problem, x0, { rule: 'gsq', update: 'matrix', blockSize: 5, maxIter: 500 }); // the defaults
    const cyclic = bcd(problem, x0, { rule: 'cyclic', update: 'lipschitz', maxIter: 500 });
    const random = bcd(problem, x0, { rule: 'random', update: 'lipschitz', maxIter: 500 });
    expect(greedy.history.length).toBe(501);
    expect(greedy.reason).toBe('maxIter');
    expect(greedy.fx).toBeLessThan(1); // ≈ 0.65, from f(0) ≈ 7.3e5
    expect(cyclic.fx).toBeGreaterThan(900); // ≈ 1003
    expect(random.fx).toBeGreaterThan(cyclic.fx); // ≈ 4375

    const blocks = fixedPartition(problem.lipschitz, 5, 'sort'); // the paper's "FB" partition
    expect(blocks.length).toBe(200);

    // Graph partitions of a sparse quadratic: forest blocks are solved exactly by message passing
    const Q = poisson2d(10); // ½xᵀQx − cᵀx on a 10×10 lattice
    const quad = quadraticProblem(Q, new Float64Array(100).fill(1));
    expect(forestPartition(Q).length).toBe(2); // two forests cover the lattice
    const forest = bcd(quad, new Float64Array(100), { partition: 'forest', maxIter: 200 }); // cyclic, exact-forest
    const redblack = bcd(quad, new Float64Array(100), { partition: 'redblack', maxIter: 200 });
    expect(forest.fx).toBeLessThan(redblack.fx);
  });

  it('bcd driver on localExecutor', async () => {
    const config = { problem: { kind: 'least-squares', rows: 200, cols: 100, seed: 1 }, shards: 2, blockSize: 5, maxIter: 30 };
    const one = await runBcdDriver(config, localExecutor([bcdShardJob])); // what `optkit cluster run bcd` runs
    const four = await runBcdDriver({ ...config, shards: 4 }, localExecutor([bcdShardJob]));
    expect(one.iterations).toBe(30);
    expect(one.objective[30]).toBeLessThan(one.objective[0]);
    expect(Array.from(four.x)).toEqual(Array.from(one.x)); // same answer on any topology
  });

  it('alf-lb', async () => {
    const E = 8, K = 2, T = 512;
    const bal = new AlfLbBalancer({ numExperts: E, topK: K, updateRate: 1e-2 });
    const rng = new Rng(0);
    const scores = new Float32Array(T * E);
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    let first = 0, last = 0;
    for (let step = 0; step < 300; step++) {
      for (let t = 0; t < T; t++) for (let i = 0; i < E; i++) scores[t * E + i] = sigmoid(rng.normal() + (i < 2 ? 1 : 0)); // experts 0, 1 popular
      const { counts } = bal.route(scores, T); // top-K of s + b; gate weights from s alone
      const { maxVio } = bal.update(counts); // b_i += u·sign(mean(c) − c_i)
      if (step === 0) first = maxVio;
      last = maxVio;
    }
    expect(first).toBeGreaterThan(1); // 2 of 8 experts get most tokens
    expect(last).toBeLessThan(0.25);
    expect(bal.bias[0]).toBeLessThan(bal.bias[7]); // overloaded experts get a lower bias
    expect(maxViolation([2, 2, 2, 2])).toBe(0);

    const res = await runMoe({ steps: 20, tokens: 256, shards: 2, numExperts: 8, topK: 2 }, localExecutor([moeRouteJob]));
    expect(res.maxVio.length).toBe(20);
    expect(res.bias[0].length).toBe(8);
  });

  it('refined schedules', () => {
    // Constant gradient norms: the refined schedule is linear decay exactly
    const flat = refineSchedule(new Float64Array(101).fill(1), { tau: 0 });
    expect(flat.values[0]).toBe(1);
    expect(flat.values[50]).toBeCloseTo(0.5, 12);
    expect(flat.values[100]).toBe(0);

    // Large early norms give an emergent warm-up
    const norms = Float64Array.from({ length: 200 }, (_, t) => 1 + 10 * Math.exp(-t / 10));
    const { schedule, warmupSteps } = refineSchedule(norms);
    expect(warmupSteps).toBeGreaterThan(0);
    expect(schedule(warmupSteps)).toBe(1);
    const opt = sgd((t) => 0.1 * schedule(t)); // peak lr × multiplier
    expect(typeof opt.update).toBe('function');

    const decayed = stepSchedule(100); // ×0.1 at 50% and 75% of T
    expect(decayed(49)).toBe(1);
    expect(decayed(75)).toBeCloseTo(0.01, 15);
    const G = new Float64Array(100).fill(1);
    const linear = Float64Array.from({ length: 100 }, (_, t) => 1 - t / 100);
    expect(lastIterateBound(linear, G)).toBeLessThan(lastIterateBound(new Float64Array(100).fill(1), G));
  });

  it('lanczos and slq', () => {
    const d = Float64Array.from({ length: 100 }, (_, i) => i + 1); // spectrum 1..100
    const A = diagonalOperator(d);
    const r = lanczos(A, { steps: 30, seed: 0 });
    expect(r.ritzValues[r.iterations - 1]).toBeCloseTo(100, 2); // 99.9994: extreme Ritz values converge first
    expect(r.ritzValues[0]).toBeCloseTo(1, 2); // 1.0006

    const s = slq({ dim: 100, hvp: (v, out) => A.apply(v, out) }, { steps: 30, probes: 10 });
    expect(s.lambdaMax).toBeCloseTo(100, 2);
    const { grid, density } = spectralDensity(s);
    let integral = 0;
    for (let i = 1; i < grid.length; i++) integral += 0.5 * (density[i] + density[i - 1]) * (grid[i] - grid[i - 1]);
    expect(integral).toBeCloseTo(1, 3);
  });

  it('batch size', () => {
    expect(scaleLr(0.1, 128, 1024)).toBeCloseTo(0.8, 15); // linear rule (SGD)
    expect(scaleLr(1e-3, 128, 1024, { rule: 'sqrt' })).toBeCloseTo(1e-3 * Math.sqrt(8), 15); // Adam, LAMB, Lion
    expect(scaleLr(0.1, 128, 4096, { criticalBatch: 512 })).toBeCloseTo(0.4, 15); // saturates at B*

    const h = Float64Array.from({ length: 50 }, (_, i) => 1 + i / 10); // H = diag(1, 1.1, .., 5.9)
    const hvp = (v: Float64Array, out: Float64Array) => {
      for (let i = 0; i < 50; i++) out[i] = h[i] * v[i];
    };
    expect(batchHessianTopEigen(hvp, 50)).toBeCloseTo(5.9, 3); // 20 Lanczos steps: 5.89987

    // The SLQ learner: α = c/λ̂max and heavy ball ρ = 0.9, refreshed every 50 steps from ctx.hvp
    const x = new Float64Array(50).fill(1);
    const opt = new Optimizer(slqLearner({ every: 50 }), x);
    for (let t = 0; t < 300; t++) {
      opt.step(Float64Array.from(x, (xi, i) => h[i] * xi), { hvp: (v, out) => hvp(v.x as Float64Array, out.x as Float64Array) });
    }
    const state = opt.state;
    expect(state.lambdaMax).toBeCloseTo(5.9, 3);
    expect(state.lr).toBeCloseTo((1 / state.lambdaMax) * (1 - 0.9), 15); // α(1 − ρ), α = c/λ̂max, c = 1
    expect(state.history.length).toBe(6);
    expect(Math.max(...Array.from(x, Math.abs))).toBeLessThan(1e-3); // the minimiser is 0
  });

  it('normalized LR+GD', () => {
    const A = DenseMatrix.fromRows([[2, 1], [1, 3], [-1, -2], [-3, -1], [0.5, 0.2]]);
    const y = new Float64Array([1, 1, -1, -1, 1]);
    const data = { A, y }; // A: DenseMatrix or CsrMatrix; labels ±1
    const r = normalizedLogisticGD(data); // γ = 1, ∇f/‖∇f‖₂
    expect(r.separated).toBe(true);
    expect(r.reason).toBe('converged');
    expect(marginOf(data, r.x)).toBeGreaterThan(0);
    expect(logisticGD(data, { gamma: 100 }).separated).toBe(true);
    expect(batchPerceptron(data).separated).toBe(true);
  });

  it('plugin ids', () => {
    expect(plugin.experiments!.map((e) => e.id)).toEqual([
      'adahessian-vs-adam',
      'lamb-large-batch',
      'mfac-optimizer',
      'refined-schedules',
      'batch-size-lr',
      'normalized-lr-gd',
      'lion-known-answers',
      'lion-vs-adamw',
      'lion-kappa-constrained',
      'lion-kappa-mlp',
      'alf-lb',
      'bcd',
    ]);
    expect(plugin.jobs!.map((j) => j.id)).toEqual(['moe.route', 'bcd.shard']);
    expect(plugin.drivers!.map((d) => d.id)).toEqual(['moe', 'bcd']);
    expect(plugin.benchmarks!.map((b) => b.id)).toEqual(['optim.step']);
  });

  it('tfjs: OptkitLion in model.compile, saved with its optimizer', async () => {
    await useBestBackend(); // tfjs-node-gpu > tfjs-node > wasm > cpu
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' }));
    model.compile({ optimizer: new OptkitLion({ learningRate: 1e-2, weightDecay: 0.1 }), loss: 'meanSquaredError' });
    const xs = tf.tensor2d([[1, 0], [0, 1], [1, 1], [2, 1]]);
    const ys = tf.tensor2d([[1], [-1], [0], [1]]);
    const h = await model.fit(xs, ys, { epochs: 20, batchSize: 4, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0]);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true }, // saves [iter, ...m] after the weights
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.optimizer).toBeInstanceOf(OptkitLion); // registered as 'optkit.Lion'
    expect(loaded.optimizer.iterations).toBe(20);
    await loaded.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 }); // resumes with the restored m

    for (const m of [model, loaded]) {
      m.optimizer.dispose();
      m.dispose();
    }
    tf.dispose([xs, ys]);
  });
  it('tfjs: OptkitLionKappa and excludeFromWeightDecay', async () => {
    await useBestBackend();
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' }));
    const opt = new OptkitLionKappa({ kappa: 'l2', learningRate: 0.05, weightDecay: 1, excludeFromWeightDecay: ['bias'] });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const xs = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const ys = tf.tensor2d([[3], [4], [7]]);
    await model.fit(xs, ys, { epochs: 200, batchSize: 3, verbose: 0 });
    const kernel = model.getWeights()[0].dataSync();
    expect(Math.hypot(kernel[0], kernel[1])).toBeLessThanOrEqual(1 + 0.05); // ‖θ‖₂ ≤ 1/λ (kernel only)
    expect(opt.getConfig().excludeFromWeightDecay).toEqual(['bias']);

    const lion = new OptkitLion({ learningRate: 1e-4, weightDecay: 0.1, excludeFromWeightDecay: ['bias', 'LayerNorm'] });
    const adamw = new OptkitAdamW({ weightDecay: 0.01, excludeFromWeightDecay: ['bias$'] });
    expect(lion.getConfig().excludeFromWeightDecay).toEqual(['bias', 'LayerNorm']);
    expect(adamw.getConfig().excludeFromWeightDecay).toEqual(['bias$']);
    for (const o of [lion, adamw]) o.dispose();
    model.optimizer.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  });
  it('tfjs: a new optimizer on OptkitTfOptimizer', async () => {
    await useBestBackend();
    /** SGD with heavy-ball momentum: m ← μm + g, θ ← θ − lr·m. */
    class MySgdm extends OptkitTfOptimizer {
      static get className() {
        return 'my.Sgdm'; // globally unique serialization name
      }
      learningRate: number;
      readonly momentum: number;
      constructor(config: { learningRate?: number; momentum?: number } = {}) {
        super(['m']); // one slot variable 'm' per model variable
        this.learningRate = checkTfOption(config.learningRate ?? 1e-2, 'learningRate', 'MySgdm', { min: 0 });
        this.momentum = checkTfOption(config.momentum ?? 0.9, 'momentum', 'MySgdm', { min: 0, max: 1, maxExclusive: true });
      }
      protected applyToVariable({ variable, gradient, slots: [m] }: VariableStep): void {
        const mNew = tf.add(tf.mul(m, this.momentum), gradient); // runs inside tf.tidy
        m.assign(mNew);
        variable.assign(tf.sub(variable, tf.mul(mNew, this.learningRate)));
      }
      getConfig() {
        return { learningRate: this.learningRate, momentum: this.momentum };
      }
    }
    tf.serialization.registerClass(MySgdm);

    const x = tf.variable(tf.tensor1d([1, 2]));
    const opt = new MySgdm({ learningRate: 0.01 });
    const g = tf.tensor1d([1, 1]);
    opt.applyGradients({ [x.name]: g }); // m = 1, x = [0.99, 1.99]
    opt.applyGradients({ [x.name]: g }); // m = 1.9, x = [0.971, 1.971]
    const xs = x.dataSync();
    expect(xs[0]).toBeCloseTo(0.971, 6);
    expect(xs[1]).toBeCloseTo(1.971, 6);
    expect((await opt.getWeights()).map((w) => w.name)).toEqual(['iter', `${x.name}/m`]);
    opt.dispose();
    tf.dispose([x, g]);
  });
});
