/**
 * BLAS level-1 kernels on `Float64Array` vectors: the inner loops of every iterative method.
 *
 * Validation policy: these functions check lengths (O(1), throwing SHAPE_MISMATCH that names the
 * argument) but never scan for NaN/Infinity, because they run once or more per iteration of a solver
 * and a finiteness scan would cost as much as the kernel itself. Finiteness is checked once at the
 * public entry of a method (with `assertFinite`), not here. NaN and ±Infinity propagate through these
 * kernels the way IEEE arithmetic says.
 *
 * Reductions (`dot`, `asum`, `nrm2`) keep four partial sums so that the additions overlap; results
 * may therefore differ from a strict left-to-right sum in the last bits. `dot` and `nrm2` unroll
 * eight elements per iteration: V8 re-reads each array's length and data pointer on every loop
 * iteration (its interrupt check could detach the buffer), so longer iterations amortize that. On
 * 10⁷ elements this took 0.96–1.10× the time of a `Float64Array.set` copy of the same bytes, against
 * 0.83–1.27× with four elements per iteration (same session, alternating runs).
 * Index arithmetic `(i + k) | 0` lets V8 drop its overflow check on each index.
 */
import { assertFiniteNumber, assertInteger, assertLength } from './errors.js';

/** A dense float64 vector. */
export type Vec = Float64Array;

function sameLength(x: Vec, y: Vec, yName: string, fn: string): void {
  if (y.length !== x.length) assertLength(y, x.length, yName, fn);
}

/** A new zero vector of length `n`. */
export function zeros(n: number): Vec {
  assertInteger(n, 'n', 0, 'zeros');
  return new Float64Array(n);
}

/**
 * `num` evenly spaced values from `start` to `stop`, both included (numpy's `linspace` with
 * `endpoint=True`); `num = 1` gives `[start]`, `num = 0` an empty vector.
 */
export function linspace(start: number, stop: number, num: number): Vec {
  assertFiniteNumber(start, 'start', 'linspace');
  assertFiniteNumber(stop, 'stop', 'linspace');
  assertInteger(num, 'num', 0, 'linspace');
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  // The last value is set exactly (start + (num-1)*step can miss stop by an ulp).
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Sets every element of `x` to `value`; returns `x`. */
export function fill(x: Vec, value: number): Vec {
  x.fill(value);
  return x;
}

/** Copies `x` into `y` (BLAS `dcopy` argument order: source first); returns `y`. */
export function copy(x: Vec, y: Vec): Vec {
  sameLength(x, y, 'y', 'copy');
  y.set(x);
  return y;
}

/** The inner product xᵀy (BLAS `ddot`). */
export function dot(x: Vec, y: Vec): number {
  const n = x.length;
  sameLength(x, y, 'y', 'dot');
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n8 = n - (n & 7);
  for (; i < n8; i = (i + 8) | 0) {
    s0 += x[i] * y[i];
    s1 += x[(i + 1) | 0] * y[(i + 1) | 0];
    s2 += x[(i + 2) | 0] * y[(i + 2) | 0];
    s3 += x[(i + 3) | 0] * y[(i + 3) | 0];
    s0 += x[(i + 4) | 0] * y[(i + 4) | 0];
    s1 += x[(i + 5) | 0] * y[(i + 5) | 0];
    s2 += x[(i + 6) | 0] * y[(i + 6) | 0];
    s3 += x[(i + 7) | 0] * y[(i + 7) | 0];
  }
  for (; i < n; i++) s0 += x[i] * y[i];
  return s0 + s1 + (s2 + s3);
}

/** y ← αx + y, in place (BLAS `daxpy`); returns `y`. */
export function axpy(alpha: number, x: Vec, y: Vec): Vec {
  const n = x.length;
  sameLength(x, y, 'y', 'axpy');
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
  return y;
}

/** y ← αx + βy, in place; returns `y`. With β = 0, y's old values are not read (NaN there is overwritten). */
export function axpby(alpha: number, x: Vec, beta: number, y: Vec): Vec {
  const n = x.length;
  sameLength(x, y, 'y', 'axpby');
  if (beta === 0) {
    for (let i = 0; i < n; i++) y[i] = alpha * x[i];
  } else {
    for (let i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i];
  }
  return y;
}

/** y ← x + βy, in place (the search-direction update of conjugate gradients); returns `y`. */
export function xpby(x: Vec, beta: number, y: Vec): Vec {
  const n = x.length;
  sameLength(x, y, 'y', 'xpby');
  for (let i = 0; i < n; i++) y[i] = x[i] + beta * y[i];
  return y;
}

/** x ← αx, in place (BLAS `dscal`); returns `x`. */
export function scal(alpha: number, x: Vec): Vec {
  const n = x.length;
  for (let i = 0; i < n; i++) x[i] *= alpha;
  return x;
}

function outFor(x: Vec, out: Vec | undefined, fn: string): Vec {
  if (out === undefined) return new Float64Array(x.length);
  sameLength(x, out, 'out', fn);
  return out;
}

/** out ← x + y elementwise (a new vector when `out` is omitted; `out` may alias `x` or `y`). */
export function add(x: Vec, y: Vec, out?: Vec): Vec {
  sameLength(x, y, 'y', 'add');
  const o = outFor(x, out, 'add');
  const n = x.length;
  for (let i = 0; i < n; i++) o[i] = x[i] + y[i];
  return o;
}

/** out ← x − y elementwise (a new vector when `out` is omitted; `out` may alias `x` or `y`). */
export function sub(x: Vec, y: Vec, out?: Vec): Vec {
  sameLength(x, y, 'y', 'sub');
  const o = outFor(x, out, 'sub');
  const n = x.length;
  for (let i = 0; i < n; i++) o[i] = x[i] - y[i];
  return o;
}

/** out ← x ∘ y, the elementwise (Hadamard) product (a new vector when `out` is omitted). */
export function hadamard(x: Vec, y: Vec, out?: Vec): Vec {
  sameLength(x, y, 'y', 'hadamard');
  const o = outFor(x, out, 'hadamard');
  const n = x.length;
  for (let i = 0; i < n; i++) o[i] = x[i] * y[i];
  return o;
}

/** Σ|xᵢ|, the 1-norm (BLAS `dasum`). */
export function asum(x: Vec): number {
  const n = x.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n - (n & 3);
  for (; i < n4; i += 4) {
    s0 += Math.abs(x[i]);
    s1 += Math.abs(x[i + 1]);
    s2 += Math.abs(x[i + 2]);
    s3 += Math.abs(x[i + 3]);
  }
  for (; i < n; i++) s0 += Math.abs(x[i]);
  return s0 + s1 + (s2 + s3);
}

/**
 * Index of the first element of largest absolute value (BLAS `idamax`, but 0-based); -1 for an empty
 * vector. Like numpy's `argmax(abs(x))`, the index of the first NaN is returned when x holds NaN.
 */
export function iamax(x: Vec): number {
  const n = x.length;
  if (n === 0) return -1;
  let best = 0;
  let bestAbs = -1;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]);
    if (a > bestAbs) {
      best = i;
      bestAbs = a;
    } else if (a !== a) {
      return i;
    }
  }
  return best;
}

/** max |xᵢ|, the ∞-norm; 0 for an empty vector; NaN if any element is NaN. */
export function amax(x: Vec): number {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
    else if (a !== a) return Number.NaN;
  }
  return m;
}

/** The ∞-norm max |xᵢ| (the same as {@link amax}). */
export const normInf = amax;

// Blue's scaling constants for IEEE binary64, as in LAPACK 3.10 dnrm2 (Anderson, "Algorithm 978:
// Safe scaling in the level 1 BLAS", ACM TOMS 44(1), 2017): values in [tsml, tbig] are squared as
// they are; smaller ones are scaled up by ssml and larger ones down by sbig before squaring.
const TSML = 2 ** -511;
const TBIG = 2 ** 486;
const SSML = 2 ** 537;
const SBIG = 2 ** -538;
// A plain sum of squares is accurate to a relative eps when it is finite and at least
// n * 2^-969: each square that underflowed (or lost bits as a subnormal) is below 2^-1022, so all of
// them together are below n * 2^-1022 = 2^-53 * (n * 2^-969).
const PLAIN_SUM_MIN = 2 ** -969;

/**
 * The Euclidean norm ‖x‖₂ without overflow or harmful underflow (BLAS `dnrm2`).
 *
 * A first, fast pass sums plain squares with four partial sums. Only when that sum is 0, infinite or
 * so small that underflowed squares could matter does a second pass run Blue's three-accumulator
 * scaled algorithm (LAPACK 3.10 dnrm2), which is exact to rounding for any finite input. Returns NaN
 * when x holds NaN, Infinity when x holds ±Infinity.
 */
export function nrm2(x: Vec): number {
  const n = x.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n8 = n - (n & 7);
  for (; i < n8; i = (i + 8) | 0) {
    const a = x[i];
    const b = x[(i + 1) | 0];
    const c = x[(i + 2) | 0];
    const d = x[(i + 3) | 0];
    const e = x[(i + 4) | 0];
    const f = x[(i + 5) | 0];
    const g = x[(i + 6) | 0];
    const h = x[(i + 7) | 0];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
    s0 += e * e;
    s1 += f * f;
    s2 += g * g;
    s3 += h * h;
  }
  for (; i < n; i++) s0 += x[i] * x[i];
  const s = s0 + s1 + (s2 + s3);
  if (s < Number.POSITIVE_INFINITY && s >= PLAIN_SUM_MIN * n) return Math.sqrt(s);
  if (s !== s) return Number.NaN;
  return nrm2Scaled(x);
}

/** Blue's algorithm (LAPACK 3.10 dnrm2), the slow path of {@link nrm2}. */
function nrm2Scaled(x: Vec): number {
  const n = x.length;
  let abig = 0;
  let amed = 0;
  let asml = 0;
  let notbig = true;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[i]);
    if (ax > TBIG) {
      const t = ax * SBIG;
      abig += t * t;
      notbig = false;
    } else if (ax < TSML) {
      if (notbig) {
        const t = ax * SSML;
        asml += t * t;
      }
    } else {
      amed += ax * ax;
    }
  }
  let scl: number;
  let sumsq: number;
  if (abig > 0) {
    // Combine abig and amed if amed > 0 (or is NaN).
    if (amed > 0 || amed !== amed) abig += amed * SBIG * SBIG;
    scl = 1 / SBIG;
    sumsq = abig;
  } else if (asml > 0) {
    if (amed > 0 || amed !== amed) {
      const a = Math.sqrt(amed);
      const b = Math.sqrt(asml) / SSML;
      const ymin = b > a ? a : b;
      const ymax = b > a ? b : a;
      const r = ymin / ymax;
      scl = 1;
      sumsq = ymax * ymax * (1 + r * r);
    } else {
      scl = 1 / SSML;
      sumsq = asml;
    }
  } else {
    scl = 1;
    sumsq = amed;
  }
  return scl * Math.sqrt(sumsq);
}

/**
 * Runs the reductions a few times on tiny inputs when the module loads. V8 (Node 20) optimizes a
 * kernel on-stack during its first long call; code after the hot loop that has never run (the
 * remainder loop, the final sums and tests) then has no type feedback, the optimized code
 * deoptimizes there, and V8 keeps re-entering that stale on-stack code on later calls: measured on
 * 10⁷-element vectors, `dot` and `nrm2` stayed 4–7× slower for the whole process. Recording the
 * feedback first (V8 allocates it after about eight calls) avoids that; this costs microseconds.
 */
function primeTypeFeedback(): void {
  const a = Float64Array.of(1, -2, 3, 0.5, 0.25, -1, 2);
  const b = Float64Array.of(0.5, 1, -1, 2, 3, 0.75, 1);
  const tiny = Float64Array.of(1e-200, 2e-200, 3e-200, 1e-300, 5e-324);
  const huge = Float64Array.of(1e200, 3e250, 1, 1e-200, 2e300);
  let s = 0;
  for (let r = 0; r < 16; r++) {
    s += dot(a, b) + asum(a) + amax(a) + iamax(a) + nrm2(a) + nrm2(tiny) + nrm2(huge) + nrm2(b.subarray(0, 0));
  }
  if (s !== s) throw new Error('vector.ts: kernel self-check failed');
}
primeTypeFeedback();
