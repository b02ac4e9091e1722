/**
 * End-to-end tests of the built `optkit` command (packages/cli/dist/bin.js) with the fixture plugin
 * in test/fixtures. The CLI is built once here if dist is missing or older than the sources.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(PKG, '..', '..');
const BIN = join(PKG, 'dist', 'bin.js');
const FIXTURE = join(PKG, 'test', 'fixtures', 'test-plugin.mjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin.js ...args` from `cwd` (default: a fresh temporary folder). */
function optkit(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, OPTKIT_PLUGINS: '', OPTKIT_DEBUG: '', NO_COLOR: '1', ...options.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** With the fixture plugin and without first-party packages (fast, and independent of them). */
const withFixture = (args: string[]) => optkit(['--no-default-plugins', '--plugin', FIXTURE, ...args]);

const tmp = () => mkdtempSync(join(tmpdir(), 'optkit-e2e-'));

/** `pnpm --filter <pkg> build`; where pnpm is not on PATH, the package's build script through npm. */
function build(pkg: string, dir: string): void {
  try {
    execFileSync('pnpm', ['--filter', pkg, 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit', timeout: 300_000 });
  }
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'packages', 'core', 'dist', 'index.js'))) build('@optkit/core', join(ROOT, 'packages', 'core'));
  const sources = Math.max(newestMtime(join(PKG, 'src')), statSync(join(PKG, 'tsup.config.ts')).mtimeMs, statSync(join(PKG, 'package.json')).mtimeMs);
  if (!existsSync(BIN) || statSync(BIN).mtimeMs < sources) build('@optkit/cli', PKG);
});

describe('optkit (built CLI)', () => {
  it('prints its version and help; unknown commands and options exit 2', async () => {
    const version = await optkit(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version);
    const help = await optkit(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    const unknown = await optkit(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect((await optkit(['list', '--bogus'])).code).toBe(2);
  });

  it('list shows every kind with package and paper, from --plugin, OPTKIT_PLUGINS and core', async () => {
    const text = await optkit(['--plugin', FIXTURE, 'list']);
    expect(text.code).toBe(0);
    for (const id of ['fixture-sum', 'fixture-pass', 'fixture-throws', 'fixture-bench', 'core.gemm']) expect(text.stdout).toContain(id);
    expect(text.stdout).toContain('optkit-test-plugin');
    expect(text.stdout).toContain('A Fixture Paper');
    const json = await optkit(['list', '--json', '--no-default-plugins'], { env: { OPTKIT_PLUGINS: FIXTURE } });
    expect(json.code).toBe(0);
    const listing = JSON.parse(json.stdout);
    expect(listing.methods.find((m: { id: string }) => m.id === 'fixture-sum')).toMatchObject({ package: 'optkit-test-plugin', runnable: true });
    expect(listing.methods.find((m: { id: string }) => m.id === 'fixture-no-run').runnable).toBe(false);
    expect(listing.experiments.map((e: { id: string }) => e.id)).toEqual(['fixture-pass', 'fixture-gated-fail', 'fixture-report-only', 'fixture-throws']);
    expect(listing.benchmarks).toEqual([{ id: 'fixture-bench', package: 'optkit-test-plugin', description: 'Fixture benchmark' }]);
  });

  it('a third-party plugin that fails to load is an error naming it', async () => {
    const r = await optkit(['--plugin', './no-such-plugin.mjs', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^optkit: NOT_FOUND: plugin .*no-such-plugin\.mjs failed to load/);
  });

  it('reproduce of a passing experiment exits 0 and writes index.html with inline SVG and results.json', async () => {
    const out = tmp();
    const r = await withFixture(['reproduce', 'fixture-pass', '--out', out, '--seed', '3', '--quick']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fixture-pass\s+residual falls like 1\/k\^2\s+0\.0025\s+<= 0\.01\s+pass/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script/i);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.versions).toMatchObject({ '@optkit/cli': expect.any(String), 'optkit-test-plugin': '9.9.9' });
    expect(json.options).toMatchObject({ ids: ['fixture-pass'], quick: true, seed: 3 });
    expect(json.experiments).toHaveLength(1);
    const e = json.experiments[0];
    expect(e).toMatchObject({ id: 'fixture-pass', card: 'fixture', paperTitle: 'A Fixture Paper <script>alert(1)</script>' });
    expect(typeof e.seconds).toBe('number');
    expect(e.error).toBeUndefined();
    expect(e.claims).toEqual([{ claim: 'residual falls like 1/k^2', measured: 0.0025, expected: '<= 0.01', pass: true, gated: true }]);
    expect(e.notes[0]).toBe('quick=true seed=3');
  });

  it('a failing gated claim exits 1; a failing report-only claim alone exits 0', async () => {
    const gated = await withFixture(['reproduce', 'fixture-gated-fail', '--out', tmp(), '--no-html']);
    expect(gated.code).toBe(1);
    expect(gated.stdout).toMatch(/speed-up at least 2x\s+1\.1\s+>= 2\s+FAIL/);
    const reportOnly = await withFixture(['reproduce', 'fixture-report-only', '--out', tmp(), '--no-html']);
    expect(reportOnly.code).toBe(0);
    expect(reportOnly.stdout).toContain('report-only (fail)');
  });

  it('a throwing experiment is reported as failed and does not stop the others', async () => {
    const out = tmp();
    const r = await withFixture(['reproduce', 'fixture-throws', 'fixture-pass', '--out', out, '--threads', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('threw: NOT_SPD: fixture matrix is not positive definite');
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(json.experiments.map((e: { id: string; error?: string }) => [e.id, e.error])).toEqual([
      ['fixture-throws', 'NOT_SPD: fixture matrix is not positive definite'],
      ['fixture-pass', undefined],
    ]);
    expect(json.summary).toMatchObject({ errors: 1, passed: 1, ok: false });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('The experiment threw');
  });

  it('reproduce with unknown ids exits 2 listing the known ones; with no experiments it says so and exits 0', async () => {
    const r = await withFixture(['reproduce', 'nope', '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('optkit: NOT_FOUND: unknown experiment "nope"; registered: fixture-gated-fail, fixture-pass, fixture-report-only, fixture-throws');
    const out = tmp();
    const none = await optkit(['--no-default-plugins', 'reproduce', '--out', out]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No experiments are registered');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('No experiments are registered');
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).experiments).toEqual([]);
  });

  it('bench prints rows with ratios, logs and notes; writes --json; unknown ids exit 2', async () => {
    const file = join(tmp(), 'bench.json');
    const r = await withFixture(['bench', 'fixture-bench', '--json', file]);
    expect(r.code).toBe(0);
    // 2 ms against numpy's 1 ms, lower is better: ratio 0.5.
    expect(r.stdout).toMatch(/kernel n=10\s+2 ms\s+numpy: 1 ms\s+0\.5x\s+>= 0\.4\s+yes/);
    expect(r.stdout).toMatch(/kernel n=20\s+8 GFLOP\/s\s+numpy: 4 GFLOP\/s\s+2x/);
    expect(r.stdout).toContain('reference skipped: fixture has no Python');
    expect(r.stdout).toContain('note: fixture note');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json.benchmarks[0].rows.map((row: { ratio: number }) => row.ratio)).toEqual([0.5, 2]);
    expect(json.benchmarks[0].log).toEqual(['reference skipped: fixture has no Python']);
    const unknown = await withFixture(['bench', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown benchmark "nope"; registered: fixture-bench');
  });

  describe('run', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'A.mtx'), '%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n1 1 2\n2 1 -1\n2 2 2\n3 3 2\n');
    writeFileSync(join(dir, 'X.csv'), 'a,b\n1,2\n3,4\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ data: { A: 'A.mtx', X: { path: 'X.csv' } }, options: { tol: 1e-6 } }));
    writeFileSync(join(dir, 'missing.json'), JSON.stringify({ data: { A: 'absent.mtx' } }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ data: { A: 'A.mtx' }, optoins: {} }));
    writeFileSync(join(dir, 'negative.json'), JSON.stringify({ options: { tol: -1 } }));

    it('runs a method on .mtx and .csv data and prints its result as JSON (NaN/Infinity as null, with a note)', async () => {
      const r = await withFixture(['run', 'fixture-sum', '--config', join(dir, 'config.json')]);
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout);
      expect(result.options).toEqual({ tol: 1e-6 });
      // The symmetric file stores 4 entries; mirrored, the matrix holds 5 summing to 2 - 1 - 1 + 2 + 2.
      expect(result.data.A).toMatchObject({ kind: 'mtx', rows: 3, cols: 3, nnz: 5, sum: 4 });
      expect(result.data.A.matrix).toEqual({ rows: 3, cols: 3, indptr: [0, 2, 4, 5], indices: [0, 1, 0, 1, 2], values: [2, -1, -1, 2, 2] });
      expect(result.data.X).toEqual({ kind: 'csv', rows: 2, cols: 2, colSums: [4, 6] });
      expect(result.notANumber).toBeNull();
      expect(result.infinite).toEqual([1, null]);
      expect(r.stderr).toContain('optkit: note: 2 non-finite numbers (NaN or Infinity) written as null: $.notANumber, $.infinite[1]');
      const outFile = join(dir, 'result.json');
      const written = await withFixture(['run', 'fixture-sum', '--config', join(dir, 'config.json'), '--out', outFile]);
      expect(written.code).toBe(0);
      expect(written.stdout).toBe('');
      expect(JSON.parse(readFileSync(outFile, 'utf8')).data.X.colSums).toEqual([4, 6]);
    });

    it('reports errors in one line with exit 2, the stack only with --verbose', async () => {
      const cases: [string[], RegExp][] = [
        [['run', 'nope', '--config', join(dir, 'config.json')], /^optkit: NOT_FOUND: unknown method "nope"; registered: fixture-no-run, fixture-sum, fixture-validates$/],
        [['run', 'fixture-no-run', '--config', join(dir, 'config.json')], /^optkit: UNSUPPORTED: method fixture-no-run \(optkit-test-plugin\) has no run function/],
        [['run', 'fixture-sum', '--config', join(dir, 'missing.json')], /^optkit: NOT_FOUND: data\.A: file .*absent\.mtx does not exist$/],
        [['run', 'fixture-sum', '--config', join(dir, 'bad.json')], /^optkit: INVALID_ARGUMENT: config: unknown key "optoins"/],
        [['run', 'fixture-sum', '--config', join(dir, 'nothing.json')], /^optkit: NOT_FOUND: cannot read config/],
        [['run', 'fixture-validates', '--config', join(dir, 'negative.json')], /^optkit: INVALID_OPTION: fixture-validates: options\.tol is -1; expected a number >= 0$/],
      ];
      const results = await Promise.all(cases.map(([args]) => withFixture(args)));
      results.forEach((r, i) => {
        expect(r.code, cases[i][0].join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr.trim()).toMatch(cases[i][1]);
      });
      const verbose = await withFixture(['--verbose', 'run', 'fixture-validates', '--config', join(dir, 'negative.json')]);
      expect(verbose.code).toBe(2);
      expect(verbose.stderr).toMatch(/\n\s+at /);
      const missingOption = await withFixture(['run', 'fixture-sum']);
      expect(missingOption.code).toBe(2);
      expect(missingOption.stderr).toContain("required option '--config <file>' not specified");
    });
  });

  it('doctor --json reports cores, memory, packages, tfjs, Python and zeromq', async () => {
    const r = await optkit(['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.memory.totalBytes).toBeGreaterThan(0);
    expect(report.machine.memory.freeBytes).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.packages.found.map((p: { name: string }) => p.name)).toContain('@optkit/core');
    expect(report.packages.found.length + report.packages.missing.length).toBe(9);
    expect(typeof report.tfjs.ok).toBe('boolean');
    if (report.tfjs.ok) expect(report.tfjs.tried.at(-1).ok).toBe(true);
    for (const mod of ['numpy', 'scipy', 'ot']) expect(typeof report.python[mod].ok).toBe('boolean');
    expect(typeof report.zeromq.installed).toBe('boolean');
  });
});
