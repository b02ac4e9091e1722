/**
 * Hessian-vector products for TensorFlow.js variables by central differences of gradients
 * (adahessian.md §2). Nested `tf.grads` is NOT used: in tfjs 4.22 it gives wrong second derivatives
 * through tanh/sigmoid/ReLU layers (relative error 0.3–0.9 on the first layer of an MLP, measured in
 * `hvp.test.ts`), and fails outright for softmax cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError } from '@optkit/core';

/**
 * The default finite-difference step for float32 variables: 1e-3 × RMS over all entries of the
 * variables, floored at 1e-4 (adahessian.md §2: relative error 1.7e-5 at h = 1e-3 on MLP weights ~0.3,
 * against 1.5e-3 at 1e-2 and 1.1e-4 at 1e-4).
 */
export function defaultFdStep(vars: readonly tf.Variable[]): number {
  let sum = 0;
  let count = 0;
  for (const v of vars) {
    sum += tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]);
    count += v.size;
  }
  const rms = count > 0 ? Math.sqrt(sum / count) : 0;
  return Math.max(1e-3 * rms, 1e-4);
}

/**
 * H·z ≈ (∇f(θ + h·z) − ∇f(θ − h·z)) / (2h) for the variables `vars` (θ), with `z` one tensor per
 * variable (same shapes). `f` must be deterministic (same batch, no dropout), since it runs twice.
 * The variables are assigned θ ± h·z and restored to θ exactly (from a copy) before returning.
 * Returns new tensors (one per variable, the caller disposes them); the value of f is not returned.
 */
export function centralDifferenceHvp(
  f: () => tf.Scalar,
  vars: readonly tf.Variable[],
  z: readonly tf.Tensor[],
  h: number,
): tf.Tensor[] {
  const fn = 'centralDifferenceHvp';
  if (typeof f !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: f must be a function () => tf.Scalar`, 'f');
  if (!Array.isArray(vars) || !Array.isArray(z) || vars.length !== z.length) {
    throw new OptkitError('SHAPE_MISMATCH', `${fn}: z must have one tensor per variable`, 'z');
  }
  for (let i = 0; i < vars.length; i++) {
    if (!tf.util.arraysEqual(vars[i].shape, z[i].shape)) {
      throw new OptkitError('SHAPE_MISMATCH', `${fn}: z[${i}] has shape [${z[i].shape}]; variable ${vars[i].name} has [${vars[i].shape}]`, `z.${i}`);
    }
  }
  if (!(h > 0) || !Number.isFinite(h)) throw new OptkitError('INVALID_OPTION', `${fn}: h is ${h}; expected a finite number > 0`, 'h');
  const theta = vars.map((v) => tf.clone(v));
  const list = vars as tf.Variable[];
  const gradsAt = (sign: number): tf.Tensor[] => {
    for (let i = 0; i < list.length; i++) {
      const vi = list[i];
      tf.tidy(() => vi.assign(tf.add(theta[i], tf.mul(z[i], sign * h))));
    }
    const { value, grads } = tf.variableGrads(f, list);
    value.dispose();
    return list.map((v) => grads[v.name]);
  };
  try {
    const gp = gradsAt(1);
    const gm = gradsAt(-1);
    const out = tf.tidy(() => gp.map((g, i) => tf.div(tf.sub(g, gm[i]), 2 * h)));
    tf.dispose([...gp, ...gm]);
    return out;
  } finally {
    for (let i = 0; i < list.length; i++) list[i].assign(theta[i]);
    tf.dispose(theta);
  }
}

/**
 * i.i.d. Rademacher (±1) tensors with the shapes of `vars`, drawn from `next()` (a function returning
 * uniform numbers in [0, 1)); one draw for all variables together (adahessian.md §7).
 */
export function rademacherLike(vars: readonly tf.Variable[], next: () => number): tf.Tensor[] {
  return vars.map((v) => {
    const a = new Float32Array(v.size);
    for (let i = 0; i < a.length; i++) a[i] = next() < 0.5 ? -1 : 1;
    return tf.tensor(a, v.shape, 'float32');
  });
}
