import { describe, it, expect } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { OptkitError } from '@optkit/core';
import { Rng } from '@optkit/core';
import { DEFAULT_WIRE_LIMITS, WIRE_VERSION, decodeHeader, decodePayload, encodePayload, frameToArray, peekDecoded, peekHeader, withTtl } from './wire.js';

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

  it('peekHeader (in-place scan) agrees with full decoding on edge cases', () => {
    const bytes = (...xs: number[]) => Uint8Array.from(xs);
    const str = (t: string) => [0xa0 | t.length, ...Buffer.from(t)];
    const cases: Uint8Array[] = [
      encode({ v: 1.0, id: 'a' }),
      encode({ v: 1.5 }),
      encode({ v: 'x' }),
      encode({ v: null }),
      encode({ v: [1] }),
      encode({ v: -3, id: 7 }),
      encode({ v: 1, id: 'é-non-ascii' }),
      encode({ v: 1, deadline: Number.NaN }),
      encode({ v: 1, deadline: Infinity }),
      encode({ v: 1, deadline: 2 ** 40 }),
      encode({ v: 1, deadline: -(2 ** 40) }),
      encode({ v: 1, deadline: 'soon' }),
      encode({ v: 1, ttl: 60_000 }),
      encode({ v: 1, ttl: 0.25, deadline: 1_764_000_060_000 }),
      encode({ v: 1, ttl: 0 }),
      encode({ v: 1, ttl: -5 }),
      encode({ v: 1, ttl: Number.NaN }),
      encode({ v: 1, ttl: -Infinity }),
      encode({ v: 1, ttl: 2 ** 40 }),
      encode({ v: 1, ttl: 'soon', id: 'x' }),
      encode({ v: 1, ttl: null }),
      encode({ v: 1, header: { ttl: 5 } }), // nested: not the task's ttl
      encode({ v: 1, affinity: 'bcd/shard-3' }),
      encode({ v: 1, affinity: 'é-non-ascii' }),
      encode({ v: 1, affinity: 7 }),
      encode({ v: 1, affinity: null, id: 'x' }),
      encode({ v: 1, header: { affinity: 'inner' } }), // nested: not the task's affinity
      bytes(0x82, ...str('affinity'), ...str('a'), ...str('affinity'), 0x05), // duplicate key: last wins
      encode({ v: 2, ttl: 5 }),
      bytes(0x82, ...str('ttl'), 0x05, ...str('ttl'), 0xcd, 0x13, 0x88), // duplicate key: last wins
      bytes(0x82, ...str('ttl'), 0x05, ...str('ttl'), 0xc0), // ... also when the last is not a number
      bytes(0x82, ...str('v'), 0x01, ...str('ttl'), 0xca, 0x44, 0x7a, 0x00, 0x00), // ttl = 1000 as float32
      bytes(0x82, ...str('v'), 0x01, ...str('ttl'), 0xd3, 0, 0, 0, 0, 0, 0, 0x13, 0x88), // ttl as int64
      bytes(0x82, ...str('v'), 0x01, ...str('ttl'), 0xd4, 0x05, 0x00), // ttl as fixext
      encode({ v: 1, header: { when: new Date(0) } }),
      encode({ v: 1, id: 'a', id2: 'b', header: { nested: { deep: [1, 2, { x: null }], bin: new Uint8Array(3) } } }),
      encode({ v: 2, v2: 1 }),
      encode(new Map<unknown, unknown>([[1, 'a'], ['v', 1]])),
      bytes(0x82, ...str('v'), 0x01, ...str('v'), 0x02), // duplicate key: last wins
      bytes(0x82, ...str('id'), ...str('a'), ...str('id'), 0x05),
      bytes(0x81, ...str('__proto__'), 0x01),
      bytes(0x82, ...str('v'), 0x01, ...str('h'), 0x81, ...str('__proto__'), 0x80),
      bytes(0x81, 0xc3, 0x01), // bool key
      bytes(0x82, ...str('v'), 0x01, ...str('h'), 0x81, 0xc0, 0x01), // nil key in a nested map
      bytes(0x82, ...str('v'), 0x01, ...str('h'), 0x81, 0x90, 0x01), // array key in a nested map
      bytes(0x81, ...str('v'), 0x01, 0x00), // trailing byte
      bytes(0x81, ...str('v'), 0xc1),
      bytes(0x81, ...str('v'), 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), // v = 1.0 as float64
      bytes(0x81, ...str('v'), 0xca, 0x3f, 0x80, 0, 0), // v = 1.0 as float32
      bytes(0x81, ...str('v'), 0xd0, 0x01), // v = 1 as int8
      bytes(0x81, ...str('v'), 0xcf, 0, 0, 0, 0, 0, 0, 0, 1), // v = 1 as uint64
      bytes(0x82, ...str('v'), 0x01, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // int64 key
      bytes(0x82, ...str('v'), 0x01, ...str('x'), 0xd4, 0x05, 0x00), // fixext value
      bytes(0x81, 0xd4, 0x05, 0x00, 0x01), // fixext key
      bytes(0xde, 0x00, 0x01, ...str('v'), 0x01),
      bytes(0xdf, 0x00, 0x00, 0x00, 0x01, ...str('v'), 0x01),
      bytes(0xdf, 0xff, 0xff, 0xff, 0xff, ...str('v'), 0x01),
      bytes(0x81, 0xd9, 0x01, 0x76, 0x01), // str8 key "v"
      bytes(0x81, 0xc2, 0x01),
      bytes(0x80),
    ];
    for (const c of cases) expect([Array.from(c), peekHeader(c)]).toEqual([Array.from(c), peekDecoded(c)]);
    expect(peekHeader(bytes(0x82, ...str('v'), 0x01, ...str('v'), 0x02))).toEqual({ kind: 'bad-version', v: 2 });
    expect(peekHeader(bytes(0x81, ...str('v'), 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0))).toEqual({ kind: 'ours' });
    expect(peekHeader(bytes(0x81, ...str('__proto__'), 0x01))).toEqual({ kind: 'foreign' });
    expect(peekHeader(encode({ v: 1, id: 'c-1', deadline: 1_764_000_060_000 }))).toEqual({ kind: 'ours', id: 'c-1', deadline: 1_764_000_060_000 });
    expect(peekHeader(encode({ v: 1, deadline: -(2 ** 40) - 3 }))).toEqual({ kind: 'ours', deadline: -(2 ** 40) - 3 });
    expect(peekHeader(encode({ v: 1, id: 'c-2', ttl: 60_000, deadline: 1_764_000_060_000 }))).toEqual({ kind: 'ours', id: 'c-2', ttl: 60_000, deadline: 1_764_000_060_000 });
    expect(peekHeader(bytes(0x83, ...str('v'), 0x01, ...str('ttl'), 0x05, ...str('ttl'), 0xcd, 0x13, 0x88))).toEqual({ kind: 'ours', ttl: 5000 });
    expect(peekHeader(encode({ v: 1, ttl: Number.NaN }))).toEqual({ kind: 'ours' });
    expect(peekHeader(encode({ v: 1, id: 't', affinity: 'bcd/7of8', ttl: 5 }))).toEqual({ kind: 'ours', id: 't', affinity: 'bcd/7of8', ttl: 5 });
    expect(peekHeader(encode({ v: 1, affinity: 'é' }))).toEqual({ kind: 'ours', affinity: 'é' });
  });

  it('peekHeader agrees with full decoding on 8000 mutated and truncated headers', () => {
    const rng = new Rng(7);
    /** Uniform integer in [0, n). */
    const below = (n: number) => rng.int(0, n - 1);
    const seeds: Uint8Array[] = [
      encodePayload({ id: 'abc-12', service: 'bcd.shard', deadline: 1.7e12 + 0.5, header: { round: 3, lambda: 0.25, rule: 'gsq', blocks: [1, 2, 300, -4, 70000], opts: { a: null, b: true, s: 'x'.repeat(40) } } }, [new Float64Array(4)])[0],
      encodePayload({ id: 'z', header: { n: -1, big: 2 ** 33, f: 1.5, bin: 'y'.repeat(300) } })[0],
      encode({ v: 2, id: 'q' }),
      // As the cluster client writes it: the deadline in ms since the epoch is a uint64.
      encodePayload({ id: '3fa9c2d81b0e-1z', service: 'bcd.shard', deadline: 1_764_000_000_000 + 60_000, header: { v: 1, shard: 1, problem: { rows: 1000, cols: 1024 } } }, [new Float64Array(2)])[0],
      // As the cluster client writes it now: the relative ttl (a uint16/uint32) first, then the deadline.
      encodePayload({ id: '3fa9c2d81b0e-2a', service: 'moe.shard', ttl: 60_000, deadline: 1_764_000_000_000 + 60_000, header: { step: 4 } }, [new Int32Array(3)])[0],
      encodePayload({ id: 'r', ttl: 12.75, header: { ttl: 3 } })[0],
      encodePayload({ id: 'a-1', service: 'bcd.shard', ttl: 60_000, affinity: 'bcd/least-squares/1000x1024/1/1/8/gsq/matrix/0of2', header: { shard: 0 } })[0],
    ];
    let ours = 0;
    let rewritten = 0;
    for (let trial = 0; trial < 8000; trial++) {
      const base = seeds[trial % seeds.length];
      let b = Uint8Array.from(base);
      const kind = below(4);
      if (kind === 0) b = b.subarray(0, below(b.length + 1));
      else if (kind === 1) for (let k = 1 + below(3); k > 0; k--) b[below(b.length)] = below(256);
      else if (kind === 2) {
        const at = below(b.length + 1);
        b = Uint8Array.from([...b.subarray(0, at), below(256), ...b.subarray(at)]);
      } else b[1 + below(b.length - 1)] ^= 1 << below(8);
      const slot = { offset: -1 };
      const fast = peekHeader(b, undefined, slot);
      expect(fast).toEqual(peekDecoded(b));
      if (fast.kind === 'ours') ours++;
      // Where the scan located the ttl, rewriting it there must change the ttl and nothing else.
      if (fast.kind === 'ours' && fast.ttl !== undefined && fast.ttl > 0 && slot.offset >= 0) {
        let before;
        try {
          before = decodeHeader(b);
        } catch {
          continue;
        }
        const half = fast.ttl / 2;
        const after = decodeHeader(withTtl(b, half, slot.offset));
        expect([Math.floor(half), half, Math.fround(half)]).toContain(after.ttl);
        expect({ ...after, ttl: 0 }).toEqual({ ...before, ttl: 0 });
        rewritten++;
      }
    }
    expect(rewritten).toBeGreaterThan(100);
    // The mutations leave a share of valid optkit headers, so both answers are exercised.
    expect(ours).toBeGreaterThan(400);
  });

  it('decodeHeader reads ttl and refuses a non-number ttl with PROTOCOL', () => {
    expect(decodePayload(encodePayload({ ttl: 1500.5 })).header.ttl).toBe(1500.5);
    expect(codeOf(() => decodePayload([encode({ v: 1, ttl: 'soon' })]))).toBe('PROTOCOL');
    expect(codeOf(() => decodePayload([encode({ v: 1, ttl: Infinity })]))).toBe('PROTOCOL');
  });

  it('withTtl rewrites the ttl in place in every MessagePack number type, leaving the input and all else untouched', () => {
    const bytes = (...xs: number[]) => Uint8Array.from(xs);
    const str = (t: string) => [0xa0 | t.length, ...Buffer.from(t)];
    const head = [0x84, ...str('v'), 0x01, ...str('id'), ...str('t1')];
    const tail = [...str('header'), 0x81, ...str('ttl'), 0x07]; // a nested ttl that must not change
    // [encoded ttl, new budget, what the frame says afterwards]
    const cases: [number[], number, number][] = [
      [[0x64], 99.9, 99], // positive fixint
      [[0xcc, 200], 150.2, 150], // uint8
      [[0xcd, 0xea, 0x60], 59_999.5, 59_999], // uint16: 60000, as the client writes timeoutMs 60000
      [[0xce, 0x00, 0x01, 0x86, 0xa0], 4321, 4321], // uint32
      [[0xcf, 0, 0, 0, 0, 0, 0, 0x13, 0x88], 4000, 4000], // uint64
      [[0xd0, 0x7f], 3.5, 3], // int8
      [[0xd1, 0x13, 0x88], 2500, 2500], // int16
      [[0xd2, 0x00, 0x01, 0x86, 0xa0], 77, 77], // int32
      [[0xd0, 0x7f], -3.5, -4], // signed types take negative budgets in two's complement
      [[0xd1, 0x13, 0x88], -300, -300],
      [[0xd2, 0x00, 0x01, 0x86, 0xa0], -70_000, -70_000],
      [[0xe0], -1, -1], // negative fixint
      [[0xd3, 0, 0, 0, 0, 0, 0, 0x13, 0x88], 1, 1], // int64
      [[0xca, 0x44, 0x7a, 0x00, 0x00], 512.5, 512.5], // float32 (exact here)
      [[0xcb, 0x40, 0x8f, 0x40, 0, 0, 0, 0, 0], 987.654321, 987.654321], // float64
      [[0x05], 0.5, 0], // less than a millisecond left: 0, which the worker reads as expired
    ];
    for (const [enc, budget, expected] of cases) {
      const frame = bytes(...head, ...str('ttl'), ...enc, ...tail);
      const before = Array.from(frame);
      const slot = { offset: -2 };
      const peek = peekHeader(frame, undefined, slot);
      expect(peek.kind).toBe('ours');
      expect(frame[slot.offset]).toBe(enc[0]);
      const out = withTtl(frame, budget, slot.offset);
      expect(Array.from(frame)).toEqual(before);
      expect(out.byteLength).toBe(frame.byteLength); // patched, not re-encoded
      const h = decodeHeader(out);
      expect([enc[0], h.ttl]).toEqual([enc[0], expected]);
      expect({ ...h, ttl: 0 }).toEqual({ ...decodeHeader(frame), ttl: 0 });
      expect((h.header as { ttl: number }).ttl).toBe(7);
    }
  });

  it('withTtl re-encodes when the value does not fit its type or the ttl was not located', () => {
    const small = encodePayload({ id: 'a', ttl: 5, header: { x: 1 } }, [new Float64Array(2)])[0];
    const slot = { offset: -1 };
    peekHeader(small, undefined, slot);
    expect(slot.offset).toBeGreaterThan(0);
    const grown = withTtl(small, 70_000.5, slot.offset); // fixint cannot hold it
    expect(decodeHeader(grown)).toEqual({ ...decodeHeader(small), ttl: 70_000.5 });
    // A non-ASCII id sends the peek to the full decoder, which does not report an offset.
    const foreignId = encodePayload({ id: 'é', ttl: 9000 })[0];
    const s2 = { offset: 5 };
    expect(peekHeader(foreignId, undefined, s2)).toEqual({ kind: 'ours', id: 'é', ttl: 9000 });
    expect(s2.offset).toBe(-1);
    expect(decodeHeader(withTtl(foreignId, 100)).ttl).toBe(100);
    // No ttl yet: one is added.
    expect(decodeHeader(withTtl(encodePayload({ id: 'b' })[0], 42)).ttl).toBe(42);
    expect(codeOf(() => withTtl(Buffer.from('junk'), 1))).toBe('PROTOCOL');
    expect(codeOf(() => withTtl(small, Number.NaN))).toBe('INVALID_ARGUMENT');
  });
});
