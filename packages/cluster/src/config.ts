/**
 * Configuration schemas of the cluster (zod) and their validation into clear OptkitErrors: endpoints,
 * worker options, client options and the `optkit cluster run <driver> --config file.json` file.
 *
 * Every message names the field (dotted path), what was expected and what was found, e.g.
 * `cluster run config (run.json): threads is -2; expected an integer >= 1` or
 * `... connect is missing; expected a ZeroMQ endpoint such as tcp://host:5555`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { OptkitError } from '@optkit/core';
import { readKeyFile, readKeyPair } from './security.js';

const TCP_CONNECT = /^tcp:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*|\*)(?:;[^:]+)?:(\d{1,5})$/;
const TCP_BIND = /^tcp:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*|\*):(\d{1,5}|\*)$/;
const LOCAL = /^(?:ipc|inproc):\/\/\S+$/;

/** Whether `s` is an endpoint a socket can connect to: `tcp://host:port` (port 1..65535), `ipc://path`, `inproc://name`. */
export function isConnectEndpoint(s: string): boolean {
  if (LOCAL.test(s)) return true;
  const m = TCP_CONNECT.exec(s);
  if (!m || s.startsWith('tcp://*')) return false;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535;
}

/** Whether `s` is an endpoint a socket can bind: `tcp://iface:port` with `*` for any interface or port (0 = ephemeral), ipc, inproc. */
export function isBindEndpoint(s: string): boolean {
  if (LOCAL.test(s)) return true;
  const m = TCP_BIND.exec(s);
  if (!m) return false;
  return m[1] === '*' || Number(m[1]) <= 65535;
}

const CONNECT_HINT = 'a ZeroMQ endpoint such as tcp://host:5555 (port 1..65535), ipc:///path or inproc://name';
const BIND_HINT = 'a ZeroMQ bind endpoint such as tcp://*:5555 (port 0 or * for an ephemeral one), ipc:///path or inproc://name';

export const connectEndpointSchema = z.string({ message: `expected ${CONNECT_HINT}` }).refine(isConnectEndpoint, { message: `expected ${CONNECT_HINT}` });
export const bindEndpointSchema = z.string({ message: `expected ${BIND_HINT}` }).refine(isBindEndpoint, { message: `expected ${BIND_HINT}` });

/** A CURVE public or secret key: 40 Z85 characters (32 bytes). */
export const z85KeySchema = z.string({ message: 'expected a 40-character Z85 CURVE key' }).regex(/^[0-9A-Za-z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/, { message: 'expected a 40-character Z85 CURVE key' });

/** CURVE keys given inline (Z85 text). */
export const curveKeysSchema = z.strictObject({
  /** The broker's public key. */
  serverKey: z85KeySchema,
  /** This peer's key pair. */
  publicKey: z85KeySchema,
  secretKey: z85KeySchema,
});
export type CurveKeys = z.infer<typeof curveKeysSchema>;

/** CURVE keys given as files (CZMQ certificates as `optkit cluster keygen` writes them; paths relative to the config file). */
export const curveFilesSchema = z.strictObject({
  /** The broker's public certificate (`broker.key`). */
  serverKeyFile: z.string().min(1),
  /** This peer's secret certificate (`<name>.key_secret`, holding both keys). */
  secretKeyFile: z.string().min(1),
});
export type CurveFiles = z.infer<typeof curveFilesSchema>;

const positiveInt = (what: string) => z.number({ message: `expected ${what}` }).int({ message: `expected ${what}` }).min(1, { message: `expected ${what}` });
const nonNegativeInt = (what: string) => z.number({ message: `expected ${what}` }).int({ message: `expected ${what}` }).min(0, { message: `expected ${what}` });

export const BACKENDS = ['auto', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'] as const;
export type WorkerBackend = (typeof BACKENDS)[number];

/** Heartbeat timing shared by workers and clients; must match the broker's (MDP has no negotiation). */
export const heartbeatSchema = z.strictObject({
  /** Milliseconds between HEARTBEATs (default 2500, the broker's and the zguide's). */
  intervalMs: positiveInt('an integer >= 1 (milliseconds)').default(2500),
  /** Missed intervals before the peer is declared dead (default 3). */
  liveness: positiveInt('an integer >= 1').default(3),
});

/** Reconnect back-off: doubling from `initialMs` up to `maxMs` (zguide Paranoid Pirate: 1000 → 32000). */
export const reconnectSchema = z
  .strictObject({
    initialMs: positiveInt('an integer >= 1 (milliseconds)').default(250),
    maxMs: positiveInt('an integer >= 1 (milliseconds)').default(8000),
  })
  .refine((r) => r.maxMs >= r.initialMs, { message: 'maxMs must be >= initialMs', path: ['maxMs'] });

/** Options of {@link startWorker} as validated data (functions and handles are passed separately). */
export const workerConfigSchema = z.strictObject({
  connect: connectEndpointSchema,
  /** Pool threads, i.e. tasks run at once per service (default: os.availableParallelism()). */
  threads: positiveInt('an integer >= 1').optional(),
  /**
   * Tasks held per pool thread and service (default 1, at most 64): MDP connections per thread. With
   * 2, the broker hands this worker its next task while the current one runs, so a thread never sits
   * idle for the round trip through the broker; the extra task waits in the pool (its time budget
   * running).
   */
  prefetch: positiveInt('an integer >= 1').refine((n) => n <= 64, { message: 'expected an integer <= 64' }).optional(),
  /** Plugin specifiers whose jobs this worker serves. */
  plugins: z.array(z.string().min(1, { message: 'expected a non-empty plugin specifier' })).min(1, { message: 'expected at least one plugin' }),
  /** Only these job ids (default: every job of the plugins). */
  services: z.array(z.string().min(1)).min(1).optional(),
  backend: z.enum(BACKENDS).optional(),
  heartbeat: heartbeatSchema.optional(),
  reconnect: reconnectSchema.optional(),
  /** Deadline for a task whose request names none, in milliseconds (default: none). */
  taskTimeoutMs: positiveInt('an integer >= 1 (milliseconds)').optional(),
  curve: curveKeysSchema.optional(),
});
export type WorkerConfig = z.input<typeof workerConfigSchema>;

/** Options of the {@link ClusterClient} as validated data. */
export const clientConfigSchema = z.strictObject({
  connect: connectEndpointSchema,
  /** Per-attempt deadline in milliseconds, also sent to the worker as the task deadline (default 60000). */
  timeoutMs: positiveInt('an integer >= 1 (milliseconds)').optional(),
  /** Resends after an attempt got no reply (default 3). */
  retries: nonNegativeInt('an integer >= 0').optional(),
  /** Most requests in flight per `map` (default 64). */
  concurrency: positiveInt('an integer >= 1').optional(),
  heartbeat: heartbeatSchema.optional(),
  curve: curveKeysSchema.optional(),
});
export type ClientConfig = z.input<typeof clientConfigSchema>;

/** The file of `optkit cluster run <driver> --config file.json`. */
export const clusterRunConfigSchema = z.strictObject({
  /** Broker endpoint (the command's `--connect` overrides it). */
  connect: connectEndpointSchema.optional(),
  /** Options passed through to the driver unchanged (the driver validates them). */
  job: z.record(z.string(), z.unknown()).default({}),
  timeoutMs: positiveInt('an integer >= 1 (milliseconds)').optional(),
  retries: nonNegativeInt('an integer >= 0').optional(),
  concurrency: positiveInt('an integer >= 1').optional(),
  /** CURVE key files, relative to the config file. */
  curve: curveFilesSchema.optional(),
  /**
   * Direct payloads (ClusterClient's `directPayloads`): request bodies of at least `minBytes` stay with
   * this client and workers fetch them from `bind` (advertised as `advertise`), bypassing the broker.
   */
  directPayloads: z
    .strictObject({
      bind: bindEndpointSchema,
      advertise: connectEndpointSchema.optional(),
      minBytes: nonNegativeInt('an integer >= 0 (bytes)').optional(),
    })
    .optional(),
  /** Extra plugins to load (the driver must be found in one of them). */
  plugins: z.array(z.string().min(1)).optional(),
});
export type ClusterRunConfig = z.output<typeof clusterRunConfigSchema>;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** One line per zod issue: `<path> is missing; <expected>` or `<path> is <value>; <expected>`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      return `${path === '(root)' ? '' : `${path}: `}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    }
    const value = valueAt(input, issue.path);
    const found = value === undefined ? 'is missing' : `is ${typeName(value)}`;
    let expected = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'invalid_value' && 'values' in issue) expected = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    return `${path} ${found}; ${expected}`;
  });
}

/**
 * Validates `input` against `schema` and returns the parsed value, or throws INVALID_OPTION (or
 * INVALID_ARGUMENT when the input is not an object at all) listing every problem. `what` names the
 * configuration in the message, e.g. `cluster run config (run.json)`.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const lines = describeIssues(r.error.issues, input);
  const first = r.error.issues[0];
  const argument = first && first.path.length ? first.path.map(String).join('.') : undefined;
  const code = input === null || typeof input !== 'object' ? 'INVALID_ARGUMENT' : 'INVALID_OPTION';
  throw new OptkitError(code, `${what}: ${lines.join('; ')}`, argument);
}

/** Reads and validates a `cluster run` config file; PARSE_ERROR for bad JSON, NOT_FOUND for a missing file. */
export async function readClusterRunConfig(path: string): Promise<ClusterRunConfig & { baseDir: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OptkitError('NOT_FOUND', `cluster run config ${path} cannot be read: ${(err as Error).message}`, 'config');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OptkitError('PARSE_ERROR', `cluster run config ${path} is not valid JSON: ${(err as Error).message}`, 'config');
  }
  const parsed = parseConfig(clusterRunConfigSchema, raw, `cluster run config (${path})`);
  return { ...parsed, baseDir: dirname(resolve(path)) };
}

/**
 * Reads a `curve` block's certificate files (paths relative to `baseDir`) into Z85 keys. Throws
 * NOT_FOUND for a missing file and PARSE_ERROR for a file without the expected key.
 */
export function readCurveFiles(files: CurveFiles, baseDir: string): CurveKeys {
  const serverPath = resolve(baseDir, files.serverKeyFile);
  const secretPath = resolve(baseDir, files.secretKeyFile);
  for (const [field, p] of [['serverKeyFile', serverPath], ['secretKeyFile', secretPath]] as const) {
    if (!existsSync(p)) throw new OptkitError('NOT_FOUND', `curve.${field}: ${p} does not exist (make keys with optkit cluster keygen)`, `curve.${field}`);
  }
  const pair = readKeyPair(secretPath);
  return { serverKey: readKeyFile(serverPath).publicKey, publicKey: pair.publicKey, secretKey: pair.secretKey };
}
