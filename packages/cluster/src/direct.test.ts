import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OptkitError, frameToFloat64, toFrame } from '@optkit/core';
import { Broker } from './broker.js';
import { ClusterClient } from './client.js';
import { PayloadFetcher, PayloadServer, payloadKey } from './direct.js';
import { generateKeyPair } from './security.js';
import { decodePayload, encodePayload } from './wire.js';
import { startWorker } from './worker.js';
import { RawWorker, closeAll, thrown, waitFor } from '../test/mdp-peers.js';

const FIXTURE = fileURLToPath(new URL('../test/fixtures/jobs-plugin.ts', import.meta.url));
const HEARTBEAT = { intervalMs: 100, liveness: 3 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  closeAll();
});

async function broker(): Promise<Broker> {
  const b = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness });
  cleanups.push(() => b.close());
  await b.bind('tcp://127.0.0.1:0');
  return b;
}

function directClient(endpoint: string, extra: Partial<ConstructorParameters<typeof ClusterClient>[0]> = {}): ClusterClient {
  const c = new ClusterClient({ connect: endpoint, timeoutMs: 10_000, retries: 1, directPayloads: { bind: 'tcp://127.0.0.1:0', minBytes: 1024 }, ...extra });
  cleanups.push(() => c.close());
  return c;
}

const ramp = (n: number) => Float64Array.from({ length: n }, (_, i) => i * 0.5 - 3);

describe('PayloadServer and PayloadFetcher', () => {
  it('serve a held body by key, refuse an unknown or released one, and time out on a silent endpoint', async () => {
    const server = new PayloadServer('tcp://127.0.0.1:0');
    cleanups.push(() => server.close());
    const endpoint = await server.start();
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const fetcher = new PayloadFetcher();
    cleanups.push(() => fetcher.close());
    const key = payloadKey();
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const body = encodePayload({ id: 't1', header: { a: 1 } }, [ramp(5)]);
    server.hold(key, body);
    const got = await fetcher.fetch(endpoint, key, 2000);
    expect(got.map((f) => Buffer.from(f).toString('hex'))).toEqual(body.map((f) => Buffer.from(f).toString('hex')));
    expect(decodePayload(got).header.id).toBe('t1');
    server.release(key);
    expect(server.size).toBe(0);
    await expect(fetcher.fetch(endpoint, key, 2000)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(fetcher.fetch(endpoint, payloadKey(), 2000)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(server.counters).toMatchObject({ served: 1, unknown: 2 });
    // Nobody listens on port 1: the fetch gives up at its budget.
    await expect(fetcher.fetch('tcp://127.0.0.1:1', key, 150)).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(fetcher.fetch('http://x', key, 150)).rejects.toMatchObject({ code: 'PROTOCOL' });
    await expect(fetcher.fetch(endpoint, '', 150)).rejects.toMatchObject({ code: 'PROTOCOL' });
    const wildcard = new PayloadServer('tcp://*:0');
    cleanups.push(() => wildcard.close());
    await expect(wildcard.start()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('ClusterClient with direct payloads', () => {
  it('sends a large body around the broker: the broker carries only the fetch header, an optkit worker fetches the body and answers', async () => {
    const b = await broker();
    const w = await startWorker({ connect: b.endpoint!, plugins: [FIXTURE], services: ['fx.scale'], threads: 1, heartbeat: HEARTBEAT, log: () => {} });
    cleanups.push(() => w.close());
    await waitFor(() => b.stats().workers === 1, 10_000, 'worker registration');
    const c = directClient(b.endpoint!);
    const x = ramp(20_000);
    const reply = await c.submit('fx.scale', { header: { factor: 2 }, frames: [toFrame(x)] });
    const y = frameToFloat64(reply.frames![0]);
    expect(Array.from(y)).toEqual(Array.from(x, (v) => 2 * v));
    expect(reply.header.sum).toBe(x.reduce((s, v) => s + 2 * v, 0));
    // A small body still goes through the broker.
    const small = await c.submit('fx.scale', { header: { factor: 3 }, frames: [toFrame(ramp(4))] });
    expect(small.header.sum).toBe(3 * ramp(4).reduce((s, v) => s + v, 0));
    expect(c.stats()).toMatchObject({ direct: 1, replies: 2, pending: 0 });
  }, 30_000);

  it('keeps the body until the task is answered, so a re-queued task is fetched again by the next worker', async () => {
    const b = await broker();
    const seen: Record<string, unknown>[] = [];
    const frameCounts: number[] = [];
    // The first worker takes the request and dies silently.
    const first = new RawWorker(b.endpoint!, 'sum', (body) => {
      seen.push(decodePayload(body).header as unknown as Record<string, unknown>);
      frameCounts.push(body.length);
      first.alive = false;
      return null;
    });
    cleanups.push(() => first.close());
    await waitFor(() => b.stats().workers === 1, 2000, 'first worker');
    const c = directClient(b.endpoint!);
    const x = ramp(1000);
    const answer = c.submit('sum', { header: { k: 7 }, frames: [toFrame(x)] });
    await waitFor(() => seen.length === 1, 2000, 'dispatch to the first worker');
    // Through the broker came the header frame alone: the 8 kB body stayed with the client.
    expect(frameCounts).toEqual([1]);
    const fetch = seen[0].fetch as { endpoint: string; key: string; bytes: number };
    expect(fetch.key).toMatch(/^[0-9a-f]{32}$/);
    expect(fetch.bytes).toBeGreaterThan(8000);
    // The second worker fetches the body the way optkit workers do, and answers with its sum.
    const fetcher = new PayloadFetcher();
    cleanups.push(() => fetcher.close());
    const second = new RawWorker(b.endpoint!, 'sum', async (body) => {
      const h = decodePayload(body).header;
      const full = decodePayload(await fetcher.fetch(h.fetch!.endpoint, h.fetch!.key, 2000));
      const values = frameToFloat64(full.frames[0]);
      return encodePayload({ id: h.id, header: { sum: values.reduce((s, v) => s + v, 0), k: full.header.header?.k } });
    });
    cleanups.push(() => second.close());
    const reply = await answer;
    expect(reply.header).toEqual({ sum: x.reduce((s, v) => s + v, 0), k: 7 });
    expect(b.stats().requeued).toBe(1);
    // Answered: the body is dropped, and a late fetch finds nothing.
    await expect(fetcher.fetch(fetch.endpoint, fetch.key, 2000)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  }, 30_000);

  it('refuses direct payloads with CURVE, with an in-process broker, and with a bad bind address', async () => {
    const b = await broker();
    const keys = { serverKey: generateKeyPair().publicKey, ...generateKeyPair() };
    const err = (f: () => unknown) => thrown<OptkitError>(f);
    expect(err(() => new ClusterClient({ connect: b.endpoint!, curve: keys, directPayloads: { bind: 'tcp://127.0.0.1:0' } })).code).toBe('INVALID_OPTION');
    expect(err(() => new ClusterClient({ broker: b, directPayloads: { bind: 'tcp://127.0.0.1:0' } })).code).toBe('INVALID_OPTION');
    expect(err(() => new ClusterClient({ connect: b.endpoint!, directPayloads: { bind: 'localhost:5' } })).code).toBe('INVALID_OPTION');
    expect(err(() => new ClusterClient({ connect: b.endpoint!, directPayloads: { bind: 'tcp://127.0.0.1:0', minBytes: -1 } })).code).toBe('INVALID_OPTION');
    // A wildcard bind without an address to advertise fails the requests that would need it.
    const c = directClient(b.endpoint!, { directPayloads: { bind: 'tcp://*:0' } });
    await expect(c.submit('fx.scale', { header: {} })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('a CURVE worker refuses to fetch a direct payload (plain TCP) with a PROTOCOL error reply', async () => {
    const server = generateKeyPair();
    const workerKeys = generateKeyPair();
    const b = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness, curve: { ...server, allow: [workerKeys.publicKey] } });
    cleanups.push(() => b.close());
    const endpoint = await b.bind('tcp://127.0.0.1:0');
    const w = await startWorker({ connect: endpoint, plugins: [FIXTURE], services: ['fx.scale'], threads: 1, heartbeat: HEARTBEAT, curve: { serverKey: server.publicKey, ...workerKeys }, log: () => {} });
    cleanups.push(() => w.close());
    await waitFor(() => b.stats().workers === 1, 10_000, 'worker registration');
    // An in-process client of the CURVE broker forwards a hand-made direct request.
    const got: Buffer[][] = [];
    const handle = b.connectLocal((body) => got.push(body));
    handle.request('fx.scale', encodePayload({ id: 'd1', ttl: 5000, fetch: { endpoint: 'tcp://127.0.0.1:1', key: payloadKey(), bytes: 10 } }));
    await waitFor(() => got.length === 1, 5000, 'the reply');
    const error = decodePayload(got[0]).header.error;
    expect(error?.code).toBe('PROTOCOL');
    expect(error?.message).toMatch(/CURVE/);
  }, 30_000);
});
