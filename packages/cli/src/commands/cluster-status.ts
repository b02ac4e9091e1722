/**
 * `optkit cluster status` (the broker's `optkit.status`: workers, services, queue depth, tasks
 * re-queued) and `optkit cluster keygen` (a CURVE key pair in CZMQ certificate files).
 */
import { ClusterClient, writeKeyPair, type BrokerStats, type CurveKeys } from '@optkit/cluster';
import { textTable } from '../format.js';
import { out } from './shared.js';

/** Asks the broker at `connect` for its statistics (TIMEOUT after `timeoutMs` without an answer). */
export async function fetchStatus(connect: string, options: { timeoutMs?: number; curve?: CurveKeys } = {}): Promise<BrokerStats> {
  const client = new ClusterClient({ connect, retries: 0, ...(options.curve ? { curve: options.curve } : {}) });
  try {
    return (await client.status({ timeoutMs: options.timeoutMs ?? 3000 })) as unknown as BrokerStats;
  } finally {
    client.close();
  }
}

const n = (v: unknown): string => (typeof v === 'number' ? String(v) : '-');

const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 'es'}`;

/**
 * The status as text: a summary block and a per-service table. Workers are reported both ways: MDP
 * connections (an optkit worker process holds one per service and pool thread) and distinct worker
 * processes (absent from brokers that predate the count; then only connections are shown).
 */
export function formatStatus(s: BrokerStats): string {
  const lines = [
    `broker     ${(s.endpoints ?? []).join(', ') || '-'}  up ${Math.round((s.uptimeMs ?? 0) / 1000)} s`,
    `workers    ${n(s.workers)} connections (${n(s.idleWorkers)} idle)${typeof s.processes === 'number' ? ` from ${plural(s.processes, 'process')}` : ''}`,
    `queue      ${n(s.queueDepth)} waiting, ${n(s.inFlight)} in flight`,
    `tasks      ${n(s.requests)} requests, ${n(s.replies)} replies, ${n(s.errors)} errors, ${n(s.requeued)} re-queued, ${n(s.failedTasks)} failed after retries`,
    `dropped    ${n(s.malformed)} malformed, ${n(s.oversize)} oversize, ${n(s.badVersion)} bad version, ${n(s.duplicateReplies)} duplicate replies`,
    `security   ${n(s.refusedAuth)} refused keys, ${n(s.handshakeFailures)} failed handshakes`,
  ];
  const services = s.services ?? [];
  if (services.length) {
    lines.push('');
    lines.push(
      textTable(
        ['service', 'connections', 'idle', 'queued', 'in flight', 'processes'],
        services.map((x) => [x.name, n(x.workers), n(x.idle), n(x.queued), n(x.inFlight), n(x.processes)]),
        ['left', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  } else {
    lines.push('', 'no services registered (no worker connected)');
  }
  return lines.join('\n');
}

export async function statusCommand(opts: { connect: string; json?: boolean; timeoutMs?: number; curve?: CurveKeys }): Promise<number> {
  const s = await fetchStatus(opts.connect, { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.curve ? { curve: opts.curve } : {}) });
  out(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
  return 0;
}

export function keygenCommand(opts: { out: string; name: string }): number {
  const k = writeKeyPair(opts.out, opts.name);
  out(`public key   ${k.publicKey}`);
  out(`public file  ${k.publicFile}   (give to the broker's --allow folder, or to clients as --server-key)`);
  out(`secret file  ${k.secretFile}   (keep private; mode 0600)`);
  return 0;
}
