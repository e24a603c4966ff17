/**
 * Crash-safe writes. A file is written to a temporary name in its own directory, flushed to
 * disk, then renamed over the target (rename is atomic within a file system), and the directory
 * is flushed so the rename itself survives a power cut. After a crash a reader sees either the
 * old complete file or the new complete file, never a mix.
 *
 * Sets of files get the same guarantee: a model directory is replaced whole by renaming a
 * complete sibling into place (dir-swap-node.ts, `replaceDirAtomic`); files inside a directory
 * that stays in place are updated through a journal (journal-node.ts, `writeDirAtomic`).
 * This module is the one import for all of them, plus the checkpoint-directory helpers.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ValueError } from '../tensor/errors.js';
import {
  checkData,
  errorText,
  escapeRegExp,
  FileError,
  hasCode,
  newSuffix,
  SUFFIX_PATTERN,
  syncDir,
  writeDurable,
} from './durable-node.js';

export { type DirFiles, readableDir, recoverReplace, replaceDirAtomic } from './dir-swap-node.js';
export { FileError } from './durable-node.js';
export { recoverDir, type WriteDirOptions, writeDirAtomic } from './journal-node.js';

/** Writes `data` to `path` so that a crash at any moment leaves the old or the new complete file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new ValueError(`writeFileAtomic: path must be a non-empty string, got ${String(path)}`);
  }
  checkData(data, 'writeFileAtomic: data');
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${newSuffix()}`);
  try {
    await writeDurable(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new FileError(`writeFileAtomic: cannot write "${path}" (${errorText(e)})`, { cause: e });
  }
  await syncDir(dirname(path));
}

/**
 * Deletes a directory so that a crash never leaves it half-deleted under its own name: it is first
 * renamed to a temporary sibling `<name>.tmp-XXXX` (which later cleanups remove), then deleted.
 */
export async function removeDir(dir: string): Promise<void> {
  const doomed = join(dirname(dir), `${basename(dir)}.tmp-${newSuffix()}`);
  try {
    await rename(dir, doomed);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    throw e;
  }
  await syncDir(dirname(dir));
  await rm(doomed, { recursive: true, force: true });
}

function checkpointPattern(prefix: string, tail = ''): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}(\\d+)${tail}$`);
}

/**
 * Checkpoint directories `<prefix><number>` in `root`, oldest (smallest number) first, as
 * full paths. An absent `root` has none.
 */
export async function listCheckpoints(root: string, prefix = 'checkpoint-'): Promise<string[]> {
  if (typeof root !== 'string' || root === '') {
    throw new ValueError(`listCheckpoints: root must be a non-empty string, got ${String(root)}`);
  }
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return [];
    throw new FileError(`listCheckpoints: cannot read "${root}" (${errorText(e)})`, { cause: e });
  }
  const pattern = checkpointPattern(prefix);
  return entries
    .filter((e) => e.isDirectory() && pattern.test(e.name))
    .map((e) => ({ name: e.name, n: BigInt(pattern.exec(e.name)![1]!) }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .map((e) => join(root, e.name));
}

/**
 * Deletes all but the newest `n` checkpoint directories of `root` (by the number after
 * `prefix`), and the temporary directories crashed checkpoint writes left. Returns the
 * deleted paths.
 */
export async function keepLastCheckpoints(
  root: string,
  n: number,
  prefix = 'checkpoint-',
): Promise<string[]> {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValueError(`keepLastCheckpoints: n must be a positive integer, got ${n}`);
  }
  const all = await listCheckpoints(root, prefix);
  const removed = all.slice(0, Math.max(0, all.length - n));
  // A crashed checkpoint write leaves `.tmp-`, a crashed replacement of one `.old-`.
  const stale = checkpointPattern(prefix, `\\.(tmp|old)-${SUFFIX_PATTERN}`);
  try {
    for (const entry of await readdir(root)) {
      if (stale.test(entry)) removed.push(join(root, entry));
    }
    for (const path of removed) await removeDir(path);
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) {
      throw new FileError(`keepLastCheckpoints: cannot clean "${root}" (${errorText(e)})`, { cause: e });
    }
  }
  await syncDir(root);
  return removed;
}
