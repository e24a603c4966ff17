import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The `kioku` CLI as a real process, for what an in-process run cannot show: locks held by
 * other processes, a closed stdout pipe, kills, another user's permissions. The sources are
 * bundled once (esbuild) beside a copy of package.json and a link to node_modules, so a start
 * takes a fraction of a second instead of transpiling through tsx.
 */

let bundled: Promise<{ root: string; cli: string }> | null = null;

async function bundle(): Promise<{ root: string; cli: string }> {
  const esbuild = await import('esbuild');
  const root = await mkdtemp(join(tmpdir(), 'kioku-cli-'));
  // Readable by any user: a test may run the CLI as another one.
  await chmod(root, 0o755);
  const cli = join(root, 'dist', 'cli', 'main.mjs');
  await mkdir(join(root, 'dist', 'cli'), { recursive: true });
  await copyFile('package.json', join(root, 'package.json'));
  await symlink(join(process.cwd(), 'node_modules'), join(root, 'node_modules'), 'dir');
  await esbuild.build({
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: cli,
    logLevel: 'silent',
  });
  return { root, cli };
}

/** The bundled CLI's path (bundled on first use). */
export async function cliPath(): Promise<string> {
  bundled ??= bundle();
  return (await bundled).cli;
}

/** Removes the bundle; call from an afterAll. */
export async function removeBundle(): Promise<void> {
  if (bundled) await rm((await bundled).root, { recursive: true, force: true });
  bundled = null;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<ProcessExit>;
}

export interface StartOptions {
  /** Run as this user and group (root only). */
  uid?: number;
  gid?: number;
  /** Run through this command, the CLI's argv appended (`unshare`, …). */
  wrapper?: string[];
  /** Options for node itself, before the CLI's path (`--import hook.mjs`, …). */
  nodeArgs?: string[];
  /** Variables added to the environment. */
  env?: Record<string, string>;
}

/** Starts `kioku argv…` as a process on the JS backend. */
export async function startKioku(argv: string[], options: StartOptions = {}): Promise<Started> {
  const cli = await cliPath();
  const command = [...(options.wrapper ?? []), process.execPath, ...(options.nodeArgs ?? []), cli, ...argv];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, KIOKU_BACKEND: 'js', ...options.env },
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<ProcessExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `kioku argv…` as a process to its end. */
export async function runKioku(argv: string[], options: StartOptions = {}): Promise<ProcessExit> {
  return (await startKioku(argv, options)).done;
}
