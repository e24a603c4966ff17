/**
 * Reading a file that kioku did not necessarily write, without trusting it: only a regular file
 * is read. A link to /dev/zero, a FIFO, a socket or a directory is refused from the opened
 * descriptor's own type before a byte is read (O_NONBLOCK, so opening a FIFO cannot hang), the
 * size is checked against a cap, and exactly that many bytes are read.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { FileError } from './durable-node.js';

/** Why a file could not be read: `reason` completes a sentence that starts with the quoted path. */
export class UnreadableFileError extends FileError {
  override name = 'UnreadableFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`"${path}" ${reason}`, options);
  }
}

export interface ReadRegularFileOptions {
  /** The largest size accepted, in bytes. */
  maxBytes: number;
  /** Refuse a symbolic link instead of following it (files inside a directory kioku reads). */
  noFollow?: boolean;
}

/** O_NOFOLLOW and O_NONBLOCK where the platform has them (Windows has neither, nor FIFOs). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCK = constants.O_NONBLOCK ?? 0;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

const LINK_REASON = 'is a symbolic link; kioku reads only regular files here, never a link';

async function openFile(path: string, noFollow: boolean) {
  if (noFollow && NO_FOLLOW === 0 && (await lstat(path)).isSymbolicLink()) {
    throw new UnreadableFileError(path, LINK_REASON, 'ELOOP');
  }
  try {
    return await open(path, constants.O_RDONLY | NON_BLOCK | (noFollow ? NO_FOLLOW : 0));
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'EIO';
    if (noFollow && (code === 'ELOOP' || code === 'EMLINK')) {
      throw new UnreadableFileError(path, LINK_REASON, 'ELOOP', { cause: e });
    }
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be opened (${(e as Error).message})`;
    throw new UnreadableFileError(path, reason, code, { cause: e });
  }
}

/** Reads the regular file at `path` whole; throws {@link UnreadableFileError} otherwise. */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Uint8Array> {
  const fh = await openFile(path, options.noFollow ?? false);
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new UnreadableFileError(
        path,
        `is ${kindOf(st)}, not a regular file; kioku reads only regular files`,
        'ENOTREG',
      );
    }
    if (st.size > options.maxBytes) {
      throw new UnreadableFileError(
        path,
        `is ${st.size} bytes, more than the ${options.maxBytes} bytes kioku reads for this file`,
        'EFBIG',
      );
    }
    const out = new Uint8Array(st.size);
    for (let at = 0; at < out.length; ) {
      const { bytesRead } = await fh.read(out, at, out.length - at, at);
      if (bytesRead === 0) {
        throw new UnreadableFileError(
          path,
          `shrank from ${st.size} to ${at} bytes while it was read`,
          'EAGAIN',
        );
      }
      at += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}
