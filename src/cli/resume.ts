import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listCheckpoints, removeDir } from '../io/atomic.js';
import { loadModelDir, type ModelConfigInput, TRAINING_STATE_FILE } from '../io/model-dir.js';
import type { Module } from '../nn/module.js';
import { ValueError } from '../tensor/errors.js';
import { latestCheckpoint, resumeFromCheckpoint, rollingCheckpoints } from '../train/checkpoint-node.js';
import type { FitOptions, OptimizerLike, SchedulerLike } from '../train/trainer.js';
import type { Reporter } from './reporter.js';

/**
 * Checkpoints of `kioku train`: a rolling set in `<out>/checkpoints/checkpoint-<step>`, written
 * after every epoch (and every `--checkpoint-every` batches), and `--resume` to continue one.
 */

/** The options every `kioku train` command shares for checkpoints and non-finite guards. */
export interface CheckpointOptions {
  out: string;
  epochs: number;
  /** true: resume from `--out`; a path: resume from there. */
  resume?: string | boolean;
  keepCheckpoints: number;
  checkpointEvery?: number;
  onNonfinite: 'stop' | 'skip';
}

/** Options that steer checkpointing or may change on resume; the rest must match the checkpoint. */
const RUN_CONTROL = ['out', 'resume', 'keepCheckpoints', 'checkpointEvery', 'onNonfinite', 'epochs'];

const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The options that decide the trained weights, stored in each checkpoint's config. */
export function runOptions(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).filter(([k, v]) => !RUN_CONTROL.includes(k) && v !== undefined),
  );
}

/** When `path` was last written, or -Infinity when it does not exist. */
async function writtenAt(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/**
 * A fresh run into an `--out` that holds an earlier run's checkpoints. Left there, they would
 * outnumber the new run's own (the rolling set keeps the highest steps), leaving it without a
 * checkpoint and making a later --resume continue the earlier run. The checkpoints of a run that
 * finished (its model saved after its last checkpoint) are removed; those of an unfinished run
 * are the only way to continue it, so the run is refused.
 */
async function startAfresh(out: string, reporter: Reporter): Promise<void> {
  const root = join(out, 'checkpoints');
  const earlier = await listCheckpoints(root);
  if (earlier.length === 0) return;
  const newest = earlier[earlier.length - 1]!;
  const saved = await writtenAt(join(out, 'model', 'config.json'));
  if (saved < (await writtenAt(join(newest, TRAINING_STATE_FILE)))) {
    throw new ValueError(
      `--out ${out}: ${newest} holds an unfinished run (no model saved after it); pass --resume to continue it, or delete "${root}" (or choose another --out) to start afresh`,
    );
  }
  for (const dir of earlier) await removeDir(dir);
  reporter.note(
    `starting afresh: removed the ${earlier.length} checkpoint(s) of the finished run in ${root}`,
  );
}

async function hasTrainingState(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, TRAINING_STATE_FILE))).isFile();
  } catch {
    return false;
  }
}

export interface CheckpointTargets {
  model: Module;
  optimizer: OptimizerLike;
  scheduler?: SchedulerLike;
  dataLoader: { loadStateDict(state: never): void };
}

/**
 * The fit options for checkpoints and non-finite batches. With `--resume`, restores the newest
 * checkpoint into `targets` after checking that it was written by the same command on the same
 * data (`data` holds config fields such as the vocabulary that must be equal).
 */
export async function checkpointing(
  o: CheckpointOptions,
  config: ModelConfigInput,
  data: Record<string, unknown>,
  targets: CheckpointTargets,
  reporter: Reporter,
): Promise<
  Pick<
    FitOptions<unknown>,
    'checkpoint' | 'checkpointEvery' | 'onNonFinite' | 'initialEpoch' | 'history' | 'resume'
  >
> {
  const run = runOptions(o);
  const fitOptions = {
    checkpoint: rollingCheckpoints(join(o.out, 'checkpoints'), { ...config, run }, o.keepCheckpoints),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    onNonFinite: o.onNonfinite,
  };
  if (o.resume === undefined || o.resume === false) {
    await startAfresh(o.out, reporter);
    return fitOptions;
  }
  const from = o.resume === true ? o.out : o.resume;
  const dir = (await hasTrainingState(from)) ? from : await latestCheckpoint(from);
  if (dir === null) {
    throw new ValueError(
      `--resume ${from}: no checkpoint to resume (looked for checkpoint-<n> in "${join(from, 'checkpoints')}" and "${from}")`,
    );
  }
  const saved = (await loadModelDir(dir)).config;
  const savedRun = (saved.run ?? {}) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(savedRun), ...Object.keys(run)])) {
    if (JSON.stringify(savedRun[key]) !== JSON.stringify(run[key])) {
      throw new ValueError(
        `--resume ${from}: the checkpoint was trained with ${flag(key)} ${JSON.stringify(savedRun[key] ?? null)}, this run has ${JSON.stringify(run[key] ?? null)}; resume with the same options`,
      );
    }
  }
  for (const [key, value] of Object.entries(data)) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new ValueError(
        `--resume ${from}: the data changed since the checkpoint (its ${key} differs); resume on the same data`,
      );
    }
  }
  const r = await resumeFromCheckpoint(dir, targets);
  // Newer checkpoints in the output would outnumber (and so evict) the resumed run's own.
  const newer = (await listCheckpoints(join(o.out, 'checkpoints'))).filter(
    (p) => Number(p.slice(p.lastIndexOf('-') + 1)) > r.resume.step,
  );
  if (newer.length) {
    throw new ValueError(
      `--resume ${from}: ${newer.at(-1)} is newer than the checkpoint resumed (step ${r.resume.step}); resume from the newest or write to another --out`,
    );
  }
  if (r.initialEpoch > o.epochs) {
    throw new ValueError(
      `--epochs ${o.epochs}: the checkpoint in ${dir} has already trained ${r.initialEpoch} epochs`,
    );
  }
  const where = r.resume.progress ? `, batch ${r.resume.progress.batch} of epoch ${r.initialEpoch + 1}` : '';
  reporter.note(`resuming from ${dir} (epoch ${r.initialEpoch} done${where})`);
  reporter.resumeLog(r.initialEpoch, r.history);
  return { ...fitOptions, initialEpoch: r.initialEpoch, history: r.history, resume: r.resume };
}
