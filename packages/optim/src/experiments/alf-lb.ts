/**
 * Validation experiment of shared/methods/alf-lb.md (section 4) and issue 5's "Must show":
 * - E1, static batch: ALF-LB as a dual method on fixed scores, against the exact balanced assignment;
 * - E2, online (fresh batch every step): ALF-LB drives MaxVio from about 5 to about 0.1 with u = 1e-3
 *   while keeping routing quality; no balancing stays at about 5; the auxiliary-loss baseline is reported;
 * - E3, sharding: the distributed driver's bias history is bit-identical for 1, 2 and 4 shards, and
 *   averaging per-shard sign updates balances the global load far worse on a shard-skewed stream.
 */
import type { Claim, ExperimentContext, ExperimentEntry, ExperimentResult, SeriesPlot, Table } from '@optkit/core';

const E = 16;
const K = 2;
const D = 16;

function windowMean(a: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s / (to - from);
}

/** Points every `stride` steps, each the mean over the `stride` steps ending there (keeps plots small). */
function smooth(a: ArrayLike<number>, stride: number): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i + stride <= a.length; i += stride) {
    x.push(i + stride - 1);
    y.push(windowMean(a, i, i + stride));
  }
  return { x, y };
}

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toPrecision(digits)) : v);

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const { AlfLbBalancer, dualValue, maxViolation, solveAssignmentExact } = await import('../moe-balance.js');
  const { SkewedScores } = await import('../moe-synthetic.js');
  const { AuxLossRouter } = await import('../moe-aux-loss.js');
  const { averageShardSignUpdate, moeRouteJob, runMoe, shardRange } = await import('../moe-distributed.js');
  const { localExecutor } = await import('@optkit/core');
  const quick = ctx.quick;
  const seed = ctx.seed;
  const claims: Claim[] = [];
  const plots: SeriesPlot[] = [];
  const tables: Table[] = [];
  const notes: string[] = [];
  const check = () => {
    if (ctx.signal?.aborted) throw new Error('alf-lb experiment aborted');
  };

  // ---------------- E1: static batch ----------------
  const T1 = quick ? 1024 : 2048;
  const steps1 = quick ? 2000 : 5000;
  ctx.progress(0, `E1 static batch, T = ${T1}`);
  const gen1 = new SkewedScores({ numExperts: E, dim: D, seed });
  const s1 = gen1.batch(0, T1);
  const lp = solveAssignmentExact(s1, T1, { numExperts: E, topK: K });
  const free = new AlfLbBalancer({ numExperts: E, topK: K }).route(s1, T1);
  // The annealed run's gate is stated at the card's 5000 steps; it runs that long in quick mode too (a
  // shorter run leaves its dual gap near 1e-3 on some seeds: 0.4–1.1e-3 after 2000 steps at seeds 0–7).
  const stepsAnnealed = Math.max(steps1, 5000);
  const e1Rules: { name: string; opts: { updateRate: number; schedule?: 'annealed' }; steps?: number }[] = [
    { name: 'sign, u=1e-3', opts: { updateRate: 1e-3 } },
    { name: 'sign, u_n=1e-2/√(n+1)', opts: { updateRate: 1e-2, schedule: 'annealed' }, steps: stepsAnnealed },
    ...(quick ? [] : [
      { name: 'sign, u=1e-2', opts: { updateRate: 1e-2 } },
      { name: 'sign, u=1e-4', opts: { updateRate: 1e-4 } },
    ]),
  ];
  const e1: Record<string, { maxVio: Float64Array; dual: Float64Array; objective: Float64Array; bias: Float64Array[] }> = {};
  {
    const experts = new Int32Array(T1 * K);
    const weights = new Float32Array(T1 * K);
    const counts = new Int32Array(E);
    for (const rule of e1Rules) {
      check();
      const bal = new AlfLbBalancer({ numExperts: E, topK: K, ...rule.opts });
      const steps = rule.steps ?? steps1;
      const rec = { maxVio: new Float64Array(steps), dual: new Float64Array(steps), objective: new Float64Array(steps), bias: [] as Float64Array[] };
      for (let n = 0; n < steps; n++) {
        const r = bal.routeUnchecked(s1, T1, experts, weights, counts);
        const b = bal.bias;
        rec.maxVio[n] = maxViolation(counts);
        rec.dual[n] = dualValue(r, b, T1, K);
        rec.objective[n] = r.scoreSum;
        if (n >= steps - 200) rec.bias.push(b);
        bal.update(counts);
      }
      e1[rule.name] = rec;
    }
  }
  const firstBelow = (a: Float64Array, thr: number) => {
    for (let i = 0; i < a.length; i++) if (a[i] < thr) return i;
    return Number.POSITIVE_INFINITY;
  };
  const e1Rows: (string | number)[][] = [];
  for (const rule of e1Rules) {
    const r = e1[rule.name];
    const n = r.maxVio.length;
    e1Rows.push([
      n === steps1 ? rule.name : `${rule.name} (${n} steps)`,
      firstBelow(r.maxVio, 0.1),
      fmt(windowMean(r.maxVio, n - 1000, n)),
      fmt(r.dual[n - 1] - lp.objective),
      fmt(windowMean(r.objective, n - 1000, n) / lp.objective, 6),
    ]);
  }
  tables.push({
    title: `E1 static batch (T = ${T1}, ${steps1} steps): LP optimum ${lp.objective.toFixed(3)}; no balancing: objective ${free.scoreSum.toFixed(1)}, MaxVio ${maxViolation(free.counts).toFixed(2)}`,
    columns: ['rule', 'first step with MaxVio < 0.1', 'mean MaxVio, last 1000', 'D(b) − LP optimum at the end', 'primal objective / LP optimum (last 1000 mean)'],
    rows: e1Rows,
  });
  const e1u3 = e1['sign, u=1e-3'];
  const e1ann = e1['sign, u_n=1e-2/√(n+1)'];
  const e1First = firstBelow(e1u3.maxVio, 0.1);
  claims.push({
    claim: `E1 static: sign rule, u = 1e-3 brings MaxVio below 0.1 by step 400 (card gate; card prototype: step 296), T = ${T1}`,
    measured: e1First,
    expected: '<= 400',
    pass: e1First <= 400,
    gated: true,
  });
  const e1Late = windowMean(e1u3.maxVio, steps1 - 1000, steps1);
  claims.push({
    claim: 'E1 static: sign rule, u = 1e-3: mean MaxVio over the last 1000 steps (card gate; prototype 0.023)',
    measured: fmt(e1Late),
    expected: '< 0.05',
    pass: e1Late < 0.05,
    gated: true,
  });
  const annGap = e1ann.dual[stepsAnnealed - 1] - lp.objective;
  claims.push({
    claim: `E1 static: the annealed run u_n = 1e-2/√(n+1) gets D(b) within 1e-3 of the exact LP optimum (${lp.objective.toFixed(3)}, min-cost-flow oracle) after ${stepsAnnealed} steps (card gate; prototype 3e-4 after 5000)`,
    measured: fmt(annGap),
    expected: 'in [0, 1e-3]',
    pass: annGap >= -1e-9 && annGap <= 1e-3,
    gated: true,
  });
  const e1Quality = windowMean(e1u3.objective, steps1 - 1000, steps1) / lp.objective;
  claims.push({
    claim: 'E1 static: routing quality is kept: with u = 1e-3 the routed score sum (mean, last 1000 steps) is within 0.5% of the best balanced assignment (LP optimum) (our threshold; the card states none)',
    measured: fmt(e1Quality, 6),
    expected: 'in [0.995, 1.005]',
    pass: Math.abs(e1Quality - 1) <= 0.005,
    gated: true,
  });
  {
    let dualUp = 0;
    for (let n = 1; n < 200; n++) if (e1u3.dual[n] > e1u3.dual[n - 1] + 1e-9) dualUp++;
    claims.push({
      claim: 'E1 static: dual monotonicity for small u: D(b_n) does not increase on the first 200 steps at u = 1e-3 (card property; prototype: all 200)',
      measured: `${199 - dualUp}/199 steps non-increasing`,
      expected: '199/199',
      pass: dualUp === 0,
      gated: false,
    });
    let p2p = 0;
    for (let i = 0; i < E; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const b of e1u3.bias) {
        lo = Math.min(lo, b[i]);
        hi = Math.max(hi, b[i]);
      }
      p2p = Math.max(p2p, hi - lo);
    }
    claims.push({
      claim: 'E1 static: fixed u ends in an oscillation whose bias peak-to-peak is about u (largest over experts, last 200 steps, u = 1e-3) (card property)',
      measured: fmt(p2p),
      expected: '≈ 1e-3 (a few u)',
      pass: p2p <= 5e-3,
      gated: false,
    });
  }
  plots.push({
    kind: 'series',
    title: `E1 static batch: MaxVio vs step (T = ${T1})`,
    xLabel: 'step',
    yLabel: 'MaxVio',
    logY: true,
    series: e1Rules.map((r) => ({ name: r.name, ...smooth(e1[r.name].maxVio.map((v) => Math.max(v, 1e-3)), 10) })),
  });

  // ---------------- E2: online ----------------
  const T2 = quick ? 1024 : 2048;
  const steps2 = quick ? 2000 : 3000;
  ctx.progress(0.25, `E2 online, T = ${T2}`);
  const gen2 = new SkewedScores({ numExperts: E, dim: D, seed: seed + 1 });
  const e2Rules: { name: string; opts: Record<string, unknown> }[] = [
    { name: 'no balancing', opts: { updateRate: 0 } },
    { name: 'sign, u=1e-4', opts: { updateRate: 1e-4 } },
    { name: 'sign, u=1e-3', opts: { updateRate: 1e-3 } },
    { name: 'sign, u=1e-2', opts: { updateRate: 1e-2 } },
    { name: 'sign, 0.05/(1+n/50)', opts: { updateRate: 0.05, schedule: 'inverseTime', inverseTimeSteps: 50 } },
  ];
  const auxAlphas = quick ? [] : [1e-3, 1e-1, 1];
  const e2Bal = e2Rules.map((r) => new AlfLbBalancer({ numExperts: E, topK: K, ...r.opts }));
  const auxRouters = auxAlphas.map((alpha) => new AuxLossRouter({ numExperts: E, topK: K, dim: D, weights: gen2.expertVectors, offsets: gen2.offsets, alpha, lr: 1 }));
  const e2Vio = e2Rules.map(() => new Float64Array(steps2));
  const e2Q = e2Rules.map(() => new Float64Array(steps2));
  const auxVio = auxAlphas.map(() => new Float64Array(steps2));
  const auxQ = auxAlphas.map(() => new Float64Array(steps2));
  // Late batches on which the exact balanced optimum is computed (a single batch is noisy: ±1%).
  const samples = quick ? 5 : 8;
  const sampleSteps = Array.from({ length: samples }, (_, i) => steps2 - 1000 + Math.round(((i + 0.5) * 1000) / samples));
  const lpSamples: { step: number; lp: number; alf: number }[] = [];
  {
    const s = new Float64Array(T2 * E);
    const x = new Float64Array(T2 * D);
    const experts = new Int32Array(T2 * K);
    const weights = new Float32Array(T2 * K);
    const counts = new Int32Array(E);
    const alfIndex = e2Rules.findIndex((r) => r.name === 'sign, u=1e-3');
    for (let n = 0; n < steps2; n++) {
      if (n % 100 === 0) {
        check();
        ctx.progress(0.25 + (0.45 * n) / steps2, `E2 online step ${n}`);
      }
      gen2.fill(n, 0, T2, T2, s, x);
      for (let v = 0; v < e2Rules.length; v++) {
        const r = e2Bal[v].routeUnchecked(s, T2, experts, weights, counts);
        e2Vio[v][n] = maxViolation(counts);
        e2Q[v][n] = r.scoreSum / (T2 * K);
        e2Bal[v].update(counts);
      }
      const p0 = auxRouters.length > 0 ? auxRouters[0].referenceProbabilities(x, T2) : undefined;
      for (let a = 0; a < auxAlphas.length; a++) {
        const st = auxRouters[a].step(x, T2, { p0 });
        auxVio[a][n] = maxViolation(st.counts);
        let q = 0;
        for (let k = 0; k < T2 * K; k++) q += s[Math.floor(k / K) * E + st.experts[k]];
        auxQ[a][n] = q / (T2 * K);
      }
      if (sampleSteps.includes(n)) {
        lpSamples.push({ step: n, lp: solveAssignmentExact(s, T2, { numExperts: E, topK: K }).objective / (T2 * K), alf: e2Q[alfIndex][n] });
      }
    }
  }
  const last = (a: Float64Array) => windowMean(a, steps2 - 1000, steps2);
  const byName = (name: string) => e2Rules.findIndex((r) => r.name === name);
  const e2Rows: (string | number)[][] = e2Rules.map((r, v) => [
    r.name,
    fmt(windowMean(e2Vio[v], 0, 300)),
    fmt(windowMean(e2Vio[v], 300, 1000)),
    fmt(last(e2Vio[v])),
    fmt(last(e2Q[v]), 5),
  ]);
  auxAlphas.forEach((alpha, a) => e2Rows.push([`aux loss α=${alpha} (softmax router, SGD lr 1)`, fmt(windowMean(auxVio[a], 0, 300)), fmt(windowMean(auxVio[a], 300, 1000)), fmt(last(auxVio[a])), fmt(last(auxQ[a]), 5)]));
  tables.push({
    title: `E2 online (fresh batch every step, T = ${T2}, ${steps2} steps): mean MaxVio per window and routing quality (mean unbiased affinity of the chosen experts)`,
    columns: ['rule', 'MaxVio 0–300', 'MaxVio 300–1000', `MaxVio last 1000`, 'quality, last 1000'],
    rows: e2Rows,
  });
  const u3 = byName('sign, u=1e-3');
  const u2 = byName('sign, u=1e-2');
  const u4 = byName('sign, u=1e-4');
  const none = byName('no balancing');
  claims.push({
    claim: `E2 online: u = 1e-3 beats u = 1e-2 on the last 1000 steps (card gate; prototype 0.115 vs 0.202 at T = 2048), T = ${T2}`,
    measured: `${fmt(last(e2Vio[u3]))} vs ${fmt(last(e2Vio[u2]))}`,
    expected: 'first < second',
    pass: last(e2Vio[u3]) < last(e2Vio[u2]),
    gated: true,
  });
  const early = e2Rules.map((_, v) => windowMean(e2Vio[v], 0, 1000));
  const balancedRules = e2Rules.map((_, v) => v).filter((v) => v !== none);
  const worstEarly = balancedRules.reduce((w, v) => (early[v] > early[w] ? v : w), balancedRules[0]);
  claims.push({
    claim: 'E2 online: u = 1e-4 is the worst ALF-LB rule over steps 0–1000 (card gate)',
    measured: `${e2Rules[worstEarly].name} (${fmt(early[worstEarly])})`,
    expected: 'sign, u=1e-4',
    pass: worstEarly === u4,
    gated: true,
  });
  const start = e2Vio[u3][0];
  const floor = T2 >= 2048 ? 0.15 : 0.2;
  claims.push({
    claim: `E2 online (issue 5): ALF-LB with u = 1e-3 drives MaxVio from about 5 (step 0, b = 0) to about 0.1 (mean of the last 1000 steps; card: 0.115 at T = 2048, the sampling floor; higher at T = 1024)`,
    measured: `${fmt(start)} → ${fmt(last(e2Vio[u3]))} (${fmt(start / last(e2Vio[u3]))}x lower)`,
    // The start is a property of the seeded offsets β ~ N(0, 1), not of the method: the card's single
    // numpy draw gave ≈ 5.2, other draws give 2–6, so the gate is the reduction to the sampling floor.
    expected: `end <= ${floor} and at least 10x below the start`,
    pass: last(e2Vio[u3]) <= floor && start >= 10 * last(e2Vio[u3]),
    gated: true,
  });
  claims.push({
    claim: 'E2 online: no balancing does not: its MaxVio over the last 1000 steps stays at the initial level',
    measured: fmt(last(e2Vio[none])),
    expected: `>= 0.8x its start ${fmt(e2Vio[none][0])} (and >= 10x ALF-LB's ${fmt(last(e2Vio[u3]))})`,
    pass: last(e2Vio[none]) >= 0.8 * e2Vio[none][0] && last(e2Vio[none]) >= 10 * last(e2Vio[u3]),
    gated: true,
  });
  const qRatios = lpSamples.map((p) => p.alf / p.lp);
  const meanRatio = qRatios.reduce((x, y) => x + y, 0) / qRatios.length;
  claims.push({
    claim: `E2 online: routing quality is kept: over ${qRatios.length} sampled batches of the last 1000 steps, the u = 1e-3 routing's score sum averages within 1% of each batch's best balanced assignment (exact LP; single batches scatter by about ±1% since the routing is balanced only to MaxVio ≈ 0.1) (our threshold; the card states none)`,
    measured: `${fmt(meanRatio, 5)} (range ${fmt(Math.min(...qRatios), 4)}–${fmt(Math.max(...qRatios), 4)})`,
    expected: 'mean in [0.99, 1.01]',
    pass: Math.abs(meanRatio - 1) <= 0.01,
    gated: true,
  });
  if (auxAlphas.length > 0) {
    const auxLate = auxAlphas.map((_, a) => last(auxVio[a]));
    claims.push({
      claim: `E2 online, auxiliary-loss baseline (our stand-in softmax router, α ∈ {${auxAlphas.join(', ')}}; α = 1e-3 is Wang et al.'s): MaxVio over the last 1000 steps vs ALF-LB u = 1e-3 (Wang et al. at 1B scale: 0.72 vs 0.04; different setting, report only)`,
      measured: `${auxAlphas.map((al, a) => `α=${al}: ${fmt(auxLate[a])}`).join(', ')} vs ${fmt(last(e2Vio[u3]))}`,
      expected: 'aux loss worse at every α',
      pass: auxLate.every((v) => v > last(e2Vio[u3])),
      gated: false,
    });
  }
  plots.push({
    kind: 'series',
    title: `E2 online: MaxVio vs step (T = ${T2}, 20-step means)`,
    xLabel: 'step',
    yLabel: 'MaxVio',
    logY: true,
    series: [
      ...e2Rules.map((r, v) => ({ name: r.name, ...smooth(e2Vio[v], 20) })),
      ...auxAlphas.map((alpha, a) => ({ name: `aux loss α=${alpha}`, ...smooth(auxVio[a], 20) })),
    ],
  });
  plots.push({
    kind: 'series',
    title: `E2 online: routing quality vs step (mean unbiased affinity of chosen experts; T = ${T2})`,
    xLabel: 'step',
    yLabel: 'mean chosen affinity',
    series: [
      ...e2Rules.map((r, v) => ({ name: r.name, ...smooth(e2Q[v], 20) })),
      ...auxAlphas.map((alpha, a) => ({ name: `aux loss α=${alpha}`, ...smooth(auxQ[a], 20) })),
      { name: 'exact balanced optimum (sampled batches)', x: lpSamples.map((p) => p.step), y: lpSamples.map((p) => p.lp) },
    ],
  });

  // ---------------- E3: sharding ----------------
  ctx.progress(0.7, 'E3 sharding');
  const shards = 4;
  // The card's 4 × 512 tokens; quick mode halves the shards (the gate is structural: sign(Σ) ≠ Σ sign).
  const perShard = quick ? 256 : 512;
  const T3 = shards * perShard;
  const steps3 = quick ? 2000 : 3000;
  const skew = { groups: 4, amount: 1.5 };
  const gen3 = new SkewedScores({ numExperts: E, dim: D, seed: seed + 2, skew });
  const glob = new AlfLbBalancer({ numExperts: E, topK: K, updateRate: 1e-3 });
  const avgBal = new AlfLbBalancer({ numExperts: E, topK: K, updateRate: 1e-3 });
  const scratch = new AlfLbBalancer({ numExperts: E, topK: K, updateRate: 1e-3 });
  const gVio = new Float64Array(steps3);
  const aVio = new Float64Array(steps3);
  const invSteps = quick ? 60 : 200;
  const lockstepHistory = new Float64Array((invSteps + 1) * E);
  {
    const s = new Float64Array(T3 * E);
    const x = new Float64Array(T3 * D);
    const experts = new Int32Array(perShard * K);
    const weights = new Float32Array(perShard * K);
    const local = Array.from({ length: shards }, () => new Int32Array(E));
    const total = new Int32Array(E);
    for (let n = 0; n < steps3; n++) {
      if (n % 100 === 0) {
        check();
        ctx.progress(0.7 + (0.25 * n) / steps3, `E3 step ${n}`);
      }
      if (n <= invSteps) lockstepHistory.set(glob.bias, n * E);
      gen3.fill(n, 0, T3, T3, s, x);
      for (const [bal, vio, isAvg] of [[glob, gVio, false], [avgBal, aVio, true]] as const) {
        total.fill(0);
        for (let w = 0; w < shards; w++) {
          const [a, b] = shardRange(T3, w, shards);
          bal.routeUnchecked(s.subarray(a * E, b * E), b - a, experts, weights, local[w]);
          for (let i = 0; i < E; i++) total[i] += local[w][i];
        }
        vio[n] = maxViolation(total);
        if (isAvg) averageShardSignUpdate(bal, scratch, local);
        else bal.update(total);
      }
    }
  }
  // Topology invariance through the distributed driver (in-process executor).
  const exec = localExecutor([moeRouteJob]);
  const invCfg = { steps: invSteps, tokens: T3, seed: seed + 2, skew, updateRate: 1e-3 };
  const histories: Float64Array[] = [];
  for (const w of [1, 2, 4]) {
    check();
    histories.push((await runMoe({ ...invCfg, shards: w }, exec)).biasHistory!);
  }
  const same = (a: Float64Array, b: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const identical = same(histories[0], histories[1]) && same(histories[0], histories[2]) && same(histories[0], lockstepHistory);
  claims.push({
    claim: `E3: the distributed driver's bias history (${invSteps} steps, T = ${T3}, skewed stream) is bit-identical with 1, 2 and 4 shards and equals the single-process loop's, because counts are integers summed before the sign step`,
    measured: identical ? 'bit-identical' : 'differs',
    expected: 'bit-identical',
    pass: identical,
    gated: true,
  });
  const gLate = windowMean(gVio, steps3 - 1000, steps3);
  const aLate = windowMean(aVio, steps3 - 1000, steps3);
  tables.push({
    title: `E3 skewed stream (4 shards × ${perShard} tokens, shard w adds +1.5 to experts 4w..4w+3, u = 1e-3, ${steps3} steps): global MaxVio`,
    columns: ['update', '0–300', '300–1000', 'last 1000', 'card prototype'],
    rows: [
      ['correct global update', fmt(windowMean(gVio, 0, 300)), fmt(windowMean(gVio, 300, 1000)), fmt(gLate), '1.27 / 0.103 / 0.102'],
      ['averaging per-shard sign updates', fmt(windowMean(aVio, 0, 300)), fmt(windowMean(aVio, 300, 1000)), fmt(aLate), '1.64 / 0.78 / 0.72'],
    ],
  });
  claims.push({
    claim: 'E3: averaging per-shard sign updates is visibly worse: its global MaxVio over the last 1000 steps is >= 3x the correct global update\'s (card gate; prototype 0.72 vs 0.102)',
    measured: `${fmt(aLate)} vs ${fmt(gLate)} (${fmt(aLate / gLate)}x)`,
    expected: '>= 3x',
    pass: aLate >= 3 * gLate,
    gated: true,
  });
  plots.push({
    kind: 'series',
    title: 'E3 skewed stream: global MaxVio vs step, correct global update vs averaging per-shard sign updates (20-step means)',
    xLabel: 'step',
    yLabel: 'MaxVio',
    logY: true,
    series: [
      { name: 'global counts, one sign step', ...smooth(gVio, 20) },
      { name: 'average of per-shard sign steps', ...smooth(aVio, 20) },
    ],
  });

  notes.push(
    'Synthetic scores as the card\'s section 4: E = 16, K = 2, d = 16, s = sigmoid(x·w_i/√d + β_i); our generator differs from the card\'s numpy prototype, so the absolute numbers (LP optimum, MaxVio at b = 0) differ from the card\'s; the gates compare rules on the same stream.',
    'The exact balanced optimum comes from a min-cost-flow solver (successive shortest paths), checked against brute force and scipy HiGHS.',
    `Quick mode uses T = 1024 (the card's CI setting) and ${quick ? '2000' : '3000'}-step runs; the full mode uses T = 2048.`,
    'Aux-loss baseline: softmax router z = x·W/√d + β trained by SGD (lr 1) on KL(p0‖p) (a stand-in for the task loss, keeping the initial preferences) + α Σ f_i P_i; the papers train a whole LM, so its numbers are report-only.',
    'Not run: the per-shard private-bias variant of E3 (the card forbids it), Han & Zhong\'s constants (unverified in the card), paper-scale perplexities.',
  );
  ctx.progress(1, 'done');
  return { claims, plots, tables, notes };
}

export const alfLbExperiment: ExperimentEntry = {
  id: 'alf-lb',
  card: 'alf-lb',
  title: 'Auxiliary-loss-free MoE load balancing: MaxVio down over steps, routing quality kept, global counts vs per-shard averaging',
  paper: {
    title: 'Auxiliary-Loss-Free Load Balancing Strategy for Mixture-of-Experts',
    authors: 'L. Wang, H. Gao, C. Zhao, X. Sun, D. Dai',
    year: 2024,
    arxiv: '2408.15664',
  },
  run,
};
