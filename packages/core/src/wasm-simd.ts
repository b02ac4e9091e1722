/**
 * WebAssembly SIMD (f64x2) kernels for the streaming vector loops that V8's scalar code cannot
 * speed up further, over Float64Array views that live inside one WebAssembly.Memory (a
 * {@link SimdArena}).
 *
 * Why: on the 512×512 Poisson problem GMRES spends most of its time in modified Gram–Schmidt
 * (w ← w + α·v fused with the next inner product) over vectors that fit the L3 cache, so the loop
 * is compute-bound; every JS variant tried ran no faster than the plain one-accumulator loop, while
 * a hand-assembled f64x2 loop (two accumulators, four doubles per iteration) ran 1.4–1.7× faster
 * with the same w to the last bit (2026-11-29, busy 2-core machine). No wasm toolchain is needed:
 * the module is assembled byte by byte below (a few dozen opcodes of the WebAssembly core and
 * fixed-width SIMD specifications), once per process, and compiled on first use.
 *
 * Results: the elementwise parts (the axpy in axpyDot/axpySquares/axpy, scaleCopy, combine4) are
 * bit-identical to the plain JS loops (wasm has no fused multiply-add outside relaxed SIMD, and
 * IEEE addition and multiplication are commutative). The reductions (dot, axpyDot, axpySquares)
 * add in a different order (four interleaved partial sums, then a scalar tail), so they differ
 * from a left-to-right sum by rounding only: both lie within about n·ε·Σ|aᵢbᵢ| of the exact sum
 * (the standard bound for either order), and within ~1e-15·Σ|aᵢbᵢ| of each other in practice.
 *
 * Where WebAssembly or its SIMD proposal is missing (checked with WebAssembly.validate), where
 * compiling is forbidden, or where the environment variable `OPTKIT_NO_SIMD` is set to anything
 * but '' or '0', {@link simdAvailable} is false and a {@link SimdArena} runs the same kernels as
 * plain JS loops over its memory.
 */
import { OptkitError, assertFiniteNumber, checkOption } from './errors.js';
import { BLOCK, BR_IF, END, F64, F64_ADD, F64_MUL, I32, I32_ADD, I32_AND, I32_GE_U, I32_LT_U, I32_SHL, LOOP, V128, assembleModule, i32Const, localGet, localSet, simd, uleb, type FunctionSpec } from './wasm-asm.js';

// ---------------------------------------------------------------------------------------------
// The assembler (wasm-asm.ts) and the opcodes the kernels use.

const get = localGet;
const set = localSet;
const i32 = i32Const;
/** Memory immediates: alignment hint 2³ = 8 bytes (vectors may start at any double), then the byte offset. */
const F64_LOAD = [0x2b, 3, 0];
const F64_STORE = [0x39, 3, 0];
const v128Load = (offset: number) => [...simd(0x00), 3, ...uleb(offset)];
const v128Store = (offset: number) => [...simd(0x0b), 3, ...uleb(offset)];
const F64X2_SPLAT = simd(0x14);
const f64x2Lane = (lane: number) => [...simd(0x21), lane];
const F64X2_ADD = simd(0xf0);
const F64X2_MUL = simd(0xf2);

/** Address of element i (a byte index) of the vector whose byte address is in local `base`. */
const at = (base: number, i: number) => [...get(base), ...get(i), I32_ADD];


/**
 * The common loop of every kernel. `pointers` are the locals holding element offsets, turned into
 * byte addresses first; `n` is the length local. Locals `i`, `end4` and `end` (i32) are the byte
 * index and the ends of the 4-wide part and of the vector. `vectorStep(offset)` processes two
 * doubles at byte `offset` (0 or 16) past i; `scalarStep` one double at i.
 */
function streamLoop(
  pointers: number[],
  n: number,
  i: number,
  end4: number,
  end: number,
  vectorStep: (offset: number) => number[],
  scalarStep: number[],
): number[] {
  return [
    ...pointers.flatMap((p) => [...get(p), ...i32(3), I32_SHL, ...set(p)]),
    ...get(n), ...i32(-4), I32_AND, ...i32(3), I32_SHL, ...set(end4),
    ...get(n), ...i32(3), I32_SHL, ...set(end),
    // Four doubles per iteration: two f64x2 steps, so two independent accumulators.
    ...BLOCK,
    ...get(i), ...get(end4), I32_GE_U, BR_IF, 0,
    ...LOOP,
    ...vectorStep(0), ...vectorStep(16),
    ...get(i), ...i32(32), I32_ADD, ...set(i),
    ...get(i), ...get(end4), I32_LT_U, BR_IF, 0,
    END, END,
    // The last n mod 4 doubles one at a time.
    ...BLOCK,
    ...get(i), ...get(end), I32_GE_U, BR_IF, 0,
    ...LOOP,
    ...scalarStep,
    ...get(i), ...i32(8), I32_ADD, ...set(i),
    ...get(i), ...get(end), I32_LT_U, BR_IF, 0,
    END, END,
  ];
}

/** (acc0 + acc1) summed across lanes, plus the scalar tail sum. */
const reduce = (acc0: number, acc1: number, tail: number) => [
  ...get(acc0), ...get(acc1), ...F64X2_ADD, ...set(acc0),
  ...get(acc0), ...f64x2Lane(0), ...get(acc0), ...f64x2Lane(1), F64_ADD,
  ...get(tail), F64_ADD,
];

/** t ← w + α·v at byte `offset` past i (α splatted in local `al`), stored back into w. */
const axpyVector = (w: number, v: number, al: number, i: number, t: number, offset: number) => [
  ...at(w, i), ...v128Load(offset), ...get(al), ...at(v, i), ...v128Load(offset), ...F64X2_MUL, ...F64X2_ADD, ...set(t),
  ...at(w, i), ...get(t), ...v128Store(offset),
];
const axpyScalar = (w: number, v: number, alpha: number, i: number, a: number) => [
  ...at(w, i), ...F64_LOAD, ...get(alpha), ...at(v, i), ...F64_LOAD, F64_MUL, F64_ADD, ...set(a),
  ...at(w, i), ...get(a), ...F64_STORE,
];

function axpyDotSpec(): FunctionSpec {
  // params: alpha, v, w, next, n; locals: i, end4, end (i32), s, a (f64), al, acc0, acc1, t0, t1 (v128)
  const [alpha, v, w, next, n, i, end4, end, s, a, al, acc0, acc1, t0, t1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const step = (offset: number) => {
    const acc = offset === 0 ? acc0 : acc1;
    const t = offset === 0 ? t0 : t1;
    return [
      ...axpyVector(w, v, al, i, t, offset),
      ...get(acc), ...get(t), ...at(next, i), ...v128Load(offset), ...F64X2_MUL, ...F64X2_ADD, ...set(acc),
    ];
  };
  return {
    name: 'axpyDot',
    params: [F64, I32, I32, I32, I32],
    results: [F64],
    locals: [[3, I32], [2, F64], [5, V128]],
    body: [
      ...get(alpha), ...F64X2_SPLAT, ...set(al),
      ...streamLoop([v, w, next], n, i, end4, end, step, [
        ...axpyScalar(w, v, alpha, i, a),
        ...get(s), ...get(a), ...at(next, i), ...F64_LOAD, F64_MUL, F64_ADD, ...set(s),
      ]),
      ...reduce(acc0, acc1, s),
    ],
  };
}

function axpySquaresSpec(): FunctionSpec {
  // params: alpha, v, w, n; locals: i, end4, end (i32), s, a (f64), al, acc0, acc1, t0, t1 (v128)
  const [alpha, v, w, n, i, end4, end, s, a, al, acc0, acc1, t0, t1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const step = (offset: number) => {
    const acc = offset === 0 ? acc0 : acc1;
    const t = offset === 0 ? t0 : t1;
    return [...axpyVector(w, v, al, i, t, offset), ...get(acc), ...get(t), ...get(t), ...F64X2_MUL, ...F64X2_ADD, ...set(acc)];
  };
  return {
    name: 'axpySquares',
    params: [F64, I32, I32, I32],
    results: [F64],
    locals: [[3, I32], [2, F64], [5, V128]],
    body: [
      ...get(alpha), ...F64X2_SPLAT, ...set(al),
      ...streamLoop([v, w], n, i, end4, end, step, [
        ...axpyScalar(w, v, alpha, i, a),
        ...get(s), ...get(a), ...get(a), F64_MUL, F64_ADD, ...set(s),
      ]),
      ...reduce(acc0, acc1, s),
    ],
  };
}

function dotSpec(): FunctionSpec {
  // params: x, y, n; locals: i, end4, end (i32), s (f64), acc0, acc1 (v128)
  const [x, y, n, i, end4, end, s, acc0, acc1] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const step = (offset: number) => {
    const acc = offset === 0 ? acc0 : acc1;
    return [...get(acc), ...at(x, i), ...v128Load(offset), ...at(y, i), ...v128Load(offset), ...F64X2_MUL, ...F64X2_ADD, ...set(acc)];
  };
  return {
    name: 'dot',
    params: [I32, I32, I32],
    results: [F64],
    locals: [[3, I32], [1, F64], [2, V128]],
    body: [
      ...streamLoop([x, y], n, i, end4, end, step, [...get(s), ...at(x, i), ...F64_LOAD, ...at(y, i), ...F64_LOAD, F64_MUL, F64_ADD, ...set(s)]),
      ...reduce(acc0, acc1, s),
    ],
  };
}

function scaleCopySpec(): FunctionSpec {
  // params: scale, src, dst, n; locals: i, end4, end (i32), sc (v128)
  const [scale, src, dst, n, i, end4, end, sc] = [0, 1, 2, 3, 4, 5, 6, 7];
  const step = (offset: number) => [...at(dst, i), ...at(src, i), ...v128Load(offset), ...get(sc), ...F64X2_MUL, ...v128Store(offset)];
  return {
    name: 'scaleCopy',
    params: [F64, I32, I32, I32],
    locals: [[3, I32], [1, V128]],
    body: [
      ...get(scale), ...F64X2_SPLAT, ...set(sc),
      ...streamLoop([src, dst], n, i, end4, end, step, [...at(dst, i), ...at(src, i), ...F64_LOAD, ...get(scale), F64_MUL, ...F64_STORE]),
    ],
  };
}

function axpySpec(): FunctionSpec {
  // params: alpha, v, w, n; locals: i, end4, end (i32), a (f64), al, t0, t1 (v128)
  const [alpha, v, w, n, i, end4, end, a, al, t0, t1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const step = (offset: number) => axpyVector(w, v, al, i, offset === 0 ? t0 : t1, offset);
  return {
    name: 'axpy',
    params: [F64, I32, I32, I32],
    locals: [[3, I32], [1, F64], [3, V128]],
    body: [...get(alpha), ...F64X2_SPLAT, ...set(al), ...streamLoop([v, w], n, i, end4, end, step, axpyScalar(w, v, alpha, i, a))],
  };
}

/**
 * u ← y0·v0 + y1·v1 + y2·v2 + y3·v3 (or u + that, when `accumulate`), with v_k at element offset
 * v + k·stride, added in the order of the JS expression `y0*v0[i] + y1*v1[i] + y2*v2[i] + y3*v3[i]`
 * so the result is bit-identical to it.
 */
function combine4Spec(accumulate: boolean): FunctionSpec {
  // params: y0..y3, v, stride, u, n; locals: i, end4, end, v1, v2, v3 (i32), s0..s3 (v128: y_k splatted)
  const [y0, v, stride, u, n, i, end4, end, v1, s0] = [0, 4, 5, 6, 7, 8, 9, 10, 11, 14];
  const vs = [v, v1, v1 + 1, v1 + 2];
  const step = (offset: number) => [
    ...at(u, i),
    ...[0, 1, 2, 3].flatMap((k) => [...get(s0 + k), ...at(vs[k], i), ...v128Load(offset), ...F64X2_MUL, ...(k > 0 ? F64X2_ADD : [])]),
    ...(accumulate ? [...at(u, i), ...v128Load(offset), ...F64X2_ADD] : []),
    ...v128Store(offset),
  ];
  const scalar = [
    ...at(u, i),
    ...[0, 1, 2, 3].flatMap((k) => [...get(y0 + k), ...at(vs[k], i), ...F64_LOAD, F64_MUL, ...(k > 0 ? [F64_ADD] : [])]),
    ...(accumulate ? [...at(u, i), ...F64_LOAD, F64_ADD] : []),
    ...F64_STORE,
  ];
  return {
    name: accumulate ? 'accumulate4' : 'combine4',
    params: [F64, F64, F64, F64, I32, I32, I32, I32],
    locals: [[6, I32], [4, V128]],
    body: [
      ...[0, 1, 2, 3].flatMap((k) => [...get(y0 + k), ...F64X2_SPLAT, ...set(s0 + k)]),
      ...[1, 2, 3].flatMap((k) => [...get(vs[k - 1]), ...get(stride), I32_ADD, ...set(vs[k])]),
      ...streamLoop([...vs, u], n, i, end4, end, step, scalar),
    ],
  };
}

/** The module's bytes: one function per kernel, exported by name; the memory is imported as `env.memory`. */
function kernelModule(): Uint8Array {
  return assembleModule([axpyDotSpec(), axpySquaresSpec(), dotSpec(), scaleCopySpec(), axpySpec(), combine4Spec(false), combine4Spec(true)]);
}

/** The assembled module, built once when this file loads (a few hundred bytes). */
const MODULE_BYTES = kernelModule();

/**
 * The part of the WebAssembly JS API used here, typed locally: the project's TypeScript libraries
 * (ES2022 without DOM) do not declare it, and it may be absent at run time.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** undefined: not tried yet; null: unavailable (no WebAssembly, no SIMD, or compiling forbidden). */
let compiled: object | null | undefined;

function compiledModule(): object | null {
  if (compiled === undefined) {
    let module: object | null = null;
    try {
      if (typeof wasmApi === 'object' && wasmApi.validate(MODULE_BYTES)) module = new wasmApi.Module(MODULE_BYTES);
    } catch {
      module = null; // e.g. a content security policy without 'wasm-unsafe-eval'
    }
    compiled = module;
  }
  return compiled;
}

function disabledByEnvironment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const flag = env?.OPTKIT_NO_SIMD;
  return flag !== undefined && flag !== '' && flag !== '0';
}

/**
 * Whether the WebAssembly SIMD kernels can run here: WebAssembly with fixed-width SIMD is present
 * (the assembled module validates and compiles; Node ≥ 16.4, current browsers) and the environment
 * variable `OPTKIT_NO_SIMD` is unset, '' or '0'. The variable is read on every call, so a process
 * may switch it (for an A/B measurement); the module is compiled once, on the first call.
 */
export function simdAvailable(): boolean {
  if (disabledByEnvironment()) return false;
  return compiledModule() !== null;
}

/**
 * The vector kernels of a {@link SimdArena}, on element offsets into its `data` (not bytes), for
 * hot loops: nothing is checked. An offset range outside the arena traps (a WebAssembly
 * RuntimeError) in the SIMD version and reads NaN in the fallback, so callers must keep offsets
 * and lengths inside arrays they allocated from the arena. The arena's view-taking methods check.
 */
export interface SimdKernels {
  /** True when these run as WebAssembly SIMD, false for the plain JS fallback. */
  readonly simd: boolean;
  /** w ← w + α·v over n entries, returning the new w · next. */
  axpyDot(alpha: number, v: number, w: number, next: number, n: number): number;
  /** w ← w + α·v over n entries, returning ‖new w‖². */
  axpySquares(alpha: number, v: number, w: number, n: number): number;
  /** x · y over n entries. */
  dot(x: number, y: number, n: number): number;
  /** dst ← s·src over n entries (src and dst may be the same vector). */
  scaleCopy(s: number, src: number, dst: number, n: number): void;
  /** w ← w + α·v over n entries. */
  axpy(alpha: number, v: number, w: number, n: number): void;
  /**
   * u ← y0·v0 + y1·v1 + y2·v2 + y3·v3 over n entries, plus the old u when `accumulate`, where v_k
   * starts at v + k·stride (four basis vectors per pass over u). Bit-identical to the JS expression
   * `y0*v0[i] + y1*v1[i] + y2*v2[i] + y3*v3[i]` (added left to right). u must not overlap the v_k.
   */
  combine4(y0: number, y1: number, y2: number, y3: number, v: number, stride: number, u: number, n: number, accumulate: boolean): void;
}

/** The same kernels as plain left-to-right JS loops over `data`. */
function fallbackKernels(data: Float64Array): SimdKernels {
  return {
    simd: false,
    axpyDot(alpha, v, w, next, n) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const a = data[w + i] + alpha * data[v + i];
        data[w + i] = a;
        s += a * data[next + i];
      }
      return s;
    },
    axpySquares(alpha, v, w, n) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const a = data[w + i] + alpha * data[v + i];
        data[w + i] = a;
        s += a * a;
      }
      return s;
    },
    dot(x, y, n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += data[x + i] * data[y + i];
      return s;
    },
    scaleCopy(s, src, dst, n) {
      for (let i = 0; i < n; i++) data[dst + i] = data[src + i] * s;
    },
    axpy(alpha, v, w, n) {
      for (let i = 0; i < n; i++) data[w + i] += alpha * data[v + i];
    },
    combine4(y0, y1, y2, y3, v, stride, u, n, accumulate) {
      const v1 = v + stride;
      const v2 = v1 + stride;
      const v3 = v2 + stride;
      for (let i = 0; i < n; i++) {
        const t = y0 * data[v + i] + y1 * data[v1 + i] + y2 * data[v2 + i] + y3 * data[v3 + i];
        data[u + i] = accumulate ? data[u + i] + t : t;
      }
    },
  };
}

/** Largest arena in doubles: 4 GiB, the wasm32 limit (byte addresses must fit 32 bits). */
export const SIMD_ARENA_MAX_LENGTH = 2 ** 29;

export interface SimdArenaOptions {
  /**
   * false forces the plain JS kernels (for tests and comparisons). Default: {@link simdAvailable}().
   * true where SIMD is unavailable also gives the JS kernels (check `arena.simd`).
   */
  simd?: boolean;
}

/**
 * A fixed-size block of float64 memory (a WebAssembly.Memory when SIMD runs, else an ArrayBuffer)
 * that hands out Float64Array views and runs {@link SimdKernels} over them. Size it once for
 * everything a computation needs (e.g. one solve's Krylov basis and work vectors): it never grows,
 * because growing a WebAssembly memory detaches every view handed out before. Allocation is a
 * bump pointer; the arena is freed as a whole by the garbage collector.
 *
 * ```ts
 * const arena = new SimdArena(2 * 1000);
 * const x = arena.alloc(1000).fill(1), y = arena.alloc(1000).fill(2);
 * arena.axpyDot(0.5, x, y, x); // y ← y + 0.5·x, returns y·x = 2500
 * ```
 */
export class SimdArena {
  /** Capacity in doubles (rounded up to whole 64 KiB pages). */
  readonly capacity: number;
  /** Every double of the arena; views from {@link alloc} are subarrays of it. */
  readonly data: Float64Array;
  /** The kernels, on element offsets into `data` (see {@link offsetOf}). */
  readonly kernels: SimdKernels;
  private used = 0;

  /** An arena of at least `length` doubles (0 ≤ length ≤ SIMD_ARENA_MAX_LENGTH, integer). */
  constructor(length: number, options: SimdArenaOptions = {}) {
    checkOption(length, 'length', { min: 0, max: SIMD_ARENA_MAX_LENGTH, integer: true }, 'SimdArena');
    const module = (options.simd ?? true) && simdAvailable() ? compiledModule() : null;
    const pages = Math.max(1, Math.ceil((length * 8) / 65536));
    let buffer: ArrayBuffer;
    let exports: Record<string, unknown> | undefined;
    if (module !== null && wasmApi !== undefined) {
      let memory: { buffer: ArrayBuffer };
      try {
        memory = new wasmApi.Memory({ initial: pages });
      } catch (err) {
        throw new OptkitError('LIMIT_EXCEEDED', `SimdArena: could not allocate ${length} doubles (${(err as Error).message})`, 'length');
      }
      exports = new wasmApi.Instance(module, { env: { memory } }).exports;
      buffer = memory.buffer;
    } else {
      buffer = new ArrayBuffer(pages * 65536);
    }
    this.data = new Float64Array(buffer);
    this.capacity = this.data.length;
    this.kernels = exports !== undefined ? wasmKernels(exports) : fallbackKernels(this.data);
  }

  /**
   * A SIMD arena of `length` doubles for a solver's fast path, or undefined — use plain JS loops —
   * when SIMD is unavailable (or switched off by OPTKIT_NO_SIMD), `length` exceeds
   * SIMD_ARENA_MAX_LENGTH, or the engine refuses the memory. Never returns a JS-fallback arena.
   */
  static tryCreate(length: number): SimdArena | undefined {
    if (!(length <= SIMD_ARENA_MAX_LENGTH) || !simdAvailable()) return undefined;
    try {
      const arena = new SimdArena(length);
      return arena.simd ? arena : undefined;
    } catch (err) {
      if (err instanceof OptkitError && err.code === 'LIMIT_EXCEEDED') return undefined;
      throw err;
    }
  }

  /** True when the kernels run as WebAssembly SIMD. */
  get simd(): boolean {
    return this.kernels.simd;
  }

  /** Doubles still free. */
  get free(): number {
    return this.capacity - this.used;
  }

  /**
   * A zero-filled view of `length` doubles starting at an even element offset (16-byte aligned).
   * Throws LIMIT_EXCEEDED when the arena is full, INVALID_ARGUMENT for a bad length.
   */
  alloc(length: number): Float64Array {
    checkOption(length, 'length', { min: 0, integer: true }, 'SimdArena.alloc');
    const start = this.used + (this.used & 1);
    if (start + length > this.capacity) {
      throw new OptkitError('LIMIT_EXCEEDED', `SimdArena.alloc: ${length} doubles requested, ${Math.max(0, this.capacity - start)} free`, 'length');
    }
    this.used = start + length;
    return this.data.subarray(start, start + length);
  }

  /** The element offset of `view` in `data`, for the raw {@link kernels}; INVALID_ARGUMENT if the view is not in this arena. */
  offsetOf(view: Float64Array): number {
    if (!(view instanceof Float64Array) || view.buffer !== this.data.buffer) {
      throw new OptkitError('INVALID_ARGUMENT', 'SimdArena.offsetOf: the vector is not a view of this arena', 'view');
    }
    return view.byteOffset / 8;
  }

  /** w ← w + α·v, returning the new w · next (all views of this arena, of one length). */
  axpyDot(alpha: number, v: Float64Array, w: Float64Array, next: Float64Array): number {
    assertFiniteNumber(alpha, 'alpha', 'SimdArena.axpyDot');
    const n = this.sameLength('SimdArena.axpyDot', w, v, next);
    return this.kernels.axpyDot(alpha, this.offsetOf(v), this.offsetOf(w), this.offsetOf(next), n);
  }

  /** w ← w + α·v, returning ‖new w‖². */
  axpySquares(alpha: number, v: Float64Array, w: Float64Array): number {
    assertFiniteNumber(alpha, 'alpha', 'SimdArena.axpySquares');
    const n = this.sameLength('SimdArena.axpySquares', w, v);
    return this.kernels.axpySquares(alpha, this.offsetOf(v), this.offsetOf(w), n);
  }

  /** x · y. */
  dot(x: Float64Array, y: Float64Array): number {
    const n = this.sameLength('SimdArena.dot', x, y);
    return this.kernels.dot(this.offsetOf(x), this.offsetOf(y), n);
  }

  /** dst ← s·src. */
  scaleCopy(s: number, src: Float64Array, dst: Float64Array): void {
    assertFiniteNumber(s, 's', 'SimdArena.scaleCopy');
    const n = this.sameLength('SimdArena.scaleCopy', dst, src);
    this.kernels.scaleCopy(s, this.offsetOf(src), this.offsetOf(dst), n);
  }

  /** w ← w + α·v. */
  axpy(alpha: number, v: Float64Array, w: Float64Array): void {
    assertFiniteNumber(alpha, 'alpha', 'SimdArena.axpy');
    const n = this.sameLength('SimdArena.axpy', w, v);
    this.kernels.axpy(alpha, this.offsetOf(v), this.offsetOf(w), n);
  }

  /**
   * u ← Σ_k y[k]·v[k] (k < 4; plus the old u when `accumulate`), the v[k] of u's length, with
   * the same rounding as the JS expression `y0*v0[i] + y1*v1[i] + y2*v2[i] + y3*v3[i]`. The four
   * vectors must be equally spaced in the arena (e.g. consecutive rows of one allocation).
   */
  combine4(y: ArrayLike<number>, v: readonly Float64Array[], u: Float64Array, accumulate = false): void {
    if (y.length !== 4 || v.length !== 4) throw new OptkitError('SHAPE_MISMATCH', 'SimdArena.combine4: needs 4 coefficients and 4 vectors', 'y');
    for (let k = 0; k < 4; k++) assertFiniteNumber(y[k], 'y', 'SimdArena.combine4');
    const n = this.sameLength('SimdArena.combine4', u, ...v);
    const o = v.map((x) => this.offsetOf(x));
    const stride = o[1] - o[0];
    if (o[2] - o[1] !== stride || o[3] - o[2] !== stride) {
      throw new OptkitError('INVALID_ARGUMENT', 'SimdArena.combine4: the four vectors must be equally spaced in the arena', 'v');
    }
    const uo = this.offsetOf(u);
    for (const x of o) {
      if (x < uo + n && uo < x + n) throw new OptkitError('INVALID_ARGUMENT', 'SimdArena.combine4: u overlaps an input vector', 'u');
    }
    this.kernels.combine4(y[0], y[1], y[2], y[3], o[0], stride, uo, n, accumulate);
  }

  private sameLength(fn: string, first: Float64Array, ...rest: Float64Array[]): number {
    const n = first.length;
    for (const r of rest) {
      if (r.length !== n) throw new OptkitError('SHAPE_MISMATCH', `${fn}: vectors of lengths ${n} and ${r.length}`, 'v');
    }
    return n;
  }
}

function wasmKernels(exports: Record<string, unknown>): SimdKernels {
  type Fn = (...args: number[]) => number;
  const axpyDot = exports.axpyDot as Fn;
  const axpySquares = exports.axpySquares as Fn;
  const dot = exports.dot as Fn;
  const scaleCopy = exports.scaleCopy as Fn;
  const axpy = exports.axpy as Fn;
  const combine4 = exports.combine4 as Fn;
  const accumulate4 = exports.accumulate4 as Fn;
  return {
    simd: true,
    axpyDot: (alpha, v, w, next, n) => axpyDot(alpha, v, w, next, n),
    axpySquares: (alpha, v, w, n) => axpySquares(alpha, v, w, n),
    dot: (x, y, n) => dot(x, y, n),
    scaleCopy: (s, src, dst, n) => void scaleCopy(s, src, dst, n),
    axpy: (alpha, v, w, n) => void axpy(alpha, v, w, n),
    combine4: (y0, y1, y2, y3, v, stride, u, n, accumulate) => void (accumulate ? accumulate4 : combine4)(y0, y1, y2, y3, v, stride, u, n),
  };
}
