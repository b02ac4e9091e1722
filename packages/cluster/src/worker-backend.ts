/**
 * The `--backend` choice of a cluster worker: brings up a TensorFlow.js backend through
 * `@optkit/core/tf` once per worker process and says, in one line, which backend is in use and why
 * the preferred one was skipped (e.g. `tfjs-node-gpu` not installed → falling back to `wasm`).
 *
 * tfjs is loaded only when a backend is asked for: jobs of the float64 methods (BCD, MoE balancing)
 * never touch it, and loading it costs about half a second of start-up.
 */
import { checkChoice } from '@optkit/core';
import { BACKENDS, type WorkerBackend } from './config.js';

/** The outcome of {@link selectWorkerBackend}. */
export interface WorkerBackendChoice {
  /** The preference asked for. */
  prefer: WorkerBackend;
  /** The backend in use (`tfjs-node-gpu`, `tfjs-node`, `wasm` or `cpu`). */
  backend: string;
  /** True when `prefer` named a backend that could not be used. */
  fellBack: boolean;
  /** The line the worker logs. */
  message: string;
}

/**
 * Selects the tfjs backend for `prefer` and describes the choice. With a named backend that is not
 * available the message reads `backend tfjs-node-gpu unavailable (<reason>); falling back to wasm`.
 * Sets `OPTKIT_TF_BACKEND` in this process's environment, so pool threads created afterwards (which
 * copy the environment) can bring up the same backend with `useBestBackend({prefer})`.
 */
export async function selectWorkerBackend(prefer: WorkerBackend): Promise<WorkerBackendChoice> {
  checkChoice(prefer, BACKENDS, 'backend', 'selectWorkerBackend');
  const { useBestBackend } = await import('@optkit/core/tf');
  const choice = await useBestBackend({ prefer });
  process.env.OPTKIT_TF_BACKEND = choice.backend;
  let message: string;
  if (choice.fellBack) {
    const why = choice.tried.find((t) => t.name === prefer)?.reason ?? 'unavailable';
    message = `backend ${prefer} unavailable (${why}); falling back to ${choice.backend}`;
  } else {
    const skipped = choice.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
    message = `backend ${choice.backend}${prefer === 'auto' ? ' (auto)' : ''}${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`;
  }
  return { prefer, backend: choice.backend, fellBack: choice.fellBack, message };
}
