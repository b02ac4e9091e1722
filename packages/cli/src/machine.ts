/**
 * What machine and which versions a run happened on, for reports, `results.json` and `optkit doctor`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, freemem, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  /** CPU model as the OS reports it. */
  cpu: string;
  /** Logical cores available to this process (`os.availableParallelism()`). */
  cores: number;
  memory: { totalBytes: number; freeBytes: number };
  /** e.g. `linux 6.1.0 x64`. */
  os: string;
  /** Node.js version, e.g. `v20.20.2`. */
  node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list.length > 0 ? list[0].model.trim() : 'unknown',
    cores: availableParallelism(),
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

/** The CLI's own version, from its package.json (one folder above both src/ and dist/). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const requireHere = createRequire(import.meta.url);

/** An installed package's version (from its package.json), or undefined when it cannot be read. */
export function packageVersion(name: string): string | undefined {
  try {
    const pkg = requireHere(`${name}/package.json`) as { version?: string };
    return pkg.version;
  } catch {
    // A package whose `exports` do not list ./package.json (commander, many third-party plugins):
    // read the file directly from the node_modules folders require would search.
    for (const dir of requireHere.resolve.paths(name) ?? []) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }
}

/** `12.3 GiB` style byte counts. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/**
 * The TensorFlow.js backend in use in this thread, if tfjs has been loaded here already: tfjs keeps
 * its engine on the global object (`_tfengine`), so this needs no import of tfjs.
 */
export function loadedTfBackend(): string | undefined {
  const engine = (globalThis as { _tfengine?: { backendName?: unknown } })._tfengine;
  const name = engine?.backendName;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}
