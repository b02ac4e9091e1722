/**
 * Trains the DCDM network shipped in packages/linalg/models/dcdm-poisson16/ (deep-conjugate-direction.md,
 * section 4, "CPU-sized 2-D analogue"): the 16×16 Dirichlet Poisson matrix (core `poisson2d(16)`,
 * n = 256); 2000 unit-norm samples from its Ritz vectors (Lanczos with m = n = 256 steps and full
 * reorthogonalisation, i.e. the exact eigenvectors; the cut = m/2 + 0.05·m = 141 smallest weighted 9×);
 * the 2-D net with 8 channels (7 convs, one pooling level, Dense(1)); Adam lr 1e-3, batch 8, 500 steps;
 * every seed 0. The loss uses A as the fixed 5-point stencil. Runs on one core (tfjs wasm is
 * single-threaded in Node) in about 100 s.
 *
 *   node --conditions=@optkit/source --import tsx tools/train-dcdm.ts [--steps 500] [--seed 0] [--out DIR]
 *
 * Writes DIR/model.json (default packages/linalg/models/dcdm-poisson16): the weights as base64 float32
 * plus the recipe, the loss history and the held-out loss in `metadata` (no timings or dates, so the
 * same seed and backend give the same file).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { poisson2d } from '../packages/core/src/index.js';
import { useBestBackend } from '../packages/core/src/tf/index.js';
import { ritzTrainingSet } from '../packages/linalg/src/dcdm-training-set.js';
import { buildDcdmNet } from '../packages/linalg/src/tf/dcdm-net.js';
import { POISSON2D_STENCIL, evaluateDcdmLoss, trainDcdm } from '../packages/linalg/src/tf/dcdm-train.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    seed: { type: 'string', default: '0' },
    samples: { type: 'string', default: '2000' },
    channels: { type: 'string', default: '8' },
    lr: { type: 'string', default: '1e-3' },
    batch: { type: 'string', default: '8' },
    out: { type: 'string', default: join(here, '../packages/linalg/models/dcdm-poisson16') },
  },
});
const N = 16;
const steps = Number(values.steps);
const seed = Number(values.seed);
const samples = Number(values.samples);
const channels = Number(values.channels);
const lr = Number(values.lr);
const batchSize = Number(values.batch);

const { tf, backend } = await useBestBackend();
const A = poisson2d(N);
const t0 = performance.now();
const data = ritzTrainingSet(A, { lanczosSteps: N * N, samples, seed });
// Held out: the same distribution from a different seed (for the loss the experiment reports).
const heldOut = ritzTrainingSet(A, { lanczosSteps: N * N, samples: 200, seed: seed + 1000 });
console.log(`data: ${samples} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s; backend ${backend}`);
const net = buildDcdmNet({ shape: [N, N], channels, seed }, tf);
const initialLoss = evaluateDcdmLoss(net, POISSON2D_STENCIL, heldOut);
const result = await trainDcdm(net, POISSON2D_STENCIL, data, {
  lr,
  batchSize,
  steps,
  seed,
  onStep: (s, loss) => {
    if (s % 50 === 0 || s === steps) console.log(`step ${s}: loss ${loss.toFixed(4)}`);
  },
});
const heldOutLoss = evaluateDcdmLoss(net, POISSON2D_STENCIL, heldOut);
console.log(`final loss (mean of last 10% of steps) ${result.finalLoss.toFixed(4)}, held-out loss ${heldOutLoss.toFixed(4)} (initial ${initialLoss.toFixed(4)}), ${result.seconds.toFixed(1)} s`);

const json = net.toJSON({
  card: 'deep-conjugate-direction',
  problem: `poisson2d(${N}) (5-point Dirichlet Laplacian, n = ${N * N})`,
  data: { generator: 'ritzTrainingSet', lanczosSteps: N * N, samples, theta: Math.round(0.05 * N * N), lowWeight: 9, seed },
  training: { optimizer: 'adam', lr, batchSize, steps, seed, backend },
  finalLoss: result.finalLoss,
  heldOutLoss,
  initialHeldOutLoss: initialLoss,
  lossHistory: result.lossHistory.map((v) => Number(v.toPrecision(4))),
  script: 'tools/train-dcdm.ts',
});
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.json'), JSON.stringify(json) + '\n');
console.log(`wrote ${join(out, 'model.json')} (${net.size} weights)`);
net.dispose();
