import { loadWeightsInto } from '../io/model-format.js';
import type { Module } from '../nn/module.js';
import { StateDictError } from '../tensor/errors.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { History, OptimizerLike, ResumeState, SchedulerLike, TrainingState } from './fit-types.js';

/**
 * A training state as a checkpoint stores it, and back: the JSON part (epoch, RNG, scheduler,
 * data order, history) for training-state.json, the optimizer buffers and the early-stopping
 * best weights (under `best.<name>`) as tensors for optimizer.safetensors. Platform-neutral: the
 * bytes are written by whoever stores the checkpoint (in Node, `rollingCheckpoints`).
 */

const BEST = 'best.';

/** A training state split into JSON and tensors, as a model directory stores it. */
export interface PackedTrainingState {
  state: Record<string, unknown>;
  tensors: Record<string, Tensor>;
}

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

/** The training state `fit` hands a checkpoint writer, in the form a model directory stores. */
export function packTrainingState(state: TrainingState): PackedTrainingState {
  const { json, tensors } = splitOptimizerState(state.optimizer);
  for (const [name, t] of Object.entries(state.bestWeights ?? {})) tensors[`${BEST}${name}`] = t;
  const { bestWeights, ...rest } = state;
  const packed = { ...rest, optimizer: json, hasBestWeights: bestWeights !== null };
  return { state: encodeNonFinite(packed) as Record<string, unknown>, tensors };
}

export interface ResumeTargets {
  model: Module;
  optimizer: OptimizerLike;
  scheduler?: SchedulerLike;
  /** A DataLoader (anything with loadStateDict) whose order should continue. */
  dataLoader?: { loadStateDict(state: never): void };
}

/** A checkpoint as read back: its weights and, when it has one, its training state. */
export interface SavedTraining {
  tensors: Record<string, Tensor>;
  trainingState?: { state: Record<string, unknown>; tensors?: Record<string, Tensor> };
}

/** What `fit` needs to continue: pass all three back to it. */
export interface RestoredTraining {
  initialEpoch: number;
  history: History;
  resume: ResumeState;
}

function bestWeightsOf(model: Module, tensors: Record<string, Tensor>, where: string) {
  const best: Record<string, Tensor> = {};
  for (const name of Object.keys(model.stateDict())) {
    const t = tensors[`${BEST}${name}`];
    if (!t) throw new StateDictError(`${where} lacks the best weights of "${name}"`);
    best[name] = t;
  }
  return best;
}

/**
 * Restores a checkpoint into the model, optimizer, scheduler, data loader and the default
 * generator. `where` names the checkpoint at the start of error messages.
 */
export function restoreTrainingState(
  saved: SavedTraining,
  targets: ResumeTargets,
  where = 'checkpoint',
): RestoredTraining {
  if (!saved.trainingState) {
    throw new StateDictError(`${where} holds a model but no training state to resume`);
  }
  const s = decodeNonFinite(saved.trainingState.state) as TrainingState & { hasBestWeights?: boolean };
  if (!Number.isInteger(s.epoch) || typeof s.history !== 'object' || s.history === null) {
    throw new StateDictError(`${where} training state lacks an integer epoch and a history`);
  }
  const tensors = saved.trainingState.tensors ?? {};
  loadWeightsInto(targets.model, saved.tensors, where);
  targets.optimizer.loadStateDict(joinOptimizerState(s.optimizer, tensors) as never);
  if (targets.scheduler && s.scheduler !== null) targets.scheduler.loadStateDict(s.scheduler as never);
  if (targets.dataLoader && s.dataLoader !== null) targets.dataLoader.loadStateDict(s.dataLoader as never);
  defaultGenerator.setState(s.rng as GeneratorState);
  const resume: ResumeState = {
    step: Number.isInteger(s.step) ? s.step : 0,
    progress: s.progress ?? null,
    best: s.best ?? null,
    sinceBest: Number.isInteger(s.sinceBest) ? s.sinceBest : 0,
    bestWeights: s.hasBestWeights ? bestWeightsOf(targets.model, tensors, where) : null,
    skippedBatches: Number.isInteger(s.skippedBatches) ? s.skippedBatches : 0,
  };
  return { initialEpoch: s.epoch, history: s.history, resume };
}
