import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/dataloader.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { loadWeightsInto } from '../../src/io/model-format.js';
import { modelFromConfig, TextClassifier } from '../../src/nn/heads.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy, mseLoss } from '../../src/nn/losses.js';
import { Adam } from '../../src/optim/adam.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { modelDirCheckpoint, resumeFromCheckpoint } from '../../src/train/checkpoint-node.js';
import { classificationTask, regressionTask, type WindowBatch } from '../../src/train/tasks.js';
import { fit as fitModel } from '../../src/train/trainer.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function setup() {
  const items = Array.from({ length: 10 }, (_, i) => {
    const x = i / 5 - 1;
    return { inputs: tensor([x, x * x]), targets: tensor([3 * x - x * x + 0.5]) };
  });
  const model = new Linear(2, 1);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const loader = new DataLoader<(typeof items)[number], WindowBatch>(new ArrayDataset(items), {
    batchSize: 3,
    shuffle: true,
  });
  return { model, optimizer, loader };
}

const config = { architecture: { type: 'Linear', inFeatures: 2, outFeatures: 1 }, task: 'forecasting' };

describe('checkpoints', () => {
  it('are written every epoch and resume to the same weights as an uninterrupted run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kioku-ckpt-'));
    dirs.push(dir);
    const task = regressionTask();

    manualSeed(11);
    const full = setup();
    await fitModel(full.model, {
      task,
      train: full.loader,
      epochs: 4,
      optimizer: full.optimizer,
      loss: mseLoss,
    });

    manualSeed(11);
    const first = setup();
    const epochsSeen: number[] = [];
    await fitModel(first.model, {
      task,
      train: first.loader,
      epochs: 2,
      optimizer: first.optimizer,
      loss: mseLoss,
      checkpoint: async (m, s) => {
        await modelDirCheckpoint(dir, config)(m, s);
        epochsSeen.push(JSON.parse(await readFile(join(dir, 'training-state.json'), 'utf8')).epoch);
      },
    });
    expect(epochsSeen).toEqual([1, 2]);
    const saved = await loadModelDir(dir);
    expect(Array.from(saved.tensors.weight!.f32)).toEqual(Array.from(first.model.weight.f32));
    expect(Object.keys(saved.trainingState!.tensors!)).toContain('0.expAvg');

    manualSeed(99); // a different initialisation, overwritten by the checkpoint
    const resumed = setup();
    const { initialEpoch, history } = await resumeFromCheckpoint(dir, {
      model: resumed.model,
      optimizer: resumed.optimizer,
      dataLoader: resumed.loader,
    });
    expect(initialEpoch).toBe(2);
    const result = await fitModel(resumed.model, {
      task,
      train: resumed.loader,
      epochs: 4,
      optimizer: resumed.optimizer,
      loss: mseLoss,
      initialEpoch,
      history,
    });
    expect(result.history.loss).toHaveLength(4);
    expect(Array.from(resumed.model.weight.f32)).toEqual(Array.from(full.model.weight.f32));
    expect(Array.from(resumed.model.bias!.f32)).toEqual(Array.from(full.model.bias!.f32));
  });

  it('modelDirCheckpoint without a config saves a head that loads back from its own config()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kioku-ckpt-'));
    dirs.push(dir);
    manualSeed(12);
    const model = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3, cell: 'gru' });
    const batch = {
      inputs: new Tensor(Int32Array.from([1, 2, 3, 4, 5, 0]), [2, 3]),
      lengths: Int32Array.from([3, 2]),
      labels: new Tensor(Int32Array.from([0, 1]), [2]),
    };
    await fitModel(model, {
      task: classificationTask(),
      train: [batch],
      epochs: 2,
      optimizer: new Adam(model.parameters(), { lr: 0.1 }),
      loss: crossEntropy,
      checkpoint: modelDirCheckpoint(dir),
    });
    const saved = await loadModelDir(dir);
    expect(saved.config.architecture).toMatchObject({ type: 'TextClassifier', cell: 'gru', hiddenSize: 3 });
    expect(saved.trainingState!.state.epoch).toBe(2);
    const copy = modelFromConfig(saved.config.architecture);
    loadWeightsInto(copy, saved.tensors);
    const a = noGrad(() => model.forward(batch.inputs, batch.lengths)).f32;
    const b = noGrad(() => (copy as TextClassifier).forward(batch.inputs, batch.lengths)).f32;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('refuses a model directory without training state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kioku-ckpt-'));
    dirs.push(dir);
    const { model, optimizer } = setup();
    const { saveModelDir } = await import('../../src/io/model-dir-node.js');
    await saveModelDir(dir, { config, stateDict: model.stateDict() });
    await expect(resumeFromCheckpoint(dir, { model, optimizer })).rejects.toThrow(/no training state/);
  });
});
