/**
 * The kioku model directory:
 *
 *   config.json            {format: 'kioku-model', formatVersion, kiokuVersion, architecture, task, …}
 *   model.safetensors      weights under PyTorch's names (Module.stateDict())
 *   training-state.json    optional: epoch, step, RNG and scheduler state … for resuming
 *   optimizer.safetensors  optional: optimizer buffers for resuming
 *
 * Saving is atomic for the directory as a whole (see atomic.ts): after a crash the directory
 * loads as the previous or the new model, never a mix.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Module } from '../nn/module.js';
import { KiokuError, StateDictError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { recoverDir, writeDirAtomic } from './atomic-node.js';
import { isJsonObject, parseJsonStrict, stringifyJsonStrict } from './json-strict.js';
import { parseSafetensors, serializeSafetensors, toStateDict } from './safetensors.js';
import { kiokuVersion } from './version.js';

/** A model directory that is missing, incomplete, or holds an invalid config or training state. */
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

/** What a model supplies when it is saved; the format fields are added by {@link saveModelDir}. */
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

/** State for resuming training: JSON progress plus optimizer tensors. */
export interface TrainingState {
  /** Epoch, step, RNG and scheduler state, data order … (JSON; NaN and Infinity are refused). */
  state: Record<string, unknown>;
  /** Optimizer buffers, saved to optimizer.safetensors. */
  tensors?: Record<string, Tensor>;
}

export interface SaveModelDirOptions {
  config: ModelConfigInput;
  stateDict: Record<string, Tensor>;
  trainingState?: TrainingState;
}

export interface LoadedModelDir {
  config: ModelConfig;
  /** Weights by PyTorch name: float dtypes as float32, integer dtypes as int32. */
  tensors: Record<string, Tensor>;
  trainingState?: TrainingState;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * Checks a parsed config.json. `source` (a path) starts every message, which names the field,
 * what it must be and what it is.
 */
export function validateModelConfig(value: unknown, source: string): ModelConfig {
  const fail = (message: string) => new ModelDirError(`${source}: ${message}`);
  if (!isJsonObject(value)) throw fail(`must hold a JSON object, got ${describe(value)}`);
  if (value.format !== MODEL_FORMAT) {
    throw fail(`field "format" must be "${MODEL_FORMAT}", got ${describe(value.format)}`);
  }
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
  return value as ModelConfig;
}

function checkTensorRecord(v: unknown, what: string): asserts v is Record<string, Tensor> {
  if (!isJsonObject(v)) throw new ValueError(`${what} must be an object of Tensors, got ${describe(v)}`);
  for (const [k, t] of Object.entries(v)) {
    if (!(t instanceof Tensor))
      throw new ValueError(`${what} entry "${k}" must be a Tensor, got ${describe(t)}`);
  }
}

/**
 * Saves a model directory: config.json (with the format marker, format version and kioku
 * version added), model.safetensors and, when given, the training state. An existing directory
 * is updated atomically; other files in it are kept, stale optional files removed.
 */
export async function saveModelDir(dir: string, options: SaveModelDirOptions): Promise<void> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`saveModelDir: dir must be a non-empty string, got ${describe(dir)}`);
  }
  if (!isJsonObject(options)) {
    throw new ValueError(
      `saveModelDir: options must be {config, stateDict, trainingState?}, got ${describe(options)}`,
    );
  }
  const { config, stateDict, trainingState } = options;
  if (!isJsonObject(config))
    throw new ValueError(`saveModelDir: config must be an object, got ${describe(config)}`);
  checkTensorRecord(stateDict, 'saveModelDir: stateDict');
  const full = validateModelConfig(
    { ...config, format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, kiokuVersion: kiokuVersion() },
    'saveModelDir: config',
  );
  const jsonFail = (m: string) => new ValueError(`saveModelDir: ${m}`);
  const files: Record<string, Uint8Array | string> = {
    [CONFIG_FILE]: `${stringifyJsonStrict(full, 'config', jsonFail)}\n`,
    [WEIGHTS_FILE]: serializeSafetensors(stateDict, { format: 'pt' }),
  };
  if (trainingState !== undefined) {
    if (!isJsonObject(trainingState) || !isJsonObject(trainingState.state)) {
      throw new ValueError(
        `saveModelDir: trainingState must be {state: object, tensors?}, got ${describe(trainingState)}`,
      );
    }
    files[TRAINING_STATE_FILE] =
      `${stringifyJsonStrict(trainingState.state, 'trainingState.state', jsonFail)}\n`;
    if (trainingState.tensors !== undefined) {
      checkTensorRecord(trainingState.tensors, 'saveModelDir: trainingState.tensors');
      files[OPTIMIZER_FILE] = serializeSafetensors(trainingState.tensors);
    }
  }
  const remove = [TRAINING_STATE_FILE, OPTIMIZER_FILE].filter((f) => !(f in files));
  await writeDirAtomic(dir, files, { remove });
}

/** Reads a file of the model directory; null when it is absent and `optional`. */
async function readPart(dir: string, name: string, optional: boolean): Promise<Buffer | null> {
  const path = join(dir, name);
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') {
      if (optional) return null;
      throw new ModelDirError(
        `loadModelDir: "${path}" is missing; "${dir}" is not a complete kioku model directory`,
      );
    }
    throw new ModelDirError(`loadModelDir: cannot read "${path}" (${(e as Error).message})`, { cause: e });
  }
}

function parseJsonFile(bytes: Uint8Array, path: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelDirError(`${path}: not valid UTF-8`);
  }
  return parseJsonStrict(text, (m) => new ModelDirError(`${path}: ${m}`));
}

/** Parses and validates the bytes of a config.json; `source` (its path) starts every error message. */
export function parseModelConfig(bytes: Uint8Array, source: string): ModelConfig {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`parseModelConfig: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  return validateModelConfig(parseJsonFile(bytes, source), source);
}

/**
 * Loads a model directory: the validated config, the weights as kioku tensors and, when
 * present, the training state. An update a crash interrupted is completed or undone first.
 */
export async function loadModelDir(dir: string): Promise<LoadedModelDir> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`loadModelDir: dir must be a non-empty string, got ${describe(dir)}`);
  }
  try {
    if (!(await stat(dir)).isDirectory())
      throw new ModelDirError(`loadModelDir: "${dir}" is not a directory`);
  } catch (e) {
    if (e instanceof ModelDirError) throw e;
    throw new ModelDirError(
      `loadModelDir: "${dir}" does not exist or cannot be read (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  await recoverDir(dir);
  const configPath = join(dir, CONFIG_FILE);
  const config = parseModelConfig((await readPart(dir, CONFIG_FILE, false))!, configPath);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const tensors = toStateDict(
    parseSafetensors((await readPart(dir, WEIGHTS_FILE, false))!, { source: weightsPath }),
  );

  const stateBytes = await readPart(dir, TRAINING_STATE_FILE, true);
  const optimizerBytes = await readPart(dir, OPTIMIZER_FILE, true);
  if (stateBytes === null) {
    if (optimizerBytes !== null) {
      throw new ModelDirError(
        `loadModelDir: "${join(dir, OPTIMIZER_FILE)}" is present without "${TRAINING_STATE_FILE}"`,
      );
    }
    return { config, tensors };
  }
  const statePath = join(dir, TRAINING_STATE_FILE);
  const state = parseJsonFile(stateBytes, statePath);
  if (!isJsonObject(state))
    throw new ModelDirError(`${statePath}: must hold a JSON object, got ${describe(state)}`);
  const trainingState: TrainingState = { state };
  if (optimizerBytes !== null) {
    trainingState.tensors = toStateDict(
      parseSafetensors(optimizerBytes, { source: join(dir, OPTIMIZER_FILE) }),
    );
  }
  return { config, tensors, trainingState };
}

/**
 * Copies `tensors` into `module`'s parameters after checking that every parameter has a
 * float tensor of its exact shape and that no tensor is left over. Errors are StateDictError
 * naming each wrong tensor; `source` (e.g. the weights file) starts the message.
 */
export function loadWeightsInto(module: Module, tensors: Record<string, Tensor>, source = 'weights'): void {
  if (!(module instanceof Module))
    throw new ValueError(`loadWeightsInto: module must be a Module, got ${describe(module)}`);
  checkTensorRecord(tensors, 'loadWeightsInto: tensors');
  const notFloat = module
    .namedParameters()
    .filter(([name]) => Object.hasOwn(tensors, name) && tensors[name]!.dtype !== 'float32')
    .map(([name]) => `${name} is ${tensors[name]!.dtype} ${formatShape(tensors[name]!.shape)}`);
  if (notFloat.length) {
    throw new StateDictError(`${source}: weights must be floating point: ${notFloat.join('; ')}`);
  }
  try {
    module.loadStateDict(tensors, { strict: true });
  } catch (e) {
    if (e instanceof StateDictError) throw new StateDictError(`${source}: ${e.message}`);
    throw e;
  }
}
