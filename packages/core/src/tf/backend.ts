/**
 * TensorFlow.js backend selection for optkit's deep-learning methods (DESIGN.md, "Numbers").
 *
 * Order of preference (`prefer: 'auto'`): `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA),
 * then `@tensorflow/tfjs-node` (libtensorflow on the CPU), then `@tensorflow/tfjs-backend-wasm`
 * (XNNPACK compiled to WebAssembly with SIMD; single-threaded in Node, tfjs issue #3830), then
 * tfjs's pure-JavaScript `cpu` backend, which is 16–23× slower than wasm for optimizer steps
 * (PERF-BASELINE.md) and is only the last resort. The two native packages are optional peer
 * dependencies: their install downloads libtensorflow, which needs internet access, so they are
 * detected at run time and reported as "not installed" when absent.
 *
 * This module is reached only through the `@optkit/core/tf` subpath; the main `@optkit/core` entry
 * never imports it, so programs that do not use tensors never load tfjs (about 0.5 s of start-up).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { OptkitError, checkChoice, checkOption } from '../errors.js';

/** The tfjs namespace (`import * as tf from '@tensorflow/tfjs'`). */
export type Tf = typeof tfjs;

/** The backends optkit can choose, named after the package that provides them (cpu: built in). */
export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** `'auto'` picks the fastest available backend; a name puts that backend first. */
export type BackendPreference = 'auto' | BackendName;

/** The automatic order, fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

const PREFERENCES: readonly BackendPreference[] = ['auto', ...BACKEND_ORDER];

/** One attempt to bring a backend up. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it failed (`'not installed (...)'`, an initialisation error) or, when ok, what was set. */
  reason: string;
}

export interface UseBestBackendOptions {
  /** Backend to try first (default `'auto'`); when it is unavailable the automatic order follows. */
  prefer?: BackendPreference;
  /**
   * Run float32 matmuls for `warmUpMs` before returning (default false). The wasm backend reaches
   * full speed (~26 GFLOP/s on a 512² matmul here) only after about 1.5 s of work, when V8 has tiered
   * its WebAssembly up to optimised code; before that it runs at about half (TOOLCHAIN.md).
   */
  warmUp?: boolean;
  /** Warm-up time budget in milliseconds (default 1500; only used with `warmUp`). */
  warmUpMs?: number;
}

export interface BackendChoice {
  /** The backend in use. */
  backend: BackendName;
  /** tfjs's own name for it, as `tf.getBackend()` reports it: `'tensorflow'`, `'wasm'` or `'cpu'`. */
  tfBackend: string;
  /** Every backend tried, in order, with the reason each failed or succeeded. */
  tried: BackendAttempt[];
  /** The tfjs namespace bound to the chosen backend. */
  tf: Tf;
  /** The preference asked for. */
  prefer: BackendPreference;
  /** True when `prefer` named a backend that could not be used. */
  fellBack: boolean;
  /** A one-line summary, e.g. `wasm (tfjs-node-gpu: not installed (optional peer dependency ...); tfjs-node: ...)`. */
  summary: string;
  /** Milliseconds spent warming up (0 without `warmUp`). */
  warmUpMs: number;
}

const FN = 'useBestBackend';
const requireHere = createRequire(import.meta.url);

/**
 * Whether `pkg` can be resolved from this package. Asked before importing, so that "absent" is told
 * apart from "present but broken" (e.g. libtensorflow missing) without parsing error messages.
 */
function isInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 300);
}

/** The module's namespace object: the CommonJS `module.exports` when there is one. */
function namespaceOf(mod: Record<string, unknown>): Tf {
  const def = mod.default as Record<string, unknown> | undefined;
  if (def && typeof def.setBackend === 'function') return def as unknown as Tf;
  return mod as unknown as Tf;
}

/**
 * Loads a native tfjs-node package. It registers the `'tensorflow'` backend with its own copy of
 * tfjs-core; when that copy is ours (one version installed, as a matching peer gives) our namespace
 * is used, otherwise the package's own re-export of tfjs is.
 */
async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<{ tf: Tf } | string> {
  if (!isInstalled(pkg)) return `not installed (optional peer dependency ${pkg})`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (err) {
    return `failed to load: ${errorText(err)}`;
  }
  const ownCopy = tfjs.findBackendFactory('tensorflow') !== null;
  const tf = ownCopy ? tfjs : namespaceOf(mod);
  try {
    const ok = await tf.setBackend('tensorflow');
    if (!ok) return 'backend "tensorflow" failed to initialise';
  } catch (err) {
    return `failed to initialise: ${errorText(err)}`;
  }
  return { tf };
}

/** The folder holding tfjs-backend-wasm's .wasm binaries, as a path prefix ending in '/'. */
export function wasmBinaryDir(): string {
  // The package's Node entry (dist/tf-backend-wasm.node.js) sits beside its .wasm files. Setting the
  // path explicitly keeps the backend working when this module is bundled, where the package's own
  // `__dirname` lookup would point at the bundle.
  return dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
}

async function tryWasm(): Promise<{ tf: Tf } | string> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  if (!isInstalled(pkg)) return `not installed (${pkg})`;
  let setWasmPaths: (prefix: string) => void;
  try {
    // Importing registers the 'wasm' backend factory with tfjs-core (initialised lazily below).
    const mod = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths = mod.setWasmPaths ?? (mod as unknown as { default: typeof mod }).default.setWasmPaths;
  } catch (err) {
    return `failed to load: ${errorText(err)}`;
  }
  try {
    setWasmPaths(wasmBinaryDir());
  } catch (err) {
    // setWasmPaths throws once the backend has been initialised; the paths are then already set.
    if (!/already initialized/i.test(errorText(err))) return `setWasmPaths failed: ${errorText(err)}`;
  }
  try {
    const ok = await tfjs.setBackend('wasm');
    if (!ok) return 'backend "wasm" failed to initialise';
  } catch (err) {
    return `failed to initialise: ${errorText(err)}`;
  }
  return { tf: tfjs };
}

async function tryCpu(): Promise<{ tf: Tf } | string> {
  try {
    const ok = await tfjs.setBackend('cpu');
    return ok ? { tf: tfjs } : 'backend "cpu" failed to initialise';
  } catch (err) {
    return `failed to initialise: ${errorText(err)}`;
  }
}

function attempt(name: BackendName): Promise<{ tf: Tf } | string> {
  switch (name) {
    case 'tfjs-node-gpu':
      return tryNative('@tensorflow/tfjs-node-gpu');
    case 'tfjs-node':
      return tryNative('@tensorflow/tfjs-node');
    case 'wasm':
      return tryWasm();
    case 'cpu':
      return tryCpu();
  }
}

/**
 * Runs 256×256 float32 matmuls for about `ms` milliseconds (at least 3) so that the backend's code
 * is compiled and tiered up before timed work starts. Returns the milliseconds spent.
 */
export async function warmUpBackend(tf: Tf, ms = 1500): Promise<number> {
  checkOption(ms, 'warmUpMs', { min: 0 }, 'warmUpBackend');
  const start = performance.now();
  const a = tf.randomUniform([256, 256], -1, 1, 'float32', 1);
  try {
    for (let i = 0; i < 3 || performance.now() - start < ms; i++) {
      const c = tf.matMul(a, a);
      // dataSync forces the kernel to run; without it async backends would only queue work.
      c.dataSync();
      c.dispose();
    }
  } finally {
    a.dispose();
  }
  return performance.now() - start;
}

let current: BackendChoice | undefined;
/** Serialises concurrent calls: tfjs has one global engine, so backend switches must not interleave. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects and initialises the fastest available TensorFlow.js backend and reports why the faster
 * ones were skipped. With `prefer` naming a backend, that one is tried first; if it is unavailable
 * the automatic order (tfjs-node-gpu, tfjs-node, wasm, cpu) follows, `fellBack` is true and
 * `tried` says why. Calls run one after another in call order (tfjs has one global engine). Rejects
 * with INVALID_OPTION for an unknown `prefer` or a bad `warmUpMs`, and with UNSUPPORTED only if not
 * even the cpu backend comes up.
 *
 * ```ts
 * import { useBestBackend } from '@optkit/core/tf';
 * const { tf, backend, summary } = await useBestBackend({ warmUp: true });
 * console.log(summary); // "wasm (tfjs-node-gpu: not installed (optional peer dependency ...); tfjs-node: ...)"
 * ```
 */
export async function useBestBackend(options: UseBestBackendOptions = {}): Promise<BackendChoice> {
  const prefer = checkChoice(options.prefer ?? 'auto', PREFERENCES, 'prefer', FN);
  const warmUpMs = options.warmUp ? checkOption(options.warmUpMs ?? 1500, 'warmUpMs', { min: 0 }, FN) : 0;
  const run = queue.then(() => select(prefer, warmUpMs));
  queue = run.catch(() => undefined);
  return run;
}

async function select(prefer: BackendPreference, warmUpMs: number): Promise<BackendChoice> {
  const order = prefer === 'auto' ? [...BACKEND_ORDER] : [prefer, ...BACKEND_ORDER.filter((b) => b !== prefer)];
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    const r = await attempt(name);
    if (typeof r === 'string') {
      tried.push({ name, ok: false, reason: r });
      continue;
    }
    const tfBackend = r.tf.getBackend();
    tried.push({ name, ok: true, reason: `initialised (tf.getBackend() = '${tfBackend}')` });
    const failed = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
    const fellBack = prefer !== 'auto' && name !== prefer;
    const summary =
      (fellBack ? `${name}, preferred ${prefer} unavailable` : name) + (failed.length ? ` (${failed.join('; ')})` : '');
    const spent = warmUpMs > 0 ? await warmUpBackend(r.tf, warmUpMs) : 0;
    current = { backend: name, tfBackend, tried, tf: r.tf, prefer, fellBack, summary, warmUpMs: spent };
    return current;
  }
  throw new OptkitError(
    'UNSUPPORTED',
    `${FN}: no TensorFlow.js backend could be initialised (${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')})`,
  );
}

/** The last choice made by {@link useBestBackend}, or undefined before the first call. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

/**
 * The tfjs namespace: the one bound to the backend {@link useBestBackend} chose, or, before any
 * choice, `@tensorflow/tfjs` with tfjs's own default backend. Call `useBestBackend` first in
 * programs that care about speed.
 */
export function getTf(): Tf {
  return current?.tf ?? tfjs;
}
