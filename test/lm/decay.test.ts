import { describe, expect, it } from 'vitest';
import { LanguageModel } from '../../src/nn/language-model.js';
import { manualSeed } from '../../src/tensor/random.js';
import { decayedLr } from '../../src/train/lm/lr-decay.js';
import { type LmTrainEvent, trainLanguageModel } from '../../src/train/lm/train.js';

/** x[t+1] = (x[t] + x[t−1]) mod 5. */
function fibonacci(n: number): Int32Array {
  const out = new Int32Array(n);
  out[0] = out[1] = 1;
  for (let i = 2; i < n; i++) out[i] = (out[i - 1]! + out[i - 2]!) % 5;
  return out;
}

const rates = (events: LmTrainEvent[]) =>
  events.flatMap((e) => (e.type === 'step' ? [{ step: e.step, lr: e.lr! }] : []));

describe('trainLanguageModel decayTo', () => {
  it('decays the rate by a cosine over the planned steps', async () => {
    manualSeed(1);
    const events: LmTrainEvent[] = [];
    const r = await trainLanguageModel(new LanguageModel({ vocabSize: 5, hiddenSize: 4 }), {
      train: fibonacci(400),
      batchSize: 4,
      bptt: 5,
      epochs: 2,
      lr: 0.01,
      decayTo: 0.001,
      onEvent: (e) => {
        events.push(e);
      },
    });
    expect(r.steps).toBe(40);
    const lr = rates(events);
    expect(lr[0]!.lr).toBeCloseTo(0.01, 12);
    // Step k runs at the rate of progress (k − 1) / 40.
    for (const { step, lr: rate } of lr) {
      expect(rate).toBeCloseTo(0.001 + (0.009 * (1 + Math.cos((Math.PI * (step - 1)) / 40))) / 2, 12);
    }
  });

  it('follows the time budget instead when it ends the run first, stopping in time for the last evaluation', async () => {
    manualSeed(2);
    let now = 0;
    const events: LmTrainEvent[] = [];
    const r = await trainLanguageModel(new LanguageModel({ vocabSize: 5, hiddenSize: 4 }), {
      train: fibonacci(4000),
      val: fibonacci(100),
      batchSize: 4,
      bptt: 5,
      epochs: 3,
      lr: 0.01,
      decayTo: 0.0005,
      maxSeconds: 60,
      clock: () => now,
      onEvent: (e) => {
        if (e.type === 'step') now += 1000; // a step takes a second
        events.push(e);
      },
    });
    expect(r.stopReason).toBe('time');
    expect(r.steps).toBeLessThan(100); // 600 planned: the steps alone would have decayed a sixth of the way
    expect(r.seconds).toBeLessThanOrEqual(60);
    const lr = rates(events);
    for (let i = 1; i < lr.length; i++) expect(lr[i]!.lr).toBeLessThanOrEqual(lr[i - 1]!.lr);
    // The rate of step k is that of the time spent before it, k − 1 seconds of 60.
    for (const { step, lr: rate } of lr)
      expect(rate).toBeCloseTo(decayedLr(0.01, 0.0005, (step - 1) / 60), 12);
    expect(lr.at(-1)!.lr).toBeLessThan(0.0015);
  });

  it('refuses decayTo with a scheduler or below 0', async () => {
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 4 });
    const train = fibonacci(100);
    await expect(trainLanguageModel(model, { train, decayTo: -1 })).rejects.toThrow(
      /decayTo must be a learning rate/,
    );
    const scheduler = { step() {}, stateDict: () => ({}), loadStateDict() {} };
    await expect(trainLanguageModel(model, { train, decayTo: 0, scheduler })).rejects.toThrow(
      /decayTo and scheduler exclude each other/,
    );
  });
});
