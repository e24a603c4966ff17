/**
 * config.json of a kioku model directory: its schema and validation, on plain values and bytes
 * (no file access, so a browser validates exactly as Node does).
 *
 *   {format: 'kioku-model', formatVersion, kiokuVersion, architecture: {type, …}, task, labels?, vocab?, scaler?, …}
 */
import { KiokuError, ValueError } from '../tensor/errors.js';
import { isJsonObject, parseJsonStrict } from './json-strict.js';
import { checkConfigConsistency, headSettings } from './model-architecture.js';
import { kiokuVersion } from './version.js';

/** A model directory that is missing, incomplete, or holds an invalid config, weights or training state. */
export class ModelDirError extends KiokuError {
  override name = 'ModelDirError';
}

export const MODEL_FORMAT = 'kioku-model';
/** The newest model directory layout this kioku writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const TRAINING_STATE_FILE = 'training-state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** The model's constructor arguments; `type` names the class a factory builds. */
export interface ArchitectureConfig {
  type: string;
  [key: string]: unknown;
}

/** What a model supplies when it is saved; the format fields are added on saving. */
export interface ModelConfigInput {
  architecture: ArchitectureConfig;
  /** e.g. 'classification' or 'forecasting'. */
  task: string;
  vocab?: unknown;
  scaler?: unknown;
  labels?: string[];
  [key: string]: unknown;
}

/** The content of config.json. */
export interface ModelConfig extends ModelConfigInput {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  kiokuVersion: string;
}

/** A short description of a value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function checkVersion(value: Record<string, unknown>, fail: (m: string) => Error): void {
  const version = value.formatVersion;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    throw fail(`field "formatVersion" must be a positive integer, got ${describe(version)}`);
  }
  if ((version as number) > MODEL_FORMAT_VERSION) {
    throw fail(
      `field "formatVersion" is ${version} (written by kioku ${describe(value.kiokuVersion)}); this kioku ` +
        `(${kiokuVersion()}) reads up to version ${MODEL_FORMAT_VERSION}, so upgrade kioku to load it`,
    );
  }
  if (typeof value.kiokuVersion !== 'string' || value.kiokuVersion === '') {
    throw fail(`field "kiokuVersion" must be a non-empty string, got ${describe(value.kiokuVersion)}`);
  }
}

/**
 * Checks a parsed config.json: the format fields, the architecture (for kioku's own heads, every
 * size within limits) and the fields that must agree with it (labels and numClasses, vocabulary
 * and vocabSize, a forecaster's columns and scaler). `source` (a path) starts every message,
 * which names the field, what it must be and what it is.
 */
export function validateModelConfig(value: unknown, source: string): ModelConfig {
  const fail = (message: string) => new ModelDirError(`${source}: ${message}`);
  if (!isJsonObject(value)) throw fail(`must hold a JSON object, got ${describe(value)}`);
  if (value.format !== MODEL_FORMAT) {
    throw fail(`field "format" must be "${MODEL_FORMAT}", got ${describe(value.format)}`);
  }
  checkVersion(value, fail);
  const arch = value.architecture;
  if (!isJsonObject(arch)) throw fail(`field "architecture" must be an object, got ${describe(arch)}`);
  if (typeof arch.type !== 'string' || arch.type === '') {
    throw fail(`field "architecture.type" must be a non-empty string, got ${describe(arch.type)}`);
  }
  if (typeof value.task !== 'string' || value.task === '') {
    throw fail(`field "task" must be a non-empty string, got ${describe(value.task)}`);
  }
  if (value.labels !== undefined) {
    const labels = value.labels;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
      throw fail(`field "labels" must be a list of strings, got ${describe(labels)}`);
    }
  }
  const settings = headSettings(arch, fail);
  if (settings) checkConfigConsistency(value, settings, fail);
  return value as ModelConfig;
}

/** The JSON value in `bytes` (UTF-8, no duplicate keys); errors start with `path`. */
export function parseJsonBytes(bytes: Uint8Array, path: string, advice = ''): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelDirError(`${path}: not valid UTF-8${advice}`);
  }
  return parseJsonStrict(text, (m) => new ModelDirError(`${path}: ${m}${advice}`));
}

/** Parses and validates the bytes of a config.json; `source` (its path) starts every error message. */
export function parseModelConfig(bytes: Uint8Array, source: string): ModelConfig {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`parseModelConfig: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  return validateModelConfig(parseJsonBytes(bytes, source), source);
}
