/**
 * issue 5, "Same answer regardless of topology", for the two real workloads of @optkit/optim:
 * distributed greedy BCD (`bcd`) gives bit-identical iterates and objective history, and ALF-LB MoE
 * balancing (`moe`) a bit-identical bias history, with 1 worker process, 3 worker processes, and 3
 * where one is killed with SIGKILL mid-job, one joins late and the broker is restarted once.
 *
 * Tolerance: none. BCD's only cross-shard reduction is an argmax with ties broken by block id, and
 * each shard's arithmetic runs in a fixed order, so the result does not even depend on reduction
 * order (bcd-distributed.ts); MoE sums integer counts in shard order before the sign step.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { localExecutor, type JobExecutor } from '@optkit/core';
import { plugin as optimJobs } from './fixtures/optim-jobs.js';
import { Harness } from './harness.js';

const OPTIM_JOBS = fileURLToPath(new URL('./fixtures/optim-jobs.ts', import.meta.url));
const SERVICES = 2;

const BCD = {
  problem: { kind: 'least-squares', rows: 300, cols: 96, seed: 3, density: 1 },
  shards: 4,
  blockSize: 6,
  rule: 'gsq',
  update: 'matrix',
  maxIter: 40,
} as const;
const MOE = { steps: 40, tokens: 512, shards: 4, numExperts: 8, topK: 2, dim: 8, seed: 5, skew: { groups: 4, amount: 1.5 }, updateRate: 1e-2 };

type Chaos = { atRound: number; action: () => Promise<void> }[];

/**
 * An executor over `inner` that, at the given round numbers (1-based count of map calls), starts the
 * round's map and then runs the action while the round's tasks are in flight, so a SIGKILL or a
 * broker restart lands mid-job with tasks outstanding.
 */
function chaosExecutor(inner: JobExecutor, chaos: Chaos): JobExecutor & { rounds: () => number } {
  let round = 0;
  return {
    submit: (s, r, o) => inner.submit(s, r, o),
    map: async (s, r, o) => {
      round++;
      const pending = inner.map(s, r, o);
      for (const c of chaos) if (c.atRound === round) await c.action();
      return pending;
    },
    rounds: () => round,
  };
}

const h = new Harness();
afterAll(() => h.cleanup());

describe('same answer regardless of topology: bcd and moe drivers of @optkit/optim', () => {
  it('1 worker, 3 workers, and 3 workers with SIGKILL + late join + broker restart agree bit for bit', async () => {
    const local = localExecutor([optimJobs]);
    const bcd = optimJobs.drivers.find((d) => d.id === 'bcd')!;
    const moe = optimJobs.drivers.find((d) => d.id === 'moe')!;
    type BcdOut = { x: Float64Array; objective: number[]; blocks: number[] };
    type MoeOut = { biasHistory: Float64Array; maxVio: Float64Array };
    const bcdRef = (await bcd.run(BCD, local, {})) as BcdOut;
    const moeRef = (await moe.run(MOE, local, {})) as MoeOut;
    // The references do what the methods promise: BCD descends, ALF-LB reduces the max violation.
    expect(bcdRef.objective[bcdRef.objective.length - 1]).toBeLessThan(0.5 * bcdRef.objective[0]);
    expect(moeRef.maxVio[moeRef.maxVio.length - 1]).toBeLessThan(moeRef.maxVio[0]);

    const spawn = () => h.spawnWorker({ plugins: [OPTIM_JOBS] });
    await h.startBroker();
    const victim = await spawn();
    await h.registered(SERVICES);
    const c = h.client({ timeoutMs: 20_000 });
    const check = async (executor: JobExecutor, label: string) => {
      const b = (await bcd.run(BCD, executor, {})) as BcdOut;
      expect(Array.from(b.x), `${label}: bcd x`).toEqual(Array.from(bcdRef.x));
      expect(b.objective, `${label}: bcd objective`).toEqual(bcdRef.objective);
      expect(b.blocks, `${label}: bcd blocks`).toEqual(bcdRef.blocks);
      const m = (await moe.run(MOE, executor, {})) as MoeOut;
      expect(Array.from(m.biasHistory), `${label}: moe bias history`).toEqual(Array.from(moeRef.biasHistory));
    };
    await check(c, '1 worker');

    await Promise.all([spawn(), spawn()]);
    await h.registered(3 * SERVICES);
    await check(c, '3 workers');

    // Chaos: SIGKILL one worker with a round in flight, start one more and wait for it to serve,
    // restart the broker with a round in flight; for each driver.
    for (const run of ['bcd', 'moe'] as const) {
      const target = run === 'bcd' ? victim : h.workers[h.workers.length - 1];
      const chaos = chaosExecutor(c, [
        { atRound: 5, action: async () => void target.child.kill('SIGKILL') },
        { atRound: 8, action: async () => void (await spawn()) },
        { atRound: 12, action: async () => void (await h.restartBroker(200)) },
      ]);
      if (run === 'bcd') {
        const b = (await bcd.run(BCD, chaos, {})) as BcdOut;
        expect(Array.from(b.x)).toEqual(Array.from(bcdRef.x));
        expect(b.objective).toEqual(bcdRef.objective);
      } else {
        const m = (await moe.run(MOE, chaos, {})) as MoeOut;
        expect(Array.from(m.biasHistory)).toEqual(Array.from(moeRef.biasHistory));
      }
      expect(chaos.rounds()).toBe(40);
      expect((await target.exited).signal).toBe('SIGKILL');
    }
    expect(c.stats().reconnects).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
