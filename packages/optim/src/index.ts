/**
 * @optkit/optim — optimizers from recent papers as optax-style transforms over typed arrays, with
 * stateful adapters; TensorFlow.js optimizer classes live in the `@optkit/optim/tf` subpath so that
 * tfjs loads only when asked for. This file is the package's whole public surface.
 */
export * from './mfac.js';
export * from './refined-schedule.js';
export * from './slq.js';
export * from './batch-size.js';
export * from './normalized-lr-gd.js';
export * from './lion.js';
export * from './adamw.js';
export * from './lion-kappa.js';
export { plugin } from './plugin.js';
export * from './lamb.js';
export { lambStep, type LambStepOptions } from './lamb-step.js';
export {
  ParallelOptimizer,
  createParallelOptimizer,
  type ParallelKind,
  type ParallelOptimizerOptions,
  type ParallelLionOptions,
  type ParallelAdamWOptions,
  type ParallelLambOptions,
} from './parallel-step.js';
export * from './lars.js';
export * from './adahessian.js';
export { methods as runnableMethods, labelledData } from './methods.js';
export * from './moe-balance.js';
export * from './moe-synthetic.js';
export * from './moe-aux-loss.js';
export * from './moe-distributed.js';
export * from './bcd.js';
export * from './bcd-problems.js';
export * from './bcd-softmax.js';
export * from './bcd-data.js';
export * from './bcd-partition.js';
export * from './bcd-forest.js';
export * from './bcd-distributed.js';
export type { ColumnData, BlockFactors, GreedyRule } from './bcd-kernels.js';
