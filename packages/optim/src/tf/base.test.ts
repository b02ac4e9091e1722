import { OptkitError } from '@optkit/core';
import { useBestBackend } from '@optkit/core/tf';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptkitTfOptimizer, checkTfOption, type VariableStep } from './base.js';

beforeAll(async () => {
  const choice = await useBestBackend({ prefer: 'wasm' });
  expect(choice.tfBackend).toBe('wasm');
});

/** Plain momentum SGD, the smallest real subclass: m ← μm + g;  θ ← θ − lr·m. */
class TestSgdm extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.TestSgdm';
  }
  /** Iterations seen by applyToVariable, to check the `iteration` field. */
  readonly seenIterations: number[] = [];
  constructor(
    readonly learningRate = 0.1,
    readonly momentum = 0.9,
  ) {
    super(['m']);
  }
  protected applyToVariable({ variable, gradient, slots: [m], iteration }: VariableStep): void {
    this.seenIterations.push(iteration);
    const mNew = tf.add(tf.mul(m, this.momentum), gradient);
    m.assign(mNew);
    variable.assign(tf.sub(variable, tf.mul(mNew, this.learningRate)));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum };
  }
}

/** Two slots (the second unused), to check the slot-major saved order. */
class TwoSlots extends OptkitTfOptimizer {
  /** @nocollapse */
  static get className(): string {
    return 'optkit.TestTwoSlots';
  }
  constructor() {
    super(['m', 'v']);
  }
  protected applyToVariable({ slots: [m, v], gradient }: VariableStep): void {
    m.assign(tf.add(m, gradient));
    v.assign(tf.add(v, tf.square(gradient)));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

let unique = 0;
const vname = (base: string) => `base_test_${base}_${unique++}`;
/** A fresh uniquely named variable; the initial tensor is freed by the tidy (tf.variable keeps it otherwise). */
const mkvar = (base: string, values: number[], shape: number[] = [values.length]) =>
  tf.tidy(() => tf.variable(tf.tensor(values, shape), true, vname(base)));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  throw new Error('expected an OptkitError');
}

async function rejectCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OptkitError);
    return (err as OptkitError).code;
  }
  throw new Error('expected an OptkitError');
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
}

/** Applies the named gradients (plain arrays) and disposes the gradient tensors. */
function step(opt: OptkitTfOptimizer, grads: [tf.Variable, number[] | null][]): void {
  const list = grads.map(([v, g]) => ({ name: v.name, tensor: g === null ? (null as unknown as tf.Tensor) : tf.tensor(g, v.shape) }));
  try {
    opt.applyGradients(list);
  } finally {
    for (const e of list) e.tensor?.dispose();
  }
}

describe('OptkitTfOptimizer (through a momentum-SGD subclass)', () => {
  it('two steps give the hand-computed values; nothing leaks per step; dispose frees the slots', () => {
    const before = tf.memory().numTensors;
    const a = mkvar('a', [1, -2]);
    const b = mkvar('b', [0.5, 4], [2, 1]);
    const opt = new TestSgdm(0.1, 0.9);
    const withVars = tf.memory().numTensors;
    // Step 1: m = g;            a = [1, -2] − 0.1·[0.5, −1] = [0.95, −1.9]
    //                           b = [0.5, 4] − 0.1·[2, 0]   = [0.3, 4]
    step(opt, [[a, [0.5, -1]], [b, [2, 0]]]);
    expect(tf.memory().numTensors).toBe(withVars + 2); // one slot per variable, nothing else
    close(a.dataSync(), [0.95, -1.9]);
    close(b.dataSync(), [0.3, 4]);
    // Step 2: m = 0.9·[0.5, −1] + [1, 2] = [1.45, 1.1];  a = [0.95 − 0.145, −1.9 − 0.11] = [0.805, −2.01]
    //         m = 0.9·[2, 0] + [−1, 1]  = [0.8, 1];      b = [0.3 − 0.08, 4 − 0.1]        = [0.22, 3.9]
    step(opt, [[a, [1, 2]], [b, [-1, 1]]]);
    expect(tf.memory().numTensors).toBe(withVars + 2);
    close(a.dataSync(), [0.805, -2.01]);
    close(b.dataSync(), [0.22, 3.9]);
    expect(opt.iterations).toBe(2);
    expect(opt.seenIterations).toEqual([0, 0, 1, 1]);
    expect(opt.numTrackedVariables).toBe(2);
    opt.dispose();
    expect(opt.numTrackedVariables).toBe(0);
    expect(tf.memory().numTensors).toBe(withVars);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('getWeights is [iter, slot per variable] in first-seen order, named <variable>/<slot>', async () => {
    const a = mkvar('a', [1, -2]);
    const b = mkvar('b', [3]);
    const opt = new TestSgdm(0.1, 0.9);
    // A name → gradient map works as well as a list; b is met first here.
    const gb = tf.tensor1d([4]);
    const ga = tf.tensor1d([0.5, -1]);
    opt.applyGradients({ [b.name]: gb, [a.name]: ga });
    gb.dispose();
    ga.dispose();
    const w = await opt.getWeights();
    expect(w.map((e) => e.name)).toEqual(['iter', `${b.name}/m`, `${a.name}/m`]);
    expect(Array.from(w[0].tensor.dataSync())).toEqual([1]);
    close(w[1].tensor.dataSync(), [4]);
    close(w[2].tensor.dataSync(), [0.5, -1]);
    w[0].tensor.dispose();
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('with two slots the saved order is slot-major, and a count that is not 1 + 2k is refused', async () => {
    const a = mkvar('a', [0, 0]);
    const b = mkvar('b', [0]);
    const opt = new TwoSlots();
    step(opt, [[a, [1, 2]], [b, [3]]]);
    const w = await opt.getWeights();
    expect(w.map((e) => e.name)).toEqual(['iter', `${a.name}/m`, `${b.name}/m`, `${a.name}/v`, `${b.name}/v`]);
    close(w[3].tensor.dataSync(), [1, 4]);
    close(w[4].tensor.dataSync(), [9]);
    const other = new TwoSlots();
    expect(await rejectCode(other.setWeights(w.slice(0, 2)))).toBe('INVALID_ARGUMENT');
    w[0].tensor.dispose();
    opt.dispose();
    other.dispose();
    a.dispose();
    b.dispose();
  });

  it('setWeights restores by position onto differently named variables, and the next step matches', async () => {
    const a = mkvar('a', [1, -2]);
    const b = mkvar('b', [0.5, 4], [2, 1]);
    const opt = new TestSgdm(0.1, 0.9);
    step(opt, [[a, [0.5, -1]], [b, [2, 0]]]);
    step(opt, [[a, [1, 2]], [b, [-1, 1]]]);
    const saved = await opt.getWeights();
    // A "reloaded model": same values, new names.
    const a2 = mkvar('a_reloaded', Array.from(a.dataSync()));
    const b2 = mkvar('b_reloaded', Array.from(b.dataSync()), [2, 1]);
    const restored = new TestSgdm(0.1, 0.9);
    await restored.setWeights(saved);
    saved[0].tensor.dispose();
    expect(restored.iterations).toBe(2);
    expect(restored.numTrackedVariables).toBe(2);
    // Step 3 on both: m_a = 0.9·[1.45, 1.1] + [0, −1] = [1.305, −0.01]; a = [0.805 − 0.1305, −2.01 + 0.001]
    step(opt, [[a, [0, -1]], [b, [1, 1]]]);
    step(restored, [[a2, [0, -1]], [b2, [1, 1]]]);
    close(a.dataSync(), [0.6745, -2.009]);
    // m_b = 0.9·[0.8, 1] + [1, 1] = [1.72, 1.9]; b = [0.22 − 0.172, 3.9 − 0.19] = [0.048, 3.71]
    close(b.dataSync(), [0.048, 3.71]);
    close(a2.dataSync(), Array.from(a.dataSync()), 0);
    close(b2.dataSync(), Array.from(b.dataSync()), 0);
    expect(restored.seenIterations).toEqual([2, 2]);
    const w2 = await restored.getWeights();
    // Restored entries keep their saved names (the first-seen names of the saving run).
    expect(w2.map((e) => e.name)).toEqual(['iter', `${a.name}/m`, `${b.name}/m`]);
    close(w2[1].tensor.dataSync(), [1.305, -0.01]);
    w2[0].tensor.dispose();
    for (const t of [opt, restored, a, b, a2, b2]) t.dispose();
  });

  it('a restored slot whose shape differs from the variable at its position throws SHAPE_MISMATCH', async () => {
    const a = mkvar('a', [1, -2]);
    const opt = new TestSgdm();
    step(opt, [[a, [1, 1]]]);
    const saved = await opt.getWeights();
    const wrong = mkvar('wrong', [1, 2, 3]);
    const restored = new TestSgdm();
    await restored.setWeights(saved);
    saved[0].tensor.dispose();
    const value = Array.from(wrong.dataSync());
    expect(codeOf(() => step(restored, [[wrong, [1, 1, 1]]]))).toBe('SHAPE_MISMATCH');
    expect(Array.from(wrong.dataSync())).toEqual(value); // nothing was changed
    for (const t of [opt, restored, a, wrong]) t.dispose();
  });

  it('skips null gradients but still creates their slots in list order', async () => {
    const a = mkvar('a', [1, -2]);
    const b = mkvar('b', [5]);
    const opt = new TestSgdm(0.1, 0.9);
    step(opt, [[a, null], [b, [1]]]);
    close(a.dataSync(), [1, -2]);
    close(b.dataSync(), [4.9]);
    expect(opt.seenIterations).toEqual([0]);
    const w = await opt.getWeights();
    expect(w.map((e) => e.name)).toEqual(['iter', `${a.name}/m`, `${b.name}/m`]);
    close(w[1].tensor.dataSync(), [0, 0]);
    w[0].tensor.dispose();
    for (const t of [opt, a, b]) t.dispose();
  });

  it('refuses an unknown variable (NOT_FOUND) and a gradient of the wrong shape (SHAPE_MISMATCH)', () => {
    const a = mkvar('a', [1, -2]);
    const opt = new TestSgdm();
    const g = tf.tensor1d([1, 1]);
    expect(codeOf(() => opt.applyGradients([{ name: 'base_test_no_such_variable', tensor: g }]))).toBe('NOT_FOUND');
    const g3 = tf.tensor1d([1, 1, 1]);
    expect(codeOf(() => opt.applyGradients([{ name: a.name, tensor: g3 }]))).toBe('SHAPE_MISMATCH');
    g3.dispose();
    expect(opt.numTrackedVariables).toBe(0);
    expect(opt.iterations).toBe(0);
    g.dispose();
    opt.dispose();
    a.dispose();
  });
});

describe('checkTfOption', () => {
  it('returns a number in range and refuses others with INVALID_OPTION naming the option', () => {
    expect(checkTfOption(0.5, 'beta', 'F', { min: 0, max: 1, maxExclusive: true })).toBe(0.5);
    expect(checkTfOption(0, 'lr', 'F', { min: 0 })).toBe(0);
    expect(codeOf(() => checkTfOption(1, 'beta', 'F', { min: 0, max: 1, maxExclusive: true }))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkTfOption(0, 'lr', 'F', { min: 0, minExclusive: true }))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkTfOption(Number.NaN, 'lr', 'F'))).toBe('INVALID_OPTION');
    expect(codeOf(() => checkTfOption('1', 'lr', 'F'))).toBe('INVALID_OPTION');
    expect(() => checkTfOption(-1, 'lr', 'F', { min: 0 })).toThrow('F: option lr is -1; expected a number in [0, inf)');
  });
});
