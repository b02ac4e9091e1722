/**
 * The cluster with real worker processes on loopback: a broker in this process, workers spawned from
 * the sources, a client. Every child is killed in afterEach, even when a test fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OptkitError, frameToFloat64, localExecutor, toFrame, type JobRequest } from '@optkit/core';
import { descent, plugin as fixture } from './fixtures/jobs-plugin.js';
import { FIXTURE_SERVICES, Harness } from './harness.js';

const h = new Harness();
afterEach(() => h.cleanup());

function scaleRequests(n: number): JobRequest[] {
  return Array.from({ length: n }, (_, i) => ({ header: { factor: i + 1, tag: i }, frames: [toFrame(Float64Array.from([i, 1, 2]))] }));
}

function checkScaleReplies(replies: { header: Record<string, unknown>; frames?: Uint8Array[] }[]): void {
  replies.forEach((r, i) => {
    expect(r.header.tag).toBe(i);
    expect(Array.from(frameToFloat64(r.frames![0], 3))).toEqual([i * (i + 1), i + 1, 2 * (i + 1)]);
  });
}

describe('cluster with worker processes', () => {
  it('maps 50 tasks over 2 worker processes, in request order, with both doing work', async () => {
    await h.startBroker();
    await Promise.all([h.spawnWorker(), h.spawnWorker()]);
    await h.registered(2 * FIXTURE_SERVICES);
    const c = h.client();
    let progress = 0;
    const replies = await c.map('fx.scale', scaleRequests(50), { concurrency: 8, onProgress: (done) => (progress = done) });
    checkScaleReplies(replies);
    expect(progress).toBe(50);
    const pids = new Set(replies.map((r) => r.header.pid));
    expect(pids.size).toBe(2);
    expect(await c.workers()).toBeGreaterThanOrEqual(2);
    // Two processes of 6 services × 1 thread: 12 MDP connections, counted as 2 worker processes.
    expect(await c.workerCounts()).toEqual({ connections: 2 * FIXTURE_SERVICES, processes: 2 });
    expect(await c.workers()).toBe(2);
  }, 60_000);

  it('re-queues the task of a worker killed with SIGKILL mid-job, and the map completes with correct answers', async () => {
    await h.startBroker();
    const [victim] = await Promise.all([h.spawnWorker(), h.spawnWorker()]);
    await h.registered(2 * FIXTURE_SERVICES);
    const c = h.client();
    const requests = Array.from({ length: 10 }, (_, i) => ({ header: { ms: 250, tag: i } }));
    const mapped = c.map('fx.sleep', requests, { concurrency: 4 });
    await new Promise((r) => setTimeout(r, 350));
    victim.child.kill('SIGKILL');
    const replies = await mapped;
    replies.forEach((r, i) => expect(r.header.tag).toBe(i));
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(h.broker.stats().requeued).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('gives tasks to a worker that joins late', async () => {
    await h.startBroker();
    const first = await h.spawnWorker();
    await h.registered(FIXTURE_SERVICES);
    const c = h.client();
    const mapped = c.map('fx.sleep', Array.from({ length: 30 }, (_, i) => ({ header: { ms: 150, tag: i } })), { concurrency: 4 });
    const late = await h.spawnWorker();
    const replies = await mapped;
    replies.forEach((r, i) => expect(r.header.tag).toBe(i));
    const pids = new Set(replies.map((r) => r.header.pid));
    expect(pids.has(first.child.pid)).toBe(true);
    expect(pids.has(late.child.pid)).toBe(true);
  }, 60_000);

  it('survives a broker restart: workers reconnect, the client resends, the job completes', async () => {
    await h.startBroker();
    await Promise.all([h.spawnWorker(), h.spawnWorker()]);
    await h.registered(2 * FIXTURE_SERVICES);
    const c = h.client();
    const mapped = c.map('fx.sleep', Array.from({ length: 16 }, (_, i) => ({ header: { ms: 150, tag: i } })), { concurrency: 4 });
    await new Promise((r) => setTimeout(r, 300));
    await h.restartBroker();
    const replies = await mapped;
    replies.forEach((r, i) => expect(r.header.tag).toBe(i));
    await h.registered(2 * FIXTURE_SERVICES);
    expect(c.stats().reconnects).toBeGreaterThanOrEqual(1);
    // The restarted broker serves new work too.
    checkScaleReplies(await c.map('fx.scale', scaleRequests(6)));
  }, 60_000);

  it('reports handler errors, deadlines and unknown services to the client without hurting the workers', async () => {
    await h.startBroker({ unknownServiceGraceMs: 500 });
    await h.spawnWorker({ threads: 2 });
    await h.registered(2 * FIXTURE_SERVICES);
    const c = h.client({ retries: 0 });
    const failures = await Promise.allSettled([
      c.submit('fx.throw', { header: { message: 'no good' } }),
      c.submit('fx.sleep', { header: { ms: 10_000 } }, { timeoutMs: 400 }),
      c.submit('fx.unknown', { header: {} }),
    ]);
    const codes = failures.map((f) => (f.status === 'rejected' && f.reason instanceof OptkitError ? [f.reason.code, f.reason.message] : ['fulfilled', '']));
    expect(codes[0][0]).toBe('REMOTE_ERROR');
    expect(codes[0][1]).toContain('no good');
    expect(codes[1][0]).toBe('TIMEOUT');
    expect(codes[2][0]).toBe('UNAVAILABLE');
    expect(codes[2][1]).toContain('fx.unknown');
    checkScaleReplies(await c.map('fx.scale', scaleRequests(4)));
  }, 60_000);
});

describe('same answer regardless of topology (fixture driver fx.descent)', () => {
  const config = { dim: 48, blocks: 6, rounds: 8, step: 0.5, delayMs: 40 };

  it('1 worker, 3 workers, and 3 workers with a SIGKILL, a late joiner and a broker restart give bit-identical iterates', async () => {
    const reference = await descent(config, localExecutor([fixture]));
    expect(reference.rounds).toBe(8);
    // Known answer: x_k = (1 − (1 − step)^k) c, so after 8 rounds x_i = (1 − 2^-8) sin(i + 1).
    reference.x.forEach((v, i) => expect(v).toBeCloseTo((1 - 2 ** -8) * Math.sin(i + 1), 14));

    // One worker.
    await h.startBroker();
    const [victim] = [await h.spawnWorker()];
    await h.registered(FIXTURE_SERVICES);
    const c = h.client();
    const one = await descent(config, c);
    expect(one.x).toEqual(reference.x);
    expect(one.history).toEqual(reference.history);

    // Three workers (two more join the first).
    await Promise.all([h.spawnWorker(), h.spawnWorker()]);
    await h.registered(3 * FIXTURE_SERVICES);
    const three = await descent(config, c);
    expect(three.x).toEqual(reference.x);
    expect(three.history).toEqual(reference.history);

    // Three workers, one killed mid-job, one joining late, the broker restarted once.
    const rounds: number[] = [];
    const chaos = descent({ ...config, delayMs: 120 }, c, { onProgress: (p) => rounds.push(p.iteration) });
    await new Promise((r) => setTimeout(r, 250));
    victim.child.kill('SIGKILL');
    // The job is mid-way when the worker dies (rounds take ~250 ms each here).
    expect(rounds.length).toBeLessThan(config.rounds);
    const late = h.spawnWorker();
    await new Promise((r) => setTimeout(r, 300));
    await h.restartBroker();
    await late;
    const result = await chaos;
    expect(result.x).toEqual(reference.x);
    expect(result.history).toEqual(reference.history);
    expect(h.broker.stats().workers).toBeGreaterThan(0);
    expect(c.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(rounds).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);
});
