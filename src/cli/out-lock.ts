import { hostname } from 'node:os';
import type { Command } from 'commander';
import { type DirLock, LockedError, lockDir } from '../io/run-lock-node.js';
import type { CliIO } from './reporter.js';

/** Locks the `--out` of a command for this run; a stale lock of a run that died is taken over. */
export async function lockOut(out: string, command: Command, io: CliIO): Promise<DirLock> {
  let lock: DirLock;
  try {
    lock = await lockDir(out, `kioku ${commandPath(command)}`);
  } catch (e) {
    if (!(e instanceof LockedError) || e.owner === null) throw e;
    throw new LockedError(
      `--out ${out} is in use by another kioku run (pid ${e.owner.pid}${e.owner.host === hostname() ? '' : ` on host ${e.owner.host}`}, started ${e.owner.started}); wait for it to finish or choose another --out (if that run is gone, delete "${e.path}")`,
      e.path,
      e.owner,
    );
  }
  const was = lock.takenOver;
  if (was) {
    io.stderr.write(
      `kioku: warning: took over the lock of "${out}" from pid ${was.pid} (started ${was.started}), which is no longer running\n`,
    );
  }
  return lock;
}

/** `train text` for the command `text` under `train`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
