import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { OptkitError } from '../errors.js';
import { BACKEND_ORDER, currentBackend, getTf, useBestBackend, wasmBinaryDir, type BackendPreference } from './backend.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Imports `entry` in a fresh Node process (TypeScript through tsx) and reports which '@tensorflow'
 * modules ended up in the CommonJS cache: tfjs's Node entry points are CommonJS, so loading them
 * from ESM still registers them there.
 */
function tensorflowModulesLoadedBy(entry: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(entry)});
    const cache = createRequire(import.meta.url).cache;
    // Real paths under pnpm look like .pnpm/@tensorflow+tfjs@4.22.0_x/node_modules/@tensorflow/tfjs/dist/...
    const names = Object.keys(cache).map((k) => k.slice(k.lastIndexOf('node_modules/') + 13));
    process.stdout.write(JSON.stringify(names.filter((n) => n.startsWith('@tensorflow/'))));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as string[];
}

describe('useBestBackend', () => {
  it('chooses wasm here and reports the native backends as not installed', async () => {
    const choice = await useBestBackend();
    expect(choice.backend).toBe('wasm');
    expect(choice.tfBackend).toBe('wasm');
    expect(choice.tf.getBackend()).toBe('wasm');
    expect(choice.prefer).toBe('auto');
    expect(choice.fellBack).toBe(false);
    expect(choice.tried.map((t) => t.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm']);
    expect(choice.tried.map((t) => t.ok)).toEqual([false, false, true]);
    expect(choice.tried[0].reason).toMatch(/^not installed/);
    expect(choice.tried[1].reason).toMatch(/^not installed/);
    expect(choice.summary).toMatch(/^wasm \(tfjs-node-gpu: not installed/);
    expect(currentBackend()).toBe(choice);
    expect(getTf()).toBe(choice.tf);
  });

  it('computes a matmul and a reduction correctly on the chosen backend', async () => {
    const { tf } = await useBestBackend();
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
      return tf.matMul(a, b);
    });
    // [[1·7+2·9+3·11, 1·8+2·10+3·12], [4·7+5·9+6·11, 4·8+5·10+6·12]]
    expect(Array.from(out.dataSync())).toEqual([58, 64, 139, 154]);
    const s = tf.sum(out);
    expect(s.dataSync()[0]).toBe(58 + 64 + 139 + 154);
    tf.dispose([out, s]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falls back from an unavailable preferred backend and says why', async () => {
    const choice = await useBestBackend({ prefer: 'tfjs-node-gpu' });
    expect(choice.backend).toBe('wasm');
    expect(choice.fellBack).toBe(true);
    expect(choice.tried[0]).toEqual({
      name: 'tfjs-node-gpu',
      ok: false,
      reason: 'not installed (optional peer dependency @tensorflow/tfjs-node-gpu)',
    });
    expect(choice.summary).toMatch(/preferred tfjs-node-gpu unavailable/);
  });

  it('honours an available preference (cpu) and then switches back to wasm', async () => {
    const cpu = await useBestBackend({ prefer: 'cpu' });
    expect(cpu.backend).toBe('cpu');
    expect(cpu.fellBack).toBe(false);
    expect(cpu.tried).toHaveLength(1);
    expect(cpu.tf.getBackend()).toBe('cpu');
    const y = cpu.tf.square(cpu.tf.tensor1d([3]));
    expect(y.dataSync()[0]).toBe(9);
    y.dispose();
    const wasm = await useBestBackend({ prefer: 'wasm' });
    expect(wasm.backend).toBe('wasm');
    expect(wasm.tf.getBackend()).toBe('wasm');
  });

  it('serialises concurrent calls so the last one asked decides the backend', async () => {
    const [a, b] = await Promise.all([useBestBackend({ prefer: 'cpu' }), useBestBackend({ prefer: 'wasm' })]);
    expect(a.backend).toBe('cpu');
    expect(b.backend).toBe('wasm');
    expect(getTf().getBackend()).toBe('wasm');
  });

  it('warms up when asked, for at least the requested time', async () => {
    const choice = await useBestBackend({ warmUp: true, warmUpMs: 100 });
    expect(choice.warmUpMs).toBeGreaterThanOrEqual(100);
    expect(choice.tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown preference and a bad warm-up budget with INVALID_OPTION', async () => {
    for (const bad of ['gpu', 'webgl', ''] as unknown as BackendPreference[]) {
      const err = await useBestBackend({ prefer: bad }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OptkitError);
      expect((err as OptkitError).code).toBe('INVALID_OPTION');
      expect((err as OptkitError).message).toMatch(/useBestBackend: option prefer is "/);
    }
    await expect(useBestBackend({ warmUp: true, warmUpMs: -1 })).rejects.toThrow(OptkitError);
    await expect(useBestBackend({ warmUp: true, warmUpMs: Number.NaN })).rejects.toThrow(/warmUpMs/);
    // A rejected call leaves the current choice alone.
    expect(getTf().getBackend()).toBe('wasm');
  });

  it('lists every backend in the automatic order', () => {
    expect(BACKEND_ORDER).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
  });

  it('points setWasmPaths at the folder holding the wasm binaries', () => {
    const dir = wasmBinaryDir();
    expect(dir.endsWith('/')).toBe(true);
    expect(existsSync(dir + 'tfjs-backend-wasm-simd.wasm')).toBe(true);
    expect(existsSync(dir + 'tfjs-backend-wasm.wasm')).toBe(true);
  });
});

describe('tfjs isolation', () => {
  it("importing @optkit/core's main entry does not load tfjs, while the tf subpath does", () => {
    const coreLoads = tensorflowModulesLoadedBy('./packages/core/src/index.ts');
    expect(coreLoads).toEqual([]);
    // The same probe on the tf entry must see tfjs, or the check above could never fail.
    const tfLoads = tensorflowModulesLoadedBy('./packages/core/src/tf/index.ts');
    expect(tfLoads.some((m) => m.startsWith('@tensorflow/tfjs/'))).toBe(true);
  });
});
