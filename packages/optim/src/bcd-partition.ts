/**
 * Block partitions for block coordinate descent (shared/methods/bcd.md §2): fixed partitions of
 * size τ (`order`, `sort`, `avg`, after the reference's partition_rules.py), and graph partitions of
 * a sparse quadratic's variables — red-black (independent sets, so Q_bb is diagonal) and forests
 * (each block's induced subgraph is acyclic, so the exact block solve is a linear-time tree
 * elimination) by greedy colouring (reference tree_algorithms.py), plus the lattice versions
 * (checkerboard, even/odd columns).
 */
import { CsrMatrix, OptkitError, assertInteger, assertLength, checkChoice } from '@optkit/core';

/** The fixed partition kinds. */
export type FixedPartitionKind = 'order' | 'sort' | 'avg';

/** Indices 0..n-1 sorted by `key` ascending; ties keep index order (a stable sort). */
function argsort(key: ArrayLike<number>): Int32Array {
  const idx = Array.from({ length: key.length }, (_, i) => i);
  idx.sort((a, b) => key[a] - key[b] || a - b);
  return Int32Array.from(idx);
}

/** Cuts `order` into consecutive blocks of `blockSize` (the last one shorter when τ ∤ n). */
function cut(order: Int32Array, blockSize: number): Int32Array[] {
  const blocks: Int32Array[] = [];
  for (let s = 0; s < order.length; s += blockSize) blocks.push(Int32Array.from(order.subarray(s, Math.min(order.length, s + blockSize))).sort());
  return blocks;
}

/**
 * A fixed partition of n = `lipschitz.length` coordinates into blocks of `blockSize`:
 * `order` contiguous; `sort` coordinates sorted by L_i then cut (the paper's default "FB"); `avg`
 * interleaves the smallest and largest L_i (pairs) then cuts, so every block mixes both. The
 * reference requires τ | n; here the last block is shorter when it does not divide. Each block's
 * indices are sorted ascending.
 */
export function fixedPartition(lipschitz: ArrayLike<number>, blockSize: number, kind: FixedPartitionKind = 'sort'): Int32Array[] {
  const fn = 'fixedPartition';
  const n = lipschitz.length;
  if (n === 0) throw new OptkitError('EMPTY_INPUT', `${fn}: lipschitz is empty`, 'lipschitz');
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > n) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option blockSize is ${String(blockSize)}; expected an integer in [1, ${n}]`, 'blockSize');
  }
  checkChoice(kind, ['order', 'sort', 'avg'] as const, 'partition', fn);
  if (kind === 'order') return cut(Int32Array.from({ length: n }, (_, i) => i), blockSize);
  const sorted = argsort(lipschitz);
  if (kind === 'sort') return cut(sorted, blockSize);
  const order = new Int32Array(n);
  let k = 0;
  for (let i = 0, j = n - 1; i <= j; i++, j--) {
    order[k++] = sorted[i];
    if (i !== j) order[k++] = sorted[j];
  }
  return cut(order, blockSize);
}

function checkGraph(Q: CsrMatrix, fn: string): void {
  if (!(Q instanceof CsrMatrix)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: Q must be a CsrMatrix`, 'Q');
  if (Q.rows !== Q.cols) throw new OptkitError('SHAPE_MISMATCH', `${fn}: Q is ${Q.rows}×${Q.cols}; expected square`, 'Q');
}

/** Node visiting order: decreasing `weights` (ties by index), or the given permutation. */
function visitOrder(n: number, order: Int32Array | undefined, weights: ArrayLike<number> | undefined, fn: string): Int32Array {
  if (order) {
    assertLength(order, n, 'order', fn);
    const seen = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const v = order[k];
      if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) throw new OptkitError('INVALID_ARGUMENT', `${fn}: order must be a permutation of 0..${n - 1}`, 'order');
      seen[v] = 1;
    }
    return order;
  }
  if (!weights) return Int32Array.from({ length: n }, (_, i) => i);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => weights[b] - weights[a] || a - b);
  return Int32Array.from(idx);
}

/**
 * Greedy red-black (graph-colouring) partition of Q's variables: visiting nodes by decreasing Q_ii
 * (or `order`), each joins the least-used colour none of its neighbours has, else opens a new colour
 * (the reference's get_rb_general_graph). Each block is an independent set, so Q_bb is diagonal.
 */
export function redBlackPartition(Q: CsrMatrix, order?: Int32Array): Int32Array[] {
  const fn = 'redBlackPartition';
  checkGraph(Q, fn);
  const n = Q.rows;
  const visit = visitOrder(n, order, Q.diagonal(), fn);
  const colour = new Int32Array(n).fill(-1);
  const counts: number[] = [];
  const used = new Uint8Array(n + 1);
  for (const v of visit) {
    for (let q = Q.indptr[v]; q < Q.indptr[v + 1]; q++) {
      const u = Q.indices[q];
      if (u !== v && Q.values[q] !== 0 && colour[u] >= 0) used[colour[u]] = 1;
    }
    let best = -1;
    for (let c = 0; c < counts.length; c++) if (!used[c] && (best < 0 || counts[c] < counts[best])) best = c;
    if (best < 0) {
      best = counts.length;
      counts.push(0);
    }
    colour[v] = best;
    counts[best]++;
    for (let q = Q.indptr[v]; q < Q.indptr[v + 1]; q++) {
      const u = Q.indices[q];
      if (colour[u] >= 0) used[colour[u]] = 0;
    }
  }
  return groups(colour, counts.length);
}

function groups(label: Int32Array, count: number): Int32Array[] {
  const sizes = new Int32Array(count);
  for (const c of label) sizes[c]++;
  const blocks = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(count);
  for (let i = 0; i < label.length; i++) blocks[label[i]][fill[label[i]]++] = i;
  return blocks;
}

/** Union-find over node ids with path halving. */
function find(parent: Int32Array, v: number): number {
  while (parent[v] !== v) {
    parent[v] = parent[parent[v]];
    v = parent[v];
  }
  return v;
}

/**
 * Greedy forest partition ("tree partitions", bcd.md §2): visiting nodes by decreasing Q_ii (or
 * `order`), each node joins the first block in which its in-block neighbours all lie in distinct
 * trees — adding it keeps the block acyclic — else opens a new block (the reference's
 * get_tp_general_graph). Every block's induced subgraph is a forest.
 */
export function forestPartition(Q: CsrMatrix, order?: Int32Array): Int32Array[] {
  const fn = 'forestPartition';
  checkGraph(Q, fn);
  const n = Q.rows;
  const visit = visitOrder(n, order, Q.diagonal(), fn);
  const block = new Int32Array(n).fill(-1);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const roots: number[] = [];
  let nBlocks = 0;
  const counts: number[] = [];
  for (const v of visit) {
    let chosen = -1;
    for (let k = 0; k < nBlocks && chosen < 0; k++) {
      roots.length = 0;
      let ok = true;
      for (let q = Q.indptr[v]; q < Q.indptr[v + 1] && ok; q++) {
        const u = Q.indices[q];
        if (u === v || Q.values[q] === 0 || block[u] !== k) continue;
        const r = find(parent, u);
        if (roots.includes(r)) ok = false;
        else roots.push(r);
      }
      if (ok) chosen = k;
    }
    if (chosen < 0) {
      chosen = nBlocks++;
      counts.push(0);
    }
    block[v] = chosen;
    counts[chosen]++;
    for (let q = Q.indptr[v]; q < Q.indptr[v + 1]; q++) {
      const u = Q.indices[q];
      if (u === v || Q.values[q] === 0 || block[u] !== chosen) continue;
      const r = find(parent, u);
      if (r !== v) parent[r] = v;
    }
  }
  return groups(block, nBlocks);
}

/**
 * True when the subgraph of Q induced by `block` is a forest (edges = nodes − components: a
 * union-find pass that fails on the first edge closing a cycle).
 */
export function isForestBlock(Q: CsrMatrix, block: Int32Array): boolean {
  checkGraph(Q, 'isForestBlock');
  const n = Q.rows;
  const local = new Int32Array(n).fill(-1);
  for (let k = 0; k < block.length; k++) {
    const v = block[k];
    if (!Number.isInteger(v) || v < 0 || v >= n || local[v] >= 0) throw new OptkitError('INVALID_ARGUMENT', `isForestBlock: block[${k}] = ${v} is out of range or repeated`, 'block');
    local[v] = k;
  }
  const parent = Int32Array.from({ length: block.length }, (_, i) => i);
  for (let k = 0; k < block.length; k++) {
    const v = block[k];
    for (let q = Q.indptr[v]; q < Q.indptr[v + 1]; q++) {
      const u = Q.indices[q];
      const lu = local[u];
      if (u <= v || lu < 0 || Q.values[q] === 0) continue; // each undirected edge once
      const a = find(parent, k);
      const b = find(parent, lu);
      if (a === b) return false;
      parent[a] = b;
    }
  }
  return true;
}

/**
 * The lattice partitions of bcd.md §4 for variables placed on a grid: `redBlack` = the checkerboard
 * (row + column even / odd: two independent sets of a 4-neighbour lattice), `columnForests` = even /
 * odd lattice columns (each column is a path and same-parity columns do not touch: a 2-forest
 * partition).
 */
export function latticePartitions(gridRow: Int32Array, gridCol: Int32Array): { redBlack: Int32Array[]; columnForests: Int32Array[] } {
  const fn = 'latticePartitions';
  assertLength(gridCol, gridRow.length, 'gridCol', fn);
  const n = gridRow.length;
  const rb = new Int32Array(n);
  const cf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    assertInteger(gridRow[i], 'gridRow', 0, fn);
    assertInteger(gridCol[i], 'gridCol', 0, fn);
    rb[i] = (gridRow[i] + gridCol[i]) & 1;
    cf[i] = gridCol[i] & 1;
  }
  return { redBlack: groups(rb, 2).filter((b) => b.length > 0), columnForests: groups(cf, 2).filter((b) => b.length > 0) };
}

/**
 * One greedy forest grown over Q's graph (the reference's get_tree_slow, bcd.md §2 "greedy tree"):
 * visiting nodes in `order` (e.g. decreasing |∇ᵢf| for GS-tree, a random permutation for a random
 * tree), each node joins if its already-chosen neighbours lie in distinct trees, so the result
 * stays acyclic. Returns the chosen nodes, sorted. `parent` and `inBlock` are n-scratch (any
 * content; left dirty).
 */
export function greedyForestBlock(Q: CsrMatrix, order: Int32Array, parent: Int32Array = new Int32Array(Q.rows), inBlock: Uint8Array = new Uint8Array(Q.rows)): Int32Array {
  const n = Q.rows;
  assertLength(order, n, 'order', 'greedyForestBlock');
  inBlock.fill(0);
  const chosen: number[] = [];
  const roots: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = order[k];
    roots.length = 0;
    let ok = true;
    for (let q = Q.indptr[v]; q < Q.indptr[v + 1] && ok; q++) {
      const u = Q.indices[q];
      if (u === v || Q.values[q] === 0 || !inBlock[u]) continue;
      const r = find(parent, u);
      if (roots.includes(r)) ok = false;
      else roots.push(r);
    }
    if (!ok) continue;
    inBlock[v] = 1;
    parent[v] = v;
    for (const r of roots) parent[r] = v;
    chosen.push(v);
  }
  return Int32Array.from(chosen).sort();
}
