import { join } from 'node:path';
import { CommanderError } from 'commander';
import { listCheckpoints } from '../io/atomic-node.js';
import { KiokuError } from '../tensor/errors.js';
import { NonFiniteError } from '../train/non-finite.js';
import type { CliIO } from './reporter.js';

/** How a failed command is reported: one line on stderr and an exit code. */

/** Exit codes: 0 success, 1 a kioku error (bad data, bad model…), 2 bad usage, 3 an unexpected failure. */
export const EXIT = { ok: 0, error: 1, usage: 2, internal: 3 } as const;

/** The longest error line printed: a message quoting huge input is cut (quotes are capped already). */
const MAX_LINE = 4000;

export function oneLine(s: string): string {
  const line = s.replace(/\s*\n\s*/g, ' ').trim();
  return line.length <= MAX_LINE ? line : `${line.slice(0, MAX_LINE)}… (${line.length} characters)`;
}

/** The CLI's line for a NonFiniteError: where the last good weights are, with the run's real paths. */
async function nonFiniteMessage(e: NonFiniteError, out: string | undefined): Promise<string> {
  const what = `the ${e.quantity} became ${e.value} at epoch ${e.epoch}, batch ${e.batch}; training stopped`;
  const advice = '(lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)';
  if (out === undefined) return `${what} ${advice}`;
  const dir = join(out, 'checkpoints');
  const saved = (await listCheckpoints(dir).catch(() => [])).length > 0;
  return saved
    ? `${what}, and the checkpoints in ${dir} keep the last good weights ${advice}`
    : `${what} before the first checkpoint was written to ${dir} ${advice}`;
}

/** System errors that are the user's to fix, and the advice for each (with and without --out). */
const FILE_PROBLEMS: Record<string, { what: string; out: string; other: string }> = {
  EACCES: {
    what: 'permission denied',
    out: 'choose an --out that kioku may write to, or grant write permission there',
    other: 'check the permissions of the path',
  },
  EPERM: {
    what: 'operation not permitted',
    out: 'choose an --out that kioku may write to, or grant write permission there',
    other: 'check the permissions of the path',
  },
  EROFS: {
    what: 'read-only file system',
    out: 'choose an --out on a writable file system',
    other: 'the file system is mounted read-only',
  },
  ENOSPC: {
    what: 'no space left on the device',
    out: 'free some space, or choose an --out on another disk',
    other: 'free some space',
  },
  EDQUOT: {
    what: 'disk quota exceeded',
    out: 'free some space, or choose an --out on another disk',
    other: 'free some space',
  },
};
const VERBS: Record<string, string> = {
  access: 'write into',
  mkdir: 'create',
  link: 'create',
  unlink: 'delete',
  rmdir: 'delete',
  scandir: 'list',
};

/** A line for an error (or one it wraps) from the file system that the user can fix; else null. */
function fileProblem(e: unknown, out: string | undefined): string | null {
  for (let c = e as NodeJS.ErrnoException | undefined; c; c = c.cause as NodeJS.ErrnoException | undefined) {
    const p = FILE_PROBLEMS[c.code ?? ''];
    if (p === undefined || typeof c.path !== 'string') continue;
    const verb = VERBS[c.syscall ?? ''] ?? c.syscall ?? 'access';
    return `cannot ${verb} "${c.path}": ${p.what} (${c.code}); ${out !== undefined ? p.out : p.other}`;
  }
  return null;
}

/** One line on stderr for a failed command (with the stack under --debug); returns the exit code. */
export async function failure(
  e: unknown,
  io: CliIO,
  debug: boolean,
  out: string | undefined,
): Promise<number> {
  if (e instanceof CommanderError) {
    const fine = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code);
    return fine ? EXIT.ok : EXIT.usage;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let line: string;
  let code: number = EXIT.error;
  const problem = fileProblem(e, out);
  if (e instanceof NonFiniteError) line = await nonFiniteMessage(e, out);
  else if (problem !== null) line = problem;
  else if (e instanceof KiokuError) line = oneLine(e.message);
  else {
    line = `unexpected error: ${oneLine(err.message)}${debug ? '' : ' (run with --debug for details)'}`;
    code = EXIT.internal;
  }
  io.stderr.write(`kioku: ${oneLine(line)}\n`);
  if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
  return code;
}
