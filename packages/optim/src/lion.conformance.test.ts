/**
 * The optimizer conformance battery (core/testing) for Lion, AdamW and Lion-𝒦.
 */
import { describeOptimizerConformance } from '@optkit/core/testing';
import { adamw, adamwChain } from './adamw.js';
import { lionKappa } from './lion-kappa.js';
import { lion } from './lion.js';

describeOptimizerConformance([
  // Lion's steps have magnitude exactly lr, so it ends within ~lr of a minimiser: lr 1e-3 over 20 000
  // steps travels up to 20 per coordinate (the parabola starts 11 away) and chatters at 1e-3.
  { name: 'lion', make: (lr) => lion({ lr }), lr: 1e-3 },
  { name: 'lion (weight decay, tiny)', make: (lr) => lion({ lr, weightDecay: 1e-6 }), lr: 1e-3 },
  { name: 'adamw', make: (lr) => adamw({ lr, weightDecay: 0 }), lr: 1e-2 },
  { name: 'adamwChain', make: (lr) => adamwChain({ lr, weightDecay: 0 }), lr: 1e-2 },
  { name: 'lionKappa l2', make: (lr) => lionKappa({ lr, kappa: 'l2' }), lr: 1e-3 },
  { name: 'lionKappa lp(1.5)', make: (lr) => lionKappa({ lr, kappa: { lp: 1.5 } }), lr: 1e-3 },
]);
