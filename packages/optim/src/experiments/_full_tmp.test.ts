import { it } from 'vitest';
import { lambExperiment } from './lamb.js';
it('full', async () => {
  const t0 = Date.now();
  const r = await lambExperiment.run({ quick: false, seed: 0, progress: (f, m) => console.log('PROG', f.toFixed(2), m, (Date.now() - t0) / 1000) });
  for (const c of r.claims) console.log(`CLAIM ${c.pass ? 'PASS' : 'FAIL'} ${c.gated ? 'gated' : 'report'} | ${c.claim} | ${c.measured}`);
  for (const t of r.tables ?? []) console.log('TABLE', JSON.stringify(t));
  console.log('TIME', (Date.now() - t0) / 1000);
}, 1_500_000);
