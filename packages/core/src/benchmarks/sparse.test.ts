import { describe, expect, it } from 'vitest';
import { plugin } from '../plugin.js';
import { pythonHas } from '../reference.js';
import type { BenchContext, BenchResult } from '../registry.js';
import { makeSparseBenchmarks, sparseBenchmarks } from './sparse.js';

function context(): BenchContext & { lines: string[] } {
  const lines: string[] = [];
  return { quick: true, seed: 1, progress: () => {}, log: (line) => lines.push(line), lines };
}

const scipy = pythonHas(['numpy', 'scipy']);

async function run(reference: boolean): Promise<{ result: BenchResult; lines: string[] }> {
  const entry = makeSparseBenchmarks({ grid: 24, minSeconds: 0.01, reference })[0];
  const ctx = context();
  const result = await entry.run(ctx);
  return { result, lines: ctx.lines };
}

describe('sparse benchmarks', () => {
  it('are registered in the core plugin', () => {
    expect(sparseBenchmarks.map((b) => b.id)).toEqual(['core.spmv']);
    expect(plugin.benchmarks.map((b) => b.id)).toContain('core.spmv');
  });

  it('core.spmv measures the three optkit variants, which agree exactly', async () => {
    const { result, lines } = await run(false);
    expect(result.rows.map((r) => r.name)).toEqual([
      'spmv CsrMatrix (auto CSR) poisson2d 24x24',
      'spmv matrix-free stencil poisson2d 24x24',
      'spmv plain CSR loop poisson2d 24x24 (context)',
    ]);
    for (const row of result.rows) {
      expect(row.unit).toBe('ms');
      expect(row.higherIsBetter).toBe(false);
      expect(row.value).toBeGreaterThan(0);
      expect(row.ratio).toBeUndefined();
    }
    expect(result.notes).toContain('max |y_stencil − y_csr| = 0, max |y_plain − y_csr| = 0');
    expect(lines.some((l) => /disagree/.test(l))).toBe(false);
  });

  it('logs why the scipy reference is skipped when Python is missing', async () => {
    const saved = process.env.OPTKIT_PYTHON;
    process.env.OPTKIT_PYTHON = 'optkit-no-such-python';
    try {
      const { result, lines } = await run(true);
      expect(result.rows).toHaveLength(3);
      expect(lines.some((l) => /scipy reference skipped: .*not runnable/.test(l))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.OPTKIT_PYTHON;
      else process.env.OPTKIT_PYTHON = saved;
    }
  });

  it.runIf(scipy.ok)('compares with scipy on the same matrix: equal nnz and results, ratios and targets', async () => {
    const { result, lines } = await run(true);
    expect(lines.some((l) => /disagree|skipped/.test(l))).toBe(false);
    const checks = result.notes!.filter((n) => n.startsWith('scipy run '));
    expect(checks).toHaveLength(2);
    for (const check of checks) {
      expect(check).toMatch(/nnz 2784 \(optkit 2784\), canonical true, max \|y_scipy − y_optkit\| = 0, median [\d.]+ ms, CPU\/wall while timing \d/);
    }
    const [csr, stencil, plain, dia] = result.rows;
    expect(csr.target).toBe('>= 0.5x scipy (and results agree)');
    expect(stencil.target).toBe('>= 0.8x scipy (and results agree)');
    expect(plain.target).toBeUndefined();
    expect(dia.name).toBe('spmv CsrMatrix (auto CSR) poisson2d 24x24 vs scipy dia_matrix (context)');
    expect(dia.target).toBeUndefined();
    expect(result.notes!.filter((n) => /A\.todia\(\) has 5 diagonals, max \|y_dia − y_csr\| = [\d.e-]+ /.test(n))).toHaveLength(2);
    for (const row of result.rows) {
      expect(row.reference!.value).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.reference!.value / row.value, 1);
    }
    expect(typeof csr.pass).toBe('boolean');
  });
});
