/**
 * The kioku model directory as files, a map of file name → bytes, in ({@link modelFromFiles})
 * and out ({@link modelToFiles}). Every check a loader makes lives here, without file access:
 * Node reads the map from disk (model-dir-node.ts), a browser from a FileList, fetch or
 * IndexedDB, and both get the same validation.
 *
 *   config.json            {format: 'kioku-model', formatVersion, kiokuVersion, architecture, task, …}
 *   model.safetensors      weights under PyTorch's names (Module.stateDict())
 *   training-state.json    optional: epoch, step, RNG and scheduler state … for resuming
 *   optimizer.safetensors  optional: optimizer buffers for resuming
 */
import { Module } from '../nn/module.js';
import { StateDictError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { isJsonObject, stringifyJsonStrict } from './json-strict.js';
import { checkWeightShapes, headSettings } from './model-architecture.js';
import {
  CONFIG_FILE,
  describe,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelConfig,
  type ModelConfigInput,
  ModelDirError,
  OPTIMIZER_FILE,
  parseJsonBytes,
  parseModelConfig,
  TRAINING_STATE_FILE,
  validateModelConfig,
  WEIGHTS_FILE,
} from './model-config.js';
import { parseSafetensors, SafetensorsError, serializeSafetensors, toStateDict } from './safetensors.js';
import { kiokuVersion } from './version.js';

/** The files of a model directory kioku reads and writes, in that order. */
export const MODEL_FILES = [CONFIG_FILE, WEIGHTS_FILE, TRAINING_STATE_FILE, OPTIMIZER_FILE] as const;

/** A model directory's files: name → content. */
export type ModelFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

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

function checkTensorRecord(v: unknown, what: string): asserts v is Record<string, Tensor> {
  if (!isJsonObject(v)) throw new ValueError(`${what} must be an object of Tensors, got ${describe(v)}`);
  for (const [k, t] of Object.entries(v)) {
    if (!(t instanceof Tensor))
      throw new ValueError(`${what} entry "${k}" must be a Tensor, got ${describe(t)}`);
  }
}

/**
 * The files of a model directory: config.json (with the format marker, format version and kioku
 * version added), model.safetensors and, when given, the training state. `caller` starts the
 * messages of the arguments refused.
 */
export function modelToFiles(options: SaveModelDirOptions, caller = 'modelToFiles'): Map<string, Uint8Array> {
  if (!isJsonObject(options)) {
    throw new ValueError(
      `${caller}: options must be {config, stateDict, trainingState?}, got ${describe(options)}`,
    );
  }
  const { config, stateDict, trainingState } = options;
  if (!isJsonObject(config))
    throw new ValueError(`${caller}: config must be an object, got ${describe(config)}`);
  checkTensorRecord(stateDict, `${caller}: stateDict`);
  const full = validateModelConfig(
    { ...config, format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, kiokuVersion: kiokuVersion() },
    `${caller}: config`,
  );
  const jsonFail = (m: string) => new ValueError(`${caller}: ${m}`);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const files = new Map<string, Uint8Array>([
    [CONFIG_FILE, utf8(`${stringifyJsonStrict(full, 'config', jsonFail)}\n`)],
    [WEIGHTS_FILE, serializeSafetensors(stateDict, { format: 'pt' })],
  ]);
  if (trainingState !== undefined) {
    if (!isJsonObject(trainingState) || !isJsonObject(trainingState.state)) {
      throw new ValueError(
        `${caller}: trainingState must be {state: object, tensors?}, got ${describe(trainingState)}`,
      );
    }
    const state = stringifyJsonStrict(trainingState.state, 'trainingState.state', jsonFail);
    files.set(TRAINING_STATE_FILE, utf8(`${state}\n`));
    if (trainingState.tensors !== undefined) {
      checkTensorRecord(trainingState.tensors, `${caller}: trainingState.tensors`);
      files.set(OPTIMIZER_FILE, serializeSafetensors(trainingState.tensors));
    }
  }
  return files;
}

export interface ModelFromFilesOptions {
  /** Names the directory in messages (a path, a URL, a folder name). */
  source?: string;
  /** Names a file in messages; default `<source>/<name>`. */
  pathOf?: (name: string) => string;
  /** Starts the messages about missing files; default 'modelFromFiles'. */
  caller?: string;
}

/** Refuses weights holding NaN or ±Infinity: such a model computes NaN. Names the tensor and file. */
function checkFiniteWeights(tensors: Record<string, Tensor>, path: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32') continue;
    const data = t.f32;
    const first = data.findIndex((v) => !Number.isFinite(v));
    if (first < 0) continue;
    let count = 0;
    for (const v of data) if (!Number.isFinite(v)) count++;
    throw new ModelDirError(
      `${path}: tensor "${name}" ${formatShape(t.shape)} holds ${data[first]} at flat index ${first} ` +
        `(${count} non-finite value${count === 1 ? '' : 's'} in all); a model with non-finite weights ` +
        'computes NaN: retrain it, or load an earlier checkpoint',
    );
  }
}

const RESUME_ADVICE =
  '; this training state cannot be resumed: resume from an earlier checkpoint, or start the training over';

function readTrainingState(
  stateBytes: Uint8Array | undefined,
  optimizerBytes: Uint8Array | undefined,
  path: (name: string) => string,
  caller: string,
): TrainingState | undefined {
  if (stateBytes === undefined) {
    if (optimizerBytes !== undefined) {
      throw new ModelDirError(
        `${caller}: "${path(OPTIMIZER_FILE)}" is present without "${TRAINING_STATE_FILE}"${RESUME_ADVICE}`,
      );
    }
    return undefined;
  }
  const statePath = path(TRAINING_STATE_FILE);
  const state = parseJsonBytes(stateBytes, statePath, RESUME_ADVICE);
  if (!isJsonObject(state)) {
    throw new ModelDirError(`${statePath}: must hold a JSON object, got ${describe(state)}${RESUME_ADVICE}`);
  }
  if (optimizerBytes === undefined) return { state };
  try {
    return {
      state,
      tensors: toStateDict(parseSafetensors(optimizerBytes, { source: path(OPTIMIZER_FILE) })),
    };
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ModelDirError(`${e.message}${RESUME_ADVICE}`, { cause: e });
    throw e;
  }
}

function fileGetter(files: ModelFiles): (name: string) => Uint8Array | undefined {
  if (!(files instanceof Map) && !isJsonObject(files)) {
    throw new ValueError(
      `modelFromFiles: files must be a Map or an object of Uint8Arrays, got ${describe(files)}`,
    );
  }
  return (name) => {
    const bytes =
      files instanceof Map ? files.get(name) : Object.hasOwn(files, name) ? files[name] : undefined;
    if (bytes !== undefined && !(bytes instanceof Uint8Array)) {
      throw new ValueError(`modelFromFiles: file "${name}" must be a Uint8Array, got ${describe(bytes)}`);
    }
    return bytes;
  };
}

/**
 * A model directory from its files, checked before anything is built from it: config.json's
 * schema and consistency, the weights' names, shapes and dtypes against the architecture (for
 * kioku's heads), finite weights, and a readable training state when present.
 */
export function modelFromFiles(files: ModelFiles, options: ModelFromFilesOptions = {}): LoadedModelDir {
  const get = fileGetter(files);
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(
      `modelFromFiles: options must be {source?, pathOf?, caller?}, got ${describe(options)}`,
    );
  }
  const source = options.source ?? '.';
  const path = options.pathOf ?? ((name: string) => `${source}/${name}`);
  const caller = options.caller ?? 'modelFromFiles';
  const required = (name: string): Uint8Array => {
    const bytes = get(name);
    if (bytes !== undefined) return bytes;
    throw new ModelDirError(
      `${caller}: "${path(name)}" is missing; "${source}" is not a complete kioku model directory`,
    );
  };
  const configPath = path(CONFIG_FILE);
  const config = parseModelConfig(required(CONFIG_FILE), configPath);
  const weightsPath = path(WEIGHTS_FILE);
  const weights = parseSafetensors(required(WEIGHTS_FILE), { source: weightsPath });
  const failConfig = (m: string) => new ModelDirError(`${configPath}: ${m}`);
  const settings = headSettings(config.architecture, failConfig);
  if (settings) checkWeightShapes(settings, weights.tensors, weightsPath, failConfig);
  const tensors = toStateDict(weights);
  checkFiniteWeights(tensors, weightsPath);
  const trainingState = readTrainingState(get(TRAINING_STATE_FILE), get(OPTIMIZER_FILE), path, caller);
  return trainingState ? { config, tensors, trainingState } : { config, tensors };
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
