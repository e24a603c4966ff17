/**
 * The building blocks of kioku's crash-safe writes (atomic-node.ts, journal-node.ts,
 * dir-swap-node.ts): durable file creation, directory flushes, and the checks on names that a
 * write may touch.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import { KiokuError, ValueError } from '../tensor/errors.js';

/** A file or directory that could not be read or written. */
export class FileError extends KiokuError {
  override name = 'FileError';
}

/** The random part of kioku's temporary names: 12 hex digits. */
export const newSuffix = (): string => randomBytes(6).toString('hex');
export const SUFFIX_PATTERN = '[0-9a-f]{12}';

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function hasCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: string }).code ?? '');
}

/** Escapes `s` for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Creates `path` (which must not exist), writes `data` and flushes it to disk. */
export async function writeDurable(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a directory's entries (renames, creations). Best effort: some platforms refuse. */
export async function syncDir(dir: string): Promise<void> {
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

export function checkData(data: unknown, what: string): asserts data is Uint8Array | string {
  if (!(data instanceof Uint8Array) && typeof data !== 'string') {
    throw new ValueError(`${what} must be a Uint8Array or a string, got ${typeof data}`);
  }
}

/**
 * Why `name` is not a plain file name inside a directory (empty, "." or "..", a path separator,
 * a NUL, or one of kioku's reserved `.kioku-` names), or null when it is one.
 */
export function notPlainName(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'it is not a non-empty string';
  if (name === '.' || name === '..') return `"${name}" names a directory, not a file in it`;
  if (/[/\\\0]/.test(name)) return 'it holds a path separator or NUL';
  if (name.startsWith('.kioku-')) return 'names starting with ".kioku-" are kioku\'s own';
  return null;
}

/** The entry at `path` without following a link: 'file', 'dir', 'link', 'other', or null when absent. */
export async function entryKind(path: string): Promise<'file' | 'dir' | 'link' | 'other' | null> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) return 'link';
    if (st.isFile()) return 'file';
    return st.isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return null;
    throw e;
  }
}
