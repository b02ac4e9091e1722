/**
 * LAMB's trust-ratio rules, shared by the `lamb` transform (src/lamb.ts), the in-place `lambStep`
 * kernel (src/lamb-step.ts) and the multi-threaded stepper (src/parallel-step.ts), so that the three
 * apply the card's φ / zero-norm conventions (lamb.md §2 step 5, §7) from one place. Internal: not
 * exported from the package index.
 */
import { OptkitError, checkOption, type ParamArray } from '@optkit/core';

/**
 * √(Σ a²) by scaling with max |aᵢ|, for when the plain sum of squares `plainSum` overflowed
 * (BLAS nrm2's concern, lamb.md §7). NaN when `plainSum` is NaN; +Infinity when an element is.
 */
export function scaledNorm(a: ParamArray, plainSum: number): number {
  if (plainSum !== plainSum) return Number.NaN;
  let amax = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > amax || v !== v) amax = v;
  }
  if (!(amax < Number.POSITIVE_INFINITY)) return amax;
  let t = 0;
  for (let i = 0; i < a.length; i++) {
    const q = a[i] / amax;
    t += q * q;
  }
  return amax * Math.sqrt(t);
}

/** The norm from a sum of squares of `a` in index order: √sum, or the scaled recomputation on overflow. */
export function normFromSumOfSquares(a: ParamArray, sumSq: number): number {
  return sumSq < Number.POSITIVE_INFINITY ? Math.sqrt(sumSq) : scaledNorm(a, sumSq);
}

/** Validates the φ clamp `[lo, hi]` (0 ≤ lo ≤ hi, finite; hi > 0) of `clampWeightNorm`. */
export function checkClamp(clamp: readonly [number, number] | undefined, fn: string): readonly [number, number] | undefined {
  if (clamp === undefined) return undefined;
  if (!Array.isArray(clamp) || clamp.length !== 2) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option clampWeightNorm must be a pair [lo, hi]`, 'clampWeightNorm');
  }
  const lo = checkOption(clamp[0], 'clampWeightNorm[0]', { min: 0 }, fn);
  const hi = checkOption(clamp[1], 'clampWeightNorm[1]', { min: lo, minExclusive: lo === 0 }, fn);
  return [lo, hi];
}

/** ρ = φ(‖w‖)/‖u‖ when ‖w‖ > 0 and ‖u‖ > 0, else 1 (TF-Addons' fallbacks, lamb.md §2 step 5). */
export function trustRatio(wNorm: number, uNorm: number, clamp: readonly [number, number] | undefined): number {
  if (!(wNorm > 0 && uNorm > 0)) return 1;
  let phi = wNorm;
  if (clamp !== undefined) phi = phi < clamp[0] ? clamp[0] : phi > clamp[1] ? clamp[1] : phi;
  return phi / uNorm;
}
