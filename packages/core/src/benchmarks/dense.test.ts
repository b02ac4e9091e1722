import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { pythonHas } from '../reference.js';
import type { BenchContext, BenchResult } from '../registry.js';
import { denseBenchmarks, makeDenseBenchmarks } from './dense.js';

function context(): BenchContext & { lines: string[] } {
  const lines: string[] = [];
  return { quick: true, seed: 1, progress: () => {}, log: (line) => lines.push(line), lines };
}

const numpy = pythonHas(['numpy']);

async function run(id: string, reference: boolean): Promise<{ result: BenchResult; lines: string[] }> {
  const entry = makeDenseBenchmarks({ gemmSizes: [8, 33], blas1Length: 10_001, minSeconds: 0.01, reference }).find((b) => b.id === id)!;
  const ctx = context();
  const result = await entry.run(ctx);
  return { result, lines: ctx.lines };
}

describe('dense benchmarks', () => {
  it('are registered in the core plugin', () => {
    expect(denseBenchmarks.map((b) => b.id)).toEqual(['core.gemm', 'core.blas1']);
    const ids = plugin.benchmarks.map((b) => b.id);
    expect(ids).toContain('core.gemm');
    expect(ids).toContain('core.blas1');
  });

  it('core.gemm measures optkit against ml-matrix at tiny sizes, and the products agree', async () => {
    const { result } = await run('core.gemm', false);
    expect(result.rows.map((r) => r.name)).toEqual(['gemm f64 n=8 vs ml-matrix mmul', 'gemm f64 n=33 vs ml-matrix mmul']);
    for (const row of result.rows) {
      expect(row.unit).toBe('GFLOP/s');
      expect(row.value).toBeGreaterThan(0);
      expect(row.reference!.value).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.value / row.reference!.value, 1);
    }
    // The correctness cross-check is reported (and within tolerance) for each size.
    const checks = result.notes!.filter((n) => n.includes('C_ml-matrix'));
    expect(checks).toHaveLength(2);
    for (const note of checks) {
      const diff = Number(/= ([^ ]+) \(/.exec(note)![1]);
      expect(diff).toBeLessThan(1e-12);
    }
  });

  it('core.blas1 measures dot and nrm2 against the copy bound', async () => {
    const { result } = await run('core.blas1', false);
    expect(result.rows).toHaveLength(2);
    const [dotRow, nrm2Row] = result.rows;
    expect(dotRow.name).toMatch(/^dot n=10001/);
    expect(nrm2Row.name).toMatch(/^nrm2 n=10001/);
    for (const row of result.rows) {
      expect(row.higherIsBetter).toBe(false);
      expect(row.value).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
      expect(typeof row.pass).toBe('boolean');
    }
  });

  it('logs why the numpy reference is skipped when Python is missing', async () => {
    const saved = process.env.OPTKIT_PYTHON;
    process.env.OPTKIT_PYTHON = 'optkit-no-such-python';
    try {
      const { result, lines } = await run('core.blas1', true);
      expect(result.rows).toHaveLength(2);
      expect(lines.some((l) => /numpy reference skipped: .*not runnable/.test(l))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PYTHON;
      else process.env.OPTKIT_PYTHON = saved;
    }
  });

  it.runIf(numpy.ok)('adds numpy rows (1 and all threads) when numpy is present', async () => {
    const gemm = await run('core.gemm', true);
    const names = gemm.result.rows.map((r) => r.name);
    expect(names.filter((n) => n.includes('numpy matmul'))).toHaveLength(4);
    expect(names).toContain('gemm f64 n=33 vs numpy matmul, 1 thread');
    const numpyCheck = gemm.result.notes!.find((n) => n.startsWith('n=33: max |C_optkit − C_numpy|'))!;
    expect(Number(/= ([^;]+);/.exec(numpyCheck)![1])).toBeLessThan(1e-12);
    const blas1 = await run('core.blas1', true);
    expect(blas1.result.rows.map((r) => r.name)).toEqual([
      expect.stringMatching(/^dot n=10001 vs copy/),
      expect.stringMatching(/^nrm2 n=10001 vs copy/),
      'dot n=10001 vs numpy dot (1 thread)',
      'nrm2 n=10001 vs numpy linalg.norm (1 thread)',
    ]);
  });
});
