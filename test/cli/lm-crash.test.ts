import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic-node.js';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { type ProcessExit, removeBundle, runKioku, type StartOptions, startKioku } from './cli-process.js';

/**
 * `kioku train lm` killed with SIGKILL, then `--resume`d: what is on disk after the kill is
 * complete, and the resumed run ends with the same files as one that ran through (the in-process
 * equality is test/lm/resume.test.ts; this is the process and its files). Kills land after the
 * first checkpoint (waiting on its directory), and at every file-system call of a checkpoint
 * write, a half-written file included, through test/cli/fault-hook.ts.
 */

let root: string;
let book: string;
let hook: string;
let reference: string;

/** About a second of training on a quiet machine: 86 steps, a checkpoint every 10. */
const args = (out: string, ...more: string[]) => [
  'train',
  'lm',
  '--data',
  book,
  ...['--embed', '8', '--hidden', '16', '--batch', '8', '--bptt', '16', '--dropout', '0.2'],
  ...['--epochs', '2', '--ngram', '0', '--lr', '0.01', '--seed', '3', '--checkpoint-every', '10'],
  '--out',
  out,
  ...more,
];

/** Bundles the fault hook into `root` for `node --import`. */
async function bundleHook(): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = join(root, 'fault-hook.mjs');
  await esbuild.build({
    entryPoints: ['test/cli/fault-hook.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** Options that load the fault hook watching `dir`, stopping at call `at` (0: never). */
function faults(dir: string, at: number, log: string): StartOptions {
  return {
    nodeArgs: ['--import', hook],
    env: { KIOKU_FAULT_DIR: dir, KIOKU_FAULT_AT: String(at), KIOKU_FAULT_LOG: log },
  };
}

/** Whether the hook logging to `log` has stopped its process at call `at`. */
const pausedAt = (log: string, at: number) => async () =>
  existsSync(log) && (await readFile(log, 'utf8')).includes(`paused ${at}\n`);

/** Polls until `ready()` holds or the process exits; true when it held. */
async function waitFor(ready: () => Promise<boolean>, exited: { done: boolean }): Promise<boolean> {
  while (!exited.done) {
    if (await ready()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return ready();
}

/** Starts a run, kills it with SIGKILL once `ready()` holds, and returns how it ended. */
async function killWhen(argv: string[], ready: () => Promise<boolean>, options: StartOptions = {}) {
  const run = await startKioku(argv, options);
  const exited = { done: false };
  const done = run.done.then((e) => {
    exited.done = true;
    return e;
  });
  const held = await waitFor(ready, exited);
  run.child.kill('SIGKILL');
  const exit: ProcessExit = await done;
  expect(held, `the run ended before the moment to kill it came: ${exit.stderr}`).toBe(true);
  expect(exit.signal, exit.stderr).toBe('SIGKILL');
  return exit;
}

/** Every checkpoint in `out` loads whole, with its training state; returns their steps. */
async function loadableCheckpoints(out: string): Promise<number[]> {
  const dirs = await listCheckpoints(join(out, 'checkpoints'));
  for (const dir of dirs) {
    const loaded = await loadModelDir(dir);
    expect(loaded.trainingState, dir).toBeDefined();
    expect(Object.keys(loaded.tensors).sort(), dir).toEqual(
      Object.keys((await loadModelDir(join(reference, 'model'))).tensors).sort(),
    );
  }
  return dirs.map((d) => Number(d.slice(d.lastIndexOf('-') + 1)));
}

const bytes = (dir: string, file: string) => readFile(join(dir, file));
const historyOf = async (dir: string) => {
  const { seconds: _seconds, ...h } = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
  return h as Record<string, unknown>;
};

/**
 * The entries of `dir` and the names inside its subdirectories, kioku's random suffixes made
 * XXXX: the state of a checkpoint folder as a resume can tell it apart.
 */
async function layoutOf(dir: string): Promise<string> {
  const entries: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const inside = (await stat(join(dir, name))).isDirectory() ? (await readdir(join(dir, name))).sort() : [];
    entries.push(`${name.replace(/-[0-9a-f]{12}$/, '-XXXX')}[${inside.join(',')}]`);
  }
  return entries.join(' ');
}

/** A model's config.json but the training's duration. */
const configOf = async (dir: string) => {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  delete config.training.seconds;
  return config as Record<string, unknown>;
};

/** `--resume` runs `out` to its end: the model, the last checkpoint and the history are the reference's. */
async function resumeToTheEnd(out: string): Promise<string> {
  const r = await runKioku(args(out, '--resume'));
  expect(r.code, r.stderr).toBe(0);
  const last = 'checkpoints/checkpoint-86';
  for (const file of [
    'model/model.safetensors',
    `${last}/model.safetensors`,
    `${last}/optimizer.safetensors`,
  ]) {
    expect(Buffer.compare(await bytes(out, file), await bytes(reference, file)), file).toBe(0);
  }
  expect(await configOf(join(out, 'model'))).toEqual(await configOf(join(reference, 'model')));
  expect(await historyOf(out)).toEqual(await historyOf(reference));
  // Nothing a killed write left behind stays: the same two checkpoints as the reference's.
  const names = (dir: string) => readdir(join(dir, 'checkpoints')).then((n) => n.sort());
  expect(await names(out)).toEqual(await names(reference));
  return r.stderr;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-lm-crash-'));
  const moby = await loadMobyDick();
  const start = moby.indexOf('Call me Ishmael');
  book = join(root, 'book.txt');
  await writeFile(book, moby.slice(start, start + 6000));
  hook = await bundleHook();
  reference = join(root, 'reference');
  const r = await runKioku(args(reference));
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await removeBundle();
  await rm(root, { recursive: true, force: true });
});

describe('kioku train lm under SIGKILL', () => {
  it('resumes after a kill past the first checkpoint to the files of an uninterrupted run', async () => {
    const out = join(root, 'killed');
    const first = join(out, 'checkpoints', 'checkpoint-10');
    await killWhen(args(out), async () => existsSync(first));
    const steps = await loadableCheckpoints(out);
    expect(steps[0]).toBeGreaterThanOrEqual(10);
    expect(steps.at(-1)).toBeLessThan(86);
    const stderr = await resumeToTheEnd(out);
    expect(stderr).toContain(`resuming from ${join(out, 'checkpoints', `checkpoint-${steps.at(-1)}`)}`);
  }, 120_000);

  it('keeps the previous checkpoints whole when killed at any point of a checkpoint write', async () => {
    // The calls of the third checkpoint's write, from the run that ran through with the hook
    // logging: building checkpoint-30, renaming it into place, removing checkpoint-10.
    const log = join(root, 'calls.log');
    const logged = await runKioku(
      args(join(root, 'logged')),
      faults(join(root, 'logged', 'checkpoints'), 0, log),
    );
    expect(logged.code, logged.stderr).toBe(0);
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    const firstCall = calls.findIndex((c) => / mkdir .*\/checkpoint-30\.tmp-\w+$/.test(c)); // 1-based: the mkdir before it
    const lastCall = calls.findIndex((c) => / rm .*\/checkpoint-10\.tmp-\w+$/.test(c)) + 1;
    expect(calls[firstCall - 1]).toMatch(/ mkdir .*checkpoints$/);
    expect(calls[lastCall - 2]).toMatch(/ rename .*checkpoint-10 -> .*checkpoint-10\.tmp-\w+$/);
    expect(calls.slice(firstCall - 1, lastCall).filter((c) => / write-half /.test(c))).toHaveLength(4);
    const resumed = new Set<string>();
    for (let at = firstCall; at <= lastCall; at++) {
      const out = join(root, `paused-${at}`);
      const pauses = join(root, `paused-${at}.log`);
      await killWhen(args(out), pausedAt(pauses, at), faults(join(out, 'checkpoints'), at, pauses));
      const steps = await loadableCheckpoints(out);
      const layout = await layoutOf(join(out, 'checkpoints'));
      // checkpoint-20 is always there; 10 until its removal, 30 once renamed into place.
      expect(steps, calls[at - 1]).toContain(20);
      expect(
        steps.every((s) => [10, 20, 30].includes(s)),
        calls[at - 1],
      ).toBe(true);
      // A resume sees names, not contents: once per layout is enough (a half-written file and a
      // whole one in a temporary directory are alike to it).
      if (!resumed.has(layout)) {
        resumed.add(layout);
        const stderr = await resumeToTheEnd(out);
        const newest = join(out, 'checkpoints', `checkpoint-${Math.max(...steps)}`);
        expect(stderr, calls[at - 1]).toContain(`resuming from ${newest} `);
      }
      await rm(out, { recursive: true, force: true });
    }
    // Before and after the mkdir, each file created, the renames (checkpoint-30 in, checkpoint-10 out).
    expect([...resumed].length).toBeGreaterThanOrEqual(8);
  }, 600_000);

  it('keeps the best weights when killed while saving the model at the end', async () => {
    // Without dropout at --lr 0.1 for 4 epochs validation is best after epoch 3: the model is not
    // the last checkpoint's weights. (The later flags override those of args.)
    const settings = ['--dropout', '0', '--lr', '0.1', '--epochs', '4'];
    const best = join(root, 'best-reference');
    const r = await runKioku([...args(best), ...settings]);
    expect(r.code, r.stderr).toBe(0);
    const { valNats } = JSON.parse(await readFile(join(best, 'history.json'), 'utf8')) as {
      valNats: number[];
    };
    expect(valNats.indexOf(Math.min(...valNats))).toBe(2);
    const last = 'checkpoints/checkpoint-172/model.safetensors';
    expect(Buffer.compare(await bytes(best, 'model/model.safetensors'), await bytes(best, last))).not.toBe(0);
    // The model directory's calls: 8 is half of model.safetensors written, 10 the rename into place.
    for (const [at, call] of [
      [8, /^8 write-half .*\/model\.tmp-\w+\/model\.safetensors$/m],
      [10, /^10 rename .*\/model\.tmp-\w+ -> .*\/model$/m],
    ] as const) {
      const out = join(root, `model-${at}`);
      const log = join(root, `model-${at}.log`);
      await killWhen([...args(out), ...settings], pausedAt(log, at), faults(join(out, 'model'), at, log));
      expect(await readFile(log, 'utf8')).toMatch(call);
      expect(existsSync(join(out, 'model'))).toBe(false);
      const resumed = await runKioku([...args(out), ...settings, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`resuming from ${join(out, 'checkpoints', 'checkpoint-172')} `);
      const model = 'model/model.safetensors';
      expect(Buffer.compare(await bytes(out, model), await bytes(best, model))).toBe(0);
      expect(await configOf(join(out, 'model'))).toEqual(await configOf(join(best, 'model')));
      expect((await readdir(out)).filter((n) => n.startsWith('model'))).toEqual(['model']);
    }
  }, 120_000);
});
