import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import {
  clientConfigSchema,
  clusterRunConfigSchema,
  isBindEndpoint,
  isConnectEndpoint,
  parseConfig,
  readClusterRunConfig,
  readCurveFiles,
  workerConfigSchema,
} from './config.js';
import { writeKeyPair } from './security.js';

const dir = mkdtempSync(join(tmpdir(), 'optkit-cluster-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): OptkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return e as OptkitError;
  }
  throw new Error('expected an OptkitError');
}

describe('endpoints', () => {
  it('accepts connectable and bindable ZeroMQ endpoints and refuses the rest', () => {
    for (const ok of ['tcp://127.0.0.1:5555', 'tcp://host-1.example.org:1', 'tcp://[::1]:65535', 'ipc:///tmp/x.sock', 'inproc://a']) expect(isConnectEndpoint(ok)).toBe(true);
    for (const bad of ['localhost:5555', 'tcp://host', 'tcp://host:0', 'tcp://host:65536', 'tcp://*:5555', 'http://h:1', 'tcp://h:5555 ', '']) expect(isConnectEndpoint(bad)).toBe(false);
    for (const ok of ['tcp://*:5555', 'tcp://*:*', 'tcp://127.0.0.1:0', 'ipc:///tmp/b']) expect(isBindEndpoint(ok)).toBe(true);
    for (const bad of ['tcp://*', 'tcp://*:70000', '*:5555']) expect(isBindEndpoint(bad)).toBe(false);
  });
});

describe('parseConfig', () => {
  it('fills defaults and passes valid worker and client options through', () => {
    const w = parseConfig(workerConfigSchema, { connect: 'tcp://h:1', plugins: ['@optkit/optim'], threads: 3, heartbeat: {} }, 'w');
    expect(w.threads).toBe(3);
    expect(w.heartbeat).toEqual({ intervalMs: 2500, liveness: 3 });
    const c = parseConfig(clientConfigSchema, { connect: 'ipc:///tmp/s', retries: 0 }, 'c');
    expect(c.retries).toBe(0);
  });

  it('names every bad field: missing, negative thread count, bad endpoint, unknown key, bad backend', () => {
    const e = errorOf(() => parseConfig(workerConfigSchema, { threads: -2, plugins: ['x'], backend: 'gpu', extra: 1 }, 'startWorker options'));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/^startWorker options: /);
    expect(e.message).toContain('connect is missing; expected a ZeroMQ endpoint such as tcp://host:5555');
    expect(e.message).toContain('threads is -2; expected an integer >= 1');
    expect(e.message).toMatch(/backend is "gpu"; expected one of "auto", "wasm", "cpu", "tfjs-node", "tfjs-node-gpu"/);
    expect(e.message).toContain('unknown field extra');
    const r = errorOf(() => parseConfig(workerConfigSchema, { connect: 'tcp://h:1', plugins: [], reconnect: { initialMs: 500, maxMs: 100 } }, 'w'));
    expect(r.message).toContain('plugins is an array; expected at least one plugin');
    expect(r.message).toContain('reconnect.maxMs is 100; maxMs must be >= initialMs');
    expect(errorOf(() => parseConfig(clientConfigSchema, 'tcp://h:1', 'c')).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => parseConfig(clientConfigSchema, { connect: 'tcp://h:1', timeoutMs: 1.5 }, 'c')).message).toContain('timeoutMs is 1.5');
    expect(errorOf(() => parseConfig(clientConfigSchema, { connect: 'tcp://h:1', curve: { serverKey: 'short', publicKey: 'x', secretKey: 'y' } }, 'c')).message).toContain(
      'curve.serverKey is "short"; expected a 40-character Z85 CURVE key',
    );
  });
});

describe('cluster run config files', () => {
  it('reads a valid file, defaults job to {}, and resolves curve files against the file folder', async () => {
    writeKeyPair(join(dir, 'keys'), 'broker');
    writeKeyPair(join(dir, 'keys'), 'client');
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ connect: 'tcp://10.0.0.1:5555', timeoutMs: 1000, curve: { serverKeyFile: 'keys/broker.key', secretKeyFile: 'keys/client.key_secret' } }));
    const cfg = await readClusterRunConfig(file);
    expect(cfg.job).toEqual({});
    expect(cfg.baseDir).toBe(dir);
    const keys = readCurveFiles(cfg.curve!, cfg.baseDir);
    expect(keys.serverKey).toHaveLength(40);
    expect(keys.publicKey).not.toBe(keys.serverKey);
    expect(() => readCurveFiles({ serverKeyFile: 'keys/none.key', secretKeyFile: 'keys/client.key_secret' }, dir)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', argument: 'curve.serverKeyFile' }));
    expect(() => readCurveFiles({ serverKeyFile: 'keys/broker.key', secretKeyFile: 'keys/client.key' }, dir)).toThrow(expect.objectContaining({ code: 'PARSE_ERROR' }));
  });

  it('reports a missing file, bad JSON and bad fields clearly', async () => {
    await expect(readClusterRunConfig(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(readClusterRunConfig(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'PARSE_ERROR' });
    writeFileSync(join(dir, 'fields.json'), JSON.stringify({ connect: 'tcp://h', concurrency: 0, job: 3 }));
    const e = (await readClusterRunConfig(join(dir, 'fields.json')).catch((x: unknown) => x)) as OptkitError;
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toContain('fields.json');
    expect(e.message).toContain('connect is "tcp://h"');
    expect(e.message).toContain('concurrency is 0; expected an integer >= 1');
    expect(e.message).toContain('job is 3');
    expect(clusterRunConfigSchema.safeParse({ job: { anything: [1, 2] } }).success).toBe(true);
  });
});
