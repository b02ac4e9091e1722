import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OptkitError } from '@optkit/core';
import { loadPlugins } from './plugins.js';
import { reproduce, selectExperiments, type ReproduceEvent } from './reproduce.js';

const FIXTURE = fileURLToPath(new URL('../test/fixtures/test-plugin.mjs', import.meta.url));

describe('reproduce (in this thread)', () => {
  it('runs every selected experiment, records throws and summarises', async () => {
    const plugins = await loadPlugins({ firstParty: false, env: '', plugins: [FIXTURE] });
    const events: ReproduceEvent[] = [];
    const { report, files } = await reproduce({ plugins, threads: 0, quick: true, seed: 7, onEvent: (e) => events.push(e) });
    expect(files).toEqual([]);
    expect(report.experiments.map((e) => e.id)).toEqual(['fixture-pass', 'fixture-gated-fail', 'fixture-report-only', 'fixture-throws']);
    const [pass, , , thrown] = report.experiments;
    expect(pass.claims).toEqual([{ claim: 'residual falls like 1/k^2', measured: 0.0025, expected: '<= 0.01', pass: true, gated: true }]);
    expect(pass.notes[0]).toBe('quick=true seed=7');
    expect(pass.plots).toHaveLength(1);
    expect(thrown.error).toBe('NOT_SPD: fixture matrix is not positive definite');
    expect(report.summary).toEqual({ experiments: 4, claims: 4, passed: 2, failed: 1, reportOnly: 1, errors: 1, ok: false });
    expect(report.versions['optkit-test-plugin']).toBe('9.9.9');
    expect(report.options).toEqual({ ids: report.experiments.map((e) => e.id), quick: true, seed: 7, threads: 0 });
    expect(events.filter((e) => e.type === 'experiment-done')).toHaveLength(4);
    expect(events).toContainEqual({ type: 'progress', id: 'fixture-pass', fraction: 0.5, message: 'halfway' });
  });

  it('selects by id, in the order given, and refuses unknown ids listing the known ones', async () => {
    const plugins = await loadPlugins({ firstParty: false, env: '', plugins: [FIXTURE] });
    expect(selectExperiments(plugins, ['fixture-throws', 'fixture-pass', 'fixture-throws']).map((r) => r.entry.id)).toEqual(['fixture-throws', 'fixture-pass']);
    try {
      await reproduce({ plugins, threads: 0, ids: ['fixture-pass', 'nope'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OptkitError);
      expect((e as OptkitError).code).toBe('NOT_FOUND');
      expect((e as Error).message).toBe(
        'unknown experiment "nope"; registered: fixture-gated-fail, fixture-pass, fixture-report-only, fixture-throws',
      );
    }
  });

  it('refuses a bad thread count', async () => {
    const plugins = await loadPlugins({ firstParty: false, env: '', plugins: [FIXTURE] });
    await expect(reproduce({ plugins, threads: -1 })).rejects.toThrow(/threads is -1/);
  });
});
