import { describe, expect, it } from 'vitest';
import type { BenchContext } from '@optkit/core';
import { plugin } from '../plugin.js';
import { brokerBenchmark, makeBrokerBenchmark } from './broker.js';

const ctx = (): BenchContext => ({ quick: true, seed: 1, progress: () => {}, log: () => {} });

describe('cluster.broker benchmark', () => {
  it('is registered in the cluster plugin', () => {
    expect(brokerBenchmark.id).toBe('cluster.broker');
    expect(plugin.benchmarks.map((b) => b.id)).toContain('cluster.broker');
  });

  it('measures raw, broker, in-process broker, direct-payload and relay paths (tiny sizes)', async () => {
    const result = await makeBrokerBenchmark({ roundTrips: 40, bigTasks: 4, bigLength: 10_000, inFlight: 2, rounds: 1 }).run(ctx());
    expect(result.rows.map((r) => r.unit)).toEqual(['µs', 'µs', 'GB/s', 'µs', 'µs', 'GB/s', 'GB/s', 'µs', 'GB/s', 'µs', 'µs']);
    const [rtt, overhead, tput] = result.rows;
    expect(rtt.value).toBeGreaterThan(0);
    expect(rtt.reference!.value).toBeGreaterThan(0);
    expect(overhead.value).toBeCloseTo(rtt.value - rtt.reference!.value, 9);
    expect(tput.value).toBeGreaterThan(0);
    expect(tput.ratio).toBeCloseTo(tput.value / tput.reference!.value, 12);
    expect(typeof tput.pass).toBe('boolean');
    // CPU of every process of the path, and of the broker process alone, both measured.
    // The in-process broker's rows: the same shape, its own measurements.
    const [, , , localRtt, localOverhead, localTput] = result.rows;
    expect(localRtt.name).toContain('in-process broker');
    expect(localOverhead.value).toBeCloseTo(localRtt.value - localRtt.reference!.value, 9);
    expect(localRtt.reference!.value).toBe(rtt.reference!.value);
    expect(localTput.value).toBeGreaterThan(0);
    expect(localTput.reference!.value).toBe(tput.reference!.value);
    // Direct payloads: throughput only, against the same raw figure.
    const directTput = result.rows[6];
    expect(directTput.name).toContain('direct payloads');
    expect(directTput.value).toBeGreaterThan(0);
    expect(directTput.reference!.value).toBe(tput.reference!.value);
    const [, , , , , , , , , cpuAll, cpuBroker] = result.rows;
    expect(cpuAll.value).toBeGreaterThan(cpuBroker.value);
    expect(cpuBroker.value).toBeGreaterThan(0);
    expect(cpuBroker.reference!.value).toBeGreaterThan(0);
    expect(result.notes!.join(' ')).toContain('own process');
  }, 60_000);
});
