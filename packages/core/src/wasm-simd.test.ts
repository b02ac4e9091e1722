import { afterEach, describe, expect, it } from 'vitest';
import { OptkitError } from './errors.js';
import { Rng } from './rng.js';
import { SIMD_ARENA_MAX_LENGTH, SimdArena, simdAvailable } from './wasm-simd.js';

const LENGTHS = [0, 1, 2, 3, 5, 1000, 4099];

/** Plain left-to-right loops: the reference every kernel is checked against. */
function refAxpy(alpha: number, v: Float64Array, w: Float64Array): Float64Array {
  const out = w.slice();
  for (let i = 0; i < w.length; i++) out[i] = w[i] + alpha * v[i];
  return out;
}
/** Σ aᵢbᵢ and Σ |aᵢbᵢ| (the scale the reduction error is measured against). */
function refDot(a: Float64Array, b: Float64Array): { sum: number; abs: number } {
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < a.length; i++) {
    sum += a[i] * b[i];
    abs += Math.abs(a[i] * b[i]);
  }
  return { sum, abs };
}

/**
 * The reductions add in another order than a left-to-right loop, so they may differ by rounding:
 * we require |got − ref| ≤ 1e-14·Σ|aᵢbᵢ| (the forward-error bound of either order is about n·ε of
 * that sum, n·ε ≤ 1e-12 here; typical errors are ~√n·ε, so 1e-14 still fails any real mistake
 * such as a dropped or doubled element, which moves the sum by ~Σ|aᵢbᵢ|/n ≥ 2e-4 of it).
 */
function expectReduction(got: number, ref: { sum: number; abs: number }): void {
  expect(Math.abs(got - ref.sum)).toBeLessThanOrEqual(1e-14 * ref.abs);
}

function randomVector(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  rng.fillNormal(v);
  return v;
}

for (const mode of ['simd', 'fallback'] as const) {
  describe(`SimdArena kernels (${mode})`, () => {
    const make = (length: number) => new SimdArena(length, { simd: mode === 'simd' });

    it(mode === 'simd' ? 'runs as WebAssembly SIMD on this Node (unless OPTKIT_NO_SIMD is set)' : 'runs the JS loops when forced', () => {
      expect(make(8).simd).toBe(mode === 'simd' && simdAvailable());
    });

    for (const n of LENGTHS) {
      it(`axpyDot, axpySquares, dot, scaleCopy, axpy match plain loops for n = ${n} at odd offsets`, () => {
        const rng = new Rng(n + 17);
        const arena = make(4 * n + 8);
        // alloc() hands out 16-byte aligned views; take odd (8-byte aligned) offsets directly.
        const v = arena.data.subarray(1, 1 + n);
        const w = arena.data.subarray(1 + n, 1 + 2 * n);
        const next = arena.data.subarray(1 + 2 * n + 2, 1 + 3 * n + 2);
        expect(arena.offsetOf(v) % 2).toBe(1);
        const v0 = randomVector(rng, n);
        const w0 = randomVector(rng, n);
        const next0 = randomVector(rng, n);
        v.set(v0);
        w.set(w0);
        next.set(next0);
        const alpha = rng.normal();

        const h = arena.axpyDot(alpha, v, w, next);
        const w1 = refAxpy(alpha, v0, w0);
        expect(Array.from(w)).toEqual(Array.from(w1)); // elementwise: bit-identical
        expectReduction(h, refDot(w1, next0));

        const sq = arena.axpySquares(-alpha, v, w);
        const w2 = refAxpy(-alpha, v0, w1);
        expect(Array.from(w)).toEqual(Array.from(w2));
        expectReduction(sq, refDot(w2, w2));

        expectReduction(arena.dot(v, next), refDot(v0, next0));

        arena.scaleCopy(alpha, v, next);
        expect(Array.from(next)).toEqual(Array.from(v0, (x) => x * alpha));

        arena.axpy(2.5, v, w);
        expect(Array.from(w)).toEqual(Array.from(refAxpy(2.5, v0, w2)));
        expect(Array.from(v)).toEqual(Array.from(v0)); // inputs untouched
      });
    }

    for (const n of LENGTHS) {
      it(`combine4 matches the JS expression bit for bit for n = ${n} (fresh and accumulating, odd stride)`, () => {
        const rng = new Rng(n + 99);
        const stride = n + 3; // odd when n is even: vectors at odd and even offsets alike
        const arena = make(5 * stride + 8);
        const v = [0, 1, 2, 3].map((k) => arena.data.subarray(1 + k * stride, 1 + k * stride + n));
        const u = arena.data.subarray(1 + 4 * stride, 1 + 4 * stride + n);
        for (const x of v) x.set(randomVector(rng, n));
        const u0 = randomVector(rng, n);
        const y = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
        const expected = (acc: boolean) =>
          Array.from(u0, (old, i) => {
            const t = y[0] * v[0][i] + y[1] * v[1][i] + y[2] * v[2][i] + y[3] * v[3][i];
            return acc ? old + t : t;
          });
        u.set(u0);
        arena.combine4(y, v, u);
        expect(Array.from(u)).toEqual(expected(false));
        u.set(u0);
        arena.combine4(y, v, u, true);
        expect(Array.from(u)).toEqual(expected(true));
      });
    }

    it('combine4 rejects unequally spaced or overlapping vectors', () => {
      const arena = make(64);
      const rows = [0, 1, 2, 3].map((k) => arena.data.subarray(4 * k, 4 * k + 4));
      const u = arena.data.subarray(40, 44);
      const codeOf = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          return (err as OptkitError).code;
        }
        return 'no error';
      };
      expect(codeOf(() => arena.combine4([1, 2, 3, 4], [rows[0], rows[1], rows[3], rows[2]], u))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => arena.combine4([1, 2, 3, 4], rows, rows[2]))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => arena.combine4([1, 2, 3], rows, u))).toBe('SHAPE_MISMATCH');
      expect(codeOf(() => arena.combine4([1, 2, 3, Number.NaN], rows, u))).toBe('NOT_FINITE');
      expect(codeOf(() => arena.combine4([1, 2, 3, 4], rows, u))).toBe('no error');
      expect(Array.from(u)).toEqual([0, 0, 0, 0]);
    });

    it('leaves the doubles around a vector untouched', () => {
      const arena = make(16);
      arena.data.fill(7);
      const v = arena.data.subarray(3, 8);
      const w = arena.data.subarray(9, 14);
      arena.axpy(1, v, w);
      arena.scaleCopy(2, v, w);
      expect(arena.data[8]).toBe(7);
      expect(arena.data[14]).toBe(7);
      expect(Array.from(w)).toEqual([14, 14, 14, 14, 14]);
    });

    it('propagates NaN like the JS loops', () => {
      const arena = make(16);
      const v = arena.alloc(5).fill(1);
      const w = arena.alloc(5).fill(1);
      v[4] = Number.NaN;
      expect(arena.dot(v, w)).toBeNaN();
      expect(arena.axpySquares(1, v, w)).toBeNaN();
      expect(w[4]).toBeNaN();
      expect(w[0]).toBe(2);
    });

    it('allocates zeroed, 16-byte aligned views and refuses to overflow', () => {
      const arena = make(10);
      expect(arena.capacity).toBe(8192); // one 64 KiB page
      const a = arena.alloc(3);
      const b = arena.alloc(5);
      expect(a.byteOffset % 16).toBe(0);
      expect(b.byteOffset % 16).toBe(0);
      expect(arena.offsetOf(b)).toBe(4);
      expect(Array.from(b)).toEqual([0, 0, 0, 0, 0]);
      expect(arena.free).toBe(8192 - 9);
      try {
        arena.alloc(9000);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(OptkitError);
        expect((err as OptkitError).code).toBe('LIMIT_EXCEEDED');
      }
    });

    it('rejects foreign views, length mismatches and bad scalars', () => {
      const arena = make(32);
      const v = arena.alloc(4);
      const w = arena.alloc(4);
      const codeOf = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          expect(err).toBeInstanceOf(OptkitError);
          return (err as OptkitError).code;
        }
        return 'no error';
      };
      expect(codeOf(() => arena.dot(v, new Float64Array(4)))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => arena.dot(v, arena.alloc(3)))).toBe('SHAPE_MISMATCH');
      expect(codeOf(() => arena.axpy(Number.NaN, v, w))).toBe('NOT_FINITE');
      expect(codeOf(() => arena.scaleCopy(Infinity, v, w))).toBe('NOT_FINITE');
      expect(codeOf(() => arena.alloc(-1))).toBe('INVALID_OPTION');
      expect(codeOf(() => new SimdArena(1.5))).toBe('INVALID_OPTION');
      expect(codeOf(() => new SimdArena(SIMD_ARENA_MAX_LENGTH + 1))).toBe('INVALID_OPTION');
    });
  });
}

describe('simdAvailable', () => {
  const saved = process.env.OPTKIT_NO_SIMD;
  afterEach(() => {
    if (saved === undefined) delete process.env.OPTKIT_NO_SIMD;
    else process.env.OPTKIT_NO_SIMD = saved;
  });

  it('is true on Node 20 and false when OPTKIT_NO_SIMD is set', () => {
    delete process.env.OPTKIT_NO_SIMD;
    expect(simdAvailable()).toBe(true);
    expect(new SimdArena(8).simd).toBe(true);
    process.env.OPTKIT_NO_SIMD = '1';
    expect(simdAvailable()).toBe(false);
    expect(new SimdArena(8).simd).toBe(false);
    process.env.OPTKIT_NO_SIMD = '0';
    expect(simdAvailable()).toBe(true);
  });
});

describe('SimdArena.tryCreate', () => {
  it('gives a SIMD arena, or undefined when SIMD is off or the length is out of range', () => {
    const saved = process.env.OPTKIT_NO_SIMD;
    try {
      delete process.env.OPTKIT_NO_SIMD;
      const a = SimdArena.tryCreate(100);
      if (simdAvailable()) {
        expect(a).toBeInstanceOf(SimdArena);
        expect(a!.simd).toBe(true);
        expect(a!.capacity).toBeGreaterThanOrEqual(100);
      } else expect(a).toBeUndefined();
      expect(SimdArena.tryCreate(SIMD_ARENA_MAX_LENGTH + 1)).toBeUndefined();
      expect(SimdArena.tryCreate(NaN)).toBeUndefined();
      process.env.OPTKIT_NO_SIMD = '1';
      expect(SimdArena.tryCreate(100)).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_NO_SIMD;
      else process.env.OPTKIT_NO_SIMD = saved;
    }
  });
});
