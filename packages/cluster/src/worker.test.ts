import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OptkitError, frameToFloat64, toFrame } from '@optkit/core';
import { Broker } from './broker.js';
import { ClusterClient } from './client.js';
import { generateKeyPair } from './security.js';
import { startWorker, type ClusterWorker } from './worker.js';

const FIXTURE = fileURLToPath(new URL('../test/fixtures/jobs-plugin.ts', import.meta.url));
const HEARTBEAT = { intervalMs: 100, liveness: 3 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(endpoint = 'tcp://127.0.0.1:0', grace = 400): Promise<Broker> {
  const b = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness, unknownServiceGraceMs: grace });
  cleanups.push(() => b.close());
  await b.bind(endpoint);
  return b;
}

async function worker(connect: string, extra: Partial<Parameters<typeof startWorker>[0]> = {}): Promise<{ w: ClusterWorker; lines: string[] }> {
  const lines: string[] = [];
  const w = await startWorker({ connect, plugins: [FIXTURE], threads: 1, heartbeat: HEARTBEAT, reconnect: { initialMs: 50, maxMs: 400 }, log: (l) => lines.push(l), ...extra });
  cleanups.push(() => w.close());
  return { w, lines };
}

function client(connect: string, timeoutMs = 10_000): ClusterClient {
  const c = new ClusterClient({ connect, timeoutMs, retries: 2 });
  cleanups.push(() => c.close());
  return c;
}

async function codeOf(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return [(e as OptkitError).code, (e as OptkitError).message];
  }
  throw new Error('expected an OptkitError');
}

/** Waits until `check` holds, polling every 20 ms, failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('startWorker with a broker and a client in one process', () => {
  // One broker and worker shared by the tests that do not break them (start-up costs seconds here).
  const shared: { b?: Broker; w?: ClusterWorker; c?: ClusterClient; done: (() => unknown)[] } = { done: [] };
  beforeAll(async () => {
    shared.b = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness, unknownServiceGraceMs: 300 });
    shared.done.push(() => shared.b!.close());
    await shared.b.bind('tcp://127.0.0.1:0');
    shared.w = await startWorker({ connect: shared.b.endpoint!, plugins: [FIXTURE], threads: 1, heartbeat: HEARTBEAT, log: () => {} });
    shared.done.push(() => shared.w!.close());
    shared.c = new ClusterClient({ connect: shared.b.endpoint!, timeoutMs: 10_000, retries: 2 });
    shared.done.push(() => shared.c!.close());
  }, 60_000);
  afterAll(async () => {
    for (const d of shared.done.reverse()) await d();
  });

  it('serves every job of its plugins and answers a request with the handler result', async () => {
    const w = shared.w!;
    expect([...w.services].sort()).toEqual(['fx.finite', 'fx.grad', 'fx.scale', 'fx.sleep', 'fx.spin', 'fx.throw']);
    const c = shared.c!;
    const x = Float64Array.from([1, 2, 3.5]);
    const reply = await c.submit('fx.scale', { header: { factor: 2, tag: 't' }, frames: [toFrame(x)] });
    expect(Array.from(frameToFloat64(reply.frames![0], 3))).toEqual([2, 4, 7]);
    expect(reply.header.sum).toBe(13);
    expect(reply.header.tag).toBe('t');
    expect(reply.header.pid).toBe(process.pid);
    // 4 MiB: zeromq hands such frames out in buffers of their own, which move to the thread by transfer.
    const big = new Float64Array(1 << 19);
    for (let i = 0; i < big.length; i++) big[i] = i % 1000;
    const bigReply = await c.submit('fx.scale', { header: { factor: 0.5 }, frames: [toFrame(big)] });
    const y = frameToFloat64(bigReply.frames![0], big.length);
    expect(y[999]).toBe(499.5);
    expect(y[big.length - 1]).toBe(((big.length - 1) % 1000) * 0.5);
    expect(w.stats().completed).toBe(2);
  }, 30_000);

  it('turns handler errors, NaN data and deadlines into error replies and keeps serving', async () => {
    const w = shared.w!;
    const c = shared.c!;
    const before = w.stats();
    const [code, message] = await codeOf(c.submit('fx.throw', { header: { message: 'boom 42' } }));
    expect(code).toBe('REMOTE_ERROR');
    expect(message).toContain('boom 42');
    const [nanCode, nanMessage] = await codeOf(c.submit('fx.finite', { header: {}, frames: [toFrame(Float64Array.from([1, NaN]))] }));
    expect(nanCode).toBe('NOT_FINITE');
    expect(nanMessage).toContain('x[1] is NaN');
    const t0 = Date.now();
    const [tCode, tMessage] = await codeOf(c.submit('fx.sleep', { header: { ms: 5000 } }, { timeoutMs: 300, retries: 0 }));
    expect(tCode).toBe('TIMEOUT');
    expect(tMessage).toMatch(/deadline/);
    expect(Date.now() - t0).toBeLessThan(3000);
    // The pool thread that was aborted is replaced; the worker still answers.
    const ok = await c.submit('fx.scale', { header: { factor: 3 }, frames: [toFrame(Float64Array.from([1]))] });
    expect(ok.header.sum).toBe(3);
    const after = w.stats();
    expect([after.failed - before.failed, after.timedOut - before.timedOut, after.completed - before.completed]).toEqual([3, 1, 1]);
  }, 30_000);

  it('time budgets are relative: a client whose wall clock is an hour off still gets correct timeouts', async () => {
    const w = shared.w!;
    const endpoint = shared.b!.endpoint!;
    const HOUR = 3_600_000;
    // An hour behind: its absolute deadline is long past for the broker and the worker (as if their
    // clocks were an hour ahead), which used to fail every task at once; the ttl serves it.
    const behind = new ClusterClient({ connect: endpoint, timeoutMs: 10_000, retries: 0, wallClock: () => Date.now() - HOUR });
    shared.done.push(() => behind.close());
    const ok = await behind.submit('fx.sleep', { header: { ms: 50, tag: 'behind' } });
    expect(ok.header.tag).toBe('behind');
    // An hour ahead: its deadline is an hour off, which left a runaway task running; the worker
    // aborts it at its 300 ms budget and answers TIMEOUT itself (not the client's own give-up).
    const ahead = new ClusterClient({ connect: endpoint, timeoutMs: 300, retries: 0, wallClock: () => Date.now() + HOUR });
    shared.done.push(() => ahead.close());
    const before = w.stats();
    const t0 = Date.now();
    const [code, message] = await codeOf(ahead.submit('fx.sleep', { header: { ms: 5000 } }));
    expect(code).toBe('TIMEOUT');
    expect(message).toMatch(/exceeded its deadline \(\d+ ms\) and was aborted/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(w.stats().timedOut - before.timedOut).toBe(1);
    expect(() => new ClusterClient({ connect: endpoint, wallClock: 5 as unknown as () => number })).toThrow(OptkitError);
  }, 30_000);

  it('reports one worker process holding one connection per service and thread', async () => {
    const c = shared.c!;
    const services = shared.w!.services.length;
    await until(() => shared.b!.stats().workers === services);
    expect(await c.workerCounts()).toEqual({ connections: services, processes: 1 });
    expect(await c.workers()).toBe(1);
    expect(shared.b!.stats().services.every((s) => s.workers === 1 && s.processes === 1)).toBe(true);
  }, 30_000);

  it('a request for a service nobody serves fails with UNAVAILABLE instead of hanging', async () => {
    const c = shared.c!;
    const [code, message] = await codeOf(c.submit('fx.nope', { header: {} }));
    expect(code).toBe('UNAVAILABLE');
    expect(message).toContain('fx.nope');
  }, 30_000);

  it('reconnects after the broker restarts on the same endpoint, and the client resends', async () => {
    const b1 = await broker();
    const endpoint = b1.endpoint!;
    const { w, lines } = await worker(endpoint);
    const c = client(endpoint);
    expect((await c.submit('fx.scale', { header: { factor: 1 }, frames: [toFrame(Float64Array.from([5]))] })).header.sum).toBe(5);
    // A request in flight while the broker goes away: it must still complete.
    const slow = c.submit('fx.sleep', { header: { ms: 300, tag: 'across-restart' } });
    await new Promise((r) => setTimeout(r, 100));
    await b1.close();
    await new Promise((r) => setTimeout(r, 200));
    const b2 = await broker(endpoint);
    expect((await slow).header.tag).toBe('across-restart');
    await until(() => b2.stats().workers > 0);
    expect((await c.submit('fx.scale', { header: { factor: 2 }, frames: [toFrame(Float64Array.from([5]))] })).header.sum).toBe(10);
    expect(w.stats().reconnects).toBeGreaterThan(0);
    expect(c.stats().reconnects).toBeGreaterThan(0);
    expect(lines.some((l) => /reconnecting/.test(l))).toBe(true);
  }, 30_000);

  it('refuses bad options with INVALID_OPTION naming the field', async () => {
    await expect(startWorker({ connect: 'tcp://127.0.0.1:5555', plugins: [FIXTURE], threads: -2 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('threads is -2') });
    await expect(startWorker({ connect: 'localhost:5555', plugins: [FIXTURE] })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('connect') });
    await expect(startWorker({ connect: 'tcp://127.0.0.1:5555', plugins: [] })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('plugins') });
    await expect(startWorker({ connect: 'tcp://127.0.0.1:5555', plugins: [FIXTURE], services: ['fx.none'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('with prefetch 2 holds a second task beside its one thread: both are in flight at once, run in turn, and answer correctly', async () => {
    const b = await broker();
    const { w, lines } = await worker(b.endpoint!, { prefetch: 2, services: ['fx.sleep'] });
    expect(w.prefetch).toBe(2);
    expect(lines.join('\n')).toMatch(/serving fx\.sleep with 1 thread at .*, 2 tasks held per thread/);
    await until(() => b.stats().workers === 2);
    expect(b.stats().processes).toBe(1);
    const c = client(b.endpoint!);
    const t0 = performance.now();
    const tasks = [0, 1, 2, 3].map((tag) => c.submit('fx.sleep', { header: { ms: 150, tag } }));
    // Both connections hold a task while the single pool thread runs one of them.
    await until(() => b.stats().inFlight === 2, 2000);
    expect(w.stats().running).toBe(2);
    const replies = await Promise.all(tasks);
    expect(replies.map((r) => r.header.tag)).toEqual([0, 1, 2, 3]);
    // One thread: the four sleeps ran one after another.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4 * 150 - 20);
    await expect(startWorker({ connect: b.endpoint!, plugins: [FIXTURE], prefetch: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('prefetch') });
    await expect(startWorker({ connect: b.endpoint!, plugins: [FIXTURE], prefetch: 65 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('prefetch') });
  }, 30_000);

  it('reports where a task spent its time: handler ⊂ worker ⊂ round trip, summed in the client stats', async () => {
    const b = await broker();
    await worker(b.endpoint!, { services: ['fx.sleep'] });
    await until(() => b.stats().workers === 1);
    const c = client(b.endpoint!);
    for (const ms of [60, 30]) await c.submit('fx.sleep', { header: { ms } });
    const t = c.stats().timing;
    expect(t.tasks).toBe(2);
    expect(t.runMs).toBeGreaterThanOrEqual(88);
    expect(t.workerMs).toBeGreaterThanOrEqual(t.runMs);
    expect(t.roundTripMs).toBeGreaterThanOrEqual(t.workerMs);
    // Error replies carry no timing.
    await expect(c.submit('fx.sleep', { header: { ms: 500 } }, { timeoutMs: 100, retries: 0 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(c.stats().timing.tasks).toBe(2);
  }, 30_000);

  it('says that tfjs-node-gpu is absent and which backend it falls back to', async () => {
    const b = await broker();
    const { w, lines } = await worker(b.endpoint!, { backend: 'tfjs-node-gpu' });
    expect(w.backend?.fellBack).toBe(true);
    expect(lines.join('\n')).toMatch(/backend tfjs-node-gpu unavailable \(not installed.*\); falling back to (tfjs-node|wasm|cpu)/);
  }, 30_000);

  it('works under CURVE with allowed keys; a client with an unknown key gets no service', async () => {
    const server = generateKeyPair();
    const workerKeys = generateKeyPair();
    const clientKeys = generateKeyPair();
    const stranger = generateKeyPair();
    const b = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness, curve: { ...server, allow: [workerKeys.publicKey, clientKeys.publicKey] } });
    cleanups.push(() => b.close());
    const endpoint = await b.bind('tcp://127.0.0.1:0');
    await worker(endpoint, { curve: { serverKey: server.publicKey, ...workerKeys } });
    const good = new ClusterClient({ connect: endpoint, curve: { serverKey: server.publicKey, ...clientKeys } });
    cleanups.push(() => good.close());
    const reply = await good.submit('fx.scale', { header: { factor: 4 }, frames: [toFrame(Float64Array.from([1, 2]))] });
    expect(reply.header.sum).toBe(12);
    const bad = new ClusterClient({ connect: endpoint, timeoutMs: 300, retries: 0, curve: { serverKey: server.publicKey, ...stranger } });
    cleanups.push(() => bad.close());
    await expect(bad.submit('fx.scale', { header: { factor: 1 }, frames: [toFrame(Float64Array.from([1]))] })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(b.stats().refusedAuth).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
