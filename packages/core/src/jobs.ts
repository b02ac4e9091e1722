/**
 * Distributed jobs without the cluster: the executor interface a driver (an iterative coordinator
 * loop such as distributed block-coordinate descent) talks to, an in-process executor that runs the
 * registered job handlers directly, and the typed-array ⇄ binary-frame conversions both sides use.
 *
 * A job request is a small header (plain JSON-like values, MessagePack-encoded on the wire) plus raw
 * binary frames for the numbers, so no float ever goes through text. The cluster client implements
 * {@link JobExecutor} over ZeroMQ; {@link localExecutor} implements it in-process, so a driver gives
 * the same answer on one process as on a cluster.
 */
import { OptkitError } from './errors.js';
import type { JobEntry, Plugin } from './registry.js';

/** A request to a job service: header values plus raw binary frames (typed arrays' bytes). */
export interface JobRequest {
  header: Record<string, unknown>;
  frames?: Uint8Array[];
  /**
   * A placement hint for executors that place tasks on workers (the cluster): requests with the same
   * affinity go, where the load allows, to the worker that served the last one, which has that
   * task's data cached (a shard of a distributed job, say). It never changes a result, and never
   * makes a request wait; in-process execution ignores it. At most 255 characters.
   */
  affinity?: string;
}

/** A job handler's reply. */
export interface JobReply {
  header: Record<string, unknown>;
  frames?: Uint8Array[];
}

export interface SubmitOptions {
  signal?: AbortSignal;
  /** Milliseconds before the request fails with TIMEOUT (default: none for local execution). */
  timeoutMs?: number;
}

export interface MapOptions extends SubmitOptions {
  /** Most requests in flight at once (default: all). */
  concurrency?: number;
}

/** Runs job requests somewhere: in this process, or on cluster workers. */
export interface JobExecutor {
  /** Sends one request to `service` and resolves with its reply (rejects with the handler's error). */
  submit(service: string, request: JobRequest, options?: SubmitOptions): Promise<JobReply>;
  /** Sends every request to `service`; replies come back in request order. */
  map(service: string, requests: readonly JobRequest[], options?: MapOptions): Promise<JobReply[]>;
  /** How many workers serve requests (1 for the local executor); drivers may use it for progress. */
  workers?(): Promise<number> | number;
}

/**
 * An executor that calls the handlers of `plugins` (or of bare job entries) in this process. Frames
 * are copied on the way in, as a transport would, so a handler that keeps or mutates them cannot
 * affect the caller.
 */
export function localExecutor(source: readonly (Plugin | JobEntry)[]): JobExecutor {
  const handlers = new Map<string, JobEntry['handler']>();
  for (const item of source) {
    const entries = 'jobs' in item && Array.isArray((item as Plugin).jobs) ? (item as Plugin).jobs : [item as JobEntry];
    for (const e of entries) handlers.set(e.id, e.handler);
  }
  const submit = async (service: string, request: JobRequest, options: SubmitOptions = {}): Promise<JobReply> => {
    const handler = handlers.get(service);
    if (!handler) {
      throw new OptkitError('NOT_FOUND', `localExecutor: unknown service ${JSON.stringify(service)}; known: ${[...handlers.keys()].sort().join(', ') || '(none)'}`, 'service');
    }
    if (options.signal?.aborted) throw new OptkitError('ABORTED', `localExecutor: ${service} aborted`, 'signal');
    const frames = (request.frames ?? []).map((f) => f.slice());
    return await handler(structuredClone(request.header), frames);
  };
  return {
    submit,
    async map(service, requests, options = {}) {
      const limit = Math.max(1, Math.min(options.concurrency ?? requests.length, requests.length || 1));
      const replies = new Array<JobReply>(requests.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < requests.length) {
          const i = next++;
          replies[i] = await submit(service, requests[i], options);
        }
      };
      await Promise.all(Array.from({ length: limit }, lane));
      return replies;
    },
    workers: () => 1,
  };
}

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** The bytes of a typed array as a frame (a view, not a copy). */
export function toFrame(array: TypedArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function fromFrame<T>(
  frame: Uint8Array,
  ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
  name: string,
  expectedLength?: number,
): T {
  const width = ctor.BYTES_PER_ELEMENT;
  if (frame.byteLength % width !== 0) {
    throw new OptkitError('SHAPE_MISMATCH', `${name}: frame of ${frame.byteLength} bytes is not a whole number of ${width}-byte elements`, 'frame');
  }
  const length = frame.byteLength / width;
  if (expectedLength !== undefined && length !== expectedLength) {
    throw new OptkitError('SHAPE_MISMATCH', `${name}: frame holds ${length} elements, expected ${expectedLength}`, 'frame');
  }
  // Typed-array views need an aligned offset; transports hand out frames at arbitrary offsets.
  if (frame.byteOffset % width === 0) return new ctor(frame.buffer, frame.byteOffset, length);
  const copy = frame.slice();
  return new ctor(copy.buffer, 0, length);
}

/** A frame read as float64 values (a view when aligned, else a copy). Throws SHAPE_MISMATCH on a bad size. */
export function frameToFloat64(frame: Uint8Array, expectedLength?: number): Float64Array {
  return fromFrame(frame, Float64Array, 'frameToFloat64', expectedLength);
}

/** A frame read as float32 values (a view when aligned, else a copy). */
export function frameToFloat32(frame: Uint8Array, expectedLength?: number): Float32Array {
  return fromFrame(frame, Float32Array, 'frameToFloat32', expectedLength);
}

/** A frame read as int32 values (a view when aligned, else a copy). */
export function frameToInt32(frame: Uint8Array, expectedLength?: number): Int32Array {
  return fromFrame(frame, Int32Array, 'frameToInt32', expectedLength);
}
