/**
 * CURVE security for the cluster (ZeroMQ RFC 26/CurveZMQ + 27/ZAP):
 *
 * - key pairs: Z85-encoded Curve25519 keys (`zmq.curveKeyPair()`), written to and read from files in
 *   CZMQ's certificate format (`<name>.key` public, `<name>.key_secret` secret, mode 0600), so keys made
 *   by `optkit cluster keygen` work with czmq/zcert tools and the other way round;
 * - {@link ZapHandler}: the ZAP authenticator — a ROUTER bound to `inproc://zeromq.zap.01` in the same
 *   ZeroMQ context as the CURVE server socket. libzmq asks it about every CURVE handshake with the
 *   client's 32-byte public key; it answers 200 for keys on the allow-list and 400 otherwise, and
 *   counts both;
 * - socket option helpers for the server (broker) and the clients (workers, job clients).
 *
 * Without CURVE, ZeroMQ traffic is plain text and unauthenticated: use it on trusted networks only.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { OptkitError } from '@optkit/core';

/** The ZAP endpoint libzmq consults (RFC 27/ZAP). */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
/** The ZAP domain optkit sockets use. */
export const ZAP_DOMAIN = 'optkit';

/** A Curve25519 key pair, each key as 40 Z85 characters. */
export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

const Z85_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85_CHARS.length; i++) Z85_INDEX[Z85_CHARS.charCodeAt(i)] = i;

/** Z85-encodes bytes (ZeroMQ RFC 32/Z85); the length must be a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.byteLength % 4 !== 0) throw new OptkitError('INVALID_ARGUMENT', `z85Encode: ${bytes.byteLength} bytes is not a multiple of 4`, 'bytes');
  let out = '';
  for (let i = 0; i < bytes.byteLength; i += 4) {
    let value = ((bytes[i] << 24) >>> 0) + (bytes[i + 1] << 16) + (bytes[i + 2] << 8) + bytes[i + 3];
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85_CHARS[value % 85];
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/** Decodes a Z85 string (RFC 32/Z85); throws INVALID_ARGUMENT for a bad length or character. */
export function z85Decode(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 5 !== 0) {
    throw new OptkitError('INVALID_ARGUMENT', 'z85Decode: input length must be a multiple of 5', 'text');
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? Z85_INDEX[code] : -1;
      if (digit < 0) throw new OptkitError('INVALID_ARGUMENT', `z85Decode: invalid character at ${i + j}`, 'text');
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new OptkitError('INVALID_ARGUMENT', `z85Decode: group at ${i} overflows 32 bits`, 'text');
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}

/** Throws INVALID_ARGUMENT unless `key` is a 40-character Z85 string (a 32-byte Curve25519 key). */
export function assertZ85Key(key: unknown, name: string): asserts key is string {
  if (typeof key !== 'string' || key.length !== 40) {
    throw new OptkitError('INVALID_ARGUMENT', `${name} must be a 40-character Z85 CURVE key`, name);
  }
  z85Decode(key);
}

/** A fresh Curve25519 key pair (libsodium via libzmq). */
export function generateKeyPair(): KeyPair {
  if (!zmq.capability.curve) throw new OptkitError('UNSUPPORTED', 'generateKeyPair: this zeromq build has no CURVE support', 'curve');
  const { publicKey, secretKey } = zmq.curveKeyPair();
  return { publicKey, secretKey };
}

function certificate(kind: 'Public' | 'Secret', pair: KeyPair, name: string): string {
  const lines = [
    `#   ****  Generated on ${new Date().toISOString()} by optkit  ****`,
    `#   ZeroMQ CURVE ${kind === 'Secret' ? '**Secret**' : 'Public'} Certificate`,
    `#   Exchange securely, or use a secure mechanism to verify the contents`,
    `#   of this file after exchange. Store public certificates in your home`,
    `#   directory, in the .curve subdirectory.`,
    '',
    'metadata',
    `    name = "${name.replace(/"/g, '')}"`,
    'curve',
    `    public-key = "${pair.publicKey}"`,
  ];
  if (kind === 'Secret') lines.push(`    secret-key = "${pair.secretKey}"`);
  return lines.join('\n') + '\n';
}

/**
 * Generates a key pair and writes it to `dir` in CZMQ's certificate format: `<name>.key` (public key,
 * give it to the other side's allow-list) and `<name>.key_secret` (public and secret key, file mode
 * 0600). Creates `dir` if needed; refuses to overwrite existing files (DUPLICATE). Returns the pair
 * and both paths. This is `optkit cluster keygen`.
 */
export function writeKeyPair(dir: string, name: string): KeyPair & { publicFile: string; secretFile: string } {
  if (typeof dir !== 'string' || dir.length === 0) throw new OptkitError('INVALID_ARGUMENT', 'writeKeyPair: dir must be a non-empty path', 'dir');
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(name) || name.startsWith('.')) {
    throw new OptkitError('INVALID_ARGUMENT', `writeKeyPair: name ${JSON.stringify(name)} must be 1-100 characters of A-Z a-z 0-9 . _ - (not starting with .)`, 'name');
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const publicFile = join(dir, `${name}.key`);
  const secretFile = join(dir, `${name}.key_secret`);
  const pair = generateKeyPair();
  try {
    writeFileSync(secretFile, certificate('Secret', pair, name), { mode: 0o600, flag: 'wx' });
    writeFileSync(publicFile, certificate('Public', pair, name), { mode: 0o644, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OptkitError('DUPLICATE', `writeKeyPair: ${publicFile} or ${secretFile} already exists; choose another name or remove them`, 'name', { cause: err });
    }
    throw err;
  }
  return { ...pair, publicFile, secretFile };
}

function certField(text: string, field: 'public-key' | 'secret-key'): string | undefined {
  const m = new RegExp(`^\\s*${field}\\s*=\\s*"([^"]{40})"\\s*$`, 'm').exec(text);
  return m ? m[1] : undefined;
}

/**
 * Reads a certificate file written by {@link writeKeyPair} (or CZMQ's zcert_save): returns the public
 * key and, for a `_secret` file, the secret key. A file holding just a bare 40-character Z85 key is
 * accepted as a public key. Throws PARSE_ERROR when neither is found.
 */
export function readKeyFile(path: string): { publicKey: string; secretKey?: string } {
  const text = readFileSync(path, 'utf8');
  const bare = text.trim();
  if (bare.length === 40 && !bare.includes('\n')) {
    assertZ85Key(bare, path);
    return { publicKey: bare };
  }
  const publicKey = certField(text, 'public-key');
  if (!publicKey) throw new OptkitError('PARSE_ERROR', `readKeyFile: no public-key = "..." line in ${path}`, 'path');
  assertZ85Key(publicKey, `${path} public-key`);
  const secretKey = certField(text, 'secret-key');
  if (secretKey !== undefined) {
    assertZ85Key(secretKey, `${path} secret-key`);
    return { publicKey, secretKey };
  }
  return { publicKey };
}

/** Reads a key pair from a `_secret` certificate file; throws PARSE_ERROR when it holds no secret key. */
export function readKeyPair(path: string): KeyPair {
  const k = readKeyFile(path);
  if (!k.secretKey) throw new OptkitError('PARSE_ERROR', `readKeyPair: ${path} holds no secret-key (use the .key_secret file)`, 'path');
  return { publicKey: k.publicKey, secretKey: k.secretKey };
}

/**
 * The public keys of an allow-list: every `*.key` file in a directory (like CZMQ's certificate
 * store), or the one file named. Secret files are skipped in a directory.
 */
export function readPublicKeys(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [readKeyFile(path).publicKey];
  const keys: string[] = [];
  for (const entry of readdirSync(path).sort()) {
    if (!entry.endsWith('.key')) continue;
    keys.push(readKeyFile(join(path, entry)).publicKey);
  }
  return keys;
}

/** Socket options making a socket the CURVE server (the broker). */
export function curveServerOptions(pair: KeyPair): { curveServer: true; curvePublicKey: string; curveSecretKey: string; zapDomain: string } {
  assertZ85Key(pair?.publicKey, 'curve.publicKey');
  assertZ85Key(pair?.secretKey, 'curve.secretKey');
  return { curveServer: true, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey, zapDomain: ZAP_DOMAIN };
}

/** Socket options for a CURVE client (a worker or job client) of the server with public key `serverKey`. */
export function curveClientOptions(pair: KeyPair, serverKey: string): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
  assertZ85Key(pair?.publicKey, 'curve.publicKey');
  assertZ85Key(pair?.secretKey, 'curve.secretKey');
  assertZ85Key(serverKey, 'curve.serverKey');
  return { curveServerKey: serverKey, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey };
}

/** Counters of a {@link ZapHandler}. */
export interface ZapStats {
  /** Handshakes allowed (key on the allow-list). */
  accepted: number;
  /** Handshakes refused (unknown key, or a mechanism other than CURVE). */
  refused: number;
  /** ZAP requests that broke RFC 27 (dropped). */
  malformed: number;
}

/**
 * A ZAP authenticator (RFC 27/ZAP) for CURVE: allows exactly the client public keys on its
 * allow-list. It must run in the same ZeroMQ `Context` as the CURVE server socket and be started
 * before that socket accepts connections; at most one per context (the endpoint is fixed).
 */
export class ZapHandler {
  readonly context: zmq.Context;
  private readonly allowed = new Set<string>();
  private socket: zmq.Router | null = null;
  private readonly counters: ZapStats = { accepted: 0, refused: 0, malformed: 0 };
  /** Called with the Z85 key and the peer address of every refused handshake. */
  onRefused?: (key: string | null, address: string) => void;

  constructor(context: zmq.Context, allow: Iterable<string>) {
    this.context = context;
    for (const key of allow) this.allow(key);
  }

  /** Adds a Z85 public key to the allow-list. */
  allow(key: string): void {
    assertZ85Key(key, 'allow-list key');
    this.allowed.add(key);
  }

  /** Removes a key; later handshakes with it are refused (established connections stay). */
  revoke(key: string): void {
    this.allowed.delete(key);
  }

  stats(): ZapStats {
    return { ...this.counters };
  }

  /** Binds the handler to {@link ZAP_ENDPOINT} and starts answering. */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = new zmq.Router({ context: this.context, linger: 0 });
    await socket.bind(ZAP_ENDPOINT);
    this.socket = socket;
    void this.serve(socket);
  }

  private async serve(socket: zmq.Router): Promise<void> {
    try {
      for await (const frames of socket) {
        const reply = this.answer(frames);
        if (reply) await socket.send(reply).catch(() => undefined);
      }
    } catch {
      // The socket was closed under us: nothing to answer any more.
    }
  }

  /** Builds the ZAP reply to one request (RFC 27: version, request id, status code, text, user id, metadata). */
  private answer(frames: Buffer[]): Buffer[] | Array<Buffer | string> | null {
    // Router frames: peer id, empty delimiter, then version "1.0", request id, domain, address,
    // identity, mechanism, credentials...
    if (frames.length < 8 || frames[1].byteLength !== 0 || frames[2].toString() !== '1.0') {
      this.counters.malformed++;
      return null;
    }
    const [peer, empty, version, requestId, , addressFrame, , mechanismFrame] = frames;
    const address = addressFrame.toString();
    const mechanism = mechanismFrame.toString();
    let key: string | null = null;
    let ok = false;
    if (mechanism === 'CURVE' && frames.length === 9 && frames[8].byteLength === 32) {
      key = z85Encode(frames[8]);
      ok = this.allowed.has(key);
    }
    if (ok) this.counters.accepted++;
    else {
      this.counters.refused++;
      this.onRefused?.(key, address);
    }
    return [peer, empty, version, requestId, ok ? '200' : '400', ok ? 'OK' : 'key not on the allow-list', ok && key ? key : '', ''];
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
