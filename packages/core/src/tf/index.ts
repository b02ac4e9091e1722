/**
 * @optkit/core/tf — TensorFlow.js backend selection. A separate entry point so that importing
 * `@optkit/core` never loads tfjs; import this subpath only where tensors are used.
 */
export * from './backend.js';
