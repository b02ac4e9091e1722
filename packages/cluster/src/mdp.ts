/**
 * Majordomo Protocol 0.1 (ZeroMQ RFC 7/MDP, https://rfc.zeromq.org/spec/7/): constants, frame
 * builders and validating parsers, byte-for-byte as the spec lays them out, so the zguide clients,
 * workers and brokers in other languages interoperate with ours.
 *
 * Frames as seen on the wire by a DEALER (client or worker) — a REQ client gets the leading empty
 * delimiter added and removed by its socket; a ROUTER (the broker) sees the peer's routing id first:
 *
 * ```
 * client REQUEST   ""  "MDPC01"  service  body...
 * broker REPLY     ""  "MDPC01"  service  body...
 * worker READY     ""  "MDPW01"  0x01  service  [process]     (optkit: optional process id, below)
 * broker REQUEST   ""  "MDPW01"  0x02  client-address  ""  body...
 * worker REPLY     ""  "MDPW01"  0x03  client-address  ""  body...
 * HEARTBEAT        ""  "MDPW01"  0x04                      (both directions)
 * DISCONNECT       ""  "MDPW01"  0x05                      (both directions)
 * ```
 *
 * The MMI extension (RFC 8/MMI): services whose names start with `mmi.` are answered by the broker;
 * `mmi.service` with a service name as body answers `"200"` when it has workers, `"404"` otherwise,
 * any other `mmi.*` answers `"501"`.
 *
 * optkit extension: a worker may append one frame to READY naming its process (UTF-8, at most
 * {@link MAX_SERVICE_BYTES} bytes, e.g. `host:pid:nonce`), so the broker can tell worker processes from
 * worker connections (one optkit worker process holds `services × threads` connections). RFC 7 READY
 * has no such frame: the zguide brokers pop the service frame and ignore the rest, and a plain READY
 * (every MDP 0.1 worker) still registers and counts as a process of its own. Optkit brokers before
 * this extension refuse a READY with the extra frame, so upgrade brokers before workers.
 */

/** Client sub-protocol header frame. */
export const MDPC01 = Buffer.from('MDPC01');
/** Worker sub-protocol header frame. */
export const MDPW01 = Buffer.from('MDPW01');

export const READY = 0x01;
export const REQUEST = 0x02;
export const REPLY = 0x03;
export const HEARTBEAT = 0x04;
export const DISCONNECT = 0x05;

export type WorkerCommand = typeof READY | typeof REQUEST | typeof REPLY | typeof HEARTBEAT | typeof DISCONNECT;

/** Prefix of the broker-internal services of RFC 8/MMI. */
export const MMI_PREFIX = 'mmi.';
/** RFC 8/MMI service lookup. */
export const MMI_SERVICE = 'mmi.service';
/** optkit's status service: broker statistics as an optkit payload (see broker.ts). */
export const OPTKIT_STATUS = 'optkit.status';

const EMPTY = Buffer.alloc(0);
const CMD = [EMPTY, Buffer.of(READY), Buffer.of(REQUEST), Buffer.of(REPLY), Buffer.of(HEARTBEAT), Buffer.of(DISCONNECT)];

/** A frame to send: zeromq.js accepts any of these. */
export type Frame = Buffer | Uint8Array | string;

/** Largest service name accepted (bytes); MDP puts no bound, this keeps the broker's maps sane. */
export const MAX_SERVICE_BYTES = 255;

// ---------------------------------------------------------------------------------------------
// Builders. Messages for DEALER sockets start with the empty delimiter frame; messages the broker
// sends on its ROUTER start with the peer's routing id.

/** Client → broker REQUEST as sent on a DEALER (pass `{req: true}` for a REQ socket, which adds the delimiter itself). */
export function clientRequest(service: string, body: readonly Frame[], options: { req?: boolean } = {}): Frame[] {
  return options.req ? [MDPC01, service, ...body] : [EMPTY, MDPC01, service, ...body];
}

/** Broker → client REPLY on the ROUTER. */
export function brokerReply(client: Uint8Array, service: string | Uint8Array, body: readonly Frame[]): Frame[] {
  return [client, EMPTY, MDPC01, service, ...body];
}

/** Worker → broker READY (on the worker's DEALER), with the optkit process-id frame when `process` is given. */
export function workerReady(service: string, process?: string): Frame[] {
  return process === undefined ? [EMPTY, MDPW01, CMD[READY], service] : [EMPTY, MDPW01, CMD[READY], service, process];
}

/** Worker → broker REPLY, echoing the client address of the request. */
export function workerReply(client: Uint8Array, body: readonly Frame[]): Frame[] {
  return [EMPTY, MDPW01, CMD[REPLY], client, EMPTY, ...body];
}

/** Worker → broker HEARTBEAT. */
export function workerHeartbeat(): Frame[] {
  return [EMPTY, MDPW01, CMD[HEARTBEAT]];
}

/** Worker → broker DISCONNECT. */
export function workerDisconnect(): Frame[] {
  return [EMPTY, MDPW01, CMD[DISCONNECT]];
}

/** Broker → worker REQUEST on the ROUTER. */
export function brokerRequest(worker: Uint8Array, client: Uint8Array, body: readonly Frame[]): Frame[] {
  return [worker, EMPTY, MDPW01, CMD[REQUEST], client, EMPTY, ...body];
}

/** Broker → worker HEARTBEAT on the ROUTER. */
export function brokerHeartbeat(worker: Uint8Array): Frame[] {
  return [worker, EMPTY, MDPW01, CMD[HEARTBEAT]];
}

/** Broker → worker DISCONNECT on the ROUTER. */
export function brokerDisconnect(worker: Uint8Array): Frame[] {
  return [worker, EMPTY, MDPW01, CMD[DISCONNECT]];
}

// ---------------------------------------------------------------------------------------------
// Parsers. They never throw: a message that breaks the spec comes back as {kind: 'invalid', reason}.

export interface Invalid {
  kind: 'invalid';
  reason: string;
}

/** What the broker's ROUTER received, classified. `sender` is the peer's routing id. */
export type BrokerInbound =
  | { kind: 'client'; sender: Buffer; service: string; body: Buffer[] }
  | { kind: 'ready'; sender: Buffer; service: string; process?: string }
  | { kind: 'reply'; sender: Buffer; client: Buffer; body: Buffer[] }
  | { kind: 'heartbeat'; sender: Buffer }
  | { kind: 'disconnect'; sender: Buffer }
  | (Invalid & { sender?: Buffer });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The name in a service (or process-id) frame, or why it is not a valid one. */
export function serviceName(frame: Buffer | undefined, what = 'service name'): string | Invalid {
  if (!frame || frame.byteLength === 0) return { kind: 'invalid', reason: `empty ${what}` };
  if (frame.byteLength > MAX_SERVICE_BYTES) return { kind: 'invalid', reason: `${what} over ${MAX_SERVICE_BYTES} bytes` };
  const name = frame.toString('utf8');
  // Reject control characters and invalid UTF-8 (decoded as U+FFFD): names appear in logs and status.
  if (/[\u0000-\u001f\u007f\ufffd]/.test(name)) return { kind: 'invalid', reason: `${what} has control characters or invalid UTF-8` };
  return name;
}

/**
 * Classifies a message received on the broker's ROUTER: `[sender, "", "MDPC01" | "MDPW01", ...]`.
 * Validates the delimiter, protocol header, command byte and frame counts of each command exactly as
 * RFC 7 requires (READY carries one service frame, plus optkit's optional process-id frame; HEARTBEAT and DISCONNECT carry nothing;
 * REPLY carries a client address, an empty frame and a body of at least one frame; a client request
 * has a service and at least one body frame).
 */
export function parseBrokerInbound(frames: Buffer[]): BrokerInbound {
  const n = frames.length;
  if (n < 3) return { kind: 'invalid', reason: `truncated message (${n} frames)`, ...(n > 0 ? { sender: frames[0] } : {}) };
  const sender = frames[0];
  if (frames[1].byteLength !== 0) return { kind: 'invalid', reason: 'missing empty delimiter frame', sender };
  const proto = frames[2];
  if (sameBytes(proto, MDPC01)) {
    if (n < 5) return { kind: 'invalid', reason: 'client request without service and body', sender };
    const service = serviceName(frames[3]);
    if (typeof service !== 'string') return { ...service, sender };
    return { kind: 'client', sender, service, body: frames.slice(4) };
  }
  if (!sameBytes(proto, MDPW01)) return { kind: 'invalid', reason: 'unknown protocol header (expected MDPC01 or MDPW01)', sender };
  if (n < 4 || frames[3].byteLength !== 1) return { kind: 'invalid', reason: 'missing or malformed worker command frame', sender };
  const cmd = frames[3][0];
  switch (cmd) {
    case READY: {
      if (n !== 5 && n !== 6) return { kind: 'invalid', reason: `READY with ${n - 4} frames after the command (expected service [, process id])`, sender };
      const service = serviceName(frames[4]);
      if (typeof service !== 'string') return { ...service, sender };
      if (n === 5) return { kind: 'ready', sender, service };
      const process = serviceName(frames[5], 'process id');
      if (typeof process !== 'string') return { ...process, sender };
      return { kind: 'ready', sender, service, process };
    }
    case REPLY:
      if (n < 7) return { kind: 'invalid', reason: 'truncated REPLY (needs client address, empty frame, body)', sender };
      if (frames[4].byteLength === 0) return { kind: 'invalid', reason: 'REPLY with empty client address', sender };
      if (frames[5].byteLength !== 0) return { kind: 'invalid', reason: 'REPLY without empty frame after client address', sender };
      return { kind: 'reply', sender, client: frames[4], body: frames.slice(6) };
    case HEARTBEAT:
      if (n !== 4) return { kind: 'invalid', reason: 'HEARTBEAT with extra frames', sender };
      return { kind: 'heartbeat', sender };
    case DISCONNECT:
      // RFC 7 allows no frames after DISCONNECT; some implementations append a reason, so tolerate it.
      return { kind: 'disconnect', sender };
    default:
      return { kind: 'invalid', reason: `unknown or unexpected worker command 0x${cmd.toString(16).padStart(2, '0')}`, sender };
  }
}

/** What a worker's DEALER received from the broker. */
export type WorkerInbound =
  | { kind: 'request'; client: Buffer; body: Buffer[] }
  | { kind: 'heartbeat' }
  | { kind: 'disconnect' }
  | Invalid;

/** Classifies a message on a worker's DEALER: `["", "MDPW01", command, ...]`. */
export function parseWorkerInbound(frames: Buffer[]): WorkerInbound {
  const n = frames.length;
  if (n < 3) return { kind: 'invalid', reason: `truncated message (${n} frames)` };
  if (frames[0].byteLength !== 0) return { kind: 'invalid', reason: 'missing empty delimiter frame' };
  if (!sameBytes(frames[1], MDPW01)) return { kind: 'invalid', reason: 'unknown protocol header (expected MDPW01)' };
  if (frames[2].byteLength !== 1) return { kind: 'invalid', reason: 'malformed command frame' };
  switch (frames[2][0]) {
    case REQUEST:
      if (n < 6) return { kind: 'invalid', reason: 'truncated REQUEST' };
      if (frames[4].byteLength !== 0) return { kind: 'invalid', reason: 'REQUEST without empty frame after client address' };
      return { kind: 'request', client: frames[3], body: frames.slice(5) };
    case HEARTBEAT:
      return { kind: 'heartbeat' };
    case DISCONNECT:
      return { kind: 'disconnect' };
    default:
      return { kind: 'invalid', reason: `unexpected command 0x${frames[2][0].toString(16).padStart(2, '0')}` };
  }
}

/** What a client's DEALER received: `["", "MDPC01", service, body...]` (pass `{req: true}` for a REQ socket). */
export type ClientInbound = { kind: 'reply'; service: string; body: Buffer[] } | Invalid;

export function parseClientReply(frames: Buffer[], options: { req?: boolean } = {}): ClientInbound {
  const off = options.req ? 0 : 1;
  if (frames.length < off + 3) return { kind: 'invalid', reason: `truncated reply (${frames.length} frames)` };
  if (!options.req && frames[0].byteLength !== 0) return { kind: 'invalid', reason: 'missing empty delimiter frame' };
  if (!sameBytes(frames[off], MDPC01)) return { kind: 'invalid', reason: 'unknown protocol header (expected MDPC01)' };
  return { kind: 'reply', service: frames[off + 1].toString('utf8'), body: frames.slice(off + 2) };
}
