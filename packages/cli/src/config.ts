/**
 * The `optkit run` configuration file and loading the data it names.
 *
 * ```json
 * { "data": { "A": "poisson.mtx", "train": {"path": "a9a.txt", "format": "libsvm"} },
 *   "options": { "tol": 1e-8 } }
 * ```
 *
 * Relative data paths are resolved against the folder of the configuration file, so a config and its
 * data can be moved together. The format is inferred from the extension when not given: `.mtx` →
 * Matrix Market, `.svm` `.libsvm` `.txt` → LIBSVM, `.csv` → numeric CSV, `.json` → JSON; a trailing
 * `.gz` is looked through (the file is decompressed).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OptkitError, readLibsvmFile, readMatrixMarketFile, readNumericCsvFile, type DataKind, type LoadedData } from '@optkit/core';

export const DATA_FORMATS: readonly DataKind[] = ['mtx', 'libsvm', 'csv', 'json'];

const EXTENSIONS: Record<string, DataKind> = {
  mtx: 'mtx',
  svm: 'libsvm',
  libsvm: 'libsvm',
  txt: 'libsvm',
  csv: 'csv',
  json: 'json',
};

export interface DataSpec {
  /** Absolute path. */
  path: string;
  format: DataKind;
}

export interface RunConfig {
  data: Record<string, DataSpec>;
  options: Record<string, unknown>;
}

const configError = (message: string, argument: string) => new OptkitError('INVALID_ARGUMENT', `config: ${message}`, argument);

/** The data format implied by a file name's extension (looking through `.gz`), or undefined. */
export function inferFormat(path: string): DataKind | undefined {
  let name = basename(path).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return EXTENSIONS[name.slice(dot + 1)];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a parsed configuration and resolves its data paths against `baseDir`. Throws
 * INVALID_ARGUMENT with a message naming the offending key.
 */
export function parseRunConfig(raw: unknown, baseDir: string): RunConfig {
  if (!isPlainObject(raw)) throw configError(`expected a JSON object with "data" and "options", got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`, 'config');
  for (const key of Object.keys(raw)) {
    if (key !== 'data' && key !== 'options') throw configError(`unknown key ${JSON.stringify(key)} (allowed: "data", "options")`, key);
  }
  const options = raw.options ?? {};
  if (!isPlainObject(options)) throw configError('"options" must be an object', 'options');
  const dataIn = raw.data ?? {};
  if (!isPlainObject(dataIn)) throw configError('"data" must be an object mapping names to file paths', 'data');
  const data: Record<string, DataSpec> = {};
  for (const [name, value] of Object.entries(dataIn)) {
    const where = `data.${name}`;
    let path: unknown;
    let format: unknown;
    if (typeof value === 'string') {
      path = value;
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        if (key !== 'path' && key !== 'format') throw configError(`${where}: unknown key ${JSON.stringify(key)} (allowed: "path", "format")`, where);
      }
      path = value.path;
      format = value.format;
    } else {
      throw configError(`${where} must be a file path or {"path": ..., "format": ...}`, where);
    }
    if (typeof path !== 'string' || path.length === 0) throw configError(`${where}.path must be a non-empty string`, `${where}.path`);
    if (format !== undefined && (typeof format !== 'string' || !DATA_FORMATS.includes(format as DataKind))) {
      throw configError(`${where}.format is ${JSON.stringify(format)}; expected one of ${DATA_FORMATS.map((f) => `"${f}"`).join(', ')}`, `${where}.format`);
    }
    const resolved = resolve(baseDir, path);
    const kind = (format as DataKind | undefined) ?? inferFormat(resolved);
    if (!kind) {
      throw configError(
        `${where}: cannot infer the format of ${JSON.stringify(path)} from its extension; give {"path": ..., "format": ${DATA_FORMATS.map((f) => `"${f}"`).join('|')}}`,
        where,
      );
    }
    data[name] = { path: resolved, format: kind };
  }
  return { data, options };
}

/** Reads and validates a configuration file. NOT_FOUND when it cannot be read, PARSE_ERROR for bad JSON. */
export async function readRunConfig(file: string): Promise<RunConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OptkitError('NOT_FOUND', `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'config');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OptkitError('PARSE_ERROR', `config ${file} is not valid JSON: ${(err as Error).message}`, 'config');
  }
  return parseRunConfig(raw, dirname(path));
}

/**
 * Loads one data file with core's readers: Matrix Market → the matrix (CsrMatrix for coordinate
 * files, DenseMatrix for array files), LIBSVM → `{labels, features}`, CSV → DenseMatrix (its header,
 * if any, is dropped), JSON → the parsed value. NOT_FOUND for a missing file; the readers' own
 * PARSE_ERRORs are passed on with the data name prefixed.
 */
export async function loadData(name: string, spec: DataSpec): Promise<LoadedData> {
  if (!existsSync(spec.path) || !statSync(spec.path).isFile()) {
    throw new OptkitError('NOT_FOUND', `data.${name}: file ${spec.path} does not exist`, `data.${name}`);
  }
  try {
    switch (spec.format) {
      case 'mtx':
        return { kind: 'mtx', path: spec.path, value: readMatrixMarketFile(spec.path).matrix };
      case 'libsvm': {
        const { labels, features } = await readLibsvmFile(spec.path);
        return { kind: 'libsvm', path: spec.path, value: { labels, features } };
      }
      case 'csv':
        return { kind: 'csv', path: spec.path, value: (await readNumericCsvFile(spec.path)).matrix };
      case 'json': {
        const bytes = await readFile(spec.path);
        const text = (spec.path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
        try {
          return { kind: 'json', path: spec.path, value: JSON.parse(text) };
        } catch (err) {
          throw new OptkitError('PARSE_ERROR', `${spec.path} is not valid JSON: ${(err as Error).message}`, `data.${name}`);
        }
      }
    }
  } catch (err) {
    if (err instanceof OptkitError) throw new OptkitError(err.code, `data.${name}: ${err.message}`, `data.${name}`, { cause: err });
    throw new OptkitError('PARSE_ERROR', `data.${name}: cannot read ${spec.path}: ${(err as Error).message}`, `data.${name}`, { cause: err });
  }
}

/** Loads every data entry of a configuration, in order. */
export async function loadAllData(config: RunConfig): Promise<Record<string, LoadedData>> {
  const out: Record<string, LoadedData> = {};
  for (const [name, spec] of Object.entries(config.data)) out[name] = await loadData(name, spec);
  return out;
}
