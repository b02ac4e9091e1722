/**
 * Running reference implementations (numpy, scipy, POT) from `tools/reference/` as child processes,
 * so a benchmark measures optkit and the reference on the same data in one run.
 *
 * Protocol: inputs are written as raw little-endian float64 files (`<name>.f64`) into a temporary
 * folder whose path is passed to the script as `--dir`; the script prints one JSON object on its last
 * line of stdout, and may write outputs back as `.f64` files. Where Python, a module or the script is
 * missing, the result says why and the benchmark still measures optkit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReferenceOptions {
  /** Python interpreter (default: `OPTKIT_PYTHON` or `python3`). */
  python?: string;
  /** Extra environment, e.g. `{OPENBLAS_NUM_THREADS: '1'}`. */
  env?: Record<string, string>;
  /** Seconds before the child is killed (default 600). */
  timeoutSeconds?: number;
}

export type ReferenceResult =
  | { ok: true; output: Record<string, unknown>; readOutput: (name: string) => Float64Array }
  | { ok: false; skipped: string };

/**
 * The repository's `tools/reference` folder: `OPTKIT_TOOLS_DIR` if set, else found by walking up from
 * this module and from the working directory. Undefined when optkit runs from an installed package.
 */
export function findReferenceDir(): string | undefined {
  if (process.env.OPTKIT_TOOLS_DIR) return resolve(process.env.OPTKIT_TOOLS_DIR, 'reference');
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = join(dir, 'tools', 'reference');
      if (existsSync(join(candidate, 'common.py'))) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/** Whether `python -c "import <modules>"` succeeds; the reason when not. */
export function pythonHas(modules: string[], options: ReferenceOptions = {}): { ok: true; version: string } | { ok: false; reason: string } {
  const python = options.python ?? process.env.OPTKIT_PYTHON ?? 'python3';
  const code = `import sys, importlib\nmods=${JSON.stringify(modules)}\nv={}\nfor m in mods:\n  v[m]=getattr(importlib.import_module(m),'__version__','?')\nprint(sys.version.split()[0], ' '.join(k+'='+str(x) for k,x in v.items()))`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, reason: `${python} not runnable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, reason: `${python}: ${last}` };
  }
  return { ok: true, version: r.stdout.trim() };
}

/**
 * Runs `tools/reference/<script>` with `args`, handing it `inputs` as raw float64 files.
 * Never throws for a missing interpreter, module or script: returns `{ok: false, skipped}` instead.
 */
export function runReference(
  script: string,
  args: string[],
  inputs: Record<string, Float64Array | Int32Array> = {},
  options: ReferenceOptions = {},
): ReferenceResult {
  const refDir = findReferenceDir();
  if (!refDir) return { ok: false, skipped: 'tools/reference not found (set OPTKIT_TOOLS_DIR to the repository tools/ folder)' };
  const path = join(refDir, script);
  if (!existsSync(path)) return { ok: false, skipped: `${path} does not exist` };
  const python = options.python ?? process.env.OPTKIT_PYTHON ?? 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'optkit-ref-'));
  try {
    for (const [name, arr] of Object.entries(inputs)) {
      const ext = arr instanceof Int32Array ? 'i32' : 'f64';
      writeFileSync(join(dir, `${name}.${ext}`), new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    }
    const r = spawnSync(python, [path, '--dir', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...options.env },
      timeout: (options.timeoutSeconds ?? 600) * 1000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) return { ok: false, skipped: `${python} not runnable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
    if (r.status !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
      return { ok: false, skipped: `${script} exited ${r.status}: ${tail}` };
    }
    const lines = r.stdout.trim().split('\n');
    const output = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    if (typeof output.skipped === 'string') return { ok: false, skipped: output.skipped };
    // Outputs are read eagerly because the folder is removed on return.
    const outputs = new Map<string, Float64Array>();
    for (const name of (output.outputs as string[] | undefined) ?? []) {
      const buf = readFileSync(join(dir, `${name}.f64`));
      outputs.set(name, new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
    }
    return {
      ok: true,
      output,
      readOutput: (name: string) => {
        const v = outputs.get(name);
        if (!v) throw new Error(`reference ${script} wrote no output ${name}`);
        return v;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
