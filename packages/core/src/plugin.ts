/**
 * The core package as an optkit plugin: it registers core's own benchmarks (dense and sparse kernels
 * against numpy/scipy) so `optkit bench` finds them like any other plugin's.
 */
import { denseBenchmarks } from './benchmarks/dense.js';
import { sparseBenchmarks } from './benchmarks/sparse.js';
import { definePlugin } from './registry.js';

export const plugin = definePlugin({
  name: '@optkit/core',
  benchmarks: [...denseBenchmarks, ...sparseBenchmarks],
});
