import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic-node.js';
import { LSTM } from '../../src/nn/rnn.js';
import { Adam } from '../../src/optim/adam.js';
import { resumeFromCheckpoint } from '../../src/train/checkpoint-node.js';
import { kioku, tinySeriesTraining } from '../helpers/cli.js';

/**
 * `--resume` when the newest checkpoint is damaged (weights cut short, a training-state.json
 * field of the wrong kind): the newest checkpoint that can be resumed is used, the run says which
 * it passed over and why, and moves that one aside (kept) so that it is never resumed again.
 */

let root: string;
let data: string;
/** A finished run with three checkpoints (after epochs 1, 2 and 3), copied for each test. */
let pristine: string;
const args = (out: string, epochs: number, ...more: string[]) =>
  tinySeriesTraining(
    data,
    out,
    { hidden: 3, epochs, quiet: false },
    '--keep-checkpoints',
    '3',
    '--seed',
    '2',
    ...more,
  );

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-fallback-'));
  data = join(root, 'series.csv');
  const rows = Array.from({ length: 150 }, (_, i) => {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    return `${date},${(20 + 4 * Math.sin(i / 2)).toFixed(3)}`;
  });
  await writeFile(data, `date,y\n${rows.join('\n')}\n`);
  pristine = join(root, 'pristine');
  const r = await kioku(...args(pristine, 3, '--quiet'));
  expect(r.code, r.stderr).toBe(0);
  expect(await listCheckpoints(join(pristine, 'checkpoints'))).toHaveLength(3);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copyRun(name: string): Promise<{ out: string; checkpoints: string[] }> {
  const out = join(root, name);
  await cp(pristine, out, { recursive: true });
  return { out, checkpoints: await listCheckpoints(join(out, 'checkpoints')) };
}

describe('--resume falls back to the newest checkpoint that can be resumed', () => {
  it('passes over a checkpoint whose weights are cut short, says so, and keeps it aside', async () => {
    const { out, checkpoints } = await copyRun('cut-short');
    const [, second, newest] = checkpoints as [string, string, string];
    await truncate(join(newest, 'model.safetensors'), 100);
    const r = await kioku(...args(out, 4, '--resume'));
    expect(r.code, r.stderr).toBe(0);
    const [warning] = r.stderr.split('\n');
    expect(warning).toMatch(
      new RegExp(
        `^kioku: warning: passed over the checkpoint ${newest}, which cannot be resumed \\(safetensors file "${newest}/model.safetensors": .+\\); moved it to ${newest}\\.skipped-[0-9a-f]{12}$`,
      ),
    );
    expect(r.stderr).toContain(`\nresuming from ${second} (epoch 2 done)\n`);
    const entries = await readdir(join(out, 'checkpoints'));
    const aside = entries.find((e) => e.startsWith(`${basename(newest)}.skipped-`))!;
    expect((await readFile(join(out, 'checkpoints', aside, 'model.safetensors'))).length).toBe(100);
    const history = async (dir: string) =>
      (JSON.parse(await readFile(join(dir, 'history.json'), 'utf8')) as { lstm: { loss: number[] } }).lstm
        .loss;
    // Epoch 3 was trained again from epoch 2's checkpoint: the same losses as the run that made it.
    const resumedLoss = await history(out);
    expect(resumedLoss).toHaveLength(4);
    expect(resumedLoss.slice(0, 3)).toEqual(await history(pristine));
  });

  it('passes over a checkpoint whose training-state.json holds a field of the wrong kind', async () => {
    const { out, checkpoints } = await copyRun('bad-field');
    const [, second, newest] = checkpoints as [string, string, string];
    const file = join(newest, 'training-state.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...state, progress: 5 }));
    const r = await kioku(...args(out, 4, '--resume'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(
        `^kioku: warning: passed over the checkpoint ${newest}, which cannot be resumed \\(${file}: field "progress" is 5, expected null or \\{batch, lossSum, seen, skipped, metrics: \\{count, sums, yTrue, yPred\\}\\}; this training state cannot be resumed: resume from an earlier checkpoint, or start the training over\\); moved it to `,
      ),
    );
    expect(r.stderr).toContain(`resuming from ${second} (epoch 2 done)`);
  });

  it('refuses, naming the newest and why, when no checkpoint can be resumed', async () => {
    const { out, checkpoints } = await copyRun('all-broken');
    for (const dir of checkpoints) await writeFile(join(dir, 'training-state.json'), '{"epoch": -1}');
    const newest = checkpoints.at(-1)!;
    const r = await kioku(...args(out, 4, '--resume', '--quiet'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: --resume ${out}: none of the 3 checkpoint(s) there can be resumed; the newest, ${newest}: ${newest}/training-state.json: field "epoch" is -1, expected an integer ≥ 0 (epochs done); this training state cannot be resumed: resume from an earlier checkpoint, or start the training over\n`,
    );
    // Nothing was moved: a refused resume changes nothing.
    expect(await listCheckpoints(join(out, 'checkpoints'))).toEqual(checkpoints);
  });

  it('resumeFromCheckpoint names training-state.json and the field before restoring anything', async () => {
    const { checkpoints } = await copyRun('api');
    const dir = checkpoints.at(-1)!;
    const file = join(dir, 'training-state.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...state, rng: { s: [1, 2] } }));
    const model = new LSTM({ inputSize: 1, hiddenSize: 3 });
    await expect(
      resumeFromCheckpoint(dir, { model, optimizer: new Adam(model.parameters()) }),
    ).rejects.toThrow(
      `${file}: field "rng" is {"s":[1,2]}, expected an object whose "s" holds four integers; this training state cannot be resumed: resume from an earlier checkpoint, or start the training over`,
    );
  });
});
