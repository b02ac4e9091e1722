import { pythonHas } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import { makeKrylovBenchmark } from './krylov.js';

const scipy = pythonHas(['numpy', 'scipy']);

function context() {
  const lines: string[] = [];
  return { quick: true, seed: 1, progress: () => {}, log: (l: string) => lines.push(l), lines };
}

describe('linalg.krylov benchmark (tiny sizes)', () => {
  it('reports CG and GMRES ms/iteration rows', async () => {
    const r = await makeKrylovBenchmark({ grid: 16, cgIterations: 10, gmresCycles: 2, restart: 5, repeats: 1, reference: false }).run(context());
    // 16×16 has 1216 nonzeros, below CsrMatrix's threshold for generated kernels: plain CSR.
    expect(r.rows.map((x) => x.name)).toEqual([
      'CG ms/iteration poisson2d 16x16 (optkit CsrMatrix, auto CSR; scipy csr_matrix)',
      'GMRES(5) ms/iteration poisson2d 16x16 (optkit CsrMatrix, auto CSR; scipy csr_matrix)',
      'spmv ms poisson2d 16x16 (optkit CsrMatrix, auto CSR; scipy csr_matrix) (context)',
    ]);
    for (const row of r.rows) {
      expect(row.value).toBeGreaterThan(0);
      expect(row.unit).toBe('ms');
    }
  });

  it.runIf(scipy.ok)('runs scipy cg / gmres in the same call, same iterations and residuals', async () => {
    const ctx = context();
    const r = await makeKrylovBenchmark({ grid: 64, cgIterations: 10, gmresCycles: 2, restart: 5, repeats: 1, spmvRepeats: 5 }).run(ctx);
    // 64×64 (20 224 nonzeros) gets the DIA kernel; scipy runs on csr_matrix and, for context, dia_matrix.
    expect(r.rows.map((x) => x.name)).toEqual([
      'CG ms/iteration poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy csr_matrix)',
      'GMRES(5) ms/iteration poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy csr_matrix)',
      'CG ms/iteration poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy dia_matrix) (context)',
      'GMRES(5) ms/iteration poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy dia_matrix) (context)',
      'spmv ms poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy csr_matrix) (context)',
      'spmv ms poisson2d 64x64 (optkit CsrMatrix, auto DIA; scipy dia_matrix) (context)',
    ]);
    for (const row of r.rows) {
      expect(row.reference, row.name).toBeDefined();
      expect(row.ratio).toBeGreaterThan(0);
      expect(row.target === undefined, row.name).toBe(row.name.endsWith('(context)'));
    }
    // The residual agreement is checked by the benchmark itself; a disagreement is logged.
    expect(ctx.lines.filter((l) => l.includes('disagrees'))).toEqual([]);
  }, 30_000);
});
