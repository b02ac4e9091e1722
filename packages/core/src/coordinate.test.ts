import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { frameToFloat64, localExecutor, toFrame, type JobExecutor } from './jobs.js';
import { definePlugin, type DriverProgress } from './registry.js';
import { coordinate } from './coordinate.js';

// Job: the partial sum of a shard; the coordinator iterates x <- x/2 + sum(shards)/n.
const sums = definePlugin({
  name: 'coordinator-test',
  jobs: [{ id: 't.sum', handler: (_h, frames) => ({ header: { s: frameToFloat64(frames[0]).reduce((a, b) => a + b, 0) } }) }],
});

describe('coordinate', () => {
  it('runs rounds of map + gather until done, in request order, with progress', async () => {
    const progress: DriverProgress[] = [];
    const data = Float64Array.from({ length: 10 }, (_, i) => i + 1); // sum 55
    const r = await coordinate({
      executor: localExecutor([sums]),
      init: 0,
      round: () => ({ service: 't.sum', requests: [0, 5].map((lo) => ({ header: {}, frames: [toFrame(data.subarray(lo, lo + 5))] })) }),
      gather: (x, replies) => x / 2 + ((replies[0].header.s as number) + (replies[1].header.s as number)) / 10,
      done: (x) => Math.abs(x - 11) < 1e-3,
      figures: (x) => ({ gap: Math.abs(x - 11) }),
      onProgress: (p) => progress.push(p),
      maxRounds: 50,
    });
    // Fixed point of x = x/2 + 5.5 is 11; the gap halves each round from 11: 11·2^-k < 1e-3 at k = 14.
    expect(r.reason).toBe('done');
    expect(r.rounds).toBe(14);
    expect(r.state).toBeCloseTo(11 - 11 * 2 ** -14, 12);
    expect(progress.map((p) => p.iteration)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(progress[0]).toEqual({ iteration: 1, total: 50, values: { gap: 5.5 } });
  });

  it('stops at maxRounds, skips the executor for empty rounds, and passes map options through', async () => {
    const calls: unknown[] = [];
    const executor: JobExecutor = {
      submit: async () => ({ header: {} }),
      map: async (_s, reqs, opts) => {
        calls.push(opts);
        return reqs.map(() => ({ header: {} }));
      },
    };
    const r = await coordinate({
      executor,
      init: () => 0,
      round: (_s, i) => ({ service: 'x', requests: i % 2 === 0 ? [{ header: {} }] : [] }),
      gather: (s) => s + 1,
      maxRounds: 4,
      concurrency: 3,
      timeoutMs: 100,
      retries: 1,
    });
    expect(r).toEqual({ state: 4, rounds: 4, reason: 'maxRounds' });
    expect(calls).toEqual([{ concurrency: 3, timeoutMs: 100, retries: 1 }, { concurrency: 3, timeoutMs: 100, retries: 1 }]);
  });

  it('propagates job errors, refuses bad options and honours abort', async () => {
    const failing = definePlugin({ name: 'f', jobs: [{ id: 'bad', handler: () => { throw new OptkitError('NOT_FINITE', 'x[0] is NaN', 'x'); } }] });
    await expect(coordinate({ executor: localExecutor([failing]), init: 0, round: () => ({ service: 'bad', requests: [{ header: {} }] }), gather: (s) => s })).rejects.toMatchObject({ code: 'NOT_FINITE' });
    await expect(coordinate({ executor: localExecutor([sums]), init: 0, round: () => ({ service: 't.sum', requests: [] }), gather: (s) => s, maxRounds: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(coordinate({ executor: {} as JobExecutor, init: 0, round: () => ({ service: 'x', requests: [] }), gather: (s) => s })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'executor' });
    const abort = new AbortController();
    abort.abort();
    await expect(coordinate({ executor: localExecutor([sums]), init: 0, round: () => ({ service: 't.sum', requests: [] }), gather: (s) => s, signal: abort.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const short: JobExecutor = { submit: async () => ({ header: {} }), map: async () => [] };
    await expect(coordinate({ executor: short, init: 0, round: () => ({ service: 'x', requests: [{ header: {} }] }), gather: (s) => s })).rejects.toMatchObject({ code: 'PROTOCOL' });
  });
});
