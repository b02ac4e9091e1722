/**
 * @optkit/optim/tf — TensorFlow.js optimizer classes (usable in `model.compile`). Importing this
 * subpath loads tfjs; the main `@optkit/optim` entry never does.
 */
export * from './base.js';
export * from './lion.js';
export * from './adamw.js';
export * from './lamb.js';
export * from './lars.js';
export * from './adahessian.js';
export * from './mfac.js';
export * from './lion-kappa.js';
