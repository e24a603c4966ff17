/**
 * Replacing a directory as a whole (a model directory). The new version is built complete in a
 * temporary sibling `<name>.tmp-XXXX`, flushed, renamed to `<name>.new-XXXX` (the commit point)
 * and swapped in: `<name>` → `<name>.old-XXXX`, `<name>.new-XXXX` → `<name>`, then the old version
 * is deleted. Other entries of the directory are carried over: regular files as hard links made
 * before the commit, anything else (subdirectories, links) moved across after it.
 *
 * What anyone reading `<name>` sees, kioku or another tool: the complete old version or the
 * complete new one, never a mix of their files. Between the two renames of the swap `<name>` is
 * absent for an instant, and the committed `<name>.new-XXXX` holds the new version
 * ({@link readableDir} finds it). A crash leaves at worst that state; the next replaceDirAtomic
 * of `<name>` completes it. Reading never writes.
 * One writer per directory at a time; the directory must not hold the working directory.
 */
import { copyFile, link, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { KiokuError, ValueError } from '../tensor/errors.js';
import {
  checkData,
  entryKind,
  errorText,
  escapeRegExp,
  FileError,
  hasCode,
  newSuffix,
  notPlainName,
  SUFFIX_PATTERN,
  syncDir,
  writeDurable,
} from './durable-node.js';

export type DirFiles =
  | ReadonlyMap<string, Uint8Array | string>
  | Readonly<Record<string, Uint8Array | string>>;

const JOURNAL_PREFIX = '.kioku-journal-';

function entriesOf(files: DirFiles): Array<[string, Uint8Array | string]> {
  return files instanceof Map ? [...files] : Object.entries(files);
}

/** kioku's siblings of `dir` by kind (`<name>.tmp|new|old-XXXX`), real directories only, sorted. */
async function siblings(dir: string): Promise<Record<'tmp' | 'new' | 'old', string[]>> {
  const found = { tmp: [] as string[], new: [] as string[], old: [] as string[] };
  const pattern = new RegExp(`^${escapeRegExp(basename(dir))}\\.(tmp|new|old)-${SUFFIX_PATTERN}$`);
  let names: string[];
  try {
    names = await readdir(dirname(dir));
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return found;
    throw e;
  }
  for (const name of names.sort()) {
    const kind = pattern.exec(name)?.[1] as keyof typeof found | undefined;
    if (kind && (await entryKind(join(dirname(dir), name))) === 'dir')
      found[kind].push(join(dirname(dir), name));
  }
  return found;
}

/**
 * Builds `dir` (which does not exist) under a temporary sibling name and renames it into place.
 * Returns false, leaving nothing behind, when another process created `dir` meanwhile.
 */
export async function createDirAtomic(dir: string, files: DirFiles): Promise<boolean> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  for (const stale of (await siblings(dir)).tmp) await rm(stale, { recursive: true, force: true });
  const tmp = join(parent, `${basename(dir)}.tmp-${newSuffix()}`);
  await mkdir(tmp);
  try {
    for (const [name, data] of entriesOf(files)) await writeDurable(join(tmp, name), data);
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

/** Hard-links (or, where links are refused, copies) the regular files of `from` not in `skip` into `to`. */
async function linkRegularFiles(from: string, to: string, skip: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isFile() || skip.has(entry.name) || entry.name.startsWith(JOURNAL_PREFIX)) continue;
    try {
      await link(join(from, entry.name), join(to, entry.name));
    } catch {
      await copyFile(join(from, entry.name), join(to, entry.name));
    }
  }
}

/**
 * Completes a committed swap: moves the entries hard links could not carry (not regular files,
 * not in `skip`, not already in `committed`) into it, then swaps it in for `dir`.
 */
async function swapIn(dir: string, committed: string, skip: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const { name } = entry;
    if (entry.isFile() || skip.has(name) || name.startsWith(JOURNAL_PREFIX)) continue;
    if ((await entryKind(join(committed, name))) === null)
      await rename(join(dir, name), join(committed, name));
  }
  const old = join(dirname(dir), `${basename(dir)}.old-${newSuffix()}`);
  await rename(dir, old);
  await rename(committed, dir);
  await syncDir(dirname(dir));
  await rm(old, { recursive: true, force: true });
  await syncDir(dirname(dir));
}

/**
 * Completes or undoes a replacement of `dir` that a crash interrupted: a committed new version
 * is swapped in, an uncommitted one deleted, an old one left by a finished swap deleted. Only
 * kioku's own sibling names are touched, and only real directories (never through a link).
 */
export async function recoverReplace(dir: string): Promise<void> {
  const found = await siblings(dir);
  for (const tmp of found.tmp) await rm(tmp, { recursive: true, force: true });
  for (const committed of found.new) {
    const kind = await entryKind(dir);
    if (kind === null) await rename(committed, dir);
    else if (kind === 'dir') await swapIn(dir, committed, new Set());
    else throw new FileError(`"${dir}" is not a directory; "${committed}" holds its interrupted update`);
  }
  for (const old of found.old) {
    if ((await entryKind(dir)) === null) await rename(old, dir);
    else await rm(old, { recursive: true, force: true });
  }
  await syncDir(dirname(dir));
}

/** The directory to read `dir` from: `dir` itself, else the committed new version of a swap, else null. */
export async function readableDir(dir: string): Promise<string | null> {
  if (await exists(dir)) return dir;
  const committed = (await siblings(resolve(dir))).new;
  if (committed.length) return committed[committed.length - 1]!;
  // The swap's second rename may have landed between the two looks: `dir` is back.
  return (await exists(dir)) ? dir : null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) throw e;
    return false;
  }
}

/** `dir` with links resolved when it exists, else its absolute path. */
async function realTarget(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return resolve(dir);
    throw e;
  }
}

function checkArguments(dir: unknown, files: DirFiles, remove: readonly string[]): void {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`replaceDirAtomic: dir must be a non-empty string, got ${String(dir)}`);
  }
  if (typeof files !== 'object' || files === null) {
    throw new ValueError(
      `replaceDirAtomic: files must be a Map or an object of name → content, got ${String(files)}`,
    );
  }
  for (const [name, data] of entriesOf(files)) {
    const why = notPlainName(name);
    if (why) throw new ValueError(`replaceDirAtomic: "${name}" is not a plain file name (${why})`);
    checkData(data, `replaceDirAtomic: file "${name}"`);
  }
  if (!Array.isArray(remove))
    throw new ValueError('replaceDirAtomic: options.remove must be a list of file names');
  for (const name of remove) {
    const why = notPlainName(name);
    if (why) throw new ValueError(`replaceDirAtomic: "${name}" is not a plain file name (${why})`);
  }
}

/**
 * Replaces the directory `dir` by `files` (name → content) so that every reader sees the complete
 * old or the complete new set. Other entries of `dir` are kept, except the files named in `remove`.
 */
export async function replaceDirAtomic(
  dir: string,
  files: DirFiles,
  options: { remove?: readonly string[] } = {},
): Promise<void> {
  const remove = options.remove ?? [];
  checkArguments(dir, files, remove);
  try {
    await replace(dir, await realTarget(dir), files, remove);
  } catch (e) {
    if (e instanceof KiokuError) throw e;
    throw new FileError(`replaceDirAtomic: cannot write "${dir}" (${errorText(e)})`, { cause: e });
  }
}

async function replace(
  dir: string,
  target: string,
  files: DirFiles,
  remove: readonly string[],
): Promise<void> {
  if (dirname(target) === target)
    throw new ValueError(`replaceDirAtomic: cannot replace the root "${target}"`);
  await recoverReplace(target);
  const kind = await entryKind(target);
  if (kind === null && (await createDirAtomic(target, files))) return;
  if (kind !== null && kind !== 'dir')
    throw new FileError(`replaceDirAtomic: "${dir}" exists and is not a directory`);
  const cwd = process.cwd();
  if (cwd === target || cwd.startsWith(target + sep)) {
    throw new ValueError(
      `replaceDirAtomic: "${dir}" holds the working directory, which replacing it would delete; save from another directory`,
    );
  }
  const id = newSuffix();
  const building = join(dirname(target), `${basename(target)}.tmp-${id}`);
  const committed = join(dirname(target), `${basename(target)}.new-${id}`);
  const skip = new Set([...entriesOf(files).map(([name]) => name), ...remove]);
  await mkdir(building);
  try {
    for (const [name, data] of entriesOf(files)) await writeDurable(join(building, name), data);
    await linkRegularFiles(target, building, skip);
    await syncDir(building);
    await rename(building, committed);
  } catch (e) {
    await rm(building, { recursive: true, force: true });
    throw e;
  }
  await syncDir(dirname(target));
  await swapIn(target, committed, skip);
}
