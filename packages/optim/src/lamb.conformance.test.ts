/**
 * The optimizer conformance battery (core/testing) for LAMB (fused and chained), LARS and AdaHessian.
 */
import { describeOptimizerConformance } from '@optkit/core/testing';
import { adahessian } from './adahessian.js';
import { lamb, lambChain } from './lamb.js';
import { lars } from './lars.js';

describeOptimizerConformance([
  { name: 'lamb', make: (lr) => lamb({ lr }), lr: 1e-3 },
  { name: 'lambChain', make: (lr) => lambChain({ lr, weightDecay: 1e-4 }), lr: 1e-3 },
  { name: 'lars', make: (lr) => lars({ lr }), lr: 1 },
  { name: 'adahessian', make: (lr) => adahessian({ lr }), lr: 0.15, needsHvp: true },
]);
