import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic.js';
import { kioku } from '../helpers/cli.js';

/** The NonFiniteError line of `kioku train` names the run's real checkpoint directory. */

// A learning rate of 1e30 trains batch 1 and makes the loss of batch 2 infinite.
const train = (out: string, ...more: string[]) =>
  kioku(
    'train',
    'series',
    '--data',
    'seattle-weather',
    '--target',
    'temp_max',
    '--lookback',
    '4',
    '--hidden',
    '2',
    '--epochs',
    '2',
    '--batch',
    '256',
    '--lr',
    '1e30',
    '--quiet',
    '--out',
    out,
    ...more,
  );

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-nonfinite-path-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train: non-finite loss message', () => {
  it('names the checkpoint directory that holds the last good weights', async () => {
    const out = join(root, 'every');
    const r = await train(out, '--checkpoint-every', '1');
    const dir = join(out, 'checkpoints');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: the loss became Infinity at epoch 1, batch 2; training stopped, and the checkpoints in ${dir} keep the last good weights (lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)\n`,
    );
    expect(await listCheckpoints(dir)).toEqual([join(dir, 'checkpoint-1')]);
  });

  it('says when no checkpoint was written yet, with the directory it would be in', async () => {
    const out = join(root, 'epochs');
    const r = await train(out);
    const dir = join(out, 'checkpoints');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: the loss became Infinity at epoch 1, batch 2; training stopped before the first checkpoint was written to ${dir} (lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)\n`,
    );
    expect(await listCheckpoints(dir)).toEqual([]);
  });
});
