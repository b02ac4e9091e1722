/**
 * Probe jobs of the cluster's benchmarks, as a plugin of their own (`plugin` below) that worker
 * processes load by path. They are not part of the `@optkit/cluster` plugin: that one imports zeromq
 * (for its benchmarks), and pool threads must not load zeromq.
 *
 * - `cluster.echo`: replies with the request's header and frames unchanged (round-trip cost).
 * - `cluster.spin`: `header.n` dependent multiply-adds of scalar work (default 10⁷, about 10–20 ms
 *   here) and the result; a CPU-bound task with no memory traffic, for speedup measurements.
 */
import { checkOption, definePlugin, type JobEntry } from '@optkit/core';

export const echoJob: JobEntry = {
  id: 'cluster.echo',
  summary: 'replies with the request header and frames (round-trip probe)',
  handler: (header, frames) => ({ header, frames }),
};

/** `n` steps of a recurrence the compiler cannot shorten; returns its final value. */
export function spin(n: number): number {
  let acc = 0;
  let v = 1.000000001;
  for (let i = 0; i < n; i++) {
    acc = acc * 0.999999 + v;
    v *= 1.0000001;
    if (v > 2) v = 1.000000001;
  }
  return acc;
}

export const spinJob: JobEntry = {
  id: 'cluster.spin',
  summary: 'CPU-bound probe: header.n multiply-adds (default 1e7)',
  handler: (header) => {
    const n = checkOption(typeof header.n === 'number' ? header.n : 1e7, 'n', { min: 0, max: 1e10, integer: true }, 'cluster.spin');
    return { header: { value: spin(n) } };
  },
};

/** The probe jobs as a plugin (loaded by path by the benchmark's worker processes). */
export const plugin = definePlugin({ name: 'cluster-probes', jobs: [echoJob, spinJob] });
