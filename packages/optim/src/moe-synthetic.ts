/**
 * Synthetic skewed router scores for MoE load-balancing experiments (shared/methods/alf-lb.md,
 * section 4): expert vectors `w_i ~ N(0, I_d)` and offsets `β_i ~ N(0, 1)` (the offsets create the
 * imbalance), tokens `x_t ~ N(0, I_d)`, scores `s[t,i] = sigmoid(x_t·w_i/√d + β_i)`.
 *
 * Every token is a pure function of (seed, layer, step, token index) (its own seeded stream, see
 * {@link tokenNormals}), so any split of a step's tokens over shards yields exactly the same scores
 * as one process generating them all (card E3).
 *
 * Optional shard skew (card E3's "skewed stream"): the step's T tokens are cut into `groups` equal
 * home segments; tokens of segment h get `+amount` on the logits of experts h·E/groups .. (h+1)·E/groups−1.
 */
import { OptkitError, Rng, checkOption, gemm } from '@optkit/core';

/**
 * Fills out[off .. off+d) with N(0, 1) deviates from a per-token stream seeded by `seed`: mulberry32
 * (T. Ettinger's 32-bit generator) feeding Marsaglia's polar method. Expert parameters use core's
 * Rng; tokens use this stateless stream because a run seeds millions of them (one per token per step
 * per layer) and core's Rng.normal costs ~100 ns a draw here, which made generation dominate the
 * experiments. 32-bit uniforms bound |z| at about 6.7; irrelevant for these synthetic scores.
 */
export function tokenNormals(seed: number, out: Float64Array, off: number, d: number): void {
  let a = seed | 0;
  for (let j = 0; j < d; ) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    a = (a + 0x6d2b79f5) | 0;
    t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const v = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    out[off + j++] = u * f;
    if (j < d) out[off + j++] = v * f;
  }
}

export interface SkewedScoreOptions {
  /** E (default 16). */
  numExperts?: number;
  /** d, the token/expert dimension (default 16). */
  dim?: number;
  /** Base seed (default 0). */
  seed?: number;
  /** Layer index, for independent experts and tokens per MoE layer (default 0). */
  layer?: number;
  /** Skew by home segment (default none); `groups` must divide E. */
  skew?: { groups: number; amount: number };
}

/** A 32-bit mix of integers (murmur3's finaliser over a running combination); seeds the block generators. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (const p of parts) {
    let k = Math.imul(p | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    // Values above 2^32 would be truncated by `| 0`; mix in their high part too.
    const hi = Math.floor(p / 4294967296) | 0;
    if (hi !== 0) h = Math.imul(h ^ hi, 0x85ebca6b);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Seeded generator of the card's skewed sigmoid router scores. */
export class SkewedScores {
  readonly numExperts: number;
  readonly dim: number;
  readonly seed: number;
  readonly layer: number;
  readonly skew: { groups: number; amount: number } | undefined;
  /** Expert vectors, [E, d] row-major. */
  readonly expertVectors: Float64Array;
  /** Expert offsets β, [E]. */
  readonly offsets: Float64Array;

  constructor(opts: SkewedScoreOptions = {}) {
    const fn = 'SkewedScores';
    this.numExperts = checkOption(opts.numExperts ?? 16, 'numExperts', { min: 1, integer: true }, fn);
    this.dim = checkOption(opts.dim ?? 16, 'dim', { min: 1, integer: true }, fn);
    this.seed = checkOption(opts.seed ?? 0, 'seed', { integer: true }, fn);
    this.layer = checkOption(opts.layer ?? 0, 'layer', { min: 0, integer: true }, fn);
    if (opts.skew !== undefined) {
      const groups = checkOption(opts.skew.groups, 'skew.groups', { min: 1, max: this.numExperts, integer: true }, fn);
      if (this.numExperts % groups !== 0) {
        throw new OptkitError('INVALID_OPTION', `${fn}: option skew.groups = ${groups} must divide numExperts = ${this.numExperts}`, 'skew.groups');
      }
      const amount = checkOption(opts.skew.amount, 'skew.amount', {}, fn);
      this.skew = { groups, amount };
    }
    const rng = new Rng(mixSeed(this.seed, this.layer, -1));
    this.expertVectors = rng.fillNormal(new Float64Array(this.numExperts * this.dim));
    this.offsets = rng.fillNormal(new Float64Array(this.numExperts));
  }

  /**
   * Writes the token vectors x_t, t = start .. start+count−1, of step `step` into `out` ([count, d]).
   * Token t's d normals come from its own stream (see {@link tokenNormals}), so any shard computes
   * any token directly.
   */
  fillTokens(step: number, start: number, count: number, out: Float64Array): Float64Array {
    const d = this.dim;
    if (out.length < count * d) {
      throw new OptkitError('SHAPE_MISMATCH', `SkewedScores.fillTokens: out has length ${out.length}; expected >= ${count * d}`, 'out');
    }
    const stepSeed = mixSeed(this.seed, this.layer, step);
    for (let t = 0; t < count; t++) tokenNormals(mixSeed(stepSeed, start + t), out, t * d, d);
    return out;
  }

  /**
   * The router logits `x_t·w_i/√d + β_i (+ skew)` of the given tokens into `out` ([count, E]).
   * `totalTokens` (the step's T) places the skew's home segments.
   */
  logitsFromTokens(x: Float64Array, start: number, count: number, totalTokens: number, out: Float64Array): Float64Array {
    const E = this.numExperts;
    const d = this.dim;
    const w = this.expertVectors;
    const beta = this.offsets;
    const scale = 1 / Math.sqrt(d);
    const skew = this.skew;
    const per = skew ? E / skew.groups : 0;
    affineLogits(x, count, d, w, E, beta, scale, out);
    if (skew) {
      for (let t = 0; t < count; t++) {
        const so = t * E;
        const h = Math.floor(((start + t) * skew.groups) / totalTokens);
        for (let i = h * per; i < (h + 1) * per; i++) out[so + i] += skew.amount;
      }
    }
    return out;
  }

  /**
   * Scores `s[t,i] = sigmoid(logit)` of tokens start .. start+count−1 of step `step` into `out`
   * ([count, E], row-major). `totalTokens` is the step's T (needed only for the skew).
   */
  fill(step: number, start: number, count: number, totalTokens: number, out: Float64Array, xScratch?: Float64Array): Float64Array {
    const E = this.numExperts;
    if (out.length < count * E) {
      throw new OptkitError('SHAPE_MISMATCH', `SkewedScores.fill: out has length ${out.length}; expected >= ${count * E}`, 'out');
    }
    const x = xScratch && xScratch.length >= count * this.dim ? xScratch : new Float64Array(count * this.dim);
    this.fillTokens(step, start, count, x);
    this.logitsFromTokens(x, start, count, totalTokens, out);
    for (let k = 0; k < count * E; k++) out[k] = 1 / (1 + Math.exp(-out[k]));
    return out;
  }

  /** All T scores of one step, [T, E]. */
  batch(step: number, totalTokens: number): Float64Array {
    return this.fill(step, 0, totalTokens, totalTokens, new Float64Array(totalTokens * this.numExperts));
  }
}

/**
 * Router logits out[t, i] = scale·(x_t · w_i) + β_i for `count` tokens (x: [count, d], W: [E, d],
 * out: [count, E], all row-major), through core's gemm. Shared by the synthetic generator and the
 * auxiliary-loss router.
 */
export function affineLogits(x: Float64Array, count: number, d: number, W: Float64Array, E: number, beta: Float64Array, scale: number, out: Float64Array): void {
  for (let t = 0; t < count; t++) out.set(beta.subarray(0, E), t * E);
  gemm(false, true, count, E, d, scale, x, d, W, d, 1, out, E);
}
