/**
 * The examples of packages/cluster/README.md, run as tests so the README cannot drift from the code.
 * The plugin module of the README (`my-jobs.mjs`) is written to a git-ignored folder (tmp/) and loaded by
 * path, exactly as a worker loads a user's plugin; then a broker on an ephemeral loopback port, an
 * in-process worker (with its Piscina pool) and a client run the README's calls. The CLI and
 * multi-host blocks of the README are shell commands and are not run here (the CLI has its own tests).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OptkitError, coordinate, frameToFloat64, localExecutor, toFrame, type Plugin } from '@optkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Broker,
  ClusterClient,
  coordinate as clusterCoordinate,
  DEFAULT_WIRE_LIMITS,
  decodePayload,
  encodePayload,
  generateKeyPair,
  startWorker,
  type ClusterWorker,
} from './index.js';

/** The README's my-jobs.mjs, verbatim. */
const MY_JOBS = `import { definePlugin, frameToFloat64, toFrame } from '@optkit/core';

const target = (i) => Math.sin(i + 1);   // f(x) = ½‖x − c‖², c_i = sin(i + 1)

/** Job: the gradient block x[lo:hi] − c[lo:hi] and that block's share of f. */
const gradJob = {
  id: 'my.grad',
  summary: 'gradient block of ½‖x − c‖²',
  handler(header, frames) {
    const lo = Number(header.lo);
    const x = frameToFloat64(frames[0]);
    const g = new Float64Array(x.length);
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      g[i] = x[i] - target(lo + i);
      f += 0.5 * g[i] * g[i];
    }
    return { header: { f }, frames: [toFrame(g)] };
  },
};

/** Driver: gradient descent with the gradient computed in \`shards\` pieces per round. */
const descentDriver = {
  id: 'my.descent',
  summary: 'gradient descent on ½‖x − c‖², sharded',
  async run(config, executor, { signal, onProgress } = {}) {
    const { dim = 64, shards = 4, rounds = 20, step = 0.5 } = config ?? {};
    const bounds = Array.from({ length: shards }, (_, s) => [Math.floor((s * dim) / shards), Math.floor(((s + 1) * dim) / shards)]);
    const x = new Float64Array(dim);
    let f = Infinity;
    for (let round = 0; round < rounds; round++) {
      const requests = bounds.map(([lo, hi]) => ({ header: { lo }, frames: [toFrame(x.subarray(lo, hi))] }));
      const replies = await executor.map('my.grad', requests, { signal });   // in request order
      f = 0;
      replies.forEach((r, k) => {
        const g = frameToFloat64(r.frames[0]);
        for (let i = 0; i < g.length; i++) x[bounds[k][0] + i] -= step * g[i];
        f += r.header.f;                       // summed in shard order: same f on any topology
      });
      onProgress?.({ iteration: round + 1, total: rounds, values: { objective: f } });
    }
    return { x, objective: f };
  },
};

export const plugin = definePlugin({ name: 'my-jobs', jobs: [gradJob], drivers: [descentDriver] });
`;

const HEARTBEAT = { intervalMs: 250, liveness: 3 };
const HB = { heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness };
const dir = fileURLToPath(new URL('../tmp/readme-examples/', import.meta.url));
const pluginFile = join(dir, 'my-jobs.mjs');

describe('README examples', () => {
  let plugin: Plugin;
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(pluginFile, MY_JOBS);
    plugin = ((await import(pluginFile)) as { plugin: Plugin }).plugin;
  });

  it('a job and a driver on one process (localExecutor)', async () => {
    const executor = localExecutor([plugin]);
    const reply = await executor.submit('my.grad', { header: { lo: 0 }, frames: [toFrame(new Float64Array([1, 1]))] });
    const g = frameToFloat64(reply.frames![0], 2);
    expect(g[0]).toBeCloseTo(1 - Math.sin(1), 15);
    expect(g[1]).toBeCloseTo(1 - Math.sin(2), 15);

    const descent = plugin.drivers.find((d) => d.id === 'my.descent')!;
    const seen: number[] = [];
    const result = (await descent.run({ dim: 64, shards: 4, rounds: 20 }, executor, { onProgress: (p) => seen.push(p.iteration) })) as { x: Float64Array; objective: number };
    expect(seen.length).toBe(20);
    expect(result.x[10]).toBeCloseTo(Math.sin(11), 5); // x → c, halving the error each round
  });

  it('coordinate: the loop of an iterative driver', async () => {
    const executor = localExecutor([plugin]);
    const dim = 8;
    const { state, rounds, reason } = await coordinate({
      executor,
      init: { x: new Float64Array(dim), f: Infinity },
      round: (s) => ({ service: 'my.grad', requests: [{ header: { lo: 0 }, frames: [toFrame(s.x)] }] }),
      gather: (s, [reply]) => {
        const g = frameToFloat64(reply.frames![0], dim);
        return { x: s.x.map((xi, i) => xi - g[i]), f: reply.header.f as number }; // step 1: x ← c at once
      },
      done: (s) => s.f === 0,
      maxRounds: 10,
      figures: (s) => ({ objective: s.f }),
    });
    expect(reason).toBe('done');
    expect(rounds).toBe(2); // round 1 moves x to c, round 2 measures f = 0
    expect(state.x[3]).toBe(Math.sin(4));
    // The README: `coordinate` from '@optkit/cluster' is core's, re-exported.
    expect(clusterCoordinate).toBe(coordinate);
  });

  describe('broker, worker and client in one process', () => {
    let broker: Broker;
    let worker: ClusterWorker;
    let client: ClusterClient;
    beforeAll(async () => {
      broker = new Broker(HB);
      const endpoint = await broker.bind('tcp://127.0.0.1:0'); // e.g. tcp://127.0.0.1:37125
      worker = await startWorker({ connect: endpoint, plugins: [pluginFile], threads: 2, heartbeat: HEARTBEAT, log: () => {} });
      client = new ClusterClient({ connect: endpoint, timeoutMs: 10_000, retries: 2 });
    }, 60_000);
    afterAll(async () => {
      client?.close();
      await worker?.close();
      await broker?.close();
    });

    it('submit, map, status and a driver over the cluster', async () => {
      expect(worker.services).toEqual(['my.grad']);
      const x = new Float64Array([0.5, 0.25]);
      const reply = await client.submit('my.grad', { header: { lo: 0 }, frames: [toFrame(x)] });
      expect(frameToFloat64(reply.frames![0], 2)[0]).toBeCloseTo(0.5 - Math.sin(1), 15);

      const replies = await client.map(
        'my.grad',
        [0, 2, 4].map((lo) => ({ header: { lo }, frames: [toFrame(new Float64Array(2))] })),
        { concurrency: 2 },
      );
      expect(replies.map((r) => frameToFloat64(r.frames![0], 2)[0])).toEqual([0, 2, 4].map((lo) => -Math.sin(lo + 1))); // request order

      const stats = await client.status(); // the broker's optkit.status
      expect(stats.workers).toBeGreaterThanOrEqual(2); // 1 service × 2 threads = 2 MDP worker connections
      expect(await client.workerCounts()).toEqual({ connections: 2, processes: 1 }); // ... from one process
      expect(broker.stats().requeued).toBe(0);

      const descent = plugin.drivers.find((d) => d.id === 'my.descent')!;
      const onCluster = (await descent.run({ dim: 64, shards: 4, rounds: 20 }, client, {})) as { x: Float64Array };
      const onOne = (await descent.run({ dim: 64, shards: 1, rounds: 20 }, localExecutor([plugin]), {})) as { x: Float64Array };
      expect(Array.from(onCluster.x)).toEqual(Array.from(onOne.x)); // same answer on any topology

      // A handler error comes back as a rejected OptkitError with the remote code; unknown services are refused
      await expect(client.submit('my.grad', { header: { lo: 0 }, frames: [] })).rejects.toBeInstanceOf(OptkitError);
    });
  });

  it('wire format', () => {
    const frames = encodePayload({ id: 't1', service: 'my.grad', header: { lo: 0 } }, [new Float64Array([1, 2])]);
    expect(frames.length).toBe(2); // MessagePack header + one raw frame
    expect(frames[1].byteLength).toBe(16);
    const { header, frames: raw } = decodePayload(frames);
    expect(header.frames).toEqual([{ dtype: 'f64', length: 2 }]);
    expect(header.header).toEqual({ lo: 0 });
    expect(raw.length).toBe(1);
    expect(DEFAULT_WIRE_LIMITS.maxFrameBytes).toBe(256 * 1024 * 1024);
    expect(() => decodePayload(frames, { maxFrames: 0 })).toThrow(OptkitError);
  });

  it('CURVE: encryption and an allow-list', async () => {
    const brokerKeys = generateKeyPair(); // Z85 Curve25519 pairs; on disk: optkit cluster keygen
    const workerKeys = generateKeyPair();
    const clientKeys = generateKeyPair();
    expect(brokerKeys.publicKey).toHaveLength(40);
    const broker = new Broker({ ...HB, curve: { ...brokerKeys, allow: [workerKeys.publicKey, clientKeys.publicKey] } });
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    const worker = await startWorker({
      connect: endpoint, plugins: [pluginFile], threads: 1, heartbeat: HEARTBEAT, log: () => {},
      curve: { serverKey: brokerKeys.publicKey, ...workerKeys },
    });
    const client = new ClusterClient({ connect: endpoint, curve: { serverKey: brokerKeys.publicKey, ...clientKeys } });
    const stranger = new ClusterClient({ connect: endpoint, timeoutMs: 300, retries: 0, curve: { serverKey: brokerKeys.publicKey, ...generateKeyPair() } });
    try {
      const reply = await client.submit('my.grad', { header: { lo: 0 }, frames: [toFrame(new Float64Array(1))] });
      expect(reply.header.f).toBeCloseTo(0.5 * Math.sin(1) ** 2, 15);
      await expect(stranger.submit('my.grad', { header: { lo: 0 }, frames: [toFrame(new Float64Array(1))] })).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(broker.stats().refusedAuth).toBeGreaterThanOrEqual(1); // refused by the ZAP allow-list
    } finally {
      stranger.close();
      client.close();
      await worker.close();
      await broker.close();
    }
  });
});
