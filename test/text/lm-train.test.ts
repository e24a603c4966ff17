import { describe, expect, it } from 'vitest';
import { LanguageModel } from '../../src/nn/language-model.js';
import { SGD } from '../../src/optim/sgd.js';
import { DTypeError, ValueError } from '../../src/tensor/errors.js';
import { manualSeed } from '../../src/tensor/random.js';
import { NGramModel } from '../../src/train/baselines/ngram.js';
import { evaluateLanguageModel } from '../../src/train/lm/evaluate.js';
import { type LmTrainEvent, trainLanguageModel } from '../../src/train/lm/train.js';
import { NonFiniteError } from '../../src/train/trainer.js';

/** x[t+1] = (x[t] + x[t−1]) mod 5: the next token needs the two before it (period 20). */
function fibonacci(n: number): Int32Array {
  const out = new Int32Array(n);
  out[0] = 1;
  out[1] = 1;
  for (let i = 2; i < n; i++) out[i] = (out[i - 1]! + out[i - 2]!) % 5;
  return out;
}

describe('trainLanguageModel', () => {
  it('learns a stream that needs two tokens of memory, carried across chunks of 2 steps', async () => {
    manualSeed(1);
    const stream = fibonacci(4000);
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 24, embedDim: 8 });
    const result = await trainLanguageModel(model, {
      train: stream.subarray(0, 3600),
      val: stream.subarray(3600),
      batchSize: 8,
      bptt: 2,
      epochs: 6,
      lr: 1e-2,
    });
    const bigram = new NGramModel(stream.subarray(0, 3600), { order: 2, vocabSize: 5 }).score(
      stream.subarray(3600),
    );
    const trigram = new NGramModel(stream.subarray(0, 3600), { order: 3, vocabSize: 5 }).score(
      stream.subarray(3600),
    );
    // One token of context leaves ln 2 nats or more; two determine the next token.
    expect(bigram.nats).toBeGreaterThan(0.6);
    expect(trigram.nats).toBeLessThan(0.01);
    expect(result.best!.nats).toBeLessThan(0.05);
    expect(result.history.valNats.at(-1)).toBeLessThan(result.history.valNats[0]!);
    expect(result.stopReason).toBe('completed');
    expect(result.steps).toBe(6 * Math.ceil((3600 / 8 - 1) / 2));
  });

  it('stops when the time budget is spent, then evaluates', async () => {
    manualSeed(2);
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 4 });
    let now = 0;
    const events: LmTrainEvent[] = [];
    const result = await trainLanguageModel(model, {
      train: fibonacci(400),
      val: fibonacci(60),
      batchSize: 4,
      bptt: 5,
      epochs: 10,
      maxSeconds: 7,
      clock: () => (now += 500), // each reading advances half a second
      onEvent: (e) => {
        events.push(e);
      },
    });
    expect(result.stopReason).toBe('time');
    const steps = events.filter((e) => e.type === 'step');
    const evals = events.filter((e) => e.type === 'eval');
    expect(steps.length).toBe(result.steps);
    expect(result.steps).toBeLessThan(20); // 20 steps make one epoch
    expect(evals.length).toBe(1);
    expect(evals[0]).toMatchObject({ type: 'eval', step: result.steps });
    expect(result.history.step).toEqual([result.steps]);
  });

  it('stops after the current step when aborted', async () => {
    manualSeed(3);
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 4 });
    const controller = new AbortController();
    const result = await trainLanguageModel(model, {
      train: fibonacci(400),
      batchSize: 4,
      bptt: 5,
      epochs: 3,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 3) controller.abort();
      },
    });
    expect([result.stopReason, result.steps, result.tokens]).toEqual(['aborted', 3, 60]);
  });

  it('evaluates every evalEvery steps and keeps the best weights', async () => {
    manualSeed(4);
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 8 });
    const val = fibonacci(200).subarray(100);
    const result = await trainLanguageModel(model, {
      train: fibonacci(1000),
      val,
      batchSize: 4,
      bptt: 8,
      epochs: 2,
      lr: 0.05,
      evalEvery: 10,
    });
    const stepsPerEpoch = Math.ceil((250 - 1) / 8);
    expect(result.history.step).toEqual([10, 20, 30, 32, 40, 50, 60, 64]);
    expect(result.history.epoch.at(-1)).toBe(2);
    expect(result.history.epoch[0]).toBeCloseTo(10 / stepsPerEpoch, 12);
    const best = Math.min(...result.history.valNats);
    expect(result.best!.nats).toBe(best);
    expect((await evaluateLanguageModel(model, val)).nats).toBeCloseTo(best, 6);
  });

  it('throws NonFiniteError before stepping on a NaN loss', async () => {
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 4 });
    model.fc.bias!.f32[2] = Number.NaN;
    await expect(trainLanguageModel(model, { train: fibonacci(100), batchSize: 2, bptt: 4 })).rejects.toThrow(
      NonFiniteError,
    );
  });

  it('validates its options', async () => {
    const model = new LanguageModel({ vocabSize: 5, hiddenSize: 4 });
    const train = fibonacci(100);
    await expect(trainLanguageModel(model, { train: [1, 2] as never })).rejects.toThrow(DTypeError);
    await expect(trainLanguageModel(model, { train, bptt: 0 })).rejects.toThrow(
      /bptt must be a positive integer/,
    );
    await expect(trainLanguageModel(model, { train, clipGradNorm: 0 })).rejects.toThrow(/clipGradNorm/);
    await expect(trainLanguageModel(model, { train, maxSeconds: -1 })).rejects.toThrow(/maxSeconds/);
    await expect(trainLanguageModel(model, { train, batchSize: 60 })).rejects.toThrow(ValueError);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    await expect(trainLanguageModel(model, { train, optimizer, lr: 0.1 })).rejects.toThrow(
      /lr sets the default Adam/,
    );
    await expect(trainLanguageModel(model, { train, schedulerInterval: 'step' })).rejects.toThrow(
      /needs a scheduler/,
    );
    await expect(evaluateLanguageModel(model, new Int32Array(1))).rejects.toThrow(/at least 2 tokens/);
  });
});
