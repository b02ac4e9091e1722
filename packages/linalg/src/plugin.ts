/**
 * @optkit/linalg as an optkit plugin: its validation experiments (one per method card) and benchmarks.
 * Experiments import their heavy modules lazily inside `run`, so listing them stays cheap.
 */
import { definePlugin } from '@optkit/core';
import { sorBanditExperiment } from './experiments/sor-bandit.js';
import { deepConjugateDirectionExperiment } from './experiments/deep-conjugate-direction.js';
import { skrExperiment } from './experiments/skr.js';
import { recyclingBenchmark } from './benchmarks/recycling.js';
import { krylovBenchmark } from './benchmarks/krylov.js';
import { linfRegressionExperiment } from './experiments/linf-regression.js';
import { lsqrBenchmark } from './benchmarks/lsqr.js';

export const plugin = definePlugin({
  name: '@optkit/linalg',
  methods: [],
  experiments: [sorBanditExperiment, deepConjugateDirectionExperiment, skrExperiment, linfRegressionExperiment],
  benchmarks: [krylovBenchmark, recyclingBenchmark, lsqrBenchmark],
});
