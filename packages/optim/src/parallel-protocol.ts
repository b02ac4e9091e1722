/**
 * The shared-memory protocol between {@link ParallelOptimizer} (src/parallel-step.ts) and its worker
 * threads (src/parallel-step-worker.ts): the slots of the control Int32Array, the commands, the
 * layout of the per-step hyperparameters, and what each worker receives as `workerData`. Internal:
 * not exported from the package index.
 *
 * One step: the main thread writes the hyperparameters, stores PENDING = threads and the command,
 * increments GEN and notifies GEN; each worker, parked in Atomics.wait on GEN, runs the command on its
 * slice, decrements PENDING, and the last one notifies PENDING, on which the main thread waits. The
 * Atomics operations order the plain writes to the shared arrays around them (the memory model's
 * synchronizes-with), so no data moves by message after start-up.
 */
import type { SharedWasmMemory } from './parallel-simd.js';

/** Slots of the control Int32Array. */
export const CONTROL = {
  /** Generation: incremented by the main thread for every command. */
  gen: 0,
  /** The current command (see COMMAND). */
  cmd: 1,
  /** Workers that have not finished the current command. */
  pending: 2,
  /** 0, or 1 + the index of a worker whose command threw (its message is in the error bytes). */
  error: 3,
  /** Length of the control array. */
  length: 4,
} as const;

export const COMMAND = {
  /** Lion / AdamW: the whole step. LAMB: pass 1 (moments, update direction, partial sums of squares). */
  step: 1,
  /** LAMB pass 2: θ ← θ − lr·ρ·u with the trust ratios in the ratios array. */
  apply: 2,
  /** Leave the loop; the thread ends. */
  exit: 3,
} as const;

/** Slots of the Float64Array of per-step hyperparameters. */
export const HYPER = {
  lr: 0,
  beta1: 1,
  beta2: 2,
  eps: 3,
  weightDecay: 4,
  /** 1-based step t (bias corrections). */
  step: 5,
  length: 6,
} as const;

/** Bytes for a worker's error message (UTF-8, truncated). */
export const ERROR_BYTES = 1024;

export type ParallelKind = 'lion' | 'adamw' | 'lamb';

/** One contiguous run of a worker's slice inside one tensor (flat element indices). */
export interface Segment {
  tensor: number;
  start: number;
  end: number;
}

/** What each worker thread receives. */
export interface ParallelWorkerData {
  kind: ParallelKind;
  f32: boolean;
  /** This worker's index in [0, threads). */
  index: number;
  /** Number of tensors (for the partial-sum layout). */
  tensors: number;
  control: SharedArrayBuffer;
  hyper: SharedArrayBuffer;
  /** LAMB: Float64Array [worker][tensor][Σu², Σθ²]. */
  partials: SharedArrayBuffer;
  /** LAMB: Float64Array [tensor] of trust ratios for pass 2. */
  ratios: SharedArrayBuffer;
  errorText: SharedArrayBuffer;
  theta: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  m: SharedArrayBuffer;
  /**
   * Element offsets of the θ, g, m, v and u regions in their buffers: all 0 with one buffer per role;
   * with the SIMD kernels, θ, g, m, v and u are regions of one shared WebAssembly.Memory (`memory`).
   */
  bases: { theta: number; grad: number; m: number; v: number; u: number };
  /** The shared WebAssembly.Memory the SIMD kernels run on (float32 Lion, AdamW and LAMB), or null for the JS kernels. */
  memory: SharedWasmMemory | null;
  /** AdamW, LAMB: the second moment; null for Lion. */
  v: SharedArrayBuffer | null;
  /** LAMB: the update buffer; null otherwise. */
  u: SharedArrayBuffer | null;
  /** This worker's segments, in increasing flat order. */
  segments: Segment[];
  /** Per tensor: whether weight decay applies. */
  decayed: boolean[];
  /** LAMB: Adam's bias corrections. */
  biasCorrection: boolean;
}
