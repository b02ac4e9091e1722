/**
 * Test peers for the broker tests: a worker and a client that speak raw MDP 0.1 frames on plain
 * zeromq sockets, written from RFC 7 directly (literal "MDPW01"/"MDPC01" strings and command bytes,
 * not the builders of src/mdp.ts), as a foreign zguide peer in another language would.
 */
import * as zmq from 'zeromq';

/** The error `f` throws (the test fails when it throws nothing). */
export function thrown<E = Error>(f: () => unknown): E {
  try {
    f();
  } catch (e) {
    return e as E;
  }
  throw new Error('expected a throw, got none');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, polling; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Every socket a test opened, closed by {@link closeAll} in afterEach. */
const open = new Set<zmq.Socket>();

export function track<T extends zmq.Socket>(s: T): T {
  open.add(s);
  return s;
}

export function closeAll(): void {
  for (const s of open) if (!s.closed) s.close();
  open.clear();
}

export type Handler = (body: Buffer[]) => Promise<(Buffer | string | Uint8Array)[] | null> | (Buffer | string | Uint8Array)[] | null;

/**
 * An MDP worker on a DEALER: sends READY, answers REQUESTs with `handler` (null = never answer),
 * sends HEARTBEAT every `heartbeatMs` while `alive` (set `alive = false` to fake a hung worker).
 */
export class RawWorker {
  readonly socket: zmq.Dealer;
  readonly received: Buffer[][] = [];
  readonly commands: number[] = [];
  alive = true;
  served = 0;
  private timer: NodeJS.Timeout | null = null;
  private sendChain: Promise<unknown> = Promise.resolve();

  constructor(
    endpoint: string,
    readonly service: string,
    private handler: Handler,
    heartbeatMs = 50,
    socketOptions: Record<string, unknown> = {},
    /** The optkit process id sent with READY (connections naming the same one are one process to the broker). */
    processId?: string,
  ) {
    this.socket = track(new zmq.Dealer({ linger: 0, receiveTimeout: -1, ...socketOptions }));
    this.socket.connect(endpoint);
    this.send(['', 'MDPW01', Buffer.of(0x01), service, ...(processId !== undefined ? [processId] : [])]);
    this.timer = setInterval(() => {
      if (this.alive && !this.socket.closed) this.send(['', 'MDPW01', Buffer.of(0x04)]);
    }, heartbeatMs);
    void this.loop();
  }

  /** Serialized send (zeromq.js allows one send in flight per socket). */
  send(frames: (Buffer | string | Uint8Array)[]): Promise<unknown> {
    this.sendChain = this.sendChain.then(() => (this.socket.closed ? undefined : this.socket.send(frames).catch(() => undefined)));
    return this.sendChain;
  }

  private async loop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        // frames: "", "MDPW01", command, [client, "", body...]
        const cmd = frames[2]?.[0] ?? -1;
        this.commands.push(cmd);
        if (cmd !== 0x02 || !this.alive) continue;
        const client = frames[3];
        const body = frames.slice(5);
        this.received.push(body);
        const reply = await this.handler(body);
        if (reply && this.alive) {
          this.served++;
          await this.send(['', 'MDPW01', Buffer.of(0x03), client, '', ...reply]);
        }
      }
    } catch {
      // closed
    }
  }

  /** Sends a REPLY for `client` with `body` (to fake duplicates). */
  reply(client: Buffer, body: (Buffer | string | Uint8Array)[]): Promise<unknown> {
    return this.send(['', 'MDPW01', Buffer.of(0x03), client, '', ...body]);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.socket.close();
  }
}

/** An MDP client on a DEALER: `request(service, body)` resolves with the reply body frames. */
export class RawClient {
  readonly socket: zmq.Dealer;

  constructor(endpoint: string, socketOptions: Record<string, unknown> = {}, receiveTimeoutMs = 3000) {
    this.socket = track(new zmq.Dealer({ linger: 0, receiveTimeout: receiveTimeoutMs, ...socketOptions }));
    this.socket.connect(endpoint);
  }

  async send(service: string, body: (Buffer | string | Uint8Array)[]): Promise<void> {
    await this.socket.send(['', 'MDPC01', service, ...body]);
  }

  /** Next reply: checks the envelope and returns [service, body]. */
  async receive(): Promise<{ service: string; body: Buffer[] }> {
    const frames = await this.socket.receive();
    if (frames[0].byteLength !== 0 || frames[1].toString() !== 'MDPC01') throw new Error(`bad reply envelope ${frames.map(String).join('|')}`);
    return { service: frames[2].toString(), body: frames.slice(3) };
  }

  async request(service: string, body: (Buffer | string | Uint8Array)[]): Promise<Buffer[]> {
    await this.send(service, body);
    return (await this.receive()).body;
  }
}
