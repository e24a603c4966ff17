import { loadModelDir, loadWeightsInto, type ModelConfigInput, saveModelDir } from '../io/model-dir.js';
import type { Module } from '../nn/module.js';
import { StateDictError } from '../tensor/errors.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { CheckpointWriter, History, OptimizerLike, SchedulerLike, TrainingState } from './trainer.js';

/**
 * Checkpoints as kioku model directories: weights in model.safetensors, optimizer buffers in
 * optimizer.safetensors, everything else (epoch, RNG, scheduler, data order, history) in
 * training-state.json. Each save replaces the directory atomically.
 */

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
    const { json, tensors } = splitOptimizerState(state.optimizer);
    await saveModelDir(dir, {
      config,
      stateDict: model.stateDict(),
      trainingState: { state: { ...state, optimizer: json } as unknown as Record<string, unknown>, tensors },
    });
  };
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
): Promise<{ initialEpoch: number; history: History }> {
  const loaded = await loadModelDir(dir);
  if (!loaded.trainingState) {
    throw new StateDictError(`resumeFromCheckpoint: "${dir}" holds a model but no training state to resume`);
  }
  const s = loaded.trainingState.state as unknown as TrainingState;
  if (!Number.isInteger(s.epoch) || typeof s.history !== 'object' || s.history === null) {
    throw new StateDictError(
      `resumeFromCheckpoint: "${dir}" training state lacks an integer epoch and a history`,
    );
  }
  loadWeightsInto(targets.model, loaded.tensors, dir);
  targets.optimizer.loadStateDict(
    joinOptimizerState(s.optimizer, loaded.trainingState.tensors ?? {}) as never,
  );
  if (targets.scheduler && s.scheduler !== null) targets.scheduler.loadStateDict(s.scheduler as never);
  if (targets.dataLoader && s.dataLoader !== null) targets.dataLoader.loadStateDict(s.dataLoader as never);
  defaultGenerator.setState(s.rng as GeneratorState);
  return { initialEpoch: s.epoch, history: s.history };
}
