/**
 * Training the DCDM network: the paper's unsupervised loss and a seeded Adam loop (TensorFlow.js).
 *
 * A. Kaneda et al., "A Deep Conjugate Direction Method for Iteratively Solving Linear Systems",
 * ICML 2023 (arXiv 2205.10763), official `src/train.py`. For a unit-norm training vector b and
 * q = f_θ(b), ℓ(θ; b) = ‖b − A q · (qᵀb)/(qᵀAq)‖²: the residual left after one exact line-search step
 * along q from x = 0. It needs no A⁻¹ and no solutions, is invariant to rescaling q, and is 0 exactly
 * when q ∥ A⁻¹b. The batch loss is the mean. A enters as a fixed 3×3 stencil (zero padding: the
 * Dirichlet Laplacian) computed with pad + slices, or, for a general operator, as a dense float32
 * matrix (n ≤ 4096). The stencil needs only its input gradient, so plain slices suffice on wasm.
 */
import type * as tfjs from '@tensorflow/tfjs';
import {
  CsrMatrix,
  OptkitError,
  Rng,
  aslinearoperator,
  checkOption,
  throwIfAborted,
  type OperatorLike,
} from '@optkit/core';
import type { DcdmNet } from './dcdm-net.js';

type Tf = typeof tfjs;

/** A fixed 3×3 stencil, row-major: y[i,j] = Σ s[(di+1)·3 + (dj+1)]·x[i+di, j+dj], zero outside the grid. */
export interface StencilSpec {
  stencil: ArrayLike<number>;
}

/** The 5-point Dirichlet Laplacian of core's `poisson2d` as a stencil. */
export const POISSON2D_STENCIL: StencilSpec = { stencil: [0, -1, 0, -1, 4, -1, 0, -1, 0] };

/** A → a function applying it to a batch of flattened grid vectors [B, n] → [B, n] inside tf. */
export type TfOperator = (q: tfjs.Tensor2D) => tfjs.Tensor2D;

const DENSE_LIMIT = 4096;

/**
 * A as a tf function on [B, nx·ny] batches: a {@link StencilSpec} on the [nx, ny] grid (pad + 9 slices,
 * zero taps skipped), or any operator / CsrMatrix materialised as a dense float32 matrix (n ≤ 4096,
 * else LIMIT_EXCEEDED). The returned function holds a tensor for the dense case: call `dispose`.
 */
export function tfOperator(tf: Tf, A: OperatorLike | StencilSpec, shape: [number, number]): { apply: TfOperator; dispose: () => void } {
  const fn = 'tfOperator';
  const [nx, ny] = shape;
  const n = nx * ny;
  if (isStencil(A)) {
    const s = Array.from(A.stencil);
    if (s.length !== 9) throw new OptkitError('SHAPE_MISMATCH', `${fn}: the stencil must have 9 entries (3×3), got ${s.length}`, 'A.stencil');
    for (const v of s) if (!Number.isFinite(v)) throw new OptkitError('NOT_FINITE', `${fn}: the stencil has a non-finite entry`, 'A.stencil');
    const apply: TfOperator = (q) =>
      tf.tidy(() => {
        const B = q.shape[0];
        const grid = q.reshape([B, nx, ny]);
        const padded = tf.pad(grid, [[0, 0], [1, 1], [1, 1]]);
        let y: tfjs.Tensor | undefined;
        for (let t = 0; t < 9; t++) {
          if (s[t] === 0) continue;
          const dy = Math.floor(t / 3);
          const dx = t % 3;
          const term = tf.mul(tf.slice(padded, [0, dy, dx], [B, nx, ny]), s[t]);
          y = y ? tf.add(y, term) : term;
        }
        return (y ?? tf.zerosLike(grid)).reshape([B, n]) as tfjs.Tensor2D;
      });
    return { apply, dispose: () => {} };
  }
  const op = aslinearoperator(A);
  if (op.rows !== n || op.cols !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${op.rows}x${op.cols}; the grid ${nx}×${ny} needs ${n}x${n}`, 'A');
  }
  if (n > DENSE_LIMIT) {
    throw new OptkitError('LIMIT_EXCEEDED', `${fn}: a general operator is materialised densely (n ≤ ${DENSE_LIMIT}); give a stencil for n = ${n}`, 'A');
  }
  const dense = new Float32Array(n * n);
  const e = new Float64Array(n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e[j] = 1;
    op.apply(e, col);
    e[j] = 0;
    // A is symmetric for this method, but row-major Aᵀ is what [B, n]·M needs: M[j, i] = A[i, j].
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(col[i])) throw new OptkitError('NOT_FINITE', `${fn}: A has a non-finite entry`, 'A');
      dense[j * n + i] = col[i];
    }
  }
  const At = tf.tensor2d(dense, [n, n]);
  return { apply: (q) => tf.matMul(q, At), dispose: () => At.dispose() };
}

function isStencil(A: unknown): A is StencilSpec {
  return typeof A === 'object' && A !== null && 'stencil' in A && !(A instanceof CsrMatrix);
}

/**
 * The DCDM loss, batch mean of ‖b − A q (qᵀb)/(qᵀAq)‖² for b, q, Aq of shape [B, n] (b unit norm in
 * training; the formula does not need it). A scalar tensor.
 */
export function dcdmLoss(tf: Tf, b: tfjs.Tensor2D, q: tfjs.Tensor2D, Aq: tfjs.Tensor2D): tfjs.Scalar {
  return tf.tidy(() => {
    const qb = tf.sum(tf.mul(q, b), 1, true);
    const qAq = tf.sum(tf.mul(q, Aq), 1, true);
    const res = tf.sub(b, tf.mul(Aq, tf.div(qb, qAq)));
    return tf.mean(tf.sum(tf.square(res), 1)) as tfjs.Scalar;
  });
}

export interface TrainDcdmOptions {
  /** Adam learning rate (default 1e-4, the reference's; the card's 2-D CPU recipe uses 1e-3). */
  lr?: number;
  /** Batch size (default 10, the reference's; the 2-D CPU recipe uses 8). */
  batchSize?: number;
  /** Optimisation steps (default: one epoch, ⌈samples / batchSize⌉). */
  steps?: number;
  /** Seed of the batch order (default 0): epochs are seeded permutations of the data. */
  seed?: number;
  /** Called after each step with the step (1-based) and the batch loss. */
  onStep?: (step: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface TrainDcdmResult {
  /** Batch loss per step. */
  lossHistory: number[];
  /** Mean batch loss over the last 10 % of steps (at least one): the "final loss" the card gates on. */
  finalLoss: number;
  steps: number;
  seconds: number;
}

/**
 * Trains `net` in place (in its own tfjs namespace) with Adam on the DCDM loss over `data` (unit-norm float32 vectors of the
 * net's grid size, e.g. from `ritzTrainingSet`). Deterministic for a given seed, data and backend.
 * Bad input (empty data, wrong lengths, NaN, bad options) throws OptkitError.
 */
export async function trainDcdm(
  net: DcdmNet,
  A: OperatorLike | StencilSpec,
  data: Float32Array[],
  options: TrainDcdmOptions = {},
): Promise<TrainDcdmResult> {
  const fn = 'trainDcdm';
  const tf = net.tf;
  const start = performance.now();
  const [nx, ny] = net.config.shape;
  const n = nx * ny;
  if (!Array.isArray(data) || data.length === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: data is empty`, 'data');
  for (let s = 0; s < data.length; s++) {
    const v = data[s];
    if (!(v instanceof Float32Array) || v.length !== n) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: data[${s}] must be a Float32Array of length ${n} (the net's ${nx}×${ny} grid)`, 'data');
    }
    for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) throw new OptkitError('NOT_FINITE', `${fn}: data[${s}][${i}] is ${v[i]}`, 'data');
  }
  const lr = checkOption(options.lr ?? 1e-4, 'lr', { min: 0, minExclusive: true }, fn);
  const batchSize = checkOption(options.batchSize ?? 10, 'batchSize', { min: 1, integer: true }, fn);
  const steps = checkOption(options.steps ?? Math.ceil(data.length / batchSize), 'steps', { min: 0, integer: true }, fn);
  const rng = new Rng(checkOption(options.seed ?? 0, 'seed', { integer: true }, fn));
  const op = tfOperator(tf, A as OperatorLike | StencilSpec, [nx, ny]);
  const optimizer = tf.train.adam(lr);
  const lossHistory: number[] = [];
  const batch = new Float32Array(batchSize * n);
  let order = rng.permutation(data.length);
  let cursor = 0;
  try {
    for (let step = 1; step <= steps; step++) {
      throwIfAborted(options.signal, fn);
      for (let s = 0; s < batchSize; s++) {
        if (cursor === order.length) {
          order = rng.permutation(data.length);
          cursor = 0;
        }
        batch.set(data[order[cursor++]], s * n);
      }
      const lossTensor = tf.tidy(() => {
        const b = tf.tensor2d(batch, [batchSize, n]);
        return optimizer.minimize(
          () => {
            const q = net.predict(b.reshape([batchSize, nx, ny, 1])).reshape([batchSize, n]) as tfjs.Tensor2D;
            return dcdmLoss(tf, b, q, op.apply(q));
          },
          true,
          net.variables,
        ) as tfjs.Scalar;
      });
      const loss = (await lossTensor.data())[0];
      lossTensor.dispose();
      lossHistory.push(loss);
      options.onStep?.(step, loss);
    }
  } finally {
    optimizer.dispose();
    op.dispose();
  }
  const tail = Math.max(1, Math.floor(steps / 10));
  let finalLoss = NaN;
  if (steps > 0) {
    finalLoss = 0;
    for (let i = steps - tail; i < steps; i++) finalLoss += lossHistory[i];
    finalLoss /= tail;
  }
  return { lossHistory, finalLoss, steps, seconds: (performance.now() - start) / 1000 };
}

/** The mean DCDM loss of `net` over `data` (no training), in batches of 64. */
export function evaluateDcdmLoss(net: DcdmNet, A: OperatorLike | StencilSpec, data: Float32Array[]): number {
  const tf = net.tf;
  const [nx, ny] = net.config.shape;
  const n = nx * ny;
  if (data.length === 0) throw new OptkitError('EMPTY_INPUT', 'evaluateDcdmLoss: data is empty', 'data');
  const op = tfOperator(tf, A as OperatorLike | StencilSpec, [nx, ny]);
  let total = 0;
  try {
    for (let s0 = 0; s0 < data.length; s0 += 64) {
      const rows = Math.min(64, data.length - s0);
      const buf = new Float32Array(rows * n);
      for (let s = 0; s < rows; s++) {
        if (data[s0 + s].length !== n) throw new OptkitError('SHAPE_MISMATCH', `evaluateDcdmLoss: data[${s0 + s}] has length ${data[s0 + s].length}; expected ${n}`, 'data');
        buf.set(data[s0 + s], s * n);
      }
      const l = tf.tidy(() => {
        const b = tf.tensor2d(buf, [rows, n]);
        const q = net.predict(b.reshape([rows, nx, ny, 1])).reshape([rows, n]) as tfjs.Tensor2D;
        return dcdmLoss(tf, b, q, op.apply(q));
      });
      total += l.dataSync()[0] * rows;
      l.dispose();
    }
  } finally {
    op.dispose();
  }
  return total / data.length;
}

