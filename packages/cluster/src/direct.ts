/**
 * Direct payloads (optkit's claim-check extension): a large request body does not travel through the
 * broker. The client keeps it and serves it from a ROUTER socket of its own ({@link PayloadServer});
 * through the broker goes only a small request whose header names where to fetch the body
 * (`fetch: {endpoint, key, bytes}`, wire.ts). The worker the broker dispatches it to fetches the body
 * straight from the client ({@link PayloadFetcher}) and runs the task as if the body had come with
 * the request. Dispatch, deadlines, re-queueing and replies stay the broker's: a re-queued task's
 * next worker fetches the body again, and the client drops it once the task is answered.
 *
 * Why: a store-and-forward broker moves every byte over the network twice, the client → broker and
 * broker → worker legs, which on one machine halves payload throughput (`cluster.broker` measures
 * 0.47–0.57× raw ZeroMQ for 8 MB payloads through a broker or even a bare relay process). Fetched
 * directly, the body moves once.
 *
 * Keys are 128-bit random, so a body can only be fetched by whoever was sent its request. The
 * payload server itself is plain TCP (like a broker without CURVE): use direct payloads on trusted
 * networks, and not with CURVE (the client refuses the combination).
 */
import { randomBytes } from 'node:crypto';
import * as zmq from 'zeromq';
import { OptkitError } from '@optkit/core';
import type { Frame } from './mdp.js';

/** Largest key accepted from a peer (ours are 32 hex characters). */
const MAX_KEY_BYTES = 64;

/** A fresh unguessable key for one held body. */
export function payloadKey(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Serves held request bodies to the workers that fetch them: a ROUTER on `bind`; a request
 * `[key]` is answered `[key, ...body frames]`, or `[key]` alone when nothing is held under that key
 * (released, or never held). Malformed requests are dropped and counted.
 */
export class PayloadServer {
  /** The endpoint workers connect to (`advertise`, else the bound endpoint). */
  endpoint = '';
  private readonly socket: zmq.Router;
  private readonly held = new Map<string, readonly Frame[]>();
  private loop: Promise<void> | null = null;
  private closed = false;
  readonly counters = { served: 0, unknown: 0, malformed: 0 };

  /**
   * `bind`: where to listen (e.g. `tcp://10.0.0.5:0`; `:0` picks a free port). `advertise`: the
   * endpoint workers should connect to, needed when `bind` uses a wildcard host (`tcp://*:0`).
   */
  constructor(
    private readonly bind: string,
    private readonly advertise?: string,
    maxMessageSize = -1,
  ) {
    this.socket = new zmq.Router({ linger: 0, sendHighWaterMark: 0, mandatory: false, maxMessageSize: Math.max(4096, maxMessageSize) });
  }

  /** Binds and starts serving; resolves with {@link endpoint}. */
  async start(): Promise<string> {
    await this.socket.bind(this.bind.replace(/:0$/, ':*'));
    const bound = this.socket.lastEndpoint ?? this.bind;
    if (this.advertise) this.endpoint = this.advertise.replace(/:0$/, `:${bound.slice(bound.lastIndexOf(':') + 1)}`);
    else if (/^tcp:\/\/(\*|0\.0\.0\.0|\[::\]):/.test(bound)) {
      throw new OptkitError('INVALID_OPTION', `PayloadServer: bound ${bound} on every interface; give advertise (the address workers reach this host at)`, 'advertise');
    } else this.endpoint = bound;
    this.loop = this.serve();
    return this.endpoint;
  }

  /** Keeps `body` to be fetched under `key` until {@link release}. */
  hold(key: string, body: readonly Frame[]): void {
    this.held.set(key, body);
  }

  release(key: string): void {
    this.held.delete(key);
  }

  /** Bodies held now. */
  get size(): number {
    return this.held.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    this.socket.close();
  }

  private async serve(): Promise<void> {
    try {
      for await (const [peer, key, ...rest] of this.socket) {
        if (!key || rest.length > 0 || key.byteLength === 0 || key.byteLength > MAX_KEY_BYTES) {
          this.counters.malformed++;
          continue;
        }
        const body = this.held.get(key.toString('latin1'));
        if (!body) {
          this.counters.unknown++;
          await this.socket.send([peer, key]).catch(() => undefined);
          continue;
        }
        this.counters.served++;
        await this.socket.send([peer, key, ...body] as Buffer[]).catch(() => undefined);
      }
    } catch {
      // closed
    }
  }
}

/**
 * Fetches held bodies for a worker: one DEALER per payload server endpoint (kept open for later
 * tasks of the same client), replies matched by key. `maxMessageSize` is the worker's frame limit,
 * enforced by libzmq before a frame is allocated.
 */
export class PayloadFetcher {
  private readonly sockets = new Map<string, { socket: zmq.Dealer; waiting: Map<string, (frames: Buffer[] | null) => void> }>();
  private closed = false;

  constructor(
    private readonly maxMessageSize = -1,
    /** Most payload servers connected at once; the least recently added is closed beyond it. */
    private readonly maxServers = 64,
  ) {}

  /**
   * The body held under `key` at `endpoint`. Throws UNAVAILABLE when the server answers that it
   * holds nothing under the key (the task was answered meanwhile, or its client is gone), TIMEOUT
   * after `timeoutMs` without an answer, PROTOCOL for an endpoint that is not a TCP or IPC address.
   */
  async fetch(endpoint: string, key: string, timeoutMs: number): Promise<Buffer[]> {
    if (this.closed) throw new OptkitError('UNAVAILABLE', 'PayloadFetcher: closed', 'fetcher');
    if (typeof endpoint !== 'string' || !/^(tcp|ipc):\/\/\S+$/.test(endpoint)) {
      throw new OptkitError('PROTOCOL', `direct payload: fetch endpoint ${JSON.stringify(endpoint)} is not a tcp:// or ipc:// address`, 'fetch.endpoint');
    }
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES) {
      throw new OptkitError('PROTOCOL', 'direct payload: fetch key must be a string of 1..64 characters', 'fetch.key');
    }
    const conn = this.connection(endpoint);
    const frames = await new Promise<Buffer[] | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.waiting.delete(key);
        reject(new OptkitError('TIMEOUT', `direct payload: no answer from ${endpoint} within ${Math.round(timeoutMs)} ms`, 'fetch.endpoint'));
      }, Math.max(1, Math.min(timeoutMs, 2_147_483_647)));
      conn.waiting.set(key, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      conn.socket.send(key).catch((err: Error) => {
        clearTimeout(timer);
        conn.waiting.delete(key);
        reject(new OptkitError('UNAVAILABLE', `direct payload: cannot ask ${endpoint}: ${err.message}`, 'fetch.endpoint'));
      });
    });
    if (!frames || frames.length === 0) {
      throw new OptkitError('UNAVAILABLE', `direct payload: ${endpoint} holds nothing under the task's key (answered already, or its client is gone)`, 'fetch.key');
    }
    return frames;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { socket, waiting } of this.sockets.values()) {
      for (const done of waiting.values()) done(null);
      socket.close();
    }
    this.sockets.clear();
  }

  private connection(endpoint: string): { socket: zmq.Dealer; waiting: Map<string, (frames: Buffer[] | null) => void> } {
    let conn = this.sockets.get(endpoint);
    if (conn) return conn;
    if (this.sockets.size >= this.maxServers) {
      const [oldest, old] = this.sockets.entries().next().value!;
      for (const done of old.waiting.values()) done(null);
      old.socket.close();
      this.sockets.delete(oldest);
    }
    const socket = new zmq.Dealer({ linger: 0, receiveHighWaterMark: 0, maxMessageSize: this.maxMessageSize });
    socket.connect(endpoint);
    const waiting = new Map<string, (frames: Buffer[] | null) => void>();
    conn = { socket, waiting };
    this.sockets.set(endpoint, conn);
    void (async () => {
      try {
        for await (const [key, ...body] of socket) {
          const done = waiting.get(key.toString('latin1'));
          if (!done) continue;
          waiting.delete(key.toString('latin1'));
          done(body);
        }
      } catch {
        // closed
      }
    })();
    return conn;
  }
}
