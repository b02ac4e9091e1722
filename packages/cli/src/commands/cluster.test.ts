import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Broker, PayloadServer, startWorker, type BrokerStats, type ClusterWorker } from '@optkit/cluster';
import { OptkitError, Registry, localExecutor } from '@optkit/core';
import { main } from '../program.js';
import type { LoadedPlugins } from '../plugins.js';
import { progressLine, runClusterDriver } from './cluster-run.js';
import { brokerKeyPair, clientCurveKeys, startBrokerFromOptions } from './cluster-serve.js';
import { formatStatus, keygenCommand } from './cluster-status.js';

const FIXTURE = fileURLToPath(new URL('../../../cluster/test/fixtures/jobs-plugin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optkit-cluster-cli-'));
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fixturePlugins(): Promise<LoadedPlugins> {
  const mod = (await import(FIXTURE)) as { plugin: LoadedPlugins['loaded'][number]['plugin'] };
  const registry = new Registry();
  registry.register(mod.plugin);
  return { registry, loaded: [{ specifier: FIXTURE, plugin: mod.plugin, firstParty: false }], missing: [], specifierOf: new Map([[mod.plugin.name, FIXTURE]]) };
}

async function cluster(): Promise<{ endpoint: string; worker: ClusterWorker; broker: Broker }> {
  const broker = new Broker({ heartbeatIntervalMs: 200, heartbeatLiveness: 3 });
  cleanups.push(() => broker.close());
  const endpoint = await broker.bind('tcp://127.0.0.1:0');
  const worker = await startWorker({ connect: endpoint, plugins: [FIXTURE], threads: 1, heartbeat: { intervalMs: 200, liveness: 3 }, log: () => {} });
  cleanups.push(() => worker.close());
  const end = Date.now() + 10_000;
  while (broker.stats().workers < worker.services.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return { endpoint, worker, broker };
}

function capture(): { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (stdout.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (stderr.push(String(s)), true));
  return { stdout, stderr };
}

describe('optkit cluster run', () => {
  it('runs a driver from the loaded plugins over the cluster and reports progress with workers alive', async () => {
    const plugins = await fixturePlugins();
    const { endpoint } = await cluster();
    const config = { job: { dim: 12, blocks: 3, rounds: 4, step: 0.5 } };
    const lines: string[] = [];
    const result = (await runClusterDriver({ plugins, driver: 'fx.descent', config, connect: endpoint, statusEveryMs: 50, onProgress: (p, w) => lines.push(progressLine(p, w)) })) as { x: number[]; history: number[] };
    const reference = (await plugins.registry.get('drivers', 'fx.descent').entry.run(config.job, localExecutor(plugins.loaded.map((l) => l.plugin)), {})) as { x: number[] };
    expect(result.x).toEqual(reference.x);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^iteration 4\/4 {2}objective [0-9.e-]+/);
    // The broker reports worker processes (one here, holding 6 connections), so the line counts those.
    expect(lines.some((l) => / workers 1$/.test(l))).toBe(true);
    expect(lines.some((l) => /worker connections/.test(l))).toBe(false);
  }, 30_000);

  it('runs a driver through a broker in this process (the client reaches it without a socket), progress polling included', async () => {
    const plugins = await fixturePlugins();
    const { broker } = await cluster();
    const config = { job: { dim: 12, blocks: 3, rounds: 4, step: 0.5 } };
    const lines: string[] = [];
    const result = (await runClusterDriver({ plugins, driver: 'fx.descent', config, broker, statusEveryMs: 50, onProgress: (p, w) => lines.push(progressLine(p, w)) })) as { x: number[] };
    const reference = (await plugins.registry.get('drivers', 'fx.descent').entry.run(config.job, localExecutor(plugins.loaded.map((l) => l.plugin)), {})) as { x: number[] };
    expect(result.x).toEqual(reference.x);
    expect(lines).toHaveLength(4);
    expect(lines.some((l) => / workers 1$/.test(l))).toBe(true);
    // Every task (and status poll) came from an in-process client, which is gone again afterwards.
    const stats = broker.stats();
    expect(stats.replies).toBeGreaterThanOrEqual(4);
    expect(stats.localClients).toBe(0);
  }, 30_000);

  it('sends request bodies around the broker when the config asks for direct payloads', async () => {
    const plugins = await fixturePlugins();
    const { endpoint } = await cluster();
    const hold = vi.spyOn(PayloadServer.prototype, 'hold');
    const config = { directPayloads: { bind: 'tcp://127.0.0.1:0', minBytes: 0 }, job: { dim: 12, blocks: 3, rounds: 3, step: 0.5 } };
    const result = (await runClusterDriver({ plugins, driver: 'fx.descent', config, connect: endpoint })) as { x: number[] };
    const reference = (await plugins.registry.get('drivers', 'fx.descent').entry.run(config.job, localExecutor(plugins.loaded.map((l) => l.plugin)), {})) as { x: number[] };
    expect(result.x).toEqual(reference.x);
    expect(hold).toHaveBeenCalled();
    await expect(runClusterDriver({ plugins, driver: 'fx.descent', config: { directPayloads: { bind: 'nope' }, job: {} }, connect: endpoint })).rejects.toMatchObject({
      message: expect.stringContaining('directPayloads.bind'),
    });
  }, 30_000);

  it('loads the plugins a config file names (relative to the file) before looking the driver up', async () => {
    const { endpoint } = await cluster();
    const file = join(dir, 'with-plugins.json');
    writeFileSync(file, JSON.stringify({ connect: endpoint, plugins: [FIXTURE], job: { dim: 4, blocks: 2, rounds: 1 } }));
    const empty: LoadedPlugins = { registry: new Registry(), loaded: [], missing: [], specifierOf: new Map() };
    const result = (await runClusterDriver({ plugins: empty, driver: 'fx.descent', config: file })) as { rounds: number };
    expect(result.rounds).toBe(1);
    expect(empty.loaded.map((l) => l.specifier)).toEqual([FIXTURE]);
  }, 30_000);

  it('refuses an unknown driver, a missing endpoint and an invalid config with clear errors', async () => {
    const plugins = await fixturePlugins();
    await expect(runClusterDriver({ plugins, driver: 'nope', config: { job: {} }, connect: 'tcp://127.0.0.1:1' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('fx.descent') });
    await expect(runClusterDriver({ plugins, driver: 'fx.descent', config: { job: {} } })).rejects.toMatchObject({ code: 'INVALID_OPTION', argument: 'connect' });
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ connect: 'localhost', retries: -1 }));
    const e = await runClusterDriver({ plugins, driver: 'fx.descent', config: file }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OptkitError);
    expect((e as OptkitError).code).toBe('INVALID_OPTION');
    expect((e as OptkitError).message).toMatch(/connect is "localhost"; expected a ZeroMQ endpoint/);
    expect((e as OptkitError).message).toMatch(/retries is -1; expected an integer >= 0/);
  });

  it('optkit cluster run prints the result JSON (exit 0) and a bad endpoint is a usage error (exit 2)', async () => {
    const { endpoint } = await cluster();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ connect: endpoint, job: { dim: 6, blocks: 2, rounds: 2 } }));
    const io = capture();
    const code = await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'run', 'fx.descent', '--config', file]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const printed = JSON.parse(io.stdout.join('')) as { rounds: number };
    expect(printed.rounds).toBe(2);
    expect(io.stderr.join('')).toContain('iteration 2/2');
    capture();
    expect(await main(['node', 'optkit', 'cluster', 'worker', '--connect', 'localhost:5555'])).toBe(2);
    expect(await main(['node', 'optkit', 'cluster', 'worker', '--connect', 'tcp://127.0.0.1:5555', '--threads', '-2'])).toBe(2);
    expect(await main(['node', 'optkit', 'cluster', 'worker', '--connect', 'tcp://127.0.0.1:5555', '--prefetch', '0'])).toBe(2);
    expect(await main(['node', 'optkit', 'cluster', 'local', '--workers', '1', '--prefetch', 'x'])).toBe(2);
  }, 30_000);
});

describe('optkit cluster status and keygen', () => {
  it('status shows workers, services, queue depth and re-queued tasks', async () => {
    const { endpoint } = await cluster();
    const io = capture();
    expect(await main(['node', 'optkit', 'cluster', 'status', '--connect', endpoint, '--json'])).toBe(0);
    vi.restoreAllMocks();
    const stats = JSON.parse(io.stdout.join('')) as BrokerStats;
    expect(stats.workers).toBe(6);
    expect(stats.services.map((s) => s.name)).toContain('fx.grad');
    const text = formatStatus(stats);
    expect(text).toMatch(/workers {4}6 connections/);
    expect(text).toMatch(/0 re-queued/);
    expect(text).toMatch(/fx\.grad +1 +1 +0 +0/);
    // One worker process with 6 services × 1 thread: 6 connections, 1 process, overall and per service.
    expect(stats.processes).toBe(1);
    expect(text).toMatch(/workers {4}6 connections \(\d+ idle\) from 1 process$/m);
    expect(text).toMatch(/fx\.grad +1 +1 +0 +0 +1$/m);
    expect(text).toMatch(/service +connections +idle +queued +in flight +processes/);
    // A broker that predates the process count: connections only, no made-up process figure.
    const { processes: _omitted, ...old } = stats;
    expect(formatStatus({ ...old, services: old.services.map(({ processes: _p, ...x }) => x) } as unknown as BrokerStats)).toMatch(/workers {4}6 connections \(\d+ idle\)$/m);
  }, 30_000);

  it('status of a broker that is not there fails with TIMEOUT instead of hanging', async () => {
    capture();
    const t0 = Date.now();
    expect(await main(['node', 'optkit', 'cluster', 'status', '--connect', 'tcp://127.0.0.1:9', '--timeout-ms', '300'])).toBe(2);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keygen writes a CZMQ certificate pair usable as broker keys and client keys; refuses to overwrite', () => {
    const io = capture();
    expect(keygenCommand({ out: join(dir, 'keys'), name: 'broker' })).toBe(0);
    expect(keygenCommand({ out: join(dir, 'keys'), name: 'w1' })).toBe(0);
    vi.restoreAllMocks();
    expect(io.stdout.join('')).toMatch(/public key {3}\S{40}/);
    expect(statSync(join(dir, 'keys', 'broker.key_secret')).mode & 0o777).toBe(0o600);
    const pair = brokerKeyPair(join(dir, 'keys'));
    expect(readFileSync(join(dir, 'keys', 'broker.key'), 'utf8')).toContain(pair.publicKey);
    const client = clientCurveKeys(join(dir, 'keys', 'broker.key'), join(dir, 'keys', 'w1.key_secret'))!;
    expect(client.serverKey).toBe(pair.publicKey);
    expect(client.secretKey).toHaveLength(40);
    expect(() => keygenCommand({ out: join(dir, 'keys'), name: 'broker' })).toThrow(expect.objectContaining({ code: 'DUPLICATE' }));
    expect(() => clientCurveKeys(join(dir, 'keys', 'broker.key'))).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => brokerKeyPair(join(dir, 'nokeys'))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a CURVE broker needs both --curve-keys and --allow', async () => {
    await expect(startBrokerFromOptions({ bind: ['tcp://127.0.0.1:0'], curveKeys: dir })).rejects.toMatchObject({ code: 'INVALID_OPTION', argument: 'allow' });
    await expect(startBrokerFromOptions({ bind: ['tcp://127.0.0.1:0'], allow: dir })).rejects.toMatchObject({ code: 'INVALID_OPTION', argument: 'curveKeys' });
  });
});

describe('optkit cluster run --bind (the broker in the driver process)', () => {
  it('hosts the broker, waits for the worker to connect, runs the driver through it and closes it', async () => {
    const port = await new Promise<number>((resolvePort) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolvePort(p));
      });
    });
    // The worker starts first and keeps trying to connect, as a remote one would.
    const worker = await startWorker({ connect: `tcp://127.0.0.1:${port}`, plugins: [FIXTURE], threads: 1, heartbeat: { intervalMs: 200, liveness: 3 }, reconnect: { initialMs: 50, maxMs: 200 }, log: () => {} });
    cleanups.push(() => worker.close());
    const file = join(dir, 'bind.json');
    const config = { job: { dim: 8, blocks: 2, rounds: 3, step: 0.5 } };
    writeFileSync(file, JSON.stringify(config));
    const io = capture();
    const code = await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'run', 'fx.descent', '--config', file, '--bind', `tcp://127.0.0.1:${port}`, '--workers', '1', '--wait-ms', '20000', '--heartbeat-ms', '200']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const plugins = await fixturePlugins();
    const reference = (await plugins.registry.get('drivers', 'fx.descent').entry.run(config.job, localExecutor(plugins.loaded.map((l) => l.plugin)), {})) as { x: number[] };
    expect((JSON.parse(io.stdout.join('')) as { x: number[] }).x).toEqual(reference.x);
    expect(io.stderr.join('')).toMatch(/waiting for 1 worker process/);
    expect(worker.stats().completed).toBeGreaterThan(0);
    // Bad combinations fail before binding anything.
    capture();
    expect(await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'run', 'fx.descent', '--config', file, '--bind', `tcp://127.0.0.1:${port}`, '--connect', 'tcp://127.0.0.1:5555'])).toBe(2);
    expect(await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'run', 'fx.none', '--config', file, '--bind', `tcp://127.0.0.1:${port}`])).not.toBe(0);
    // With no worker left, waiting for one times out instead of hanging.
    await worker.close();
    const stderr = capture().stderr;
    expect(await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'run', 'fx.descent', '--config', file, '--bind', `tcp://127.0.0.1:${port}`, '--wait-ms', '300'])).not.toBe(0);
    expect(stderr.join('')).toMatch(/1 worker process connecting did not happen within 300 ms/);
  }, 60_000);
});

describe('optkit cluster local', () => {
  it('refuses a driver without --config before starting any process', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'optkit', '--no-default-plugins', '--plugin', FIXTURE, 'cluster', 'local', '--workers', '1', 'fx.descent'])).toBe(2);
      const written = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(written).toMatch(/--config <file> is required/);
      expect(written).not.toMatch(/starting a broker/);
    } finally {
      stderr.mockRestore();
    }
  });
});
