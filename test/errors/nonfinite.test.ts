import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic-node.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { Linear } from '../../src/nn/linear.js';
import { mseLoss } from '../../src/nn/losses.js';
import { sqrt } from '../../src/ops/unary.js';
import { SGD } from '../../src/optim/sgd.js';
import { tensor } from '../../src/tensor/tensor.js';
import { rollingCheckpoints } from '../../src/train/checkpoint-node.js';
import { regressionTask, type WindowBatch } from '../../src/train/tasks.js';
import { fit as fitModel, NonFiniteError } from '../../src/train/trainer.js';
import { kioku } from '../helpers/cli.js';

/**
 * Non-finite guards of `fit`: a NaN loss or gradient norm stops training before the optimizer
 * step (default) or drops the batch and counts it.
 */

const task = regressionTask();
const batch = (x: number[], slope = 2): WindowBatch => ({
  inputs: tensor(x.map((v) => [v])),
  targets: tensor(x.map((v) => [slope * v])),
});

/** Three batches per pass; in pass `badPass` (1-based) the second batch holds a NaN input. */
function data(badPass: number | null): Iterable<WindowBatch> {
  let pass = 0;
  return {
    *[Symbol.iterator]() {
      pass++;
      yield batch([1, -0.5]);
      yield pass === badPass ? batch([Number.NaN, 0.5]) : batch([0.25, 0.75]);
      yield batch([-1, 1.5]);
    },
  };
}

function model(): Linear {
  const m = new Linear(1, 1);
  m.weight.f32[0] = 0.5;
  m.bias!.f32[0] = -0.25;
  return m;
}

const weights = (m: Linear) => [m.weight.f32[0]!, m.bias!.f32[0]!];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-nonfinite-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('fit on a non-finite loss', () => {
  it('stops by default, naming epoch and batch, with the last good weights in model and checkpoint', async () => {
    const m = model();
    const afterEpoch1: number[][] = [];
    const afterBatch: number[][] = [];
    const dir = join(root, 'stop');
    const err = await fitModel(m, {
      task,
      train: data(2),
      epochs: 3,
      optimizer: new SGD(m.parameters(), { lr: 0.1 }),
      loss: mseLoss,
      checkpoint: rollingCheckpoints(dir, { architecture: { type: 'Linear' }, task: 'test' }),
      callbacks: {
        onBatchEnd: () => {
          afterBatch.push(weights(m));
        },
        onEpochEnd: () => {
          afterEpoch1.push(weights(m));
        },
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect([e.epoch, e.batch, e.quantity]).toEqual([2, 2, 'loss']);
    expect(Number.isNaN(e.value)).toBe(true);
    expect(e.message).toMatch(/^fit: the loss became NaN at epoch 2, batch 2; training stopped/);
    // No step for the bad batch: the model holds the weights after epoch 2, batch 1.
    expect(afterBatch).toHaveLength(4);
    expect(weights(m)).toEqual(afterBatch[3]);
    expect(weights(m).every(Number.isFinite)).toBe(true);
    // The newest checkpoint is the end of epoch 1.
    const cps = await listCheckpoints(dir);
    expect(cps.map((p) => p.split('-').at(-1))).toEqual(['3']);
    const saved = await loadModelDir(cps[0]!);
    expect([saved.tensors.weight!.f32[0], saved.tensors.bias!.f32[0]]).toEqual(afterEpoch1[0]);
    expect(saved.trainingState!.state.epoch).toBe(1);
  });

  it('skip drops the batch (no step) and counts it per epoch and in all', async () => {
    const m = model();
    const result = await fitModel(m, {
      task,
      train: data(2),
      epochs: 3,
      optimizer: new SGD(m.parameters(), { lr: 0.1 }),
      loss: mseLoss,
      onNonFinite: 'skip',
    });
    expect(result.skippedBatches).toBe(1);
    expect(result.history.skipped).toEqual([0, 1, 0]);
    // The same as training on the data with that batch left out.
    const ref = model();
    const batches = [...data(null)];
    const epochs = [batches, [batches[0]!, batches[2]!], batches];
    let k = 0;
    await fitModel(ref, {
      task,
      train: { [Symbol.iterator]: () => epochs[k++]![Symbol.iterator]() },
      epochs: 3,
      optimizer: new SGD(ref.parameters(), { lr: 0.1 }),
      loss: mseLoss,
    });
    expect(weights(m)).toEqual(weights(ref));
    // The epoch's loss averages the trained batches only.
    expect(Number.isFinite(result.history.loss![1]!)).toBe(true);
  });

  it('a non-finite gradient norm with a finite loss is caught too', async () => {
    // sqrt(mse) at a perfect fit: loss 0, gradient 0·∞ = NaN.
    const m = new Linear(1, 1, { bias: false });
    m.weight.f32[0] = 2;
    const err = await fitModel(m, {
      task,
      train: [batch([1, -0.5])],
      epochs: 1,
      optimizer: new SGD(m.parameters(), { lr: 0.1 }),
      loss: (o, t) => sqrt(mseLoss(o, t)),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).quantity).toBe('gradient norm');
    expect((err as NonFiniteError).message).toMatch(/gradient norm became NaN at epoch 1, batch 1/);
    expect(m.weight.f32[0]).toBe(2);
  });

  it('refuses an unknown onNonFinite', async () => {
    const m = model();
    await expect(
      fitModel(m, {
        task,
        train: data(null),
        epochs: 1,
        optimizer: new SGD(m.parameters(), { lr: 0.1 }),
        loss: mseLoss,
        onNonFinite: 'ignore' as 'skip',
      }),
    ).rejects.toThrow("fit: onNonFinite must be 'stop' or 'skip', got ignore");
  });
});

describe('kioku train --on-nonfinite', () => {
  // A learning rate of 1e30 makes the weights overflow after the first step.
  const argv = (out: string, ...more: string[]) => [
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
  ];

  it('stops with one line naming epoch and batch, exit 1', async () => {
    const dir = join(root, 'cli-stop', 'checkpoints');
    const r = await kioku(...argv(join(root, 'cli-stop')));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: the loss became Infinity at epoch 1, batch 2; training stopped before the first checkpoint was written to ${dir} (lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)\n`,
    );
    expect(await listCheckpoints(dir)).toEqual([]);
  });

  it('with a checkpoint written, names the directory that holds the last good weights', async () => {
    const dir = join(root, 'cli-every', 'checkpoints');
    const r = await kioku(...argv(join(root, 'cli-every'), '--checkpoint-every', '1'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: the loss became Infinity at epoch 1, batch 2; training stopped, and the checkpoints in ${dir} keep the last good weights (lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)\n`,
    );
    expect(await listCheckpoints(dir)).toEqual([join(dir, 'checkpoint-1')]);
  });

  it('skip counts the skipped batches in metrics.jsonl and fails only when a whole epoch is lost', async () => {
    const dir = join(root, 'cli-skip');
    const r = await kioku(...argv(dir, '--on-nonfinite', 'skip', '--json'));
    expect(r.code).toBe(1);
    const epoch1 = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(epoch1.event).toBe('epoch');
    // 4 batches of 256 windows: the first trains, the other three overflow.
    expect(epoch1.skipped).toBe(3);
    expect(r.stderr).toMatch(
      /^kioku: fit: every batch of epoch 2 had a non-finite loss or gradient \(4 skipped\)/,
    );
    // Epoch 1 (with its infinite validation loss) was checkpointed and loads.
    const cps = await listCheckpoints(join(dir, 'checkpoints'));
    expect(cps).toHaveLength(1);
    expect((await loadModelDir(cps[0]!)).trainingState!.state.skippedBatches).toBe(3);
  });
});
