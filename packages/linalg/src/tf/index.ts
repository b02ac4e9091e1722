/**
 * @optkit/linalg/tf — solvers that use TensorFlow.js (the deep conjugate-direction method).
 * Importing this subpath loads tfjs; the main `@optkit/linalg` entry never does.
 */
export * from './patch-conv.js';
export * from './dcdm-net.js';
export * from './dcdm-train.js';
export * from './dcdm-pretrained.js';
