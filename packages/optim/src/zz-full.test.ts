import { it } from 'vitest';
import { mfacExperiment } from './experiments/mfac.js';
import { refinedSchedulesExperiment } from './experiments/refined-schedules.js';
import { batchSizeLrExperiment } from './experiments/batch-size-lr.js';
import { normalizedLrGdExperiment } from './experiments/normalized-lr-gd.js';
it('full', async () => {
  for (const e of [normalizedLrGdExperiment, batchSizeLrExperiment, mfacExperiment, refinedSchedulesExperiment]) {
    const t0 = performance.now();
    const r = await e.run({ quick: false, seed: 0, progress: () => {} });
    console.log('EXP', e.id, ((performance.now() - t0) / 1000).toFixed(1), 's');
    for (const c of r.claims) console.log('CLAIM', e.id, c.gated ? 'G' : 'R', c.pass ? 'PASS' : 'FAIL', c.claim, '|', c.measured, '|', c.expected);
    for (const t of r.tables ?? []) console.log('TABLE', JSON.stringify(t));
  }
}, 900000);
