import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { FIRST_PARTY_PACKAGES } from '../plugins.js';
import { doctor, formatDoctor, registerDoctor, type DoctorReport } from './doctor.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/test-plugin.mjs', import.meta.url));

describe('doctor (one real call: it probes tfjs, Python and ZeroMQ)', () => {
  it('reports the machine, the packages, the loaded plugin and every probe without throwing', async () => {
    const saved = process.env.OPTKIT_PLUGINS;
    process.env.OPTKIT_PLUGINS = '';
    let r: DoctorReport;
    try {
      r = await doctor({ plugin: [FIXTURE], defaultPlugins: false });
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PLUGINS;
      else process.env.OPTKIT_PLUGINS = saved;
    }
    expect(r.machine.cores).toBe(availableParallelism());
    expect(r.machine.memory.totalBytes).toBeGreaterThan(0);
    expect(r.machine.node).toBe(process.version);
    expect(r.cli).toMatch(/^\d+\.\d+\.\d+/);
    // Every first-party package is either found or missing, never both.
    expect([...r.packages.found.map((p) => p.name), ...r.packages.missing].sort()).toEqual([...FIRST_PARTY_PACKAGES].sort());
    expect(r.packages.found.map((p) => p.name)).toContain('@optkit/core');
    for (const p of r.packages.found) expect(p.version, p.name).toMatch(/^\d+\.\d+\.\d+/);
    // From TypeScript sources no package needs dist, so none is "unbuilt".
    expect(r.packages.unbuilt).toEqual([]);
    expect(r.plugins).toEqual({
      loaded: [{ name: 'optkit-test-plugin', specifier: FIXTURE, methods: 3, experiments: 4, benchmarks: 1, jobs: 0 }],
    });
    expect(r.tfjs.ok).toBe(true);
    if (r.tfjs.ok) {
      expect(r.tfjs.tried.at(-1)).toMatchObject({ name: r.tfjs.backend, ok: true });
      expect(r.tfjs.tried.slice(0, -1).every((t) => !t.ok)).toBe(true);
    }
    expect(r.pythonInterpreter).toBe(process.env.OPTKIT_PYTHON ?? 'python3');
    for (const mod of ['numpy', 'scipy', 'ot'] as const) {
      const s = r.python[mod];
      if (s.ok) expect(s.version, mod).toMatch(/^\d/);
      else expect(s.reason.length, mod).toBeGreaterThan(0);
    }
    expect(typeof r.zeromq.installed).toBe('boolean');

    const text = formatDoctor(r);
    expect(text.split('\n')[0]).toBe(`optkit doctor (@optkit/cli ${r.cli})`);
    expect(text).toContain(`  cores     ${r.machine.cores}\n`);
    expect(text).toContain(`  plugin    optkit-test-plugin (${FIXTURE}): 3 methods, 4 experiments, 1 benchmarks, 0 jobs`);
  }, 30_000);
});

describe('formatDoctor', () => {
  it('prints each section from a known report, failures included', () => {
    const report: DoctorReport = {
      cli: '1.0.0',
      machine: { cpu: 'Test CPU', cores: 2, memory: { totalBytes: 4 * 1024 ** 3, freeBytes: 1024 ** 3 }, os: 'linux 6.1 x64', node: 'v20.0.0' },
      packages: { found: [{ name: '@optkit/core', version: '0.1.0' }], missing: ['@optkit/cluster'], unbuilt: [{ name: '@optkit/core', entry: '/x/dist/index.js' }] },
      plugins: { loaded: [{ name: 'p', specifier: 'p', methods: 1, experiments: 2, benchmarks: 3, jobs: 4 }], error: 'NOT_FOUND: plugin q failed to load' },
      tfjs: { ok: false, error: 'no backend' },
      pythonInterpreter: 'python3',
      python: { numpy: { ok: true, version: '2.1.0', python: '3.12.3' }, scipy: { ok: false, reason: 'No module named scipy' }, ot: { ok: false, reason: 'No module named ot' } },
      zeromq: { installed: true, version: '6.0.0', curve: false },
    };
    expect(formatDoctor(report)).toBe(
      [
        'optkit doctor (@optkit/cli 1.0.0)',
        '',
        'machine',
        '  cpu       Test CPU',
        '  cores     2',
        '  memory    4.0 GiB total, 1.0 GiB free',
        '  os        linux 6.1 x64',
        '  node      v20.0.0',
        '',
        'packages',
        '  found     @optkit/core 0.1.0',
        '  missing   @optkit/cluster (not installed)',
        '  unbuilt   @optkit/core: /x/dist/index.js does not exist (run pnpm build)',
        '  plugin    p: 1 methods, 2 experiments, 3 benchmarks, 4 jobs',
        '  error     NOT_FOUND: plugin q failed to load',
        '',
        'tfjs',
        '  error     no backend',
        '',
        'python references (python3; set OPTKIT_PYTHON to use another interpreter)',
        '  numpy     2.1.0 (python 3.12.3)',
        '  scipy     unavailable: No module named scipy',
        '  ot (POT)  unavailable: No module named ot',
        '',
        'zeromq',
        '  version   6.0.0',
        '  curve     not available (libzmq built without CURVE)',
      ].join('\n'),
    );
    const ok = formatDoctor({
      ...report,
      packages: { found: [], missing: [], unbuilt: [] },
      plugins: { loaded: [] },
      tfjs: { ok: true, backend: 'wasm', tfBackend: 'wasm', summary: 'wasm', tried: [{ name: 'tfjs-node', ok: false, reason: 'not installed' }, { name: 'wasm', ok: true, reason: 'set' }] },
      zeromq: { installed: false, note: 'not installed (arrives with @optkit/cluster)' },
    });
    expect(ok).toContain("  found     (none)\n  missing   (none)\n\ntfjs\n  backend   wasm (tf.getBackend() = 'wasm')\n  skipped   tfjs-node: not installed\n  used      wasm: set\n");
    expect(ok.endsWith('zeromq\n  status    not installed (arrives with @optkit/cluster)')).toBe(true);
  });
});

describe('registerDoctor', () => {
  it('adds a `doctor` command with --json', () => {
    const program = new Command('optkit');
    registerDoctor(program);
    expect(program.commands.map((c) => [c.name(), c.options.map((o) => o.long)])).toEqual([['doctor', ['--json']]]);
  });
});
