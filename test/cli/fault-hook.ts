import { appendFileSync } from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

/**
 * Loaded with `node --import` into a kioku process by the crash tests (bundled by them first):
 * numbers the file-system calls that change anything under one directory and stops the process
 * for good at the n-th, so that a SIGKILL lands at a chosen point of a write. A file write counts
 * three times (before its first byte, after its first half, before its flush), so a kill can
 * also leave a half-written file behind. Without KIOKU_FAULT_AT nothing changes but the log.
 *
 * KIOKU_FAULT_DIR: the directory watched (a prefix of the paths).
 * KIOKU_FAULT_AT: the call to stop at, 1-based (absent or 0: never).
 * KIOKU_FAULT_LOG: a file each watched call is appended to as `n op path`, then `paused n`.
 */

const dir = process.env.KIOKU_FAULT_DIR ?? '';
const at = Number(process.env.KIOKU_FAULT_AT ?? 0);
const log = process.env.KIOKU_FAULT_LOG;
let calls = 0;

const watched = (path: unknown): boolean => dir !== '' && String(path).startsWith(dir);

/** Counts a call; at the chosen one, says so in the log and never returns (timers keep Node alive). */
async function point(op: string, path: unknown): Promise<void> {
  calls++;
  if (log) appendFileSync(log, `${calls} ${op} ${String(path)}\n`);
  if (calls !== at) return;
  if (log) appendFileSync(log, `paused ${calls}\n`);
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}

function watchHandle(fh: FileHandle, path: unknown): FileHandle {
  const writeFile = fh.writeFile.bind(fh);
  const sync = fh.sync.bind(fh);
  fh.writeFile = async (data: string | Uint8Array) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const half = bytes.length >> 1;
    await point('write', path);
    await writeFile(bytes.subarray(0, half));
    await point('write-half', path);
    await writeFile(bytes.subarray(half));
  };
  fh.sync = async () => {
    await point('sync', path);
    await sync();
  };
  return fh;
}

const { open, rename, rm, mkdir } = fsp;
const patched: Partial<typeof fsp> = {
  async open(path, flags, mode) {
    const writes = typeof flags === 'string' && /[wax+]/.test(flags);
    if (!writes || !watched(path)) return open(path, flags, mode);
    await point('open', path);
    return watchHandle(await open(path, flags, mode), path);
  },
  async rename(from, to) {
    if (watched(from) || watched(to)) await point('rename', `${String(from)} -> ${String(to)}`);
    return rename(from, to);
  },
  async rm(path, options) {
    if (watched(path)) await point('rm', path);
    return rm(path, options);
  },
  mkdir: (async (path: Parameters<typeof mkdir>[0], options?: Parameters<typeof mkdir>[1]) => {
    if (watched(path)) await point('mkdir', path);
    return mkdir(path, options);
  }) as typeof mkdir,
};
Object.assign(fsp, patched);
syncBuiltinESMExports();
