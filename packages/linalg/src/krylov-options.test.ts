import { describe, it, expect } from 'vitest';
import { DenseMatrix, OptkitError, diagonalOperator } from '@optkit/core';
import { checkSystem } from './krylov-options.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OptkitError);
    return (e as OptkitError).code;
  }
  return undefined;
}

const A = DenseMatrix.fromRows([
  [4, 1, 0],
  [1, 3, 0],
  [0, 0, 2],
]);
const b = new Float64Array([3, 0, 4]); // ‖b‖ = 5

describe('checkSystem', () => {
  it('uses rtol 1e-5 and atol 0 by default: threshold = 1e-5·‖b‖', () => {
    const s = checkSystem('t', A, b, {});
    expect(s.n).toBe(3);
    expect(s.rtol).toBe(1e-5);
    expect(s.atol).toBe(0);
    expect(s.bnorm).toBeCloseTo(5, 14);
    expect(s.threshold).toBeCloseTo(5e-5, 18);
    expect(s.M).toBeUndefined();
    expect(s.x0).toBeUndefined();
  });

  it('threshold = max(rtol·‖b‖, atol)', () => {
    expect(checkSystem('t', A, b, { rtol: 0.1, atol: 0.2 }).threshold).toBeCloseTo(0.5, 15);
    expect(checkSystem('t', A, b, { rtol: 0.1, atol: 2 }).threshold).toBe(2);
    expect(checkSystem('t', A, new Float64Array(3), { rtol: 0.1, atol: 0 }).threshold).toBe(0);
    expect(checkSystem('t', A, new Float64Array(3), { atol: 1e-3 }).threshold).toBe(1e-3);
  });

  it('passes x0 and a matching M through', () => {
    const x0 = new Float64Array([1, 2, 3]);
    const s = checkSystem('t', A, b, { x0, M: diagonalOperator([1, 1, 1]) });
    expect(s.x0).toBe(x0);
    expect(s.M?.rows).toBe(3);
    expect(s.M?.cols).toBe(3);
    expect(Array.from(s.A.apply(new Float64Array([1, 0, 0])))).toEqual([4, 1, 0]);
  });

  it('rejects a non-square A', () => {
    expect(codeOf(() => checkSystem('t', new DenseMatrix(3, 2), new Float64Array(3), {}))).toBe('SHAPE_MISMATCH');
  });

  it('rejects b of the wrong length or type', () => {
    expect(codeOf(() => checkSystem('t', A, new Float64Array(2), {}))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => checkSystem('t', A, [1, 2, 3] as unknown as Float64Array, {}))).toBe('INVALID_ARGUMENT');
  });

  it('rejects NaN/Infinity in b and x0', () => {
    expect(codeOf(() => checkSystem('t', A, new Float64Array([1, NaN, 0]), {}))).toBe('NOT_FINITE');
    expect(codeOf(() => checkSystem('t', A, b, { x0: new Float64Array([0, 0, Infinity]) }))).toBe('NOT_FINITE');
    expect(codeOf(() => checkSystem('t', A, b, { x0: new Float64Array(2) }))).toBe('SHAPE_MISMATCH');
  });

  it('rejects negative or non-finite tolerances', () => {
    expect(codeOf(() => checkSystem('t', A, b, { rtol: -1e-8 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkSystem('t', A, b, { atol: -1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkSystem('t', A, b, { rtol: NaN }))).toBe('INVALID_OPTION');
  });

  it('rejects a preconditioner of the wrong size, naming options.M', () => {
    let err: OptkitError | undefined;
    try {
      checkSystem('t', A, b, { M: diagonalOperator([1, 1]) });
    } catch (e) {
      err = e as OptkitError;
    }
    expect(err).toBeInstanceOf(OptkitError);
    expect(err?.code).toBe('SHAPE_MISMATCH');
    expect(err?.argument).toBe('options.M');
    expect(codeOf(() => checkSystem('t', A, b, { M: new DenseMatrix(3, 2) }))).toBe('SHAPE_MISMATCH');
  });
});
