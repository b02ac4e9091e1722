import { describe, expect, it } from 'vitest';
import { BR_IF, END, F64, I32, LOOP, assembleModule, i32Const, localGet, name, section, simd, sleb, uleb, vec } from './wasm-asm.js';

describe('wasm-asm', () => {
  it('LEB128 encodings match the specification examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(simd(0xf0)).toEqual([0xfd, 0xf0, 0x01]);
  });

  it('assembles a module WebAssembly accepts and runs', async () => {
    // (func (param i32) (result i32) local.get 0, i32.const 5, i32.add) exported as "add5", plus a loop that
    // exercises BLOCK/LOOP/BR_IF bytes in a second, validated-only function.
    const body1 = [0, ...localGet(0), ...i32Const(5), 0x6a, END];
    const body2 = [0, 0x02, 0x40, ...LOOP, ...i32Const(0), BR_IF, 0, END, END, END];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...section(1, vec([[0x60, 1, I32, 1, I32], [0x60, 0, 0]])),
      ...section(3, vec([[0], [1]])),
      ...section(7, vec([[...name('add5'), 0, 0]])),
      ...section(10, vec([[...uleb(body1.length), ...body1], [...uleb(body2.length), ...body2]])),
    ];
    expect(F64).toBe(0x7c);
    const buf = new Uint8Array(bytes);
    // The project's TypeScript libraries (ES2022, no DOM) do not declare WebAssembly; Node has it.
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean; instantiate(b: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
    expect(wasm.validate(buf)).toBe(true);
    const { instance } = await wasm.instantiate(buf);
    expect((instance.exports.add5 as (x: number) => number)(37)).toBe(42);
  });

  it('assembleModule builds a module on an imported memory (plain or shared) and refuses non-bytes', async () => {
    type Wasm = { validate(b: Uint8Array): boolean; Memory: new (d: object) => object; instantiate(b: Uint8Array, i: object): Promise<{ instance: { exports: Record<string, unknown> } }> };
    const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
    // (func (param i32) (result i32) (i32.load (local.get 0)))
    const spec = { name: 'peek', params: [I32], results: [I32], locals: [] as [number, number][], body: [...localGet(0), 0x28, 2, 0] };
    const plain = assembleModule([spec]);
    expect(wasm.validate(plain)).toBe(true);
    const memory = new wasm.Memory({ initial: 1 }) as { buffer: ArrayBuffer };
    new Int32Array(memory.buffer)[1] = 1234;
    const { instance } = await wasm.instantiate(plain, { env: { memory } });
    expect((instance.exports.peek as (a: number) => number)(4)).toBe(1234);
    const shared = assembleModule([spec], { maxPages: 2, shared: true });
    expect(wasm.validate(shared)).toBe(true);
    const sharedMemory = new wasm.Memory({ initial: 1, maximum: 2, shared: true });
    await expect(wasm.instantiate(shared, { env: { memory: sharedMemory } })).resolves.toBeDefined();
    expect(() => assembleModule([spec], { shared: true })).toThrow(/maxPages/);
    expect(() => assembleModule([{ ...spec, body: [[1, 2] as unknown as number] }])).toThrow(/bad byte/);
  });
});
