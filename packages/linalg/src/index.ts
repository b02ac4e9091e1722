/**
 * @optkit/linalg — iterative linear solvers (CG, GMRES, MINRES, GCRO-DR, SKR recycling across
 * sequences), SOR with a bandit-tuned relaxation factor, randomized sketching (Gaussian, SRHT,
 * CountSketch, sparse sign) with sketch-and-solve, sketch-and-precondition LSQR and ℓ∞ regression.
 * The learned deep-conjugate-direction solver lives in `@optkit/linalg/tf` so tfjs loads only when
 * asked for. This file is the package's whole public surface.
 */
export { plugin } from './plugin.js';
