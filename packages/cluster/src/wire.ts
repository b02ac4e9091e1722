/**
 * The optkit payload format: the body frames of an MDP request or reply.
 *
 * ```
 * frame 0      MessagePack map  {v: 1, id?, service?, ttl?, deadline?, frames: [{dtype, length}, ...],
 *                                header?: {...the job's own header...}, error?: {code, message}}
 * frame 1..n   raw little-endian bytes of typed arrays, one frame per array, described in order by
 *              `frames` (dtype and element count); no JSON or text for numbers
 * ```
 *
 * `v` is the format version ({@link WIRE_VERSION}); a reader refuses any other value with
 * OptkitError PROTOCOL. `id` is the task id (the broker re-queues and de-duplicates by it), `ttl` the
 * task's remaining time budget in milliseconds, counted from the moment the frame is received: each
 * hop converts it to its own monotonic clock on receipt and forwards what is left, so no two hosts'
 * clocks are ever compared. `deadline` (milliseconds since the Unix epoch) is the deprecated form
 * written by older peers: clock skew between hosts shortens or lengthens it. A reader uses `ttl` when
 * present and falls back to `deadline` only without it; current clients send both, so older brokers
 * and workers (which know only `deadline`) keep enforcing a deadline.
 *
 * Adding `ttl` did not change {@link WIRE_VERSION}: it is an optional key of the header map, older
 * readers ignore keys they do not know (and still get `deadline`), and current readers accept headers
 * without it, so both mixes of old and new peers interoperate with version 1.
 *
 * Size limits ({@link WireLimits}) are checked on frame counts and byte lengths *before* anything is
 * decoded or allocated from the frames: the header's byte length before MessagePack runs (and the
 * decoder itself is capped on string, binary, array and map lengths), the descriptors against the
 * frames' actual lengths before any typed array is made. The per-frame limit is also the one to give
 * zeromq as `maxMessageSize`, where libzmq enforces it before allocating the frame at all.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { OptkitError, toFrame } from '@optkit/core';

/** The wire format version this code writes and accepts. */
export const WIRE_VERSION = 1;

/** Element types of binary frames, with their byte widths. */
export const DTYPE_BYTES = {
  f64: 8,
  f32: 4,
  i32: 4,
  u32: 4,
  i16: 2,
  u16: 2,
  i8: 1,
  u8: 1,
} as const;

export type Dtype = keyof typeof DTYPE_BYTES;

/** Describes one binary frame: its element type and element count. */
export interface FrameDescriptor {
  dtype: Dtype;
  /** Number of elements (bytes = length × width of dtype). */
  length: number;
}

/** The decoded frame-0 header of a payload. */
export interface WireHeader {
  /** Format version; always {@link WIRE_VERSION} once decoded. */
  v: number;
  /** Task id, unique per client; the broker assigns one to requests that carry none. */
  id?: string;
  /** Service (job id) the payload is for. */
  service?: string;
  /**
   * The task's remaining time budget in milliseconds from the moment this frame is received (may be
   * fractional; <= 0 means already expired). Takes precedence over `deadline`.
   */
  ttl?: number;
  /**
   * Deprecated (older peers): milliseconds since the Unix epoch after which the task is worthless.
   * Host clock skew distorts it; used only when `ttl` is absent.
   */
  deadline?: number;
  /**
   * Placement hint (JobRequest.affinity): the broker prefers, among the least loaded idle workers,
   * the one whose last task had the same affinity. Read by the broker's header scan, so it must be
   * an ASCII string for the fast path (any other string still works, through the full decoder).
   */
  affinity?: string;
  /**
   * Direct payload (direct.ts): the request's real body (an optkit payload of the same id) is not
   * here but held by the client, to be fetched from `endpoint` under `key`; `bytes` is its size.
   */
  fetch?: { endpoint: string; key: string; bytes: number };
  /** Descriptors of frames 1..n, in order. */
  frames: FrameDescriptor[];
  /** The job's own header (JobRequest.header / JobReply.header). */
  header?: Record<string, unknown>;
  /** Set on a reply that failed: an OptkitError code and message. */
  error?: { code: string; message: string };
  /**
   * Set by an optkit worker on a reply: where the task's time went on the worker, in milliseconds.
   * `workerMs` from the request's arrival at the worker to its reply being ready (decode, pool
   * queue and thread hand-offs, handler, encode); `runMs` the handler alone, in its pool thread.
   * Diagnostics only (ClusterClient sums them in its stats).
   */
  timing?: { workerMs: number; runMs: number };
}

/** The header fields a sender chooses (the version and descriptors are filled in by {@link encodePayload}). */
export type WireHeaderInit = Omit<WireHeader, 'v' | 'frames'>;

/** Typed arrays that travel as binary frames. */
export type WireTypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** A binary frame to send: a typed array (dtype from its type) or raw bytes with an explicit dtype. */
export type WireArray = WireTypedArray | { dtype: Dtype; bytes: Uint8Array };

/**
 * Limits on an incoming payload. Defaults ({@link DEFAULT_WIRE_LIMITS}): header 64 KiB, 1024 binary
 * frames, 256 MiB per frame, 1 GiB per payload.
 */
export interface WireLimits {
  /** Most bytes in the MessagePack header frame (default 65 536). */
  maxHeaderBytes: number;
  /** Most binary frames after the header (default 1024). */
  maxFrames: number;
  /** Most bytes in one binary frame (default 268 435 456 = 256 MiB). */
  maxFrameBytes: number;
  /** Most bytes in the whole payload, header included (default 1 073 741 824 = 1 GiB). */
  maxTotalBytes: number;
}

export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxHeaderBytes: 64 * 1024,
  maxFrames: 1024,
  maxFrameBytes: 256 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
});

/** A decoded payload: the header and the binary frames (views of the received bytes, not copies). */
export interface Payload {
  header: WireHeader;
  frames: Uint8Array[];
}

const encoder = new Encoder({ ignoreUndefined: true });

function dtypeOf(array: WireTypedArray): Dtype {
  if (array instanceof Float64Array) return 'f64';
  if (array instanceof Float32Array) return 'f32';
  if (array instanceof Int32Array) return 'i32';
  if (array instanceof Uint32Array) return 'u32';
  if (array instanceof Int16Array) return 'i16';
  if (array instanceof Uint16Array) return 'u16';
  if (array instanceof Int8Array) return 'i8';
  if (array instanceof Uint8Array) return 'u8';
  throw new OptkitError('INVALID_ARGUMENT', `encodePayload: unsupported array type ${Object.prototype.toString.call(array)}`, 'arrays');
}

/** Resolves partial limits against the defaults and validates them (positive integers). */
export function resolveLimits(limits: Partial<WireLimits> = {}, fn = 'wire'): WireLimits {
  const out = { ...DEFAULT_WIRE_LIMITS, ...limits };
  for (const key of Object.keys(DEFAULT_WIRE_LIMITS) as (keyof WireLimits)[]) {
    const v = out[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option limits.${key} is ${String(v)}; expected an integer >= 0`, `limits.${key}`);
    }
  }
  return out;
}

function sizeError(message: string, argument: string): OptkitError {
  return new OptkitError('LIMIT_EXCEEDED', message, argument);
}

/**
 * Encodes a payload: frame 0 the MessagePack header (with `v` and the frame descriptors added), then
 * one frame per array. Binary frames are views of the arrays' memory (no copy); do not mutate the
 * arrays until the send has completed. Throws LIMIT_EXCEEDED when the payload breaks `limits` (the
 * receiver would refuse it anyway), INVALID_ARGUMENT for a non-object header or unknown array type.
 */
export function encodePayload(init: WireHeaderInit, arrays: readonly WireArray[] = [], limits: Partial<WireLimits> = {}): Uint8Array[] {
  if (init === null || typeof init !== 'object' || Array.isArray(init)) {
    throw new OptkitError('INVALID_ARGUMENT', 'encodePayload: header must be an object', 'header');
  }
  const lim = resolveLimits(limits, 'encodePayload');
  if (arrays.length > lim.maxFrames) {
    throw sizeError(`encodePayload: ${arrays.length} binary frames exceed maxFrames ${lim.maxFrames}`, 'arrays');
  }
  const descriptors: FrameDescriptor[] = new Array(arrays.length);
  const frames: Uint8Array[] = new Array(arrays.length + 1);
  let total = 0;
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i];
    let bytes: Uint8Array;
    let dtype: Dtype;
    if (ArrayBuffer.isView(a)) {
      dtype = dtypeOf(a as WireTypedArray);
      bytes = toFrame(a as WireTypedArray);
    } else if (a && typeof a === 'object' && a.bytes instanceof Uint8Array && a.dtype in DTYPE_BYTES) {
      dtype = a.dtype;
      bytes = a.bytes;
      if (bytes.byteLength % DTYPE_BYTES[dtype] !== 0) {
        throw new OptkitError('SHAPE_MISMATCH', `encodePayload: arrays[${i}] has ${bytes.byteLength} bytes, not a whole number of ${dtype} elements`, `arrays[${i}]`);
      }
    } else {
      throw new OptkitError('INVALID_ARGUMENT', `encodePayload: arrays[${i}] is neither a typed array nor {dtype, bytes}`, `arrays[${i}]`);
    }
    if (bytes.byteLength > lim.maxFrameBytes) {
      throw sizeError(`encodePayload: arrays[${i}] has ${bytes.byteLength} bytes, over maxFrameBytes ${lim.maxFrameBytes}`, `arrays[${i}]`);
    }
    total += bytes.byteLength;
    descriptors[i] = { dtype, length: bytes.byteLength / DTYPE_BYTES[dtype] };
    frames[i + 1] = bytes;
  }
  const head = encoder.encode({ ...init, v: WIRE_VERSION, frames: descriptors });
  if (head.byteLength > lim.maxHeaderBytes) {
    throw sizeError(`encodePayload: header of ${head.byteLength} bytes exceeds maxHeaderBytes ${lim.maxHeaderBytes}`, 'header');
  }
  total += head.byteLength;
  if (total > lim.maxTotalBytes) {
    throw sizeError(`encodePayload: payload of ${total} bytes exceeds maxTotalBytes ${lim.maxTotalBytes}`, 'arrays');
  }
  frames[0] = head;
  return frames;
}

/**
 * Checks frame count and byte sizes of a received payload against `limits` without reading any
 * content. Throws LIMIT_EXCEEDED naming the offending frame. Used by {@link decodePayload} first and
 * by the broker on every message.
 */
export function checkFrameSizes(frames: readonly Uint8Array[], limits: WireLimits, fn = 'decodePayload'): void {
  if (frames.length === 0) throw new OptkitError('PROTOCOL', `${fn}: empty payload (no header frame)`, 'frames');
  if (frames.length - 1 > limits.maxFrames) {
    throw sizeError(`${fn}: ${frames.length - 1} binary frames exceed maxFrames ${limits.maxFrames}`, 'frames');
  }
  if (frames[0].byteLength > limits.maxHeaderBytes) {
    throw sizeError(`${fn}: header frame of ${frames[0].byteLength} bytes exceeds maxHeaderBytes ${limits.maxHeaderBytes}`, 'frames[0]');
  }
  let total = frames[0].byteLength;
  for (let i = 1; i < frames.length; i++) {
    const n = frames[i].byteLength;
    if (n > limits.maxFrameBytes) {
      throw sizeError(`${fn}: frame ${i} of ${n} bytes exceeds maxFrameBytes ${limits.maxFrameBytes}`, `frames[${i}]`);
    }
    total += n;
  }
  if (total > limits.maxTotalBytes) {
    throw sizeError(`${fn}: payload of ${total} bytes exceeds maxTotalBytes ${limits.maxTotalBytes}`, 'frames');
  }
}

const decoders = new Map<number, Decoder>();

/** A MessagePack decoder whose string/binary/array/map lengths are capped by the header size. */
function decoderFor(maxHeaderBytes: number): Decoder {
  let d = decoders.get(maxHeaderBytes);
  if (!d) {
    // No element of a header can be longer than the header, so this cap costs nothing and stops a
    // 5-byte "array of 4 billion" claim from allocating before the decoder notices the truncation.
    const cap = Math.max(16, maxHeaderBytes);
    d = new Decoder({ maxStrLength: cap, maxBinLength: cap, maxArrayLength: cap, maxMapLength: cap, maxExtLength: cap });
    if (decoders.size > 16) decoders.clear();
    decoders.set(maxHeaderBytes, d);
  }
  return d;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/**
 * Decodes only frame 0 (the MessagePack header) after checking its size, and validates the version
 * and field types. Throws PROTOCOL for garbage, a wrong or missing version or ill-typed fields,
 * LIMIT_EXCEEDED for an oversize header.
 */
export function decodeHeader(frame: Uint8Array, limits: Partial<WireLimits> = {}, fn = 'decodeHeader'): WireHeader {
  const lim = resolveLimits(limits, fn);
  if (frame.byteLength > lim.maxHeaderBytes) {
    throw sizeError(`${fn}: header frame of ${frame.byteLength} bytes exceeds maxHeaderBytes ${lim.maxHeaderBytes}`, 'frames[0]');
  }
  let value: unknown;
  try {
    value = decoderFor(lim.maxHeaderBytes).decode(frame);
  } catch (err) {
    throw new OptkitError('PROTOCOL', `${fn}: header frame is not valid MessagePack (${(err as Error).message})`, 'frames[0]', { cause: err });
  }
  if (!isPlainObject(value)) throw new OptkitError('PROTOCOL', `${fn}: header is not a MessagePack map`, 'frames[0]');
  const h = value;
  if (h.v !== WIRE_VERSION) {
    throw new OptkitError('PROTOCOL', `${fn}: header version v=${JSON.stringify(h.v) ?? 'missing'}; this side speaks v=${WIRE_VERSION}`, 'header.v');
  }
  if (h.id !== undefined && typeof h.id !== 'string') throw new OptkitError('PROTOCOL', `${fn}: header.id must be a string`, 'header.id');
  if (h.service !== undefined && typeof h.service !== 'string') throw new OptkitError('PROTOCOL', `${fn}: header.service must be a string`, 'header.service');
  if (h.deadline !== undefined && (typeof h.deadline !== 'number' || !Number.isFinite(h.deadline))) {
    throw new OptkitError('PROTOCOL', `${fn}: header.deadline must be a finite number (ms since epoch)`, 'header.deadline');
  }
  if (h.ttl !== undefined && (typeof h.ttl !== 'number' || !Number.isFinite(h.ttl))) {
    throw new OptkitError('PROTOCOL', `${fn}: header.ttl must be a finite number (ms of time budget left)`, 'header.ttl');
  }
  if (h.header !== undefined && !isPlainObject(h.header)) throw new OptkitError('PROTOCOL', `${fn}: header.header must be a map`, 'header.header');
  if (h.affinity !== undefined && typeof h.affinity !== 'string') throw new OptkitError('PROTOCOL', `${fn}: header.affinity must be a string`, 'header.affinity');
  if (h.fetch !== undefined) {
    const f = h.fetch as Record<string, unknown>;
    if (!isPlainObject(f) || typeof f.endpoint !== 'string' || typeof f.key !== 'string' || typeof f.bytes !== 'number' || !Number.isInteger(f.bytes) || f.bytes < 0) {
      throw new OptkitError('PROTOCOL', `${fn}: header.fetch must be {endpoint: string, key: string, bytes: integer >= 0}`, 'header.fetch');
    }
  }
  if (h.error !== undefined) {
    const e = h.error as Record<string, unknown>;
    if (!isPlainObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string') {
      throw new OptkitError('PROTOCOL', `${fn}: header.error must be {code: string, message: string}`, 'header.error');
    }
  }
  const descriptors = h.frames === undefined ? [] : h.frames;
  if (!Array.isArray(descriptors)) throw new OptkitError('PROTOCOL', `${fn}: header.frames must be an array`, 'header.frames');
  for (let i = 0; i < descriptors.length; i++) {
    const d = descriptors[i] as Record<string, unknown>;
    if (!isPlainObject(d) || typeof d.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, d.dtype)) {
      throw new OptkitError('PROTOCOL', `${fn}: header.frames[${i}] has no valid dtype (one of ${Object.keys(DTYPE_BYTES).join(', ')})`, `header.frames[${i}]`);
    }
    if (typeof d.length !== 'number' || !Number.isInteger(d.length) || d.length < 0) {
      throw new OptkitError('PROTOCOL', `${fn}: header.frames[${i}].length must be an integer >= 0`, `header.frames[${i}]`);
    }
  }
  h.frames = descriptors;
  return h as unknown as WireHeader;
}

/**
 * Decodes a received payload (the MDP body frames): checks frame count and sizes against `limits`
 * first, then decodes the header (version must be {@link WIRE_VERSION}, else PROTOCOL), then checks
 * that every binary frame matches its descriptor (count and byte length; else PROTOCOL). The returned
 * frames are the received buffers themselves; turn them into arrays with {@link frameToArray} or
 * core's `frameToFloat64`.
 */
export function decodePayload(frames: readonly Uint8Array[], limits: Partial<WireLimits> = {}): Payload {
  if (!Array.isArray(frames)) throw new OptkitError('INVALID_ARGUMENT', 'decodePayload: frames must be an array of byte frames', 'frames');
  const lim = resolveLimits(limits, 'decodePayload');
  checkFrameSizes(frames, lim, 'decodePayload');
  const header = decodeHeader(frames[0], lim, 'decodePayload');
  const binary = frames.slice(1) as Uint8Array[];
  if (header.frames.length !== binary.length) {
    throw new OptkitError('PROTOCOL', `decodePayload: header describes ${header.frames.length} binary frames, message has ${binary.length}`, 'frames');
  }
  for (let i = 0; i < binary.length; i++) {
    const d = header.frames[i];
    const expected = d.length * DTYPE_BYTES[d.dtype];
    if (binary[i].byteLength !== expected) {
      throw new OptkitError(
        'PROTOCOL',
        `decodePayload: frame ${i + 1} has ${binary[i].byteLength} bytes; its descriptor says ${d.length} × ${d.dtype} = ${expected}`,
        `frames[${i + 1}]`,
      );
    }
  }
  return { header, frames: binary };
}

const CTORS = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;

/**
 * A binary frame as the typed array its descriptor names: a view when the frame is aligned for the
 * element width, else an aligned copy (zeromq hands out frames at arbitrary offsets). Throws
 * SHAPE_MISMATCH when the byte length does not match the descriptor.
 */
export function frameToArray(frame: Uint8Array, descriptor: FrameDescriptor): WireTypedArray {
  const width = DTYPE_BYTES[descriptor.dtype];
  if (width === undefined) throw new OptkitError('INVALID_ARGUMENT', `frameToArray: unknown dtype ${String(descriptor.dtype)}`, 'descriptor.dtype');
  if (frame.byteLength !== descriptor.length * width) {
    throw new OptkitError('SHAPE_MISMATCH', `frameToArray: frame of ${frame.byteLength} bytes, descriptor ${descriptor.length} × ${descriptor.dtype}`, 'frame');
  }
  const Ctor = CTORS[descriptor.dtype] as unknown as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => WireTypedArray;
  if (frame.byteOffset % width === 0) return new Ctor(frame.buffer, frame.byteOffset, descriptor.length);
  return new Ctor(frame.slice().buffer, 0, descriptor.length);
}

/** What {@link peekHeader} found in a body's first frame. */
export type HeaderPeek =
  | { kind: 'foreign' }
  | { kind: 'bad-version'; v: unknown }
  | { kind: 'ours'; id?: string; ttl?: number; deadline?: number; affinity?: string };

/**
 * Where {@link peekHeader}'s in-place scan found the top-level `ttl` value: the byte offset of its
 * MessagePack type byte in the frame (-1 when not located, e.g. the rare shapes left to the full
 * decoder). Lets {@link withTtl} rewrite the budget without re-encoding the header.
 */
export interface TtlSlot {
  offset: number;
}

/**
 * Looks at a body's first frame, cheaply and without throwing, to tell an optkit request (a
 * MessagePack map with a `v` key) from a foreign MDP client's body: returns the task id and
 * `affinity` (when strings), `ttl` and (deprecated) `deadline` (when finite numbers) of an optkit
 * header of the right version, `bad-version` for an optkit-looking header of another
 * version (so the broker can refuse it with PROTOCOL), and `foreign` for anything else (passed on
 * untouched; the broker assigns the task id).
 *
 * The broker calls this on every request, so it does not decode the header: {@link scanHeader} walks
 * the MessagePack structure in place (validating it as the decoder would: truncation, unknown type
 * bytes, map key types, trailing bytes) and reads only the top-level `v`, `id`, `affinity`, `ttl`
 * and `deadline` values; nothing of the job's own header is materialised. Rare shapes it does not settle (extension
 * types, non-numbers in `v`, non-ASCII keys or ids) go to the full decoder,
 * so the answer is always the one {@link peekDecoded} gives. When `slot` is given, it receives the
 * offset of the `ttl` value (see {@link TtlSlot}); the return value does not depend on it.
 */
export function peekHeader(frame: Uint8Array | undefined, maxHeaderBytes = DEFAULT_WIRE_LIMITS.maxHeaderBytes, slot?: TtlSlot): HeaderPeek {
  if (slot) slot.offset = -1;
  if (!frame || frame.byteLength === 0 || frame.byteLength > maxHeaderBytes) return FOREIGN;
  const first = frame[0];
  // MessagePack fixmap (0x80-0x8f), map16 (0xde), map32 (0xdf): anything else is not our header.
  if (!((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) return FOREIGN;
  const fast = scanHeader(frame);
  if (fast === undefined) return peekDecoded(frame, maxHeaderBytes);
  if (slot && fast.kind === 'ours' && fast.ttl !== undefined) slot.offset = scanTtlOffset;
  return fast;
}

/**
 * {@link peekHeader} by full MessagePack decoding: the reference the fast scan must agree with (and
 * its fallback). Exported for the tests.
 */
export function peekDecoded(frame: Uint8Array | undefined, maxHeaderBytes = DEFAULT_WIRE_LIMITS.maxHeaderBytes): HeaderPeek {
  if (!frame || frame.byteLength === 0 || frame.byteLength > maxHeaderBytes) return FOREIGN;
  const first = frame[0];
  if (!((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) return FOREIGN;
  let value: unknown;
  try {
    value = decoderFor(maxHeaderBytes).decode(frame);
  } catch {
    return FOREIGN;
  }
  if (!isPlainObject(value) || !('v' in value)) return FOREIGN;
  if (value.v !== WIRE_VERSION) return { kind: 'bad-version', v: value.v };
  const out: { kind: 'ours'; id?: string; ttl?: number; deadline?: number; affinity?: string } = { kind: 'ours' };
  if (typeof value.id === 'string') out.id = value.id;
  if (typeof value.affinity === 'string') out.affinity = value.affinity;
  if (typeof value.ttl === 'number' && Number.isFinite(value.ttl)) out.ttl = value.ttl;
  if (typeof value.deadline === 'number' && Number.isFinite(value.deadline)) out.deadline = value.deadline;
  return out;
}

/**
 * A copy of an optkit header frame with its top-level `ttl` set to `ttlMs` (the broker forwards the
 * budget left when it dispatches a task). `offset` is the `ttl` value's position from
 * {@link peekHeader}'s {@link TtlSlot}: when it is there and the new value fits the MessagePack type
 * already written (always so for a budget that only shrank: whole milliseconds, rounded down, in the
 * same integer width, or the same float width), the copy is patched in place; otherwise the header is
 * decoded and re-encoded with the new `ttl`. The input frame is never modified (zeromq may still be
 * sending it). Throws PROTOCOL when the frame is not a valid optkit header map.
 */
export function withTtl(frame: Uint8Array, ttlMs: number, offset = -1, maxHeaderBytes = DEFAULT_WIRE_LIMITS.maxHeaderBytes): Uint8Array {
  if (!Number.isFinite(ttlMs)) throw new OptkitError('INVALID_ARGUMENT', `withTtl: ttlMs is ${ttlMs}; expected a finite number`, 'ttlMs');
  if (offset >= 0 && offset < frame.byteLength) {
    const copy = new Uint8Array(frame); // a memcpy (Uint8Array.from would walk an iterator)
    if (patchNumber(copy, offset, ttlMs)) return copy;
  }
  const h = decodeHeader(frame, { maxHeaderBytes }, 'withTtl') as unknown as Record<string, unknown>;
  h.ttl = ttlMs;
  return encoder.encode(h);
}

/** Scratch for big-endian float bytes (no DataView: asking a small on-heap array for its buffer costs ~1 µs). */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `n` (an integer, 0 <= n < 2^53 or a value of `width` <= 4 bytes in two's complement) big-endian. */
function writeInt(b: Uint8Array, p: number, width: number, n: number): void {
  if (width === 8) {
    const high = Math.floor(n / 4294967296);
    writeInt(b, p, 4, high);
    writeInt(b, p + 4, 4, n - high * 4294967296);
    return;
  }
  for (let i = width - 1; i >= 0; i--) {
    b[p + i] = n & 0xff;
    n = Math.floor(n / 256);
  }
}

/** Overwrites the MessagePack number at `p` with `value` in the same type and width; false if it cannot. */
function patchNumber(b: Uint8Array, p: number, value: number): boolean {
  const t = b[p];
  const n = Math.floor(value);
  if (t <= 0x7f) {
    if (n < 0 || n > 0x7f) return false;
    b[p] = n;
    return true;
  }
  if (t >= 0xe0) {
    if (n < -32 || n > -1) return false;
    b[p] = n + 0x100;
    return true;
  }
  let width: number;
  let lo: number;
  let hi: number;
  switch (t) {
    case 0xca:
    case 0xcb: {
      const w = t === 0xca ? 4 : 8;
      if (p + 1 + w > b.byteLength) return false;
      const bytes = w === 4 ? f32Bytes : f64Bytes;
      if (w === 4) f32[0] = value;
      else f64[0] = value;
      for (let i = 0; i < w; i++) b[p + 1 + i] = bytes[littleEndian ? w - 1 - i : i];
      return true;
    }
    case 0xcc:
      width = 1;
      lo = 0;
      hi = 0xff;
      break;
    case 0xcd:
      width = 2;
      lo = 0;
      hi = 0xffff;
      break;
    case 0xce:
      width = 4;
      lo = 0;
      hi = 0xffffffff;
      break;
    case 0xd0:
      width = 1;
      lo = -0x80;
      hi = 0x7f;
      break;
    case 0xd1:
      width = 2;
      lo = -0x8000;
      hi = 0x7fff;
      break;
    case 0xd2:
      width = 4;
      lo = -0x80000000;
      hi = 0x7fffffff;
      break;
    // 64-bit: only budgets >= 0 are rewritten in place (a negative one is never forwarded).
    case 0xcf:
    case 0xd3:
      width = 8;
      lo = 0;
      hi = Number.MAX_SAFE_INTEGER;
      break;
    default:
      return false;
  }
  if (n < lo || n > hi || p + 1 + width > b.byteLength) return false;
  // Two's complement for the signed types: the low `width` bytes of n + 2^(8 width).
  writeInt(b, p + 1, width, n < 0 ? n + 2 ** (8 * width) : n);
  return true;
}

/** Top-level keys {@link scanHeader} reads. */
const KEY_OTHER = 0;
const KEY_V = 1;
const KEY_ID = 2;
const KEY_DEADLINE = 3;
const KEY_TTL = 4;
const KEY_AFFINITY = 5;

/** Offset of the type byte of the last top-level `ttl` value the latest scan read (-1: none). */
let scanTtlOffset = -1;

/** Open containers of a scan: items left and whether it is a map (reused; scans never nest). */
const scanLeft: number[] = [];
const scanIsMap: boolean[] = [];

/**
 * Walks a MessagePack frame whose first byte opens a map, without decoding it. Returns the peek, or
 * undefined when the full decoder must decide (see {@link peekHeader}). Structure rules mirror
 * @msgpack/msgpack's Decoder: any truncation, the never-used byte 0xc1, a map key that is not a
 * string or number, a `__proto__` key or trailing bytes make the frame foreign.
 */
function scanHeader(b: Uint8Array): HeaderPeek | undefined {
  const end = b.byteLength;
  let p = 0;
  let depth = 0;
  let topKey = KEY_OTHER;
  let hasV = false;
  let v = 0;
  let id: string | undefined;
  let affinity: string | undefined;
  let deadline: number | undefined;
  let ttl: number | undefined;
  scanTtlOffset = -1;
  let view: DataView | undefined;
  for (;;) {
    if (p >= end) return FOREIGN;
    let atKey = false;
    let slot = KEY_OTHER;
    if (depth > 0) {
      const left = scanLeft[depth - 1];
      if (scanIsMap[depth - 1] && left % 2 === 0) atKey = true;
      else if (depth === 1) slot = topKey;
      scanLeft[depth - 1] = left - 1;
    }
    const at = p;
    const t = b[p++];
    // Items: size of the payload after the type byte (or a container's item count).
    let skip = 0;
    let count = -1;
    let isMap = false;
    let strLen = -1;
    let num: number | undefined;
    let numeric = false;
    if (t <= 0x7f) {
      numeric = true;
      num = t;
    } else if (t >= 0xe0) {
      numeric = true;
      num = t - 0x100;
    } else if (t <= 0x8f) {
      count = 2 * (t & 0x0f);
      isMap = true;
    } else if (t <= 0x9f) {
      count = t & 0x0f;
    } else if (t <= 0xbf) {
      strLen = t & 0x1f;
    } else {
      switch (t) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          break;
        case 0xc4: // bin 8/16/32
        case 0xc5:
        case 0xc6: {
          const w = t === 0xc4 ? 1 : t === 0xc5 ? 2 : 4;
          if (p + w > end) return FOREIGN;
          skip = readUint(b, p, w);
          p += w;
          break;
        }
        case 0xca: // float 32/64
        case 0xcb:
          if (p + (t === 0xca ? 4 : 8) > end) return FOREIGN;
          numeric = true;
          if (slot !== KEY_OTHER) {
            view ??= new DataView(b.buffer, b.byteOffset, b.byteLength);
            num = t === 0xca ? view.getFloat32(p) : view.getFloat64(p);
          }
          skip = t === 0xca ? 4 : 8;
          break;
        case 0xcc: // uint 8/16/32
        case 0xcd:
        case 0xce: {
          const w = 1 << (t - 0xcc);
          if (p + w > end) return FOREIGN;
          numeric = true;
          num = readUint(b, p, w);
          skip = w;
          break;
        }
        case 0xd0: // int 8/16/32
        case 0xd1:
        case 0xd2: {
          const w = 1 << (t - 0xd0);
          if (p + w > end) return FOREIGN;
          numeric = true;
          const u = readUint(b, p, w);
          num = u >= 2 ** (8 * w - 1) ? u - 2 ** (8 * w) : u;
          skip = w;
          break;
        }
        case 0xcf: // uint 64, int 64: numbers, as the decoder makes them (high × 2³² + low); the
        case 0xd3: // client's deadlines (ms since the epoch) come this way
          if (p + 8 > end) return FOREIGN;
          numeric = true;
          if (slot !== KEY_OTHER) {
            const high = t === 0xcf ? readUint(b, p, 4) : (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
            num = high * 4294967296 + readUint(b, p + 4, 4);
          }
          skip = 8;
          break;
        case 0xd9: // str 8/16/32
        case 0xda:
        case 0xdb: {
          const w = t === 0xd9 ? 1 : t === 0xda ? 2 : 4;
          if (p + w > end) return FOREIGN;
          strLen = readUint(b, p, w);
          p += w;
          break;
        }
        case 0xdc: // array 16/32
        case 0xdd:
        case 0xde: // map 16/32
        case 0xdf: {
          const w = t === 0xdc || t === 0xde ? 2 : 4;
          if (p + w > end) return FOREIGN;
          const n = readUint(b, p, w);
          p += w;
          isMap = t >= 0xde;
          count = isMap ? 2 * n : n;
          break;
        }
        case 0xc1: // never used: the decoder throws
          return FOREIGN;
        default:
          // Extension types (0xc7-0xc9, 0xd4-0xd8): a key of that type is refused by the decoder, a
          // value is decoded by its extension codec (which may throw): left to the decoder.
          return atKey ? FOREIGN : undefined;
      }
    }
    if (atKey) {
      if (count >= 0 || (strLen < 0 && !numeric)) return FOREIGN;
      if (depth === 1) topKey = KEY_OTHER;
    }
    if (strLen >= 0) {
      if (p + strLen > end) return FOREIGN;
      if (atKey || slot === KEY_ID || slot === KEY_AFFINITY) {
        for (let i = p; i < p + strLen; i++) if (b[i] >= 0x80) return undefined;
      }
      if (atKey) {
        if (strLen === 9 && asciiEquals(b, p, '__proto__')) return FOREIGN;
        if (depth === 1) {
          if (strLen === 1 && b[p] === 0x76) topKey = KEY_V;
          else if (strLen === 2 && asciiEquals(b, p, 'id')) topKey = KEY_ID;
          else if (strLen === 8 && asciiEquals(b, p, 'deadline')) topKey = KEY_DEADLINE;
          else if (strLen === 3 && asciiEquals(b, p, 'ttl')) topKey = KEY_TTL;
          else if (strLen === 8 && asciiEquals(b, p, 'affinity')) topKey = KEY_AFFINITY;
        }
      } else if (slot === KEY_ID) {
        id = asciiString(b, p, strLen);
      } else if (slot === KEY_AFFINITY) {
        affinity = asciiString(b, p, strLen);
      }
      p += strLen;
    } else {
      if (p + skip > end) return FOREIGN;
      p += skip;
    }
    if (slot === KEY_V) {
      if (!numeric) return undefined;
      hasV = true;
      v = num!;
    } else if (slot === KEY_ID) {
      if (strLen < 0 || atKey) id = undefined;
    } else if (slot === KEY_AFFINITY) {
      if (strLen < 0 || atKey) affinity = undefined;
    } else if (slot === KEY_DEADLINE) {
      deadline = numeric ? num : undefined;
    } else if (slot === KEY_TTL) {
      // Duplicate keys: the last one wins, as in the decoder, and its offset is the one to rewrite.
      ttl = numeric ? num : undefined;
      scanTtlOffset = numeric ? at : -1;
    }
    if (count >= 0) {
      // Every item takes at least one byte: a count beyond the bytes left is a truncated frame.
      if (count > end - p) return FOREIGN;
      scanLeft[depth] = count;
      scanIsMap[depth] = isMap;
      depth++;
    }
    while (depth > 0 && scanLeft[depth - 1] === 0) depth--;
    if (depth === 0) break;
  }
  // The decoder refuses trailing bytes after the root value.
  if (p !== end) return FOREIGN;
  if (!hasV) return FOREIGN;
  if (v !== WIRE_VERSION) return { kind: 'bad-version', v };
  const out: { kind: 'ours'; id?: string; ttl?: number; deadline?: number; affinity?: string } = { kind: 'ours' };
  if (id !== undefined) out.id = id;
  if (affinity !== undefined) out.affinity = affinity;
  if (ttl !== undefined && Number.isFinite(ttl)) out.ttl = ttl;
  if (deadline !== undefined && Number.isFinite(deadline)) out.deadline = deadline;
  return out;
}

/** Big-endian unsigned integer of `width` (1, 2 or 4) bytes at `p`. */
function readUint(b: Uint8Array, p: number, width: number): number {
  if (width === 1) return b[p];
  if (width === 2) return (b[p] << 8) | b[p + 1];
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

function asciiEquals(b: Uint8Array, p: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

function asciiString(b: Uint8Array, p: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[p + i]);
  return s;
}

const FOREIGN: HeaderPeek = Object.freeze({ kind: 'foreign' });
