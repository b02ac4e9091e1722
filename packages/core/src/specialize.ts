/**
 * Per-instance specialised kernels: `new Function` with a source unique to each call.
 *
 * V8 specialises optimized code to the arrays a closure captures (constant base pointers and
 * lengths, so bounds checks fold) only while the closure's creation site has produced a single
 * closure; a second closure from the same site loses it. Measured here: loops over arrays captured
 * by such a closure ran 1.3–2.9× faster than the same loops over arrays passed as arguments
 * (PERF-BASELINE.md §5; SpMV in csr.ts; the Lion/AdamW steps in @optkit/optim). `new Function` gives
 * every kernel its own creation site, but V8 caches compiled `new Function` sources by their text
 * and a cache hit shares the earlier function's feedback (measured in csr.ts: a second identical
 * ELL kernel ran 1.7–2.8 ms instead of 1.1 ms), so every generated source starts with a unique
 * comment line.
 */

/** Counts generated sources; the number goes into each source's first line to keep it unique. */
let kernelSerial = 0;

/**
 * Compiles `new Function(...params, body)` with a first line `// optkit kernel <n>` unique to this
 * call (see the module comment for why). The usual shape is a factory: `body` returns an inner
 * function that closes over the factory's parameters (the fixed arrays), and the caller invokes the
 * factory once per instance. Throws what `new Function` throws: an EvalError where code generation
 * is disallowed (a content security policy, `--disallow-code-generation-from-strings`), a
 * SyntaxError for a bad body; callers that can fall back should catch. Put only text built by the
 * library into `body`, never user input.
 */
export function generateUniqueFunction<F>(params: readonly string[], body: string): F {
  return new Function(...params, `// optkit kernel ${++kernelSerial}\n${body}`) as F;
}

/** Number of sources {@link generateUniqueFunction} has generated in this process (for tests and diagnostics). */
export function generatedFunctionCount(): number {
  return kernelSerial;
}

/**
 * Arrays shorter than this use the caller's shared loop: a generated kernel costs a compile and its
 * own warm-up from the interpreter, which short arrays never pay back.
 */
export const SPECIALIZE_MIN_LENGTH = 1 << 15;

interface Specialization<K> {
  length: number;
  a: object | null;
  b: object | null;
  c: object | null;
  kernel: K | undefined;
}

/**
 * Kernels specialised to the arrays of one call, remembered per key array (an optimizer state array,
 * unique to its parameter). {@link SpecializationCache.get} returns a kernel only when the previous
 * call for the same key used the very same arrays (checked by identity each call), so a caller that
 * passes a fresh gradient buffer every step never compiles anything; a new buffer replaces the entry
 * and a kernel for it is built on its second use. It returns undefined (run the shared loop) for
 * short arrays, for the first use of an array set, and for good once code generation turns out to
 * be disallowed. An entry keeps its arrays alive as long as its key is alive.
 */
export class SpecializationCache<K> {
  private readonly entries = new WeakMap<object, Specialization<K>>();
  private disabled = false;

  /** @param minLength shortest array length to specialise (default {@link SPECIALIZE_MIN_LENGTH}). */
  constructor(readonly minLength: number = SPECIALIZE_MIN_LENGTH) {}

  /**
   * The kernel for `key` and the arrays `a`, `b`, `c` (null where unused) of `length` elements,
   * building it with `build` (which should use {@link generateUniqueFunction}) on the second
   * consecutive call with the same arrays; undefined when the caller should use its shared loop.
   */
  get(length: number, key: object, a: object | null, b: object | null, c: object | null, build: () => K): K | undefined {
    if (this.disabled || length < this.minLength) return undefined;
    const e = this.entries.get(key);
    if (e !== undefined && e.a === a && e.b === b && e.c === c && e.length === length) {
      if (e.kernel === undefined) {
        try {
          e.kernel = build();
        } catch (err) {
          if (!(err instanceof EvalError)) throw err;
          this.disabled = true; // code generation from strings is disallowed here
          return undefined;
        }
      }
      return e.kernel;
    }
    this.entries.set(key, { length, a, b, c, kernel: undefined });
    return undefined;
  }
}
