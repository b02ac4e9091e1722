/**
 * @optkit/core — the shared vocabulary of optkit: float64 kernels, dense and CSR matrices, linear
 * operators, objectives, optimizer building blocks and schedules, results, errors, a seeded RNG and
 * the plugin registry. This file is the package's whole public surface.
 */
export * from './errors.js';
export * from './rng.js';
export * from './result.js';
export * from './registry.js';
export * from './reference.js';
export { plugin } from './plugin.js';
