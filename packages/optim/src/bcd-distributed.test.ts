import { OptkitError, localExecutor, toFrame, type DriverProgress, type JobExecutor } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { bcd } from './bcd.js';
import {
  BCD_JOB_VERSION,
  bcdBenchmarkConfig,
  bcdDriver,
  bcdJobProblem,
  bcdShardHandler,
  bcdShardJob,
  resolveBcdDriverConfig,
  runBcdDriver,
  type BcdDriverConfig,
} from './bcd-distributed.js';

const sameBits = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function codeOf(fn: () => unknown): Promise<{ code: string; argument?: string }> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return { code: (e as OptkitError).code, argument: (e as OptkitError).argument };
  }
  throw new Error('expected an OptkitError');
}

/** An executor that runs requests in reverse order (replies still in request order), as a cluster may. */
function shuffledExecutor(): JobExecutor {
  const inner = localExecutor([bcdShardJob]);
  return {
    submit: (s, r, o) => inner.submit(s, r, o),
    async map(s, reqs, o) {
      const out = new Array(reqs.length);
      for (let i = reqs.length - 1; i >= 0; i--) out[i] = await inner.submit(s, reqs[i], o);
      return out;
    },
    workers: () => 3,
  };
}

describe('distributed bcd: same answer on any topology', () => {
  const problem = { kind: 'least-squares' as const, rows: 80, cols: 64, seed: 3 };
  const cases: [string, 'gs' | 'gsl' | 'gsd' | 'gsq' | 'cyclic' | 'random', 'lipschitz' | 'diagonal' | 'matrix'][] = [
    ['gsq/matrix', 'gsq', 'matrix'],
    ['gs/lipschitz', 'gs', 'lipschitz'],
    ['gsl/lipschitz', 'gsl', 'lipschitz'],
    ['gsd/diagonal', 'gsd', 'diagonal'],
    ['random/matrix', 'random', 'matrix'],
    ['cyclic/lipschitz', 'cyclic', 'lipschitz'],
  ];
  for (const [name, rule, update] of cases) {
    it(`${name}: 1 shard, 3 shards (reordered execution) and single-process bcd agree bit for bit`, async () => {
      const cfg: BcdDriverConfig = { problem, blockSize: 5, rule, update, maxIter: 40, seed: 7 };
      const one = await runBcdDriver({ ...cfg, shards: 1 }, localExecutor([bcdShardJob]));
      const three = await runBcdDriver({ ...cfg, shards: 3 }, shuffledExecutor());
      const single = bcd(bcdJobProblem(problem), new Float64Array(64), { partition: 'order', blockSize: 5, rule, update, maxIter: 40, seed: 7 });
      expect(sameBits(one.x, three.x)).toBe(true);
      expect(sameBits(one.x, single.x)).toBe(true);
      expect(one.blocks).toEqual(three.blocks);
      expect(one.objective).toEqual(single.history.map((h) => h.f));
      expect(one.objective.at(-1)!).toBeLessThan(one.objective[0]);
      // The single-process blocks are the global block ids' columns.
      expect(single.history.slice(1).map((h) => h.block[0] / 5)).toEqual(one.blocks);
    });
  }

  it('logistic regression, GSQ with 4 shards, equals single-process bcd bit for bit', async () => {
    const spec = { kind: 'logistic' as const, rows: 70, cols: 48, seed: 5, density: 0.5 };
    const cfg = { problem: spec, blockSize: 4, rule: 'gsq', update: 'matrix', maxIter: 30 };
    const four = await runBcdDriver({ ...cfg, shards: 4 }, localExecutor([bcdShardJob]));
    const single = bcd(bcdJobProblem(spec), new Float64Array(48), { partition: 'order', blockSize: 4, rule: 'gsq', update: 'matrix', maxIter: 30 });
    expect(sameBits(four.x, single.x)).toBe(true);
    for (let k = 1; k < four.objective.length; k++) expect(four.objective[k]).toBeLessThanOrEqual(four.objective[k - 1]);
  });

  it('reports progress, honours abort, and runs through the driver entry', async () => {
    const seen: DriverProgress[] = [];
    const res = (await bcdDriver.run({ problem, shards: 2, maxIter: 5 }, localExecutor([bcdShardJob]), { onProgress: (p) => seen.push(p) })) as { iterations: number; objective: number[] };
    expect(res.iterations).toBe(5);
    expect(seen.map((p) => p.iteration)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[4].values.objective).toBe(res.objective[5]);
    expect(seen[0].total).toBe(5);
    const ac = new AbortController();
    const ab = await runBcdDriver({ problem, shards: 2, maxIter: 50 }, localExecutor([bcdShardJob]), { signal: ac.signal, onProgress: (p) => { if (p.iteration === 3) ac.abort(); } });
    expect(ab.reason).toBe('aborted');
    expect(ab.iterations).toBe(3);
  });

  it('the benchmark preset is a valid config', () => {
    const r = resolveBcdDriverConfig(bcdBenchmarkConfig);
    expect(r.shards).toBe(2);
    expect(r.problem.rows * r.problem.cols).toBeGreaterThanOrEqual(4000 * 2000);
  });
});

describe('distributed bcd: bad input', () => {
  const problem = { kind: 'least-squares', rows: 20, cols: 10 };
  it('config errors name the field', async () => {
    const ex = localExecutor([bcdShardJob]);
    expect(await codeOf(() => runBcdDriver(null, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'config' });
    expect(await codeOf(() => runBcdDriver({}, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'problem' });
    expect(await codeOf(() => runBcdDriver({ problem: { kind: 'least-squares', rows: 20 } }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'problem.cols' });
    expect(await codeOf(() => runBcdDriver({ problem: { ...problem, kind: 'svm' } }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'problem.kind' });
    expect(await codeOf(() => runBcdDriver({ problem, shards: -1 }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'shards' });
    expect(await codeOf(() => runBcdDriver({ problem, shards: 3, blockSize: 5 }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'shards' });
    expect(await codeOf(() => runBcdDriver({ problem, blockSize: 0 }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'blockSize' });
    expect(await codeOf(() => runBcdDriver({ problem, rule: 'gsx' }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'rule' });
    expect(await codeOf(() => runBcdDriver({ problem, update: 'newton' }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'update' });
    expect(await codeOf(() => runBcdDriver({ problem, maxIter: 1.5 }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'maxIter' });
    expect(await codeOf(() => runBcdDriver({ problem, sharsd: 2 }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'sharsd' });
    expect(await codeOf(() => runBcdDriver({ problem: { ...problem, density: 0 } }, ex))).toEqual({ code: 'INVALID_OPTION', argument: 'problem.density' });
  });

  it('the shard handler rejects bad headers and frames and is idempotent', () => {
    const header = { v: BCD_JOB_VERSION, problem, blockSize: 5, shards: 2, shard: 1, rule: 'gsq', update: 'matrix', gsNorm: 2 };
    const u = new Float64Array(20).fill(0.5);
    const a = bcdShardHandler(header, [toFrame(u)]);
    const b = bcdShardHandler(structuredClone(header), [toFrame(Float64Array.from(u))]);
    expect(a.header).toEqual(b.header);
    expect(a.header.blockId).toBe(1);
    expect(a.frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(b.frames.map((f) => Buffer.from(f).toString('hex')));
    const err = (h: Record<string, unknown>, frames = [toFrame(u)]) => {
      try {
        bcdShardHandler(h, frames);
      } catch (e) {
        expect(e).toBeInstanceOf(OptkitError);
        return (e as OptkitError).code;
      }
      return 'no error';
    };
    expect(err({ ...header, v: 2 })).toBe('PROTOCOL');
    expect(err({ ...header, shard: 2 })).toBe('INVALID_ARGUMENT');
    expect(err({ ...header, rule: 'nope' })).toBe('INVALID_ARGUMENT');
    expect(err({ ...header, rule: 'cyclic' })).toBe('INVALID_ARGUMENT');
    expect(err({ ...header, problem: { kind: 'least-squares', rows: -3, cols: 10 } })).toBe('INVALID_ARGUMENT');
    expect(err(header, [toFrame(new Float64Array(19))])).toBe('SHAPE_MISMATCH');
    expect(err(header, [])).toBe('SHAPE_MISMATCH');
    expect(err(header, [toFrame(Float64Array.from(u, (v, i) => (i === 4 ? NaN : v)))])).toBe('NOT_FINITE');
  });

  it('a handler error reaches the driver as an error, not a hang', async () => {
    const ex = localExecutor([{ id: 'bcd.shard', handler: () => { throw new OptkitError('REMOTE_ERROR', 'boom'); } }]);
    expect((await codeOf(() => runBcdDriver({ problem, maxIter: 3 }, ex))).code).toBe('REMOTE_ERROR');
  });
});
