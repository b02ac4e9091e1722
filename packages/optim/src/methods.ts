/**
 * The optim methods `optkit run <method> --config file.json` can apply to a user's data.
 *
 * Optimizers (`lion`, `adamw`, `lamb`, `adahessian`, `mfac`) train an L2-regularised logistic
 * regression on a labelled data set; `normalized-lr-gd` separates a linearly separable one; `slq`
 * estimates the spectrum of a symmetric matrix; `bcd` runs greedy block-coordinate descent on a
 * logistic regression; `alf-lb` balances a top-k expert assignment of a score matrix. Config: `data.train` (LIBSVM, or CSV whose last column
 * is the label) or `data.A` (Matrix Market) for `slq`; `options` are the method's own options plus
 * `maxIter`, `tol` and `l2` for the optimizer runs.
 */
import {
  CsrMatrix,
  DenseMatrix,
  OptkitError,
  csrOperator,
  logisticRegression,
  minimize,
  type GradientTransformation,
  type LoadedData,
  type MethodEntry,
  type PaperRef,
} from '@optkit/core';
import { adahessian } from './adahessian.js';
import { adamw } from './adamw.js';
import { lamb } from './lamb.js';
import { lion } from './lion.js';
import { mfac } from './mfac.js';
import { normalizedLogisticGD } from './normalized-lr-gd.js';
import { slq, spectralDensity } from './slq.js';
import { bcd, type BcdOptions } from './bcd.js';
import { logisticProblem } from './bcd-problems.js';
import { solveAssignmentStatic } from './moe-balance.js';
import { bcdExperiment } from './experiments/bcd.js';
import { alfLbExperiment } from './experiments/alf-lb.js';
import { adahessianExperiment } from './experiments/adahessian.js';
import { batchSizeLrExperiment } from './experiments/batch-size-lr.js';
import { lambExperiment } from './experiments/lamb.js';
import { lionVsAdamwExperiment } from './experiments/lion.js';
import { mfacExperiment } from './experiments/mfac.js';
import { normalizedLrGdExperiment } from './experiments/normalized-lr-gd.js';

/** Labels mapped to ±1 and features as a dense matrix, from LIBSVM or CSV (label = last column). */
export function labelledData(data: Record<string, LoadedData>, name = 'train'): { X: DenseMatrix; y: Float64Array } {
  const entry = data[name];
  if (!entry) {
    throw new OptkitError('INVALID_ARGUMENT', `config data.${name} is missing (a LIBSVM file, or a CSV whose last column is the label)`, `data.${name}`);
  }
  let X: DenseMatrix;
  let labels: ArrayLike<number>;
  if (entry.kind === 'libsvm') {
    const v = entry.value as { labels: Float64Array; features: CsrMatrix };
    X = v.features.toDense();
    labels = v.labels;
  } else if (entry.kind === 'csv') {
    const M = entry.value as DenseMatrix;
    if (M.cols < 2) throw new OptkitError('SHAPE_MISMATCH', `data.${name}: a CSV needs at least one feature column and a label column`, `data.${name}`);
    X = DenseMatrix.zeros(M.rows, M.cols - 1);
    labels = new Float64Array(M.rows);
    for (let i = 0; i < M.rows; i++) {
      X.data.set(M.data.subarray(i * M.cols, i * M.cols + M.cols - 1), i * X.cols);
      (labels as Float64Array)[i] = M.data[i * M.cols + M.cols - 1];
    }
  } else {
    throw new OptkitError('UNSUPPORTED', `data.${name} is ${entry.kind}; expected libsvm or csv`, `data.${name}`);
  }
  const distinct = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (distinct.length !== 2) {
    throw new OptkitError('INVALID_ARGUMENT', `data.${name}: expected exactly 2 label values for logistic regression, found ${distinct.length}`, `data.${name}`);
  }
  const y = new Float64Array(labels.length);
  for (let i = 0; i < y.length; i++) y[i] = labels[i] === distinct[1] ? 1 : -1;
  return { X, y };
}

function num(options: Record<string, unknown>, key: string, fallback: number): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new OptkitError('INVALID_OPTION', `option ${key} must be a number`, key);
  return v;
}

function withoutRunOptions(options: Record<string, unknown>): Record<string, unknown> {
  const { maxIter: _m, tol: _t, l2: _l, ...rest } = options;
  return rest;
}

function optimizerMethod(
  id: string,
  summary: string,
  card: string,
  paper: PaperRef,
  make: (options: Record<string, unknown>) => GradientTransformation<unknown>,
): MethodEntry {
  return {
    id,
    summary: `${summary} (optkit run: L2-regularised logistic regression on data.train)`,
    card,
    paper,
    run: ({ data, options }) => {
      const { X, y } = labelledData(data);
      const objective = logisticRegression(X, y, { l2: num(options, 'l2', 1e-4) });
      const result = minimize(objective, new Float64Array(X.cols), make(withoutRunOptions(options)), {
        maxIter: num(options, 'maxIter', 1000),
        tol: num(options, 'tol', 1e-6),
      });
      let correct = 0;
      for (let i = 0; i < X.rows; i++) {
        let m = 0;
        for (let j = 0; j < X.cols; j++) m += X.data[i * X.cols + j] * result.x[j];
        if (m * y[i] > 0) correct++;
      }
      return { ...result, trainAccuracy: correct / X.rows };
    },
  };
}

export const methods: MethodEntry[] = [
  optimizerMethod('lion', 'Lion: sign of interpolated momentum, one state array', 'lion',
    lionVsAdamwExperiment.paper, (o) => lion(o)),
  optimizerMethod('adamw', 'AdamW: Adam with decoupled weight decay (baseline)', 'lion',
    { title: 'Decoupled Weight Decay Regularization', authors: 'I. Loshchilov, F. Hutter', year: 2019, arxiv: '1711.05101' }, (o) => adamw(o)),
  optimizerMethod('lamb', 'LAMB: layer-wise adaptive moments with trust ratios', 'lamb',
    lambExperiment.paper, (o) => lamb(o)),
  optimizerMethod('adahessian', 'AdaHessian: Hutchinson Hessian-diagonal preconditioning', 'adahessian',
    adahessianExperiment.paper, (o) => adahessian(o)),
  optimizerMethod('mfac', 'M-FAC: sliding-window inverse empirical-Fisher preconditioning', 'mfac',
    mfacExperiment.paper, (o) => mfac(o)),
  {
    id: 'normalized-lr-gd',
    summary: 'Normalized LR+GD: logistic-regression gradient descent with normalised steps, to separate data (data.train)',
    card: 'normalized-lr-gd',
    paper: normalizedLrGdExperiment.paper,
    run: ({ data, options }) => {
      const { X, y } = labelledData(data);
      return normalizedLogisticGD({ A: X, y }, options);
    },
  },
  {
    id: 'bcd',
    summary: 'Greedy block-coordinate descent (GSQ rule, matrix updates by default) on a logistic regression (data.train)',
    card: 'bcd',
    paper: bcdExperiment.paper,
    run: ({ data, options }) => {
      const { X, y } = labelledData(data);
      const result = bcd(logisticProblem(X, y), new Float64Array(X.cols), options as BcdOptions);
      return { x: result.x, fx: result.fx, converged: result.converged, iterations: result.iterations, reason: result.reason, objective: result.history.map((h) => h.f) };
    },
  },
  {
    id: 'alf-lb',
    summary: 'Auxiliary-loss-free load balancing: balanced top-k expert assignment of a token×expert score matrix (data.scores, CSV; options numExperts inferred, topK, updateRate, maxIter)',
    card: 'alf-lb',
    paper: alfLbExperiment.paper,
    run: ({ data, options }) => {
      const entry = data.scores;
      if (!entry || entry.kind !== 'csv') {
        throw new OptkitError('INVALID_ARGUMENT', 'config data.scores must be a CSV file with one row per token and one column per expert', 'data.scores');
      }
      const S = entry.value as DenseMatrix;
      const result = solveAssignmentStatic(S.data, S.rows, { topK: 1, ...options, numExperts: S.cols } as Parameters<typeof solveAssignmentStatic>[2]);
      return result;
    },
  },
  {
    id: 'slq',
    summary: 'Stochastic Lanczos quadrature: extreme eigenvalues and spectral density of a symmetric matrix (data.A, .mtx)',
    card: 'batch-size-lr',
    paper: batchSizeLrExperiment.paper,
    run: ({ data, options }) => {
      const entry = data.A;
      if (!entry || !(entry.value instanceof CsrMatrix)) {
        throw new OptkitError('INVALID_ARGUMENT', 'config data.A must be a Matrix Market (.mtx) coordinate matrix', 'data.A');
      }
      const A = entry.value;
      if (A.rows !== A.cols) throw new OptkitError('SHAPE_MISMATCH', `data.A is ${A.rows}x${A.cols}; expected square`, 'data.A');
      if (!A.isSymmetric(1e-12)) throw new OptkitError('INVALID_ARGUMENT', 'data.A must be symmetric', 'data.A');
      const result = slq(csrOperator(A), options);
      const density = spectralDensity(result);
      return { lambdaMin: result.lambdaMin, lambdaMax: result.lambdaMax, matvecs: result.matvecs, nodes: result.nodes, weights: result.weights, density };
    },
  },
];
