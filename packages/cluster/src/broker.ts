/**
 * The Majordomo broker: one ROUTER socket speaking MDP 0.1 (RFC 7/MDP) to clients and workers,
 * wire-compatible with the zguide brokers, plus optkit's reliability additions.
 *
 * Behaviour (RFC 7 unless marked optkit):
 * - Workers register a service with READY; the broker dispatches requests for that service to idle
 *   workers, one request per worker at a time, and queues requests while every worker is busy.
 *   Which idle worker (optkit; RFC 7 leaves the choice open): one of the worker *process* with the
 *   fewest tasks in flight (an optkit worker process holds a connection per pool thread, and
 *   handing two tasks to one machine while another idles would halve throughput); among those, one
 *   whose last task had the request's `affinity` (wire.ts: a placement hint, so a shard's task meets
 *   the worker that has its data cached); among those, the least recently used. Only the first
 *   {@link PICK_SCAN_LIMIT} idle workers in LRU order are considered, so dispatch stays O(1) per
 *   task with thousands idle.
 * - Heartbeats: the broker sends HEARTBEAT to every worker each `heartbeatIntervalMs` and drops a worker
 *   it has heard nothing from (any command counts) for `heartbeatIntervalMs × heartbeatLiveness` (checked
 *   every min(interval/4, 100 ms)).
 *   A command other than READY from an unknown worker, a second READY, or a READY for an `mmi.*` (or
 *   `optkit.*`) service gets a DISCONNECT — which is how workers re-register after a broker restart.
 * - optkit: every request is a task with an id: the `id` of the optkit MessagePack header in the first
 *   body frame (wire.ts), or, for a plain MDP client whose body is anything else, an id the broker
 *   assigns. A task held by a worker that dies (heartbeat expiry, DISCONNECT, protocol error) goes back
 *   to the front of its service's queue for another worker, up to `maxAttempts` dispatches; then the
 *   client gets an UNAVAILABLE error. A reply for a task that is already answered (a second REPLY, a
 *   late reply from a worker that was given up on) is dropped and counted; a late reply from a worker
 *   given up on for a task still pending is delivered (the task is then done, and the reply of the
 *   worker it was re-queued to is dropped as a duplicate).
 * - optkit, unknown services: a request for a service with no registered worker waits in the queue for
 *   `unknownServiceGraceMs` (default: the liveness window) counted from its arrival or from the moment
 *   the service's last worker went away, whichever is later; if no worker registers for the service in
 *   that time, the client gets an error (UNAVAILABLE; `"404"` for plain MDP clients). A request whose
 *   time budget runs out while it is queued gets TIMEOUT (`"504"`). Nothing waits forever.
 * - optkit, time budgets: the header's `ttl` (ms left, wire.ts) is turned into an expiry on the
 *   broker's monotonic clock (`performance.now()`) on receipt, and a dispatched request carries the
 *   budget left at that moment (the header frame is copied with `ttl` rewritten), so the worker's
 *   clock never meets the client's. A header with only the deprecated absolute `deadline` (older
 *   clients) is converted once on receipt against this host's wall clock and forwarded unchanged.
 * - optkit, worker processes: a READY may name the worker's process (mdp.ts); `optkit.status`
 *   reports `workers` (MDP worker connections) and `processes` (distinct processes; a plain READY
 *   counts as a process of its own).
 * - optkit error replies: to an optkit client a one-frame optkit payload `{v, id, service, error:
 *   {code, message}}`; to a plain MDP client two text frames, an HTTP-like status (`"400"` protocol,
 *   `"404"` no such service, `"413"` too large, `"503"` no worker could finish it, `"504"` deadline) and
 *   a message.
 * - MMI (RFC 8): `mmi.service` answers `"200"`/`"404"`, other `mmi.*` `"501"`. `optkit.status` answers an
 *   optkit payload whose `header` is {@link BrokerStats}.
 * - optkit, in-process clients ({@link Broker.connectLocal}): a client in the broker's own process
 *   (a job driver hosting the broker for remote workers) hands requests to the broker by a function
 *   call and gets replies by callback. Its tasks share the queues, dispatch, deadlines, re-queueing
 *   and limits of socket clients; only the client ↔ broker hop (two ZeroMQ sends, four thread
 *   wake-ups) is gone. It is trusted as the process itself is: CURVE does not apply to it.
 * - Malformed input never stops the broker: messages breaking MDP (wrong protocol header, missing
 *   delimiter, truncated, unknown command, garbage) are dropped and counted; a request whose optkit
 *   header has another version is refused with PROTOCOL; frames over `limits.maxFrameBytes` are refused
 *   by libzmq before allocation (`maxMessageSize`: it drops the connection, counted in
 *   `peerDisconnects`), and messages over the frame-count or total-size limits are refused and
 *   counted as `oversize`.
 */
import * as zmq from 'zeromq';
import { OptkitError, checkOption } from '@optkit/core';
import { Fifo } from './fifo.js';
import {
  MMI_PREFIX,
  MMI_SERVICE,
  OPTKIT_STATUS,
  brokerDisconnect,
  brokerHeartbeat,
  brokerReply,
  brokerRequest,
  parseBrokerInbound,
  serviceName as parseServiceName,
  type Frame,
} from './mdp.js';
import { ZapHandler, assertZ85Key, curveServerOptions, type KeyPair } from './security.js';
import { encodePayload, peekHeader, resolveLimits, withTtl, type TtlSlot, type WireLimits } from './wire.js';

/** CURVE settings of a broker: its key pair and the public keys allowed to connect. */
export interface BrokerCurveOptions extends KeyPair {
  /** Z85 public keys of the clients and workers allowed to connect. */
  allow: Iterable<string>;
}

export interface BrokerOptions {
  /** Milliseconds between HEARTBEATs to workers (default 2500, as the zguide broker). */
  heartbeatIntervalMs?: number;
  /** Missed heartbeat intervals before a silent worker is dropped (default 3). */
  heartbeatLiveness?: number;
  /** How long a request for a service without workers waits for one (default: interval × liveness). */
  unknownServiceGraceMs?: number;
  /** Dispatches per task before the broker gives up on it after worker deaths (default 3). */
  maxAttempts?: number;
  /** Most queued requests per service; more are refused with LIMIT_EXCEEDED (default 100 000). */
  maxQueue?: number;
  /** Most services known at once (default 10 000); requests for more new names are refused. */
  maxServices?: number;
  /** Size limits of request and reply bodies (wire.ts defaults). `maxFrameBytes` also sets libzmq's `maxMessageSize`. */
  limits?: Partial<WireLimits>;
  /** Task ids remembered after completion, to recognize duplicate replies (default 65 536). */
  completedMemory?: number;
  /** CURVE encryption with a ZAP allow-list; off by default (plain-text, unauthenticated). */
  curve?: BrokerCurveOptions;
  /** Optional logger for notable events (worker lost, task re-queued, refused key). */
  log?: (line: string) => void;
}

/** An in-process client's handle ({@link Broker.connectLocal}). */
export interface LocalBrokerClient {
  /**
   * Queues one request for `service` (its body as a socket client would send it: an optkit payload,
   * or any frames for a plain MDP request). Never blocks; the reply or error reply comes to the
   * callback given to `connectLocal`, always asynchronously (never from inside this call). The body's
   * bytes are referenced, not copied, until the task is answered (a re-queued task is sent again from
   * them): do not change them before then. Throws UNAVAILABLE after {@link close} or once the broker
   * is closed, INVALID_ARGUMENT for a service name MDP does not allow or an empty body.
   */
  request(service: string, body: readonly Frame[]): void;
  /** Stops delivering replies to this client (replies still due are dropped and counted undeliverable). Idempotent. */
  close(): void;
  /** Whether requests can still be made (false after close or once the broker is closed). */
  readonly open: boolean;
}

/** Per-service figures in {@link BrokerStats}. */
export interface ServiceStats {
  name: string;
  /** MDP worker connections serving the service. */
  workers: number;
  /** Distinct worker processes among them (see {@link BrokerStats.processes}). */
  processes: number;
  idle: number;
  queued: number;
  inFlight: number;
}

/** The broker's counters and state, also served as `optkit.status`. */
export interface BrokerStats {
  endpoints: string[];
  uptimeMs: number;
  /** MDP worker connections (an optkit worker process holds one per service and pool thread). */
  workers: number;
  /**
   * Distinct worker processes: connections whose READY named the same process count once; a plain
   * MDP 0.1 READY (no process id) counts as one process per connection.
   */
  processes: number;
  idleWorkers: number;
  /** Clients in the broker's own process ({@link Broker.connectLocal}) now connected. */
  localClients: number;
  services: ServiceStats[];
  /** Requests waiting for a worker, all services. */
  queueDepth: number;
  /** Tasks dispatched and not yet answered. */
  inFlight: number;
  /** Client requests accepted into a queue. */
  requests: number;
  /** Replies delivered to clients (worker replies, not errors). */
  replies: number;
  /** Error replies sent by the broker (unknown service, deadline, refused, lost too often). */
  errors: number;
  /** Tasks put back in the queue after their worker died. */
  requeued: number;
  /** Replies dropped because their task was already answered. */
  duplicateReplies: number;
  /** Requests whose (client, id) was already queued or in flight: ignored, the first copy answers. */
  duplicateRequests: number;
  /** Replies from workers given up on that matched no pending task and no remembered one. */
  lateReplies: number;
  /** Messages breaking MDP, dropped. */
  malformed: number;
  /** Requests over the frame-count or size limits, refused. */
  oversize: number;
  /** Requests with an optkit header of another version, refused with PROTOCOL. */
  badVersion: number;
  /** Requests refused because no worker registered for their service in the grace period. */
  unknownService: number;
  /** Requests whose time budget ran out before dispatch (on arrival or while queued). */
  expired: number;
  /** Tasks failed after `maxAttempts` dispatches. */
  failedTasks: number;
  /** Workers dropped for missing heartbeats. */
  heartbeatExpiries: number;
  /** Workers that sent DISCONNECT. */
  workerDisconnects: number;
  /** DISCONNECTs sent to peers that broke the worker protocol (unknown worker, double READY, mmi.* service). */
  protocolDisconnects: number;
  /** Messages the ROUTER could not deliver (peer gone or its queue full). */
  undeliverable: number;
  /** CURVE handshakes refused by the ZAP allow-list. */
  refusedAuth: number;
  /** Handshakes that failed before ZAP (e.g. a client without CURVE against a CURVE broker). */
  handshakeFailures: number;
  /** Connections that ended (includes those libzmq cut for frames over maxMessageSize). */
  peerDisconnects: number;
}

interface Service {
  name: string;
  workers: Set<Worker>;
  /** Idle workers, least recently used first. */
  idle: Worker[];
  queue: Fifo<Task>;
  /** Live (not done) tasks in `queue`. */
  queued: number;
  inFlight: number;
  /** When the service last had a worker (or was created). */
  lastWorkerAt: number;
}

interface Worker {
  id: Buffer;
  /** The affinity of the last task dispatched to it (undefined: none yet, or it had none). */
  lastAffinity?: string;
  key: string;
  /** The process it belongs to: `p` + the READY's process id, or `c` + its routing id for a plain READY. */
  process: string;
  service: Service;
  expiresAt: number;
  task: Task | null;
}

interface Task {
  key: string;
  id: string;
  service: Service;
  client: Buffer;
  body: Buffer[];
  /** The body starts with an optkit header (so errors go back as optkit payloads). */
  ours: boolean;
  arrivedAt: number;
  /** When the time budget runs out, on the broker's monotonic clock (performance.now(), ms). */
  expiresAt?: number;
  /** The header carries `ttl`: dispatch forwards the budget left. */
  hasTtl: boolean;
  /** Offset of the `ttl` value in body[0] (wire.ts TtlSlot), -1 when unknown. */
  ttlOffset: number;
  /** The header's placement hint. */
  affinity?: string;
  attempts: number;
  worker: Worker | null;
  /** Sitting in its service's queue (counted in `queued`). */
  inQueue: boolean;
  done: boolean;
}

const STATUS_OF: Record<string, string> = {
  PROTOCOL: '400',
  NOT_FOUND: '404',
  LIMIT_EXCEEDED: '413',
  UNAVAILABLE: '503',
  TIMEOUT: '504',
};

const idKey = (id: Buffer): string => id.toString('latin1');

/** How many idle workers (in LRU order) dispatch weighs against each other per task. */
export const PICK_SCAN_LIMIT = 64;

/**
 * In-process clients get routing ids of this length starting with a zero byte. No socket peer can
 * have one: libzmq generates 5-byte ids starting with 0, and refuses peer-chosen ids starting with 0.
 */
const LOCAL_ID_BYTES = 12;
const isLocalId = (id: Buffer): boolean => id.byteLength === LOCAL_ID_BYTES && id[0] === 0;

const asBuffer = (f: Frame): Buffer =>
  Buffer.isBuffer(f) ? f : typeof f === 'string' ? Buffer.from(f, 'utf8') : Buffer.from(f.buffer, f.byteOffset, f.byteLength);

/** A Majordomo (MDP 0.1) broker with heartbeats, task re-queueing, status and optional CURVE. */
export class Broker {
  readonly heartbeatIntervalMs: number;
  readonly heartbeatLiveness: number;
  readonly unknownServiceGraceMs: number;
  readonly maxAttempts: number;
  readonly maxQueue: number;
  readonly maxServices: number;
  readonly limits: WireLimits;
  private readonly completedMemory: number;
  private readonly log?: (line: string) => void;

  private readonly context: zmq.Context;
  private readonly socket: zmq.Router;
  private readonly zap: ZapHandler | null = null;
  private readonly curve?: BrokerCurveOptions;

  private readonly services = new Map<string, Service>();
  private readonly workers = new Map<string, Worker>();
  /** Tasks in flight per worker process (Worker.process), all services. */
  private readonly processBusy = new Map<string, number>();
  private readonly pending = new Map<string, Task>();
  /** Reply callbacks of in-process clients, by routing-id key. */
  private readonly localClients = new Map<string, (body: Buffer[]) => void>();
  /** What to call for each in-process client when the broker closes. */
  private readonly localClosers = new Map<string, () => void>();
  private nextLocalClient = 1;
  private readonly completed = new Set<string>();
  private readonly completedRing: (string | undefined)[] = [];
  private completedNext = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextHeartbeatAt = 0;
  private nextSweepAt = 0;
  private nextTaskId = 1;
  /** Reused out-parameter of peekHeader: where the request's `ttl` value sits. */
  private readonly ttlSlot: TtlSlot = { offset: -1 };
  private readonly startedAt = Date.now();
  private readonly endpoints: string[] = [];
  private started = false;
  private closed = false;
  private loop: Promise<void> | null = null;
  private readonly counters = {
    requests: 0,
    replies: 0,
    errors: 0,
    requeued: 0,
    duplicateReplies: 0,
    duplicateRequests: 0,
    lateReplies: 0,
    malformed: 0,
    oversize: 0,
    badVersion: 0,
    unknownService: 0,
    expired: 0,
    failedTasks: 0,
    heartbeatExpiries: 0,
    workerDisconnects: 0,
    protocolDisconnects: 0,
    undeliverable: 0,
    handshakeFailures: 0,
    peerDisconnects: 0,
  };

  constructor(options: BrokerOptions = {}) {
    const fn = 'Broker';
    this.heartbeatIntervalMs = checkOption(options.heartbeatIntervalMs ?? 2500, 'heartbeatIntervalMs', { min: 1, integer: true }, fn);
    this.heartbeatLiveness = checkOption(options.heartbeatLiveness ?? 3, 'heartbeatLiveness', { min: 1, integer: true }, fn);
    this.unknownServiceGraceMs = checkOption(
      options.unknownServiceGraceMs ?? this.heartbeatIntervalMs * this.heartbeatLiveness,
      'unknownServiceGraceMs',
      { min: 0 },
      fn,
    );
    this.maxAttempts = checkOption(options.maxAttempts ?? 3, 'maxAttempts', { min: 1, integer: true }, fn);
    this.maxQueue = checkOption(options.maxQueue ?? 100_000, 'maxQueue', { min: 1, integer: true }, fn);
    this.maxServices = checkOption(options.maxServices ?? 10_000, 'maxServices', { min: 1, integer: true }, fn);
    this.completedMemory = checkOption(options.completedMemory ?? 65_536, 'completedMemory', { min: 0, integer: true }, fn);
    this.limits = resolveLimits(options.limits, fn);
    if (options.log) this.log = options.log;

    const frameCap = Math.max(this.limits.maxFrameBytes, this.limits.maxHeaderBytes, 4096);
    const socketOptions: Record<string, unknown> = {
      linger: 0,
      mandatory: true,
      // Never block the event loop's only sender on one slow peer: a full peer queue fails the send
      // at once (counted as undeliverable) instead of stalling every other client and worker.
      sendTimeout: 0,
      sendHighWaterMark: 100_000,
      maxMessageSize: frameCap,
    };
    if (options.curve) {
      const c = options.curve;
      assertZ85Key(c.publicKey, 'curve.publicKey');
      assertZ85Key(c.secretKey, 'curve.secretKey');
      // The ZAP endpoint is per context, so a CURVE broker gets a context of its own.
      this.context = new zmq.Context({ blocky: false });
      this.curve = c;
      this.zap = new ZapHandler(this.context, c.allow);
      this.zap.onRefused = (key, address) => this.log?.(`broker: refused CURVE key ${key ?? '(none)'} from ${address}`);
      Object.assign(socketOptions, curveServerOptions(c));
    } else {
      this.context = zmq.context;
    }
    this.socket = new zmq.Router({ ...socketOptions, context: this.context } as ConstructorParameters<typeof zmq.Router>[0]);
    const events = this.socket.events;
    events.on('disconnect', () => this.counters.peerDisconnects++);
    events.on('handshake:error:protocol', () => this.counters.handshakeFailures++);
    events.on('handshake:error:other', () => this.counters.handshakeFailures++);
  }

  /**
   * Binds the ROUTER to `endpoint` (e.g. `tcp://*:5555`, `tcp://127.0.0.1:0` for an ephemeral port,
   * `ipc:///tmp/x`) and starts serving. Returns the endpoint actually bound. May be called for
   * several endpoints.
   */
  async bind(endpoint: string): Promise<string> {
    if (this.closed) throw new OptkitError('UNAVAILABLE', 'Broker.bind: the broker is closed', 'endpoint');
    if (typeof endpoint !== 'string' || !/^[a-z]+:\/\//.test(endpoint)) {
      throw new OptkitError('INVALID_ARGUMENT', `Broker.bind: endpoint ${JSON.stringify(endpoint)} is not a ZeroMQ address like tcp://*:5555`, 'endpoint');
    }
    if (this.zap) await this.zap.start();
    // libzmq spells "any port" as `*`; accept the common `:0` too.
    const address = endpoint.replace(/:0$/, ':*');
    await this.socket.bind(address);
    const bound = this.socket.lastEndpoint ?? endpoint;
    this.endpoints.push(bound);
    if (!this.started) {
      this.started = true;
      this.startTicking();
      this.loop = this.receiveLoop();
    }
    return bound;
  }

  /**
   * Starts the periodic tick (heartbeats, worker expiry, queue deadlines and grace periods) once:
   * from the first bind, or from the first in-process client of a broker not bound yet, whose
   * requests must expire too.
   */
  private startTicking(): void {
    if (this.timer || this.closed) return;
    this.nextHeartbeatAt = Date.now() + this.heartbeatIntervalMs;
    // Expiry is checked often enough that a silent worker goes within its liveness window plus at
    // most 100 ms; the queue sweep (deadlines, grace periods) runs at most every 250 ms.
    this.timer = setInterval(() => this.tick(), Math.max(5, Math.min(100, Math.floor(this.heartbeatIntervalMs / 4))));
  }

  /** The last endpoint bound (with the real port), or undefined before {@link bind}. */
  get endpoint(): string | undefined {
    return this.endpoints[this.endpoints.length - 1];
  }

  /** The broker's public CURVE key when CURVE is on. */
  get publicKey(): string | undefined {
    return this.curve?.publicKey;
  }

  /** Adds a public key to the CURVE allow-list at run time (UNSUPPORTED without CURVE). */
  allowKey(key: string): void {
    if (!this.zap) throw new OptkitError('UNSUPPORTED', 'Broker.allowKey: CURVE is not enabled', 'key');
    this.zap.allow(key);
  }

  /**
   * A client in this process: requests enter the broker's queues by a function call and replies come
   * back by `onReply(body)` (the reply body frames: an optkit payload, or MDP status frames for a
   * plain request), without the ZeroMQ hop a socket client pays. `onClosed` is called once, in a
   * microtask, when the broker closes (its pending tasks will get no reply). `ClusterClient({broker})`
   * wraps this.
   */
  connectLocal(onReply: (body: Buffer[]) => void, onClosed?: () => void): LocalBrokerClient {
    if (typeof onReply !== 'function') throw new OptkitError('INVALID_ARGUMENT', 'Broker.connectLocal: onReply must be a function', 'onReply');
    if (onClosed !== undefined && typeof onClosed !== 'function') throw new OptkitError('INVALID_ARGUMENT', 'Broker.connectLocal: onClosed must be a function', 'onClosed');
    if (this.closed) throw new OptkitError('UNAVAILABLE', 'Broker.connectLocal: the broker is closed', 'broker');
    const id = Buffer.alloc(LOCAL_ID_BYTES);
    id.write('local', 1, 'latin1');
    id.writeUIntBE(this.nextLocalClient++, LOCAL_ID_BYTES - 6, 6);
    const key = idKey(id);
    this.localClients.set(key, onReply);
    if (onClosed) this.localClosers.set(key, onClosed);
    this.startTicking();
    const broker = this;
    return {
      get open() {
        return !broker.closed && broker.localClients.has(key);
      },
      request(service: string, body: readonly Frame[]): void {
        if (broker.closed || !broker.localClients.has(key)) {
          throw new OptkitError('UNAVAILABLE', `Broker: ${broker.closed ? 'the broker is' : 'this local client is'} closed`, 'broker');
        }
        const name = typeof service === 'string' ? parseServiceName(Buffer.from(service, 'utf8')) : { kind: 'invalid' as const, reason: 'service name is not a string' };
        if (typeof name !== 'string') throw new OptkitError('INVALID_ARGUMENT', `Broker local request: ${name.reason}`, 'service');
        if (!Array.isArray(body) || body.length === 0) throw new OptkitError('INVALID_ARGUMENT', 'Broker local request: the body needs at least one frame', 'body');
        const buffers = body.map(asBuffer);
        try {
          broker.onClient(id, name, buffers);
        } catch (err) {
          broker.counters.malformed++;
          broker.log?.(`broker: error handling a local request: ${(err as Error).message}`);
        }
      },
      close(): void {
        broker.localClients.delete(key);
        broker.localClosers.delete(key);
      },
    };
  }

  /** Stops serving: closes the sockets and timers. Pending tasks are dropped (clients retry elsewhere). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closers = [...this.localClosers.values()];
    this.localClients.clear();
    this.localClosers.clear();
    for (const notify of closers) {
      queueMicrotask(() => {
        try {
          notify();
        } catch (err) {
          this.log?.(`broker: a local client's close callback threw: ${(err as Error).message}`);
        }
      });
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.socket.close();
    this.zap?.close();
    await this.loop?.catch(() => undefined);
  }

  /** A snapshot of all counters and per-service state. */
  stats(): BrokerStats {
    const services: ServiceStats[] = [];
    let queueDepth = 0;
    let inFlight = 0;
    let idleWorkers = 0;
    const processes = new Set<string>();
    const serviceProcesses = new Set<string>();
    for (const s of this.services.values()) {
      serviceProcesses.clear();
      for (const w of s.workers) {
        serviceProcesses.add(w.process);
        processes.add(w.process);
      }
      services.push({ name: s.name, workers: s.workers.size, processes: serviceProcesses.size, idle: s.idle.length, queued: s.queued, inFlight: s.inFlight });
      queueDepth += s.queued;
      inFlight += s.inFlight;
      idleWorkers += s.idle.length;
    }
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      endpoints: [...this.endpoints],
      uptimeMs: Date.now() - this.startedAt,
      workers: this.workers.size,
      processes: processes.size,
      idleWorkers,
      localClients: this.localClients.size,
      services,
      queueDepth,
      inFlight,
      ...this.counters,
      refusedAuth: this.zap ? this.zap.stats().refused : 0,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  private async receiveLoop(): Promise<void> {
    const socket = this.socket;
    try {
      // receive() resolves at once while messages are waiting (zeromq.js reads up to 512 in a row
      // before yielding to the event loop), so a burst is handled without returning to the poller.
      while (!this.closed) {
        const frames = await socket.receive();
        try {
          this.handle(frames);
        } catch (err) {
          // A bug in a handler must not take the broker down with it; count and carry on.
          this.counters.malformed++;
          this.log?.(`broker: error handling a message: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      if (!this.closed) this.log?.(`broker: receive loop ended: ${(err as Error).message}`);
    }
  }

  private handle(frames: Buffer[]): void {
    const msg = parseBrokerInbound(frames);
    switch (msg.kind) {
      case 'client':
        this.onClient(msg.sender, msg.service, msg.body);
        return;
      case 'ready':
        this.onReady(msg.sender, msg.service, msg.process);
        return;
      case 'reply':
        this.onReply(msg.sender, msg.client, msg.body);
        return;
      case 'heartbeat': {
        const w = this.workers.get(idKey(msg.sender));
        if (w) this.refresh(w);
        else this.disconnectPeer(msg.sender);
        return;
      }
      case 'disconnect': {
        const w = this.workers.get(idKey(msg.sender));
        if (w) {
          this.counters.workerDisconnects++;
          this.deleteWorker(w, 'sent DISCONNECT');
        }
        return;
      }
      default:
        this.counters.malformed++;
    }
  }

  private checkBody(body: Buffer[]): string | null {
    if (body.length - 1 > this.limits.maxFrames) return `${body.length} body frames exceed ${this.limits.maxFrames + 1}`;
    let total = 0;
    for (let i = 0; i < body.length; i++) {
      const n = body[i].byteLength;
      if (n > this.limits.maxFrameBytes) return `frame ${i} of ${n} bytes exceeds maxFrameBytes ${this.limits.maxFrameBytes}`;
      total += n;
    }
    if (total > this.limits.maxTotalBytes) return `body of ${total} bytes exceeds maxTotalBytes ${this.limits.maxTotalBytes}`;
    return null;
  }

  private onClient(client: Buffer, serviceName: string, body: Buffer[]): void {
    const peek = peekHeader(body[0], this.limits.maxHeaderBytes, this.ttlSlot);
    const ttlOffset = this.ttlSlot.offset;
    const ours = peek.kind !== 'foreign';
    const givenId = peek.kind === 'ours' ? peek.id : undefined;
    const oversize = this.checkBody(body);
    if (oversize) {
      this.counters.oversize++;
      this.sendError(client, serviceName, ours, givenId, 'LIMIT_EXCEEDED', `broker: request refused: ${oversize}`);
      return;
    }
    if (peek.kind === 'bad-version') {
      this.counters.badVersion++;
      this.sendError(client, serviceName, true, undefined, 'PROTOCOL', `broker: request header has version v=${JSON.stringify(peek.v)}; this broker speaks v=1`);
      return;
    }
    if (serviceName.startsWith(MMI_PREFIX) || serviceName === OPTKIT_STATUS) {
      this.onInternal(client, serviceName, body, givenId);
      return;
    }
    const now = Date.now();
    // The budget left, in ms: the relative `ttl`, else the deprecated absolute deadline against this
    // host's wall clock (skewed by the difference of the two clocks, as it always was).
    const budget = peek.kind !== 'ours' ? undefined : peek.ttl !== undefined ? peek.ttl : peek.deadline !== undefined ? peek.deadline - now : undefined;
    if (budget !== undefined && budget <= 0) {
      this.counters.expired++;
      this.sendError(client, serviceName, true, givenId, 'TIMEOUT', `broker: task ${givenId ?? ''} arrived after its deadline`);
      return;
    }
    let service = this.services.get(serviceName);
    if (!service) {
      if (this.services.size >= this.maxServices) this.pruneServices();
      if (this.services.size >= this.maxServices) {
        this.sendError(client, serviceName, ours, givenId, 'LIMIT_EXCEEDED', `broker: too many services (${this.maxServices})`);
        return;
      }
      service = { name: serviceName, workers: new Set(), idle: [], queue: new Fifo(), queued: 0, inFlight: 0, lastWorkerAt: now };
      this.services.set(serviceName, service);
    }
    if (service.queued >= this.maxQueue) {
      this.sendError(client, serviceName, ours, givenId, 'LIMIT_EXCEEDED', `broker: queue of ${serviceName} is full (${this.maxQueue} requests)`);
      return;
    }
    const id = givenId ?? `b${this.nextTaskId++}`;
    const key = `${idKey(client)}\u0000${id}`;
    if (this.pending.has(key)) {
      // A client retry of a task still queued or running: the first copy's reply will answer it.
      this.counters.duplicateRequests++;
      return;
    }
    const hasTtl = peek.kind === 'ours' && peek.ttl !== undefined;
    const task: Task = { key, id, service, client, body, ours, arrivedAt: now, hasTtl, ttlOffset: hasTtl ? ttlOffset : -1, attempts: 0, worker: null, inQueue: true, done: false };
    if (peek.kind === 'ours' && peek.affinity !== undefined) task.affinity = peek.affinity;
    if (budget !== undefined) task.expiresAt = performance.now() + budget;
    this.pending.set(key, task);
    this.counters.requests++;
    service.queue.push(task);
    service.queued++;
    this.dispatch(service);
  }

  private onInternal(client: Buffer, serviceName: string, body: Buffer[], id: string | undefined): void {
    if (serviceName === OPTKIT_STATUS) {
      const frames = encodePayload({ ...(id !== undefined ? { id } : {}), service: OPTKIT_STATUS, header: this.stats() as unknown as Record<string, unknown> });
      this.replyTo(client, serviceName, frames);
      return;
    }
    if (serviceName === MMI_SERVICE) {
      const name = body[0]?.toString('utf8') ?? '';
      const s = this.services.get(name);
      const code = name === OPTKIT_STATUS || name === MMI_SERVICE || (s !== undefined && s.workers.size > 0) ? '200' : '404';
      this.replyTo(client, serviceName, [code]);
      return;
    }
    this.replyTo(client, serviceName, ['501']);
  }

  private onReady(sender: Buffer, serviceName: string, process?: string): void {
    const key = idKey(sender);
    const existing = this.workers.get(key);
    if (existing) {
      // RFC 7: READY is only the first command; a repeat is a protocol error.
      this.deleteWorker(existing, 'sent READY twice');
      this.disconnectPeer(sender);
      return;
    }
    if (serviceName.startsWith(MMI_PREFIX) || serviceName.startsWith('optkit.')) {
      this.disconnectPeer(sender);
      return;
    }
    let service = this.services.get(serviceName);
    if (!service) {
      if (this.services.size >= this.maxServices) this.pruneServices();
      if (this.services.size >= this.maxServices) {
        this.disconnectPeer(sender);
        return;
      }
      service = { name: serviceName, workers: new Set(), idle: [], queue: new Fifo(), queued: 0, inFlight: 0, lastWorkerAt: Date.now() };
      this.services.set(serviceName, service);
    }
    const worker: Worker = { id: sender, key, process: process !== undefined ? `p${process}` : `c${key}`, service, expiresAt: 0, task: null };
    this.refresh(worker);
    this.workers.set(key, worker);
    service.workers.add(worker);
    service.lastWorkerAt = Date.now();
    service.idle.push(worker);
    this.dispatch(service);
  }

  private onReply(sender: Buffer, client: Buffer, body: Buffer[]): void {
    const worker = this.workers.get(idKey(sender));
    if (!worker) {
      this.onLateReply(sender, client, body);
      return;
    }
    this.refresh(worker);
    const task = worker.task;
    if (!task) {
      this.counters.duplicateReplies++;
      return;
    }
    if (!task.client.equals(client)) {
      // MDP: a worker holds one request at a time, so a REPLY names that request's client. One naming
      // another client breaks the protocol: drop it, and the worker, whose task goes to another worker.
      this.counters.malformed++;
      this.deleteWorker(worker, 'replied to the wrong client');
      this.disconnectPeer(sender);
      return;
    }
    worker.task = null;
    this.releaseProcess(worker);
    task.worker = null;
    task.service.inFlight--;
    if (task.done) this.counters.duplicateReplies++;
    else this.complete(task, body);
    if (worker.service.workers.has(worker)) {
      worker.service.idle.push(worker);
      this.dispatch(worker.service);
    }
  }

  /** A REPLY from a worker the broker does not know (given up on, or from before a restart). */
  private onLateReply(sender: Buffer, client: Buffer, body: Buffer[]): void {
    const peek = peekHeader(body[0], this.limits.maxHeaderBytes);
    if (peek.kind === 'ours' && peek.id !== undefined) {
      const key = `${idKey(client)}\u0000${peek.id}`;
      const task = this.pending.get(key);
      if (task && !task.done) {
        this.complete(task, body);
      } else if (this.completed.has(key)) {
        this.counters.duplicateReplies++;
      } else {
        this.counters.lateReplies++;
      }
    } else {
      this.counters.lateReplies++;
    }
    this.disconnectPeer(sender);
  }

  /** Delivers a worker's reply and retires the task; a copy still queued or running is left to be dropped. */
  private complete(task: Task, body: Buffer[]): void {
    task.done = true;
    this.pending.delete(task.key);
    if (task.inQueue) {
      // A late reply overtook the re-queued copy; dispatch skips done tasks.
      task.inQueue = false;
      task.service.queued--;
    }
    this.remember(task.key);
    this.counters.replies++;
    this.replyTo(task.client, task.service.name, body);
  }

  private remember(key: string): void {
    if (this.completedMemory === 0) return;
    // A ring of the last `completedMemory` keys: the oldest is forgotten without an iterator per reply.
    const old = this.completedRing[this.completedNext];
    if (old !== undefined) this.completed.delete(old);
    this.completedRing[this.completedNext] = key;
    this.completedNext = (this.completedNext + 1) % this.completedMemory;
    this.completed.add(key);
  }

  // ------------------------------------------------------------------------------------------
  // Dispatch, workers, expiry

  private dispatch(service: Service): void {
    const now = performance.now();
    while (service.idle.length > 0 && service.queued > 0) {
      const task = service.queue.shift();
      if (!task) {
        service.queued = 0;
        break;
      }
      if (task.done) continue;
      task.inQueue = false;
      service.queued--;
      if (task.expiresAt !== undefined && task.expiresAt <= now) {
        this.counters.expired++;
        this.fail(task, 'TIMEOUT', `broker: task ${task.id} passed its deadline while queued`);
        continue;
      }
      const worker = this.pickWorker(service, task);
      worker.task = task;
      worker.lastAffinity = task.affinity;
      this.processBusy.set(worker.process, (this.processBusy.get(worker.process) ?? 0) + 1);
      task.worker = worker;
      task.attempts++;
      service.inFlight++;
      this.enqueue(brokerRequest(worker.id, task.client, this.forwardBody(task, now)));
    }
  }

  /**
   * Takes the idle worker `task` goes to out of `service.idle` (non-empty): least busy process first,
   * then affinity, then least recently used (see the class comment).
   */
  private pickWorker(service: Service, task: Task): Worker {
    const idle = service.idle;
    if (idle.length === 1) return idle.pop()!;
    const n = Math.min(idle.length, PICK_SCAN_LIMIT);
    const affinity = task.affinity;
    let best = 0;
    let bestScore = Infinity;
    for (let i = 0; i < n; i++) {
      const w = idle[i];
      // Load counts double, so affinity only breaks ties between equally loaded processes.
      const score = 2 * (this.processBusy.get(w.process) ?? 0) + (affinity !== undefined && w.lastAffinity === affinity ? 0 : 1);
      if (score < bestScore) {
        bestScore = score;
        best = i;
        if (score === 0) break;
      }
    }
    return best === 0 ? idle.shift()! : idle.splice(best, 1)[0];
  }

  /** One task fewer in flight on `worker`'s process. */
  private releaseProcess(worker: Worker): void {
    const left = (this.processBusy.get(worker.process) ?? 1) - 1;
    if (left > 0) this.processBusy.set(worker.process, left);
    else this.processBusy.delete(worker.process);
  }

  /** The body to dispatch: with `ttl` rewritten to the budget left at `now` when the header has one. */
  private forwardBody(task: Task, now: number): Buffer[] | Frame[] {
    if (!task.hasTtl || task.expiresAt === undefined) return task.body;
    try {
      const head = withTtl(task.body[0], task.expiresAt - now, task.ttlOffset, this.limits.maxHeaderBytes);
      const out: Frame[] = new Array(task.body.length);
      out[0] = head;
      for (let i = 1; i < task.body.length; i++) out[i] = task.body[i];
      return out;
    } catch {
      // Only a header the fast scan accepted but the full decoder refuses gets here; the worker
      // refuses it too and says why, so send it as it came.
      return task.body;
    }
  }

  private refresh(worker: Worker): void {
    worker.expiresAt = Date.now() + this.heartbeatIntervalMs * this.heartbeatLiveness;
  }

  private deleteWorker(worker: Worker, reason: string): void {
    const service = worker.service;
    this.workers.delete(worker.key);
    service.workers.delete(worker);
    const i = service.idle.indexOf(worker);
    if (i >= 0) service.idle.splice(i, 1);
    if (service.workers.size === 0) service.lastWorkerAt = Date.now();
    const task = worker.task;
    worker.task = null;
    if (task) {
      this.releaseProcess(worker);
      task.worker = null;
      service.inFlight--;
      if (!task.done) {
        if (task.attempts >= this.maxAttempts) {
          this.counters.failedTasks++;
          this.fail(task, 'UNAVAILABLE', `broker: task ${task.id} lost with ${task.attempts} workers (last: ${reason}); giving up`);
        } else {
          this.counters.requeued++;
          this.log?.(`broker: worker of ${service.name} ${reason}; re-queueing task ${task.id}`);
          service.queue.unshift(task);
          task.inQueue = true;
          service.queued++;
        }
      }
    }
    this.dispatch(service);
  }

  private disconnectPeer(id: Buffer): void {
    this.counters.protocolDisconnects++;
    this.enqueue(brokerDisconnect(id));
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    const mono = performance.now();
    for (const worker of [...this.workers.values()]) {
      if (worker.expiresAt < now) {
        this.counters.heartbeatExpiries++;
        this.deleteWorker(worker, 'missed heartbeats');
      }
    }
    if (now >= this.nextHeartbeatAt) {
      this.nextHeartbeatAt = now + this.heartbeatIntervalMs;
      for (const worker of this.workers.values()) this.enqueue(brokerHeartbeat(worker.id));
    }
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + Math.max(5, Math.min(250, Math.floor(this.heartbeatIntervalMs / 4)));
    for (const [name, service] of this.services) {
      if (service.queue.length === 0) {
        // Forget names nobody serves or asks for any more (garbage names, long-gone services).
        if (service.workers.size === 0 && service.inFlight === 0 && now - service.lastWorkerAt >= this.unknownServiceGraceMs) this.services.delete(name);
        continue;
      }
      const noWorkers = service.workers.size === 0;
      service.queue.filter((task) => {
        if (task.done) return false;
        task.inQueue = false;
        if (task.expiresAt !== undefined && task.expiresAt <= mono) {
          this.counters.expired++;
          this.fail(task, 'TIMEOUT', `broker: task ${task.id} passed its deadline while queued`);
          return false;
        }
        if (noWorkers && now - Math.max(task.arrivedAt, service.lastWorkerAt) >= this.unknownServiceGraceMs) {
          this.counters.unknownService++;
          this.fail(task, 'UNAVAILABLE', `broker: no worker for service ${JSON.stringify(service.name)} within ${this.unknownServiceGraceMs} ms`);
          return false;
        }
        task.inQueue = true;
        return true;
      });
      service.queued = service.queue.length;
    }
  }

  /** Forgets services with no workers, no queue and nothing in flight (bounded memory under garbage names). */
  private pruneServices(): void {
    for (const [name, s] of this.services) {
      if (s.workers.size === 0 && s.queued === 0 && s.inFlight === 0) this.services.delete(name);
    }
  }

  private fail(task: Task, code: string, message: string): void {
    task.done = true;
    this.pending.delete(task.key);
    this.sendError(task.client, task.service.name, task.ours, task.id, code, message);
  }

  private sendError(client: Buffer, service: string, ours: boolean, id: string | undefined, code: string, message: string): void {
    this.counters.errors++;
    const status = code === 'UNAVAILABLE' && message.includes('no worker for service') ? '404' : (STATUS_OF[code] ?? '500');
    const body: Frame[] = ours ? encodePayload({ ...(id !== undefined ? { id } : {}), service, error: { code, message } }) : [status, message];
    this.replyTo(client, service, body);
  }

  // ------------------------------------------------------------------------------------------
  // Sending. With `sendTimeout: 0` zeromq.js sends synchronously (its fast path: the message is handed
  // to libzmq at once, or the returned promise is already rejected with EAGAIN / EHOSTUNREACH), so no
  // send is ever left in progress and the broker needs no outgoing queue: each message goes out the
  // moment it is made, without a promise hop per message.

  /**
   * A reply (or error reply) to a client: over the ROUTER, or to an in-process client's callback in a
   * microtask, so a local client never sees its reply from inside its own `request` call.
   */
  private replyTo(client: Buffer, service: string, body: readonly Frame[]): void {
    if (!isLocalId(client)) {
      this.enqueue(brokerReply(client, service, body));
      return;
    }
    const deliver = this.localClients.get(idKey(client));
    if (!deliver || this.closed) {
      this.counters.undeliverable++;
      return;
    }
    const buffers = body.map(asBuffer);
    queueMicrotask(() => {
      try {
        deliver(buffers);
      } catch (err) {
        this.log?.(`broker: a local client's reply callback threw: ${(err as Error).message}`);
      }
    });
  }

  private enqueue(frames: Frame[]): void {
    if (this.closed) return;
    try {
      this.socket.send(frames).catch(this.onUndeliverable);
    } catch {
      // A synchronous throw (socket closing) is as undeliverable as a rejection.
      this.counters.undeliverable++;
    }
  }

  /** EHOSTUNREACH (peer gone) or EAGAIN (its queue full, sendTimeout 0). */
  private readonly onUndeliverable = (): void => {
    this.counters.undeliverable++;
  };
}
