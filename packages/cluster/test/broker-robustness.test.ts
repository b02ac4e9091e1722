import { connect as tcpConnect, type Socket as TcpSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { encode } from '@msgpack/msgpack';
import { Rng } from '@optkit/core';
import { Broker } from '../src/broker.js';
import { decodePayload, encodePayload } from '../src/wire.js';
import { RawClient, RawWorker, closeAll, sleep, track, waitFor } from './mdp-peers.js';

let broker: Broker | null = null;
const workers: RawWorker[] = [];
const tcp: TcpSocket[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) w.close();
  for (const s of tcp.splice(0)) s.destroy();
  closeAll();
  await broker?.close();
  broker = null;
});

type Frames = (Buffer | string)[];

/** One malformed message of category `k`, built from `rng`; each category breaks MDP in its own way. */
function malformed(k: number, rng: Rng): Frames {
  const junk = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
    return b;
  };
  switch (k) {
    case 0: // garbage frames without the empty delimiter (first frame non-empty)
      return [Buffer.concat([Buffer.of(1), junk(rng.int(0, 40))]), ...Array.from({ length: rng.int(0, 4) }, () => junk(rng.int(0, 64)))];
    case 1: // wrong protocol header
      return ['', ['MDPC02', 'MDPW02', 'MDP', 'mdpc01', 'XXXXXX'][rng.int(0, 4)], 'svc', 'body'];
    case 2: // truncated: delimiter only, or delimiter + header
      return rng.int(0, 1) ? [''] : ['', rng.int(0, 1) ? 'MDPC01' : 'MDPW01'];
    case 3: // client request truncated (no body) or with an empty service name
      return rng.int(0, 1) ? ['', 'MDPC01', 'svc'] : ['', 'MDPC01', '', 'body'];
    case 4: // worker commands with wrong frame counts or unknown command bytes
      return [
        ['', 'MDPW01', Buffer.of(0x01)],
        ['', 'MDPW01', Buffer.of(0x03), 'client'],
        ['', 'MDPW01', Buffer.of(0x03), 'client', 'not-empty', 'body'],
        ['', 'MDPW01', Buffer.of(0x04), 'extra'],
        ['', 'MDPW01', Buffer.of(rng.int(6, 255))],
        ['', 'MDPW01', Buffer.of(0x02), 'client', '', 'body'],
        ['', 'MDPW01', Buffer.of(0x01, 0x01), 'svc'],
      ][rng.int(0, 6)];
    default: // a lone empty frame then garbage
      return ['', junk(rng.int(1, 16)), junk(rng.int(0, 16))];
  }
}

describe('Broker: malformed and hostile input', () => {
  it('survives 10 000 malformed, wrong-protocol, wrong-version and oversize messages, counts them, and still serves', async () => {
    const FRAME_LIMIT = 64 * 1024;
    broker = new Broker({ heartbeatIntervalMs: 200, limits: { maxFrameBytes: FRAME_LIMIT, maxFrames: 8, maxTotalBytes: 128 * 1024 } });
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    const port = Number(endpoint.split(':').pop());
    const w = new RawWorker(endpoint, 'echo', (body) => body, 50);
    workers.push(w);
    await waitFor(() => broker!.stats().workers === 1);

    const rng = new Rng(5);
    const attacker = track(new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, routingId: 'attacker' }));
    attacker.connect(endpoint);
    // Drain the error replies the broker sends back so nothing backs up.
    void (async () => {
      try {
        for await (const _ of attacker) void _;
      } catch {
        // closed
      }
    })();
    const N = 10_000;
    let expectMalformed = 0;
    let expectBadVersion = 0;
    let expectOversize = 0;
    for (let i = 0; i < N; i++) {
      const r = i % 10;
      let msg: Frames;
      if (r === 8) {
        // Wrong-version optkit header: refused with PROTOCOL.
        msg = ['', 'MDPC01', 'echo', encode({ v: 1 + rng.int(1, 9), id: `x${i}`, frames: [] }) as Buffer];
        expectBadVersion++;
      } else if (r === 9) {
        // More frames, or more bytes in all, than the limits allow (each frame under the socket limit).
        msg = i % 20 === 9 ? ['', 'MDPC01', 'echo', ...Array.from({ length: 12 }, () => 'f')] : ['', 'MDPC01', 'echo', Buffer.alloc(50_000), Buffer.alloc(50_000), Buffer.alloc(50_000)];
        expectOversize++;
      } else {
        msg = malformed(r % 6, rng);
        expectMalformed++;
      }
      await attacker.send(msg);
    }
    await waitFor(
      () => {
        const s = broker!.stats();
        return s.malformed === expectMalformed && s.badVersion === expectBadVersion && s.oversize === expectOversize;
      },
      8000,
      'the broker to count every bad message',
    );
    // Frames over maxMessageSize: libzmq refuses them before allocating and drops the connection.
    for (let i = 0; i < 10; i++) {
      const big = track(new zmq.Dealer({ linger: 0 }));
      big.connect(endpoint);
      await big.send(['', 'MDPC01', 'echo', Buffer.alloc(FRAME_LIMIT + 1 + i)]);
    }
    // Raw TCP garbage that is not ZMTP 3 (libzmq may read it as a ZMTP 1.0 peer and deliver a
    // message, which the broker then drops as malformed).
    for (let i = 0; i < 10; i++) {
      const s = tcpConnect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n\r\n${'z'.repeat(i * 100)}`));
      tcp.push(s);
    }
    await waitFor(() => broker!.stats().peerDisconnects >= 10, 3000, 'oversize connections to be cut');

    // Still serving, and the worker is still registered.
    const client = new RawClient(endpoint);
    const reply = await client.request('echo', encodePayload({ id: 'after' }, [new Float64Array([42])]));
    const { header } = decodePayload(reply);
    expect(header.id).toBe('after');
    const s = broker!.stats();
    expect(s.malformed).toBeGreaterThanOrEqual(expectMalformed);
    expect(s.badVersion).toBe(expectBadVersion);
    expect(s.oversize).toBe(expectOversize);
    expect(expectMalformed + expectBadVersion + expectOversize).toBe(N);
    expect(s.workers).toBe(1);
    expect(s.requests).toBe(1);
    expect(w.received.length).toBe(1);
  }, 20_000);

  it('answers an oversize request from an optkit client with LIMIT_EXCEEDED', async () => {
    broker = new Broker({ heartbeatIntervalMs: 200, limits: { maxFrameBytes: 1024, maxTotalBytes: 2048 } });
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    const client = new RawClient(endpoint);
    const body = [...encodePayload({ id: 'big' }), Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)];
    const reply = decodePayload(await client.request('svc', body));
    expect(reply.header.id).toBe('big');
    expect(reply.header.error?.code).toBe('LIMIT_EXCEEDED');
    expect(broker.stats().oversize).toBe(1);
    await sleep(1);
  });
});
