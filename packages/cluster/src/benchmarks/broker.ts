/**
 * `cluster.broker`: what the Majordomo broker costs on top of raw ZeroMQ, measured in one run, with
 * every party in a process of its own as deployed (tcp loopback between them):
 *
 * - raw:    client (this process, DEALER) ↔ echo server process (ROUTER)
 * - broker: client (this process, DEALER, MDP client frames) ↔ broker process (optkit Broker) ↔
 *           worker process (MDP worker, `workerSlots` DEALER connections, default 2)
 * - in-process broker: client and broker in this process (`Broker.connectLocal`, what
 *           `ClusterClient({broker})` and `optkit cluster local` use: a job driver hosting the broker
 *           its workers connect to) ↔ worker process. The same broker code and MDP worker as the
 *           broker path, without the client ↔ broker hop.
 * - broker with direct payloads: the broker path, with the client holding each 8 MB body and the
 *           worker fetching it from the client (direct.ts); only a small header goes through the
 *           broker (throughput only: small tasks take the plain broker path).
 * - relay:  client ↔ relay process (ROUTER forwarding to one DEALER, no protocol logic, no limit on
 *           tasks in flight) ↔ worker process — the price of the extra hop alone, which any broker
 *           pays (context rows)
 *
 * 1. Latency. A small optkit task (MessagePack header + one 8-element Float64Array, 119 bytes of body)
 *    sent one at a time (1 in flight) and echoed back. Median per-task round trip; the overhead is the
 *    difference of the medians. Target: overhead ≤ 100 µs per task.
 * 2. Throughput. 8 MB Float64Array payloads (10⁶ float64) answered with a small acknowledgement,
 *    `inFlight` tasks pipelined (default 4). GB/s of payload delivered, median batch. Target ≥ 0.7× raw.
 * 3. CPU. User + system CPU time per small task summed over every process of the path (this process
 *    and the peers, libzmq I/O threads included), and the broker process's alone.
 *
 * All paths stay open for the whole run and the measurements interleave in small batches (raw,
 * broker, relay, raw, ...), so a change in the load of this shared machine hits every side alike.
 * The peer processes run `bench-peer` (from sources under tsx, or from dist when built).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as zmq from 'zeromq';
import { throwIfAborted, type BenchContext, type BenchResult, type BenchRow, type BenchmarkEntry } from '@optkit/core';
import { Broker } from '../broker.js';
import { clientRequest, type Frame } from '../mdp.js';
import { PayloadServer, payloadKey } from '../direct.js';
import { encodePayload, peekHeader } from '../wire.js';

export interface BrokerBenchmarkOptions {
  /** Timed sequential round trips per side (default 3000; quick 600). */
  roundTrips?: number;
  /** 8 MB tasks per side for throughput (default 96; quick 48: 8 per batch, twice `inFlight`, so batches measure the pipeline, not its ramp). */
  bigTasks?: number;
  /** Float64 elements in a big payload (default 10⁶ = 8 MB; must exceed 8192 so it is acknowledged, not echoed). */
  bigLength?: number;
  /** Big tasks in flight at once (default 4). */
  inFlight?: number;
  /** Interleaved rounds of (raw, broker, relay) batches (default 12; quick 6). */
  rounds?: number;
  /**
   * MDP connections of the benchmark's worker process (default 2: a worker process holds one per
   * pool thread, and a default worker on this 2-core machine has 2 threads). MDP gives a connection
   * one task at a time, so with one slot the broker could not send the next 8 MB task before the
   * previous reply came back.
   */
  workerSlots?: number;
}

/** A benchmark peer process (bench-peer.ts) with its stdio control channel. */
interface Peer {
  child: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (its remainder), from now on. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  /** CPU µs (user + system, all threads) the process has used so far. */
  cpu(): Promise<number>;
  close(): void;
}

/** The peer entry beside this module and the node arguments to run it (sources under tsx, or dist). */
function peerArgs(): string[] {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./bench-peer.${fromSources ? 'ts' : 'js'}`, import.meta.url));
  return fromSources ? ['--conditions=@optkit/source', '--import', 'tsx', file] : [file];
}

function spawnPeer(role: string, ...args: string[]): Peer {
  const child = spawn(process.execPath, [...peerArgs(), role, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: { prefix: string; resolve: (rest: string) => void }[] = [];
  let stderr = '';
  let failed: Error | null = null;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  child.stdout!.setEncoding('utf8');
  let buffer = '';
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const i = waiting.findIndex((w) => text.startsWith(w.prefix));
      if (i < 0) continue;
      const [w] = waiting.splice(i, 1);
      w.resolve(text.slice(w.prefix.length));
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (failed = new Error(`cluster.broker: peer ${role} exited: ${stderr.trim().slice(-500) || '(no output)'}`)));
  const line = (prefix: string, timeoutMs = 60_000): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (failed) return reject(failed);
      const timer = setTimeout(() => reject(new Error(`cluster.broker: peer ${role} did not print "${prefix}" within ${timeoutMs} ms; stderr: ${stderr.trim().slice(-500)}`)), timeoutMs);
      const entry = {
        prefix,
        resolve: (rest: string) => {
          clearTimeout(timer);
          resolve(rest);
        },
      };
      waiting.push(entry);
      void exited.then(() => {
        clearTimeout(timer);
        reject(failed);
      });
    });
  return {
    child,
    line,
    async cpu() {
      const reply = line('cpu ', 10_000);
      child.stdin!.write('cpu\n');
      return Number((await reply).trim());
    },
    close() {
      child.stdin!.end();
      if (child.exitCode === null && child.signalCode === null) setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
}

interface Pair {
  /** Sends one request and resolves with the reply frames. */
  request(frames: Frame[]): Promise<Buffer[]>;
  /** Sends `count` requests keeping `inFlight` outstanding; resolves when all replies are in. */
  pipeline(make: () => Frame[], count: number, inFlight: number): Promise<void>;
  /** The peer processes of this path (CPU accounting). */
  peers: Peer[];
  close(): void;
}

/** `count` requests made by `make`, sent through `request` with `inFlight` outstanding at a time. */
function pipelineOf(request: (frames: Frame[]) => Promise<Buffer[]>) {
  return async (make: () => Frame[], count: number, inFlight: number): Promise<void> => {
    let sent = 0;
    const lane = async (): Promise<void> => {
      while (sent < count) {
        sent++;
        await request(make());
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  };
}

/**
 * A DEALER client with one reader loop resolving replies in order (ZeroMQ keeps per-peer order). A
 * watchdog fails every outstanding request when no reply has come for `STALL_MS`, so a lost message
 * fails the benchmark instead of hanging it.
 */
const STALL_MS = 30_000;

function dealerClient(endpoint: string, wrap: (body: Frame[]) => Frame[]) {
  const socket = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  socket.connect(endpoint);
  const waiting: { resolve: (frames: Buffer[]) => void; reject: (err: Error) => void }[] = [];
  let lastProgress = Date.now();
  void (async () => {
    try {
      for await (const frames of socket) {
        lastProgress = Date.now();
        waiting.shift()?.resolve(frames);
      }
    } catch {
      // closed
    }
  })();
  const watchdog = setInterval(() => {
    if (waiting.length > 0 && Date.now() - lastProgress > STALL_MS) {
      for (const w of waiting.splice(0)) w.reject(new Error(`cluster.broker: no reply for ${STALL_MS} ms`));
    }
  }, 1000);
  watchdog.unref();
  let chain: Promise<unknown> = Promise.resolve();
  const send = (frames: Frame[]): Promise<Buffer[]> =>
    new Promise<Buffer[]>((resolve, reject) => {
      if (waiting.length === 0) lastProgress = Date.now();
      const entry = { resolve, reject };
      waiting.push(entry);
      chain = chain
        .then(() => socket.send(wrap(frames)))
        .catch((err: Error) => {
          const i = waiting.indexOf(entry);
          if (i >= 0) waiting.splice(i, 1);
          reject(err);
        });
    });
  return {
    close() {
      clearInterval(watchdog);
      socket.close();
    },
    send,
    pipeline: pipelineOf(send),
  };
}

function pairOf(endpoint: string, wrap: (body: Frame[]) => Frame[], peers: Peer[]): Pair {
  const client = dealerClient(endpoint, wrap);
  return {
    request: client.send,
    pipeline: client.pipeline,
    peers,
    close() {
      client.close();
      for (const p of peers) p.close();
    },
  };
}

/** Raw ZeroMQ: this process's DEALER ↔ an echo ROUTER process. */
async function rawPair(): Promise<Pair> {
  const echo = spawnPeer('echo');
  try {
    const endpoint = (await echo.line('endpoint ')).trim();
    return pairOf(endpoint, (f) => f, [echo]);
  } catch (err) {
    echo.close();
    throw err;
  }
}

/** Through the broker: this process's DEALER (MDP client) ↔ broker process ↔ MDP worker process. */
async function brokerPair(slots: number): Promise<Pair> {
  const peers: Peer[] = [spawnPeer('broker')];
  try {
    const endpoint = (await peers[0].line('endpoint ')).trim();
    peers.push(spawnPeer('mdp-worker', endpoint, String(slots)));
    await peers[1].line('ready');
    // MDP client envelope: "", "MDPC01", service, body...; a request sent before the worker's READY
    // arrives waits in the broker's queue, so no further synchronisation is needed.
    return pairOf(endpoint, (body) => clientRequest('bench', body), peers);
  } catch (err) {
    for (const p of peers) p.close();
    throw err;
  }
}

/**
 * Client and broker in this process: requests enter the broker by `connectLocal` (as
 * `ClusterClient({broker})` sends them), the MDP worker is a process of its own on tcp loopback.
 */
async function inProcessBrokerPair(slots: number): Promise<Pair> {
  const broker = new Broker({ heartbeatIntervalMs: 1000, heartbeatLiveness: 3 });
  const peers: Peer[] = [];
  const waiting: { resolve: (frames: Buffer[]) => void; reject: (err: Error) => void }[] = [];
  try {
    const endpoint = await broker.bind('tcp://127.0.0.1:0');
    // Replies resolve in arrival order (the benchmark only counts them), like the DEALER client.
    const handle = broker.connectLocal(
      (body) => waiting.shift()?.resolve(body),
      () => {
        for (const w of waiting.splice(0)) w.reject(new Error('cluster.broker: the in-process broker closed'));
      },
    );
    peers.push(spawnPeer('mdp-worker', endpoint, String(slots)));
    await peers[0].line('ready');
    const request = (frames: Frame[]): Promise<Buffer[]> =>
      new Promise<Buffer[]>((resolve, reject) => {
        waiting.push({ resolve, reject });
        handle.request('bench', frames);
      });
    return {
      request,
      pipeline: pipelineOf(request),
      peers,
      close() {
        handle.close();
        for (const p of peers) p.close();
        void broker.close();
      },
    };
  } catch (err) {
    for (const p of peers) p.close();
    await broker.close();
    throw err;
  }
}

/**
 * The broker path with direct payloads: bodies of 64 KiB or more stay here, held by a payload server,
 * and the broker carries a small request naming them, as `ClusterClient({directPayloads})` sends it.
 */
async function directPayloadPair(slots: number): Promise<Pair> {
  const server = new PayloadServer('tcp://127.0.0.1:0');
  const peers: Peer[] = [spawnPeer('broker')];
  try {
    const fetchAt = await server.start();
    const endpoint = (await peers[0].line('endpoint ')).trim();
    peers.push(spawnPeer('mdp-worker', endpoint, String(slots)));
    await peers[1].line('ready');
    const wrap = (body: Frame[]): Frame[] => {
      let bytes = 0;
      for (const f of body) bytes += typeof f === 'string' ? Buffer.byteLength(f) : f.byteLength;
      if (bytes < 64 * 1024) return clientRequest('bench', body);
      const key = payloadKey();
      server.hold(key, body);
      const peek = peekHeader(body[0] as Uint8Array);
      const id = peek.kind === 'ours' ? peek.id : undefined;
      return clientRequest('bench', encodePayload({ ...(id !== undefined ? { id } : {}), ttl: 60_000, fetch: { endpoint: fetchAt, key, bytes } }));
    };
    const pair = pairOf(endpoint, wrap, peers);
    return {
      ...pair,
      close() {
        pair.close();
        server.close();
      },
    };
  } catch (err) {
    for (const p of peers) p.close();
    server.close();
    throw err;
  }
}

/** Through a raw relay process to a worker process (no protocol logic). */
async function relayPair(): Promise<Pair> {
  const peers: Peer[] = [spawnPeer('relay')];
  try {
    const endpoint = (await peers[0].line('endpoint ')).trim();
    // The relay can forward only once it has learnt the worker's routing id from its hello.
    const learnt = peers[0].line('worker');
    peers.push(spawnPeer('relay-worker', endpoint));
    await learnt;
    return pairOf(endpoint, (f) => f, peers);
  } catch (err) {
    for (const p of peers) p.close();
    throw err;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

interface Side {
  name: string;
  make: () => Promise<Pair>;
  /** Per-task round-trip samples, µs. */
  rtt: number[];
  /** CPU µs per small task, every process of the path (user + system, all threads), per batch. */
  cpu: number[];
  /** CPU µs per small task of the middle process (broker or relay), per batch. */
  middleCpu: number[];
  /** CPU µs per small task of this (the client) process, per batch. */
  clientCpu: number[];
  /** GB/s per throughput batch. */
  gbps: number[];
  /** Measured for throughput only (its small tasks take another side's path). */
  throughputOnly?: boolean;
}

/** CPU µs used so far by this process and by each peer of `pair`. */
async function cpuNow(pair: Pair): Promise<number[]> {
  const own = process.cpuUsage();
  return [own.user + own.system, ...(await Promise.all(pair.peers.map((p) => p.cpu())))];
}

/**
 * Times `n` sequential requests, appending per-task µs to `side.rtt` and CPU µs per task (all
 * processes; the middle one) to `side.cpu` / `side.middleCpu`.
 */
async function latencyBatch(pair: Pair, frames: Frame[], n: number, side: Side): Promise<void> {
  const c0 = await cpuNow(pair);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await pair.request(frames);
    side.rtt.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const c1 = await cpuNow(pair);
  let total = 0;
  for (let i = 0; i < c0.length; i++) total += c1[i] - c0[i];
  side.cpu.push(total / n);
  side.clientCpu.push((c1[0] - c0[0]) / n);
  // The middle process is the first peer of a two-peer path (broker, relay).
  if (pair.peers.length > 1) side.middleCpu.push((c1[1] - c0[1]) / n);
}

/** Payload GB/s of `count` big tasks with `inFlight` outstanding. */
async function throughputBatch(pair: Pair, make: () => Frame[], bytes: number, count: number, inFlight: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await pair.pipeline(make, count, inFlight);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return (bytes * count) / seconds / 1e9;
}

export async function runBrokerBenchmark(ctx: BenchContext, options: BrokerBenchmarkOptions = {}): Promise<BenchResult> {
  const roundTrips = options.roundTrips ?? (ctx.quick ? 600 : 3000);
  const bigTasks = options.bigTasks ?? (ctx.quick ? 48 : 96);
  const bigLength = options.bigLength ?? 1_000_000;
  const inFlight = options.inFlight ?? 4;
  const rounds = options.rounds ?? (ctx.quick ? 6 : 12);
  const slots = options.workerSlots ?? 2;

  // Headers carry a time budget (`ttl`) as ClusterClient's do, so the broker's per-dispatch rewrite of
  // the budget left is in the measured path.
  const small = encodePayload({ id: 'bench', ttl: 60_000, header: { round: 1 } }, [new Float64Array(8).fill(1)]);
  const smallBytes = small.reduce((n, f) => n + f.byteLength, 0);
  const big = new Float64Array(bigLength);
  for (let i = 0; i < bigLength; i++) big[i] = i * 0.5;
  // Task ids must be unique per client: the broker treats a second request with a pending id as a retry.
  let nextId = 0;
  const bigFrames = (): Frame[] => encodePayload({ id: `big${nextId++}`, ttl: 60_000 }, [big]);
  const bigBytes = big.byteLength;

  const sides: Side[] = [
    { name: 'raw', make: rawPair, rtt: [], cpu: [], middleCpu: [], clientCpu: [], gbps: [] },
    { name: 'broker', make: () => brokerPair(slots), rtt: [], cpu: [], middleCpu: [], clientCpu: [], gbps: [] },
    { name: 'relay', make: relayPair, rtt: [], cpu: [], middleCpu: [], clientCpu: [], gbps: [] },
    { name: 'in-process broker', make: () => inProcessBrokerPair(slots), rtt: [], cpu: [], middleCpu: [], clientCpu: [], gbps: [] },
    { name: 'broker, direct payloads', make: () => directPayloadPair(slots), rtt: [], cpu: [], middleCpu: [], clientCpu: [], gbps: [], throughputOnly: true },
  ];
  const [raw, brk, relay, local, direct] = sides;
  // All paths stay open for the whole run and the measurements interleave in small batches, so a
  // change in machine load (this VM is shared) hits every side alike.
  const pairs: Pair[] = [];
  try {
    const made = await Promise.allSettled(sides.map((side) => side.make()));
    for (const m of made) if (m.status === 'fulfilled') pairs.push(m.value);
    for (const m of made) if (m.status === 'rejected') throw m.reason;
    const batch = Math.max(1, Math.ceil(roundTrips / rounds));
    const bigBatch = Math.max(1, Math.ceil(bigTasks / rounds));
    for (let k = 0; k < sides.length; k++) {
      // Warm-up: connections, JIT, buffers.
      if (!sides[k].throughputOnly) for (let i = 0; i < Math.min(200, Math.max(20, batch)); i++) await pairs[k].request(small);
      await pairs[k].pipeline(bigFrames, 2, 1);
    }
    for (let r = 0; r < rounds; r++) {
      throwIfAborted(ctx.signal, 'cluster.broker');
      ctx.progress(r / rounds, `round ${r + 1}/${rounds}`);
      for (let k = 0; k < sides.length; k++) if (!sides[k].throughputOnly) await latencyBatch(pairs[k], small, batch, sides[k]);
      for (let k = 0; k < sides.length; k++) sides[k].gbps.push(await throughputBatch(pairs[k], bigFrames, bigBytes, bigBatch, inFlight));
    }
  } finally {
    for (const p of pairs) p.close();
  }
  ctx.progress(1);

  const rawRtt = median(raw.rtt);
  const brokerRtt = median(brk.rtt);
  const relayRtt = median(relay.rtt);
  const localRtt = median(local.rtt);
  const overhead = brokerRtt - rawRtt;
  const localOverhead = localRtt - rawRtt;
  const localGbps = median(local.gbps);
  const directGbps = median(direct.gbps);
  // Throughput: total bytes over total time would let one slow batch dominate; the median batch is steadier.
  const rawGbps = median(raw.gbps);
  const brokerGbps = median(brk.gbps);
  const relayGbps = median(relay.gbps);
  const mb = (bigBytes / 1e6).toFixed(bigBytes >= 1e6 ? 0 : 3);
  const rows: BenchRow[] = [
    {
      name: 'task round trip through the broker (small task, 1 in flight; client, broker, worker processes)',
      value: brokerRtt,
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER round trip between two processes, same run', value: rawRtt },
      ratio: rawRtt / brokerRtt,
      target: 'broker overhead ≤ 100 µs per task',
      pass: overhead <= 100,
    },
    {
      name: 'broker overhead per task (broker − raw round trip, medians)',
      value: overhead,
      unit: 'µs',
      higherIsBetter: false,
      target: '≤ 100 µs',
      pass: overhead <= 100,
    },
    {
      name: `throughput of ${mb} MB Float64Array payloads through the broker (${inFlight} in flight; client, broker, worker processes; worker with ${slots} MDP connections)`,
      value: brokerGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER between two processes, same run', value: rawGbps },
      ratio: brokerGbps / rawGbps,
      target: '≥ 0.7× raw ZeroMQ',
      pass: brokerGbps / rawGbps >= 0.7,
    },
    {
      name: 'task round trip through an in-process broker (small task, 1 in flight; client and broker in one process, worker process)',
      value: localRtt,
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER round trip between two processes, same run', value: rawRtt },
      ratio: rawRtt / localRtt,
      target: 'broker overhead ≤ 100 µs per task',
      pass: localOverhead <= 100,
    },
    {
      name: 'in-process broker overhead per task (in-process broker − raw round trip, medians)',
      value: localOverhead,
      unit: 'µs',
      higherIsBetter: false,
      target: '≤ 100 µs',
      pass: localOverhead <= 100,
    },
    {
      name: `throughput of ${mb} MB Float64Array payloads through an in-process broker (${inFlight} in flight; client and broker in one process, worker process with ${slots} MDP connections)`,
      value: localGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER between two processes, same run', value: rawGbps },
      ratio: localGbps / rawGbps,
      target: '≥ 0.7× raw ZeroMQ',
      pass: localGbps / rawGbps >= 0.7,
    },
    {
      name: `throughput of ${mb} MB Float64Array payloads through the broker with direct payloads (the worker fetches each body from the client; client, broker, worker processes)`,
      value: directGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER between two processes, same run', value: rawGbps },
      ratio: directGbps / rawGbps,
      target: '≥ 0.7× raw ZeroMQ',
      pass: directGbps / rawGbps >= 0.7,
    },
    {
      name: 'context: round trip through a raw ZeroMQ relay process (DEALER → ROUTER → DEALER, no protocol logic)',
      value: relayRtt,
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER round trip, same run', value: rawRtt },
      ratio: rawRtt / relayRtt,
    },
    {
      name: `context: ${mb} MB payload throughput through the raw relay process`,
      value: relayGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER, same run', value: rawGbps },
      ratio: relayGbps / rawGbps,
    },
    {
      name: 'context: CPU per small task, all processes of the broker path',
      value: median(brk.cpu),
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER, both processes, same run', value: median(raw.cpu) },
      ratio: median(raw.cpu) / median(brk.cpu),
    },
    {
      name: 'context: CPU per small task of the broker process alone',
      value: median(brk.middleCpu),
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw relay process alone, same run', value: median(relay.middleCpu) },
      ratio: median(relay.middleCpu) / median(brk.middleCpu),
    },
  ];
  const fmt = (xs: number[], d: number) => xs.map((x) => x.toFixed(d)).join(', ');
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  return {
    rows,
    notes: [
      `round trip µs, p10/p50/p90 — raw ${fmt([q(raw.rtt, 0.1), rawRtt, q(raw.rtt, 0.9)], 1)}; broker ${fmt([q(brk.rtt, 0.1), brokerRtt, q(brk.rtt, 0.9)], 1)}; in-process broker ${fmt([q(local.rtt, 0.1), localRtt, q(local.rtt, 0.9)], 1)}; relay ${fmt([q(relay.rtt, 0.1), relayRtt, q(relay.rtt, 0.9)], 1)}`,
      `CPU µs per small task, all processes (median of batches) — raw ${median(raw.cpu).toFixed(1)}, broker ${median(brk.cpu).toFixed(1)}, relay ${median(relay.cpu).toFixed(1)}; middle process alone — broker ${median(brk.middleCpu).toFixed(1)}, relay ${median(relay.middleCpu).toFixed(1)}; client process alone — raw ${median(raw.clientCpu).toFixed(1)}, broker ${median(brk.clientCpu).toFixed(1)}, relay ${median(relay.clientCpu).toFixed(1)}`,
      `throughput GB/s per batch — raw: ${fmt(raw.gbps, 2)}; broker: ${fmt(brk.gbps, 2)}; in-process broker: ${fmt(local.gbps, 2)}; broker with direct payloads: ${fmt(direct.gbps, 2)}; relay: ${fmt(relay.gbps, 2)}`,
      `layout: every party in its own process on tcp loopback — raw: client ↔ echo server; broker: client ↔ broker ↔ MDP worker (${slots} connection${slots === 1 ? '' : 's'}, as a worker process with ${slots} pool thread${slots === 1 ? '' : 's'} holds); in-process broker: client and broker in this process (Broker.connectLocal, as ClusterClient({broker}) and optkit cluster local) ↔ the same MDP worker; direct payloads: the broker path, the worker fetching each big body from the client's payload server (as ClusterClient({directPayloads})); relay: client ↔ relay ↔ worker; the client is this process. Small task: ${smallBytes} body bytes (msgpack header + 8 float64), echoed, 1 in flight, ${Math.max(1, Math.ceil(roundTrips / rounds)) * rounds} timed round trips per side. Big task: ${bigBytes} payload bytes, answered with a small ack, ${inFlight} in flight, ${Math.max(1, Math.ceil(bigTasks / rounds)) * rounds} timed per side in batches of ${Math.max(1, Math.ceil(bigTasks / rounds))}. ${rounds} interleaved rounds. The broker and the relay move every byte over loopback twice; the raw pair, the in-process broker and direct payloads once.`,
    ],
  };
}

/** The `cluster.broker` benchmark entry, with size overrides (the tests use tiny ones). */
export function makeBrokerBenchmark(options: BrokerBenchmarkOptions = {}): BenchmarkEntry {
  return {
    id: 'cluster.broker',
    title: 'Majordomo broker vs raw ZeroMQ (separate processes): per-task overhead and 8 MB payload throughput',
    run: (ctx) => runBrokerBenchmark(ctx, options),
  };
}

export const brokerBenchmark: BenchmarkEntry = makeBrokerBenchmark();
