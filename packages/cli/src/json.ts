/**
 * Turning a method's result into JSON text for `optkit run`: typed arrays become arrays, `NaN` and
 * `±Infinity` become `null` (JSON has no such numbers) and are reported by path, so a reader of the
 * file is told which nulls were not numbers.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonConversion {
  value: JsonValue;
  /** Paths (`$.x[3]`) of the non-finite numbers written as null. */
  nonFinite: string[];
}

function isTypedArray(v: unknown): v is ArrayLike<number | bigint> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** CsrMatrix-like: rows, cols and the three CSR arrays. */
function isCsrLike(v: Record<string, unknown>): boolean {
  return typeof v.rows === 'number' && typeof v.cols === 'number' && isTypedArray(v.indptr) && isTypedArray(v.indices) && isTypedArray(v.values);
}

/** DenseMatrix-like: rows, cols and a typed `data` array. */
function isDenseLike(v: Record<string, unknown>): boolean {
  return typeof v.rows === 'number' && typeof v.cols === 'number' && isTypedArray(v.data) && !('indptr' in v);
}

const key = (path: string, k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);

/**
 * Converts `value` to plain JSON data: typed arrays → arrays, Map → object, Set → array, bigint →
 * number when exactly representable (else string), Date → ISO string, Error → `{name, message}`,
 * matrices → `{rows, cols, data}` / `{rows, cols, indptr, indices, values}`, objects with `toJSON`
 * → its result; functions, symbols and `undefined` properties are dropped (as JSON.stringify does).
 * Non-finite numbers become null and their paths are collected. A cycle becomes `"[Circular]"`.
 */
export function toJsonValue(value: unknown): JsonConversion {
  const nonFinite: string[] = [];
  const stack = new Set<object>();

  const num = (n: number, path: string): JsonValue => {
    if (Number.isFinite(n)) return n;
    nonFinite.push(path);
    return null;
  };

  const walk = (v: unknown, path: string): JsonValue | undefined => {
    switch (typeof v) {
      case 'number':
        return num(v, path);
      case 'string':
      case 'boolean':
        return v;
      case 'bigint':
        return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (stack.has(obj)) return '[Circular]';
    stack.add(obj);
    try {
      if (isTypedArray(obj)) {
        const out: JsonValue[] = new Array(obj.length);
        for (let i = 0; i < obj.length; i++) {
          const x = obj[i];
          out[i] = typeof x === 'bigint' ? (walk(x, '') as JsonValue) : num(x, `${path}[${i}]`);
        }
        return out;
      }
      if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
      if (Array.isArray(obj)) return obj.map((x, i) => walk(x, `${path}[${i}]`) ?? null);
      if (obj instanceof Set) return [...obj].map((x, i) => walk(x, `${path}[${i}]`) ?? null);
      if (obj instanceof Map) {
        const out: { [k: string]: JsonValue } = {};
        for (const [k, x] of obj) {
          const w = walk(x, key(path, String(k)));
          if (w !== undefined) out[String(k)] = w;
        }
        return out;
      }
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
      if (obj instanceof Error) return { name: obj.name, message: obj.message };
      const rec = obj as Record<string, unknown>;
      if (typeof rec.toJSON === 'function') return walk((rec.toJSON as () => unknown)(), path);
      let fields: string[];
      if (isCsrLike(rec)) fields = ['rows', 'cols', 'indptr', 'indices', 'values'];
      else if (isDenseLike(rec)) fields = ['rows', 'cols', 'data'];
      else fields = Object.keys(rec);
      const out: { [k: string]: JsonValue } = {};
      for (const k of fields) {
        const w = walk(rec[k], key(path, k));
        if (w !== undefined) out[k] = w;
      }
      return out;
    } finally {
      stack.delete(obj);
    }
  };

  return { value: walk(value, '$') ?? null, nonFinite };
}

/** A one-line note about non-finite numbers written as null, or undefined when there were none. */
export function nonFiniteNote(paths: readonly string[], shown = 5): string | undefined {
  if (paths.length === 0) return undefined;
  const list = paths.slice(0, shown).join(', ') + (paths.length > shown ? `, ... (${paths.length - shown} more)` : '');
  return `${paths.length} non-finite number${paths.length === 1 ? '' : 's'} (NaN or Infinity) written as null: ${list}`;
}

/**
 * Indented JSON in which an array of numbers, strings, booleans and nulls stays on one line, so a
 * long vector takes one line instead of one per element.
 */
export function formatJson(value: JsonValue, indent = 2, depth = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const pad = ' '.repeat(indent * (depth + 1));
  const end = ' '.repeat(indent * depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => pad + formatJson(v, indent, depth + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${formatJson(value[k], indent, depth + 1)}`).join(',\n')}\n${end}}`;
}

/** `value` as indented JSON text (ending in a newline) plus the note on non-finite numbers. */
export function stringifyResult(value: unknown, indent = 2): { text: string; note?: string } {
  const { value: json, nonFinite } = toJsonValue(value);
  const note = nonFiniteNote(nonFinite);
  return { text: `${formatJson(json, indent)}\n`, ...(note ? { note } : {}) };
}
