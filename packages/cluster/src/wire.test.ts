import { describe, it, expect } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { OptkitError } from '@optkit/core';
import { DEFAULT_WIRE_LIMITS, WIRE_VERSION, decodeHeader, decodePayload, encodePayload, frameToArray, peekHeader } from './wire.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

describe('wire payload', () => {
  it('round-trips header and typed arrays bit-exactly, no JSON for numbers', () => {
    const x = new Float64Array([1.5, -0, Math.PI, 1e-310, Number.MAX_VALUE]);
    const idx = new Int32Array([3, -7, 2147483647]);
    const f = new Float32Array([0.1, 2]);
    const frames = encodePayload({ id: 't1', service: 'bcd.shard', deadline: 1234.5, header: { round: 3, name: 'a' } }, [x, idx, f]);
    expect(frames.length).toBe(4);
    // Binary frames are views of the arrays' memory, not copies.
    expect(frames[1].buffer).toBe(x.buffer);
    const { header, frames: bin } = decodePayload(frames.map((b) => Buffer.from(b)));
    expect(header.v).toBe(WIRE_VERSION);
    expect(header.id).toBe('t1');
    expect(header.service).toBe('bcd.shard');
    expect(header.deadline).toBe(1234.5);
    expect(header.header).toEqual({ round: 3, name: 'a' });
    expect(header.frames).toEqual([
      { dtype: 'f64', length: 5 },
      { dtype: 'i32', length: 3 },
      { dtype: 'f32', length: 2 },
    ]);
    const x2 = frameToArray(bin[0], header.frames[0]) as Float64Array;
    expect(x2).toBeInstanceOf(Float64Array);
    for (let i = 0; i < x.length; i++) expect(Object.is(x2[i], x[i])).toBe(true);
    expect(Array.from(frameToArray(bin[1], header.frames[1]))).toEqual([3, -7, 2147483647]);
    expect(frameToArray(bin[2], header.frames[2])).toEqual(f);
  });

  it('reads unaligned frames by copying', () => {
    const x = new Float64Array([1, 2, 3]);
    const raw = new Uint8Array(25);
    raw.set(new Uint8Array(x.buffer), 1);
    const view = raw.subarray(1);
    const y = frameToArray(view, { dtype: 'f64', length: 3 });
    expect(Array.from(y)).toEqual([1, 2, 3]);
  });

  it('accepts raw bytes with an explicit dtype and rejects partial elements', () => {
    const bytes = new Uint8Array(new Float64Array([7]).buffer);
    const frames = encodePayload({}, [{ dtype: 'f64', bytes }]);
    expect(decodePayload(frames).header.frames).toEqual([{ dtype: 'f64', length: 1 }]);
    expect(codeOf(() => encodePayload({}, [{ dtype: 'f64', bytes: new Uint8Array(7) }]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => encodePayload({}, [[1, 2] as unknown as Float64Array]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodePayload(null as unknown as object))).toBe('INVALID_ARGUMENT');
  });

  it('refuses a header of the wrong or missing version with PROTOCOL', () => {
    const v2 = encode({ v: 2, frames: [] });
    expect(codeOf(() => decodePayload([v2]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ frames: [] })]))).toBe('PROTOCOL');
    expect(() => decodeHeader(v2)).toThrow(/v=2/);
  });

  it('refuses garbage, non-map headers, bad descriptors and frame/descriptor mismatches', () => {
    expect(codeOf(() => decodePayload([Buffer.from([0xc1])]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode([1, 2])]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, frames: [{ dtype: 'f128', length: 1 }] }), new Uint8Array(16)]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, frames: [{ dtype: 'f64', length: -1 }] }), new Uint8Array(0)]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, frames: [{ dtype: 'f64', length: 2 }] }), new Uint8Array(8)]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, frames: [] }), new Uint8Array(8)]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, id: 5 })]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, deadline: 'soon' })]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, error: { code: 1 } })]))).toBe('PROTOCOL');
    // Truncated MessagePack claiming a 4-billion-element array: refused without allocating it.
    expect(codeOf(() => decodePayload([Buffer.from([0x81, 0xa1, 0x76, 0xdd, 0xff, 0xff, 0xff, 0xff])]))).toBe('PROTOCOL');
  });

  it('enforces size limits on both sides, before decoding', () => {
    const big = new Float64Array(1000);
    expect(codeOf(() => encodePayload({}, [big], { maxFrameBytes: 4000 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => encodePayload({}, [big, big], { maxTotalBytes: 10000 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => encodePayload({}, [big, big], { maxFrames: 1 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => encodePayload({ header: { s: 'x'.repeat(200) } }, [], { maxHeaderBytes: 100 }))).toBe('LIMIT_EXCEEDED');
    const frames = encodePayload({}, [big, big]);
    expect(codeOf(() => decodePayload(frames, { maxFrameBytes: 4000 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => decodePayload(frames, { maxTotalBytes: 10000 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => decodePayload(frames, { maxFrames: 1 }))).toBe('LIMIT_EXCEEDED');
    // An oversize header is refused even though it is garbage: size is checked first.
    expect(codeOf(() => decodePayload([new Uint8Array(200)], { maxHeaderBytes: 100 }))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => decodePayload(frames, { maxFrames: -1 }))).toBe('INVALID_OPTION');
    expect(DEFAULT_WIRE_LIMITS.maxFrameBytes).toBe(256 * 1024 * 1024);
  });

  it('peekHeader tells optkit headers from foreign bodies', () => {
    expect(peekHeader(encodePayload({ id: 'abc', deadline: 5 })[0])).toEqual({ kind: 'ours', id: 'abc', deadline: 5 });
    expect(peekHeader(encodePayload({})[0])).toEqual({ kind: 'ours' });
    expect(peekHeader(Buffer.from('hello'))).toEqual({ kind: 'foreign' });
    expect(peekHeader(encode({ a: 1 }))).toEqual({ kind: 'foreign' });
    expect(peekHeader(Buffer.from([0x81, 0xff]))).toEqual({ kind: 'foreign' });
    expect(peekHeader(encode({ v: 9 }))).toEqual({ kind: 'bad-version', v: 9 });
    expect(peekHeader(undefined)).toEqual({ kind: 'foreign' });
  });
});
