import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { curveClientOptions, curveServerOptions, generateKeyPair, readKeyFile, readKeyPair, readPublicKeys, writeKeyPair, z85Decode, z85Encode } from './security.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'optkit-keys-'));
  dirs.push(d);
  return d;
};
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
};

describe('Z85 (RFC 32)', () => {
  it('matches the spec test vector and round-trips', () => {
    const bytes = Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(Array.from(z85Decode('HelloWorld'))).toEqual(Array.from(bytes));
    const k = generateKeyPair();
    expect(z85Encode(z85Decode(k.publicKey))).toBe(k.publicKey);
    expect(z85Decode(k.publicKey).byteLength).toBe(32);
  });
  it('rejects bad input', () => {
    expect(codeOf(() => z85Encode(new Uint8Array(3)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => z85Decode('abcd'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => z85Decode('abc"d'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => z85Decode('#####'))).toBe('INVALID_ARGUMENT');
  });
});

describe('key files', () => {
  it('writes CZMQ-style certificates and reads them back', () => {
    const dir = tmp();
    const k = writeKeyPair(join(dir, 'keys'), 'broker');
    expect(k.publicFile).toBe(join(dir, 'keys', 'broker.key'));
    expect(statSync(k.secretFile).mode & 0o777).toBe(0o600);
    const pub = readFileSync(k.publicFile, 'utf8');
    expect(pub).toContain(`public-key = "${k.publicKey}"`);
    expect(pub).not.toContain('secret-key');
    expect(readKeyPair(k.secretFile)).toEqual({ publicKey: k.publicKey, secretKey: k.secretKey });
    expect(readKeyFile(k.publicFile)).toEqual({ publicKey: k.publicKey });
    expect(codeOf(() => readKeyPair(k.publicFile))).toBe('PARSE_ERROR');
    const w = writeKeyPair(join(dir, 'keys'), 'worker-1');
    expect(readPublicKeys(join(dir, 'keys'))).toEqual([k.publicKey, w.publicKey]);
    expect(codeOf(() => writeKeyPair(join(dir, 'keys'), 'broker'))).toBe('DUPLICATE');
    expect(codeOf(() => writeKeyPair(dir, '../evil'))).toBe('INVALID_ARGUMENT');
    const bare = join(dir, 'bare.txt');
    writeFileSync(bare, `${w.publicKey}\n`);
    expect(readKeyFile(bare)).toEqual({ publicKey: w.publicKey });
    writeFileSync(bare, 'nothing here');
    expect(codeOf(() => readKeyFile(bare))).toBe('PARSE_ERROR');
  });
  it('builds socket options and validates keys', () => {
    const s = generateKeyPair();
    const c = generateKeyPair();
    expect(curveServerOptions(s)).toMatchObject({ curveServer: true, curveSecretKey: s.secretKey });
    expect(curveClientOptions(c, s.publicKey)).toEqual({ curveServerKey: s.publicKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey });
    expect(codeOf(() => curveClientOptions(c, 'short'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => curveServerOptions({ publicKey: s.publicKey, secretKey: 'x'.repeat(39) + '"' }))).toBe('INVALID_ARGUMENT');
  });
});
