/**
 * Seeded random numbers. Every random choice in optkit takes a `seed` or an {@link Rng}, so any run
 * can be repeated exactly. Built on pure-rand's xoroshiro128+ generator (fast, 2^128 - 1 period,
 * jumpable for independent streams).
 */
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { OptkitError, assertInteger } from './errors.js';

type Generator = ReturnType<typeof xoroshiro128plusFromState>;

export class Rng {
  private readonly gen: Generator;
  /** The second normal deviate of the last Box–Muller pair, or NaN when none is cached. */
  private spareNormal = Number.NaN;

  /** @param seed any 32-bit integer (larger integers are reduced modulo 2^32). */
  constructor(seed: number | Generator = 0) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) {
        throw new OptkitError('INVALID_OPTION', `Rng: seed is ${seed}; expected an integer`, 'seed');
      }
      this.gen = xoroshiro128plusFromState(seedState(seed | 0));
    } else {
      this.gen = seed;
    }
  }

  /** An independent copy that will produce the same future sequence. */
  clone(): Rng {
    return new Rng(this.gen.clone());
  }

  /**
   * A new generator whose stream does not overlap this one's for 2^64 draws (a xoroshiro jump);
   * this generator is advanced as well. Use it to give each worker or shard its own stream.
   */
  split(): Rng {
    const child = this.gen.clone();
    child.jump();
    this.gen.jump();
    this.gen.jump();
    return new Rng(child);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  uniform(low = 0, high = 1): number {
    return low + (high - low) * uniformFloat64(this.gen);
  }

  /** Uniform integer in [low, high] (both included). */
  int(low: number, high: number): number {
    return uniformInt(this.gen, low, high);
  }

  /** Standard normal deviate (Box–Muller, polar form), scaled: mean + std * N(0, 1). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * uniformFloat64(this.gen) - 1;
      v = 2 * uniformFloat64(this.gen) - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** Fills `out` with uniform [low, high) values and returns it. */
  fillUniform<T extends Float64Array | Float32Array>(out: T, low = 0, high = 1): T {
    const w = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + w * uniformFloat64(this.gen);
    return out;
  }

  /** Fills `out` with N(mean, std^2) values and returns it. */
  fillNormal<T extends Float64Array | Float32Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A uniformly random sign, ±1 (Rademacher). */
  sign(): number {
    return uniformFloat64(this.gen) < 0.5 ? -1 : 1;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    assertInteger(n, 'n', 0, 'Rng.permutation');
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /**
   * A Gamma(shape, 1) draw (Marsaglia & Tsang 2000, "A simple method for generating gamma variables";
   * shape < 1 by the boost Gamma(shape+1)·U^(1/shape)). `shape` must be > 0.
   */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) {
      throw new OptkitError('INVALID_ARGUMENT', `Rng.gamma: shape is ${shape}; expected a finite value > 0`, 'shape');
    }
    if (shape < 1) {
      const u = uniformFloat64(this.gen);
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = uniformFloat64(this.gen);
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A Beta(a, b) draw, as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = uniformInt(this.gen, 0, i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * `k` distinct indices from 0..n-1 without replacement (partial Fisher–Yates), or with replacement
   * when `replace` is true. With `weights` (non-negative, not all zero) draws with replacement from
   * that distribution.
   */
  choice(n: number, k: number, opts: { replace?: boolean; weights?: ArrayLike<number> } = {}): Int32Array {
    assertInteger(n, 'n', 0, 'Rng.choice');
    assertInteger(k, 'k', 0, 'Rng.choice');
    const out = new Int32Array(k);
    if (opts.weights) {
      const w = opts.weights;
      if (w.length !== n) {
        throw new OptkitError('SHAPE_MISMATCH', `Rng.choice: weights has length ${w.length}; expected ${n}`, 'weights');
      }
      const cdf = new Float64Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const wi = w[i];
        if (!(wi >= 0) || !Number.isFinite(wi)) {
          throw new OptkitError('INVALID_ARGUMENT', `Rng.choice: weights[${i}] is ${wi}; expected a finite value >= 0`, 'weights');
        }
        total += wi;
        cdf[i] = total;
      }
      if (!(total > 0)) throw new OptkitError('INVALID_ARGUMENT', 'Rng.choice: weights sum to 0', 'weights');
      for (let t = 0; t < k; t++) {
        const u = uniformFloat64(this.gen) * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        out[t] = lo;
      }
      return out;
    }
    if (opts.replace) {
      if (n === 0 && k > 0) throw new OptkitError('INVALID_ARGUMENT', 'Rng.choice: cannot draw from n = 0', 'n');
      for (let t = 0; t < k; t++) out[t] = uniformInt(this.gen, 0, n - 1);
      return out;
    }
    if (k > n) {
      throw new OptkitError('INVALID_ARGUMENT', `Rng.choice: k = ${k} exceeds n = ${n} without replacement`, 'k');
    }
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    for (let t = 0; t < k; t++) {
      const j = uniformInt(this.gen, t, n - 1);
      const tmp = pool[t];
      pool[t] = pool[j];
      pool[j] = tmp;
      out[t] = pool[t];
    }
    return out;
  }
}

/**
 * The 128-bit xoroshiro state for a 32-bit seed: four words of the splitmix32 sequence started at the
 * seed (murmur3's finaliser on a Weyl sequence). pure-rand's own `xoroshiro128plus(seed)` puts the
 * seed into the state almost unmixed, so its first output is ≈ 1 for every seed and its second is
 * linear in the seed: consecutive seeds gave correlated first draws.
 */
function seedState(seed: number): [number, number, number, number] {
  const words: number[] = [];
  let x = seed | 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words.push((z ^ (z >>> 16)) | 0);
  }
  // An all-zero state is the generator's one fixed point; splitmix never yields four zeros, but be sure.
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
  return words as [number, number, number, number];
}

/** Options accepted by every function that draws random numbers. */
export interface RandomOptions {
  /** Seed for a fresh generator (default 0). Ignored when `rng` is given. */
  seed?: number;
  /** A generator to draw from (advanced in place). */
  rng?: Rng;
}

/** The generator an options object asks for: its `rng`, or a new one from its `seed` (default 0). */
export function rngFrom(opts: RandomOptions | undefined): Rng {
  return opts?.rng ?? new Rng(opts?.seed ?? 0);
}
