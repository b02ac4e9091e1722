/**
 * Exact block solves on forests (shared/methods/bcd.md §2, "message passing for huge blocks"): when
 * the subgraph of a sparse symmetric Q induced by a block b is a forest, Q_bb·z = r is solved in
 * O(|b|) by Gaussian elimination from the leaves to the roots (no fill on a tree) and back
 * substitution from the roots down — the same numbers Gaussian belief propagation gives on a tree.
 */
import { CsrMatrix, OptkitError, assertLength } from '@optkit/core';

/** The elimination order of one forest block, computed once and reused for every solve. */
export interface ForestFactor {
  /** The block's variables (global ids); local index k ↔ block[k]. */
  readonly block: Int32Array;
  /** Local indices in breadth-first order from each tree's root (parents before children). */
  readonly order: Int32Array;
  /** Local parent of each node (−1 for a root). */
  readonly parent: Int32Array;
  /** Q[node, parent] (0 for a root). */
  readonly edge: Float64Array;
  /** The eliminated diagonal: Q_kk minus the children's contributions (all > 0 for SPD Q_bb). */
  readonly pivot: Float64Array;
}

/**
 * Builds the elimination order and pivots of `block`. Throws INVALID_ARGUMENT if the induced
 * subgraph has a cycle (use {@link isForestBlock} / a forest partition) or the block repeats or
 * leaves the range, NOT_SPD if a pivot is not positive (Q_bb is not positive definite).
 */
export function forestFactor(Q: CsrMatrix, block: Int32Array): ForestFactor {
  const fn = 'forestFactor';
  if (!(Q instanceof CsrMatrix) || Q.rows !== Q.cols) throw new OptkitError('INVALID_ARGUMENT', `${fn}: Q must be a square CsrMatrix`, 'Q');
  const n = Q.rows;
  const t = block.length;
  const local = new Int32Array(n).fill(-1);
  for (let k = 0; k < t; k++) {
    const v = block[k];
    if (!Number.isInteger(v) || v < 0 || v >= n || local[v] >= 0) throw new OptkitError('INVALID_ARGUMENT', `${fn}: block[${k}] = ${v} is out of range or repeated`, 'block');
    local[v] = k;
  }
  const order = new Int32Array(t);
  const parent = new Int32Array(t).fill(-2);
  const edge = new Float64Array(t);
  const diag = new Float64Array(t);
  let head = 0;
  let tail = 0;
  for (let s = 0; s < t; s++) {
    if (parent[s] !== -2) continue;
    parent[s] = -1;
    order[tail++] = s;
    while (head < tail) {
      const k = order[head++];
      const v = block[k];
      for (let q = Q.indptr[v]; q < Q.indptr[v + 1]; q++) {
        const u = Q.indices[q];
        const lu = local[u];
        if (u === v) {
          diag[k] = Q.values[q];
          continue;
        }
        if (lu < 0 || Q.values[q] === 0) continue;
        if (lu === parent[k]) continue;
        if (parent[lu] !== -2) {
          throw new OptkitError('INVALID_ARGUMENT', `${fn}: the block's subgraph has a cycle through variable ${u}; exact forest solves need a forest`, 'block');
        }
        parent[lu] = k;
        edge[lu] = Q.values[q];
        order[tail++] = lu;
      }
    }
  }
  // Leaves first: eliminate each node into its parent.
  const pivot = diag;
  for (let i = t - 1; i >= 0; i--) {
    const k = order[i];
    if (!(pivot[k] > 0)) throw new OptkitError('NOT_SPD', `${fn}: pivot ${pivot[k]} at variable ${block[k]}; Q_bb is not positive definite`, 'Q');
    const p = parent[k];
    if (p >= 0) pivot[p] -= (edge[k] * edge[k]) / pivot[k];
  }
  return { block, order, parent, edge, pivot };
}

/**
 * z ← Q_bb⁻¹·r for a factored forest block (r, z of length |b|; z may alias r). O(|b|).
 * `work` is |b| scratch.
 */
export function forestSolve(F: ForestFactor, r: Float64Array, z: Float64Array, work: Float64Array = new Float64Array(F.block.length)): Float64Array {
  const t = F.block.length;
  assertLength(r, t, 'r', 'forestSolve');
  const y = work;
  y.set(r.subarray(0, t));
  const { order, parent, edge, pivot } = F;
  for (let i = t - 1; i >= 0; i--) {
    const k = order[i];
    const p = parent[k];
    if (p >= 0) y[p] -= (edge[k] / pivot[k]) * y[k];
  }
  for (let i = 0; i < t; i++) {
    const k = order[i];
    const p = parent[k];
    z[k] = (p >= 0 ? y[k] - edge[k] * z[p] : y[k]) / pivot[k];
  }
  return z;
}
