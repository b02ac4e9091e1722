import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Runs the executable entry from source (tsx, with the source export condition) and returns its exit. */
function runBin(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@optkit/source', bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPTKIT_PLUGINS: '' },
    timeout: 60_000,
  });
}

describe('bin.ts (the optkit executable entry)', () => {
  it('prints the version and exits 0', () => {
    const r = runBin(['--version', '--no-default-plugins']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('sets exit code 2 for an unknown command', () => {
    const r = runBin(['no-such-command', '--no-default-plugins']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command/i);
  });
});
