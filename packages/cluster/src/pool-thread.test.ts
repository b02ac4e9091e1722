import { describe, expect, it } from 'vitest';
import { OptkitError, toFrame, type JobEntry } from '@optkit/core';
import { detachable, errorOf, ownsBuffer, runTask } from './pool-thread.js';

const table = new Map<string, JobEntry['handler']>([
  ['double', (_h, frames) => ({ header: { n: frames.length }, frames: [toFrame(Float64Array.from([2 * new Float64Array(frames[0].slice().buffer)[0]]))] })],
  ['throws', () => { throw new TypeError('bad type'); }],
  ['optkit', () => { throw new OptkitError('NOT_SPD', 'A is not SPD', 'A'); }],
  ['foreign', () => { const e = new Error('from another copy of core'); e.name = 'OptkitError'; (e as unknown as { code: string }).code = 'SINGULAR'; throw e; }],
  ['nothing', () => undefined as never],
  ['bad-frames', () => ({ header: {}, frames: [[1, 2] as unknown as Uint8Array] })],
]);

describe('runTask (the pool thread body)', () => {
  it('returns the handler reply', async () => {
    const r = await runTask(table, { service: 'double', header: {}, frames: [toFrame(Float64Array.from([21]))] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(new Float64Array(r.frames[0].buffer, r.frames[0].byteOffset, 1)[0]).toBe(42);
  });

  it('turns throws and malformed replies into error data, keeping OptkitError codes (also from another copy of core)', async () => {
    const run = (service: string) => runTask(table, { service, header: {}, frames: [] });
    expect(await run('throws')).toEqual({ ok: false, error: { code: 'REMOTE_ERROR', message: 'TypeError: bad type' } });
    expect(await run('optkit')).toEqual({ ok: false, error: { code: 'NOT_SPD', message: 'A is not SPD' } });
    expect(await run('foreign')).toEqual({ ok: false, error: { code: 'SINGULAR', message: 'from another copy of core' } });
    expect(await run('nothing')).toMatchObject({ ok: false, error: { code: 'PROTOCOL' } });
    expect(await run('bad-frames')).toMatchObject({ ok: false, error: { code: 'PROTOCOL', message: expect.stringContaining('frames[0]') } });
    expect(await run('missing')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('double') } });
    expect(errorOf('text')).toEqual({ code: 'REMOTE_ERROR', message: 'text' });
  });
});

describe('detachable', () => {
  it('keeps a frame that owns its buffer and copies a view into a larger one', () => {
    const own = new Uint8Array(16);
    expect(ownsBuffer(own)).toBe(true);
    expect(detachable(own)).toBe(own);
    const big = new Uint8Array(32).map((_, i) => i);
    const view = big.subarray(8, 16);
    expect(ownsBuffer(view)).toBe(false);
    const copy = detachable(view);
    expect(copy).not.toBe(view);
    expect(Array.from(copy)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(copy.buffer.byteLength).toBe(8);
  });
});
