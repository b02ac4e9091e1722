/**
 * Process entry of the `cluster.broker` benchmark's peers: each party of a measured path runs in a
 * process of its own, as a deployment has them. `node bench-peer.js <role> [endpoint]`:
 *
 * - `echo`: a raw ZeroMQ ROUTER (the raw pair's server) bound to an ephemeral loopback port.
 * - `broker`: the optkit {@link Broker} bound to an ephemeral loopback port (heartbeats every 1 s).
 * - `mdp-worker <endpoint> [slots]`: an MDP 0.1 worker of service `bench` with `slots` DEALER
 *   connections (default 1), heartbeating every 1 s; a direct payload's body (direct.ts) is fetched
 *   from its client first, as optkit workers do.
 * - `relay`: a ROUTER that forwards client messages to one worker DEALER and back, with no protocol
 *   logic (the cost of the extra hop alone); prints `worker` once its worker has said hello.
 * - `relay-worker <endpoint>`: the relay's worker DEALER.
 *
 * Every server answers a request with the same rule, {@link benchAnswer}: a small body is echoed, a
 * body over 64 KiB is answered with a small acknowledgement payload (the throughput measurement).
 *
 * Control over stdio, one line each way: the process prints `endpoint <address>` once serving (or
 * `ready` for a worker), answers a `cpu` line on stdin with `cpu <µs>` (user + system CPU of the whole
 * process, libzmq's I/O thread included), and exits when stdin closes (the benchmark ended or died).
 */
import * as zmq from 'zeromq';
import { Broker } from '../broker.js';
import { parseWorkerInbound, workerHeartbeat, workerReady, workerReply, type Frame } from '../mdp.js';
import { PayloadFetcher } from '../direct.js';
import { decodeHeader, encodePayload } from '../wire.js';

/** The benchmark's service name. */
const BENCH_SERVICE = 'bench';
/** Bodies above this many bytes are acknowledged instead of echoed. */
const ECHO_LIMIT_BYTES = 64 * 1024;
const ACK = encodePayload({ id: 'ack', header: { ok: true } });

/** What every benchmark server answers to `body`: the body itself when small, else a small ack. */
function benchAnswer(body: Buffer[]): Frame[] {
  let total = 0;
  for (const f of body) total += f.byteLength;
  return total > ECHO_LIMIT_BYTES ? ACK : body;
}

const SOCKET = { linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 } as const;

async function serveEcho(): Promise<string> {
  const router = new zmq.Router(SOCKET);
  await router.bind('tcp://127.0.0.1:*');
  void (async () => {
    for await (const [id, ...body] of router) await router.send([id, ...benchAnswer(body)]);
  })().catch(() => undefined);
  return router.lastEndpoint!;
}

async function serveBroker(): Promise<string> {
  const broker = new Broker({ heartbeatIntervalMs: 1000, heartbeatLiveness: 3 });
  return broker.bind('tcp://127.0.0.1:0');
}

/**
 * MDP gives a worker connection one request at a time, so a worker process holds one connection per
 * pool thread ("slots", as worker.ts does); `slots` connections here.
 */
function serveMdpWorker(endpoint: string, slots: number): void {
  const fetcher = new PayloadFetcher();
  /** The request body, fetched from its client first when it is a direct payload (direct.ts). */
  const bodyOf = async (body: Buffer[]): Promise<Buffer[]> => {
    if (body.length !== 1) return body;
    let fetch;
    try {
      fetch = decodeHeader(body[0]).fetch;
    } catch {
      return body;
    }
    return fetch ? fetcher.fetch(fetch.endpoint, fetch.key, 60_000) : body;
  };
  for (let k = 0; k < slots; k++) {
    const socket = new zmq.Dealer(SOCKET);
    socket.connect(endpoint);
    let chain: Promise<unknown> = socket.send(workerReady(BENCH_SERVICE));
    const send = (frames: Frame[]) => (chain = chain.then(() => socket.send(frames)));
    setInterval(() => void send(workerHeartbeat()), 1000).unref();
    void (async () => {
      for await (const frames of socket) {
        const msg = parseWorkerInbound(frames);
        if (msg.kind === 'request') await send(workerReply(msg.client, benchAnswer(await bodyOf(msg.body))));
      }
    })().catch(() => undefined);
  }
}

async function serveRelay(): Promise<string> {
  const relay = new zmq.Router(SOCKET);
  await relay.bind('tcp://127.0.0.1:*');
  const workerId = Buffer.from('relay-worker');
  void (async () => {
    for await (const [from, ...rest] of relay) {
      if (!from.equals(workerId)) await relay.send([workerId, from, ...rest]);
      else if (rest.length > 1) await relay.send(rest);
      else process.stdout.write('worker\n');
    }
  })().catch(() => undefined);
  return relay.lastEndpoint!;
}

function serveRelayWorker(endpoint: string): void {
  const socket = new zmq.Dealer({ ...SOCKET, routingId: 'relay-worker' });
  socket.connect(endpoint);
  // The relay learns this routing id from the first message.
  void socket.send(['hello']);
  void (async () => {
    for await (const [client, ...body] of socket) await socket.send([client, ...benchAnswer(body)]);
  })().catch(() => undefined);
}

async function main(): Promise<void> {
  const [role, endpoint, slots] = process.argv.slice(2);
  process.stdin.setEncoding('utf8');
  let buffered = '';
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'cpu') {
        const c = process.cpuUsage();
        process.stdout.write(`cpu ${c.user + c.system}\n`);
      }
    }
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  switch (role) {
    case 'echo':
      process.stdout.write(`endpoint ${await serveEcho()}\n`);
      return;
    case 'broker':
      process.stdout.write(`endpoint ${await serveBroker()}\n`);
      return;
    case 'relay':
      process.stdout.write(`endpoint ${await serveRelay()}\n`);
      return;
    case 'mdp-worker':
      serveMdpWorker(endpoint, Math.max(1, Number(slots ?? 1) || 1));
      process.stdout.write('ready\n');
      return;
    case 'relay-worker':
      serveRelayWorker(endpoint);
      process.stdout.write('ready\n');
      return;
    default:
      process.stderr.write(`bench-peer: unknown role ${JSON.stringify(role)}\n`);
      process.exit(2);
  }
}

void main();
