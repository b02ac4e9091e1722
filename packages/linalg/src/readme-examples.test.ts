/**
 * The examples of packages/linalg/README.md, run as tests so the README cannot drift from the code.
 * Each `it` holds one README example (imports from the public surface, as a user would write them)
 * with a light known-answer assertion. When you change an example in the README, change it here too.
 */
import { DenseMatrix, OptkitError, Rng, nrm2, poisson2d } from '@optkit/core';
import { describe, expect, it } from 'vitest';
import {
  cg,
  createSketch,
  deflatedCg,
  darcySequence,
  gcrodr,
  gmres,
  ichol0,
  ilu0,
  jacobi,
  learnSorSequence,
  linfRegression,
  dcdm,
  lsqr,
  minres,
  plugin,
  randomLeastSquares,
  randomSparseLeastSquares,
  shiftedLaplacianSequence,
  sketchAndSolve,
  sketchPreconditionedLsqr,
  solveSequence,
  sor,
  ssor,
} from './index.js';
import { deepConjugateDirection, loadPretrainedDcdm } from './tf/index.js';

/** ‖b − A x‖ / ‖b‖ for a CSR A. */
function relres(A: { spmv(x: Float64Array): Float64Array }, x: Float64Array, b: Float64Array): number {
  const r = A.spmv(x);
  for (let i = 0; i < r.length; i++) r[i] = b[i] - r[i];
  return nrm2(r) / nrm2(b);
}

describe('README examples', () => {
  it('cg / gmres / minres with preconditioners', () => {
    const A = poisson2d(32); // 1024×1024 CSR, SPD
    const b = new Float64Array(A.rows).fill(1);

    const plain = cg(A, b, { rtol: 1e-8 });
    const pcg = cg(A, b, { rtol: 1e-8, M: ichol0(A) }); // IC(0)-preconditioned CG
    expect(plain.converged && pcg.converged).toBe(true);
    expect(pcg.reason).toBe('converged');
    expect(pcg.iterations).toBeLessThan(plain.iterations / 2);
    expect(pcg.residualNorm).toBeLessThanOrEqual(1e-8 * nrm2(b) * (1 + 1e-6)); // the true ‖b − A x‖ at exit
    expect(pcg.history.residual!.length).toBe(pcg.iterations + 1);

    const gm = gmres(A, b, { rtol: 1e-8, restart: 30, M: ilu0(A) }); // right-preconditioned GMRES(30)
    expect(gm.converged).toBe(true);
    expect(relres(A, gm.x, b)).toBeLessThanOrEqual(1e-8 * (1 + 1e-6));

    const mr = minres(A, b, { rtol: 1e-8, M: ssor(A, { omega: 1.5 }) }); // SPD preconditioner
    expect(mr.converged).toBe(true);
    const jc = cg(A, b, { rtol: 1e-8, M: jacobi(A) }); // constant diagonal: same iterations as plain CG
    expect(jc.iterations).toBe(plain.iterations);

    // MINRES handles indefinite systems: (A − σI) x = b
    const ind = minres(A, b, { shift: 1, rtol: 1e-8 });
    expect(ind.converged).toBe(true);

    // Bad input throws; non-convergence is reported
    try {
      cg(A, new Float64Array(10));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OptkitError);
      expect((e as OptkitError).code).toBe('SHAPE_MISMATCH');
    }
    const short = cg(A, b, { maxIter: 5 });
    expect(short.converged).toBe(false);
    expect(short.reason).toBe('maxIter');
  });

  it('gcrodr: a recycle space carried to the next solve', () => {
    const [s1, s2] = darcySequence({ count: 2, gridSize: 18, seed: 1 }); // nonsymmetric, n = 256
    const first = gcrodr(s1.A, s1.b, { m: 30, k: 10 }); // rtol 1e-8 by default
    const second = gcrodr(s2.A, s2.b, { m: 30, k: 10, recycle: first.recycle });
    const cold = gcrodr(s2.A, s2.b, { m: 30, k: 10 });
    expect(first.converged && second.converged && cold.converged).toBe(true);
    expect(first.recycle.k).toBeGreaterThanOrEqual(10);
    expect(second.recycledIn).toBe(first.recycle.k);
    expect(second.iterations).toBeLessThan(cold.iterations);
    expect(second.matvecs).toBe(second.iterations + second.recycledIn + 1);
  });

  it('solveSequence with SKR', () => {
    const systems = darcySequence({ count: 8, gridSize: 18, seed: 0 }); // {A, b, params}[]
    const skr = solveSequence(systems, { method: 'skr', m: 30, k: 10 });
    const gm = solveSequence(systems, { method: 'gmres', m: 30 });
    expect(skr.convergedCount).toBe(8);
    expect(gm.convergedCount).toBe(8);
    expect([...skr.order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(skr.totalMatvecs).toBeLessThan(gm.totalMatvecs);
    expect(skr.results[3].relativeResidual).toBeLessThanOrEqual(1e-8 * (1 + 1e-6));
    expect(skr.results[3].index).toBe(3); // results in input order
  });

  it('sor and learnSorSequence', () => {
    const A = poisson2d(10);
    const b = new Float64Array(A.rows).fill(1);
    const gs = sor(A, b); // ω = 1: Gauss–Seidel, tol 1e-8 relative to ‖r₀‖
    const over = sor(A, b, { omega: 1.5 });
    expect(gs.converged && over.converged).toBe(true);
    expect(over.iterations).toBeLessThan(gs.iterations);

    const systems = shiftedLaplacianSequence({ count: 40, seed: 0 }); // A + cₜI, Beta shifts, lazy
    const r = learnSorSequence(systems, { policy: 'tsallis', seed: 0 });
    expect(r.omegas.length).toBe(40);
    expect(r.iterations.length).toBe(40);
    expect(r.total).toBe(r.iterations.reduce((s, k) => s + k, 0));
    expect(r.arms.length).toBe(20); // linspace(1, 1.95, 20)

    const ctx = learnSorSequence(shiftedLaplacianSequence({ count: 40, seed: 0 }), { policy: 'chebcb', seed: 0 });
    expect(ctx.omegas.length).toBe(40);
  });

  it('sketches, sketchAndSolve, lsqr, sketch-preconditioned LSQR', () => {
    const { A, b, xTrue } = randomLeastSquares(2000, 20, { cond: 1e4, noise: 1e-3, seed: 0 });
    const err = (x: Float64Array) => {
      let e = 0;
      for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - xTrue[i]));
      return e;
    };

    const S = createSketch(2000, { kind: 'srht', m: 200, seed: 1 }); // a LinearOperator 200×2000
    const SA = S.applyMatrix(A); // 200×20, S never formed
    expect(SA.rows).toBe(200);
    const x0 = new Float64Array(2000).fill(1);
    expect(S.apply(x0).length).toBe(200);

    const ss = sketchAndSolve(A, b, { kind: 'gaussian', m: 200, seed: 1 });
    expect(ss.rank).toBe(20);
    expect(err(ss.x)).toBeLessThan(1); // near x*, not at it

    const plain = lsqr(A, b, { atol: 1e-10, btol: 1e-10, iterLim: 40 }); // scipy's lsqr
    expect(plain.reason).toBe('maxIter');
    expect(plain.istop).toBe(7);

    const pre = sketchPreconditionedLsqr(A, b); // OSNAP sketch, m = 4d, QR, LSQR on A·R⁻¹
    expect(pre.converged).toBe(true);
    expect(pre.preconditioner).toBe('qr');
    expect(pre.m).toBe(80);
    expect(pre.iterations).toBeLessThan(40);
    expect(err(pre.x)).toBeLessThan(1e-6);

    const linf = linfRegression(A, b, { kind: 'srht', m: 400, seed: 0 }); // dense sketches only
    expect(linf.exact).toBe(false);
    expect(linf.m).toBe(400);

    // Bad input: a sketch larger than the rows
    expect(() => createSketch(10, { kind: 'gaussian', m: 11 })).toThrow(OptkitError);
    const D = DenseMatrix.fromRows([[1], [1]]);
    expect(() => sketchAndSolve(D, new Float64Array(3), { kind: 'gaussian', m: 2 })).toThrow(OptkitError);

    // Sparse A (CSR, 1 % stored)
    const sp = randomSparseLeastSquares(20000, 200, { density: 0.01, noise: 1e-3, seed: 0 });
    expect(sp.A.nnz).toBeLessThan(0.011 * 20000 * 200);
    const SAs = createSketch(20000, { kind: 'countsketch', m: 800 }).applyMatrix(sp.A);
    expect([SAs.rows, SAs.cols]).toEqual([800, 200]);
    const spre = sketchPreconditionedLsqr(sp.A, sp.b);
    expect(spre.converged).toBe(true);
    let e = 0;
    let xn = 0;
    for (let i = 0; i < 200; i++) {
      e = Math.max(e, Math.abs(spre.x[i] - sp.xTrue[i]));
      xn = Math.max(xn, Math.abs(sp.xTrue[i]));
    }
    expect(e).toBeLessThan(1e-8 * xn);
  });

  it('deflatedCg', () => {
    const A = poisson2d(32);
    const b = new Rng(1).fillNormal(new Float64Array(A.rows));
    expect(cg(A, b, { rtol: 1e-8 }).iterations).toBe(101);
    expect(deflatedCg(A, b, { rtol: 1e-8 }).iterations).toBe(89); // 16 Ritz vectors, 64 Lanczos steps
    const d = deflatedCg(A, b, { rtol: 1e-8, lanczosSteps: 200 });
    expect(d.iterations).toBe(64);
    expect(relres(A, d.x, b)).toBeLessThanOrEqual(1e-8 * (1 + 1e-6));
    const b2 = new Rng(2).fillNormal(new Float64Array(A.rows));
    expect(deflatedCg(A, b2, { W: d.W, rtol: 1e-8 }).iterations).toBe(64);
    expect(cg(A, b2, { rtol: 1e-8 }).iterations).toBe(102);
    expect(deflatedCg(A, b2, { W: d.W, rtol: 1e-8, M: ichol0(A) }).iterations).toBe(20);
    expect(cg(A, b2, { rtol: 1e-8, M: ichol0(A) }).iterations).toBe(35);
    expect(() => deflatedCg(A, b, { W: [b, b] })).toThrow(OptkitError);
    try {
      deflatedCg(A, b, { W: [b, b] });
    } catch (err) {
      expect((err as OptkitError).code).toBe('SINGULAR');
    }
  });

  it('dcdm with the shipped model', async () => {
    const A = poisson2d(16); // the grid the shipped network was trained on (256 unknowns)
    const b = new Rng(7).fillNormal(new Float64Array(256));
    const r = await deepConjugateDirection(A, b, { rtol: 1e-6 }); // loads models/dcdm-poisson16 once
    const c = cg(A, b, { rtol: 1e-6 });
    expect(r.reason).toBe('converged');
    expect(r.modelCalls).toBe(r.iterations);
    expect(r.iterations).toBeLessThan(c.iterations);

    const cgLike = await dcdm(A, b, (rUnit) => rUnit.slice(), { rtol: 1e-6, maxIter: 1000 }); // identity model = CG
    expect(Math.abs(cgLike.iterations - c.iterations)).toBeLessThanOrEqual(1);

    const { model, shape, net } = await loadPretrainedDcdm();
    expect(shape).toEqual([16, 16]);
    expect(typeof model).toBe('function');
    net.dispose();
  });

  it('plugin ids', () => {
    expect(plugin.experiments!.map((e) => e.id)).toEqual(['sor-bandit', 'deep-conjugate-direction', 'skr', 'linf-regression']);
    expect(plugin.benchmarks!.map((e) => e.id)).toEqual(['linalg.krylov', 'linalg.recycling', 'linalg.lsqr']);
  });
});
