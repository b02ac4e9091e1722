/**
 * @optkit/optim/tf — TensorFlow.js optimizer classes (usable in `model.compile`). Importing this
 * subpath loads tfjs; the main `@optkit/optim` entry never does.
 */
export {};
