import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { mseLoss } from '../../src/nn/losses.js';
import { SGD } from '../../src/optim/sgd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { manualSeed } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { regressionTask, type WindowBatch } from '../../src/train/tasks.js';
import { evaluate, fit as fitModel, predict } from '../../src/train/trainer.js';

/** Batches of (x, y = slope·x) pairs, two per batch. */
function line(slope: number, xs: number[]): WindowBatch[] {
  const out: WindowBatch[] = [];
  for (let i = 0; i < xs.length; i += 2) {
    const x = xs.slice(i, i + 2);
    out.push({
      inputs: tensor(x.map((v) => [v])),
      targets: tensor(x.map((v) => [slope * v])),
    });
  }
  return out;
}

const xs = [-1, -0.5, 0.25, 0.5, 1, 1.5];
const task = regressionTask();

describe('fit', () => {
  it('drives the loss down on a linear problem and records metrics per epoch', async () => {
    manualSeed(1);
    const model = new Linear(1, 1);
    const result = await fitModel(model, {
      task,
      train: line(2, xs),
      val: line(2, [0.75, -0.25]),
      epochs: 40,
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      loss: mseLoss,
      metrics: ['mae'],
    });
    const { history } = result;
    expect(result.stopReason).toBe('completed');
    expect(result.epochs).toBe(40);
    expect(history.loss).toHaveLength(40);
    expect(history.loss![39]!).toBeLessThan(history.loss![0]! / 100);
    expect(model.weight.f32[0]).toBeCloseTo(2, 2);
    expect(history.lr![0]).toBe(0.1);
    // The last validation MAE is the model's MAE on the validation pairs.
    const ev = await evaluate(model, line(2, [0.75, -0.25]), { task, loss: mseLoss, metrics: ['mae'] });
    expect(history.valMae![39]).toBeCloseTo(ev.metrics.mae!, 6);
  });

  it('stops early and restores the best epoch', async () => {
    manualSeed(2);
    const model = new Linear(1, 1, { bias: false });
    model.weight.f32[0] = 0;
    const weights: number[] = [];
    // Training pulls the weight towards 2; validation wants −2, so it only gets worse.
    const result = await fitModel(model, {
      task,
      train: line(2, xs),
      val: line(-2, xs),
      epochs: 20,
      optimizer: new SGD(model.parameters(), { lr: 0.05 }),
      loss: mseLoss,
      earlyStopping: { patience: 1 },
      callbacks: { onEpochEnd: () => void weights.push(model.weight.f32[0]!) },
    });
    expect(result.stopReason).toBe('early-stopping');
    expect(result.history.valLoss).toHaveLength(3);
    expect(result.bestEpoch).toBe(1);
    expect(weights[2]).toBeGreaterThan(weights[0]!);
    expect(model.weight.f32[0]).toBe(weights[0]);
  });

  it('stops after the current batch when the signal aborts', async () => {
    manualSeed(3);
    const model = new Linear(1, 1);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    let steps = 0;
    const step = optimizer.step.bind(optimizer);
    optimizer.step = () => {
      steps++;
      step();
    };
    const controller = new AbortController();
    const result = await fitModel(model, {
      task,
      train: line(2, xs),
      epochs: 5,
      optimizer,
      loss: mseLoss,
      signal: controller.signal,
      callbacks: { onBatchEnd: ({ batch }) => void (batch === 2 && controller.abort()) },
    });
    expect(result.stopReason).toBe('aborted');
    expect(steps).toBe(2);
    expect(result.history.loss).toBeUndefined();
  });

  it('validates its options', async () => {
    const model = new Linear(1, 1);
    const base = {
      task,
      train: line(2, xs),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      loss: mseLoss,
    };
    await expect(fitModel(model, { ...base, epochs: 0 })).rejects.toThrow(
      /epochs must be a positive integer, got 0/,
    );
    await expect(fitModel(model, { ...base, epochs: 1, metrics: ['auc'] })).rejects.toThrow(
      /unknown metric "auc"/,
    );
    await expect(
      fitModel(model, { ...base, epochs: 1, earlyStopping: { monitor: 'valLoss' } }),
    ).rejects.toThrow(ValueError);
    await expect(fitModel(model, { ...base, epochs: 1, clipGradNorm: -1 })).rejects.toThrow(/clipGradNorm/);
  });
});

describe('evaluate and predict', () => {
  it('match hand-computed loss, metrics and outputs', async () => {
    const model = new Linear(1, 1);
    model.weight.f32[0] = 1;
    model.bias!.f32[0] = 0;
    const data = [{ inputs: tensor([[1], [2]]), targets: tensor([[3], [5]]) }];
    const ev = await evaluate(model, data, { task, loss: mseLoss, metrics: ['mae', 'rmse'] });
    expect(ev.loss).toBeCloseTo(6.5, 6);
    expect(ev.metrics.mae).toBeCloseTo(2.5, 6);
    expect(ev.metrics.rmse).toBeCloseTo(Math.sqrt(6.5), 6);
    expect(ev.yPred).toEqual([1, 2]);
    const out = await predict(model, data, { task });
    expect(Array.from(out[0]!.f32)).toEqual([1, 2]);
    expect(model.training).toBe(true);
  });
});
