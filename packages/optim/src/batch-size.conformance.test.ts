/**
 * The SLQ learning-rate / momentum learner through core's optimizer conformance battery. Its step
 * size is not a learning rate but c/λ̂_max (card §2 C), so the battery's `lr` is passed as c.
 * Not registered: `scheduleEqualsConstant` (c is a plain number: the learner computes its own
 * schedule from the spectrum, so there is no schedule to compare) and `stateStable` (`state.history`
 * is an append-only log with one entry per refresh, so the state's keys grow by design; its typed
 * buffers are still checked by the float32 and NaN tests).
 */
import { describeOptimizerConformance } from '@optkit/core/testing';
import { slqLearner } from './batch-size.js';

describeOptimizerConformance([
  {
    name: 'slqLearner',
    make: (c) => slqLearner({ c: c as number, every: 20, steps: 10 }),
    lr: 1,
    needsHvp: true,
    steps: 2000,
    overrides: { rosenbrock: { steps: 20000 } },
    skip: ['scheduleEqualsConstant', 'stateStable'],
  },
  {
    name: 'slqLearner (polyak momentum)',
    // Polyak's (α, ρ) are tuned to the spectrum at the refresh, so this case refreshes every step.
    // `rosenbrock` is not registered for it: Polyak's rule assumes a convex quadratic, and along
    // Rosenbrock's curved valley it crawls (measured: x₀ = 0.14 after 20 000 steps; with a refresh
    // every 20 steps it diverges), which is the method's known limit rather than a defect.
    make: (c) => slqLearner({ c: c as number, every: 1, steps: 10, momentum: 'polyak' }),
    lr: 1,
    needsHvp: true,
    steps: 2000,
    skip: ['scheduleEqualsConstant', 'stateStable', 'rosenbrock'],
  },
]);
