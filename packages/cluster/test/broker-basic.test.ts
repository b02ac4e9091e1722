import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { OptkitError } from '@optkit/core';
import { Broker } from '../src/broker.js';
import { decodePayload, encodePayload, frameToArray } from '../src/wire.js';
import { RawClient, RawWorker, closeAll, sleep, track, waitFor } from './mdp-peers.js';

let broker: Broker | null = null;
const workers: RawWorker[] = [];

afterEach(async () => {
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

describe('Broker: requests through MDP', () => {
  it('counts sends to a peer that has gone as undeliverable, without stalling, and re-queues its task', async () => {
    const endpoint = await startBroker();
    const gone = worker(endpoint, 'svc', (body) => body);
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    // The worker's connection ends without DISCONNECT: the broker still lists it until its liveness
    // window (300 ms) passes, and a message to it fails at once (ROUTER mandatory, sendTimeout 0).
    gone.close();
    await waitFor(() => broker!.stats().peerDisconnects >= 1, 2000, 'the broker seeing the connection end');
    const client = new RawClient(endpoint);
    await client.send('svc', encodePayload({ id: 'lost-1' }));
    await waitFor(() => broker!.stats().undeliverable >= 1, 2000, 'an undeliverable send');
    // Other peers are served meanwhile: the failed send left nothing in progress.
    const status = await new RawClient(endpoint).request('mmi.service', ['svc']);
    expect(status.map(String)).toEqual(['200']);
    worker(endpoint, 'svc', (body) => body);
    const { body } = await client.receive();
    expect(decodePayload(body).header.id).toBe('lost-1');
    expect(broker!.stats().requeued).toBe(1);
  });

  it('carries an optkit request round trip (header + Float64Array) through a raw MDP worker', async () => {
    const endpoint = await startBroker();
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    // Worker doubles the array and echoes the task id, as the optkit worker does.
    worker(endpoint, 'double', (body) => {
      const { header, frames } = decodePayload(body);
      const x = frameToArray(frames[0], header.frames[0]) as Float64Array;
      const y = x.map((v) => 2 * v);
      return encodePayload({ id: header.id, header: { n: x.length } }, [y]);
    });
    await waitFor(() => broker!.stats().workers === 1, 2000, 'worker registration');
    const client = new RawClient(endpoint);
    const x = new Float64Array([1, -2.5, Math.PI]);
    const reply = await client.request('double', encodePayload({ id: 'task-1', service: 'double' }, [x]));
    const { header, frames } = decodePayload(reply);
    expect(header.id).toBe('task-1');
    expect(header.header).toEqual({ n: 3 });
    expect(Array.from(frameToArray(frames[0], header.frames[0]))).toEqual([2, -5, 2 * Math.PI]);
    const s = broker!.stats();
    expect(s.requests).toBe(1);
    expect(s.replies).toBe(1);
    expect(s.inFlight).toBe(0);
    expect(s.services).toEqual([{ name: 'double', workers: 1, processes: 1, idle: 1, queued: 0, inFlight: 0 }]);
  });

  it('serves plain MDP clients (foreign bodies, DEALER and REQ sockets) unchanged', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'echo', (body) => body.map((b) => b.toString().toUpperCase()));
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    expect((await client.request('echo', ['hello', 'world'])).map(String)).toEqual(['HELLO', 'WORLD']);
    // A zguide mdclient (v1) uses a REQ socket: the socket adds the empty delimiter itself.
    const req = track(new zmq.Request({ linger: 0, receiveTimeout: 3000 }));
    req.connect(endpoint);
    await req.send(['MDPC01', 'echo', 'abc']);
    const [proto, service, body] = await req.receive();
    expect([proto.toString(), service.toString(), body.toString()]).toEqual(['MDPC01', 'echo', 'ABC']);
  });

  it('dispatches fairly (least recently used) across two workers', async () => {
    const endpoint = await startBroker();
    const handler = async (body: Buffer[]) => {
      await sleep(5);
      return body;
    };
    const a = worker(endpoint, 'work', handler);
    const b = worker(endpoint, 'work', handler);
    await waitFor(() => broker!.stats().workers === 2);
    const client = new RawClient(endpoint);
    const n = 20;
    for (let i = 0; i < n; i++) await client.send('work', [`r${i}`]);
    const got = new Set<string>();
    for (let i = 0; i < n; i++) got.add((await client.receive()).body[0].toString());
    expect(got.size).toBe(n);
    expect(a.served + b.served).toBe(n);
    expect(a.served).toBe(n / 2);
    expect(b.served).toBe(n / 2);
    expect(broker!.stats().queueDepth).toBe(0);
    // One request at a time, both workers idle: least recently used first means strict alternation.
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = [a.served, b.served];
      await client.request('work', [`s${i}`]);
      order.push(a.served > before[0] ? 'a' : b.served > before[1] ? 'b' : '?');
    }
    expect(order.join('')).toMatch(/^(ab){3}$|^(ba){3}$/);
  });

  it('queues requests until a worker registers, then serves them', async () => {
    const endpoint = await startBroker({ unknownServiceGraceMs: 5000 });
    const client = new RawClient(endpoint);
    await client.send('late', ['x']);
    await waitFor(() => broker!.stats().queueDepth === 1);
    worker(endpoint, 'late', (body) => body);
    const reply = await client.receive();
    expect(reply.body.map(String)).toEqual(['x']);
  });

  it('answers a request for a service nobody serves with an error after the grace period, never hanging', async () => {
    const endpoint = await startBroker({ unknownServiceGraceMs: 150 });
    const client = new RawClient(endpoint);
    const t0 = Date.now();
    const reply = await client.request('nobody', encodePayload({ id: 'q1' }));
    const elapsed = Date.now() - t0;
    const { header } = decodePayload(reply);
    expect(header.id).toBe('q1');
    expect(header.error?.code).toBe('UNAVAILABLE');
    expect(header.error?.message).toMatch(/nobody/);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
    // A plain MDP client gets an HTTP-like status and a message.
    const plain = await client.request('nobody', ['hi']);
    expect(plain[0].toString()).toBe('404');
    expect(broker!.stats().unknownService).toBe(2);
  });

  it('refuses a request whose optkit header has the wrong version with PROTOCOL', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'svc', (body) => body);
    const client = new RawClient(endpoint);
    const { encode } = await import('@msgpack/msgpack');
    const reply = await client.request('svc', [encode({ v: 2, id: 'old', frames: [] })]);
    const { header } = decodePayload(reply);
    expect(header.error?.code).toBe('PROTOCOL');
    expect(header.error?.message).toMatch(/v=2/);
    expect(broker!.stats().badVersion).toBe(1);
    expect(broker!.stats().requests).toBe(0);
  });

  it('expires a queued request whose deadline passes (TIMEOUT)', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'slow', async (body) => {
      await sleep(400);
      return body;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    await client.send('slow', encodePayload({ id: 'first' }));
    await client.send('slow', encodePayload({ id: 'second', deadline: Date.now() + 100 }));
    const r1 = decodePayload((await client.receive()).body);
    expect(r1.header.id).toBe('second');
    expect(r1.header.error?.code).toBe('TIMEOUT');
    const r2 = decodePayload((await client.receive()).body);
    expect(r2.header.id).toBe('first');
    expect(r2.header.error).toBeUndefined();
    expect(broker!.stats().expired).toBe(1);
  });

  it('expires a queued request by its relative ttl, which wins over the deprecated absolute deadline', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'slow', async (body) => {
      await sleep(400);
      return body;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    await client.send('slow', encodePayload({ id: 'first' }));
    // As from a client whose clock is an hour behind (deadline long past) or ahead (deadline far off):
    // only the ttl counts, so 'late' expires in the queue and 'fine' is served.
    await client.send('slow', encodePayload({ id: 'late', ttl: 100, deadline: Date.now() + 3_600_000 }));
    await client.send('slow', encodePayload({ id: 'fine', ttl: 5000, deadline: Date.now() - 3_600_000 }));
    const r1 = decodePayload((await client.receive()).body);
    expect([r1.header.id, r1.header.error?.code]).toEqual(['late', 'TIMEOUT']);
    expect(r1.header.error?.message).toMatch(/passed its deadline while queued/);
    const r2 = decodePayload((await client.receive()).body);
    expect([r2.header.id, r2.header.error]).toEqual(['first', undefined]);
    const r3 = decodePayload((await client.receive()).body);
    expect([r3.header.id, r3.header.error]).toEqual(['fine', undefined]);
    expect(broker!.stats().expired).toBe(1);
    // A ttl already spent on arrival is refused at once, without queueing.
    await client.send('slow', encodePayload({ id: 'spent', ttl: 0 }));
    const r4 = decodePayload((await client.receive()).body);
    expect([r4.header.id, r4.header.error?.code]).toEqual(['spent', 'TIMEOUT']);
    expect(broker!.stats().expired).toBe(2);
  });

  it('forwards the budget left at dispatch as ttl (other header fields and frames untouched); a deadline-only header goes as it came', async () => {
    const endpoint = await startBroker();
    const seen: Buffer[][] = [];
    worker(endpoint, 'held', async (body) => {
      seen.push(body);
      if (seen.length === 1) await sleep(300);
      return body;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    const x = Float64Array.from([1.5, -2]);
    await client.send('held', encodePayload({ id: 'blocker' }));
    const withTtl = encodePayload({ id: 'budget', service: 'held', ttl: 5000, deadline: 17, header: { k: 'v', n: [1, 2] } }, [x]);
    const oldStyle = encodePayload({ id: 'old', deadline: Date.now() + 60_000, header: { k: 'w' } });
    await client.send('held', withTtl);
    await client.send('held', oldStyle);
    for (let i = 0; i < 3; i++) await client.receive();
    expect(seen.length).toBe(3);
    const forwarded = decodePayload(seen[1]);
    // It waited about 300 ms behind 'blocker': the worker gets about 4700 ms, never more than 5000.
    expect(forwarded.header.ttl).toBeLessThanOrEqual(5000 - 250);
    expect(forwarded.header.ttl).toBeGreaterThan(3000);
    expect(Number.isInteger(forwarded.header.ttl)).toBe(true);
    const original = decodePayload(withTtl);
    expect({ ...forwarded.header, ttl: 0 }).toEqual({ ...original.header, ttl: 0 });
    expect(Array.from(frameToArray(forwarded.frames[0], forwarded.header.frames[0]))).toEqual([1.5, -2]);
    expect(seen[2].map((f) => Buffer.from(f).toString('hex'))).toEqual(oldStyle.map((f) => Buffer.from(f).toString('hex')));
  });

  it('counts worker processes apart from worker connections (READY with a process id; plain READY = one process each)', async () => {
    const endpoint = await startBroker();
    // Two plain MDP workers, and one "process" holding three connections over two services.
    worker(endpoint, 'a', (body) => body);
    worker(endpoint, 'a', (body) => body);
    const peers = ['a', 'a', 'b'].map((service) => {
      const peer = track(new zmq.Dealer({ linger: 0 }));
      peer.connect(endpoint);
      void peer.send(['', 'MDPW01', Buffer.of(0x01), service, 'host-1:4242:0a0b0c']);
      return peer;
    });
    await waitFor(() => broker!.stats().workers === 5, 2000, 'five registrations');
    const stats = broker!.stats();
    expect([stats.workers, stats.processes]).toEqual([5, 3]);
    expect(stats.services.map((s) => [s.name, s.workers, s.processes])).toEqual([
      ['a', 4, 3],
      ['b', 1, 1],
    ]);
    // The process stays counted until its last connection goes.
    for (const p of peers.slice(0, 2)) await p.send(['', 'MDPW01', Buffer.of(0x05)]);
    await waitFor(() => broker!.stats().workers === 3, 2000, 'two disconnects');
    expect([broker!.stats().processes, broker!.stats().services[0].processes]).toEqual([3, 2]);
    await peers[2].send(['', 'MDPW01', Buffer.of(0x05)]);
    await waitFor(() => broker!.stats().workers === 2, 2000, 'the last disconnect');
    expect(broker!.stats().processes).toBe(2);
  });

  it('implements MMI: mmi.service 200/404, other mmi.* 501, and optkit.status', async () => {
    const endpoint = await startBroker();
    worker(endpoint, 'echo', (body) => body);
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    expect((await client.request('mmi.service', ['echo'])).map(String)).toEqual(['200']);
    expect((await client.request('mmi.service', ['missing'])).map(String)).toEqual(['404']);
    expect((await client.request('mmi.nope', ['x'])).map(String)).toEqual(['501']);
    const status = decodePayload(await client.request('optkit.status', encodePayload({ id: 's1' })));
    expect(status.header.id).toBe('s1');
    const stats = status.header.header as Record<string, unknown>;
    expect(stats.workers).toBe(1);
    expect(stats.services).toEqual([{ name: 'echo', workers: 1, processes: 1, idle: 1, queued: 0, inFlight: 0 }]);
    expect(typeof stats.requeued).toBe('number');
  });

  it('disconnects workers that break the protocol (unknown heartbeat, mmi.* service, double READY)', async () => {
    const endpoint = await startBroker();
    const peer = track(new zmq.Dealer({ linger: 0, receiveTimeout: 2000 }));
    peer.connect(endpoint);
    await peer.send(['', 'MDPW01', Buffer.of(0x04)]);
    let frames = await peer.receive();
    expect(frames[2][0]).toBe(0x05);
    await peer.send(['', 'MDPW01', Buffer.of(0x01), 'mmi.service']);
    frames = await peer.receive();
    expect(frames[2][0]).toBe(0x05);
    await peer.send(['', 'MDPW01', Buffer.of(0x01), 'svc']);
    await waitFor(() => broker!.stats().workers === 1);
    await peer.send(['', 'MDPW01', Buffer.of(0x01), 'svc']);
    // Heartbeats may arrive first; wait for the DISCONNECT.
    for (;;) {
      frames = await peer.receive();
      if (frames[2][0] === 0x05) break;
    }
    expect(broker!.stats().workers).toBe(0);
    expect(broker!.stats().protocolDisconnects).toBe(3);
  });

  it('validates its options and endpoint', async () => {
    expect(() => new Broker({ heartbeatIntervalMs: 0 })).toThrow(/heartbeatIntervalMs/);
    expect(() => new Broker({ heartbeatLiveness: -1 })).toThrow(/heartbeatLiveness/);
    expect(() => new Broker({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => new Broker({ limits: { maxFrameBytes: -1 } })).toThrow(OptkitError);
    broker = new Broker();
    await expect(broker.bind('localhost:5555')).rejects.toThrow(/not a ZeroMQ address/);
    for (const bad of [{ heartbeatIntervalMs: Number.NaN }, { maxQueue: 0 }, { limits: { maxFrames: 1.5 } }]) {
      let code: string | undefined;
      try {
        new Broker(bad);
      } catch (e) {
        code = (e as OptkitError).code;
      }
      expect(code).toBe('INVALID_OPTION');
    }
  });
});
