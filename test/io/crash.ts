import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { versionTensors } from './crash-versions.js';

/** The crash writer (crash-writer.ts) as a child process, and the last version it finished. */
function spawnWriter(args: string[], first: number): { child: ChildProcess; done: () => number } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let done = first - 1;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) done = Number(l);
  });
  return { child, done: () => done };
}

/** Starts the crash writer and resolves with it once it has finished `after` versions. */
export function startWriter(mode: 'file' | 'dir', path: string, first: number, after: number) {
  const writer = spawnWriter([mode, path, String(first)], first);
  return new Promise<{ child: ChildProcess; done: () => number }>((resolve, reject) => {
    writer.child.stdout!.on('data', () => {
      if (writer.done() >= first + after - 1) resolve(writer);
    });
    writer.child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`crash writer exited early (${code ?? signal})`));
    });
  });
}

/** Kills `child` with SIGKILL after `ms` milliseconds and waits for it to exit. */
export async function killAt(child: ChildProcess, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Runs the crash writer in `dir` mode from version `first` until it kills itself just before
 * its `op`-th file operation; resolves with the last version it finished.
 */
export function runKilledAt(path: string, first: number, op: number): Promise<number> {
  const writer = spawnWriter(['dir', path, String(first), String(op)], first);
  return new Promise((resolve, reject) => {
    writer.child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(writer.done());
      else reject(new Error(`crash writer exited with ${code ?? signal}, not killed`));
    });
  });
}

/** Checks a version-k weight set: every value equals k and the shapes are version k's. */
export function expectVersion(
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>,
  k: number,
): void {
  const want = versionTensors(k);
  expect(tensors.w!.shape).toEqual(want.w.shape);
  expect(tensors.b!.shape).toEqual(want.b.shape);
  expect(Array.from(tensors.w!.data).every((v) => v === k)).toBe(true);
}
