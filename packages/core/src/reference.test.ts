import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findReferenceDir, pythonHas, runReference } from './reference.js';

const saved = process.env.OPTKIT_TOOLS_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.OPTKIT_TOOLS_DIR;
  else process.env.OPTKIT_TOOLS_DIR = saved;
});

const python = pythonHas(['numpy']);

describe('reference runner', () => {
  it('finds the repository tools/reference folder', () => {
    const dir = findReferenceDir();
    expect(dir).toBeDefined();
    expect(dir!.endsWith(join('tools', 'reference'))).toBe(true);
  });

  it('skips with a reason when the interpreter is missing', () => {
    const r = runReference('common.py', [], {}, { python: 'optkit-no-such-python' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.skipped).toMatch(/not runnable/);
    const h = pythonHas(['numpy'], { python: 'optkit-no-such-python' });
    expect(h.ok).toBe(false);
  });

  it('skips with a reason when the script is missing', () => {
    const r = runReference('no-such-script.py', []);
    expect(r).toEqual({ ok: false, skipped: expect.stringMatching(/does not exist/) });
  });

  it.runIf(python.ok)('round-trips float64 inputs and outputs through a script', () => {
    const tools = mkdtempSync(join(tmpdir(), 'optkit-tools-'));
    const ref = join(tools, 'reference');
    mkdirSync(ref);
    copyFileSync(join(findReferenceDir()!, 'common.py'), join(ref, 'common.py'));
    writeFileSync(
      join(ref, 'double.py'),
      [
        'import numpy as np',
        'from common import parser, load, save, emit',
        'a = parser("double").parse_args()',
        'x = load(np, a.dir, "x")',
        'save(np, a.dir, "y", 2 * x)',
        'emit({"sum": float(x.sum()), "outputs": ["y"]})',
      ].join('\n'),
    );
    process.env.OPTKIT_TOOLS_DIR = tools;
    const r = runReference('double.py', [], { x: new Float64Array([1, 2.5, -3]) });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.output.sum).toBeCloseTo(0.5, 15);
      expect(Array.from(r.readOutput('y'))).toEqual([2, 5, -6]);
      expect(() => r.readOutput('z')).toThrow(/no output z/);
    }
  });
});
