import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { Registry, definePlugin, loadPlugin, type ExperimentEntry } from './registry.js';

const experiment = (id: string): ExperimentEntry => ({
  id,
  card: 'lion',
  title: `experiment ${id}`,
  paper: { title: 'Symbolic Discovery of Optimization Algorithms' },
  run: () => ({ claims: [{ claim: 'c', measured: 1, expected: '1', pass: true, gated: true }] }),
});

describe('definePlugin', () => {
  it('normalises missing lists and keeps entries', () => {
    const p = definePlugin({ name: '@x/y', experiments: [experiment('a')] });
    expect(p.methods).toEqual([]);
    expect(p.experiments.map((e) => e.id)).toEqual(['a']);
    expect(p.__optkitPlugin).toBe(true);
  });

  it('rejects empty names, bad ids, duplicates and experiments without run', () => {
    expect(() => definePlugin({ name: '' })).toThrow(OptkitError);
    expect(() => definePlugin({ name: 'p', experiments: [experiment('Bad Id')] })).toThrow(/kebab-case/);
    try {
      definePlugin({ name: 'p', experiments: [experiment('a'), experiment('a')] });
      expect.unreachable();
    } catch (e) {
      expect((e as OptkitError).code).toBe('DUPLICATE');
    }
    expect(() =>
      definePlugin({ name: 'p', experiments: [{ ...experiment('a'), run: undefined as never }] }),
    ).toThrow(/no run function/);
  });
});

describe('Registry', () => {
  it('registers, lists and looks up by id', () => {
    const r = new Registry();
    const p = definePlugin({
      name: 'p1',
      experiments: [experiment('e1')],
      benchmarks: [{ id: 'b1', title: 'B', run: () => ({ rows: [] }) }],
      methods: [{ id: 'm1', summary: 'M' }],
      jobs: [{ id: 'j1', handler: () => ({ header: {} }) }],
    });
    r.register(p);
    r.register(p); // same object again: no-op
    expect(r.has('p1')).toBe(true);
    expect(r.get('experiments', 'e1').plugin).toBe('p1');
    expect(r.get('benchmarks', 'b1').entry.title).toBe('B');
    expect(r.list('methods').map((m) => m.entry.id)).toEqual(['m1']);
    expect(r.list('jobs')).toHaveLength(1);
    expect(() => r.get('experiments', 'nope')).toThrow(/unknown experiment "nope"; registered: e1/);
  });

  it('refuses an id already registered by another plugin, leaving the registry unchanged', () => {
    const r = new Registry();
    r.register(definePlugin({ name: 'p1', experiments: [experiment('e1')] }));
    const clash = definePlugin({ name: 'p2', experiments: [experiment('e2'), experiment('e1')] });
    expect(() => r.register(clash)).toThrow(/already registered by p1/);
    expect(r.has('p2')).toBe(false);
    expect(() => r.get('experiments', 'e2')).toThrow(OptkitError);
    expect(() => r.register(definePlugin({ name: 'p1' }))).toThrow(/different plugin named p1/);
    expect(() => r.register({ name: 'fake' } as never)).toThrow(/definePlugin/);
  });
});

describe('loadPlugin', () => {
  it('loads a module file by path and a third-party package from node_modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optkit-plugin-'));
    // A plugin object of the documented shape; built by hand so the fixture needs no resolution of core.
    const body = (name: string) =>
      `export const plugin = { name: ${JSON.stringify(name)}, methods: [], experiments: [], benchmarks: [{ id: '${name.replace(/[^a-z]/g, '')}-bench', title: 't', run: () => ({ rows: [] }) }], jobs: [], __optkitPlugin: true };\n`;
    writeFileSync(join(dir, 'local.mjs'), body('local-plugin'));
    const pkgDir = join(dir, 'node_modules', 'optkit-plugin-thirdparty');
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: 'optkit-plugin-thirdparty', type: 'module', exports: { '.': { import: './main.js' } } }));
    writeFileSync(join(pkgDir, 'main.js'), `export default ${body('optkit-plugin-thirdparty').replace('export const plugin = ', '')}`);

    const r = new Registry();
    const local = await loadPlugin('./local.mjs', { registry: r, cwd: dir });
    expect(local.name).toBe('local-plugin');
    const third = await loadPlugin('optkit-plugin-thirdparty', { registry: r, cwd: join(dir, 'node_modules') });
    expect(third.name).toBe('optkit-plugin-thirdparty');
    expect(r.get('benchmarks', 'optkitpluginthirdparty-bench').plugin).toBe('optkit-plugin-thirdparty');
  });

  it('uses the caller importer first and reports modules that are not plugins', async () => {
    const r = new Registry();
    const fake = definePlugin({ name: 'virtual' });
    const p = await loadPlugin('virtual', { registry: r, importer: async () => ({ plugin: fake }) });
    expect(p).toBe(fake);
    await expect(loadPlugin('also-virtual', { registry: r, importer: async () => ({ nothing: 1 }) })).rejects.toThrow(/exports no plugin/);
    await expect(loadPlugin('optkit-no-such-package-xyz', { registry: r, cwd: tmpdir() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
