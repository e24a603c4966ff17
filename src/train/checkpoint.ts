import { join } from 'node:path';
import { keepLastCheckpoints, listCheckpoints } from '../io/atomic-node.js';
import type { ModelConfigInput } from '../io/model-config.js';
import { loadModelDir, saveModelDir } from '../io/model-dir-node.js';
import { type LoadedModelDir, loadWeightsInto } from '../io/model-format.js';
import type { Module } from '../nn/module.js';
import { StateDictError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type {
  CheckpointWriter,
  History,
  OptimizerLike,
  ResumeState,
  SchedulerLike,
  TrainingState,
} from './trainer.js';

/**
 * Checkpoints as kioku model directories: weights in model.safetensors, optimizer buffers in
 * optimizer.safetensors, everything else (epoch, RNG, scheduler, data order, history) in
 * training-state.json; the early-stopping best weights, when kept, go into optimizer.safetensors
 * under `best.<name>`. Each save replaces the directory atomically.
 */

const BEST = 'best.';

type OptimizerState = { state: Record<string, Record<string, number | number[]>>; paramGroups: unknown[] };

function isOptimizerState(v: unknown): v is OptimizerState {
  return typeof v === 'object' && v !== null && 'state' in v && 'paramGroups' in v;
}

/** Moves the optimizer's per-parameter arrays into tensors named `<param index>.<buffer>`. */
function splitOptimizerState(sd: unknown): { json: unknown; tensors: Record<string, Tensor> } {
  if (!isOptimizerState(sd)) return { json: sd, tensors: {} };
  const tensors: Record<string, Tensor> = {};
  const state: Record<string, Record<string, number | { tensor: string }>> = {};
  for (const [idx, entry] of Object.entries(sd.state)) {
    state[idx] = {};
    for (const [key, value] of Object.entries(entry)) {
      if (Array.isArray(value)) {
        const name = `${idx}.${key}`;
        tensors[name] = new Tensor(Float32Array.from(value), [value.length]);
        state[idx][key] = { tensor: name };
      } else {
        state[idx][key] = value;
      }
    }
  }
  return { json: { state, paramGroups: sd.paramGroups }, tensors };
}

function joinOptimizerState(json: unknown, tensors: Record<string, Tensor>): unknown {
  if (!isOptimizerState(json)) return json;
  const state: OptimizerState['state'] = {};
  for (const [idx, entry] of Object.entries(json.state)) {
    state[idx] = {};
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof value === 'object' && value !== null && 'tensor' in value) {
        const t = tensors[(value as { tensor: string }).tensor];
        if (!t)
          throw new StateDictError(
            `checkpoint: optimizer buffer "${idx}.${key}" is missing from optimizer.safetensors`,
          );
        state[idx][key] = Array.from(t.f32);
      } else {
        state[idx][key] = value as number;
      }
    }
  }
  return { state, paramGroups: json.paramGroups };
}

/**
 * A checkpoint writer for `fit`: after every epoch, saves the model with `config` and the
 * full training state to `dir`.
 */
export function modelDirCheckpoint(dir: string, config: ModelConfigInput): CheckpointWriter {
  return async (model: Module, state: TrainingState) => {
    await saveModelDir(dir, { config, stateDict: model.stateDict(), trainingState: packState(state) });
  };
}

/** JSON has no NaN or ±Infinity (a diverged validation loss, a plateau's initial best): tag them. */
const NON_FINITE = '$nonFinite';

function encodeNonFinite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { [NON_FINITE]: String(v) };
  if (Array.isArray(v)) return v.map(encodeNonFinite);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeNonFinite(x)]));
  }
  return v;
}

function decodeNonFinite(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeNonFinite);
  if (typeof v === 'object' && v !== null) {
    const tag = (v as Record<string, unknown>)[NON_FINITE];
    if (tag === 'NaN' || tag === 'Infinity' || tag === '-Infinity') return Number(tag);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeNonFinite(x)]));
  }
  return v;
}

function packState(state: TrainingState) {
  const { json, tensors } = splitOptimizerState(state.optimizer);
  for (const [name, t] of Object.entries(state.bestWeights ?? {})) tensors[`${BEST}${name}`] = t;
  const { bestWeights, ...rest } = state;
  const packed = { ...rest, optimizer: json, hasBestWeights: bestWeights !== null };
  return { state: encodeNonFinite(packed) as Record<string, unknown>, tensors };
}

/**
 * A checkpoint writer that keeps a rolling set: each save is a new model directory
 * `<root>/checkpoint-<step>` (written atomically), after which all but the newest `keep` are
 * deleted. A crash at any moment leaves at least one complete checkpoint once the first exists.
 */
export function rollingCheckpoints(root: string, config: ModelConfigInput, keep = 2): CheckpointWriter {
  if (typeof root !== 'string' || root === '') {
    throw new ValueError(`rollingCheckpoints: root must be a non-empty path, got ${String(root)}`);
  }
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new ValueError(`rollingCheckpoints: keep must be a positive integer, got ${String(keep)}`);
  }
  return async (model: Module, state: TrainingState) => {
    await saveModelDir(join(root, `checkpoint-${state.step}`), {
      config,
      stateDict: model.stateDict(),
      trainingState: packState(state),
    });
    await keepLastCheckpoints(root, keep);
  };
}

/**
 * The newest checkpoint to resume from: `dir` itself when it holds a training state, else the
 * newest `checkpoint-<n>` in `dir` or in `dir/checkpoints`. Null when there is none.
 */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  for (const root of [join(dir, 'checkpoints'), dir]) {
    const all = await listCheckpoints(root);
    if (all.length) return all[all.length - 1]!;
  }
  return null;
}

export interface ResumeTargets {
  model: Module;
  optimizer: OptimizerLike;
  scheduler?: SchedulerLike;
  /** A DataLoader (anything with loadStateDict) whose order should continue. */
  dataLoader?: { loadStateDict(state: never): void };
}

/**
 * Restores a checkpoint written by {@link modelDirCheckpoint} into the model, optimizer,
 * scheduler, data loader and the default generator. Returns what `fit` needs to continue:
 * pass `initialEpoch` and `history` back to it.
 */
export async function resumeFromCheckpoint(
  dir: string,
  targets: ResumeTargets,
): Promise<{ initialEpoch: number; history: History; resume: ResumeState; loaded: LoadedModelDir }> {
  const loaded = await loadModelDir(dir);
  if (!loaded.trainingState) {
    throw new StateDictError(`resumeFromCheckpoint: "${dir}" holds a model but no training state to resume`);
  }
  const s = decodeNonFinite(loaded.trainingState.state) as TrainingState & { hasBestWeights?: boolean };
  if (!Number.isInteger(s.epoch) || typeof s.history !== 'object' || s.history === null) {
    throw new StateDictError(
      `resumeFromCheckpoint: "${dir}" training state lacks an integer epoch and a history`,
    );
  }
  const tensors = loaded.trainingState.tensors ?? {};
  loadWeightsInto(targets.model, loaded.tensors, dir);
  targets.optimizer.loadStateDict(joinOptimizerState(s.optimizer, tensors) as never);
  if (targets.scheduler && s.scheduler !== null) targets.scheduler.loadStateDict(s.scheduler as never);
  if (targets.dataLoader && s.dataLoader !== null) targets.dataLoader.loadStateDict(s.dataLoader as never);
  defaultGenerator.setState(s.rng as GeneratorState);
  let bestWeights: Record<string, Tensor> | null = null;
  if (s.hasBestWeights) {
    bestWeights = {};
    for (const name of Object.keys(targets.model.stateDict())) {
      const t = tensors[`${BEST}${name}`];
      if (!t) throw new StateDictError(`resumeFromCheckpoint: "${dir}" lacks the best weights of "${name}"`);
      bestWeights[name] = t;
    }
  }
  const resume: ResumeState = {
    step: Number.isInteger(s.step) ? s.step : 0,
    progress: s.progress ?? null,
    best: s.best ?? null,
    sinceBest: Number.isInteger(s.sinceBest) ? s.sinceBest : 0,
    bestWeights,
    skippedBatches: Number.isInteger(s.skippedBatches) ? s.skippedBatches : 0,
  };
  return { initialEpoch: s.epoch, history: s.history, resume, loaded };
}
