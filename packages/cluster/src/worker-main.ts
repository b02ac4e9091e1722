/**
 * Process entry of a cluster worker started by {@link spawnWorkerProcess} (local clusters, tests):
 * `node worker-main.js '<WorkerOptions as JSON>'`. Logs go to stderr; the process closes its worker
 * and exits 0 on SIGTERM or SIGINT, and, with `OPTKIT_EXIT_WITH_PARENT=1`, when its stdin closes (the
 * parent died), so no worker outlives the program that started it. A start-up error exits 2 with the
 * error on stderr.
 */
import { startWorker, type ClusterWorker, type WorkerOptions } from './worker.js';

async function main(): Promise<void> {
  let options: WorkerOptions;
  try {
    options = JSON.parse(process.argv[2] ?? '') as WorkerOptions;
  } catch {
    process.stderr.write('optkit worker: usage: worker-main <WorkerOptions JSON>\n');
    process.exit(2);
  }
  let worker: ClusterWorker | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await worker?.close();
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  if (process.env.OPTKIT_EXIT_WITH_PARENT === '1') {
    process.stdin.on('end', () => void stop(0));
    process.stdin.on('error', () => void stop(0));
    process.stdin.resume();
  }
  try {
    worker = await startWorker(options);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`optkit worker: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    process.exit(2);
  }
}

void main();
