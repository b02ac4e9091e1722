/**
 * Helpers of the multi-process cluster tests: a broker in the test process (so it can be closed and
 * re-bound on the same port to simulate a restart), worker processes spawned from the TypeScript
 * sources (`node --conditions=@optkit/source --import tsx src/worker-main.ts`), clients, and a cleanup
 * list that kills every child and closes every socket even when a test fails.
 */
import { fileURLToPath } from 'node:url';
import { Broker } from '../src/broker.js';
import { ClusterClient } from '../src/client.js';
import { spawnWorkerProcess, stopWorkerProcess, waitFor, type WorkerProcess } from '../src/local.js';
import type { WorkerOptions } from '../src/worker.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/jobs-plugin.ts', import.meta.url));

/** Fast heartbeats so that death and restarts are noticed within a second. */
export const HEARTBEAT = { intervalMs: 200, liveness: 3 };

export class Harness {
  private readonly cleanups: (() => unknown)[] = [];
  readonly workers: WorkerProcess[] = [];
  broker!: Broker;
  endpoint = '';

  /** Starts (or, with `endpoint` set from an earlier start, restarts) the broker. */
  async startBroker(options: { unknownServiceGraceMs?: number } = {}): Promise<Broker> {
    const broker = new Broker({ heartbeatIntervalMs: HEARTBEAT.intervalMs, heartbeatLiveness: HEARTBEAT.liveness, unknownServiceGraceMs: options.unknownServiceGraceMs ?? 5000 });
    this.cleanups.push(() => broker.close());
    this.endpoint = await broker.bind(this.endpoint || 'tcp://127.0.0.1:0');
    this.broker = broker;
    return broker;
  }

  /** Closes the broker, waits `downMs`, and binds a new one on the same endpoint. */
  async restartBroker(downMs = 300): Promise<Broker> {
    await this.broker.close();
    await new Promise((r) => setTimeout(r, downMs));
    return this.startBroker();
  }

  /** Spawns a worker process serving the fixture plugin and waits until it logged that it serves. */
  async spawnWorker(options: Partial<WorkerOptions> = {}): Promise<WorkerProcess> {
    const p = spawnWorkerProcess({ connect: this.endpoint, plugins: [FIXTURE], threads: 1, heartbeat: HEARTBEAT, reconnect: { initialMs: 50, maxMs: 500 }, ...options });
    this.workers.push(p);
    this.cleanups.push(() => stopWorkerProcess(p, 1000));
    await p.ready;
    return p;
  }

  /** Waits until the broker has at least `n` worker connections. */
  async registered(n: number, ms = 20_000): Promise<void> {
    await waitFor(() => this.broker.stats().workers >= n, ms, `${n} worker connections`);
  }

  client(options: { timeoutMs?: number; retries?: number } = {}): ClusterClient {
    const c = new ClusterClient({ connect: this.endpoint, timeoutMs: options.timeoutMs ?? 20_000, retries: options.retries ?? 3 });
    this.cleanups.push(() => c.close());
    return c;
  }

  async cleanup(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep cleaning
      }
    }
    this.workers.length = 0;
    this.endpoint = '';
  }
}

/** Number of services the fixture plugin registers (connections per worker thread). */
export const FIXTURE_SERVICES = 6;
