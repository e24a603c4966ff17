import { rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { listCheckpoints, removeDir } from '../io/atomic-node.js';
import { newSuffix } from '../io/durable-node.js';
import { TRAINING_STATE_FILE } from '../io/model-config.js';
import type { SkippedCheckpoint } from '../io/model-dir-node.js';
import { ValueError } from '../tensor/errors.js';
import { findResumable } from '../train/checkpoint-node.js';
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

/**
 * Says that a checkpoint newer than the one resumed was passed over, and why. One in this run's
 * own `<out>/checkpoints` is moved aside to `<name>.skipped-XXXX` (kept, never deleted): left in
 * place it would outnumber the resumed run's new checkpoints and be resumed from again.
 */
async function passOver(skipped: SkippedCheckpoint, out: string, reporter: Reporter): Promise<void> {
  let moved = '';
  if (resolve(dirname(skipped.dir)) === resolve(out, 'checkpoints')) {
    const aside = `${skipped.dir}.skipped-${newSuffix()}`;
    await rename(skipped.dir, aside);
    moved = `; moved it to ${aside}`;
  }
  reporter.warn(
    `passed over the checkpoint ${skipped.dir}, which cannot be resumed (${skipped.reason})${moved}`,
  );
}

/** The checkpoint `--resume` names (the newest one that can be resumed), read; undefined without `--resume`. */
async function resumeFrom(o: CheckpointFlags, reporter: Reporter): Promise<StoredCheckpoint | undefined> {
  if (o.resume === undefined || o.resume === false) return undefined;
  const from = o.resume === true ? o.out : o.resume;
  const { checkpoint, skipped } = await findResumable(from);
  if (checkpoint === null && skipped.length > 0) {
    const newest = skipped[0]!;
    throw new ValueError(
      `--resume ${from}: none of the ${skipped.length} checkpoint(s) there can be resumed; the newest, ${newest.dir}: ${newest.reason}`,
    );
  }
  if (checkpoint === null) {
    throw new ValueError(
      `--resume ${from}: no checkpoint to resume (looked for checkpoint-<n> in "${join(from, 'checkpoints')}" and "${from}")`,
    );
  }
  for (const s of skipped) await passOver(s, o.out, reporter);
  return checkpoint;
}

/**
 * The recipe options of a train command's checkpoint flags: the store in `--out`, the
 * checkpoint to resume, the signal, and flag names for messages. Sends metrics.jsonl to `--out`.
 */
export async function trainRunOptions(o: CheckpointFlags, reporter: Reporter) {
  const resume = await resumeFrom(o, reporter);
  reporter.setOut(o.out, { append: resume !== undefined });
  const store = nodeRunStore(o.out, { keepCheckpoints: o.keepCheckpoints });
  const checkpoints = { ...store.checkpoints!, startAfresh: () => startAfresh(o.out, reporter) };
  const signal = reporter.io.signal;
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
