/**
 * @optkit/linalg — iterative linear solvers (CG, GMRES, MINRES, GCRO-DR, SKR recycling across
 * sequences), SOR with a bandit-tuned relaxation factor, randomized sketching (Gaussian, SRHT,
 * CountSketch, sparse sign) with sketch-and-solve, sketch-and-precondition LSQR and ℓ∞ regression.
 * The learned deep-conjugate-direction solver lives in `@optkit/linalg/tf` so tfjs loads only when
 * asked for. This file is the package's whole public surface.
 */
export { plugin } from './plugin.js';
export * from './sor.js';
export * from './sor-learner.js';
export * from './bandits/tsallis-inf.js';
export * from './bandits/cheb-cb.js';
export * from './gmres.js';
export * from './cg.js';
export * from './deflated-cg.js';
export * from './minres.js';
export * from './preconditioners.js';
export * from './dcdm.js';
export * from './dcdm-training-set.js';
export * from './fwht.js';
export * from './sketch.js';
export * from './dense-least-squares.js';
export * from './sketch-and-solve.js';
export * from './linf-regression.js';
export * from './lsqr.js';
export * from './sketch-precondition.js';
export * from './least-squares-problems.js';
export * from './gcrodr.js';
export * from './skr.js';
export * from './pde-sequence.js';
