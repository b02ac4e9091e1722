import { OptkitError, localExecutor, toFrame, type JobExecutor } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { AlfLbBalancer, maxViolation } from './moe-balance.js';
import { MOE_ROUTE_VERSION, moeDriver, moeRouteJob, moeRouteTask, runMoe, shardRange, type MoeDriverConfig } from './moe-distributed.js';
import { SkewedScores } from './moe-synthetic.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The same job on one process, without any task machinery: route the whole batch, update. */
function singleProcess(cfg: Required<Pick<MoeDriverConfig, 'steps' | 'tokens' | 'layers' | 'seed' | 'updateRate'>> & { recenter?: boolean; skew?: { groups: number; amount: number } }) {
  const E = 16;
  const L = cfg.layers;
  const hist = new Float64Array((cfg.steps + 1) * L * E);
  const maxVio: number[] = [];
  const bals = Array.from({ length: L }, () => new AlfLbBalancer({ numExperts: E, topK: 2, updateRate: cfg.updateRate, recenter: cfg.recenter }));
  const gens = Array.from({ length: L }, (_, l) => new SkewedScores({ seed: cfg.seed, layer: l, skew: cfg.skew }));
  for (let n = 0; n < cfg.steps; n++) {
    for (let l = 0; l < L; l++) {
      hist.set(bals[l].bias, (n * L + l) * E);
      const r = bals[l].route(gens[l].batch(n, cfg.tokens), cfg.tokens);
      maxVio.push(maxViolation(r.counts));
      bals[l].update(r.counts);
    }
  }
  for (let l = 0; l < L; l++) hist.set(bals[l].bias, (cfg.steps * L + l) * E);
  return { hist, maxVio };
}

describe('moe driver: same bias history for any topology', () => {
  const exec = localExecutor([moeRouteJob]);
  it('1 shard, 3 shards, 7 shards with concurrency 2, and the single-process balancer give bit-identical bias histories', async () => {
    const base = { steps: 40, tokens: 601, layers: 2, seed: 9, updateRate: 1e-2, recenter: true };
    const ref = singleProcess(base);
    const one = await runMoe({ ...base, shards: 1 }, exec);
    const three = await runMoe({ ...base, shards: 3 }, exec);
    const seven = await runMoe({ ...base, shards: 7, concurrency: 2 }, exec);
    expect(bytes(one.biasHistory!).equals(bytes(ref.hist))).toBe(true);
    expect(bytes(three.biasHistory!).equals(bytes(ref.hist))).toBe(true);
    expect(bytes(seven.biasHistory!).equals(bytes(ref.hist))).toBe(true);
    expect(Array.from(three.maxVio)).toEqual(ref.maxVio);
    // The bias really moved, so the comparison is not vacuous.
    expect(Math.max(...ref.hist.subarray(ref.hist.length - 32).map(Math.abs))).toBeGreaterThan(0.05);
    expect(three.bias.length).toBe(2);
  });

  it('is not vacuous: the forbidden per-shard averaging gives a different history on a skewed stream, but the same with 1 shard', async () => {
    const base = { steps: 30, tokens: 512, seed: 1, updateRate: 1e-2, skew: { groups: 4, amount: 1.5 } };
    const glob = await runMoe({ ...base, shards: 4 }, exec);
    const avg4 = await runMoe({ ...base, shards: 4, aggregation: 'average-shard-signs' }, exec);
    const avg1 = await runMoe({ ...base, shards: 1, aggregation: 'average-shard-signs' }, exec);
    expect(bytes(avg1.biasHistory!).equals(bytes(glob.biasHistory!))).toBe(true);
    expect(bytes(avg4.biasHistory!).equals(bytes(glob.biasHistory!))).toBe(false);
  });

  it('the averaging variant is one sign step per shard on local counts, averaged (hand check of step 0)', async () => {
    const cfg = { steps: 1, tokens: 256, seed: 3, updateRate: 0.25, skew: { groups: 4, amount: 1.5 }, shards: 2 };
    const res = await runMoe({ ...cfg, aggregation: 'average-shard-signs' }, exec);
    const gen = new SkewedScores({ seed: 3, skew: cfg.skew });
    const s = gen.batch(0, 256);
    const expected = new Float64Array(16);
    for (const [a, b] of [shardRange(256, 0, 2), shardRange(256, 1, 2)]) {
      const c = new AlfLbBalancer({ numExperts: 16, topK: 2 }).route(s.subarray(a * 16, b * 16), b - a).counts;
      const cbar = c.reduce((x, y) => x + y, 0) / 16;
      for (let i = 0; i < 16; i++) expected[i] += (0.25 * Math.sign(cbar - c[i])) / 2;
    }
    expect(Array.from(res.bias[0])).toEqual(Array.from(expected));
  });

  it('reports progress {iteration, values: {maxVio}} and quality in (0, 1)', async () => {
    const seen: { iteration: number; maxVio: number }[] = [];
    const res = await moeDriver.run({ steps: 5, tokens: 128, shards: 2 }, exec, {
      onProgress: (p) => seen.push({ iteration: p.iteration, maxVio: p.values.maxVio }),
    }) as Awaited<ReturnType<typeof runMoe>>;
    expect(seen.map((p) => p.iteration)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[0].maxVio).toBe(res.maxVio[0]);
    for (const q of res.quality) expect(q > 0 && q < 1).toBe(true);
    expect(moeDriver.id).toBe('moe');
  });
});

describe('moe driver and task: bad input', () => {
  const exec = localExecutor([moeRouteJob]);
  const fails = async (config: unknown, arg: string, code = 'INVALID_OPTION') => {
    await expect(runMoe(config, exec)).rejects.toMatchObject({ code, argument: arg });
  };
  it('rejects invalid configs naming the field', async () => {
    await fails(null, 'config');
    await fails({}, 'steps');
    await fails({ steps: 0 }, 'steps');
    await fails({ steps: 3, shards: -2 }, 'shards');
    await fails({ steps: 3, tokens: 4, shards: 5 }, 'shards');
    await fails({ steps: 3, topK: 17 }, 'topK');
    await fails({ steps: 3, updateRate: Number.NaN }, 'updateRate');
    await fails({ steps: 3, updateRate: '1e-3' }, 'updateRate');
    await fails({ steps: 3, aggregation: 'mean' }, 'aggregation');
    await fails({ steps: 3, stpes: 4 }, 'stpes');
    await fails({ steps: 3, skew: { groups: 3, amount: 1 } }, 'skew.groups');
    await fails({ steps: 3, groups: { numGroups: 4 } }, 'groups.keepGroups');
  });

  it('task: wrong version, NaN or mis-sized bias, bad header field', () => {
    const h = { v: MOE_ROUTE_VERSION, step: 0, shard: 0, numShards: 1, tokens: 8, layers: 1, numExperts: 4, topK: 2, dim: 3, seed: 0 };
    const ok = moeRouteTask(h, [toFrame(new Float64Array(4))]);
    expect(ok.header.tokens).toBe(8);
    const err = (f: () => unknown) => {
      try { f(); } catch (e) { expect(e).toBeInstanceOf(OptkitError); return `${(e as OptkitError).code}:${(e as OptkitError).argument}`; }
      return 'no error';
    };
    expect(err(() => moeRouteTask({ ...h, v: 2 }, [toFrame(new Float64Array(4))]))).toBe('PROTOCOL:header.v');
    expect(err(() => moeRouteTask(h, [toFrame(new Float64Array([0, Number.NaN, 0, 0]))]))).toBe('NOT_FINITE:bias');
    expect(err(() => moeRouteTask(h, [toFrame(new Float64Array(5))]))).toBe('SHAPE_MISMATCH:frame');
    expect(err(() => moeRouteTask(h, []))).toBe('INVALID_ARGUMENT:frames');
    expect(err(() => moeRouteTask({ ...h, shard: 1 }, [toFrame(new Float64Array(4))]))).toBe('INVALID_ARGUMENT:header.shard');
    expect(err(() => moeRouteTask({ ...h, topK: 5 }, [toFrame(new Float64Array(4))]))).toBe('INVALID_ARGUMENT:header.topK');
  });

  it('a reply for the wrong shard or step is a PROTOCOL error; an aborted signal stops the job', async () => {
    const swapped: JobExecutor = {
      submit: (s, r, o) => exec.submit(s, r, o),
      map: async (s, reqs, o) => (await exec.map(s, reqs, o)).reverse(),
    };
    await expect(runMoe({ steps: 2, tokens: 64, shards: 2 }, swapped)).rejects.toMatchObject({ code: 'PROTOCOL' });
    const corrupt: JobExecutor = {
      submit: (s, r, o) => exec.submit(s, r, o),
      map: async (s, reqs, o) => {
        const reps = await exec.map(s, reqs, o);
        const c = new Int32Array(reps[1].frames![0].slice().buffer);
        c[0] += 1;
        reps[1].frames![0] = toFrame(c);
        return reps;
      },
    };
    await expect(runMoe({ steps: 2, tokens: 64, shards: 2 }, corrupt)).rejects.toMatchObject({ code: 'PROTOCOL' });
    const ac = new AbortController();
    ac.abort();
    await expect(runMoe({ steps: 2, tokens: 64 }, exec, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
