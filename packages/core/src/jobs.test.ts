import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { frameToFloat64, frameToInt32, localExecutor, toFrame } from './jobs.js';
import { definePlugin } from './registry.js';

describe('frames', () => {
  it('round-trips float64 and int32 arrays, including misaligned frames', () => {
    const x = Float64Array.from([1.5, -2, Math.PI]);
    expect(Array.from(frameToFloat64(toFrame(x)))).toEqual(Array.from(x));
    const bytes = new Uint8Array(8 * 3 + 1);
    bytes.set(toFrame(x), 1);
    const misaligned = bytes.subarray(1);
    expect(Array.from(frameToFloat64(misaligned, 3))).toEqual(Array.from(x));
    expect(Array.from(frameToInt32(toFrame(Int32Array.from([7, -8]))))).toEqual([7, -8]);
  });
  it('refuses frames of the wrong size', () => {
    expect(() => frameToFloat64(new Uint8Array(12))).toThrow(OptkitError);
    try {
      frameToFloat64(new Uint8Array(16), 3);
    } catch (err) {
      expect((err as OptkitError).code).toBe('SHAPE_MISMATCH');
    }
  });
});

describe('localExecutor', () => {
  const plugin = definePlugin({
    name: 'jobs-test',
    jobs: [
      {
        id: 'sum',
        handler: (header, frames) => {
          const x = frameToFloat64(frames[0]);
          let s = 0;
          for (const v of x) s += v;
          frames[0].fill(0); // must not reach the caller's array
          return { header: { sum: s, tag: header.tag } };
        },
      },
      { id: 'fail', handler: () => { throw new OptkitError('INVALID_ARGUMENT', 'bad task', 'header'); } },
    ],
  });
  it('runs handlers in request order and copies frames', async () => {
    const ex = localExecutor([plugin]);
    const data = [Float64Array.from([1, 2]), Float64Array.from([3, 4, 5])];
    const replies = await ex.map('sum', data.map((d, i) => ({ header: { tag: i }, frames: [toFrame(d)] })), { concurrency: 1 });
    expect(replies.map((r) => r.header)).toEqual([{ sum: 3, tag: 0 }, { sum: 12, tag: 1 }]);
    expect(Array.from(data[0])).toEqual([1, 2]);
    expect(await ex.workers!()).toBe(1);
  });
  it('reports unknown services and handler errors', async () => {
    const ex = localExecutor([plugin]);
    await expect(ex.submit('nope', { header: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ex.submit('fail', { header: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
