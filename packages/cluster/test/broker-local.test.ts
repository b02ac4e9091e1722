/**
 * In-process clients of the broker (Broker.connectLocal, ClusterClient({broker})): the same queues,
 * dispatch, deadlines, re-queueing and error replies as socket clients, without the socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { Broker } from '../src/broker.js';
import { ClusterClient } from '../src/client.js';
import { decodePayload, encodePayload, frameToArray } from '../src/wire.js';
import { RawClient, RawWorker, closeAll, sleep, thrown, waitFor } from './mdp-peers.js';

let broker: Broker | null = null;
const workers: RawWorker[] = [];
const clients: ClusterClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const w of workers.splice(0)) w.close();
  closeAll();
  await broker?.close();
  broker = null;
});

async function startBroker(options: ConstructorParameters<typeof Broker>[0] = {}): Promise<string> {
  broker = new Broker({ heartbeatIntervalMs: 100, heartbeatLiveness: 3, ...options });
  return broker.bind('tcp://127.0.0.1:0');
}

function worker(endpoint: string, service: string, handler: ConstructorParameters<typeof RawWorker>[2], hb = 50): RawWorker {
  const w = new RawWorker(endpoint, service, handler, hb);
  workers.push(w);
  return w;
}

function localClient(options: Partial<ConstructorParameters<typeof ClusterClient>[0]> = {}): ClusterClient {
  const c = new ClusterClient({ broker: broker!, timeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}

/** A worker that doubles the float64 values of the first frame (sent as bytes by ClusterClient, or as f64) and answers in the optkit format. */
function doubler(endpoint: string): RawWorker {
  return worker(endpoint, 'double', (body) => {
    const { header, frames } = decodePayload(body);
    const x = new Float64Array(Uint8Array.from(frames[0]).buffer);
    return encodePayload({ id: header.id, header: { n: x.length, seen: header.header } }, [x.map((v) => 2 * v)]);
  });
}

/** The float64 values of a frame (which may be a view into a larger buffer). */
const f64 = (frame: Uint8Array): Float64Array => new Float64Array(Uint8Array.from(frame).buffer);

function codeOf(err: unknown): string | undefined {
  return err instanceof OptkitError ? err.code : undefined;
}

describe('Broker in-process clients', () => {
  it('serves a ClusterClient({broker}) like a socket client, side by side, with the same replies', async () => {
    const endpoint = await startBroker();
    doubler(endpoint);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    const local = localClient();
    const remote = new ClusterClient({ connect: endpoint, timeoutMs: 5000 });
    clients.push(remote);
    expect(local.endpoint).toBe('in-process');
    expect(broker!.stats().localClients).toBe(1);
    const x = Float64Array.from({ length: 100 }, (_, i) => i - 50.25);
    const frame = new Uint8Array(x.buffer);
    const [a, b] = await Promise.all([
      local.submit('double', { header: { k: 1 }, frames: [frame] }),
      remote.submit('double', { header: { k: 1 }, frames: [frame] }),
    ]);
    expect(a.header).toEqual(b.header);
    expect(a.header).toEqual({ n: 100, seen: { k: 1 } });
    const ya = f64(a.frames![0]);
    expect(Array.from(ya)).toEqual(Array.from(x, (v) => 2 * v));
    expect(Buffer.from(a.frames![0]).equals(Buffer.from(b.frames![0]))).toBe(true);
    // Many in flight through map, replies matched by id.
    const requests = Array.from({ length: 40 }, (_, i) => ({ header: { i }, frames: [new Uint8Array(Float64Array.of(i).buffer)] }));
    const replies = await local.map('double', requests, { concurrency: 8 });
    expect(replies.map((r) => f64(r.frames![0])[0])).toEqual(requests.map((_, i) => 2 * i));
    expect(local.stats()).toMatchObject({ sent: 41, replies: 41, duplicates: 0, invalid: 0, pending: 0 });
    // A plain MDP worker reports no timing, so none is summed.
    expect(local.stats().timing.tasks).toBe(0);
    // The broker's internal services answer local clients too.
    const status = await local.status();
    expect(status.localClients).toBe(1);
    expect(status.replies).toBe(42);
  });

  it('re-queues a local client task whose worker dies, and answers it from the next worker', async () => {
    const endpoint = await startBroker();
    const hung = worker(endpoint, 'double', () => null);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    const local = localClient();
    const answer = local.submit('double', { header: {}, frames: [new Uint8Array(Float64Array.of(21).buffer)] });
    await waitFor(() => hung.received.length === 1, 2000, 'dispatch to the hung worker');
    hung.alive = false; // stops heartbeating: dropped after the 300 ms liveness window
    doubler(endpoint);
    const reply = await answer;
    expect(f64(reply.frames![0])[0]).toBe(42);
    expect(broker!.stats().requeued).toBe(1);
  });

  it('gives broker errors to local clients asynchronously, as error replies: bad version, oversize, unknown service, deadline', async () => {
    await startBroker({ unknownServiceGraceMs: 100, limits: { maxTotalBytes: 4096 } });
    const local = localClient({ retries: 0 });
    const big = new Uint8Array(8192);
    await expect(local.submit('svc', { header: {}, frames: [big] })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await expect(local.submit('nobody.serves.this', { header: {} })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(local.submit('nobody.serves.this', { header: {} }, { timeoutMs: 1 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(local.stats().pending).toBe(0);

    // The raw handle: a reply never arrives from inside request().
    const got: Buffer[][] = [];
    const handle = broker!.connectLocal((body) => got.push(body));
    handle.request('svc', [Buffer.from([0x81, 0xa1, 0x76, 0x07])]); // {v: 7}
    expect(got).toHaveLength(0);
    await waitFor(() => got.length === 1, 1000, 'the error reply');
    expect(decodePayload(got[0]).header.error?.code).toBe('PROTOCOL');
    expect(broker!.stats().badVersion).toBe(1);
    // A plain MDP body (not an optkit payload) gets the MDP status frames.
    handle.request('nobody.here', ['hello']);
    await waitFor(() => got.length === 2, 2000, 'the 404');
    expect(got[1].map(String)[0]).toBe('404');
    handle.close();
    expect(handle.open).toBe(false);
    expect(() => handle.request('svc', ['x'])).toThrow(/closed/);
  });

  it('expires requests of a local client on a broker that was never bound (no service → UNAVAILABLE)', async () => {
    broker = new Broker({ heartbeatIntervalMs: 100, heartbeatLiveness: 3, unknownServiceGraceMs: 150 });
    const local = localClient({ retries: 0, timeoutMs: 30_000 });
    const t0 = Date.now();
    await expect(local.submit('nobody', { header: {} })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses bad local requests and options with clear errors', async () => {
    await startBroker();
    const handle = broker!.connectLocal(() => undefined);
    const err = (f: () => unknown) => thrown<OptkitError>(f);
    expect(err(() => handle.request('', ['x'])).code).toBe('INVALID_ARGUMENT');
    expect(err(() => handle.request('a\u0000b', ['x'])).code).toBe('INVALID_ARGUMENT');
    expect(err(() => handle.request('x'.repeat(256), ['x'])).code).toBe('INVALID_ARGUMENT');
    expect(err(() => handle.request('svc', [])).code).toBe('INVALID_ARGUMENT');
    expect(err(() => broker!.connectLocal(42 as never)).code).toBe('INVALID_ARGUMENT');
    expect(err(() => new ClusterClient({ broker: broker!, connect: 'tcp://127.0.0.1:5555' })).code).toBe('INVALID_OPTION');
    expect(err(() => new ClusterClient({ broker: {} as Broker })).code).toBe('INVALID_OPTION');
    expect(err(() => new ClusterClient({ broker: broker!, timeoutMs: -1 })).code).toBe('INVALID_OPTION');
    const keys = { serverKey: 'x'.repeat(40), publicKey: 'y'.repeat(40), secretKey: 'z'.repeat(40) };
    expect(err(() => new ClusterClient({ broker: broker!, curve: keys })).code).toBe('INVALID_OPTION');
  });

  it('fails pending and later local requests with UNAVAILABLE at once when the broker closes', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'slow', () => null);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    const local = localClient({ timeoutMs: 60_000 });
    const pending = local.submit('slow', { header: {} });
    const caught = pending.catch((e: unknown) => e);
    await sleep(50);
    const t0 = Date.now();
    await broker!.close();
    const e = await caught;
    expect(codeOf(e)).toBe('UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(local.submit('slow', { header: {} })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(() => broker!.connectLocal(() => undefined)).toThrow(/closed/);
    broker = null;
  });

  it('keeps socket clients served while a local client floods the queue, in FIFO order', async () => {
    const endpoint = await startBroker();
    doubler(endpoint);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    const local = localClient();
    const flood = local.map(
      'double',
      Array.from({ length: 200 }, (_, i) => ({ header: { i }, frames: [new Uint8Array(Float64Array.of(i).buffer)] })),
      { concurrency: 200 },
    );
    const raw = new RawClient(endpoint);
    const reply = await raw.request('double', encodePayload({ id: 'socket-1' }, [Float64Array.of(5)]));
    const { header, frames } = decodePayload(reply);
    expect(header.id).toBe('socket-1');
    expect((frameToArray(frames[0], header.frames[0]) as Float64Array)[0]).toBe(10);
    expect(await flood).toHaveLength(200);
  });
});

describe('Broker placement: least busy process, then affinity, then least recently used', () => {
  /** A worker that answers with its own name after `gate` opens (so tasks can be held in flight). */
  function named(endpoint: string, name: string, processId?: string, gate?: () => Promise<void>): RawWorker {
    const w = new RawWorker(
      endpoint,
      'where',
      async (body) => {
        if (gate) await gate();
        return encodePayload({ id: decodePayload(body).header.id, header: { name } });
      },
      50,
      {},
      processId,
    );
    workers.push(w);
    return w;
  }

  it('sends a task to the worker that served its affinity last, where LRU order would pick another', async () => {
    const endpoint = await startBroker();
    named(endpoint, 'w1');
    await waitFor(() => broker!.stats().workers === 1, 2000, 'w1');
    named(endpoint, 'w2');
    await waitFor(() => broker!.stats().workers === 2, 2000, 'w2');
    const local = localClient();
    const where = async (affinity?: string) => (await local.submit('where', { header: {}, ...(affinity !== undefined ? { affinity } : {}) })).header.name;
    const withAffinity: unknown[] = [];
    for (const a of ['a', 'b', 'b', 'a', 'a']) withAffinity.push(await where(a));
    expect(withAffinity).toEqual(['w1', 'w2', 'w2', 'w1', 'w1']);
    // Without it, the same sequence alternates (least recently used).
    const plain: unknown[] = [];
    for (let i = 0; i < 4; i++) plain.push(await where());
    expect(new Set([plain[0], plain[1]]).size).toBe(2);
    expect(plain[2]).toBe(plain[0]);
    expect(plain[3]).toBe(plain[1]);
    // A socket client's affinity reaches the broker the same way (it is in the optkit header).
    const remote = new ClusterClient({ connect: endpoint, timeoutMs: 5000 });
    clients.push(remote);
    const sticky = [];
    for (let i = 0; i < 3; i++) sticky.push((await remote.submit('where', { header: {}, affinity: 'b' })).header.name);
    expect(sticky).toEqual(['w2', 'w2', 'w2']);
    await expect(remote.submit('where', { header: {}, affinity: 'x'.repeat(256) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('spreads concurrent tasks over worker processes before doubling up on one, whatever the LRU order', async () => {
    const endpoint = await startBroker();
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const gate = () => opened;
    // Process P holds two connections (a worker process with 2 pool threads), Q one; P's register first.
    named(endpoint, 'p1', 'host:1:aa', gate);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'p1');
    named(endpoint, 'p2', 'host:1:aa', gate);
    await waitFor(() => broker!.stats().workers === 2, 2000, 'p2');
    named(endpoint, 'q1', 'host:2:bb', gate);
    await waitFor(() => broker!.stats().workers === 3, 2000, 'q1');
    expect(broker!.stats().processes).toBe(2);
    const local = localClient();
    const first = local.submit('where', { header: {} });
    await waitFor(() => broker!.stats().inFlight === 1, 2000, 'the first dispatch');
    // Least-recently-used order alone would give p2 (it registered before q1): P already runs one.
    const second = local.submit('where', { header: {} });
    await waitFor(() => broker!.stats().inFlight === 2, 2000, 'the second dispatch');
    const third = local.submit('where', { header: {} });
    await waitFor(() => broker!.stats().inFlight === 3, 2000, 'the third dispatch');
    open();
    expect([(await first).header.name, (await second).header.name, (await third).header.name]).toEqual(['p1', 'q1', 'p2']);
  });
});
