/**
 * Sketch-and-precondition least squares (Blendenpik: H. Avron, P. Maymounkov, S. Toledo, "Blendenpik:
 * Supercharging LAPACK's least-squares solver", SISC 2010; LSRN: X. Meng, M. A. Saunders,
 * M. W. Mahoney, "LSRN: A parallel iterative solver for strongly over- or underdetermined systems",
 * SISC 2014): draw a sketch S (m×n, m a small multiple of d), factor S·A = Q·R, and run LSQR on the
 * well-conditioned A·R⁻¹ — its singular values lie in [1/(1+ε), 1/(1−ε)] when S embeds range(A) with
 * distortion ε — then x = R⁻¹·y. The iteration count depends on m/d, not on cond(A), and x reaches x*
 * to the LSQR tolerance (unlike sketch-and-solve, whose x' is only near x*). This is the practical
 * fast least-squares solver of the package; method card linf-regression.md §3 lists it as what
 * practitioners do instead of sketch-and-solve.
 *
 * When S·A is numerically rank-deficient (A rank-deficient, or an unlucky sketch), the preconditioner
 * falls back to LSRN's N = V_r·Σ_r⁻¹ from the SVD of S·A (σ > rcond·σ₁), which yields a
 * minimum-norm-type solution in the retained directions.
 *
 * A may be dense or a core CsrMatrix. For a sparse A the sketch reads the CSR arrays (CountSketch and
 * OSNAP, the default, in O(nnz(A)); sketch.ts) and LSQR's products are core's spmv/spmvT, so nothing
 * is formed densely but the m×d sketch S·A and its d×d factor.
 */
import { CsrMatrix, DenseMatrix, OptkitError, Stopwatch, assertFinite, getKernels, type LinearOperator } from '@optkit/core';
import { solveUpperInPlace, solveUpperTransposeInPlace } from './dense-least-squares.js';
import { lsqr, type LsqrOptions, type LsqrResult } from './lsqr.js';
import { createSketch, type SketchKind, type SketchOptions } from './sketch.js';

export interface SketchPreconditionedLsqrOptions extends Omit<LsqrOptions, 'damp'> {
  /**
   * The sketch: kind (default `'osnap'` — a sparse sign embedding — with `osnapNonzeros` 8), size m
   * (default min(n, 4·d)) and seed (default 0). Any createSketch option may be given.
   */
  sketch?: Partial<SketchOptions>;
  /** Relative cut-off on the diagonal of R (then singular values of S·A) for the rank decision. Default 1e-12. */
  rcond?: number;
}

export interface SketchPreconditionedLsqrResult extends LsqrResult {
  kind: SketchKind;
  /** Sketch size used. */
  m: number;
  /** `'qr'` (R⁻¹, the normal case) or `'svd'` (LSRN's V_r Σ_r⁻¹ after a rank-deficient S·A). */
  preconditioner: 'qr' | 'svd';
  /** Rank of S·A used by the preconditioner. */
  rank: number;
  /** Seconds spent on S·A, on its factorization, and in LSQR. */
  sketchSeconds: number;
  factorSeconds: number;
  lsqrSeconds: number;
}

/**
 * min ‖A·x − b‖₂ for a tall A (n×d, n ≥ d; DenseMatrix or CsrMatrix) by LSQR preconditioned with the triangular factor of
 * a sketch of A (module comment). LSQR's options keep scipy's meaning, applied to the preconditioned
 * problem; defaults here: atol = btol = 1e-10 (each iteration is cheap and the rate ~√(d/m) is fast,
 * so full accuracy costs few iterations), conlim 1e8, iterLim 2·d. `damp` is not supported (the
 * sketch would have to cover [A; damp·I]). Throws like {@link lsqr} and createSketch.
 */
export function sketchPreconditionedLsqr(A: DenseMatrix | CsrMatrix, b: Float64Array, options: SketchPreconditionedLsqrOptions = {}): SketchPreconditionedLsqrResult {
  const fn = 'sketchPreconditionedLsqr';
  const sparse = A instanceof CsrMatrix;
  if (!sparse && !(A instanceof DenseMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: A must be a DenseMatrix (row-major n×d) or a CsrMatrix`, 'A');
  const { rows: n, cols: d } = A;
  if (n === 0 || d === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: A is ${n}×${d}`, 'A');
  if (n < d) throw new OptkitError('SHAPE_MISMATCH', `${fn}: A is ${n}×${d}; expected a tall matrix (n >= d)`, 'A');
  if (!(b instanceof Float64Array) || b.length !== n) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: b must be a Float64Array of length ${n} (the rows of A)`, 'b');
  }
  if (sparse) assertFinite(A.values, 'A.values', fn);
  else assertFinite(A.data, 'A', fn);
  assertFinite(b, 'b', fn);
  if ((options as { damp?: number }).damp) throw new OptkitError('UNSUPPORTED', `${fn}: damp is not supported; use lsqr`, 'options.damp');
  const rcond = options.rcond ?? 1e-12;
  if (!(rcond >= 0 && rcond < 1)) throw new OptkitError('INVALID_OPTION', `${fn}: rcond is ${rcond}; expected a number in [0, 1)`, 'options.rcond');
  const so = options.sketch ?? {};
  const kind = so.kind ?? 'osnap';
  const m = so.m ?? Math.min(n, 4 * d);
  if (m < d) throw new OptkitError('INVALID_OPTION', `${fn}: sketch size m = ${m} is below d = ${d}; S·A could not have full rank`, 'options.sketch.m');
  const K = getKernels();

  const clock = new Stopwatch();
  const S = createSketch(n, { ...so, kind, m, osnapNonzeros: so.osnapNonzeros ?? (kind === 'osnap' ? Math.min(8, m) : undefined), seed: so.seed ?? 0 });
  const SA = S.applyMatrix(A);
  const sketchSeconds = clock.seconds();

  // The preconditioner P (d×r): x = P·y. QR: P = R⁻¹ (r = d). SVD fallback: P = V_r Σ_r⁻¹.
  let r = d;
  let applyP: (y: Float64Array, x: Float64Array) => void;
  let applyPT: (g: Float64Array, y: Float64Array) => void;
  let toY: (x: Float64Array) => Float64Array; // y with P·y = x (for x0)
  let preconditioner: 'qr' | 'svd' = 'qr';
  const { R } = K.qr(SA);
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < d; i++) {
    const a = Math.abs(R.data[i * d + i]);
    lo = Math.min(lo, a);
    hi = Math.max(hi, a);
  }
  if (lo > rcond * hi && lo > 0) {
    const Rd = R.data;
    applyP = (y, x) => {
      x.set(y);
      solveUpperInPlace(Rd, d, x);
    };
    applyPT = (g, y) => {
      y.set(g);
      solveUpperTransposeInPlace(Rd, d, y);
    };
    toY = (x) => {
      const y = new Float64Array(d);
      K.gemv(d, d, 1, Rd, d, x, 0, y);
      return y;
    };
  } else {
    preconditioner = 'svd';
    const { s, V } = K.svd(SA);
    r = 0;
    while (r < s.length && s[r] > rcond * s[0] && s[r] > 0) r++;
    if (r === 0) throw new OptkitError('SINGULAR', `${fn}: the sketch of A is zero; A has no nonzero column`, 'A');
    // P = V_r Σ_r⁻¹ stored d×r row-major.
    const P = new Float64Array(d * r);
    const vc = V.cols;
    for (let i = 0; i < d; i++) for (let j = 0; j < r; j++) P[i * r + j] = V.data[i * vc + j] / s[j];
    applyP = (y, x) => K.gemv(d, r, 1, P, r, y, 0, x);
    applyPT = (g, y) => K.gemvT(d, r, 1, P, r, g, 0, y);
    toY = (x) => {
      // y = Σ_r V_rᵀ x.
      const y = new Float64Array(r);
      for (let j = 0; j < r; j++) {
        let acc = 0;
        for (let i = 0; i < d; i++) acc += V.data[i * vc + j] * x[i];
        y[j] = acc * s[j];
      }
      return y;
    };
  }
  const factorSeconds = clock.seconds() - sketchSeconds;

  // B = A·P (n×r), applied matrix-free through core's gemv kernels (dense A) or spmv/spmvT (CSR A).
  const t = new Float64Array(d);
  const applyA: (v: Float64Array, out: Float64Array) => void = sparse
    ? (v, out) => void A.spmv(v, out)
    : (v, out) => K.gemv(n, d, 1, A.data, d, v, 0, out);
  const applyAT: (u: Float64Array, out: Float64Array) => void = sparse
    ? (u, out) => void A.spmvT(u, out)
    : (u, out) => K.gemvT(n, d, 1, A.data, d, u, 0, out);
  const B: LinearOperator = {
    rows: n,
    cols: r,
    apply(y, out = new Float64Array(n)) {
      applyP(y, t);
      applyA(t, out);
      return out;
    },
    applyT(u, out = new Float64Array(r)) {
      applyAT(u, t);
      applyPT(t, out);
      return out;
    },
  };
  if (options.x0 !== undefined) {
    if (!(options.x0 instanceof Float64Array) || options.x0.length !== d) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: x0 must be a Float64Array of length ${d}`, 'options.x0');
    }
    assertFinite(options.x0, 'options.x0', fn);
  }
  const xOut = new Float64Array(d);
  const userCallback = options.callback;
  const res = lsqr(B, b, {
    atol: options.atol ?? 1e-10,
    btol: options.btol ?? 1e-10,
    conlim: options.conlim ?? 1e8,
    iterLim: options.iterLim ?? 2 * d,
    x0: options.x0 ? toY(options.x0) : undefined,
    signal: options.signal,
    callback: userCallback
      ? (it, rn, y) => {
          applyP(y, xOut);
          return userCallback(it, rn, xOut);
        }
      : undefined,
  });
  const x = new Float64Array(d);
  applyP(res.x, x);
  const total = clock.seconds();
  return {
    ...res,
    x,
    kind,
    m,
    preconditioner,
    rank: r,
    sketchSeconds,
    factorSeconds,
    lsqrSeconds: total - sketchSeconds - factorSeconds,
    seconds: total,
  };
}
