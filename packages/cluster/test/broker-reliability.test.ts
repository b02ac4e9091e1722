import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { Broker } from '../src/broker.js';
import { decodePayload, encodePayload } from '../src/wire.js';
import { RawClient, RawWorker, closeAll, sleep, track, waitFor } from './mdp-peers.js';

let broker: Broker | null = null;
const workers: RawWorker[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) w.close();
  closeAll();
  await broker?.close();
  broker = null;
});

const INTERVAL = 50;
const LIVENESS = 3;

async function startBroker(options: ConstructorParameters<typeof Broker>[0] = {}): Promise<string> {
  broker = new Broker({ heartbeatIntervalMs: INTERVAL, heartbeatLiveness: LIVENESS, ...options });
  return broker.bind('tcp://127.0.0.1:0');
}

function worker(endpoint: string, service: string, handler: ConstructorParameters<typeof RawWorker>[2]): RawWorker {
  const w = new RawWorker(endpoint, service, handler, INTERVAL / 2);
  workers.push(w);
  return w;
}

describe('Broker: reliability', () => {
  it('drops a worker that stops heartbeating within the liveness window and re-queues its task to another worker', async () => {
    const endpoint = await startBroker();
    let hungAt = 0;
    const hung = worker(endpoint, 'job', () => {
      // Takes the task, then goes silent: no reply, no heartbeat.
      hung.alive = false;
      hungAt = Date.now();
      return null;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const healthy = worker(endpoint, 'job', (body) => body);
    await waitFor(() => broker!.stats().workers === 2);
    const client = new RawClient(endpoint);
    // LRU: the first registered worker (the one that hangs) gets the task.
    const reply = await client.request('job', encodePayload({ id: 'T1', header: { k: 1 } }));
    const droppedAfter = Date.now() - hungAt;
    expect(decodePayload(reply).header.id).toBe('T1');
    expect(hung.received.length).toBe(1);
    expect(healthy.received.length).toBe(1);
    const s = broker!.stats();
    expect(s.heartbeatExpiries).toBe(1);
    expect(s.requeued).toBe(1);
    expect(s.workers).toBe(1);
    // Liveness window = interval × liveness = 150 ms after the hung worker's last message, plus the
    // expiry check period (interval/4) and scheduling slack; the reply needs one more round trip.
    expect(droppedAfter).toBeGreaterThanOrEqual(INTERVAL * LIVENESS - INTERVAL / 2 - 5);
    expect(droppedAfter).toBeLessThan(INTERVAL * LIVENESS + 250);
  });

  it('re-queues the task of a worker that sends DISCONNECT mid-task', async () => {
    const endpoint = await startBroker();
    const quitter = worker(endpoint, 'job', () => {
      void quitter.send(['', 'MDPW01', Buffer.of(0x05)]);
      return null;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint);
    await client.send('job', ['payload']);
    await waitFor(() => broker!.stats().workerDisconnects === 1);
    expect(broker!.stats().queueDepth).toBe(1);
    worker(endpoint, 'job', (body) => body);
    expect((await client.receive()).body.map(String)).toEqual(['payload']);
    expect(broker!.stats().requeued).toBe(1);
  });

  it('drops a worker\'s second REPLY to one request, delivering only the first', async () => {
    const endpoint = await startBroker();
    const peer = track(new zmq.Dealer({ linger: 0, receiveTimeout: 2000 }));
    peer.connect(endpoint);
    await peer.send(['', 'MDPW01', Buffer.of(0x01), 'twice']);
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint, {}, 300);
    await client.send('twice', encodePayload({ id: 'X' }));
    let req: Buffer[];
    do req = await peer.receive();
    while (req[2][0] !== 0x02);
    const clientAddr = req[3];
    await peer.send(['', 'MDPW01', Buffer.of(0x03), clientAddr, '', ...encodePayload({ id: 'X', header: { n: 1 } })]);
    await peer.send(['', 'MDPW01', Buffer.of(0x03), clientAddr, '', ...encodePayload({ id: 'X', header: { n: 2 } })]);
    const first = decodePayload((await client.receive()).body);
    expect(first.header.header).toEqual({ n: 1 });
    await expect(client.receive()).rejects.toThrow();
    expect(broker!.stats().duplicateReplies).toBe(1);
    expect(broker!.stats().replies).toBe(1);
  });

  it('drops a worker whose REPLY names another client, and re-queues its task', async () => {
    const endpoint = await startBroker();
    const peer = track(new zmq.Dealer({ linger: 0, receiveTimeout: 2000 }));
    peer.connect(endpoint);
    await peer.send(['', 'MDPW01', Buffer.of(0x01), 'job']);
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint, {}, 2000);
    await client.send('job', ['q']);
    let req: Buffer[];
    do req = await peer.receive();
    while (req[2][0] !== 0x02);
    await peer.send(['', 'MDPW01', Buffer.of(0x03), Buffer.from('someone-else'), '', 'r']);
    await waitFor(() => broker!.stats().workers === 0);
    expect(broker!.stats().malformed).toBe(1);
    expect(broker!.stats().queueDepth).toBe(1);
    worker(endpoint, 'job', (body) => body);
    expect((await client.receive()).body.map(String)).toEqual(['q']);
    expect(broker!.stats().requeued).toBe(1);
  });

  it('delivers a late reply from a dropped worker once, and drops the re-queued copy\'s reply as a duplicate', async () => {
    const endpoint = await startBroker();
    // Slow worker: silent (no heartbeats) for 250 ms while computing, then replies.
    const slow = worker(endpoint, 'job', async (body) => {
      slow.alive = false;
      await sleep(250);
      slow.alive = true;
      return encodePayload({ id: decodePayload(body).header.id, header: { by: 'slow' } });
    });
    await waitFor(() => broker!.stats().workers === 1);
    const other = worker(endpoint, 'job', async (body) => {
      await sleep(400);
      return encodePayload({ id: decodePayload(body).header.id, header: { by: 'other' } });
    });
    await waitFor(() => broker!.stats().workers === 2);
    const client = new RawClient(endpoint, {}, 1500);
    await client.send('job', encodePayload({ id: 'L1' }));
    const r = decodePayload((await client.receive()).body);
    expect(r.header.header).toEqual({ by: 'slow' });
    await waitFor(() => other.served === 1, 2000, 'the re-queued copy to finish');
    client.socket.receiveTimeout = 100;
    await expect(client.receive()).rejects.toThrow();
    const s = broker!.stats();
    expect(s.heartbeatExpiries).toBeGreaterThanOrEqual(1);
    expect(s.requeued).toBe(1);
    expect(s.replies).toBe(1);
    expect(s.duplicateReplies).toBe(1);
  });

  it('gives up on a task after maxAttempts workers died holding it', async () => {
    const endpoint = await startBroker({ maxAttempts: 2 });
    const client = new RawClient(endpoint, {}, 3000);
    await client.send('poison', encodePayload({ id: 'P' }));
    for (let i = 0; i < 2; i++) {
      const w = worker(endpoint, 'poison', () => {
        void w.send(['', 'MDPW01', Buffer.of(0x05)]);
        return null;
      });
      await waitFor(() => broker!.stats().workerDisconnects === i + 1, 2000, `death ${i + 1}`);
    }
    const r = decodePayload((await client.receive()).body);
    expect(r.header.error?.code).toBe('UNAVAILABLE');
    expect(r.header.error?.message).toMatch(/2 workers/);
    expect(broker!.stats().failedTasks).toBe(1);
    expect(broker!.stats().requeued).toBe(1);
  });

  it('ignores a retried request whose task is still pending (the first copy answers)', async () => {
    const endpoint = await startBroker();
    const w = worker(endpoint, 'job', async (body) => {
      await sleep(50);
      return body;
    });
    await waitFor(() => broker!.stats().workers === 1);
    const client = new RawClient(endpoint, {}, 500);
    await client.send('job', encodePayload({ id: 'R' }));
    await client.send('job', encodePayload({ id: 'R' }));
    expect(decodePayload((await client.receive()).body).header.id).toBe('R');
    await expect(client.receive()).rejects.toThrow();
    expect(w.served).toBe(1);
    expect(broker!.stats().duplicateRequests).toBe(1);
  });
});
