/**
 * A minimal WebAssembly byte assembler: LEB128 numbers, names, sections, vectors, and the opcodes
 * optkit's hand-written SIMD kernels use (core's wasm-simd.ts, optim's parallel-simd.ts). Modules
 * are built as plain byte arrays at load time, so no toolchain is needed. Exported from the package
 * index as the namespace `wasmAsm`. Opcode numbers follow the WebAssembly 2.0 core specification
 * (binary format, §5.4) and its fixed-width SIMD instructions (prefix 0xfd).
 */

/** Value types. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Unsigned LEB128 of a u32. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of an i32 (the immediate of i32.const). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A name (ASCII): its length, then its bytes. */
export function name(text: string): number[] {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

/** A section: id, byte length, body. */
export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A vector: count, then the items. */
export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export const localGet = (i: number): number[] => [0x20, ...uleb(i)];
export const localSet = (i: number): number[] => [0x21, ...uleb(i)];
export const i32Const = (v: number): number[] => [0x41, ...sleb(v)];
export const f64Const = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
export const I32_ADD = 0x6a;
export const I32_AND = 0x71;
export const I32_SHL = 0x74;
export const I32_LT_U = 0x49;
export const I32_GE_U = 0x4f;
export const F64_ADD = 0xa0;
export const F64_MUL = 0xa2;
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const END = 0x0b;
export const BR_IF = 0x0d;
/** A SIMD instruction: prefix 0xfd and the opcode as unsigned LEB128. */
export const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/** One function of a module built by {@link assembleModule}. */
export interface FunctionSpec {
  /** Export name. */
  name: string;
  /** Parameter value types. */
  params: number[];
  /** Result value types (none when absent). */
  results?: number[];
  /** Local declarations after the parameters: [count, type] groups. */
  locals: [number, number][];
  /** Instructions, without the final `end`. */
  body: number[];
}

/**
 * A module of the given functions (type i and function i per spec, each exported under its name)
 * that imports its memory as `env.memory`: min 1 page, and with `maxPages` a maximum (required when
 * `shared`). Throws when an element is not a byte, since a nested array or a typo would otherwise
 * turn into a 0 (the `unreachable` opcode).
 */
export function assembleModule(specs: FunctionSpec[], memory: { maxPages?: number; shared?: boolean } = {}): Uint8Array {
  const types = specs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec((f.results ?? []).map((r) => [r]))]);
  if (memory.shared && memory.maxPages === undefined) throw new Error('wasm-asm: a shared memory needs maxPages');
  const limits = memory.maxPages === undefined ? [0x00, ...uleb(1)] : [memory.shared ? 0x03 : 0x01, ...uleb(1), ...uleb(memory.maxPages)];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
  const code = specs.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, END];
    return [...uleb(body.length), ...body];
  });
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(specs.map((_, k) => uleb(k)))),
    ...section(7, vec(specs.map((f, k) => [...name(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(code)),
  ];
  if (!bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw new Error('wasm-asm: bad byte in the assembled module');
  return new Uint8Array(bytes);
}
