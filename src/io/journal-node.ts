/**
 * Crash-safe updates of a set of files inside a directory that stays in place (an export folder
 * that may hold other things), through a journal: the new files are written and flushed into
 * `dir/.kioku-journal-XXXX/data/`, a COMMIT record naming them is renamed into the journal (the
 * commit point), then the files are moved over the old ones. A crash before the commit leaves
 * the old files; after it, a committed journal that the next write into the directory rolls
 * forward. Reading never recovers: only writers call {@link recoverDir}. Other tools may see old
 * and new files side by side while the moves run or after a crash there; a model directory is
 * replaced whole instead (dir-swap-node.ts). One writer per directory at a time.
 *
 * Recovery trusts nothing it finds. A journal is replayed only when everything about it is what
 * kioku writes: its name, a real directory (not a link) with a real `data` directory, a COMMIT
 * file of exactly `{files, remove}` listing plain names, regular files to move, no directory to
 * delete. Anything else is refused, with every journal checked before a single entry is changed.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { createDirAtomic, type DirFiles } from './dir-swap-node.js';
import {
  checkData,
  entryKind,
  errorText,
  FileError,
  hasCode,
  newSuffix,
  notPlainName,
  SUFFIX_PATTERN,
  syncDir,
  writeDurable,
} from './durable-node.js';
import { isJsonObject, parseJsonStrict } from './json-strict.js';
import { readRegularFile, UnreadableFileError } from './read-file-node.js';

const JOURNAL_PREFIX = '.kioku-journal-';
const JOURNAL_NAME = new RegExp(`^\\.kioku-journal-${SUFFIX_PATTERN}$`);
const COMMIT = 'COMMIT';
const DATA = 'data';
/** A COMMIT record lists a handful of names; anything bigger was not written by kioku. */
const MAX_COMMIT_BYTES = 64 * 1024;

export interface WriteDirOptions {
  /** Files to delete from an existing directory in the same commit (stale optional files). */
  remove?: string[];
}

function checkName(name: string, what: string): void {
  const why = notPlainName(name);
  if (why) throw new ValueError(`${what}: "${name}" is not a plain file name (${why})`);
}

/**
 * Writes `files` (name → content) into `dir` so that a crash leaves either the previous or
 * the new complete set. Files of `dir` not named in `files` or `remove` are left alone.
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
  options: WriteDirOptions = {},
): Promise<void> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`writeDirAtomic: dir must be a non-empty string, got ${String(dir)}`);
  }
  const names = Object.keys(files);
  for (const name of names) {
    checkName(name, 'writeDirAtomic');
    checkData(files[name], `writeDirAtomic: file "${name}"`);
  }
  const remove = (options.remove ?? []).filter((n) => !Object.hasOwn(files, n));
  for (const name of remove) checkName(name, 'writeDirAtomic');
  try {
    const kind = await entryKind(dir);
    if (kind !== null && kind !== 'dir' && kind !== 'link') {
      throw new FileError(`writeDirAtomic: "${dir}" exists and is not a directory`);
    }
    if (kind === null && (await createDirAtomic(dir, files as DirFiles))) return;
    await recoverDir(dir);
    const journal = join(dir, `${JOURNAL_PREFIX}${newSuffix()}`);
    await mkdir(join(journal, DATA), { recursive: true });
    for (const name of names) await writeDurable(join(journal, DATA, name), files[name]!);
    await syncDir(join(journal, DATA));
    await writeDurable(join(journal, `${COMMIT}.part`), JSON.stringify({ files: names, remove }));
    await syncDir(journal);
    await rename(join(journal, `${COMMIT}.part`), join(journal, COMMIT));
    await syncDir(journal);
    await rollForward(dir, { journal, files: names, remove });
  } catch (e) {
    if (e instanceof KiokuError) throw e;
    throw new FileError(`writeDirAtomic: cannot write "${dir}" (${errorText(e)})`, { cause: e });
  }
}

/** A checked journal: the files to move into the directory and the files to delete. */
interface Replay {
  journal: string;
  files: string[];
  remove: string[];
}

/** The list `record[key]` when it holds distinct plain names, else the reason it does not. */
function nameList(record: Record<string, unknown>, key: string): string[] | string {
  const v = record[key];
  if (!Array.isArray(v)) return `"${key}" is not a list`;
  for (const n of v) {
    const why = notPlainName(n);
    if (why) return `"${key}" names ${JSON.stringify(n)}: ${why}`;
  }
  return new Set(v).size === v.length ? (v as string[]) : `"${key}" names a file twice`;
}

/** Reads and checks a journal's COMMIT record; null when there is none (an uncommitted journal). */
async function readCommit(journal: string, refuse: (why: string) => Error): Promise<Replay | null> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(join(journal, COMMIT), { maxBytes: MAX_COMMIT_BYTES, noFollow: true });
  } catch (e) {
    if (e instanceof UnreadableFileError && e.code === 'ENOENT') return null;
    if (e instanceof UnreadableFileError) throw refuse(`its COMMIT ${e.reason}`);
    throw e;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refuse('its COMMIT is not UTF-8');
  }
  const record = parseJsonStrict(text, (m) => refuse(`its COMMIT is ${m}`));
  if (!isJsonObject(record) || Object.keys(record).sort().join() !== 'files,remove') {
    throw refuse('its COMMIT is not {"files": [...], "remove": [...]}');
  }
  const files = nameList(record, 'files');
  const remove = nameList(record, 'remove');
  if (typeof files === 'string') throw refuse(`its COMMIT ${files}`);
  if (typeof remove === 'string') throw refuse(`its COMMIT ${remove}`);
  if (files.some((n) => remove.includes(n))) throw refuse('its COMMIT both writes and removes a file');
  return { journal, files, remove };
}

/** Checks everything a replay of `journal` would touch; throws before anything is changed. */
async function planReplay(dir: string, entry: string): Promise<Replay | { discard: string }> {
  const journal = join(dir, entry);
  const refuse = (why: string) =>
    new FileError(
      `recoverDir: "${journal}" is not an update journal kioku wrote (${why}); nothing was changed. ` +
        'Delete it by hand if you know where it came from, then write again',
    );
  if (!JOURNAL_NAME.test(entry)) throw refuse('its name is not .kioku-journal- and 12 hex digits');
  const kind = await entryKind(journal);
  if (kind !== 'dir') throw refuse(kind === 'link' ? 'it is a symbolic link' : 'it is not a directory');
  const replay = await readCommit(journal, refuse);
  if (replay === null) return { discard: journal };
  if ((await entryKind(join(journal, DATA))) !== 'dir') throw refuse(`its "${DATA}" is not a real directory`);
  for (const name of replay.files) {
    const from = await entryKind(join(journal, DATA, name));
    if (from !== null && from !== 'file') throw refuse(`"${DATA}/${name}" is not a regular file`);
    const to = await entryKind(join(dir, name));
    if (from !== null && to === 'dir') throw refuse(`it would move "${name}" over a directory`);
  }
  for (const name of replay.remove) {
    if ((await entryKind(join(dir, name))) === 'dir') throw refuse(`it would delete the directory "${name}"`);
  }
  return replay;
}

/** Moves the journal's files into `dir`, deletes `remove`, then the journal itself. */
async function rollForward(dir: string, { journal, files, remove }: Replay): Promise<void> {
  for (const name of files) {
    try {
      await rename(join(journal, DATA, name), join(dir, name));
    } catch (e) {
      // Already moved by the run that crashed.
      if (!hasCode(e, 'ENOENT')) throw e;
    }
  }
  for (const name of remove) await rm(join(dir, name), { force: true });
  await syncDir(dir);
  await rm(journal, { recursive: true, force: true });
  await syncDir(dir);
}

/**
 * Completes or discards an update of `dir` that a crash interrupted: a committed journal is
 * rolled forward, an uncommitted one deleted. Every journal is checked first (see above); one
 * that kioku did not write is refused with a FileError and nothing is changed. Does nothing
 * when no journal is present or `dir` does not exist. Only for writers: loading never calls it.
 */
export async function recoverDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return;
    throw new FileError(`recoverDir: cannot read "${dir}" (${errorText(e)})`, { cause: e });
  }
  const plans = [];
  for (const entry of entries.filter((e) => e.startsWith(JOURNAL_PREFIX)).sort()) {
    plans.push(await planReplay(dir, entry));
  }
  for (const plan of plans) {
    if ('discard' in plan) await rm(plan.discard, { recursive: true, force: true });
    else await rollForward(dir, plan);
  }
}
