/**
 * The coordinator loop of an iterative distributed job: build the round's requests from the state,
 * send them through a {@link JobExecutor} (`map`), fold the replies into a new state, repeat until
 * done. This is the shape of distributed block-coordinate descent (send x, gather block gradients,
 * update blocks) and of MoE load balancing (send biases, gather expert counts, update biases).
 *
 * The loop itself is deterministic: requests go out in the order `round` returns them and replies come
 * back in that order whatever worker ran them, so a `gather` that reduces in request order gives the
 * same result on one process and on many.
 *
 * It needs nothing but a {@link JobExecutor}, so it lives in core beside jobs.ts: a plugin's driver can
 * use it without depending on @optkit/cluster (and zeromq). @optkit/cluster re-exports it.
 */
import { OptkitError, checkOption, throwIfAborted } from './errors.js';
import type { JobExecutor, JobReply, JobRequest, MapOptions } from './jobs.js';
import type { DriverProgress } from './registry.js';

/** One round's work: requests for one service. */
export interface RoundRequests {
  service: string;
  requests: JobRequest[];
}

export interface CoordinateOptions<S> {
  /** Where the requests run (cluster client, or core's localExecutor). */
  executor: JobExecutor;
  /** The initial state (or a function making it). */
  init: S | (() => S | Promise<S>);
  /** The requests of round `iteration` (0-based) for `state`. */
  round: (state: S, iteration: number) => RoundRequests | Promise<RoundRequests>;
  /** The next state from `state` and the round's replies (in request order). */
  gather: (state: S, replies: JobReply[], iteration: number) => S | Promise<S>;
  /** Stop when this returns true for the state after a round (default: never; `maxRounds` stops). */
  done?: (state: S, iteration: number) => boolean;
  /** Most rounds (default 100). */
  maxRounds?: number;
  /** Figures for the progress report of a state, e.g. `{objective}` (default none). */
  figures?: (state: S, iteration: number) => Record<string, number>;
  /** Called after every round with the iteration (1-based count of rounds done) and the figures. */
  onProgress?: (progress: DriverProgress) => void;
  signal?: AbortSignal;
  /** Passed to `executor.map` each round (most requests in flight; default: the executor's). */
  concurrency?: number;
  /** Passed to `executor.map` each round (per-request deadline in ms; default: the executor's). */
  timeoutMs?: number;
  /** Passed to `executor.map` each round for executors that resend (the cluster client); others ignore it. */
  retries?: number;
}

export interface CoordinateResult<S> {
  state: S;
  /** Rounds run. */
  rounds: number;
  /** Why the loop ended. */
  reason: 'done' | 'maxRounds';
}

/**
 * Runs the loop: `state = init`; for `i = 0 .. maxRounds-1`: `{service, requests} = round(state, i)`,
 * `replies = executor.map(service, requests)`, `state = gather(state, replies, i)`, report progress,
 * stop if `done(state, i)`. A round with no requests skips the executor. Errors of the executor (a
 * task that failed after its retries) and of the callbacks propagate; an aborted `signal` rejects
 * with ABORTED between rounds and cancels the round in flight.
 */
export async function coordinate<S>(options: CoordinateOptions<S>): Promise<CoordinateResult<S>> {
  const fn = 'coordinate';
  if (!options || typeof options.executor?.map !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: executor must be a JobExecutor`, 'executor');
  if (typeof options.round !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: round must be a function`, 'round');
  if (typeof options.gather !== 'function') throw new OptkitError('INVALID_ARGUMENT', `${fn}: gather must be a function`, 'gather');
  const maxRounds = checkOption(options.maxRounds ?? 100, 'maxRounds', { min: 0, integer: true }, fn);
  const { executor, signal } = options;
  let state = typeof options.init === 'function' ? await (options.init as () => S | Promise<S>)() : options.init;
  for (let i = 0; i < maxRounds; i++) {
    throwIfAborted(signal, fn);
    const { service, requests } = await options.round(state, i);
    if (!Array.isArray(requests)) throw new OptkitError('INVALID_ARGUMENT', `${fn}: round ${i} returned no requests array`, 'round');
    const replies =
      requests.length === 0
        ? []
        : await executor.map(service, requests, {
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            ...(options.retries !== undefined ? { retries: options.retries } : {}),
            ...(signal ? { signal } : {}),
          } as MapOptions);
    if (replies.length !== requests.length) {
      throw new OptkitError('PROTOCOL', `${fn}: round ${i} sent ${requests.length} requests and got ${replies.length} replies`, 'executor');
    }
    state = await options.gather(state, replies, i);
    options.onProgress?.({ iteration: i + 1, total: maxRounds, values: options.figures?.(state, i) ?? {} });
    if (options.done?.(state, i)) return { state, rounds: i + 1, reason: 'done' };
  }
  return { state, rounds: maxRounds, reason: 'maxRounds' };
}
