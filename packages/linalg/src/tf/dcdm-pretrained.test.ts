import { describe, expect, it } from 'vitest';
import { OptkitError, Rng, csrOperator, poisson2d } from '@optkit/core';
import { dcdm } from '../dcdm.js';
import { deepConjugateDirection, loadPretrainedDcdm, pretrainedDcdmPath } from './dcdm-pretrained.js';

describe('loadPretrainedDcdm', () => {
  it('finds the shipped model at the package root and solves a 16x16 Poisson system in fewer iterations than CG', async () => {
    expect(pretrainedDcdmPath()).toMatch(/packages\/linalg\/models\/dcdm-poisson16\/model\.json$/);
    const { net, model, shape, metadata } = await loadPretrainedDcdm();
    expect(shape).toEqual([16, 16]);
    expect(typeof metadata.finalLoss).toBe('number');
    const A = csrOperator(poisson2d(16));
    const b = new Rng(123).fillNormal(new Float64Array(256));
    const learned = await dcdm(A, b, model, { rtol: 1e-4 });
    const cgLike = await dcdm(A, b, (r) => r.slice(), { rtol: 1e-4, maxIter: 1000 });
    expect(learned.reason).toBe('converged');
    expect(learned.residualNorm).toBeLessThanOrEqual(1e-4 * Math.hypot(...b));
    expect(learned.iterations).toBeLessThan(cgLike.iterations);
    expect(learned.modelCalls).toBe(learned.iterations);
    // The model is for 256 unknowns: a 12×12 system is refused, not silently mis-shaped.
    const small = csrOperator(poisson2d(12));
    await expect(dcdm(small, new Float64Array(144).fill(1), model)).rejects.toThrow(OptkitError);
    await expect(dcdm(small, new Float64Array(144).fill(1), model)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    net.dispose();
  });

  it('deepConjugateDirection solves with the shipped model by default, or with a given one', async () => {
    const A = csrOperator(poisson2d(16));
    const b = new Rng(7).fillNormal(new Float64Array(256));
    const r = await deepConjugateDirection(A, b, { rtol: 1e-6 });
    expect(r.reason).toBe('converged');
    expect(r.iterations).toBeLessThan(30);
    const id = await deepConjugateDirection(A, b, { rtol: 1e-6, maxIter: 1000, model: (v) => v.slice() });
    expect(id.iterations).toBeGreaterThan(r.iterations);
    await expect(deepConjugateDirection(csrOperator(poisson2d(8)), new Float64Array(64).fill(1))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });

  it('rejects an unknown model name', async () => {
    await expect(loadPretrainedDcdm({ name: 'nope' as 'dcdm-poisson16' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
