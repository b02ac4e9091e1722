import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { OptkitError, toFrame } from '@optkit/core';
import { ClusterClient, attemptGraceMs, remoteCode, workerCounts, workersAlive } from './client.js';
import { brokerReply, parseBrokerInbound } from './mdp.js';
import { decodePayload, encodePayload } from './wire.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fake broker: a ROUTER that answers each client request through `answer` (or drops it when it returns null). */
async function fakeBroker(
  answer: (service: string, body: Buffer[], seen: number, sender: Buffer) => Uint8Array[] | null,
): Promise<{ endpoint: string; requests: { service: string; id?: string }[]; send: (sender: Buffer, service: string, body: Uint8Array[]) => Promise<void> }> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  cleanups.push(() => router.close());
  const requests: { service: string; id?: string }[] = [];
  void (async () => {
    try {
      for await (const frames of router) {
        const m = parseBrokerInbound(frames);
        if (m.kind !== 'client') continue;
        const id = decodePayload(m.body).header.id;
        requests.push({ service: m.service, id });
        const reply = answer(m.service, m.body, requests.length, m.sender);
        if (reply) await router.send(brokerReply(m.sender, m.service, reply) as Buffer[]);
      }
    } catch {
      // closed
    }
  })();
  return { endpoint: router.lastEndpoint!, requests, send: (sender, service, body) => router.send(brokerReply(sender, service, body) as Buffer[]) };
}

function client(connect: string, options: { timeoutMs?: number; retries?: number } = {}): ClusterClient {
  const c = new ClusterClient({ connect, ...options });
  cleanups.push(() => c.close());
  return c;
}

describe('ClusterClient against a scripted broker', () => {
  it('matches replies to requests by task id, whatever their order, and drops duplicates', async () => {
    const held: { id: string; sender: Buffer }[] = [];
    let release: () => void = () => {};
    const allIn = new Promise<void>((r) => (release = r));
    const b = await fakeBroker((_service, body, _seen, sender) => {
      held.push({ id: decodePayload(body).header.id!, sender });
      if (held.length === 3) release();
      return null;
    });
    const c = client(b.endpoint);
    const replies = Promise.all([0, 1, 2].map((i) => c.submit('echo', { header: { i } })));
    await allIn;
    expect(new Set(held.map((x) => x.id)).size).toBe(3);
    expect(held[0].id).toMatch(/^[0-9a-f]{12}-/);
    // Answer in reverse order, the last one twice: each reply goes to its own request.
    for (const k of [2, 1, 0, 0]) await b.send(held[k].sender, 'echo', encodePayload({ id: held[k].id, service: 'echo', header: { answer: k } }));
    expect((await replies).map((r) => r.header.answer)).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.stats()).toMatchObject({ replies: 3, duplicates: 1, pending: 0 });
    const pending = c.submit('echo', { header: {} });
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('answers, resends after a silent attempt, and rejects with the remote code', async () => {
    const b = await fakeBroker((service, body, seen) => {
      const h = decodePayload(body).header;
      if (service === 'flaky' && seen === 1) return null; // first attempt lost
      if (service === 'fails') return encodePayload({ id: h.id, service, error: { code: 'NOT_FINITE', message: 'x[3] is NaN' } });
      if (service === 'odd') return encodePayload({ id: h.id, service, error: { code: 'WEIRD', message: 'custom' } });
      return encodePayload({ id: h.id, service, header: { got: h.header } });
    });
    const c = client(b.endpoint, { timeoutMs: 200, retries: 2 });
    const r = await c.submit('flaky', { header: { a: 1 } });
    expect(r.header).toEqual({ got: { a: 1 } });
    expect(b.requests.map((x) => x.id)).toEqual([b.requests[0].id, b.requests[0].id]);
    expect(c.stats()).toMatchObject({ sent: 1, resent: 1, replies: 1, pending: 0 });
    const err = (await c.submit('fails', { header: {} }).catch((e: unknown) => e)) as OptkitError;
    expect(err).toBeInstanceOf(OptkitError);
    expect(err.code).toBe('NOT_FINITE');
    expect(err.message).toBe('fails: x[3] is NaN');
    await expect(c.submit('odd', { header: {} })).rejects.toMatchObject({ code: 'REMOTE_ERROR' });
  });

  it('gives up with TIMEOUT after its retries, and rejects bad input at once', async () => {
    const b = await fakeBroker(() => null);
    const c = client(b.endpoint, { timeoutMs: 100, retries: 1 });
    const t0 = Date.now();
    const e = (await c.submit('void', { header: {} }).catch((x: unknown) => x)) as OptkitError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain('2 attempts');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * (100 + attemptGraceMs(100)) - 20);
    await expect(c.submit('', { header: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'service' });
    await expect(c.submit('s', null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(c.submit('s', { header: {}, frames: [[1] as never] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'request.frames[0]' });
    await expect(c.submit('s', { header: {} }, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(c.map('s', [{ header: {} }], { concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const abort = new AbortController();
    const p = c.submit('void', { header: {} }, { signal: abort.signal });
    abort.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(() => new ClusterClient({ connect: 'nope' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('sends its timeout as a relative ttl, with the deprecated absolute deadline from its wall clock beside it', async () => {
    const headers: Record<string, unknown>[] = [];
    const b = await fakeBroker((service, body) => {
      const h = decodePayload(body).header;
      headers.push(h as unknown as Record<string, unknown>);
      return encodePayload({ id: h.id, service, header: {} });
    });
    const skew = -3_600_000;
    const c = new ClusterClient({ connect: b.endpoint, timeoutMs: 4321, wallClock: () => Date.now() + skew });
    cleanups.push(() => c.close());
    const t0 = Date.now();
    await c.submit('s', { header: { a: 1 } });
    await c.submit('s', { header: {} }, { timeoutMs: 250.5 });
    expect(headers.map((h) => h.ttl)).toEqual([4321, 250.5]);
    const d = headers[0].deadline as number;
    expect(d - (t0 + skew + 4321)).toBeGreaterThanOrEqual(0);
    expect(d - (t0 + skew + 4321)).toBeLessThan(2000);
  });

  it('map keeps request order and fails fast on the first error', async () => {
    const b = await fakeBroker((service, body) => {
      const h = decodePayload(body).header;
      const i = h.header!.i as number;
      if (i === 7) return encodePayload({ id: h.id, service, error: { code: 'REMOTE_ERROR', message: 'seven' } });
      return encodePayload({ id: h.id, service, header: { i } });
    });
    const c = client(b.endpoint);
    const ok = await c.map('m', Array.from({ length: 5 }, (_, i) => ({ header: { i } })), { concurrency: 2 });
    expect(ok.map((r) => r.header.i)).toEqual([0, 1, 2, 3, 4]);
    await expect(c.map('m', Array.from({ length: 20 }, (_, i) => ({ header: { i } })), { concurrency: 3 })).rejects.toMatchObject({ message: 'm: seven' });
    expect(await c.map('m', [])).toEqual([]);
  });
});

describe('helpers', () => {
  it('maps remote codes, sizes the grace window and reads worker counts', () => {
    expect(remoteCode('TIMEOUT')).toBe('TIMEOUT');
    expect(remoteCode('SOMETHING')).toBe('REMOTE_ERROR');
    expect(attemptGraceMs(100)).toBe(250);
    expect(attemptGraceMs(5000)).toBe(500);
    expect(attemptGraceMs(1e6)).toBe(2000);
    expect(workerCounts({ workers: 12, processes: 2 })).toEqual({ connections: 12, processes: 2 });
    // A broker that predates the process count: both are its connection count.
    expect(workerCounts({ workers: 12 })).toEqual({ connections: 12, processes: 12 });
    expect(workerCounts({})).toEqual({ connections: 0, processes: 0 });
    expect(workersAlive({ workers: 12 })).toEqual({ count: 12, unit: 'worker connections' });
    expect(workersAlive({ workers: 12, processes: 2 })).toEqual({ count: 2, unit: 'workers' });
    expect(workersAlive({ workers: [{ process: 'a' }, { process: 'a' }, { process: 'b' }] })).toEqual({ count: 2, unit: 'workers' });
  });
});
