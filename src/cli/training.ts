import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listCheckpoints, removeDir } from '../io/atomic-node.js';
import { TRAINING_STATE_FILE } from '../io/model-config.js';
import { ValueError } from '../tensor/errors.js';
import { findCheckpoint, readCheckpoint } from '../train/checkpoint-node.js';
import type { Span } from '../train/recipes/events.js';
import type { StoredCheckpoint } from '../train/recipes/store.js';
import { nodeRunStore } from '../train/run-store-node.js';
import { type CheckpointFlags, flagName } from './options.js';
import { type Reporter, round } from './reporter.js';

/**
 * What the `kioku train` commands share: the run's store in `--out` (checkpoints in
 * `<out>/checkpoints/checkpoint-<step>`), `--resume`, and the recipe options they set.
 */

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

/** The checkpoint `--resume` names, read; undefined without `--resume`. */
async function resumeFrom(o: CheckpointFlags): Promise<StoredCheckpoint | undefined> {
  if (o.resume === undefined || o.resume === false) return undefined;
  const from = o.resume === true ? o.out : o.resume;
  const dir = await findCheckpoint(from);
  if (dir === null) {
    throw new ValueError(
      `--resume ${from}: no checkpoint to resume (looked for checkpoint-<n> in "${join(from, 'checkpoints')}" and "${from}")`,
    );
  }
  return readCheckpoint(dir, from);
}

/**
 * The recipe options of a train command's checkpoint flags: the store in `--out`, the
 * checkpoint to resume, the signal (a Ctrl-C prints one line, with `resumeAdvice`), and flag
 * names for messages. Sends metrics.jsonl to `--out`.
 */
export async function trainRunOptions(
  o: CheckpointFlags,
  reporter: Reporter,
  resumeAdvice = 'the same command with --resume continues the run',
) {
  const resume = await resumeFrom(o);
  reporter.setOut(o.out, { append: resume !== undefined });
  const store = nodeRunStore(o.out, { keepCheckpoints: o.keepCheckpoints });
  const checkpoints = { ...store.checkpoints!, startAfresh: () => startAfresh(o.out, reporter) };
  const signal = reporter.io.signal;
  if (signal) {
    reporter.io.interruptible = true;
    signal.addEventListener('abort', () => reporter.interrupted(resumeAdvice), { once: true });
  }
  return {
    store: { ...store, checkpoints },
    ...(resume ? { resume } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    onNonFinite: o.onNonfinite,
    ...(signal ? { signal } : {}),
    optionName: flagName,
  };
}

/** A split's rows as the CLI prints them: first … last date, or row numbers. */
export const spanText = (s: Span): string =>
  s.from !== null ? `${s.from} … ${s.to}` : `rows ${s.start}–${s.end - 1}`;

/** The last line of a train command (`done` with the model's path and the run's seconds). */
export async function done(reporter: Reporter, model: string | null, started: number): Promise<void> {
  await reporter.event({
    event: 'done',
    model,
    seconds: round((performance.now() - started) / 1000, 1),
  });
}
