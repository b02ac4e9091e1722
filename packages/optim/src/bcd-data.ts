/**
 * Data generators of shared/methods/bcd.md §4, after the reference's src/datasets/datasets.py and
 * tree_datasets.py: problems A/B (sparse least squares / logistic data, generated column by column so
 * any cluster shard can regenerate its own columns), D (label propagation on a lattice) and E (label
 * propagation on a two-moons kNN graph).
 */
import { CsrMatrix, OptkitError, Rng, assertInteger, checkOption } from '@optkit/core';
import type { ColumnData } from './bcd-kernels.js';

/** Options of {@link syntheticColumns}. */
export interface SyntheticDataOptions {
  /** Base seed (default 1, the reference's). Column j draws from its own stream derived from it. */
  seed?: number;
  /** Probability that an entry is kept (default 10·ln(rows)/rows, capped at 1). */
  density?: number;
  /** Column storage (default: dense when density ≥ 0.25, else sparse). */
  storage?: 'dense' | 'sparse';
}

/** A generated data set: A's columns, the planted sparse w*, and b = Aw* + N(0, 1) or labels. */
export interface SyntheticData {
  columns: ColumnData;
  wTrue: Float64Array;
  /** Least squares: b = A·w* + ε, ε ~ N(0, 1). */
  b: Float64Array;
  /** Logistic: sign(A·w*) with each sign flipped with probability 0.1. */
  y: Float64Array;
}

/** The seed of column j's random stream: a fixed integer hash of (seed, j), so any shard can regenerate any column. */
export function columnSeed(seed: number, j: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(j + 1, 0x85ebca77)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Column j of the card's data matrix (problem A/B of bcd.md §4) and its planted weight: entries
 * (N(0,1) + 1)·(10·N(0,1) column scale), each kept with probability `density`; w*_j ~ N(0,1) with
 * probability 0.1, else 0. Writes the m entries into `out` and returns w*_j.
 */
export function syntheticColumn(seed: number, j: number, m: number, density: number, out: Float64Array): number {
  const rng = new Rng(columnSeed(seed, j));
  const scale = 10 * rng.normal();
  for (let i = 0; i < m; i++) {
    const v = (rng.normal() + 1) * scale;
    // density 1 keeps every entry without drawing (halves the cost of dense benchmark data).
    out[i] = density >= 1 || rng.uniform() < density ? v : 0;
  }
  const w = rng.normal();
  return rng.uniform() < 0.1 ? w : 0;
}

/**
 * The card's problems A/B at any size: an m×n matrix column by column (see {@link syntheticColumn}),
 * w*, b = Aw* + N(0,1) noise and labels sign(Aw*) flipped w.p. 0.1 (noise and flips from `seed`'s own
 * stream). The reference's A is 1000×10000; the card's scaled prototype is 300×1000.
 */
export function syntheticColumns(rows: number, cols: number, options: SyntheticDataOptions = {}): SyntheticData {
  const fn = 'syntheticColumns';
  assertInteger(rows, 'rows', 1, fn);
  assertInteger(cols, 'cols', 1, fn);
  const seed = options.seed ?? 1;
  assertInteger(Math.abs(seed), 'seed', 0, fn);
  const density = checkOption(options.density ?? Math.min(1, (10 * Math.log(rows)) / rows), 'density', { min: 0, minExclusive: true, max: 1 }, fn);
  const storage = options.storage ?? (density >= 0.25 ? 'dense' : 'sparse');
  const m = rows;
  const col = new Float64Array(m);
  const wTrue = new Float64Array(cols);
  const Aw = new Float64Array(m);
  let dense: Float64Array | undefined;
  const colptr = new Int32Array(cols + 1);
  const rowidx: number[] = [];
  const vals: number[] = [];
  if (storage === 'dense') dense = new Float64Array(m * cols);
  for (let j = 0; j < cols; j++) {
    wTrue[j] = syntheticColumn(seed, j, m, density, col);
    accumulateColumn(col, wTrue[j], Aw);
    for (let i = 0; i < m; i++) {
      const v = col[i];
      if (v === 0) continue;
      if (dense) dense[j * m + i] = v;
      else {
        rowidx.push(i);
        vals.push(v);
      }
    }
    colptr[j + 1] = rowidx.length;
  }
  const columns: ColumnData = dense
    ? { m, n: cols, dense }
    : { m, n: cols, colptr, rowidx: Int32Array.from(rowidx), vals: Float64Array.from(vals) };
  return { columns, wTrue, ...syntheticTargets(Aw, seed) };
}

/** Aw ← Aw + w_j·A_j over the nonzeros of column j (the order every generator path uses). */
export function accumulateColumn(col: Float64Array, wj: number, Aw: Float64Array): void {
  if (wj === 0) return;
  for (let i = 0; i < col.length; i++) if (col[i] !== 0) Aw[i] += col[i] * wj;
}

/** b = Aw + N(0,1) and labels sign(Aw) flipped w.p. 0.1, from `seed`'s own stream. */
export function syntheticTargets(Aw: Float64Array, seed: number): { b: Float64Array; y: Float64Array } {
  const m = Aw.length;
  const rng = new Rng(seed);
  const b = new Float64Array(m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) b[i] = Aw[i] + rng.normal();
  for (let i = 0; i < m; i++) y[i] = (Aw[i] >= 0 ? 1 : -1) * (rng.uniform() < 0.1 ? -1 : 1);
  return { b, y };
}

/** Problem D of bcd.md §4: label propagation on a lattice. */
export interface LatticeProblemData {
  /** Q = L_UU (the weighted graph Laplacian restricted to the unlabelled nodes). */
  Q: CsrMatrix;
  /** c = W_UL·y_L. */
  c: Float64Array;
  /** Lattice row and column of each unknown (for the lattice red-black and column-forest partitions). */
  gridRow: Int32Array;
  gridCol: Int32Array;
  /** The lattice node id of each unknown (column-major numbering, as the reference). */
  node: Int32Array;
}

export interface LatticeOptions {
  /** Lattice rows and columns (default 50 × 50). */
  rows?: number;
  cols?: number;
  /** Edge weight (default 1e5). */
  weight?: number;
  /** Number of labelled nodes (default 100), labels ~ 10·N(0, 1). */
  labelled?: number;
  seed?: number;
}

/**
 * The card's problem D: a rows×cols 4-neighbour lattice with edge weights `weight`, `labelled` nodes
 * chosen at random with labels 10·N(0,1), and min ½Σ_{ij} w_ij (x_i − x_j)² over the unlabelled
 * values written as ½xᵀQx − cᵀx with Q = L_UU, c = W_UL y_L (the reference's tree_datasets.py).
 */
export function latticeLabelPropagation(options: LatticeOptions = {}): LatticeProblemData {
  const fn = 'latticeLabelPropagation';
  const nr = options.rows ?? 50;
  const nc = options.cols ?? 50;
  assertInteger(nr, 'rows', 1, fn);
  assertInteger(nc, 'cols', 1, fn);
  const w = checkOption(options.weight ?? 1e5, 'weight', { min: 0, minExclusive: true }, fn);
  const total = nr * nc;
  const labelled = options.labelled ?? 100;
  assertInteger(labelled, 'labelled', 1, fn);
  if (labelled >= total) throw new OptkitError('INVALID_OPTION', `${fn}: labelled = ${labelled} must be below rows·cols = ${total}`, 'labelled');
  const rng = new Rng(options.seed ?? 1);
  const chosen = rng.choice(total, labelled);
  const label = new Float64Array(total);
  const isLabelled = new Uint8Array(total);
  for (let k = 0; k < labelled; k++) {
    isLabelled[chosen[k]] = 1;
    label[chosen[k]] = 10 * rng.normal();
  }
  const unknownIndex = new Int32Array(total).fill(-1);
  const nodes: number[] = [];
  for (let i = 0; i < total; i++) if (!isLabelled[i]) unknownIndex[i] = nodes.push(i) - 1;
  const n = nodes.length;
  const ri: number[] = [];
  const ci: number[] = [];
  const vv: number[] = [];
  const c = new Float64Array(n);
  const gridRow = new Int32Array(n);
  const gridCol = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    const i = nodes[u];
    const r = i % nr;
    const col = Math.floor(i / nr);
    gridRow[u] = r;
    gridCol[u] = col;
    const nbrs: number[] = [];
    if (r > 0) nbrs.push(i - 1);
    if (r < nr - 1) nbrs.push(i + 1);
    if (col > 0) nbrs.push(i - nr);
    if (col < nc - 1) nbrs.push(i + nr);
    ri.push(u);
    ci.push(u);
    vv.push(w * nbrs.length);
    for (const j of nbrs) {
      if (isLabelled[j]) c[u] += w * label[j];
      else {
        ri.push(u);
        ci.push(unknownIndex[j]);
        vv.push(-w);
      }
    }
  }
  return { Q: CsrMatrix.fromCoo(n, n, ri, ci, vv), c, gridRow, gridCol, node: Int32Array.from(nodes) };
}

/** Problem E of bcd.md §4: label propagation on a k-nearest-neighbour graph of the two-moons data. */
export interface GraphProblemData {
  /** Q = L_UU (graph Laplacian of the unit-weight kNN graph restricted to the unlabelled nodes). */
  Q: CsrMatrix;
  /** c = W_UL·y_L. */
  c: Float64Array;
  /** The data-point id of each unknown. */
  node: Int32Array;
  /** The 2-D points (x, y interleaved), for plotting. */
  points: Float64Array;
}

export interface TwoMoonsOptions {
  /** Number of points (default 2000). */
  points?: number;
  /** Neighbours per point (default 5); the graph joins i and j when either is among the other's nearest. */
  neighbours?: number;
  /** Labelled points (default 100), labels +1 / −1 by moon. */
  labelled?: number;
  /** Gaussian noise on the moons (default 0.1). */
  noise?: number;
  seed?: number;
}

/**
 * The card's problem E: `points` two-moons points (scikit-learn's make_moons shape plus N(0, noise²)),
 * a symmetric `neighbours`-NN graph with unit weights, `labelled` random points labelled ±1 by moon,
 * and min ½Σ w_ij (x_i − x_j)² over the unlabelled values as ½xᵀQx − cᵀx. A connected component of
 * the graph with no labelled point would make Q singular; its smallest-index point is labelled too
 * (documented deviation; the reference loads a fixed graph instead).
 */
export function twoMoonsLabelPropagation(options: TwoMoonsOptions = {}): GraphProblemData {
  const fn = 'twoMoonsLabelPropagation';
  const N = options.points ?? 2000;
  const k = options.neighbours ?? 5;
  const labelled = options.labelled ?? 100;
  assertInteger(N, 'points', 4, fn);
  assertInteger(k, 'neighbours', 1, fn);
  assertInteger(labelled, 'labelled', 1, fn);
  if (k >= N || labelled >= N) throw new OptkitError('INVALID_OPTION', `${fn}: neighbours and labelled must be below points`, k >= N ? 'neighbours' : 'labelled');
  const noise = checkOption(options.noise ?? 0.1, 'noise', { min: 0 }, fn);
  const rng = new Rng(options.seed ?? 1);
  const pts = new Float64Array(2 * N);
  const moon = new Int8Array(N);
  const half = Math.ceil(N / 2);
  for (let i = 0; i < N; i++) {
    const outer = i < half;
    const t = Math.PI * (outer ? i / Math.max(1, half - 1) : (i - half) / Math.max(1, N - half - 1));
    pts[2 * i] = (outer ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal();
    pts[2 * i + 1] = (outer ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal();
    moon[i] = outer ? 1 : -1;
  }
  // Symmetric kNN adjacency (brute force O(N²)).
  const adj: Set<number>[] = Array.from({ length: N }, () => new Set<number>());
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < N; i++) {
    bestD.fill(Infinity);
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      const dx = pts[2 * i] - pts[2 * j];
      const dy = pts[2 * i + 1] - pts[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (!(d < bestD[k - 1])) continue;
      let p = k - 1;
      while (p > 0 && d < bestD[p - 1]) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = d;
      bestI[p] = j;
    }
    for (let q = 0; q < k; q++) {
      adj[i].add(bestI[q]);
      adj[bestI[q]].add(i);
    }
  }
  const isLabelled = new Uint8Array(N);
  for (const i of rng.choice(N, labelled)) isLabelled[i] = 1;
  // Every connected component needs a labelled point for Q to be positive definite.
  const comp = new Int32Array(N).fill(-1);
  const stack: number[] = [];
  for (let s = 0; s < N; s++) {
    if (comp[s] >= 0) continue;
    let has = false;
    comp[s] = s;
    stack.push(s);
    const members: number[] = [];
    while (stack.length) {
      const v = stack.pop()!;
      members.push(v);
      if (isLabelled[v]) has = true;
      for (const u of adj[v]) if (comp[u] < 0) (comp[u] = s), stack.push(u);
    }
    if (!has) isLabelled[Math.min(...members)] = 1;
  }
  const unknownIndex = new Int32Array(N).fill(-1);
  const nodes: number[] = [];
  for (let i = 0; i < N; i++) if (!isLabelled[i]) unknownIndex[i] = nodes.push(i) - 1;
  const ri: number[] = [];
  const ci: number[] = [];
  const vv: number[] = [];
  const c = new Float64Array(nodes.length);
  nodes.forEach((i, u) => {
    ri.push(u);
    ci.push(u);
    vv.push(adj[i].size);
    for (const j of [...adj[i]].sort((a, b) => a - b)) {
      if (isLabelled[j]) c[u] += moon[j];
      else {
        ri.push(u);
        ci.push(unknownIndex[j]);
        vv.push(-1);
      }
    }
  });
  return { Q: CsrMatrix.fromCoo(nodes.length, nodes.length, ri, ci, vv), c, node: Int32Array.from(nodes), points: pts };
}
