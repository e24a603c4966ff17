import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic-node.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { Generator } from '../../src/tensor/random.js';
import { type ProcessExit, removeBundle, runKioku, type Started, startKioku } from './cli-process.js';

/**
 * `kioku train` killed with SIGKILL at seeded random moments, then resumed: every checkpoint
 * left behind loads, and the run that was killed and resumed again and again ends with the
 * same weights, byte for byte, as one that ran through.
 */

/**
 * Starts a training run; `started` resolves when it prints the data summary, which comes just
 * before training begins (or when the run ends first).
 */
async function startTraining(argv: string[]): Promise<Started & { started: Promise<void> }> {
  const run = await startKioku(argv);
  let stderr = '';
  const started = new Promise<void>((resolve) => {
    run.child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/ rows, /.test(stderr)) resolve();
    });
    void run.done.then(() => resolve());
  });
  return { ...run, started };
}

/** A small daily series: a yearly wave, a weekly wave and seeded noise. */
function seriesCsv(rows: number): string {
  const g = new Generator(7);
  const lines = ['date,load,temp'];
  const day0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i++) {
    const date = new Date(day0 + i * 86_400_000).toISOString().slice(0, 10);
    const temp = 10 + 8 * Math.sin((2 * Math.PI * i) / 365) + g.normal();
    const load = 50 + 5 * Math.sin((2 * Math.PI * i) / 7) - 0.8 * temp + g.normal();
    lines.push(`${date},${load.toFixed(3)},${temp.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Every checkpoint loads as a model directory with a training state; so does the model if saved. */
async function checkLoads(out: string): Promise<number> {
  const all = await listCheckpoints(join(out, 'checkpoints'));
  // keep = 2, plus one when the kill lands between writing a checkpoint and pruning the oldest.
  expect(all.length).toBeLessThanOrEqual(3);
  for (const dir of all) {
    const loaded = await loadModelDir(dir);
    expect(loaded.trainingState, dir).toBeDefined();
    expect(Object.keys(loaded.tensors).length).toBeGreaterThan(0);
  }
  if (existsSync(join(out, 'model'))) await loadModelDir(join(out, 'model'));
  return all.length;
}

let root: string;
let data: string;
/** The uninterrupted run everything is compared with, started once for all tests. */
let reference: Promise<ProcessExit>;
const args = (out: string, ...more: string[]) => [
  'train',
  'series',
  '--data',
  data,
  '--target',
  'load',
  '--lookback',
  '8',
  '--hidden',
  '6',
  '--epochs',
  '16',
  '--batch',
  '16',
  '--checkpoint-every',
  '3',
  '--seed',
  '3',
  '--out',
  out,
  ...more,
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-crash-'));
  data = join(root, 'series.csv');
  await writeFile(data, seriesCsv(500));
  reference = runKioku(args(join(root, 'reference')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await removeBundle();
});

// The tests start processes of their own and wait on them, so they run side by side.
describe.concurrent('kioku train under SIGKILL', () => {
  it('leaves loadable checkpoints after every kill and resumes to bit-identical weights', async () => {
    const out = join(root, 'killed');
    const rng = new Generator(2024);
    let kills = 0;
    let resumed = 0;
    // Until ten kills, five of them of resumed runs (a loaded machine reaches the first checkpoint later).
    for (let attempt = 0; (kills < 10 || resumed < 5) && attempt < 40; attempt++) {
      const hasCheckpoint = (await listCheckpoints(join(out, 'checkpoints'))).length > 0;
      const run = await startTraining(args(out, ...(hasCheckpoint ? ['--resume'] : [])));
      if (hasCheckpoint) resumed++;
      await run.started;
      // A seeded moment within the next 0.4 s of training: short enough that 16 epochs outlast
      // ten kills on a fast machine.
      const delay = Math.floor(rng.random() * 400);
      await new Promise((r) => setTimeout(r, delay));
      const killed = run.child.kill('SIGKILL');
      const exit = await run.done;
      if (exit.signal === 'SIGKILL' && killed) kills++;
      else expect(exit.code, exit.stderr).toBe(0);
      await checkLoads(out);
      if (exit.code === 0) break;
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(resumed).toBeGreaterThanOrEqual(5);
    const last = await runKioku(args(out, '--resume'));
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/resuming from /);
    const ref = await reference;
    expect(ref.code, ref.stderr).toBe(0);
    expect(await checkLoads(out)).toBe(2);
    const a = await readFile(join(root, 'reference', 'model', 'model.safetensors'));
    const b = await readFile(join(out, 'model', 'model.safetensors'));
    expect(b.length).toBe(a.length);
    expect(Buffer.compare(a, b)).toBe(0);
    const history = (dir: string) =>
      readFile(join(dir, 'history.json'), 'utf8').then((s) => JSON.parse(s) as Record<string, unknown>);
    expect(await history(out)).toEqual(await history(join(root, 'reference')));
  }, 90_000);

  it('resumes after a finished epoch to the same bytes as an uninterrupted run', async () => {
    // Two epochs, then --resume up to sixteen, against sixteen in one go: the epoch-end state
    // (optimizer, scheduler, RNG, data order, early-stopping best) carries everything over.
    const out = join(root, 'two-then-all');
    const first = await runKioku(args(out).map((a, i, all) => (all[i - 1] === '--epochs' ? '2' : a)));
    expect(first.code, first.stderr).toBe(0);
    const second = await runKioku(args(out, '--resume'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming from .*checkpoint-\d+ \(epoch 2 done\)/);
    expect((await reference).code).toBe(0);
    const ref = join(root, 'reference', 'model', 'model.safetensors');
    expect(Buffer.compare(await readFile(ref), await readFile(join(out, 'model', 'model.safetensors')))).toBe(
      0,
    );
  }, 90_000);

  it('refuses to resume with different options or without a checkpoint', async () => {
    expect((await reference).code).toBe(0);
    const out = join(root, 'reference');
    const r = await runKioku(args(out, '--resume', '--lr', '0.01'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^kioku: --resume .*: the checkpoint was trained with --lr 0\.003, this run has 0\.01/,
    );
    const [older] = await listCheckpoints(join(out, 'checkpoints'));
    const stale = await runKioku(args(out, '--resume', older!));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/is newer than the checkpoint resumed/);
    const none = await runKioku(args(join(root, 'empty'), '--resume'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no checkpoint to resume/);
  }, 90_000);
});
