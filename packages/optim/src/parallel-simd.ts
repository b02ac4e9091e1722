/**
 * WebAssembly SIMD kernels for {@link ParallelOptimizer}'s float32 Lion and AdamW steps and LAMB's two passes, over
 * Float32Array views in one shared WebAssembly.Memory. Internal: not exported from the package index.
 *
 * Why: the JS loops are compute-bound in V8 (each element costs f32↔f64 conversions and a dozen
 * scalar instructions: 3–4 ns per element for a bare Lion loop against 0.85 ns for a triad), so two
 * threads stayed at ~2× the memory-bandwidth bound. These loops do the same arithmetic two doubles
 * at a time.
 *
 * Bit-identity: JS evaluates every expression of the kernels in double and rounds once when it
 * stores to a Float32Array (or where Math.fround says). Here each pair of float32 values is loaded
 * (`v128.load64_zero`), widened exactly (`f64x2.promote_low_f32x4`), combined with the same f64x2
 * operations in the same order as the JS expression (wasm has no fused multiply-add, and IEEE
 * addition and multiplication are commutative, so `b1·m + c1·g` gives the same double either way),
 * and narrowed with round-to-nearest-even (`f32x4.demote_f64x2_zero`, the rounding of a Float32Array
 * store and of Math.fround) at exactly the JS kernel's rounding points. The only possible difference
 * is the sign or payload of a NaN, which Float32Array values do not distinguish in comparisons
 * (Object.is(NaN, NaN)). Each kernel does the first ⌊n/4⌋·4 elements; the caller runs the JS kernel
 * on the rest. LAMB's sums of squares Σu², Σθ² are added one element at a time in index order (lane
 * 0, then lane 1) into scalar float64 accumulators rather than per lane, so they too are the JS
 * loop's to the bit (the caller continues them over the tail), and ParallelOptimizer with SIMD gives
 * the same ρ as without.
 *
 * The module is assembled byte by byte with core's `wasmAsm` (as core's wasm-simd.ts is) and
 * imports a SHARED memory (`env.memory`), so every worker instantiates it on the one Memory that holds θ, g and the state.
 */

import { wasmAsm } from '@optkit/core';

// ---------------------------------------------------------------------------------------------
// The assembler is core's (wasmAsm); the opcodes used here.

const { I32, F64, V128, uleb, simd, F64_ADD, I32_ADD, I32_AND, I32_SHL, I32_LT_U, I32_GE_U, BLOCK, LOOP, END, BR_IF } = wasmAsm;
const get = wasmAsm.localGet;
const set = wasmAsm.localSet;
const i32 = wasmAsm.i32Const;
const f64 = wasmAsm.f64Const;
/** Two float32 at byte `offset` past the address on the stack, widened to f64x2 (alignment hint 8 bytes). */
const load2 = (offset: number) => [...simd(0x5d), 3, ...uleb(offset), ...simd(0x5f)];
/** Narrows the f64x2 on the stack to two float32 and stores them at byte `offset` past the address below it. */
const store2 = (offset: number) => [...simd(0x5e), ...simd(0x5b), 3, ...uleb(offset), 0];
/** f64x2 → f32 → f64x2: the value a Float32Array store (or Math.fround) would give. */
const ROUND = [...simd(0x5e), ...simd(0x5f)];
const SPLAT = simd(0x14);
const LT = simd(0x49);
const GT = simd(0x4a);
const AND = simd(0x4e);
const SQRT = simd(0xef);
const ADD = simd(0xf0);
const SUB = simd(0xf1);
const MUL = simd(0xf2);
const DIV = simd(0xf3);
/** f64x2.extract_lane of lane `k`. */
const LANE = (k: number) => [...simd(0x21), k];

/** Byte address of element i (a byte index) of the array whose byte address is in local `base`. */
const at = (base: number, i: number) => [...get(base), ...get(i), I32_ADD];

type FunctionSpec = wasmAsm.FunctionSpec;

/**
 * The loop shared by the kernels: `pointers` (element offsets) become byte addresses, then
 * `half(offset)` runs for the two float32 at byte offsets 0 and 8 past i, four elements per
 * iteration, over the first ⌊n/4⌋·4 elements.
 */
function loop4(pointers: number[], n: number, i: number, end4: number, half: (offset: number) => number[]): number[] {
  return [
    ...pointers.flatMap((p) => [...get(p), ...i32(2), I32_SHL, ...set(p)]),
    ...get(n), ...i32(-4), I32_AND, ...i32(2), I32_SHL, ...set(end4),
    ...BLOCK,
    ...get(i), ...get(end4), I32_GE_U, BR_IF, 0,
    ...LOOP,
    ...half(0), ...half(8),
    ...get(i), ...i32(16), I32_ADD, ...set(i),
    ...get(i), ...get(end4), I32_LT_U, BR_IF, 0,
    END, END,
  ];
}

/** Splats f64 locals `from[k]` into v128 locals `to[k]`. */
const splats = (from: number[], to: number[]) => from.flatMap((f, k) => [...get(f), ...SPLAT, ...set(to[k])]);

/**
 * Lion's direction and sign, as lion.ts's loop: c = b1·mi + c1·g; s = +(c > 0) − +(c < 0) + c·0.
 * Leaves g in `vg`, mi in `vm`, s in `vs`.
 */
function lionHead(grad: number, m: number, i: number, offset: number, L: { b1: number; c1: number; zero: number; one: number; vg: number; vm: number; vs: number }): number[] {
  return [
    ...at(grad, i), ...load2(offset), ...set(L.vg),
    ...at(m, i), ...load2(offset), ...set(L.vm),
    ...get(L.b1), ...get(L.vm), ...MUL, ...get(L.c1), ...get(L.vg), ...MUL, ...ADD, ...set(L.vs), // c
    ...get(L.vs), ...get(L.zero), ...GT, ...get(L.one), ...AND,
    ...get(L.vs), ...get(L.zero), ...LT, ...get(L.one), ...AND, ...SUB,
    ...get(L.vs), ...get(L.zero), ...MUL, ...ADD, ...set(L.vs),
  ];
}

/** m ← b2·mi + c2·g. */
const lionMomentum = (m: number, i: number, offset: number, b2: number, c2: number, vg: number, vm: number) => [
  ...at(m, i), ...get(b2), ...get(vm), ...MUL, ...get(c2), ...get(vg), ...MUL, ...ADD, ...store2(offset),
];

/** lionPlain(theta, grad, m, n, step, b1, c1, b2, c2): θ += s·step (step = fround(−lr)). */
function lionPlainSpec(): FunctionSpec {
  const [theta, grad, m, n, step, b1, c1, b2, c2] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, end4] = [9, 10];
  const L = { step: 11, b1: 12, c1: 13, b2: 14, c2: 15, zero: 16, one: 17, vg: 18, vm: 19, vs: 20 };
  const half = (o: number) => [
    ...lionHead(grad, m, i, o, L),
    ...at(theta, i), ...at(theta, i), ...load2(o), ...get(L.vs), ...get(L.step), ...MUL, ...ADD, ...store2(o),
    ...lionMomentum(m, i, o, L.b2, L.c2, L.vg, L.vm),
  ];
  return {
    name: 'lionPlain',
    params: [I32, I32, I32, I32, F64, F64, F64, F64, F64],
    locals: [[2, I32], [10, V128]],
    body: [
      ...splats([step, b1, c1, b2, c2], [L.step, L.b1, L.c1, L.b2, L.c2]),
      ...f64(0), ...SPLAT, ...set(L.zero), ...f64(1), ...SPLAT, ...set(L.one),
      ...loop4([theta, grad, m], n, i, end4, half),
    ],
  };
}

/** lionDecayed(theta, grad, m, n, nlr, b1, c1, b2, c2, wd): θ += fround(fround(s + wd·θ)·nlr). */
function lionDecayedSpec(): FunctionSpec {
  const [theta, grad, m, n, nlr, b1, c1, b2, c2, wd] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, end4] = [10, 11];
  const L = { nlr: 12, b1: 13, c1: 14, b2: 15, c2: 16, wd: 17, zero: 18, one: 19, vg: 20, vm: 21, vs: 22, vt: 23 };
  const half = (o: number) => [
    ...lionHead(grad, m, i, o, L),
    ...at(theta, i), ...load2(o), ...set(L.vt),
    ...at(theta, i), ...get(L.vt),
    ...get(L.vs), ...get(L.wd), ...get(L.vt), ...MUL, ...ADD, ...ROUND, ...get(L.nlr), ...MUL, ...ROUND,
    ...ADD, ...store2(o),
    ...lionMomentum(m, i, o, L.b2, L.c2, L.vg, L.vm),
  ];
  return {
    name: 'lionDecayed',
    params: [I32, I32, I32, I32, F64, F64, F64, F64, F64, F64],
    locals: [[2, I32], [12, V128]],
    body: [
      ...splats([nlr, b1, c1, b2, c2, wd], [L.nlr, L.b1, L.c1, L.b2, L.c2, L.wd]),
      ...f64(0), ...SPLAT, ...set(L.zero), ...f64(1), ...SPLAT, ...set(L.one),
      ...loop4([theta, grad, m], n, i, end4, half),
    ],
  };
}

/**
 * adamw(theta, grad, m, v, n, a, keep, b1, c1, b2, c2, r2, eps), as adamwStep's loop:
 * mi = b1·m + c1·g; vi = b2·v + c2·g·g; m ← mi; v ← vi; θ ← keep·θ + (a·mi)/(√(vi·r2) + eps).
 */
function adamwSpec(): FunctionSpec {
  const [theta, grad, m, v, n, a, keep, b1, c1, b2, c2, r2, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [i, end4] = [13, 14];
  const L = { a: 15, keep: 16, b1: 17, c1: 18, b2: 19, c2: 20, r2: 21, eps: 22, vg: 23, mi: 24, vi: 25 };
  const half = (o: number) => [
    ...at(grad, i), ...load2(o), ...set(L.vg),
    ...get(L.b1), ...at(m, i), ...load2(o), ...MUL, ...get(L.c1), ...get(L.vg), ...MUL, ...ADD, ...set(L.mi),
    ...get(L.b2), ...at(v, i), ...load2(o), ...MUL, ...get(L.c2), ...get(L.vg), ...MUL, ...get(L.vg), ...MUL, ...ADD, ...set(L.vi),
    ...at(m, i), ...get(L.mi), ...store2(o),
    ...at(v, i), ...get(L.vi), ...store2(o),
    ...at(theta, i),
    ...get(L.keep), ...at(theta, i), ...load2(o), ...MUL,
    ...get(L.a), ...get(L.mi), ...MUL, ...get(L.vi), ...get(L.r2), ...MUL, ...SQRT, ...get(L.eps), ...ADD, ...DIV,
    ...ADD, ...store2(o),
  ];
  return {
    name: 'adamw',
    params: [I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64, F64],
    locals: [[2, I32], [11, V128]],
    body: [
      ...splats([a, keep, b1, c1, b2, c2, r2, eps], [L.a, L.keep, L.b1, L.c1, L.b2, L.c2, L.r2, L.eps]),
      ...loop4([theta, grad, m, v], n, i, end4, half),
    ],
  };
}

/**
 * LAMB pass 1, as lamb-step.ts's directionF32: mi = b1·m + c1·g; vi = b2·v + c2·g·g; m ← mi; v ← vi;
 * u ← fround(fround((mi·r1)/(√(vi·r2 + 0) + eps)) + wd·θ) (`decay`) or fround((mi·r1)/(√(vi·r2 + 0) + eps)).
 * lambDirection[Decayed](theta, grad, m, v, u, n, b1, c1, b2, c2, r1, r2, eps[, wd], uu, ww) → (Σu², Σθ²):
 * the sums continue from `uu`, `ww` one element at a time in index order (lane 0, then lane 1, in
 * float64), so they are the JS loop's to the bit; two scalar add chains cost less than the memory
 * traffic of the pass.
 */
function lambDirectionSpec(decay: boolean): FunctionSpec {
  const [theta, grad, m, v, u, n, b1, c1, b2, c2, r1, r2, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const wd = decay ? 13 : -1;
  const P = decay ? 14 : 13;
  const [uu, ww] = [P, P + 1];
  const [i, end4] = [P + 2, P + 3];
  const V = P + 4;
  const L = { b1: V, c1: V + 1, b2: V + 2, c2: V + 3, r1: V + 4, r2: V + 5, eps: V + 6, wd: V + 7, zero: V + 8, vg: V + 9, mi: V + 10, vi: V + 11, vu: V + 12, vt: V + 13, sq: V + 14 };
  /** acc ← (acc + lane 0) + lane 1 of the f64x2 in `sq`. */
  const accumulate = (acc: number) => [...get(acc), ...get(L.sq), ...LANE(0), F64_ADD, ...get(L.sq), ...LANE(1), F64_ADD, ...set(acc)];
  const half = (o: number) => [
    ...at(grad, i), ...load2(o), ...set(L.vg),
    ...get(L.b1), ...at(m, i), ...load2(o), ...MUL, ...get(L.c1), ...get(L.vg), ...MUL, ...ADD, ...set(L.mi),
    ...get(L.b2), ...at(v, i), ...load2(o), ...MUL, ...get(L.c2), ...get(L.vg), ...MUL, ...get(L.vg), ...MUL, ...ADD, ...set(L.vi),
    ...at(m, i), ...get(L.mi), ...store2(o),
    ...at(v, i), ...get(L.vi), ...store2(o),
    ...at(theta, i), ...load2(o), ...set(L.vt),
    ...get(L.mi), ...get(L.r1), ...MUL, ...get(L.vi), ...get(L.r2), ...MUL, ...get(L.zero), ...ADD, ...SQRT, ...get(L.eps), ...ADD, ...DIV, ...ROUND,
    ...(decay ? [...get(L.wd), ...get(L.vt), ...MUL, ...ADD, ...ROUND] : []),
    ...set(L.vu),
    ...at(u, i), ...get(L.vu), ...store2(o),
    ...get(L.vu), ...get(L.vu), ...MUL, ...set(L.sq), ...accumulate(uu),
    ...get(L.vt), ...get(L.vt), ...MUL, ...set(L.sq), ...accumulate(ww),
  ];
  const scalars = decay ? [b1, c1, b2, c2, r1, r2, eps, wd] : [b1, c1, b2, c2, r1, r2, eps];
  const vectors = decay ? [L.b1, L.c1, L.b2, L.c2, L.r1, L.r2, L.eps, L.wd] : [L.b1, L.c1, L.b2, L.c2, L.r1, L.r2, L.eps];
  return {
    name: decay ? 'lambDirectionDecayed' : 'lambDirection',
    params: [I32, I32, I32, I32, I32, I32, ...scalars.map(() => F64), F64, F64],
    results: [F64, F64],
    locals: [[2, I32], [15, V128]],
    body: [
      ...splats(scalars, vectors),
      ...f64(0), ...SPLAT, ...set(L.zero),
      ...loop4([theta, grad, m, v, u], n, i, end4, half),
      ...get(uu), ...get(ww),
    ],
  };
}

/** LAMB pass 2, as lamb-step.ts's applyF32: lambApply(theta, u, n, rho, nlr): θ ← θ + fround(fround(u·ρ)·nlr). */
function lambApplySpec(): FunctionSpec {
  const [theta, u, n, rho, nlr] = [0, 1, 2, 3, 4];
  const [i, end4] = [5, 6];
  const L = { rho: 7, nlr: 8 };
  const half = (o: number) => [
    ...at(theta, i), ...at(theta, i), ...load2(o),
    ...at(u, i), ...load2(o), ...get(L.rho), ...MUL, ...ROUND, ...get(L.nlr), ...MUL, ...ROUND,
    ...ADD, ...store2(o),
  ];
  return {
    name: 'lambApply',
    params: [I32, I32, I32, F64, F64],
    locals: [[2, I32], [2, V128]],
    body: [...splats([rho, nlr], [L.rho, L.nlr]), ...loop4([theta, u], n, i, end4, half)],
  };
}

/** Most 64 KiB pages of a wasm32 memory (4 GiB). */
export const SIMD_MAX_PAGES = 65536;

/** The module: one function per kernel, exported by name, on an imported SHARED memory of at most SIMD_MAX_PAGES. */
function assembleModule(): Uint8Array {
  return wasmAsm.assembleModule([lionPlainSpec(), lionDecayedSpec(), adamwSpec(), lambDirectionSpec(false), lambDirectionSpec(true), lambApplySpec()], { maxPages: SIMD_MAX_PAGES, shared: true });
}

/** The WebAssembly JS API used here, typed locally (the project's TypeScript libraries omit it). */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedWasmMemory;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly, SIMD or shared memory is missing. Compiled once per thread. */
function stepModule(): object | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      const bytes = assembleModule();
      if (typeof wasmApi === 'object' && wasmApi.validate(bytes)) compiled = new wasmApi.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A shared memory of `bytes` bytes for the kernels, or null when they cannot run here (no
 * WebAssembly SIMD or shared memory, over 4 GiB, or the allocation failed). The caller checks
 * core's `simdAvailable()` (OPTKIT_NO_SIMD) first.
 */
export function createStepMemory(bytes: number): SharedWasmMemory | null {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > SIMD_MAX_PAGES || stepModule() === null || wasmApi === undefined) return null;
  try {
    return new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
}

/** The kernels on element offsets (float32 units) into the memory; each does the first ⌊n/4⌋·4 elements. */
export interface StepKernels {
  lionPlain(theta: number, grad: number, m: number, n: number, step: number, b1: number, c1: number, b2: number, c2: number): void;
  lionDecayed(theta: number, grad: number, m: number, n: number, nlr: number, b1: number, c1: number, b2: number, c2: number, wd: number): void;
  adamw(theta: number, grad: number, m: number, v: number, n: number, a: number, keep: number, b1: number, c1: number, b2: number, c2: number, r2: number, eps: number): void;
  /** LAMB pass 1 without decay; returns [Σu², Σθ²] continued from `uu`, `ww` in index order. */
  lambDirection(theta: number, grad: number, m: number, v: number, u: number, n: number, b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, uu: number, ww: number): [number, number];
  /** LAMB pass 1 with decay λ = `wd`; returns [Σu², Σθ²] continued from `uu`, `ww` in index order. */
  lambDirectionDecayed(theta: number, grad: number, m: number, v: number, u: number, n: number, b1: number, c1: number, b2: number, c2: number, r1: number, r2: number, eps: number, wd: number, uu: number, ww: number): [number, number];
  /** LAMB pass 2: θ ← θ + fround(fround(u·ρ)·nlr). */
  lambApply(theta: number, u: number, n: number, rho: number, nlr: number): void;
}

/** Instantiates the kernels on `memory` (in any thread that received it); throws where the module cannot compile. */
export function stepKernels(memory: SharedWasmMemory): StepKernels {
  const module = stepModule();
  if (module === null || wasmApi === undefined) throw new Error('parallel-simd: WebAssembly SIMD with shared memory is unavailable');
  return new wasmApi.Instance(module, { env: { memory } }).exports as unknown as StepKernels;
}
