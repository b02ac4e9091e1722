/**
 * @optkit/core/testing — shared test batteries for optkit packages (needs vitest, an optional peer
 * dependency of core). Import from tests only.
 */
export * from './conformance.js';
