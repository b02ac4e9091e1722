import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plugin, spin, spinJob, echoJob } from './probe-jobs.js';
import { bcdScalingConfig, locatePackageFile, runScalingBenchmark } from './scaling.js';

const OPTIM_JOBS = fileURLToPath(new URL('../../test/fixtures/optim-jobs.ts', import.meta.url));

describe('probe jobs', () => {
  it('echo returns its input; spin is deterministic and validates n', async () => {
    const f = new Uint8Array([1, 2, 3]);
    expect(await echoJob.handler({ a: 1 }, [f])).toEqual({ header: { a: 1 }, frames: [f] });
    expect(spin(0)).toBe(0);
    expect(spin(3)).toBe(spin(3));
    expect((await spinJob.handler({ n: 1000 }, [])).header.value).toBe(spin(1000));
    expect(() => spinJob.handler({ n: -1 }, [])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(plugin.jobs.map((j) => j.id)).toEqual(['cluster.echo', 'cluster.spin']);
  });
});

describe('cluster.scaling benchmark', () => {
  it('measures the bcd speedup 1 → 2 worker processes (same iterates) and tasks/s, on a tiny problem', async () => {
    const logs: string[] = [];
    const r = await runScalingBenchmark(
      { quick: true, seed: 0, progress: () => {}, log: (l) => logs.push(l) },
      {
        bcdPlugin: OPTIM_JOBS,
        bcdConfig: { problem: { kind: 'least-squares', rows: 200, cols: 64, seed: 1, density: 1 }, shards: 2, blockSize: 8, rule: 'gsq', update: 'matrix', maxIter: 10 },
        workerCounts: [1, 2],
        tasks: 100,
        repeats: 1,
      },
    );
    const names = r.rows.map((row) => row.name);
    expect(names).toEqual([
      'bcd round, 1 worker process',
      'bcd round, 2 worker processes',
      'bcd speedup 1 → 2 worker processes',
      'context: cluster.spin (CPU-bound, no memory traffic) speedup 1 → 2 worker processes, same clusters, same run',
      'cluster.echo tasks/s, 1 worker process',
      'cluster.echo tasks/s, 2 worker processes',
      'cluster.echo tasks/s, 1 worker process, prefetch 2',
      'cluster.echo tasks/s, 2 worker processes, prefetch 2',
    ]);
    for (const row of r.rows) expect(row.value).toBeGreaterThan(0);
    expect(r.notes!.join(' ')).toContain('bit-identical');
    // Each topology's task time is split into transport and broker, worker hand-offs and handler.
    expect(r.notes!.join(' ')).toMatch(/1 worker process: round trip \d+\.\d+ ms = transport and broker -?\d+\.\d+ \+ worker decode, pool hand-offs and encode \d+\.\d+ \+ handler \d+\.\d+ \(20 tasks\); 2 worker processes: round trip/);
    // The in-process compute of a round is reported beside the cluster's round time.
    expect(r.notes!.join(' ')).toMatch(/compute of one bcd round in one process without the cluster \(every shard's task in turn, fastest of 15\): \d+\.\d+ ms/);
  }, 120_000);

  it('sizes its default bcd job to stay in the shared L3 with two workers', () => {
    const p = bcdScalingConfig.problem as { rows: number; cols: number; density: number };
    // One worker process caches every shard (and two may, before affinity settles which serves
    // which): 2 × rows × cols × 8 bytes must stay within half of the 32 MB L3 (shared with other tenants).
    expect(2 * p.rows * p.cols * 8).toBeLessThanOrEqual(16 * 2 ** 20);
    expect(p.density).toBe(1);
    expect(bcdScalingConfig.shards).toBe(2);
  });

  it('finds no package that is not installed', () => {
    expect(locatePackageFile('@optkit/does-not-exist')).toBeUndefined();
  });
});
