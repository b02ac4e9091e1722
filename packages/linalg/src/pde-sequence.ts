/**
 * Seeded sequences of PDE linear systems for the Krylov-recycling experiments (method card
 * shared/methods/skr.md, section 4, mirroring the Darcy data generator of H. Wang et al., "Accelerating
 * Data Generation for Neural Operators via Krylov Subspace Recycling", ICLR 2024, repository
 * wanghong1700/NO-DataGen-SKR, with the stencil bug noted on the card fixed).
 *
 * Each system is −∇·(a∇u)-like on an s×s grid with homogeneous Dirichlet values outside, on the
 * (s−2)² interior nodes (n = (s−2)², row-major node order): `A[p,p] = 4·a_p`, `A[p,q] = −a_q` for each
 * interior 4-neighbour q, i.e. A = L·diag(a) with L the 5-point Laplacian (nonsymmetric), and
 * b = h²·f with f = 1, h = 1/(s−3). The coefficient is a = exp(g) with g a periodic Gaussian random field.
 */
import { CsrMatrix, OptkitError, checkOption, rngFrom, type RandomOptions, type Rng } from '@optkit/core';

/** One system of a sequence: the matrix, the right-hand side and the parameter array used for sorting. */
export interface SequenceSystem {
  A: CsrMatrix;
  b: Float64Array;
  /** The coefficient field a on the full s×s grid (row-major), compared with the Frobenius norm. */
  params: Float64Array;
}

export interface GaussianRandomFieldOptions extends RandomOptions {
  /** Smoothness exponent α (default 2.5). */
  alpha?: number;
  /** Inverse length scale τ (default 7). */
  tau?: number;
  /** Amplitude σ (default τ^((2α−2)/2), as in the generator). */
  sigma?: number;
}

export interface DarcySequenceOptions extends GaussianRandomFieldOptions {
  /** Number of systems N (default 30, the card's validation size). Integer ≥ 1. */
  count?: number;
  /** Grid points per side s, even, ≥ 6 (default 34, so n = (s−2)² = 1024). */
  gridSize?: number;
}

const TWO_PI = 2 * Math.PI;

/**
 * A periodic Gaussian random field on an s×s grid (row-major, s even): standard complex normal
 * coefficients (variance 1: real and imaginary parts each N(0, 1/2), as the card states) times `s²·√2·σ·(4π²|k|² + τ²)^(−α/2)` over the integer
 * wavenumbers 0..s/2−1, −s/2..−1 per axis, the mean mode set to 0, and g = Re(ifft2(·)) with numpy's
 * 1/s² normalisation (the `GaussianRF` sampler of the FNO/SKR generators). O(s³) by separable DFTs.
 * The FNO sampler draws real and imaginary parts each N(0, 1), a field √2 larger; the card's variance-1
 * convention reproduces its prototype's iteration counts (GMRES(40) ≈ 205 vs the card's 194 per system
 * at n = 1024, where the √2-larger field gives ≈ 246). Pass `sigma` × √2 for the FNO amplitude.
 */
export function gaussianRandomField(s: number, options: GaussianRandomFieldOptions = {}, rng?: Rng): Float64Array {
  const fn = 'gaussianRandomField';
  checkOption(s, 's', { min: 2, integer: true }, fn);
  if (s % 2 !== 0) throw new OptkitError('INVALID_OPTION', `${fn}: s is ${s}; expected an even grid size`, 's');
  const alpha = checkOption(options.alpha ?? 2.5, 'alpha', { min: 0, minExclusive: true }, fn);
  const tau = checkOption(options.tau ?? 7, 'tau', { min: 0, minExclusive: true }, fn);
  const sigma = checkOption(options.sigma ?? tau ** (0.5 * (2 * alpha - 2)), 'sigma', { min: 0 }, fn);
  const random = rng ?? rngFrom(options);
  const wave = (i: number) => (i < s / 2 ? i : i - s);
  // Coefficients c[k1, k2] = ξ·sqrt_eig (re, im).
  const cre = new Float64Array(s * s);
  const cim = new Float64Array(s * s);
  const scale = s * s * Math.SQRT2 * sigma;
  for (let k1 = 0; k1 < s; k1++) {
    for (let k2 = 0; k2 < s; k2++) {
      const w1 = wave(k1);
      const w2 = wave(k2);
      const re = random.normal() * Math.SQRT1_2;
      const im = random.normal() * Math.SQRT1_2;
      if (k1 === 0 && k2 === 0) continue;
      const amp = scale * (4 * Math.PI * Math.PI * (w1 * w1 + w2 * w2) + tau * tau) ** (-alpha / 2);
      cre[k1 * s + k2] = re * amp;
      cim[k1 * s + k2] = im * amp;
    }
  }
  const cosT = new Float64Array(s);
  const sinT = new Float64Array(s);
  for (let j = 0; j < s; j++) {
    cosT[j] = Math.cos((TWO_PI * j) / s);
    sinT[j] = Math.sin((TWO_PI * j) / s);
  }
  // Pass 1 along axis 2: F[k1, x2] = Σ_k2 c[k1, k2]·e^{2πi k2 x2 / s}.
  const fre = new Float64Array(s * s);
  const fim = new Float64Array(s * s);
  for (let k1 = 0; k1 < s; k1++) {
    for (let x2 = 0; x2 < s; x2++) {
      let sr = 0;
      let si = 0;
      for (let k2 = 0; k2 < s; k2++) {
        const ph = (k2 * x2) % s;
        const a = cre[k1 * s + k2];
        const b = cim[k1 * s + k2];
        sr += a * cosT[ph] - b * sinT[ph];
        si += a * sinT[ph] + b * cosT[ph];
      }
      fre[k1 * s + x2] = sr;
      fim[k1 * s + x2] = si;
    }
  }
  // Pass 2 along axis 1, real part only, with the 1/s² of ifft2.
  const g = new Float64Array(s * s);
  const inv = 1 / (s * s);
  for (let x1 = 0; x1 < s; x1++) {
    for (let x2 = 0; x2 < s; x2++) {
      let sr = 0;
      for (let k1 = 0; k1 < s; k1++) {
        const ph = (k1 * x1) % s;
        sr += fre[k1 * s + x2] * cosT[ph] - fim[k1 * s + x2] * sinT[ph];
      }
      g[x1 * s + x2] = sr * inv;
    }
  }
  return g;
}

/**
 * The Darcy-type matrix A = L·diag(a) on the (s−2)² interior nodes of an s×s grid for the coefficient
 * `a` given on the full grid (row-major, length s², positive and finite); see the file comment.
 */
export function darcyMatrix(a: Float64Array, s: number): CsrMatrix {
  const fn = 'darcyMatrix';
  checkOption(s, 's', { min: 3, integer: true }, fn);
  if (!(a instanceof Float64Array) || a.length !== s * s) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: a must be a Float64Array of length s² = ${s * s}`, 'a');
  }
  const q = s - 2;
  const n = q * q;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(5 * n);
  const values = new Float64Array(5 * n);
  let nnz = 0;
  const coef = (i: number, j: number) => a[(i + 1) * s + (j + 1)];
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      const p = i * q + j;
      // Columns in increasing order: up, left, centre, right, down.
      if (i > 0) {
        indices[nnz] = p - q;
        values[nnz++] = -coef(i - 1, j);
      }
      if (j > 0) {
        indices[nnz] = p - 1;
        values[nnz++] = -coef(i, j - 1);
      }
      indices[nnz] = p;
      values[nnz++] = 4 * coef(i, j);
      if (j < q - 1) {
        indices[nnz] = p + 1;
        values[nnz++] = -coef(i, j + 1);
      }
      if (i < q - 1) {
        indices[nnz] = p + q;
        values[nnz++] = -coef(i + 1, j);
      }
      indptr[p + 1] = nnz;
    }
  }
  return new CsrMatrix(n, n, indptr, indices.slice(0, nnz), values.slice(0, nnz));
}

/**
 * The card's Darcy sequence: `count` systems (default 30) on an s×s grid (default s = 34, n = 1024),
 * each with its own coefficient a = exp(GRF) (α = 2.5, τ = 7 by default), b = h²·1 with h = 1/(s−3),
 * and params = a on the full grid. Seeded by `seed`/`rng` (default seed 0): the same options give the
 * same sequence.
 */
export function darcySequence(options: DarcySequenceOptions = {}): SequenceSystem[] {
  const fn = 'darcySequence';
  const count = checkOption(options.count ?? 30, 'count', { min: 1, integer: true }, fn);
  const s = checkOption(options.gridSize ?? 34, 'gridSize', { min: 6, integer: true }, fn);
  if (s % 2 !== 0) throw new OptkitError('INVALID_OPTION', `${fn}: option gridSize is ${s}; expected an even number`, 'gridSize');
  const rng = rngFrom(options);
  const h = 1 / (s - 3);
  const n = (s - 2) * (s - 2);
  const out: SequenceSystem[] = [];
  for (let c = 0; c < count; c++) {
    const g = gaussianRandomField(s, options, rng);
    const a = new Float64Array(s * s);
    for (let i = 0; i < a.length; i++) a[i] = Math.exp(g[i]);
    const b = new Float64Array(n).fill(h * h);
    out.push({ A: darcyMatrix(a, s), b, params: a });
  }
  return out;
}
