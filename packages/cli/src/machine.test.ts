import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, release } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { cliVersion, formatBytes, loadedTfBackend, machineInfo, packageVersion } from './machine.js';

describe('machineInfo', () => {
  it('reports cores, memory, os and node version of this process', () => {
    const m = machineInfo();
    // Cores available to this process (affinity-aware), never more than the CPUs the OS lists.
    expect(m.cores).toBe(availableParallelism());
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(m.cores).toBeLessThanOrEqual(cpus().length);
    expect(m.cpu).toBe(cpus()[0].model.trim());
    expect(m.memory.totalBytes).toBeGreaterThan(0);
    expect(m.memory.freeBytes).toBeGreaterThan(0);
    expect(m.memory.freeBytes).toBeLessThanOrEqual(m.memory.totalBytes);
    expect(m.os).toBe(`${platform()} ${release()} ${arch()}`);
    expect(m.node).toBe(process.version);
    expect(m.node).toMatch(/^v\d+\.\d+\.\d+/);
  });
});

describe('versions', () => {
  it('cliVersion reads the CLI package.json; packageVersion reads an installed package and is undefined otherwise', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(cliVersion()).toBe(pkg.version);
    const commanderPkg = JSON.parse(readFileSync(new URL('../node_modules/commander/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion('commander')).toBe(commanderPkg.version);
    expect(packageVersion('optkit-no-such-package-anywhere')).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal above bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3072.0 TiB');
  });
});

describe('loadedTfBackend', () => {
  const g = globalThis as { _tfengine?: unknown };
  const saved = g._tfengine;
  afterEach(() => {
    g._tfengine = saved;
  });

  it("reads tfjs's global engine without importing tfjs", () => {
    g._tfengine = { backendName: 'wasm' };
    expect(loadedTfBackend()).toBe('wasm');
    g._tfengine = { backendName: '' };
    expect(loadedTfBackend()).toBeUndefined();
    g._tfengine = undefined;
    expect(loadedTfBackend()).toBeUndefined();
  });
});
