/**
 * @optkit/linalg as an optkit plugin: its validation experiments (one per method card) and benchmarks.
 * Experiments import their heavy modules lazily inside `run`, so listing them stays cheap.
 */
import { definePlugin } from '@optkit/core';

export const plugin = definePlugin({
  name: '@optkit/linalg',
  methods: [],
  experiments: [],
  benchmarks: [],
});
