/**
 * @optkit/optim as an optkit plugin: its validation experiments (one per method card) and benchmarks.
 * Experiments import their heavy modules lazily inside `run`, so listing them stays cheap.
 */
import { definePlugin } from '@optkit/core';
import { adahessianExperiment } from './experiments/adahessian.js';
import { lambExperiment } from './experiments/lamb.js';
import { mfacExperiment } from './experiments/mfac.js';
import { refinedSchedulesExperiment } from './experiments/refined-schedules.js';
import { batchSizeLrExperiment } from './experiments/batch-size-lr.js';
import { normalizedLrGdExperiment } from './experiments/normalized-lr-gd.js';
import { lionKnownAnswersExperiment, lionVsAdamwExperiment } from './experiments/lion.js';
import { lionKappaExperiment } from './experiments/lion-kappa.js';
import { lionKappaMlpExperiment } from './experiments/lion-kappa-mlp.js';
import { alfLbExperiment } from './experiments/alf-lb.js';
import { moeDriver, moeRouteJob } from './moe-distributed.js';
import { bcdExperiment } from './experiments/bcd.js';
import { bcdDriver, bcdShardJob } from './bcd-distributed.js';
import { stepBenchmark } from './benchmarks/step.js';
import { methods } from './methods.js';

export const plugin = definePlugin({
  name: '@optkit/optim',
  methods,
  experiments: [adahessianExperiment, lambExperiment, mfacExperiment, refinedSchedulesExperiment, batchSizeLrExperiment, normalizedLrGdExperiment, lionKnownAnswersExperiment, lionVsAdamwExperiment, lionKappaExperiment, lionKappaMlpExperiment, alfLbExperiment, bcdExperiment],
  benchmarks: [stepBenchmark],
  drivers: [moeDriver, bcdDriver],
  jobs: [moeRouteJob, bcdShardJob],
});
