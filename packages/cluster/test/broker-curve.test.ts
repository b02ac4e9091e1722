import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker.js';
import { curveClientOptions, generateKeyPair } from '../src/security.js';
import { decodePayload, encodePayload } from '../src/wire.js';
import { RawClient, RawWorker, closeAll, sleep, waitFor } from './mdp-peers.js';

let broker: Broker | null = null;
const workers: RawWorker[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) w.close();
  closeAll();
  await broker?.close();
  broker = null;
});

describe('Broker under CURVE with a ZAP allow-list', () => {
  it('serves allowed keys, refuses and counts unknown keys and clients without CURVE', async () => {
    const server = generateKeyPair();
    const workerKey = generateKeyPair();
    const clientKey = generateKeyPair();
    const strangerKey = generateKeyPair();
    const refused: (string | null)[] = [];
    broker = new Broker({
      heartbeatIntervalMs: 100,
      curve: { ...server, allow: [workerKey.publicKey, clientKey.publicKey] },
      log: (line) => {
        const m = /refused CURVE key (\S+)/.exec(line);
        if (m) refused.push(m[1]);
      },
    });
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    const w = new RawWorker(endpoint, 'echo', (body) => body, 50, curveClientOptions(workerKey, server.publicKey));
    workers.push(w);
    await waitFor(() => broker!.stats().workers === 1, 3000, 'the CURVE worker to register');

    const good = new RawClient(endpoint, curveClientOptions(clientKey, server.publicKey));
    const reply = decodePayload(await good.request('echo', encodePayload({ id: 'ok' })));
    expect(reply.header.id).toBe('ok');

    // A client whose key is not on the allow-list: its handshake is refused, nothing reaches the broker.
    const stranger = new RawClient(endpoint, curveClientOptions(strangerKey, server.publicKey), 400);
    await stranger.send('echo', encodePayload({ id: 'stranger' }));
    await expect(stranger.receive()).rejects.toThrow();
    await waitFor(() => broker!.stats().refusedAuth >= 1, 2000, 'the refusal to be counted');
    expect(refused[0]).toBe(strangerKey.publicKey);

    // A plain client without CURVE: the handshake fails before ZAP.
    const plain = new RawClient(endpoint, {}, 400);
    await plain.send('echo', ['hello']);
    await expect(plain.receive()).rejects.toThrow();
    await waitFor(() => broker!.stats().handshakeFailures >= 1, 2000, 'the failed handshake to be counted');

    // An unknown worker key cannot register either.
    const rogue = new RawWorker(endpoint, 'echo', (body) => body, 50, curveClientOptions(strangerKey, server.publicKey));
    workers.push(rogue);
    await sleep(200);
    const s = broker!.stats();
    expect(s.workers).toBe(1);
    expect(s.requests).toBe(1);
    expect(s.replies).toBe(1);
    expect(s.refusedAuth).toBeGreaterThanOrEqual(2);
    expect(rogue.received.length).toBe(0);
    // The allowed client still works afterwards.
    expect(decodePayload(await good.request('echo', encodePayload({ id: 'ok2' }))).header.id).toBe('ok2');
  });

  it('accepts keys added at run time', async () => {
    const server = generateKeyPair();
    const clientKey = generateKeyPair();
    broker = new Broker({ heartbeatIntervalMs: 100, curve: { ...server, allow: [] } });
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    broker.allowKey(clientKey.publicKey);
    const client = new RawClient(endpoint, curveClientOptions(clientKey, server.publicKey));
    expect((await client.request('mmi.service', ['x'])).map(String)).toEqual(['404']);
    expect(() => new Broker({ curve: { publicKey: 'bad', secretKey: server.secretKey, allow: [] } })).toThrow(/curve.publicKey/);
  });
});
