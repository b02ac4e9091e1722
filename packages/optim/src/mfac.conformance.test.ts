/**
 * M-FAC through core's optimizer conformance battery. Far from the optimum M-FAC's products are
 * ≈ m·g/‖g‖² (natural-gradient scaling, card pitfall 1); near it, where ‖g‖²/m ≪ λ, F⁻¹ ≈ I/λ and
 * the step is SGD's with lr/λ. With a constant lr and a small λ the natural-gradient regime keeps the
 * step size ∝ 1/‖g‖ and the iterates hover at distance ≈ √(lr·m) from the optimum, so the battery
 * uses λ = 1 (SGD-like endgame) and a window of 8 (larger than the problems' dimensions).
 */
import { describeOptimizerConformance } from '@optkit/core/testing';
import { mfac } from './mfac.js';

describeOptimizerConformance([
  {
    name: 'mfac',
    make: (lr) => mfac({ lr, ngrads: 8, damp: 1 }),
    lr: 0.1,
    steps: 5000,
    overrides: { rosenbrock: { lr: 0.01, steps: 20000 } },
  },
]);
