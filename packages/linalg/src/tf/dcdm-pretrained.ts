/**
 * The trained DCDM network shipped with the package (models/ at the package root), so users need not
 * train: `dcdm-poisson16`, trained by tools/train-dcdm.ts on the 16×16 Dirichlet Poisson matrix (core
 * `poisson2d(16)`) with the card's 2-D recipe (deep-conjugate-direction.md, section 4).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OptkitError, checkChoice, type OperatorLike } from '@optkit/core';
import { useBestBackend, type Tf } from '@optkit/core/tf';
import { dcdm, type DcdmOptions, type DcdmResult, type DirectionModel } from '../dcdm.js';
import { DcdmNet, asDirectionModel, type DcdmNetJson } from './dcdm-net.js';

/** The shipped models. */
export const PRETRAINED_DCDM_MODELS = ['dcdm-poisson16'] as const;
export type PretrainedDcdmName = (typeof PRETRAINED_DCDM_MODELS)[number];

export interface PretrainedDcdm {
  net: DcdmNet;
  /** The network as a `dcdm` direction model (grid [16, 16]: residuals of length 256). */
  model: DirectionModel;
  /** Grid size [nx, ny] the network was trained for. */
  shape: [number, number];
  /** Training recipe, loss history, final and held-out loss, as written by tools/train-dcdm.ts. */
  metadata: Record<string, unknown>;
  /** The tfjs namespace the weights live in. */
  tf: Tf;
}

/**
 * The path of a shipped model's JSON file. This module sits at src/tf/ (sources) or dist/tf/ (build),
 * two levels below the package root in both, so the same relative URL finds models/ from either.
 */
export function pretrainedDcdmPath(name: PretrainedDcdmName = 'dcdm-poisson16'): string {
  checkChoice(name, PRETRAINED_DCDM_MODELS, 'name', 'pretrainedDcdmPath');
  return fileURLToPath(new URL(`../../models/${name}/model.json`, import.meta.url));
}

/**
 * Loads a shipped DCDM network (default `dcdm-poisson16`) on the best tfjs backend (wasm here;
 * `useBestBackend` from @optkit/core/tf) unless `tf` is given. NOT_FOUND when the model file is
 * missing (e.g. a package install without models/), INVALID_ARGUMENT when it is malformed.
 */
export async function loadPretrainedDcdm(options: { name?: PretrainedDcdmName; tf?: Tf } = {}): Promise<PretrainedDcdm> {
  const path = pretrainedDcdmPath(options.name ?? 'dcdm-poisson16');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OptkitError('NOT_FOUND', `loadPretrainedDcdm: cannot read ${path}`, 'name', { cause: err });
  }
  let json: DcdmNetJson;
  try {
    json = JSON.parse(text) as DcdmNetJson;
  } catch (err) {
    throw new OptkitError('INVALID_ARGUMENT', `loadPretrainedDcdm: ${path} is not valid JSON`, 'name', { cause: err });
  }
  const tf = options.tf ?? (await useBestBackend()).tf;
  const net = DcdmNet.fromJSON(json, tf);
  return { net, model: asDirectionModel(net), shape: [...net.config.shape] as [number, number], metadata: json.metadata ?? {}, tf };
}

let shipped: Promise<PretrainedDcdm> | undefined;

export interface DeepConjugateDirectionOptions extends DcdmOptions {
  /** Direction model (default: the shipped `dcdm-poisson16` network, loaded once per process). */
  model?: DirectionModel;
}

/**
 * Solves A x = b (symmetric positive definite) with {@link dcdm} and, unless `options.model` is given,
 * the shipped network — which is trained for the 16×16 Dirichlet Poisson grid, so A must have 256
 * unknowns (SHAPE_MISMATCH otherwise). Defaults are dcdm's: rtol 1e-4 (relative to ‖b‖), maxIter 100,
 * i_s = 2, true residual. The network only proposes directions; the float64 loop reaches any tolerance.
 */
export async function deepConjugateDirection(A: OperatorLike, b: Float64Array, options: DeepConjugateDirectionOptions = {}): Promise<DcdmResult> {
  const { model, ...rest } = options;
  if (model !== undefined) return dcdm(A, b, model, rest);
  if (!shipped) {
    shipped = loadPretrainedDcdm();
    shipped.catch(() => (shipped = undefined));
  }
  return dcdm(A, b, (await shipped).model, rest);
}
