import { describe, it, expect } from 'vitest';
import { Rng } from '@optkit/core';
import { realEigen, realEigenWorkspace, type RealEigen } from './real-eigen.js';

/** Column j of the row-major n×n V. */
function column(V: Float64Array, n: number, j: number): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = V[i * n + j];
  return c;
}

function matvec(A: Float64Array, n: number, x: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
    y[i] = s;
  }
  return y;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const a of v) s += a * a;
  return Math.sqrt(s);
}

/** max over eigenpairs of ‖A·v − λ·v‖ / ‖v‖, real pairs and complex pairs (via their real/imag parts). */
function worstResidual(A: Float64Array, n: number, eig: RealEigen): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    if (eig.im[j] === 0) {
      const v = column(eig.vectors, n, j);
      const Av = matvec(A, n, v);
      for (let i = 0; i < n; i++) Av[i] -= eig.re[j] * v[i];
      worst = Math.max(worst, norm(Av) / norm(v));
    } else if (eig.im[j] > 0) {
      const vr = column(eig.vectors, n, j);
      const vi = column(eig.vectors, n, j + 1);
      const a = eig.re[j];
      const b = eig.im[j];
      // A(vr + i·vi) = (a + i·b)(vr + i·vi)  ⇔  A·vr = a·vr − b·vi and A·vi = b·vr + a·vi.
      const Avr = matvec(A, n, vr);
      const Avi = matvec(A, n, vi);
      for (let i = 0; i < n; i++) {
        Avr[i] -= a * vr[i] - b * vi[i];
        Avi[i] -= b * vr[i] + a * vi[i];
      }
      const scale = Math.hypot(norm(vr), norm(vi));
      worst = Math.max(worst, Math.hypot(norm(Avr), norm(Avi)) / scale);
    }
  }
  return worst;
}

describe('realEigen', () => {
  it('returns the diagonal of a diagonal matrix with unit-vector eigenvectors', () => {
    const A = new Float64Array([3, 0, 0, 0, -1, 0, 0, 0, 7]);
    const eig = realEigen(A, 3)!;
    expect(eig).toBeDefined();
    expect(Array.from(eig.im)).toEqual([0, 0, 0]);
    expect(Array.from(eig.re).sort((x, y) => x - y)).toEqual([-1, 3, 7]);
    expect(worstResidual(A, 3, eig)).toBeLessThan(1e-14);
    // A is not modified.
    expect(Array.from(A)).toEqual([3, 0, 0, 0, -1, 0, 0, 0, 7]);
  });

  it('finds the complex pair ±i of the rotation [[0,-1],[1,0]] in (+im, −im) order', () => {
    const A = new Float64Array([0, -1, 1, 0]);
    const eig = realEigen(A, 2)!;
    expect(eig.re[0]).toBeCloseTo(0, 14);
    expect(eig.re[1]).toBeCloseTo(0, 14);
    expect(eig.im[0]).toBeCloseTo(1, 14);
    expect(eig.im[1]).toBeCloseTo(-1, 14);
    expect(worstResidual(A, 2, eig)).toBeLessThan(1e-14);
  });

  it('finds a + bi pair next to a real eigenvalue: [[a,-b,0],[b,a,0],[0,0,c]]', () => {
    const A = new Float64Array([2, -3, 0, 3, 2, 0, 0, 0, 5]);
    const eig = realEigen(A, 3)!;
    const reals = [] as number[];
    const pairs = [] as [number, number][];
    for (let j = 0; j < 3; j++) {
      if (eig.im[j] === 0) reals.push(eig.re[j]);
      else if (eig.im[j] > 0) {
        pairs.push([eig.re[j], eig.im[j]]);
        expect(eig.re[j + 1]).toBeCloseTo(eig.re[j], 14);
        expect(eig.im[j + 1]).toBeCloseTo(-eig.im[j], 14);
      }
    }
    expect(reals).toHaveLength(1);
    expect(reals[0]).toBeCloseTo(5, 13);
    expect(pairs).toHaveLength(1);
    expect(pairs[0][0]).toBeCloseTo(2, 13);
    expect(pairs[0][1]).toBeCloseTo(3, 13);
    expect(worstResidual(A, 3, eig)).toBeLessThan(1e-13);
  });

  it('random nonsymmetric 6×6: A·v = λ·v to 1e-10 and Σλ = trace(A)', () => {
    const n = 6;
    for (const seed of [1, 2, 3]) {
      const A = new Rng(seed).fillNormal(new Float64Array(n * n));
      const eig = realEigen(A, n)!;
      expect(eig).toBeDefined();
      let trace = 0;
      for (let i = 0; i < n; i++) trace += A[i * n + i];
      let sumRe = 0;
      let sumIm = 0;
      for (let j = 0; j < n; j++) {
        sumRe += eig.re[j];
        sumIm += eig.im[j];
      }
      expect(Math.abs(sumRe - trace)).toBeLessThan(1e-10);
      expect(Math.abs(sumIm)).toBeLessThan(1e-12);
      expect(worstResidual(A, n, eig)).toBeLessThan(1e-10);
    }
  });

  it('with a larger workspace gives the same answer as without', () => {
    const n = 6;
    const A = new Rng(7).fillNormal(new Float64Array(n * n));
    const fresh = realEigen(A, n)!;
    const ws = realEigenWorkspace(10);
    const viaWs = realEigen(A, n, ws)!;
    expect(Array.from(viaWs.re)).toEqual(Array.from(fresh.re));
    expect(Array.from(viaWs.im)).toEqual(Array.from(fresh.im));
    expect(Array.from(viaWs.vectors)).toEqual(Array.from(fresh.vectors));
    expect(viaWs.re.buffer).toBe(ws.d.buffer);
  });
});
