import { describe, expect, it } from 'vitest';
import { OptkitError } from '../errors.js';
import { adam, sgd } from '../transform.js';
import { conformanceTarget, describeOptimizerConformance, separableProblem, stateLeaves } from './conformance.js';

// One entry per optimizer; packages that add optimizers register theirs the same way.
describeOptimizerConformance([
  // SGD at lr 1e-3 is stable on Rosenbrock (Hessian norm up to ~1000 on the path); the matrix
  // parabola (smallest eigenvalue 0.1) needs a larger lr to converge within 20 000 steps.
  { name: 'sgd', make: (lr) => sgd(lr), lr: 1e-3, overrides: { matrixParabola: { lr: 0.1 } } },
  { name: 'sgd+momentum', make: (lr) => sgd(lr, { momentum: 0.9 }), lr: 1e-4, overrides: { matrixParabola: { lr: 1e-2 } } },
  { name: 'sgd+nesterov', make: (lr) => sgd(lr, { momentum: 0.9, nesterov: true }), lr: 1e-4, overrides: { matrixParabola: { lr: 1e-2 } } },
  { name: 'adam', make: (lr) => adam(lr), lr: 1e-2 },
]);

describe('conformance helpers', () => {
  it('targets have their solution as a stationary point', () => {
    for (const t of ['parabola', 'matrixParabola', 'rosenbrock'] as const) {
      const p = conformanceTarget(t);
      const g = { x: new Float64Array(p.solution!.x.length) };
      p.grad(p.solution!, g);
      for (const v of g.x) expect(Math.abs(v)).toBeLessThan(1e-12);
      expect(p.loss(p.solution!)).toBeCloseTo(0, 12);
    }
    const s = separableProblem('float32');
    expect(s.init.weights).toBeInstanceOf(Float32Array);
  });

  it('stateLeaves lists typed arrays and numbers with paths', () => {
    const leaves = stateLeaves([{ count: 2, mu: { w: new Float64Array(1) } }]);
    expect(leaves.map((l) => l.path)).toEqual(['state[0].count', 'state[0].mu.w']);
  });

  it('rejects malformed cases', () => {
    expect(() => describeOptimizerConformance([{ name: 'x', make: (lr) => sgd(lr), lr: 0 }])).toThrow(OptkitError);
    expect(() =>
      describeOptimizerConformance([{ name: 'x', make: (lr) => sgd(lr), lr: 1, skip: ['nope' as 'float32'] }]),
    ).toThrow(OptkitError);
  });
});
