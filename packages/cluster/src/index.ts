/**
 * @optkit/cluster — runs optkit jobs on many processes and machines: a Majordomo Protocol (MDP 0.1)
 * broker on a ZeroMQ ROUTER socket, worker processes that execute plugin job handlers in Piscina
 * thread pools, a client with `submit`/`map` (and core's `coordinate` loop, re-exported), a MessagePack +
 * raw-binary wire format, and CURVE security with a ZAP allow-list. This file is the package's
 * whole public surface.
 */
export { plugin } from './plugin.js';
export * from './wire.js';
export * from './mdp.js';
export * from './broker.js';
export * from './security.js';
export * from './config.js';
export * from './client.js';
// `coordinate` lives in @optkit/core (it needs only a JobExecutor, so drivers can use it without
// zeromq); re-exported here so that `import { coordinate } from '@optkit/cluster'` keeps working.
export { coordinate, type CoordinateOptions, type CoordinateResult, type RoundRequests } from '@optkit/core';
export * from './worker.js';
export * from './worker-backend.js';
export * from './local.js';
export type { PoolTask, PoolOutcome, PoolThreadData } from './pool-thread.js';
export * from './direct.js';
