/**
 * The examples of packages/core/README.md, run as tests so the README cannot drift from the code.
 * Each `it` holds one README example (imports from the public surface, as a user would write them)
 * with a light assertion. When you change an example in the README, change it here too.
 */
import { describe, expect, it } from 'vitest';
import {
  CsrMatrix,
  DenseMatrix,
  OptkitError,
  Optimizer,
  Registry,
  Rng,
  SimdArena,
  adam,
  addDecayedWeights,
  applyUpdates,
  aslinearoperator,
  axpy,
  chain,
  checkGradient,
  checkHvp,
  clipByGlobalNorm,
  constantSchedule,
  coordinate,
  definePlugin,
  dot,
  frameToFloat64,
  functionOperator,
  gemm,
  getKernels,
  identityOperator,
  joinSchedules,
  linspace,
  localExecutor,
  loadDigits,
  loadPlugin,
  minimize,
  nrm2,
  parseLibsvm,
  parseNumericCsv,
  poisson1d,
  poisson2d,
  poisson2dStencil,
  productOperator,
  quadraticObjective,
  randomSparse,
  randomSpd,
  readMatrixMarket,
  rosenbrock,
  runReference,
  scaleByAdam,
  scaleByLearningRate,
  scaledOperator,
  setKernels,
  sgd,
  simdAvailable,
  sumOperator,
  toFrame,
  toCsv,
  trainTestSplit,
  transposeOperator,
  tsKernels,
  warmup,
  warmupCosineSchedule,
  writeLibsvm,
  writeMatrixMarket,
  zeros,
  type KernelSet,
  type Objective,
  type Params,
} from './index.js';
import { CONFORMANCE_TESTS, conformanceTarget, runConformanceProblem, type ConformanceCase } from './testing/index.js';
import { useBestBackend } from './tf/index.js';

describe('README examples', () => {
  it('vectors (BLAS-1)', () => {
    const x = linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
    const y = zeros(5);
    axpy(2, x, y); // y ← 2x + y, in place
    expect(dot(x, y)).toBe(3.75);
    expect(nrm2(new Float64Array([3e200, 4e200]))).toBeCloseTo(5e200, -190); // no overflow
  });

  it('WebAssembly SIMD kernels', () => {
    const arena = new SimdArena(3 * 1000);
    const v = arena.alloc(1000).fill(1);
    const w = arena.alloc(1000).fill(2);
    expect(arena.axpyDot(-0.5, v, w, v)).toBe(1500);
    expect(arena.dot(v, w)).toBe(1500);
    expect(simdAvailable()).toBe(arena.simd);
  });

  it('dense matrices and decompositions', () => {
    const A = DenseMatrix.fromRows([
      [4, 1],
      [1, 3],
    ]);
    const x = A.solve(new Float64Array([1, 2])); // LU with partial pivoting: [1/11, 7/11]
    const L = A.cholesky(); // A = L·Lᵀ
    const { values } = A.symmetricEigen(); // ascending
    const { s } = DenseMatrix.random(5, 3, { seed: 1 }).svd(); // thin SVD: U 5×3, s, V 3×3
    const AAt = A.mul(A.transpose()); // blocked GEMM through the kernel set

    // The same product on raw row-major storage: C ← α·op(A)·op(B) + β·C (BLAS dgemm)
    const C = new Float64Array(4);
    gemm(false, true, 2, 2, 2, 1, A.data, 2, A.data, 2, 0, C, 2);

    expect(x[0]).toBeCloseTo(1 / 11, 14);
    expect(x[1]).toBeCloseTo(7 / 11, 14);
    expect(L.mul(L.transpose()).get(0, 1)).toBeCloseTo(1, 14);
    expect(values[0]).toBeLessThan(values[1]);
    expect(s.length).toBe(3);
    expect(Array.from(C)).toEqual(Array.from(AAt.data));
  });

  it('swapping the kernel set', () => {
    let gemmCalls = 0;
    const openblas: KernelSet = {
      ...tsKernels, // keep what you don't replace
      name: 'openblas',
      gemm(...args) {
        gemmCalls++;
        tsKernels.gemm(...args); // here: call your N-API dgemm binding
      },
    };
    const previous = setKernels(openblas); // once, at start-up
    try {
      DenseMatrix.identity(3).mul(DenseMatrix.identity(3)); // runs openblas.gemm
      expect(getKernels().name).toBe('openblas');
    } finally {
      setKernels(previous);
    }
    expect(gemmCalls).toBe(1);
    expect(getKernels()).toBe(tsKernels);
  });

  it('CSR matrices', () => {
    // (row, col, value) triplets, any order; duplicates are summed as in scipy's coo_matrix.tocsr()
    const A = CsrMatrix.fromCoo(3, 3, [0, 0, 1, 2, 2], [0, 2, 1, 0, 0], [1, 2, 3, 4, 5]);
    const ones = new Float64Array([1, 1, 1]);
    expect(A.nnz).toBe(4);
    expect(Array.from(A.spmv(ones))).toEqual([3, 3, 9]); // row sums
    expect(Array.from(A.transpose().spmv(ones))).toEqual([10, 3, 2]); // column sums
    const out = new Float64Array(3);
    A.spmvT(ones, out); // Aᵀ·x into a preallocated vector
    expect(Array.from(out)).toEqual([10, 3, 2]);
  });

  it('Matrix Market', () => {
    const text = writeMatrixMarket(poisson1d(4), { symmetric: true, comment: 'tridiag(-1, 2, -1)' });
    const mm = readMatrixMarket(text);
    expect(mm.kind).toBe('coordinate');
    expect(mm.symmetry).toBe('symmetric');
    if (mm.kind === 'coordinate') expect(mm.matrix.nnz).toBe(10); // the mirrored upper triangle is back
  });

  it('linear operators', () => {
    const A = aslinearoperator(
      DenseMatrix.fromRows([
        [1, 2],
        [3, 4],
      ]),
    );
    const D = functionOperator(2, 2, (x, out) => {
      out[0] = 2 * x[0];
      out[1] = 3 * x[1];
    });
    const op = sumOperator(productOperator(A, D), scaledOperator(-1, identityOperator(2))); // A·D − I
    expect(Array.from(op.apply(new Float64Array([1, 1])))).toEqual([7, 17]);
    expect(Array.from(transposeOperator(A).apply(new Float64Array([1, 0])))).toEqual([1, 2]);
  });

  it('test problems', () => {
    const A = poisson2d(32); // 1024×1024 CsrMatrix, 5-point Laplacian
    const S = poisson2dStencil(32); // the same operator, matrix-free
    const x = new Float64Array(A.cols);
    new Rng(0).fillNormal(x);
    expect(Array.from(S.apply(x))).toEqual(Array.from(A.spmv(x))); // bit-identical

    const { matrix, eigenvalues } = randomSpd(50, 1e3, { seed: 1 }); // κ₂ = 1000
    const R = randomSparse(1000, 1000, 0.01, { spd: true, seed: 2 }); // symmetric, diagonally dominant
    expect(matrix.rows).toBe(50);
    expect(eigenvalues[49] / eigenvalues[0]).toBeCloseTo(1e3, 6);
    expect(R.isSymmetric()).toBe(true);
  });

  it('objectives and derivative checks', () => {
    // f(x) = Σ xᵢ⁴/4, written by hand
    const quartic: Objective = {
      dim: 3,
      value: (x) => x.reduce((s, v) => s + v ** 4 / 4, 0),
      grad: (x, out = new Float64Array(3)) => {
        for (let i = 0; i < 3; i++) out[i] = x[i] ** 3;
        return out;
      },
      hvp: (x, v, out = new Float64Array(3)) => {
        for (let i = 0; i < 3; i++) out[i] = 3 * x[i] ** 2 * v[i];
        return out;
      },
    };
    const x = new Float64Array([0.5, -1, 2]);
    expect(checkGradient(quartic, x).relativeError).toBeLessThan(1e-8);
    expect(checkHvp(quartic, x).relativeError).toBeLessThan(1e-8);
    expect(checkGradient(rosenbrock(10), new Float64Array(10)).relativeError).toBeLessThan(1e-8);
  });

  it('schedules', () => {
    const lr = warmupCosineSchedule({ peak: 1e-3, warmupSteps: 100, steps: 1000 });
    expect(lr(0)).toBe(0);
    expect(lr(100)).toBeCloseTo(1e-3, 15);
    expect(lr(1000)).toBe(0);
    const stepDecay = joinSchedules([constantSchedule(0.1), constantSchedule(0.01)], [500]);
    expect(stepDecay(499)).toBe(0.1);
    expect(stepDecay(500)).toBe(0.01);
    expect(warmup(0.1, 10)(0)).toBeCloseTo(0.01, 15); // Defazio et al.: (t + 1)/W
  });

  it('gradient transformations', () => {
    const adamw = chain(
      clipByGlobalNorm(1),
      scaleByAdam({ b1: 0.9, b2: 0.999 }),
      addDecayedWeights(1e-2, (name) => name !== 'b'), // no decay on the bias
      scaleByLearningRate(1e-3),
    );
    const params: Params = { w: new Float64Array([1, 2]), b: new Float64Array([0]) };
    const state = adamw.init(params);
    const grads: Params = { w: new Float64Array([0.1, -0.2]), b: new Float64Array([0.3]) };
    adamw.update(grads, state, params); // grads now hold the updates
    applyUpdates(params, grads); // params ← params + updates
    expect(params.w[0]).toBeLessThan(1);
    expect(params.w[1]).toBeGreaterThan(2 - 2e-3);
    expect(params.b[0]).toBeCloseTo(-1e-3, 6); // first Adam step is ≈ −lr·sign(g)
  });

  it('Optimizer and minimize', () => {
    const w = new Float64Array([3, -4]);
    const opt = new Optimizer(sgd(0.1, { momentum: 0.9 }), w); // one vector, or named params {w, b}
    for (let k = 0; k < 200; k++) opt.step(Float64Array.from(w)); // ∇(½‖w‖²) = w; step overwrites its argument
    expect(nrm2(w)).toBeLessThan(1e-3);

    const A = DenseMatrix.fromRows([
      [3, 1],
      [1, 2],
    ]);
    const f = quadraticObjective(A, new Float64Array([1, 1])); // ½xᵀAx − bᵀx, minimiser A⁻¹b = [0.2, 0.4]
    const r = minimize(f, new Float64Array(2), adam(0.05), { maxIter: 5000, tol: 1e-8 });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('converged');
    expect(r.x[0]).toBeCloseTo(0.2, 6);
    expect(r.x[1]).toBeCloseTo(0.4, 6);
    expect(r.history.objective!.length).toBe(r.iterations + 1);
  });

  it('conformance battery entry', () => {
    // The README entry: one object per optimizer, handed to describeOptimizerConformance in a test file.
    const entry: ConformanceCase = { name: 'my-adam', make: (lr) => adam(lr), lr: 1e-2 };
    expect(CONFORMANCE_TESTS).toContain('float32');
    const { params } = runConformanceProblem(entry.make(entry.lr), conformanceTarget('parabola'), 2000);
    expect(Math.abs(params.x[0] - 1)).toBeLessThan(3e-2);
  });

  it('results and errors', () => {
    const f = rosenbrock(2);
    const r = minimize(f, new Float64Array([-1.2, 1]), adam(1e-3), { maxIter: 10 });
    expect(r.converged).toBe(false); // not converging is reported …
    expect(r.reason).toBe('maxIter');

    try {
      DenseMatrix.identity(2).mul(DenseMatrix.identity(3)); // … bad input throws
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OptkitError);
      expect((err as OptkitError).code).toBe('SHAPE_MISMATCH');
      expect((err as OptkitError).argument).toBe('B');
    }
    expect(() =>
      DenseMatrix.fromRows([
        [1, 2],
        [2, 1],
      ]).cholesky(),
    ).toThrow(expect.objectContaining({ code: 'NOT_SPD' }));
  });

  it('Rng', () => {
    const rng = new Rng(42);
    const u = rng.uniform(); // [0, 1), 53 random bits
    const die = rng.int(1, 6); // both ends included
    const perm = rng.permutation(5);
    const worker = rng.split(); // a non-overlapping stream for a worker
    const B = DenseMatrix.random(3, 3, { rng: worker }); // every random function takes {seed} or {rng}
    expect(new Rng(42).uniform()).toBe(u);
    expect(die).toBeGreaterThanOrEqual(1);
    expect(die).toBeLessThanOrEqual(6);
    expect(Array.from(perm).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(B.rows).toBe(3);
  });

  it('plugins', async () => {
    const plugin = definePlugin({
      name: 'optkit-plugin-mine',
      methods: [
        {
          id: 'my-solver',
          summary: 'Solves A x = b for a dense A',
          run: ({ options }) => DenseMatrix.fromRows(options.A as number[][]).solve(Float64Array.from(options.b as number[])),
        },
      ],
    });
    const registry = new Registry();
    registry.register(plugin);
    const { plugin: owner, entry } = registry.get('methods', 'my-solver');
    expect(owner).toBe('optkit-plugin-mine');
    const x = (await entry.run!({ data: {}, options: { A: [[2, 0], [0, 4]], b: [2, 2] } })) as Float64Array;
    expect(Array.from(x)).toEqual([1, 0.5]);

    const loaded = await loadPlugin('optkit-plugin-mine', { registry: new Registry(), importer: async () => ({ plugin }) });
    expect(loaded).toBe(plugin);
  });

  it('jobs, executors and the coordinator loop', async () => {
    const plugin = definePlugin({
      name: 'my-jobs',
      jobs: [
        {
          id: 'my.grad',
          summary: 'a gradient block of ½‖x − c‖²',
          handler: (header, frames) => {
            const lo = header.lo as number;
            const g = frameToFloat64(frames[0]).map((xi, i) => xi - (lo + i + 1));
            return { header: {}, frames: [toFrame(g)] };
          },
        },
      ],
    });
    const seen: number[] = [];
    const { state, rounds, reason } = await coordinate({
      executor: localExecutor([plugin]),
      init: new Float64Array(4),
      round: (x) => ({
        service: 'my.grad',
        requests: [0, 2].map((lo) => ({ header: { lo }, frames: [toFrame(x.subarray(lo, lo + 2))] })),
      }),
      gather: (x, replies) => {
        const next = x.slice();
        replies.forEach((r, k) => frameToFloat64(r.frames![0], 2).forEach((g, i) => (next[2 * k + i] -= 0.5 * g)));
        return next;
      },
      done: (x) => Math.abs(x[3] - 4) < 1e-6,
      maxRounds: 50,
      figures: (x) => ({ gap: Math.abs(x[3] - 4) }),
      onProgress: (p) => seen.push(p.values.gap),
    });
    // x_k = (1 − 2^−k)·c exactly (halving in binary floating point); the gap 4·2^−k first drops below 1e-6 at k = 22.
    expect(reason).toBe('done');
    expect(rounds).toBe(22);
    expect(Array.from(state)).toEqual([1, 2, 3, 4].map((c) => (1 - 2 ** -22) * c));
    expect(seen[0]).toBe(2);
  });

  it('reference runner', () => {
    const x = new Float64Array([1, 2, 3]);
    const ref = runReference('blas1.py', ['--repeats', '1', '--min-seconds', '0'], { x, y: x });
    if (ref.ok) expect(ref.output.dot).toBe(14);
    else expect(ref.skipped).toMatch(/./); // no Python or numpy: says why
  });

  it('data readers', () => {
    const { labels, features } = parseLibsvm('+1 1:0.5 3:2\n-1 2:1\n'); // one-based indices
    expect(Array.from(labels)).toEqual([1, -1]);
    expect(features.cols).toBe(3);
    expect(features.get(0, 2)).toBe(2);
    expect(parseLibsvm(writeLibsvm(labels, features)).features.nnz).toBe(3);

    const { matrix, header } = parseNumericCsv('a,b\n1,2\n3,4\n');
    expect(header).toEqual(['a', 'b']);
    expect(matrix.get(1, 0)).toBe(3);
    expect(toCsv(matrix, header)).toBe('a,b\n1,2\n3,4\n');

    const digits = loadDigits({ normalize: true, testFraction: 0.2, seed: 1 });
    expect(digits.images.rows).toBe(1797);
    expect(digits.split!.XTrain.rows).toBe(1437);
    expect(digits.split!.XTest.rows).toBe(360);
    expect(digits.license).toMatch(/CC BY 4\.0/);

    const { XTrain, yTest } = trainTestSplit(digits.images, digits.labels, { testFraction: 0.25, stratify: true, seed: 0 });
    expect(XTrain.rows + yTest.length).toBe(1797);
  });

  it('@optkit/core/tf', async () => {
    const { tf, backend, summary } = await useBestBackend();
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).toContain(backend);
    expect(summary.startsWith(backend)).toBe(true);
    const y = tf.tidy(() => tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0]);
    expect(y).toBe(14);
  });
});
