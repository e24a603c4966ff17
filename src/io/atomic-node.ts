/**
 * Crash-safe writes. A file is written to a temporary name in its own directory, flushed to
 * disk, then renamed over the target (rename is atomic within a file system), and the directory
 * is flushed so the rename itself survives a power cut. After a crash a reader sees either the
 * old complete file or the new complete file, never a mix.
 *
 * Directories (a model: config.json + model.safetensors + …) get the same guarantee:
 * - a new directory is built under a sibling temporary name and renamed into place;
 * - an existing one is updated through a journal: the new files are written and flushed into
 *   `dir/.kioku-journal-XXXX/data/`, a COMMIT record is renamed into it (the commit point), then the
 *   files are moved over the old ones. `recoverDir` (run by every write and by the model loader)
 *   finishes a committed journal and drops an uncommitted one, so an interrupted update rolls
 *   forward to the new version or back to the old one.
 * One writer per directory at a time.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KiokuError, ValueError } from '../tensor/errors.js';

/** A file or directory that could not be read or written. */
export class FileError extends KiokuError {
  override name = 'FileError';
}

const JOURNAL_PREFIX = '.kioku-journal-';
const COMMIT = 'COMMIT';
const DATA = 'data';

const suffix = () => randomBytes(6).toString('hex');

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function hasCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: string }).code ?? '');
}

/** Creates `path` (which must not exist), writes `data` and flushes it to disk. */
async function writeDurable(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a directory's entries (renames, creations). Best effort: some platforms refuse. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows cannot open or flush a directory; the rename is still atomic there.
  }
}

function checkData(data: unknown, what: string): asserts data is Uint8Array | string {
  if (!(data instanceof Uint8Array) && typeof data !== 'string') {
    throw new ValueError(`${what} must be a Uint8Array or a string, got ${typeof data}`);
  }
}

/** Writes `data` to `path` so that a crash at any moment leaves the old or the new complete file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new ValueError(`writeFileAtomic: path must be a non-empty string, got ${String(path)}`);
  }
  checkData(data, 'writeFileAtomic: data');
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${suffix()}`);
  try {
    await writeDurable(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new FileError(`writeFileAtomic: cannot write "${path}" (${errorText(e)})`, { cause: e });
  }
  await syncDir(dirname(path));
}

function checkFileName(name: string): void {
  if (!name || name === '.' || name === '..' || /[/\\]/.test(name) || name.startsWith(JOURNAL_PREFIX)) {
    throw new ValueError(`writeDirAtomic: "${name}" is not a plain file name`);
  }
}

export interface WriteDirOptions {
  /** Files to delete from an existing directory in the same commit (stale optional files). */
  remove?: string[];
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
    checkFileName(name);
    checkData(files[name], `writeDirAtomic: file "${name}"`);
  }
  const remove = (options.remove ?? []).filter((n) => !Object.hasOwn(files, n));
  remove.forEach(checkFileName);

  let exists: boolean;
  try {
    exists = (await stat(dir)).isDirectory();
    if (!exists) throw new FileError(`writeDirAtomic: "${dir}" exists and is not a directory`);
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) throw wrap(e, dir);
    exists = false;
  }
  try {
    if (!exists && (await writeFreshDir(dir, files, names))) return;
    await recoverDir(dir);
    const journal = join(dir, `${JOURNAL_PREFIX}${suffix()}`);
    await mkdir(join(journal, DATA), { recursive: true });
    for (const name of names) await writeDurable(join(journal, DATA, name), files[name]!);
    await syncDir(join(journal, DATA));
    await writeDurable(join(journal, `${COMMIT}.part`), JSON.stringify({ files: names, remove }));
    await syncDir(journal);
    await rename(join(journal, `${COMMIT}.part`), join(journal, COMMIT));
    await syncDir(journal);
    await rollForward(dir, journal, names, remove);
  } catch (e) {
    throw wrap(e, dir);
  }
}

function wrap(e: unknown, dir: string): KiokuError {
  if (e instanceof KiokuError) return e;
  return new FileError(`writeDirAtomic: cannot write "${dir}" (${errorText(e)})`, { cause: e });
}

/**
 * Builds the directory under a sibling temporary name and renames it into place. Returns false
 * when another process created `dir` meanwhile (the caller then updates it through a journal).
 */
async function writeFreshDir(dir: string, files: Record<string, Uint8Array | string>, names: string[]) {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  await removeStaleSiblings(dir);
  const tmp = join(parent, `${basename(dir)}.tmp-${suffix()}`);
  await mkdir(tmp);
  try {
    for (const name of names) await writeDurable(join(tmp, name), files[name]!);
    await syncDir(tmp);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (hasCode(e, 'ENOTEMPTY', 'EEXIST')) return false;
    throw e;
  }
  await syncDir(parent);
  return true;
}

/**
 * Deletes a directory so that a crash never leaves it half-deleted under its own name: it is first
 * renamed to a temporary sibling `<name>.tmp-XXXX` (which later cleanups remove), then deleted.
 */
export async function removeDir(dir: string): Promise<void> {
  const doomed = join(dirname(dir), `${basename(dir)}.tmp-${suffix()}`);
  try {
    await rename(dir, doomed);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    throw e;
  }
  await syncDir(dirname(dir));
  await rm(doomed, { recursive: true, force: true });
}

/** Temporary siblings `<name>.tmp-XXXX` that a crashed fresh-directory write left behind. */
async function removeStaleSiblings(dir: string): Promise<void> {
  const base = `${basename(dir)}.tmp-`;
  for (const entry of await readdir(dirname(dir))) {
    if (entry.startsWith(base) && /^[0-9a-f]{12}$/.test(entry.slice(base.length))) {
      await rm(join(dirname(dir), entry), { recursive: true, force: true });
    }
  }
}

async function rollForward(dir: string, journal: string, names: string[], remove: string[]) {
  for (const name of names) {
    try {
      await rename(join(journal, DATA, name), join(dir, name));
    } catch (e) {
      // Already moved by the run that crashed.
      if (!hasCode(e, 'ENOENT')) throw e;
    }
  }
  for (const name of remove) await rm(join(dir, name), { force: true, recursive: true });
  await syncDir(dir);
  await rm(journal, { recursive: true, force: true });
  await syncDir(dir);
}

/**
 * Completes or discards an update of `dir` that a crash interrupted: a journal with a COMMIT
 * record is rolled forward, one without is deleted. Does nothing (and writes nothing) when no
 * journal is present or `dir` does not exist.
 */
export async function recoverDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if (hasCode(e, 'ENOENT', 'ENOTDIR')) return;
    throw new FileError(`recoverDir: cannot read "${dir}" (${errorText(e)})`, { cause: e });
  }
  for (const entry of entries.filter((e) => e.startsWith(JOURNAL_PREFIX)).sort()) {
    const journal = join(dir, entry);
    let record: string | null = null;
    try {
      record = await readFile(join(journal, COMMIT), 'utf8');
    } catch (e) {
      if (!hasCode(e, 'ENOENT', 'ENOTDIR')) throw e;
    }
    if (record === null) {
      await rm(journal, { recursive: true, force: true });
      continue;
    }
    let parsed: { files?: unknown; remove?: unknown };
    try {
      parsed = JSON.parse(record) as typeof parsed;
    } catch {
      parsed = {};
    }
    const isNames = (v: unknown): v is string[] =>
      Array.isArray(v) && v.every((n) => typeof n === 'string' && !/[/\\]/.test(n) && n !== '..');
    if (!isNames(parsed.files) || !isNames(parsed.remove)) {
      throw new FileError(`recoverDir: the commit record "${join(journal, COMMIT)}" is damaged`);
    }
    await rollForward(dir, journal, parsed.files, parsed.remove);
  }
}

function checkpointPattern(prefix: string, tail = ''): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)${tail}$`);
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
  const stale = checkpointPattern(prefix, '\\.tmp-[0-9a-f]{12}');
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
