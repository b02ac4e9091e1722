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
export * from './vector.js';
export * from './kernels.js';
export * from './dense.js';
export * from './csr.js';
export * from './specialize.js';
export * from './wasm-simd.js';
export * from './matrix-market.js';
export * from './linear-operator.js';
export * from './problems.js';
export * from './objective.js';
export * from './schedule.js';
export * from './transform.js';
export * from './optimizer.js';
export * from './data/libsvm.js';
export * from './data/csv.js';
export * from './data/split.js';
export * from './data/digits.js';
export { plugin } from './plugin.js';
export * from './jobs.js';
export * from './coordinate.js';
export * as wasmAsm from './wasm-asm.js';
