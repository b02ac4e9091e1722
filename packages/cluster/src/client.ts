/**
 * The cluster client: a {@link JobExecutor} over an MDP 0.1 broker (client sub-protocol, MDPC01) on
 * one ZeroMQ DEALER socket, so drivers written against `JobExecutor` run unchanged on a cluster.
 *
 * Requests are asynchronous, as in the zguide's `mdcliapi2`: many are in flight on one socket, each
 * carries a task id in its optkit header, and replies are matched by that id (a reply whose id is no
 * longer pending — a duplicate after a resend — is dropped and counted). A request that gets no reply
 * within its attempt window is resent with the same id, up to `retries` times; tasks are idempotent,
 * so a resend is always safe. When the broker goes away and comes back (a restart), ZeroMQ reconnects
 * the socket and the client resends every pending request at once, without waiting for the window.
 * A dead worker's tasks are the broker's business (it re-queues them by id).
 *
 * Error replies are final (not retried): the handler ran and failed, or the broker refused the
 * request. They reject with an OptkitError carrying the remote code (REMOTE_ERROR for plain errors,
 * TIMEOUT for a task past its deadline, NOT_FOUND / UNAVAILABLE for a service nobody serves).
 *
 * In-process broker: `new ClusterClient({broker})` talks to a {@link Broker} in this same process
 * through {@link Broker.connectLocal} instead of a socket (a job driver that hosts the broker its
 * remote workers connect to). Everything above holds unchanged; the client ↔ broker ZeroMQ hop is
 * gone, which on loopback is most of the broker's per-task overhead (see the `cluster.broker`
 * benchmark). Once the broker closes, pending and new requests fail with UNAVAILABLE at once.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Dealer } from 'zeromq';
import { OptkitError, checkOption, type JobExecutor, type JobReply, type JobRequest, type MapOptions, type OptkitErrorCode, type SubmitOptions } from '@optkit/core';
import type { Broker, LocalBrokerClient } from './broker.js';
import { PayloadServer, payloadKey } from './direct.js';
import { clientConfigSchema, parseConfig, type ClientConfig } from './config.js';
import { OPTKIT_STATUS, clientRequest, parseClientReply, type Frame } from './mdp.js';
import { decodePayload, encodePayload, resolveLimits, type WireLimits } from './wire.js';

export interface ClusterClientOptions extends Omit<ClientConfig, 'connect'> {
  /** The broker's endpoint (e.g. `tcp://host:5555`); exactly one of `connect` and `broker`. */
  connect?: string;
  /** A broker in this process, reached by function call instead of a socket (no `curve` then). */
  broker?: Broker;
  /**
   * Direct payloads (direct.ts): request bodies of at least `minBytes` (default 1 MiB) stay here and
   * the worker fetches them from a socket this client binds on `bind` (e.g. `tcp://10.0.0.5:0`; give
   * `advertise`, the address workers reach, when `bind` is a wildcard), so they cross the network
   * once instead of twice. Plain TCP: not with `curve`, and not with an in-process `broker` (whose
   * bodies cross once already).
   */
  directPayloads?: { bind: string; advertise?: string; minBytes?: number };
  /** Size limits on replies (defaults: wire.ts DEFAULT_WIRE_LIMITS). */
  limits?: Partial<WireLimits>;
  /**
   * The wall clock (ms since the epoch; default `Date.now`) used only for the deprecated absolute
   * `deadline` sent alongside `ttl` for older brokers and workers. Current peers use `ttl`, so this
   * clock's error does not matter to them; tests inject a skewed one to show it.
   */
  wallClock?: () => number;
}

/** Worker counts from the broker's status: MDP connections and distinct worker processes. */
export interface WorkerCounts {
  /** MDP worker connections (one per service and pool thread of an optkit worker). */
  connections: number;
  /** Distinct worker processes; equals `connections` for a broker that does not report processes. */
  processes: number;
}

export interface ClusterSubmitOptions extends SubmitOptions {
  /** Resends after an attempt got no reply (default: the client's `retries`, 3). */
  retries?: number;
}

export interface ClusterMapOptions extends MapOptions {
  retries?: number;
  /** Called after each reply with the number done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Counters of a client. */
export interface ClientStats {
  sent: number;
  /** Requests sent again (attempt window passed, or the broker reconnected). */
  resent: number;
  replies: number;
  /** Replies for ids no longer pending (answers to a resent request that already got one). */
  duplicates: number;
  /** Replies that could not be parsed (dropped). */
  invalid: number;
  /** Times the socket reconnected to the broker. */
  reconnects: number;
  /** Requests whose body a worker fetched directly from this client (sent as direct payloads). */
  direct: number;
  pending: number;
  /**
   * Where the time of answered tasks went, summed (ms) over the replies whose worker reported its
   * timing (optkit workers do): `roundTripMs` from sending the (last) attempt to its reply here,
   * `workerMs` on the worker from the request's arrival to the reply being ready, `runMs` in the
   * handler itself. So per task: transport and broker = roundTrip − worker; the worker's own overhead
   * (decode, pool hand-offs, encode) = worker − run.
   */
  timing: { tasks: number; roundTripMs: number; workerMs: number; runMs: number };
}

interface Pending {
  service: string;
  request: JobRequest;
  timeoutMs: number;
  retriesLeft: number;
  attempt: number;
  /** performance.now() when the latest attempt was sent. */
  sentAt: number;
  /** The key its body is held under for direct fetching (direct payloads only). */
  fetchKey?: string;
  body: Frame[];
  timer?: NodeJS.Timeout;
  resolve: (r: JobReply) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

const KNOWN_CODES = new Set<string>([
  'SHAPE_MISMATCH', 'NOT_FINITE', 'INVALID_OPTION', 'INVALID_ARGUMENT', 'EMPTY_INPUT', 'NOT_SPD', 'SINGULAR', 'PARSE_ERROR',
  'LIMIT_EXCEEDED', 'NOT_FOUND', 'DUPLICATE', 'UNSUPPORTED', 'ABORTED', 'TIMEOUT', 'REMOTE_ERROR', 'UNAVAILABLE', 'PROTOCOL',
]);

/** The OptkitError code for a remote error code (unknown codes become REMOTE_ERROR). */
export function remoteCode(code: string): OptkitErrorCode {
  return (KNOWN_CODES.has(code) ? code : 'REMOTE_ERROR') as OptkitErrorCode;
}

/**
 * The extra wait after a task's deadline before the client gives up on an attempt: the worker
 * answers TIMEOUT at the deadline itself, and that answer should win over a resend.
 */
export function attemptGraceMs(timeoutMs: number): number {
  return Math.round(Math.min(2000, Math.max(250, timeoutMs * 0.1)));
}

/**
 * A client of an optkit broker. Construct it (the socket connects in the background; nothing is
 * awaited), call {@link submit} / {@link map} / {@link status}, and {@link close} it.
 *
 * Options (defaults): `connect` (the broker's endpoint) or `broker` (one in this process), `timeoutMs`
 * 60000 per attempt (also the task deadline the worker enforces), `retries` 3, `concurrency` 64 for
 * `map`, `curve` none, `directPayloads` none.
 */
export class ClusterClient implements JobExecutor {
  /** The broker's endpoint, or `in-process` for a client of a {@link Broker} in this process. */
  readonly endpoint: string;
  private readonly socket?: Dealer;
  private readonly local?: LocalBrokerClient;
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly concurrency: number;
  private readonly limits: WireLimits;
  private readonly wallClock: () => number;
  private sending: Promise<unknown> = Promise.resolve();
  private lost = false;
  private closedFlag = false;
  private readonly counters = { sent: 0, resent: 0, replies: 0, duplicates: 0, invalid: 0, reconnects: 0, direct: 0 };
  private readonly direct?: { server: PayloadServer; minBytes: number; ready: Promise<void>; started: boolean };
  private readonly timing = { tasks: 0, roundTripMs: 0, workerMs: 0, runMs: 0 };

  constructor(options: ClusterClientOptions) {
    if (!options || typeof options !== 'object') throw new OptkitError('INVALID_OPTION', 'ClusterClient: options must be an object', 'options');
    const { limits, wallClock = Date.now, broker, directPayloads, ...config } = options;
    if (typeof wallClock !== 'function') throw new OptkitError('INVALID_OPTION', 'ClusterClient: option wallClock must be a function returning ms since the epoch', 'wallClock');
    this.wallClock = wallClock;
    if (broker !== undefined) {
      if (config.connect !== undefined) throw new OptkitError('INVALID_OPTION', 'ClusterClient: give either connect (an endpoint) or broker (one in this process), not both', 'broker');
      if (config.curve !== undefined) throw new OptkitError('INVALID_OPTION', 'ClusterClient: curve does not apply to a broker in this process', 'curve');
      if (!broker || typeof (broker as Partial<Broker>).connectLocal !== 'function') throw new OptkitError('INVALID_OPTION', 'ClusterClient: option broker must be a Broker', 'broker');
    }
    // With an in-process broker the endpoint is not used: validate the rest against a stand-in.
    const parsed = parseConfig(clientConfigSchema, broker ? { ...config, connect: 'inproc://optkit-broker' } : config, 'ClusterClient options');
    this.timeoutMs = parsed.timeoutMs ?? 60_000;
    this.retries = parsed.retries ?? 3;
    this.concurrency = parsed.concurrency ?? 64;
    this.limits = resolveLimits(limits, 'ClusterClient');
    if (directPayloads !== undefined) {
      const d = directPayloads as Partial<NonNullable<ClusterClientOptions['directPayloads']>>;
      if (!d || typeof d !== 'object' || typeof d.bind !== 'string' || !/^(tcp|ipc):\/\/\S+$/.test(d.bind)) {
        throw new OptkitError('INVALID_OPTION', 'ClusterClient: directPayloads.bind must be a tcp:// or ipc:// endpoint to bind, e.g. tcp://10.0.0.5:0', 'directPayloads.bind');
      }
      if (d.advertise !== undefined && (typeof d.advertise !== 'string' || !/^(tcp|ipc):\/\/\S+$/.test(d.advertise))) {
        throw new OptkitError('INVALID_OPTION', 'ClusterClient: directPayloads.advertise must be a tcp:// or ipc:// endpoint', 'directPayloads.advertise');
      }
      if (broker) throw new OptkitError('INVALID_OPTION', 'ClusterClient: directPayloads is for a broker in another process (an in-process broker already moves bodies once)', 'directPayloads');
      if (config.curve) throw new OptkitError('INVALID_OPTION', 'ClusterClient: directPayloads serves bodies over plain TCP, so it cannot be combined with curve', 'directPayloads');
      const minBytes = checkOption(d.minBytes ?? 1 << 20, 'directPayloads.minBytes', { min: 0, integer: true }, 'ClusterClient');
      const server = new PayloadServer(d.bind, d.advertise);
      const direct = { server, minBytes, started: false, ready: Promise.resolve() };
      direct.ready = server.start().then(() => {
        direct.started = true;
      });
      direct.ready.catch(() => undefined);
      this.direct = direct;
    }
    if (broker) {
      this.endpoint = 'in-process';
      this.local = broker.connectLocal(
        (body) => this.onReplyBody(body),
        () => this.failAll('the in-process broker closed'),
      );
      return;
    }
    this.endpoint = parsed.connect;
    const socket = new Dealer({
      linger: 0,
      maxMessageSize: this.limits.maxFrameBytes,
      ...(parsed.curve ? { curveServerKey: parsed.curve.serverKey, curvePublicKey: parsed.curve.publicKey, curveSecretKey: parsed.curve.secretKey } : {}),
    });
    this.socket = socket;
    socket.events.on('disconnect', () => {
      this.lost = true;
    });
    const back = () => {
      if (!this.lost) return;
      this.lost = false;
      this.counters.reconnects++;
      this.resendAll();
    };
    // Under CURVE the request can only go once the handshake is done; without it `connect` is enough.
    socket.events.on(parsed.curve ? 'handshake' : 'connect', back);
    socket.connect(this.endpoint);
    void this.receive(socket);
  }

  /** Sends one request to `service` and resolves with its reply. */
  submit(service: string, request: JobRequest, options: ClusterSubmitOptions = {}): Promise<JobReply> {
    if (this.closedFlag) return Promise.reject(new OptkitError('UNAVAILABLE', 'ClusterClient.submit: the client is closed', 'client'));
    if (typeof service !== 'string' || service.length === 0) {
      return Promise.reject(new OptkitError('INVALID_ARGUMENT', 'ClusterClient.submit: service must be a non-empty job id', 'service'));
    }
    if (!request || typeof request !== 'object' || !request.header || typeof request.header !== 'object') {
      return Promise.reject(new OptkitError('INVALID_ARGUMENT', `ClusterClient.submit(${service}): request must be {header: object, frames?: Uint8Array[]}`, 'request'));
    }
    if (request.affinity !== undefined && (typeof request.affinity !== 'string' || request.affinity.length > 255)) {
      return Promise.reject(new OptkitError('INVALID_ARGUMENT', `ClusterClient.submit(${service}): request.affinity must be a string of at most 255 characters`, 'request.affinity'));
    }
    let timeoutMs: number;
    let retries: number;
    try {
      timeoutMs = checkOption(options.timeoutMs ?? this.timeoutMs, 'timeoutMs', { min: 1 }, 'ClusterClient.submit');
      retries = checkOption(options.retries ?? this.retries, 'retries', { min: 0, integer: true }, 'ClusterClient.submit');
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new OptkitError('ABORTED', `ClusterClient.submit(${service}): aborted`, 'signal'));
    const id = `${this.prefix}-${(this.counter++).toString(36)}`;
    return new Promise<JobReply>((resolve, reject) => {
      const onAbort = () => {
        const p = this.pending.get(id);
        if (!p) return;
        this.settle(id);
        reject(new OptkitError('ABORTED', `ClusterClient.submit(${service}): aborted`, 'signal'));
      };
      const entry: Pending = {
        service,
        request,
        timeoutMs,
        retriesLeft: retries,
        attempt: 0,
        sentAt: 0,
        body: [],
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, entry);
      const first = () => {
        if (!this.pending.has(id)) return; // aborted or closed meanwhile
        try {
          this.attempt(id, entry);
        } catch (err) {
          this.settle(id);
          reject(err);
        }
      };
      // With direct payloads the first requests wait for the payload server's bind (a failure to
      // bind fails them with its error).
      if (this.direct && !this.direct.started) {
        this.direct.ready.then(first, (err: unknown) => {
          if (!this.pending.has(id)) return;
          this.settle(id);
          reject(err);
        });
      } else first();
    });
  }

  /**
   * Sends every request to `service` with at most `concurrency` in flight and resolves with the
   * replies in request order. The first failure (after its retries) rejects the whole map; requests
   * not yet sent are not sent.
   */
  async map(service: string, requests: readonly JobRequest[], options: ClusterMapOptions = {}): Promise<JobReply[]> {
    if (!Array.isArray(requests)) throw new OptkitError('INVALID_ARGUMENT', 'ClusterClient.map: requests must be an array', 'requests');
    const concurrency = checkOption(options.concurrency ?? this.concurrency, 'concurrency', { min: 1, integer: true }, 'ClusterClient.map');
    const replies = new Array<JobReply>(requests.length);
    if (requests.length === 0) return replies;
    const stop = new AbortController();
    // Every lane's pending submit listens on this signal; that many listeners are expected.
    setMaxListeners(concurrency + 8, stop.signal);
    const outer = options.signal;
    const forward = () => stop.abort(outer?.reason);
    outer?.addEventListener('abort', forward, { once: true });
    if (outer?.aborted) forward();
    let next = 0;
    let done = 0;
    let failure: unknown;
    const lane = async (): Promise<void> => {
      while (next < requests.length && failure === undefined) {
        const i = next++;
        try {
          replies[i] = await this.submit(service, requests[i], { timeoutMs: options.timeoutMs, retries: options.retries, signal: stop.signal });
          done++;
          options.onProgress?.(done, requests.length);
        } catch (err) {
          if (failure === undefined) failure = err;
          stop.abort();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane));
    } finally {
      outer?.removeEventListener('abort', forward);
    }
    if (failure !== undefined) throw failure;
    return replies;
  }

  /** The broker's statistics from its `optkit.status` service. */
  async status(options: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    const reply = await this.submit(OPTKIT_STATUS, { header: {} }, { timeoutMs: options.timeoutMs ?? 5000, retries: 1 });
    return reply.header;
  }

  /**
   * How many workers the broker knows (from {@link status}): worker processes when the broker reports
   * them, else its MDP worker connections (see {@link workersAlive}).
   */
  async workers(): Promise<number> {
    return workersAlive(await this.status()).count;
  }

  /** Both worker counts from {@link status}: MDP connections and distinct worker processes. */
  async workerCounts(): Promise<WorkerCounts> {
    return workerCounts(await this.status());
  }

  stats(): ClientStats {
    return { ...this.counters, pending: this.pending.size, timing: { ...this.timing } };
  }

  /** Rejects pending requests with UNAVAILABLE and closes the socket. Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.failAll('closed');
    this.socket?.close();
    this.local?.close();
    this.direct?.server.close();
  }

  /** Rejects every pending request with UNAVAILABLE (`why` completes "ClusterClient: ... while <task> was pending"). */
  private failAll(why: string): void {
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new OptkitError('UNAVAILABLE', `ClusterClient: ${why} while ${p.service} task ${id} was pending`, 'client'));
    }
  }

  /** Sends attempt `p.attempt + 1` of task `id`; throws when it cannot be encoded or the in-process broker is closed. */
  private attempt(id: string, p: Pending): void {
    p.attempt++;
    p.body = encodePayload(
      // `ttl` is the budget; the absolute `deadline` is only for brokers and workers that predate it.
      {
        id,
        service: p.service,
        ttl: p.timeoutMs,
        deadline: this.wallClock() + p.timeoutMs,
        ...(p.request.affinity !== undefined ? { affinity: p.request.affinity } : {}),
        header: p.request.header,
      },
      (p.request.frames ?? []).map((bytes, i) => {
        if (!(bytes instanceof Uint8Array)) {
          throw new OptkitError('INVALID_ARGUMENT', `ClusterClient.submit(${p.service}): request.frames[${i}] is not a Uint8Array (use toFrame(typedArray))`, `request.frames[${i}]`);
        }
        return { dtype: 'u8' as const, bytes };
      }),
      this.limits,
    );
    let body = p.body;
    const direct = this.direct;
    if (direct) {
      let bytes = 0;
      for (const f of p.body) bytes += typeof f === 'string' ? Buffer.byteLength(f) : f.byteLength;
      if (bytes >= direct.minBytes) {
        // The body waits here; through the broker goes a request naming where to fetch it.
        if (p.fetchKey === undefined) {
          p.fetchKey = payloadKey();
          this.counters.direct++;
        }
        direct.server.hold(p.fetchKey, p.body);
        body = encodePayload(
          {
            id,
            service: p.service,
            ttl: p.timeoutMs,
            deadline: this.wallClock() + p.timeoutMs,
            ...(p.request.affinity !== undefined ? { affinity: p.request.affinity } : {}),
            fetch: { endpoint: direct.server.endpoint, key: p.fetchKey, bytes },
          },
          [],
          this.limits,
        );
      }
    }
    if (p.attempt === 1) this.counters.sent++;
    else this.counters.resent++;
    // The attempt window starts before the send, so a reply can never meet a window not yet opened.
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => this.expire(id), p.timeoutMs + attemptGraceMs(p.timeoutMs));
    p.sentAt = performance.now();
    if (this.local) this.local.request(p.service, body);
    else this.send(clientRequest(p.service, body));
  }

  private expire(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (p.retriesLeft > 0) {
      p.retriesLeft--;
      try {
        this.attempt(id, p);
      } catch (err) {
        this.settle(id);
        p.reject(err);
      }
      return;
    }
    this.settle(id);
    p.reject(
      new OptkitError(
        'TIMEOUT',
        `ClusterClient: ${p.service} task ${id} got no reply in ${p.attempt} attempt${p.attempt === 1 ? '' : 's'} of ${p.timeoutMs} ms (broker ${this.endpoint} down, or no worker serves ${p.service}?)`,
        'timeoutMs',
      ),
    );
  }

  /** After a reconnect, every pending request goes again (same id and deadline window restarted). */
  private resendAll(): void {
    for (const [id, p] of this.pending) {
      try {
        this.attempt(id, p);
      } catch {
        // encoding succeeded the first time; it cannot fail now
      }
    }
  }

  private send(frames: Frame[]): void {
    const socket = this.socket!;
    this.sending = this.sending.then(
      () => (socket.closed ? undefined : socket.send(frames as Buffer[]).catch(() => undefined)),
      () => undefined,
    );
  }

  private settle(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (p.fetchKey !== undefined) this.direct?.server.release(p.fetchKey);
    p.cleanup();
  }

  private async receive(socket: Dealer): Promise<void> {
    try {
      for await (const frames of socket) this.onMessage(frames);
    } catch {
      // closed
    }
  }

  private onMessage(frames: Buffer[]): void {
    const msg = parseClientReply(frames);
    if (msg.kind !== 'reply') {
      this.counters.invalid++;
      return;
    }
    this.onReplyBody(msg.body);
  }

  /** A reply body (optkit payload) from the broker, over the socket or from the in-process broker. */
  private onReplyBody(body: Buffer[]): void {
    let payload;
    try {
      payload = decodePayload(body, this.limits);
    } catch {
      this.counters.invalid++;
      return;
    }
    const id = payload.header.id;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) {
      this.counters.duplicates++;
      return;
    }
    this.counters.replies++;
    const t = payload.header.timing;
    if (t && typeof t === 'object' && Number.isFinite(t.workerMs) && Number.isFinite(t.runMs)) {
      this.timing.tasks++;
      this.timing.roundTripMs += performance.now() - p.sentAt;
      this.timing.workerMs += t.workerMs;
      this.timing.runMs += t.runMs;
    }
    this.settle(id);
    const error = payload.header.error;
    if (error) {
      p.reject(new OptkitError(remoteCode(error.code), `${p.service}: ${error.message}`, 'service'));
      return;
    }
    p.resolve({ header: payload.header.header ?? {}, frames: payload.frames });
  }
}

/**
 * Connections and processes in a status object (`workers` and `processes` of {@link BrokerStats}); a
 * broker that predates `processes` gives its connection count for both.
 */
export function workerCounts(status: Record<string, unknown>): WorkerCounts {
  const connections = typeof status.workers === 'number' ? status.workers : Array.isArray(status.workers) ? status.workers.length : 0;
  const processes = typeof status.processes === 'number' ? status.processes : workersAlive(status).count;
  return { connections, processes };
}

/**
 * The workers alive in a status object: worker processes when the broker reports them (`processes`,
 * or distinct `process` fields of a `workers` array), else MDP worker connections (`workers`; a worker
 * process holds one per service and thread, see worker.ts).
 */
export function workersAlive(status: Record<string, unknown>): { count: number; unit: 'workers' | 'worker connections' } {
  if (typeof status.processes === 'number') return { count: status.processes, unit: 'workers' };
  const w = status.workers;
  if (Array.isArray(w)) {
    const seen = new Set<unknown>();
    for (const x of w) seen.add(x && typeof x === 'object' ? ((x as Record<string, unknown>).process ?? (x as Record<string, unknown>).id ?? x) : x);
    return { count: seen.size, unit: 'workers' };
  }
  if (typeof w === 'number') return { count: w, unit: 'worker connections' };
  return { count: 0, unit: 'worker connections' };
}
