/**
 * `cluster.broker`: what the Majordomo broker costs on top of raw ZeroMQ, measured in one run with the
 * same sockets, transport (tcp loopback) and process for every side:
 *
 * 1. Latency. A small optkit task (MessagePack header + one 8-element Float64Array) sent one at a time:
 *    client DEALER → broker ROUTER → worker DEALER → broker → client, against a raw DEALER → ROUTER
 *    echo of the same frames. Median per-task round trip; the overhead is the difference of the
 *    medians. Target: overhead ≤ 100 µs per task.
 * 2. Throughput. 8 MB Float64Array payloads (10⁶ float64) sent to a worker that answers with a small
 *    header, `inFlight` tasks pipelined, through the broker against a raw DEALER → ROUTER whose peer
 *    answers the same small header. GB/s of payload delivered (median batch). Target ≥ 0.7× raw.
 * 3. Context rows: the same two measurements through a raw relay (a ROUTER that forwards to one DEALER
 *    worker and back with no protocol logic) — the price of the extra hop that any broker pays — and
 *    the process CPU time per small task.
 *
 * All pairs stay open for the whole run and measurements interleave in small batches, so a change in
 * the load of this shared VM hits every side alike. All sockets live in this process: the broker's
 * extra hop shares libzmq's I/O thread, this event loop and this V8 heap (zeromq.js hands received
 * frames over as external buffers, so every 8 MB frame received adds GC pressure here) with the
 * client and worker — less favourable to the broker than separate processes, identical for all sides.
 */
import * as zmq from 'zeromq';
import { throwIfAborted, type BenchContext, type BenchResult, type BenchRow, type BenchmarkEntry } from '@optkit/core';
import { Broker } from '../broker.js';
import { clientRequest, parseWorkerInbound, workerReady, workerReply, type Frame } from '../mdp.js';
import { encodePayload } from '../wire.js';

export interface BrokerBenchmarkOptions {
  /** Timed sequential round trips per side (default 3000; quick 600). */
  roundTrips?: number;
  /** 8 MB tasks per side for throughput (default 48; quick 12). */
  bigTasks?: number;
  /** Float64 elements in a big payload (default 10⁶ = 8 MB). */
  bigLength?: number;
  /** Big tasks in flight at once (default 4). */
  inFlight?: number;
  /** Interleaved rounds of (raw, broker, relay) batches (default 12; quick 6). */
  rounds?: number;
}

interface Pair {
  /** Sends one request and resolves with the reply frames. */
  request(frames: Frame[]): Promise<Buffer[]>;
  /** Sends `count` requests keeping `inFlight` outstanding; resolves when all replies are in. */
  pipeline(make: () => Frame[], count: number, inFlight: number): Promise<void>;
  close(): Promise<void>;
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
    socket: {
      close() {
        clearInterval(watchdog);
        socket.close();
      },
    },
    send,
    async pipeline(make: () => Frame[], count: number, inFlight: number): Promise<void> {
      let sent = 0;
      const lane = async (): Promise<void> => {
        while (sent < count) {
          sent++;
          await send(make());
        }
      };
      await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
    },
  };
}

/** Raw ZeroMQ: DEALER ↔ ROUTER, the ROUTER answers each request with `answer(body)`. */
async function rawPair(answer: (body: Buffer[]) => Frame[]): Promise<Pair> {
  const router = new zmq.Router({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const endpoint = router.lastEndpoint!;
  void (async () => {
    try {
      for await (const [id, ...body] of router) await router.send([id, ...answer(body)]);
    } catch {
      // closed
    }
  })();
  const client = dealerClient(endpoint, (f) => f);
  return {
    request: client.send,
    pipeline: client.pipeline,
    async close() {
      client.socket.close();
      router.close();
    },
  };
}

/**
 * A raw relay for context: client DEALER → ROUTER that forwards to one worker DEALER and back, with
 * no protocol logic — the cost of the extra hop alone, which any broker pays.
 */
async function relayPair(answer: (body: Buffer[]) => Frame[]): Promise<Pair> {
  const relay = new zmq.Router({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await relay.bind('tcp://127.0.0.1:*');
  const endpoint = relay.lastEndpoint!;
  const worker = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0, routingId: 'relay-worker' });
  worker.connect(endpoint);
  const workerId = Buffer.from('relay-worker');
  void (async () => {
    try {
      for await (const [client, ...body] of worker) await worker.send([client, ...answer(body)]);
    } catch {
      // closed
    }
  })();
  void (async () => {
    try {
      for await (const [from, ...rest] of relay) {
        if (from.equals(workerId)) await relay.send(rest);
        else await relay.send([workerId, from, ...rest]);
      }
    } catch {
      // closed
    }
  })();
  await worker.send([Buffer.from('hello'), 'x']).catch(() => undefined);
  const client = dealerClient(endpoint, (f) => f);
  // The relay learns the worker's routing id from its first message; wait for that before timing.
  await new Promise((r) => setTimeout(r, 50));
  return {
    request: client.send,
    pipeline: client.pipeline,
    async close() {
      client.socket.close();
      worker.close();
      relay.close();
    },
  };
}

/** Through the broker: client DEALER → Broker → worker DEALER (MDP), the worker answers with `answer(body)`. */
async function brokerPair(answer: (body: Buffer[]) => Frame[]): Promise<Pair> {
  // The benchmark's worker sends no heartbeats: a long interval keeps it registered for the run.
  const broker = new Broker({ heartbeatIntervalMs: 600_000 });
  const endpoint = await broker.bind('tcp://127.0.0.1:0');
  const worker = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  worker.connect(endpoint);
  await worker.send(workerReady('bench'));
  void (async () => {
    try {
      for await (const frames of worker) {
        const msg = parseWorkerInbound(frames);
        if (msg.kind === 'request') await worker.send(workerReply(msg.client, answer(msg.body)));
      }
    } catch {
      // closed
    }
  })();
  const deadline = Date.now() + 5000;
  while (broker.stats().workers < 1) {
    if (Date.now() > deadline) throw new Error('cluster.broker: the benchmark worker did not register');
    await new Promise((r) => setTimeout(r, 2));
  }
  // MDP client envelope: "", "MDPC01", service, body...; replies come back as "", "MDPC01", service, body...
  const client = dealerClient(endpoint, (body) => clientRequest('bench', body));
  return {
    request: client.send,
    pipeline: client.pipeline,
    async close() {
      client.socket.close();
      worker.close();
      await broker.close();
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

interface Side {
  name: string;
  make: (answer: (body: Buffer[]) => Frame[]) => Promise<Pair>;
  /** Per-task round-trip samples, µs. */
  rtt: number[];
  /** Process CPU µs (user + system, all threads incl. libzmq's I/O thread) per small task. */
  cpu: number[];
  /** GB/s per throughput batch. */
  gbps: number[];
}

/** Times `n` sequential requests, appending per-task µs to `side.rtt` and CPU µs per task to `side.cpu`. */
async function latencyBatch(pair: Pair, frames: Frame[], n: number, side: Side): Promise<void> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await pair.request(frames);
    side.rtt.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const c = process.cpuUsage(c0);
  side.cpu.push((c.user + c.system) / n);
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
  const bigTasks = options.bigTasks ?? (ctx.quick ? 12 : 48);
  const bigLength = options.bigLength ?? 1_000_000;
  const inFlight = options.inFlight ?? 4;
  const rounds = options.rounds ?? (ctx.quick ? 6 : 12);

  const small = encodePayload({ id: 'bench', header: { round: 1 } }, [new Float64Array(8).fill(1)]);
  const big = new Float64Array(bigLength);
  for (let i = 0; i < bigLength; i++) big[i] = i * 0.5;
  // Task ids must be unique per client: the broker treats a second request with a pending id as a retry.
  let nextId = 0;
  const bigFrames = (): Frame[] => encodePayload({ id: `big${nextId++}` }, [big]);
  const bigBytes = big.byteLength;
  const ack = encodePayload({ id: 'ack', header: { ok: true } });
  const echo = (body: Buffer[]): Frame[] => body;
  const acknowledge = (): Frame[] => ack;

  const sides: Side[] = [
    { name: 'raw', make: rawPair, rtt: [], cpu: [], gbps: [] },
    { name: 'broker', make: brokerPair, rtt: [], cpu: [], gbps: [] },
    { name: 'relay', make: relayPair, rtt: [], cpu: [], gbps: [] },
  ];
  const [raw, brk, relay] = sides;
  // All pairs stay open for the whole run and the measurements interleave in small batches, so a
  // change in machine load (this VM is shared) hits every side alike.
  const latencyPairs: Pair[] = [];
  const bigPairs: Pair[] = [];
  try {
    for (const side of sides) {
      latencyPairs.push(await side.make(echo));
      bigPairs.push(await side.make(acknowledge));
    }
    const batch = Math.max(1, Math.ceil(roundTrips / rounds));
    const bigBatch = Math.max(1, Math.ceil(bigTasks / rounds));
    for (let k = 0; k < sides.length; k++) {
      // Warm-up: connections, JIT, buffers.
      for (let i = 0; i < Math.min(200, batch); i++) await latencyPairs[k].request(small);
      await bigPairs[k].pipeline(bigFrames, 2, 1);
    }
    for (let r = 0; r < rounds; r++) {
      throwIfAborted(ctx.signal, 'cluster.broker');
      ctx.progress(r / rounds, `round ${r + 1}/${rounds}`);
      for (let k = 0; k < sides.length; k++) await latencyBatch(latencyPairs[k], small, batch, sides[k]);
      for (let k = 0; k < sides.length; k++) sides[k].gbps.push(await throughputBatch(bigPairs[k], bigFrames, bigBytes, bigBatch, inFlight));
    }
  } finally {
    for (const p of [...latencyPairs, ...bigPairs]) await p.close();
  }
  ctx.progress(1);

  const rawRtt = median(raw.rtt);
  const brokerRtt = median(brk.rtt);
  const relayRtt = median(relay.rtt);
  const overhead = brokerRtt - rawRtt;
  // Throughput: total bytes over total time would let one slow batch dominate; the median batch is steadier.
  const rawGbps = median(raw.gbps);
  const brokerGbps = median(brk.gbps);
  const relayGbps = median(relay.gbps);
  const rows: BenchRow[] = [
    {
      name: 'task round trip through the broker (small task, sequential)',
      value: brokerRtt,
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER round trip, same run', value: rawRtt },
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
      name: `throughput of ${(bigBytes / 1e6).toFixed(0)} MB Float64Array payloads through the broker (${inFlight} in flight)`,
      value: brokerGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER, same run', value: rawGbps },
      ratio: brokerGbps / rawGbps,
      target: '≥ 0.7× raw ZeroMQ',
      pass: brokerGbps / rawGbps >= 0.7,
    },
    {
      name: 'context: round trip through a raw ZeroMQ relay (DEALER → ROUTER → DEALER, no protocol logic)',
      value: relayRtt,
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER round trip, same run', value: rawRtt },
      ratio: rawRtt / relayRtt,
    },
    {
      name: 'context: 8 MB payload throughput through the raw relay',
      value: relayGbps,
      unit: 'GB/s',
      higherIsBetter: true,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER, same run', value: rawGbps },
      ratio: relayGbps / rawGbps,
    },
    {
      name: 'context: process CPU per small task through the broker',
      value: median(brk.cpu),
      unit: 'µs',
      higherIsBetter: false,
      reference: { name: 'raw ZeroMQ DEALER-ROUTER, same run', value: median(raw.cpu) },
      ratio: median(raw.cpu) / median(brk.cpu),
    },
  ];
  const fmt = (xs: number[], d: number) => xs.map((x) => x.toFixed(d)).join(', ');
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  return {
    rows,
    notes: [
      `round trip µs, p10/p50/p90 — raw ${fmt([q(raw.rtt, 0.1), rawRtt, q(raw.rtt, 0.9)], 1)}; broker ${fmt([q(brk.rtt, 0.1), brokerRtt, q(brk.rtt, 0.9)], 1)}; relay ${fmt([q(relay.rtt, 0.1), relayRtt, q(relay.rtt, 0.9)], 1)}`,
      `CPU µs per small task (median of batches) — raw ${median(raw.cpu).toFixed(1)}, broker ${median(brk.cpu).toFixed(1)}, relay ${median(relay.cpu).toFixed(1)}`,
      `throughput GB/s per batch — raw: ${fmt(raw.gbps, 2)}; broker: ${fmt(brk.gbps, 2)}; relay: ${fmt(relay.gbps, 2)}`,
      'client, broker and worker share one process, one event loop and one libzmq I/O thread (tcp loopback); the broker and the relay move every byte over loopback twice, the raw pair once',
    ],
  };
}

/** The `cluster.broker` benchmark entry, with size overrides (the tests use tiny ones). */
export function makeBrokerBenchmark(options: BrokerBenchmarkOptions = {}): BenchmarkEntry {
  return {
    id: 'cluster.broker',
    title: 'Majordomo broker vs raw ZeroMQ: per-task overhead and 8 MB payload throughput',
    run: (ctx) => runBrokerBenchmark(ctx, options),
  };
}

export const brokerBenchmark: BenchmarkEntry = makeBrokerBenchmark();
