import { lionVsAdamwExperiment } from './src/experiments/lion.ts';
const t0 = performance.now();
const r = await lionVsAdamwExperiment.run({ quick: false, seed: 0, progress: (f, m) => console.log('progress', f.toFixed(2), m, ((performance.now()-t0)/1000).toFixed(0)+'s') });
for (const c of r.claims) console.log(c.pass ? 'PASS' : 'FAIL', c.gated, c.claim, '|', c.measured);
console.log(r.tables[0].rows.map(String).join('\n'));
console.log('full', ((performance.now()-t0)/1000).toFixed(1));
