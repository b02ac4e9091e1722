/**
 * A cluster worker process: ZeroMQ DEALER connections on the main thread speaking the MDP 0.1 worker
 * protocol (RFC 7/MDP), and a Piscina thread pool that runs the job handlers of the loaded plugins.
 *
 * MDP gives a worker connection exactly one service and one request at a time. To serve every job of
 * its plugins with `threads` tasks in parallel, a worker therefore opens `threads × prefetch` DEALER
 * connections ("slots") per service; the broker sees `services × threads × prefetch` MDP workers,
 * and the pool (sized `threads`) queues when more tasks arrive than it has threads. `prefetch` 2
 * keeps the next task waiting beside each thread (hiding the broker round trip between tasks); the
 * broker still spreads tasks over processes first (broker.ts), so a queued task is only taken when
 * every process has work. Each slot sends READY for its service,
 * HEARTBEATs every `heartbeat.intervalMs`, and treats a broker silent for `liveness` intervals, or a
 * DISCONNECT, as gone: it closes its socket and opens a new one after an exponential back-off (zguide
 * Paranoid Pirate), sending READY again. So a restarted broker needs no worker restart.
 *
 * Requests and replies are optkit payloads (wire.ts). A handler that throws becomes an error reply
 * `{error: {code, message}}`, never a dead worker; a task past its deadline (the request's `ttl`,
 * the budget left when the broker dispatched it, counted from its arrival here; else the deprecated
 * absolute `deadline` of older peers; capped by `taskTimeoutMs`) is aborted (Piscina terminates that
 * thread and starts a fresh one) and answered with TIMEOUT.
 *
 * Every READY carries this process's id (`host:pid:nonce`, mdp.ts), so the broker counts the
 * process once however many connections it holds.
 *
 * Frames and threads: reply frames a handler returns (typed arrays it allocated) move back to the main
 * thread by transfer (Piscina.move), not copy. Request frames are handed to the pool with a transfer
 * list too, but the buffers zeromq receives into are external memory that V8 cannot detach, so Node
 * clones them once on the way into the thread (measured: a 4 MiB received frame keeps its bytes after
 * `postMessage(frame, [frame.buffer])`); that one copy per request frame is the floor here.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { Dealer } from 'zeromq';
import { Piscina } from 'piscina';
import { OptkitError, Registry, loadPlugin } from '@optkit/core';
import { parseConfig, workerConfigSchema, type WorkerConfig } from './config.js';
import { PayloadFetcher } from './direct.js';
import { parseWorkerInbound, workerDisconnect, workerHeartbeat, workerReady, workerReply, type Frame } from './mdp.js';
import { detachable, movable, type PoolOutcome, type PoolTask, type PoolThreadData } from './pool-thread.js';
import { decodePayload, encodePayload, peekHeader, resolveLimits, type WireLimits } from './wire.js';
import { selectWorkerBackend, type WorkerBackendChoice } from './worker-backend.js';

export interface WorkerOptions extends WorkerConfig {
  /** Size limits on incoming payloads (defaults: wire.ts DEFAULT_WIRE_LIMITS). */
  limits?: Partial<WireLimits>;
  /** Folder from which plugin package names are resolved (default `process.cwd()`). */
  cwd?: string;
  /** Where the worker's log lines go (default: stderr, prefixed `optkit worker: `). */
  log?: (line: string) => void;
}

/** Counters of a running worker. */
export interface WorkerStats {
  /** Tasks answered with a result. */
  completed: number;
  /** Tasks answered with an error (handler errors, bad payloads, timeouts). */
  failed: number;
  /** Tasks answered with TIMEOUT. */
  timedOut: number;
  /** Messages from the broker that broke MDP (dropped). */
  invalid: number;
  /** Times a slot dropped its connection and opened a new one. */
  reconnects: number;
  /** Replies dropped because their connection was replaced while the task ran. */
  orphaned: number;
  /** Tasks running or queued in the pool. */
  running: number;
}

/** A running worker. */
export interface ClusterWorker {
  /** The services (job ids) served. */
  readonly services: readonly string[];
  /** Pool threads. */
  readonly threads: number;
  /** Tasks held per thread and service (MDP connections per service = threads × prefetch). */
  readonly prefetch: number;
  /** The tfjs backend chosen with `backend`, when one was asked for. */
  readonly backend?: WorkerBackendChoice;
  stats(): WorkerStats;
  /** Sends DISCONNECT on every connection, closes the sockets and the pool. Idempotent. */
  close(): Promise<void>;
}

type Resolved = Required<Pick<WorkerOptions, 'connect' | 'plugins'>> & {
  threads: number;
  prefetch: number;
  heartbeatMs: number;
  liveness: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  taskTimeoutMs?: number;
  limits: WireLimits;
  curve?: WorkerOptions['curve'];
};

/** The pool thread module beside this one (`.ts` when running from sources, `.js` when built). */
function poolThreadFile(): { filename: string; execArgv?: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const filename = new URL(`./pool-thread.${fromSources ? 'ts' : 'js'}`, import.meta.url).href;
  // Threads of a process started with tsx inherit its loader; under vitest they do not, so name it.
  return fromSources ? { filename, execArgv: ['--conditions=@optkit/source', '--import', 'tsx'] } : { filename };
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Starts a worker: loads `plugins` (package names or absolute paths; core `loadPlugin`) to learn
 * their job ids, starts a Piscina pool of `threads` threads (default `os.availableParallelism()`)
 * that loads the same plugins, and connects `threads × prefetch` slots per service to the broker at
 * `connect`.
 *
 * Options (defaults): `heartbeat {intervalMs: 2500, liveness: 3}` (the broker's defaults; MDP has no
 * negotiation, so keep both sides equal),
 * `reconnect {initialMs: 250, maxMs: 8000}`, `prefetch` 1, `taskTimeoutMs` none, `services` every job of the
 * plugins, `backend` none (tfjs is not loaded), `curve` none (plain TCP).
 *
 * Throws INVALID_OPTION for bad options, NOT_FOUND when a plugin cannot be loaded or it registers
 * no jobs (or a requested service is not among them).
 */
export async function startWorker(options: WorkerOptions): Promise<ClusterWorker> {
  const { limits, cwd = process.cwd(), log = (line: string) => process.stderr.write(`optkit worker: ${line}\n`), ...config } = options;
  const parsed = parseConfig(workerConfigSchema, config, 'startWorker options');
  const hb = parsed.heartbeat ?? { intervalMs: 2500, liveness: 3 };
  const rc = parsed.reconnect ?? { initialMs: 250, maxMs: 8000 };
  const opts: Resolved = {
    connect: parsed.connect,
    plugins: parsed.plugins,
    threads: parsed.threads ?? availableParallelism(),
    prefetch: parsed.prefetch ?? 1,
    heartbeatMs: hb.intervalMs ?? 2500,
    liveness: hb.liveness ?? 3,
    reconnectInitialMs: rc.initialMs ?? 250,
    reconnectMaxMs: rc.maxMs ?? 8000,
    taskTimeoutMs: parsed.taskTimeoutMs,
    limits: resolveLimits(limits, 'startWorker'),
    curve: parsed.curve,
  };

  const registry = new Registry();
  for (const spec of opts.plugins) await loadPlugin(spec, { registry, cwd });
  const jobs = registry.list('jobs').map((j) => j.entry.id);
  let services = jobs;
  if (parsed.services) {
    const missing = parsed.services.filter((s) => !jobs.includes(s));
    if (missing.length) {
      throw new OptkitError('NOT_FOUND', `startWorker: services ${missing.join(', ')} are not jobs of the plugins (${jobs.join(', ') || 'none'})`, 'services');
    }
    services = parsed.services;
  }
  if (services.length === 0) {
    throw new OptkitError('NOT_FOUND', `startWorker: plugins ${opts.plugins.join(', ')} register no jobs, so there is nothing to serve`, 'plugins');
  }

  let backend: WorkerBackendChoice | undefined;
  if (parsed.backend) {
    backend = await selectWorkerBackend(parsed.backend);
    log(backend.message);
  }

  const { filename, execArgv } = poolThreadFile();
  const workerData: PoolThreadData = { plugins: opts.plugins, cwd };
  const pool = new Piscina({
    filename,
    ...(execArgv ? { execArgv } : {}),
    minThreads: opts.threads,
    maxThreads: opts.threads,
    idleTimeout: 60_000,
    workerData,
  });
  // Load the plugins in every thread before registering: a plugin that cannot load in a thread fails
  // the start, and the first tasks do not pay for module loading.
  const probes = (await Promise.all(
    Array.from({ length: opts.threads }, () => pool.run({ service: '', header: {}, frames: [] } satisfies PoolTask).catch((err: unknown) => ({ ok: false, error: { code: 'UNAVAILABLE', message: String(err) } }))),
  )) as PoolOutcome[];
  const failed = probes.find((p) => !p.ok);
  if (failed && !failed.ok) {
    await pool.destroy();
    throw new OptkitError('UNAVAILABLE', `startWorker: a pool thread could not load the plugins: ${failed.error.code}: ${failed.error.message}`, 'plugins');
  }
  const core = new WorkerCore(opts, pool, log);
  for (const service of services) for (let i = 0; i < opts.threads * opts.prefetch; i++) core.addSlot(service);
  core.start();
  log(`serving ${services.join(', ')} with ${opts.threads} thread${opts.threads === 1 ? '' : 's'} at ${opts.connect}${opts.prefetch > 1 ? `, ${opts.prefetch} tasks held per thread` : ''}`);
  return {
    services,
    threads: opts.threads,
    prefetch: opts.prefetch,
    ...(backend ? { backend } : {}),
    stats: () => core.snapshot(),
    close: () => core.close(),
  };
}

/** The shared state of one worker process: pool, slots, heartbeat timer, counters. */
class WorkerCore {
  readonly slots: Slot[] = [];
  readonly stopper = new AbortController();
  /** Prefix of this process's routing ids (`host:pid:random`), so broker logs name the process. */
  readonly tag = `${hostname().slice(0, 64)}:${process.pid}:${randomBytes(3).toString('hex')}`;
  /** Fetches direct payloads from the clients that hold them (direct.ts). */
  readonly fetcher: PayloadFetcher;
  readonly counters: WorkerStats = { completed: 0, failed: 0, timedOut: 0, invalid: 0, reconnects: 0, orphaned: 0, running: 0 };
  private timer?: NodeJS.Timeout;
  private closing?: Promise<void>;

  constructor(
    readonly opts: Resolved,
    readonly pool: Piscina,
    readonly log: (line: string) => void,
  ) {
    this.fetcher = new PayloadFetcher(opts.limits.maxFrameBytes);
  }

  addSlot(service: string): void {
    this.slots.push(new Slot(this, service, this.slots.length));
  }

  start(): void {
    for (const s of this.slots) s.open();
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const s of this.slots) s.tick(now);
    }, this.opts.heartbeatMs);
    this.timer.unref?.();
  }

  snapshot(): WorkerStats {
    return { ...this.counters, running: this.counters.running };
  }

  /** Runs one request in the pool and returns the reply body frames. Never throws. */
  async execute(service: string, body: Buffer[]): Promise<Frame[]> {
    const arrived = performance.now();
    const peek = peekHeader(body[0], this.opts.limits.maxHeaderBytes);
    const id = peek.kind === 'ours' ? peek.id : undefined;
    const fail = (code: string, message: string): Frame[] => {
      this.counters.failed++;
      if (code === 'TIMEOUT') this.counters.timedOut++;
      return encodePayload({ ...(id !== undefined ? { id } : {}), service, error: { code, message } });
    };
    let payload;
    try {
      payload = decodePayload(body, this.opts.limits);
    } catch (err) {
      const e = err instanceof OptkitError ? err : new OptkitError('PROTOCOL', String(err));
      return fail(e.code, `worker could not read the request for ${service}: ${e.message}`);
    }
    // The budget in ms from now: `ttl` needs no clock at all; only the deprecated absolute deadline
    // of older peers is read against this host's wall clock.
    const h = payload.header;
    let budget = h.ttl !== undefined ? h.ttl : h.deadline !== undefined ? h.deadline - Date.now() : undefined;
    if (this.opts.taskTimeoutMs !== undefined) budget = Math.min(budget ?? Infinity, this.opts.taskTimeoutMs);
    if (budget !== undefined && budget <= 0) return fail('TIMEOUT', `task ${id ?? '?'} for ${service} arrived after its deadline`);
    if (h.fetch) {
      // A direct payload (direct.ts): the body waits at the client; fetch it within the budget.
      if (this.opts.curve) return fail('PROTOCOL', `task ${id ?? '?'} for ${service} is a direct payload (plain TCP); this worker runs with CURVE and does not fetch them`);
      const started = performance.now();
      try {
        const full = decodePayload(await this.fetcher.fetch(h.fetch.endpoint, h.fetch.key, budget ?? 60_000), this.opts.limits);
        if (full.header.id !== h.id) throw new OptkitError('PROTOCOL', `the fetched body is task ${JSON.stringify(full.header.id)}, not ${JSON.stringify(h.id)}`, 'fetch');
        payload = full;
      } catch (err) {
        const e = err instanceof OptkitError ? err : new OptkitError('UNAVAILABLE', String(err));
        return fail(e.code, `worker could not fetch the body of task ${id ?? '?'} for ${service}: ${e.message}`);
      }
      if (budget !== undefined) {
        budget -= performance.now() - started;
        if (budget <= 0) return fail('TIMEOUT', `task ${id ?? '?'} for ${service} passed its deadline while its body was fetched`);
      }
    }

    const frames = payload.frames.map(detachable);
    const task: PoolTask = { service, header: payload.header.header ?? {}, frames };
    const abort = new AbortController();
    // setTimeout fires at once for delays over 2³¹−1 ms (24.8 days); such a budget needs no timer.
    const timer = budget !== undefined && budget <= 2_147_483_647 ? setTimeout(() => abort.abort(), budget) : undefined;
    this.counters.running++;
    let outcome: PoolOutcome;
    try {
      outcome = (await this.pool.run(movable(task, [...new Set(frames.map((f) => f.buffer as ArrayBuffer))]), { signal: abort.signal })) as PoolOutcome;
    } catch (err) {
      if (abort.signal.aborted) {
        return fail('TIMEOUT', `task ${id ?? '?'} for ${service} exceeded its deadline (${Math.round(budget!)} ms) and was aborted`);
      }
      // The thread itself died (out of memory, process.exit in a handler): report, keep serving.
      return fail('REMOTE_ERROR', `worker thread failed running ${service}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (timer) clearTimeout(timer);
      this.counters.running--;
    }
    if (!outcome.ok) return fail(outcome.error.code, outcome.error.message);
    try {
      const timing = { workerMs: performance.now() - arrived, runMs: outcome.runMs ?? 0 };
      const reply = encodePayload(
        { ...(id !== undefined ? { id } : {}), service, timing, header: outcome.header },
        outcome.frames.map((bytes) => ({ dtype: 'u8' as const, bytes })),
      );
      this.counters.completed++;
      return reply;
    } catch (err) {
      const e = err instanceof OptkitError ? err : new OptkitError('PROTOCOL', String(err));
      return fail(e.code, `reply of ${service} cannot be sent: ${e.message}`);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopper.abort();
      if (this.timer) clearInterval(this.timer);
      await Promise.all(this.slots.map((s) => s.close()));
      this.fetcher.close();
      await this.pool.destroy();
    })();
    return this.closing;
  }
}

/** One MDP worker connection for one service. */
class Slot {
  private socket?: Dealer;
  /** Incremented per socket, so late replies for a replaced socket are recognised and dropped. */
  private generation = 0;
  private heardAt = 0;
  private backoff: number;
  private reconnecting = false;
  private sending: Promise<unknown> = Promise.resolve();
  private warnedInvalid = false;

  constructor(
    private readonly core: WorkerCore,
    readonly service: string,
    readonly index: number,
  ) {
    this.backoff = core.opts.reconnectInitialMs;
  }

  open(): void {
    const o = this.core.opts;
    const gen = ++this.generation;
    const socket = new Dealer({
      // Unique per socket: a replacement connection must not collide with the old one's identity,
      // which a ROUTER may still hold for a moment.
      routingId: `${this.core.tag}:${this.index}:${gen}`,
      linger: 0,
      // A send that cannot be queued within a heartbeat is dropped: the broker is gone and the
      // liveness check will replace this socket.
      sendTimeout: o.heartbeatMs,
      maxMessageSize: o.limits.maxFrameBytes,
      ...(o.curve ? { curveServerKey: o.curve.serverKey, curvePublicKey: o.curve.publicKey, curveSecretKey: o.curve.secretKey } : {}),
    });
    socket.connect(o.connect);
    this.socket = socket;
    this.heardAt = Date.now();
    this.send(socket, workerReady(this.service, this.core.tag));
    void this.receive(socket, gen);
  }

  /** Sends on `socket`, one message after another; errors (timeouts, closed socket) drop the message. */
  private send(socket: Dealer, frames: Frame[]): void {
    this.sending = this.sending.then(
      () => (socket.closed ? undefined : socket.send(frames as Buffer[]).catch(() => undefined)),
      () => undefined,
    );
  }

  private async receive(socket: Dealer, gen: number): Promise<void> {
    try {
      for await (const frames of socket) {
        if (gen !== this.generation) break;
        this.onMessage(socket, gen, frames);
      }
    } catch {
      // The socket was closed under the iterator; a new one (if any) has its own loop.
    }
  }

  private onMessage(socket: Dealer, gen: number, frames: Buffer[]): void {
    this.heardAt = Date.now();
    this.backoff = this.core.opts.reconnectInitialMs;
    const msg = parseWorkerInbound(frames);
    switch (msg.kind) {
      case 'request':
        void this.core.execute(this.service, msg.body).then((body) => {
          if (gen !== this.generation || socket.closed) {
            this.core.counters.orphaned++;
            return;
          }
          this.send(socket, workerReply(msg.client, body));
        });
        return;
      case 'heartbeat':
        return;
      case 'disconnect':
        void this.reconnect('the broker sent DISCONNECT');
        return;
      case 'invalid':
        this.core.counters.invalid++;
        if (!this.warnedInvalid) {
          this.warnedInvalid = true;
          this.core.log(`dropped an invalid message from the broker (${msg.reason}); further ones are only counted`);
        }
    }
  }

  tick(now: number): void {
    if (this.reconnecting || !this.socket) return;
    const o = this.core.opts;
    if (now - this.heardAt > o.heartbeatMs * o.liveness) {
      void this.reconnect(`no message from the broker for ${now - this.heardAt} ms`);
      return;
    }
    this.send(this.socket, workerHeartbeat());
  }

  private async reconnect(reason: string): Promise<void> {
    if (this.reconnecting || this.core.stopper.signal.aborted) return;
    this.reconnecting = true;
    this.core.counters.reconnects++;
    this.socket?.close();
    this.socket = undefined;
    this.generation++;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.core.opts.reconnectMaxMs);
    if (this.service && this.isFirstSlot()) this.core.log(`${reason}; reconnecting in ${wait} ms`);
    await sleep(wait, this.core.stopper.signal);
    this.reconnecting = false;
    if (!this.core.stopper.signal.aborted) this.open();
  }

  /** Only one slot per worker logs reconnects, so a broker restart gives one line, not services × threads. */
  private isFirstSlot(): boolean {
    return this.core.slots[0] === this;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.generation++;
    if (!socket || socket.closed) return;
    // DISCONNECT lets the broker drop this worker at once instead of after the liveness window.
    try {
      await Promise.race([this.sending.then(() => socket.send(workerDisconnect() as Buffer[])), new Promise((r) => setTimeout(r, 100))]);
    } catch {
      // best effort
    }
    socket.close();
  }
}
