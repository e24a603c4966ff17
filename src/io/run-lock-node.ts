/**
 * A lock on an output directory, so that two kioku runs never write into the same one at once.
 *
 * The lock is the file `<dir>/.kioku-lock` holding its owner's pid, host and start time. It is
 * written complete under a temporary name and hard-linked into place, which fails when the lock
 * exists: creation is exclusive and nobody reads a half-written lock. A lock whose owner died on
 * this host (its pid is gone) is stale and taken over; the caller is told whose it was.
 */
import { constants, unlinkSync } from 'node:fs';
import { access, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileError, hasCode, newSuffix } from './durable-node.js';

export const LOCK_FILE = '.kioku-lock';
/** Tries before giving up on a lock that keeps changing hands. */
const ATTEMPTS = 5;

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  /** When the owner took the lock (ISO 8601). */
  started: string;
  /** What the owner runs, for people reading the file. */
  command?: string;
}

/** A directory another live run holds the lock of. */
export class LockedError extends FileError {
  override name = 'LockedError';
  readonly owner: LockOwner | null;
  readonly path: string;

  constructor(message: string, path: string, owner: LockOwner | null) {
    super(message);
    this.path = path;
    this.owner = owner;
  }
}

export interface DirLock {
  /** The lock file. */
  path: string;
  /** The owner of a stale lock that was taken over, else null. */
  takenOver: LockOwner | null;
  /** Removes the lock (if it is still this one). */
  release(): Promise<void>;
}

function isOwner(v: unknown): v is LockOwner {
  const o = v as LockOwner;
  return (
    typeof o === 'object' &&
    o !== null &&
    Number.isSafeInteger(o.pid) &&
    typeof o.host === 'string' &&
    typeof o.started === 'string'
  );
}

const sameOwner = (a: LockOwner, b: LockOwner): boolean =>
  a.pid === b.pid && a.host === b.host && a.started === b.started;

/** The lock's owner; null when the file is gone; 'unreadable' when it holds no owner. */
async function readOwner(path: string): Promise<LockOwner | null | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return null;
    throw e;
  }
  try {
    const owner: unknown = JSON.parse(text);
    return isOwner(owner) ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether process `pid` exists (on this host). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !hasCode(e, 'ESRCH');
  }
}

/** Creates the lock holding `me`; false when a lock exists. */
async function create(path: string, me: LockOwner): Promise<boolean> {
  const tmp = `${path}.tmp-${newSuffix()}`;
  try {
    // Not flushed to disk: after a power cut the lock would be stale anyway.
    await writeFile(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx' });
    await link(tmp, path);
    return true;
  } catch (e) {
    if (hasCode(e, 'EEXIST')) return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Removes the stale lock of `owner`. It is first renamed aside, then checked: when another process
 * replaced it meanwhile by a live lock, that lock is put back. False when the lock was not removed.
 */
async function takeOver(path: string, owner: LockOwner): Promise<boolean> {
  const aside = `${path}.stale-${newSuffix()}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return false;
    throw e;
  }
  const moved = await readOwner(aside);
  const stale = moved !== null && moved !== 'unreadable' && sameOwner(moved, owner);
  if (!stale) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
  return stale;
}

function busy(dir: string, path: string, owner: LockOwner | 'unreadable'): LockedError {
  if (owner === 'unreadable') {
    return new LockedError(
      `"${dir}" is locked by "${path}", which names no owner; if no kioku run is writing into "${dir}", delete that file`,
      path,
      null,
    );
  }
  const where = owner.host === hostname() ? '' : ` on host ${owner.host}`;
  return new LockedError(
    `"${dir}" is in use by another kioku run (pid ${owner.pid}${where}, started ${owner.started}); wait for it to finish or choose another directory (if that run is gone, delete "${path}")`,
    path,
    owner,
  );
}

function held(path: string, me: LockOwner, takenOver: LockOwner | null): DirLock {
  const ours = async () => {
    const owner = await readOwner(path).catch(() => null);
    return owner !== null && owner !== 'unreadable' && sameOwner(owner, me);
  };
  // A process that exits without releasing (process.exit on a closed pipe, a second Ctrl-C)
  // still removes its lock.
  const onExit = () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    path,
    takenOver,
    async release() {
      process.removeListener('exit', onExit);
      if (await ours()) await rm(path, { force: true });
    },
  };
}

/**
 * Creates `dir` and its parents. Node's recursive mkdir reports ENOENT where the parent is on a
 * read-only file system; a plain mkdir then gives the real cause (EROFS).
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) throw e;
    await mkdir(dir);
  }
}

/**
 * Locks `dir` (created if needed) for this process. Throws {@link LockedError} naming the owner
 * when another live process holds it; takes over a lock left by a dead process on this host.
 */
export async function lockDir(dir: string, command?: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    ...(command !== undefined ? { command } : {}),
  };
  await makeDir(dir);
  // A directory kioku may not write into fails here, naming it, not the lock's temporary file.
  await access(dir, constants.W_OK);
  let takenOver: LockOwner | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await create(path, me)) return held(path, me, takenOver);
    const owner = await readOwner(path);
    if (owner === null) continue;
    if (owner === 'unreadable' || owner.host !== me.host || alive(owner.pid)) throw busy(dir, path, owner);
    if (await takeOver(path, owner)) takenOver = owner;
  }
  throw new FileError(`cannot lock "${dir}": "${path}" kept changing hands; try again`);
}
