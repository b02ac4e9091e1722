import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Registry, definePlugin } from '@optkit/core';
import type { LoadedPlugins } from '../plugins.js';
import { reproduce } from '../reproduce.js';
import { reproduceExitCode } from '../results.js';
import { formatClaimsTable, formatSummary, registerReproduce, reproduceCommand } from './reproduce.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/test-plugin.mjs', import.meta.url));
const paper = { title: 'A Tiny Paper' };

function tinyPlugins(): LoadedPlugins {
  const plugin = definePlugin({
    name: 'tiny-plugin',
    version: '1.2.3',
    experiments: [
      {
        id: 'tiny-pass',
        card: 'tiny',
        title: 'Passes',
        paper,
        run: (ctx) => ({ claims: [{ claim: 'seed is passed', measured: ctx.seed, expected: '= 5', pass: ctx.seed === 5, gated: true }] }),
      },
      {
        id: 'tiny-fail',
        card: 'tiny',
        title: 'Fails a gated claim',
        paper,
        run: () => ({
          claims: [
            { claim: 'at least 2x', measured: 1.5, expected: '>= 2', pass: false, gated: true },
            { claim: 'informational', measured: 'n/a', expected: 'n/a', pass: false, gated: false },
          ],
        }),
      },
      { id: 'tiny-empty', card: 'tiny', title: 'No claims', paper, run: () => ({ claims: [] }) },
    ],
  });
  const registry = new Registry();
  registry.register(plugin);
  return { registry, loaded: [{ specifier: 'tiny-plugin', plugin, firstParty: false }], missing: [], specifierOf: new Map([['tiny-plugin', 'tiny-plugin']]) };
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'optkit-reproduce-cmd-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('reproduce (threads: 0) on an in-test plugin, and its terminal formatting', () => {
  it('summarises claims, gives exit code 1 for a failing gated claim and writes results.json + index.html', async () => {
    const out = tmp();
    const { report, files } = await reproduce({ plugins: tinyPlugins(), threads: 0, seed: 5, out });
    expect(report.summary).toEqual({ experiments: 3, claims: 3, passed: 1, failed: 1, reportOnly: 1, errors: 0, ok: false });
    expect(reproduceExitCode(report)).toBe(1);
    expect(files).toEqual([join(out, 'results.json'), join(out, 'index.html')]);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(json.versions['tiny-plugin']).toBe('1.2.3');
    expect(json.options).toEqual({ ids: ['tiny-pass', 'tiny-fail', 'tiny-empty'], quick: false, seed: 5, threads: 0 });
    expect(json.experiments[0].claims).toEqual([{ claim: 'seed is passed', measured: 5, expected: '= 5', pass: true, gated: true }]);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('A Tiny Paper');

    expect(formatSummary(report)).toBe('3 experiments, 3 claims: 1 passed, 1 failed, 1 report-only — FAILED');
    const lines = formatClaimsTable(report.experiments).split('\n');
    expect(lines[0]).toMatch(/^experiment\s+claim\s+measured\s+expected\s+result\s+seconds$/);
    expect(lines[2]).toMatch(/^tiny-pass\s+seed is passed\s+5\s+= 5\s+pass\s+\d+\.\d\d$/);
    expect(lines[3]).toMatch(/^tiny-fail\s+at least 2x\s+1\.5\s+>= 2\s+FAIL\s+\d+\.\d\d$/);
    expect(lines[4]).toMatch(/^tiny-fail\s+informational\s+n\/a\s+n\/a\s+report-only \(fail\)$/);
    expect(lines[5]).toMatch(/^tiny-empty\s+\(no claims\)\s+-\s+\d+\.\d\d$/);

    // Only the passing experiment: exit 0, and --no-html writes results.json only.
    const out2 = tmp();
    const ok = await reproduce({ plugins: tinyPlugins(), threads: 0, seed: 5, ids: ['tiny-pass'], out: out2, html: false });
    expect(reproduceExitCode(ok.report)).toBe(0);
    expect(formatSummary(ok.report)).toBe('1 experiment, 1 claim: 1 passed, 0 failed, 0 report-only — OK');
    expect(ok.files).toEqual([join(out2, 'results.json')]);
    expect(existsSync(join(out2, 'index.html'))).toBe(false);
  });

  it('formats a throw as ERROR and an empty run as "No experiments"', () => {
    const rec = { id: 'x', plugin: 'p', card: 'c', title: 't', paper, seconds: 0.5, error: 'NOT_SPD: no', claims: [], plots: [], tables: [], notes: [] };
    expect(formatClaimsTable([rec]).split('\n')[2]).toMatch(/^x\s+threw: NOT_SPD: no\s+ERROR\s+0\.50$/);
    const summary = { experiments: 1, claims: 0, passed: 0, failed: 0, reportOnly: 0, errors: 1, ok: false };
    expect(formatSummary({ summary } as never)).toBe('1 experiment, 0 claims: 0 passed, 0 failed, 0 report-only; 1 experiment threw — FAILED');
    expect(formatSummary({ summary: { ...summary, experiments: 0, errors: 0, ok: true } } as never)).toMatch(/^No experiments are registered/);
  });
});

describe('reproduceCommand (threads: 0, fixture plugin)', () => {
  it('prints the table and summary, writes the files and returns 1 for a failing gated claim, 0 otherwise', async () => {
    const saved = process.env.OPTKIT_PLUGINS;
    process.env.OPTKIT_PLUGINS = '';
    const stdout: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (stdout.push(String(c)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const globals = { plugin: [FIXTURE], defaultPlugins: false };
    try {
      const out = tmp();
      const code = await reproduceCommand(['fixture-gated-fail'], { out, seed: 0, threads: 0, html: false }, globals);
      expect(code).toBe(1);
      const text = stdout.join('');
      expect(text).toMatch(/speed-up at least 2x\s+1\.1\s+>= 2\s+FAIL/);
      expect(text).toContain('1 experiment, 1 claim: 0 passed, 1 failed, 0 report-only — FAILED');
      expect(text).toContain(`wrote ${join(out, 'results.json')}`);
      expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).summary.failed).toBe(1);
      const out2 = tmp();
      expect(await reproduceCommand(['fixture-report-only'], { out: out2, seed: 0, threads: 0, html: false }, globals)).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PLUGINS;
      else process.env.OPTKIT_PLUGINS = saved;
    }
  });
});

describe('registerReproduce', () => {
  it('adds `reproduce [ids...]` with --out defaulting to reports and --seed to 0', () => {
    const program = new Command('optkit');
    registerReproduce(program);
    const cmd = program.commands.find((c) => c.name() === 'reproduce')!;
    expect(cmd.registeredArguments.map((a) => [a.name(), a.variadic, a.required])).toEqual([['ids', true, false]]);
    expect(cmd.options.map((o) => [o.long, o.defaultValue])).toEqual([
      ['--quick', undefined],
      ['--out', 'reports'],
      ['--seed', 0],
      ['--threads', undefined],
      ['--no-html', undefined],
    ]);
    // Before parsing, the option values are the defaults; --no-html's implicit default is html = true.
    expect(cmd.opts()).toEqual({ out: 'reports', seed: 0, html: true });
  });
});
