/**
 * @optkit/cluster as an optkit plugin: its benchmarks (broker overhead and throughput against raw
 * ZeroMQ, multi-worker speedup). The cluster never imports other plugins statically: jobs are found
 * in the plugins a worker loads.
 */
import { definePlugin } from '@optkit/core';
import { brokerBenchmark } from './benchmarks/broker.js';
import { scalingBenchmark } from './benchmarks/scaling.js';

export const plugin = definePlugin({
  name: '@optkit/cluster',
  methods: [],
  experiments: [],
  benchmarks: [brokerBenchmark, scalingBenchmark],
});
