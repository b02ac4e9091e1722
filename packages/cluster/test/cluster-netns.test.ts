/**
 * issue 5's real multi-host test: the cluster across Linux network namespaces that this test makes
 * itself, so broker, workers and client talk over (virtual) Ethernet links with their own addresses
 * and routes, not over loopback:
 *
 *   test process (client, root namespace) 10.211.K.2 ── veth ── 10.211.K.1 broker namespace
 *   broker namespace 10.212.0.1 ── veth ── 10.212.0.2 worker namespace (default route via .1)
 *
 * The broker process binds its veth address 10.211.K.1 (K is a /24 free in the root namespace) and
 * the worker processes reach it through the broker namespace's second link. Everything runs under
 * CURVE with an allow-list. Checked: real jobs (the optim `bcd` and `moe` drivers) give the answer of
 * `localExecutor` bit for bit; keys off the allow-list (a client in the root namespace, a worker in
 * the worker namespace) and plain-text clients are refused and counted; a worker killed with SIGKILL
 * mid-job has its task re-queued and the job completes.
 *
 * Needs Linux, root (CAP_NET_ADMIN) and iproute2's `ip`; without them (e.g. in an unprivileged
 * container) the suite is skipped and its name says why. Names carry this process's pid, so parallel
 * runs cannot clash, and namespaces or links left by an aborted run whose process is gone are removed
 * first. afterAll kills every child and deletes the namespaces and links, even when a test failed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptkitError, localExecutor, toFrame } from '@optkit/core';
import { ClusterClient } from '../src/client.js';
import { spawnWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../src/local.js';
import { generateKeyPair, type KeyPair } from '../src/security.js';
import { plugin as optimJobs } from './fixtures/optim-jobs.js';
import { FIXTURE, FIXTURE_SERVICES, HEARTBEAT } from './harness.js';

const OPTIM_JOBS = fileURLToPath(new URL('./fixtures/optim-jobs.ts', import.meta.url));
const BROKER_MAIN = fileURLToPath(new URL('./fixtures/broker-main.ts', import.meta.url));
/** Services per worker thread: the fixture plugin's and optim-jobs' (`bcd.shard`, `moe.route`). */
const SERVICES = FIXTURE_SERVICES + 2;

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
/** Namespace names start with this; `<prefix><pid>-<role>`. */
const NS_PREFIX = 'optkit-nt-';
const PID = process.pid;
const NS_BROKER = `${NS_PREFIX}${PID}-broker`;
const NS_WORKERS = `${NS_PREFIX}${PID}-workers`;
/** The root namespace's end of the client link (interface names are at most 15 characters). */
const ROOT_LINK = `okr${PID}`;

/** Runs `ip args`; returns stdout, or throws with ip's message. */
function ip(...args: string[]): string {
  const r = spawnSync(IP, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

/** Why this machine cannot run the test (null when it can): probes namespaces and veth pairs in a scratch namespace. */
function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root: ip netns add needs CAP_NET_ADMIN';
  const version = spawnSync(IP, ['-V'], { encoding: 'utf8', timeout: 5000 });
  if (version.error || version.status !== 0) return `the ip command of iproute2 is missing (${version.error?.message ?? `exit ${version.status}`})`;
  const probe = `${NS_PREFIX}${PID}-probe`;
  try {
    ip('netns', 'add', probe);
  } catch (err) {
    return `ip netns add failed (no CAP_NET_ADMIN, e.g. in a container?): ${(err as Error).message}`;
  }
  try {
    ip('-n', probe, 'link', 'add', 'okprobe0', 'type', 'veth', 'peer', 'name', 'okprobe1');
    return null;
  } catch (err) {
    return `veth pairs are unavailable: ${(err as Error).message}`;
  } finally {
    tryIp('netns', 'del', probe);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Deletes namespaces and root links of earlier runs whose process no longer exists. */
function removeStale(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0];
    const m = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name);
    if (m && !alive(Number(m[1]))) tryIp('netns', 'del', name);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const m = /^\d+:\s+(okr(\d+))[@:]/.exec(line);
    if (m && !alive(Number(m[2]))) tryIp('link', 'del', m[1]);
  }
}

/** A 10.211.K.0/24 that no address or route of the root namespace touches. */
function freeSubnet(): number {
  const used = ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show', 'table', 'all');
  for (let j = 0; j < 250; j++) {
    const k = ((PID + j) % 250) + 1;
    if (!used.includes(`10.211.${k}.`)) return k;
  }
  throw new Error('no free 10.211.K.0/24 subnet in the root namespace');
}

/** Makes the two namespaces and links; returns the broker's address. */
function makeNetwork(): string {
  const k = freeSubnet();
  const brokerAddress = `10.211.${k}.1`;
  ip('netns', 'add', NS_BROKER);
  ip('netns', 'add', NS_WORKERS);
  ip('link', 'add', ROOT_LINK, 'type', 'veth', 'peer', 'name', `okb${PID}`, 'netns', NS_BROKER);
  ip('-n', NS_BROKER, 'link', 'add', 'okx0', 'type', 'veth', 'peer', 'name', 'okw0', 'netns', NS_WORKERS);
  ip('addr', 'add', `10.211.${k}.2/24`, 'dev', ROOT_LINK);
  ip('link', 'set', ROOT_LINK, 'up');
  ip('-n', NS_BROKER, 'addr', 'add', `${brokerAddress}/24`, 'dev', `okb${PID}`);
  ip('-n', NS_BROKER, 'addr', 'add', '10.212.0.1/24', 'dev', 'okx0');
  ip('-n', NS_WORKERS, 'addr', 'add', '10.212.0.2/24', 'dev', 'okw0');
  for (const [ns, links] of [
    [NS_BROKER, ['lo', `okb${PID}`, 'okx0']],
    [NS_WORKERS, ['lo', 'okw0']],
  ] as const) {
    for (const link of links) ip('-n', ns, 'link', 'set', link, 'up');
  }
  ip('-n', NS_WORKERS, 'route', 'add', 'default', 'via', '10.212.0.1');
  return brokerAddress;
}

function removeNetwork(): void {
  tryIp('netns', 'del', NS_WORKERS);
  tryIp('netns', 'del', NS_BROKER);
  tryIp('link', 'del', ROOT_LINK); // normally gone with its peer's namespace
}

interface BrokerProcess {
  child: ChildProcess;
  endpoint: string;
  lines: string[];
  exited: Promise<unknown>;
}

/** Starts test/fixtures/broker-main.ts in namespace `ns` and waits for its bound endpoint. */
function spawnBroker(ns: string, options: Record<string, unknown>): Promise<BrokerProcess> {
  const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '--conditions=@optkit/source', '--import', 'tsx', BROKER_MAIN, JSON.stringify(options)], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<BrokerProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start within 30 s: ${lines.join(' | ')}`)), 30_000);
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const m = /^listening on (\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ child, endpoint: m[1], lines, exited });
        }
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`broker exited before listening (${JSON.stringify(how)}): ${lines.join(' | ')}`));
    });
  });
}

/** The network namespace a process is in, as `ip netns identify` names it. */
const namespaceOf = (pid: number): string => ip('netns', 'identify', String(pid)).trim();

const SKIP = netnsUnavailable();
if (SKIP) console.warn(`cluster-netns.test.ts: skipped: ${SKIP}`);

const BCD = {
  problem: { kind: 'least-squares', rows: 300, cols: 96, seed: 3, density: 1 },
  shards: 4,
  blockSize: 6,
  rule: 'gsq',
  update: 'matrix',
  maxIter: 40,
} as const;
const MOE = { steps: 30, tokens: 512, shards: 4, numExperts: 8, topK: 2, dim: 8, seed: 5, skew: { groups: 4, amount: 1.5 }, updateRate: 1e-2 };

describe.skipIf(SKIP !== null)(`cluster across network namespaces (broker, workers and client on separate veth-linked hosts)${SKIP ? ` — skipped: ${SKIP}` : ''}`, () => {
  const serverKey = generateKeyPair();
  const workerKey = generateKeyPair();
  const clientKey = generateKeyPair();
  const strangerKey = generateKeyPair();
  const curveOf = (k: KeyPair) => ({ serverKey: serverKey.publicKey, publicKey: k.publicKey, secretKey: k.secretKey });
  let broker: BrokerProcess | undefined;
  const workers: WorkerProcess[] = [];
  const clients: ClusterClient[] = [];
  let endpoint = '';
  let client: ClusterClient;

  const spawnWorker = (key: KeyPair): WorkerProcess => {
    const p = spawnWorkerProcess(
      { connect: endpoint, plugins: [FIXTURE, OPTIM_JOBS], threads: 1, heartbeat: HEARTBEAT, reconnect: { initialMs: 50, maxMs: 500 }, curve: curveOf(key) },
      { prefix: [IP, 'netns', 'exec', NS_WORKERS] },
    );
    workers.push(p);
    return p;
  };
  const newClient = (options: ConstructorParameters<typeof ClusterClient>[0]): ClusterClient => {
    const c = new ClusterClient(options);
    clients.push(c);
    return c;
  };
  const status = async () => (await client.status({ timeoutMs: 5000 })) as { workers: number; requeued: number; refusedAuth: number; handshakeFailures: number; replies: number };

  beforeAll(async () => {
    removeStale();
    const address = makeNetwork();
    broker = await spawnBroker(NS_BROKER, {
      bind: [`tcp://${address}:0`],
      heartbeatIntervalMs: HEARTBEAT.intervalMs,
      heartbeatLiveness: HEARTBEAT.liveness,
      curve: { ...serverKey, allow: [workerKey.publicKey, clientKey.publicKey] },
    });
    endpoint = broker.endpoint;
    const started = [spawnWorker(workerKey), spawnWorker(workerKey)];
    await Promise.all(started.map((w) => w.ready));
    client = newClient({ connect: endpoint, timeoutMs: 20_000, retries: 3, curve: curveOf(clientKey) });
    const end = Date.now() + 20_000;
    while ((await status()).workers < 2 * SERVICES) {
      if (Date.now() > end) throw new Error('the two workers did not register with the broker within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(workers.map((w) => stopWorkerProcess(w, 1000).catch(() => undefined)));
    if (broker && broker.child.exitCode === null && broker.child.signalCode === null) {
      broker.child.kill('SIGTERM');
      const t = setTimeout(() => broker!.child.kill('SIGKILL'), 1000);
      await broker.exited;
      clearTimeout(t);
    }
    removeNetwork();
    expect(ip('netns', 'list')).not.toContain(`${NS_PREFIX}${PID}-`);
  }, 20_000);

  it('runs in separate namespaces: the broker on its veth address, the workers behind another link', async () => {
    expect(endpoint).toMatch(/^tcp:\/\/10\.211\.\d+\.1:\d+$/);
    expect(namespaceOf(broker!.child.pid!)).toBe(NS_BROKER);
    for (const w of workers) expect(namespaceOf(w.child.pid!)).toBe(NS_WORKERS);
    // Tasks reach both worker processes (their pids: `ip netns exec` execs node in place).
    const replies = await client.map('fx.scale', Array.from({ length: 24 }, (_, i) => ({ header: { factor: 2, tag: i }, frames: [toFrame(Float64Array.from([i]))] })), { concurrency: 8 });
    replies.forEach((r, i) => expect(r.header.tag).toBe(i));
    expect(new Set(replies.map((r) => r.header.pid))).toEqual(new Set(workers.map((w) => w.child.pid)));
  }, 30_000);

  it('bcd and moe jobs across the namespaces give the bit-identical answers of localExecutor', async () => {
    const local = localExecutor([optimJobs]);
    const bcd = optimJobs.drivers.find((d) => d.id === 'bcd')!;
    const moe = optimJobs.drivers.find((d) => d.id === 'moe')!;
    type BcdOut = { x: Float64Array; objective: number[]; blocks: number[] };
    type MoeOut = { biasHistory: Float64Array; maxVio: Float64Array };
    const bcdRef = (await bcd.run(BCD, local, {})) as BcdOut;
    const moeRef = (await moe.run(MOE, local, {})) as MoeOut;
    expect(bcdRef.objective[bcdRef.objective.length - 1]).toBeLessThan(0.5 * bcdRef.objective[0]);

    const before = (await status()).replies;
    const b = (await bcd.run(BCD, client, {})) as BcdOut;
    expect(Array.from(b.x)).toEqual(Array.from(bcdRef.x));
    expect(b.objective).toEqual(bcdRef.objective);
    expect(b.blocks).toEqual(bcdRef.blocks);
    const m = (await moe.run(MOE, client, {})) as MoeOut;
    expect(Array.from(m.biasHistory)).toEqual(Array.from(moeRef.biasHistory));
    // Every shard task went through the broker: bcd 40 rounds × 4 shards, moe 30 steps × 4 shards.
    expect((await status()).replies - before).toBe(40 * 4 + 30 * 4);
  }, 60_000);

  it('CURVE allow-list across namespaces: unknown client and worker keys and plain-text clients are refused and counted', async () => {
    const s0 = await status();
    const stranger = newClient({ connect: endpoint, timeoutMs: 1500, retries: 0, curve: curveOf(strangerKey) });
    await expect(stranger.submit('fx.scale', { header: { factor: 1 }, frames: [toFrame(Float64Array.from([1]))] })).rejects.toThrow(OptkitError);
    const plain = newClient({ connect: endpoint, timeoutMs: 1500, retries: 0 });
    await expect(plain.submit('fx.scale', { header: { factor: 1 }, frames: [toFrame(Float64Array.from([1]))] })).rejects.toThrow(OptkitError);
    // A worker with a key off the allow-list, in the workers' namespace: it starts, but never registers.
    const rogue = spawnWorker(strangerKey);
    await rogue.ready;
    await new Promise((r) => setTimeout(r, 1500));
    const s1 = await status();
    expect(s1.refusedAuth - s0.refusedAuth).toBeGreaterThanOrEqual(2);
    expect(s1.handshakeFailures).toBeGreaterThan(s0.handshakeFailures);
    expect(s1.workers).toBe(2 * SERVICES);
    expect(s1.replies).toBe(s0.replies); // no task reached a worker (status is answered by the broker itself)
    await stopWorkerProcess(rogue, 1000);
    // The allowed client is still served.
    const ok = await client.submit('fx.scale', { header: { factor: 3 }, frames: [toFrame(Float64Array.from([2]))] });
    expect(ok.header.sum).toBe(6);
  }, 30_000);

  it('re-queues the task of a worker killed with SIGKILL mid-job, and the job completes', async () => {
    const s0 = await status();
    const [victim] = workers;
    const mapped = client.map('fx.sleep', Array.from({ length: 10 }, (_, i) => ({ header: { ms: 250, tag: i } })), { concurrency: 4 });
    await new Promise((r) => setTimeout(r, 350));
    victim.child.kill('SIGKILL');
    const replies = await mapped;
    replies.forEach((r, i) => expect(r.header.tag).toBe(i));
    expect((await victim.exited).signal).toBe('SIGKILL');
    const s1 = await status();
    expect(s1.requeued - s0.requeued).toBeGreaterThanOrEqual(1);
    // The survivor finished the job: the last replies came from it.
    expect(replies[replies.length - 1].header.pid).toBe(workers[1].child.pid);
  }, 30_000);
});
