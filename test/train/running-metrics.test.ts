import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { mseLoss } from '../../src/nn/losses.js';
import { SGD } from '../../src/optim/sgd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { manualSeed } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { EpochProgress, TrainingState } from '../../src/train/fit-types.js';
import { METRICS, type MetricFn } from '../../src/train/metric-registry.js';
import { RunningMetrics } from '../../src/train/running-metrics.js';
import { regressionTask, type WindowBatch } from '../../src/train/tasks.js';
import { fit as fitModel } from '../../src/train/trainer.js';

/** A deterministic stream of numbers in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `values` cut into batches of uneven sizes. */
function batchesOf(values: number[], sizes: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0, b = 0; i < values.length; b++) {
    const n = sizes[b % sizes.length]!;
    out.push(values.slice(i, i + n));
    i += n;
  }
  return out;
}

function running(table: Array<[string, MetricFn]>, yTrue: number[], yPred: number[]): RunningMetrics {
  const metrics = new RunningMetrics(table);
  const t = batchesOf(yTrue, [7, 1, 30, 12]);
  const p = batchesOf(yPred, [7, 1, 30, 12]);
  for (let b = 0; b < t.length; b++) metrics.add(t[b]!, p[b]!);
  return metrics;
}

describe('RunningMetrics', () => {
  const rand = uniform(7);
  const n = 1000;
  const values = Array.from({ length: n }, () => (rand() - 0.3) * 50);
  const forecasts = values.map((v) => v + (rand() - 0.5) * 8);
  // Five classes, with class 4 never predicted and a zero truth for MAPE's ε.
  const labels = Array.from({ length: n }, () => Math.floor(rand() * 5));
  const guesses = labels.map((c) => (rand() < 0.7 ? c : Math.floor(rand() * 4)));
  values[3] = 0;

  it('sums every registered metric batch by batch to the same bits as the whole-array metric', () => {
    for (const [name, fn] of Object.entries(METRICS)) {
      const classes = ['accuracy', 'precision', 'recall', 'f1', 'macroF1'].includes(name);
      const [t, p] = classes ? [labels, guesses] : [values, forecasts];
      expect(running([[name, fn]], t, p).values()[name], name).toBe(fn(t, p));
    }
  });

  it('scores class 1 of a binary metric when no label reached it, as the whole-array metric does', () => {
    const zeros = [0, 0, 0, 0];
    for (const name of ['precision', 'recall', 'f1', 'macroF1', 'accuracy']) {
      const fn = METRICS[name]!;
      const metrics = new RunningMetrics([[name, fn]]);
      metrics.add(zeros, zeros);
      expect(metrics.values()[name], name).toBe(fn(zeros, zeros));
    }
    const metrics = new RunningMetrics([['recall', METRICS.recall!]]);
    metrics.add([0, 2], [0, 1]);
    expect(metrics.values().recall).toBe(METRICS.recall!([0, 2], [0, 1]));
  });

  it("keeps a user's own metric function whole and reports metrics in the table's order", () => {
    const median: MetricFn = (t, p) =>
      t.map((v, i) => Math.abs(v - p[i]!)).sort((a, b) => a - b)[t.length >> 1]!;
    const metrics = running(
      [
        ['median', median],
        ['mae', METRICS.mae!],
      ],
      values,
      forecasts,
    );
    expect(metrics.values()).toEqual({
      median: median(values, forecasts),
      mae: METRICS.mae!(values, forecasts),
    });
    expect(Object.keys(metrics.values())).toEqual(['median', 'mae']);
    expect(metrics.state().yTrue).toEqual(values);
  });

  it('continues from its saved state to the same values', () => {
    const table: Array<[string, MetricFn]> = [
      ['macroF1', METRICS.macroF1!],
      ['accuracy', METRICS.accuracy!],
    ];
    const first = new RunningMetrics(table);
    first.add(labels.slice(0, 10), guesses.slice(0, 10));
    const resumed = new RunningMetrics(table, JSON.parse(JSON.stringify(first.state())));
    resumed.add(labels.slice(10), guesses.slice(10));
    expect(resumed.values()).toEqual({
      macroF1: METRICS.macroF1!(labels, guesses),
      accuracy: METRICS.accuracy!(labels, guesses),
    });
  });

  it('rejects a class label that is not a non-negative integer, naming its place', () => {
    const metrics = new RunningMetrics([['f1', METRICS.f1!]]);
    metrics.add([0, 1], [1, 1]);
    expect(() => metrics.add([1, 0.5], [1, 1])).toThrow(
      new ValueError('f1: yTrue[3] must be a non-negative integer class, got 0.5'),
    );
  });
});

/** Batches of (x, y = 2x) pairs, two per batch. */
function line(xs: number[]): WindowBatch[] {
  const out: WindowBatch[] = [];
  for (let i = 0; i < xs.length; i += 2) {
    const x = xs.slice(i, i + 2);
    out.push({ inputs: tensor(x.map((v) => [v])), targets: tensor(x.map((v) => [2 * v])) });
  }
  return out;
}

describe('fit with running metrics', () => {
  const xs = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3);
  /** One epoch at learning rate 0, so a resumed run sees the same weights as an unbroken one. */
  async function epoch(progress: EpochProgress | null, saved: TrainingState[] = []) {
    manualSeed(3);
    const model = new Linear(1, 1);
    return fitModel(model, {
      task: regressionTask(),
      train: line(xs),
      epochs: 1,
      optimizer: new SGD(model.parameters(), { lr: 0 }),
      loss: mseLoss,
      metrics: ['mae', 'rmse'],
      checkpoint: async (_m, state) => {
        saved.push(structuredClone(state));
      },
      checkpointEvery: 4,
      ...(progress
        ? { resume: { step: 0, progress, best: null, sinceBest: 0, bestWeights: null, skippedBatches: 0 } }
        : {}),
    });
  }

  it('checkpoints an unfinished epoch as sums, not as every decoded value', async () => {
    const saved: TrainingState[] = [];
    await epoch(null, saved);
    const progress = saved[0]!.progress!;
    expect(progress.batch).toBe(4);
    expect(progress.yTrue).toBeUndefined();
    expect(progress.metrics).toEqual({
      count: 8,
      sums: { mae: [expect.any(Number), 8], rmse: [expect.any(Number), 8] },
      yTrue: [],
      yPred: [],
    });
  });

  it('resumes from sums, or from the values an older checkpoint kept, to the unbroken epoch', async () => {
    const saved: TrainingState[] = [];
    const unbroken = (await epoch(null, saved)).history;
    const progress = saved[1]!.progress!;
    expect((await epoch(progress)).history).toEqual(unbroken);
    // Checkpoints written before running sums kept the decoded values of the epoch so far.
    const { metrics, ...rest } = progress;
    const decoded = line(xs.slice(0, 16)).flatMap((b) => [...b.targets.f32]);
    manualSeed(3);
    const model = new Linear(1, 1);
    const predicted = line(xs.slice(0, 16)).flatMap((b) => [...model.forward(b.inputs).f32]);
    const legacy = { ...rest, yTrue: decoded, yPred: predicted };
    expect((await epoch(legacy)).history).toEqual(unbroken);
    expect(metrics?.count).toBe(16);
  });
});
