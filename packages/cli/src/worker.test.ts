import { describe, expect, it } from 'vitest';
import { OptkitError, type ExperimentEntry } from '@optkit/core';
import { describeError, runExperimentEntry, type ProgressMessage } from './worker.js';

const entry = (run: ExperimentEntry['run']): ExperimentEntry => ({ id: 'e', card: 'c', title: 't', paper: { title: 'p' }, run });

describe('runExperimentEntry', () => {
  it('passes quick and seed, clamps progress to [0, 1] and normalises the result', async () => {
    const seen: ProgressMessage[] = [];
    const outcome = await runExperimentEntry(
      entry((ctx) => {
        ctx.progress(-1);
        ctx.progress(2, 'done');
        ctx.progress(NaN);
        return { claims: [{ claim: `${ctx.quick} ${ctx.seed}`, measured: 1, expected: '1', pass: true, gated: true }] };
      }),
      { quick: true, seed: 5, onProgress: (p) => seen.push(p) },
    );
    expect(seen).toEqual([{ fraction: 0 }, { fraction: 1, message: 'done' }, { fraction: 0 }]);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.claims[0].claim).toBe('true 5');
    expect(outcome.seconds).toBeGreaterThanOrEqual(0);
  });

  it('returns what an experiment throws, or a malformed result, as an error instead of throwing', async () => {
    const thrown = await runExperimentEntry(
      entry(async () => {
        throw new OptkitError('NOT_SPD', 'A is not SPD', 'A');
      }),
      { quick: false, seed: 0 },
    );
    expect(thrown).toMatchObject({ ok: false, error: 'NOT_SPD: A is not SPD' });
    const malformed = await runExperimentEntry(entry(() => ({}) as never), { quick: false, seed: 0 });
    expect(malformed).toMatchObject({ ok: false, error: 'experiment result has no claims array' });
    expect(describeError('plain')).toBe('plain');
  });
});
