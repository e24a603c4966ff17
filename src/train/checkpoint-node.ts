import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keepLastCheckpoints, listCheckpoints } from '../io/atomic-node.js';
import { type ModelConfigInput, TRAINING_STATE_FILE } from '../io/model-config.js';
import {
  loadModelDir,
  newestValidCheckpoint,
  type SkippedCheckpoint,
  saveModelDir,
} from '../io/model-dir-node.js';
import type { LoadedModelDir } from '../io/model-format.js';
import type { Module } from '../nn/module.js';
import { ValueError } from '../tensor/errors.js';
import {
  packTrainingState,
  type RestoredTraining,
  type ResumeTargets,
  restoreTrainingState,
} from './checkpoint.js';
import type { CheckpointWriter, TrainingState } from './fit-types.js';
import type { StoredCheckpoint } from './recipes/store.js';
import { checkTrainingState } from './training-state-check.js';

/**
 * Checkpoints as kioku model directories (Node): weights in model.safetensors, optimizer buffers
 * and early-stopping best weights in optimizer.safetensors, everything else in
 * training-state.json. Each save replaces its directory atomically.
 */

/** A config for a model that describes itself with `config()`: its class and constructor options. */
function selfDescribed(model: Module): ModelConfigInput {
  const described = (model as Module & { config?: () => Record<string, unknown> }).config?.();
  return { architecture: { type: model.constructor.name, ...described }, task: 'training' };
}

/**
 * A checkpoint writer for `fit`: after every epoch, saves the model and the full training state
 * to `dir`, with `config` (default: the model's own `config()` as its architecture).
 */
export function modelDirCheckpoint(dir: string, config?: ModelConfigInput): CheckpointWriter {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`modelDirCheckpoint: dir must be a non-empty path, got ${String(dir)}`);
  }
  return async (model: Module, state: TrainingState) => {
    await saveModelDir(dir, {
      config: config ?? selfDescribed(model),
      stateDict: model.stateDict(),
      trainingState: packTrainingState(state),
    });
  };
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
      trainingState: packTrainingState(state),
    });
    await keepLastCheckpoints(root, keep);
  };
}

/**
 * The newest checkpoint to resume from: the newest `checkpoint-<n>` in `dir/checkpoints` or in
 * `dir`. Null when there is none.
 */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  for (const root of [join(dir, 'checkpoints'), dir]) {
    const all = await listCheckpoints(root);
    if (all.length) return all[all.length - 1]!;
  }
  return null;
}

async function hasTrainingState(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, TRAINING_STATE_FILE))).isFile();
  } catch {
    return false;
  }
}

/**
 * The checkpoint `from` names: `from` itself when it holds a training state, else the newest
 * checkpoint in it (see {@link latestCheckpoint}). Null when there is none.
 */
export async function findCheckpoint(from: string): Promise<string | null> {
  return (await hasTrainingState(from)) ? from : latestCheckpoint(from);
}

/** Refuses a checkpoint whose training-state.json holds what no resume can use. */
function checkResumable(loaded: LoadedModelDir, dir: string): void {
  if (loaded.trainingState) checkTrainingState(loaded.trainingState.state, join(dir, TRAINING_STATE_FILE));
}

function stored(dir: string, loaded: LoadedModelDir, from?: string): StoredCheckpoint {
  return {
    where: dir,
    ...(from !== undefined ? { from } : {}),
    config: loaded.config,
    tensors: loaded.tensors,
    ...(loaded.trainingState ? { trainingState: loaded.trainingState } : {}),
  };
}

/** Reads a checkpoint directory for a recipe's `resume`; a damaged training state is refused, naming the file. */
export async function readCheckpoint(dir: string, from?: string): Promise<StoredCheckpoint> {
  const loaded = await loadModelDir(dir);
  checkResumable(loaded, dir);
  return stored(dir, loaded, from);
}

/** What {@link findResumable} found. */
export interface ResumableCheckpoint {
  /** The newest checkpoint that can be resumed, or null when there is none. */
  checkpoint: StoredCheckpoint | null;
  /** Newer checkpoints passed over (corrupt, cut short, a damaged training state), newest first. */
  skipped: SkippedCheckpoint[];
}

/**
 * The checkpoint to resume from `from`: `from` itself when it holds a training state, else the
 * newest checkpoint in `from/checkpoints` (or in `from`) that loads and can be resumed, passing
 * over newer ones that cannot. Never writes.
 */
export async function findResumable(from: string): Promise<ResumableCheckpoint> {
  if (await hasTrainingState(from)) return { checkpoint: await readCheckpoint(from, from), skipped: [] };
  for (const root of [join(from, 'checkpoints'), from]) {
    const found = await newestValidCheckpoint(root, 'checkpoint-', checkResumable);
    if (found.dir === null && found.skipped.length === 0) continue;
    const checkpoint = found.dir !== null ? stored(found.dir, found.loaded!, from) : null;
    return { checkpoint, skipped: found.skipped };
  }
  return { checkpoint: null, skipped: [] };
}

/**
 * Restores a checkpoint directory (written by {@link modelDirCheckpoint} or
 * {@link rollingCheckpoints}) into the model, optimizer, scheduler, data loader and the default
 * generator. Returns what `fit` needs to continue: pass `initialEpoch`, `history` and `resume`.
 */
export async function resumeFromCheckpoint(
  dir: string,
  targets: ResumeTargets,
): Promise<RestoredTraining & { loaded: Awaited<ReturnType<typeof loadModelDir>> }> {
  const loaded = await loadModelDir(dir);
  checkResumable(loaded, dir);
  return { ...restoreTrainingState(loaded, targets, `resumeFromCheckpoint: "${dir}"`), loaded };
}
