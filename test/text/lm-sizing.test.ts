import { describe, expect, it } from 'vitest';
import { LanguageModel } from '../../src/nn/language-model.js';
import {
  LM_MAX_EPOCHS,
  LM_TARGET_STEPS,
  type LmSize,
  lmEpochsFor,
  lmParameterCount,
  lmSizeFor,
  lmSizeForTime,
  lmSizesUpTo,
  lmStepsPerEpoch,
  sizeLanguageModel,
} from '../../src/train/lm/sizing.js';
import { trainTextLanguageModel } from '../../src/train/recipes/language-model.js';
import type { LanguageModelEvent } from '../../src/train/recipes/language-model-options.js';
import { MemoryStore } from '../../src/train/recipes/store.js';

// Training characters of Moby Dick's 90/5/5 split, and of 80,000 and 20,000 of its characters.
const MOBY = 1_110_000;
const K80 = 72_000;
const K20 = 18_000;

describe('sizing a language model to its text', () => {
  it('counts the steps of an epoch as the training loop takes them', () => {
    // 72,000 tokens in 32 streams of 2,250: 2,249 input steps in chunks of 128.
    expect(lmStepsPerEpoch(K80, 32, 128)).toBe(Math.ceil(2249 / 128));
    expect(lmStepsPerEpoch(100, 32, 128)).toBe(1);
  });

  it('trains a small text for about 1,000 steps and a book for 5 epochs', () => {
    expect(lmEpochsFor(MOBY, 32, 128)).toBe(5);
    const small = lmEpochsFor(K80, 32, 128);
    expect(small * lmStepsPerEpoch(K80, 32, 128)).toBeGreaterThanOrEqual(1000);
    expect((small - 1) * lmStepsPerEpoch(K80, 32, 128)).toBeLessThan(1000);
    expect(lmEpochsFor(500, 32, 128)).toBe(LM_MAX_EPOCHS);
  });

  it('counts weights as the model has them', () => {
    for (const [embed, hidden, tied] of [
      [64, 512, false],
      [32, 32, true],
    ] as const) {
      const m = new LanguageModel({ vocabSize: 80, embedDim: embed, hiddenSize: hidden, tieWeights: tied });
      expect(lmParameterCount(80, embed, hidden, tied)).toBe(m.numParameters());
    }
  });

  it('keeps Moby Dick at hidden 512 and shrinks the network with the text', () => {
    expect(lmSizeFor(MOBY, 80, 'char')).toEqual({ embed: 64, hidden: 512, tieWeights: false });
    expect(lmSizeFor(K80, 78, 'char')).toEqual({ embed: 64, hidden: 256, tieWeights: false });
    expect(lmSizeFor(K20, 70, 'char')).toEqual({ embed: 64, hidden: 64, tieWeights: false });
    expect(lmSizeFor(100, 70, 'char')).toEqual({ embed: 32, hidden: 32, tieWeights: false });
    // Words: the recurrent layer against the tokens, the embedding tied to the output.
    expect(lmSizeFor(200_000, 9000, 'word')).toEqual({ embed: 256, hidden: 256, tieWeights: true });
    expect(lmSizeFor(4000, 600, 'word')).toEqual({ embed: 32, hidden: 32, tieWeights: true });
  });

  it('fills only what is open, and says what it filled', () => {
    const text = { trainTokens: K80, vocab: 78, unit: 'char' as const, batch: 32, bptt: 128 };
    expect(sizeLanguageModel({}, text)).toEqual({
      embed: 64,
      hidden: 256,
      tieWeights: false,
      epochs: lmEpochsFor(K80, 32, 128),
      dropout: 0.3,
      lr: 0.01,
      sized: ['embed', 'hidden', 'tieWeights', 'epochs', 'dropout', 'lr'],
    });
    // One size given: the other is the fixed default, or the same with tied weights.
    expect(sizeLanguageModel({ hidden: 100, epochs: 2, dropout: 0, lr: 1e-3 }, text)).toMatchObject({
      embed: 64,
      hidden: 100,
      epochs: 2,
      dropout: 0,
      lr: 1e-3,
      sized: ['embed', 'tieWeights'],
    });
    expect(sizeLanguageModel({ embed: 48, tieWeights: true }, text)).toMatchObject({ embed: 48, hidden: 48 });
    expect(sizeLanguageModel({ tieWeights: true }, text)).toMatchObject({ embed: 256, hidden: 256 });
    // A book keeps the recipe measured on Moby Dick.
    expect(sizeLanguageModel({}, { ...text, trainTokens: MOBY })).toMatchObject({
      embed: 64,
      hidden: 512,
      epochs: 5,
      dropout: 0,
      lr: 3e-3,
    });
  });
});

describe('sizing a language model to its time', () => {
  const sizes = lmSizesUpTo({ embed: 64, hidden: 512, tieWeights: false });
  // A step's seconds as a loaded machine gave them: a fixed cost, then the weights' work.
  const stepSeconds = (s: LmSize) => 0.5 + lmParameterCount(82, s.embed, s.hidden, false) / 250_000;
  const timed = () => {
    const probed: number[] = [];
    return {
      probed,
      stepSeconds: (s: LmSize) => {
        probed.push(s.hidden);
        return stepSeconds(s);
      },
    };
  };

  it('lists the sizes of a kind up to the one the text allows, smallest first', () => {
    expect(sizes.map((s) => [s.embed, s.hidden])).toEqual([
      [32, 32],
      [64, 64],
      [64, 128],
      [64, 256],
      [64, 512],
    ]);
    expect(lmSizesUpTo({ embed: 128, hidden: 128, tieWeights: true })).toEqual([
      { embed: 32, hidden: 32, tieWeights: true },
      { embed: 64, hidden: 64, tieWeights: true },
      { embed: 128, hidden: 128, tieWeights: true },
    ]);
  });

  it('keeps the largest network that takes its 1,000 steps in time, timing no larger one than needed', () => {
    const enough = stepSeconds(sizes[4]!) * LM_TARGET_STEPS;
    const all = timed();
    expect(lmSizeForTime(sizes, enough, all.stepSeconds).hidden).toBe(512);
    expect(all.probed).toEqual([32, 64, 128, 256, 512]);
    const some = timed();
    const for128 = stepSeconds(sizes[2]!) * LM_TARGET_STEPS;
    expect(lmSizeForTime(sizes, for128, some.stepSeconds).hidden).toBe(128);
    // 256 was timed and found too slow; 512 was not timed at all.
    expect(some.probed).toEqual([32, 64, 128, 256]);
  });

  it('without time for 1,000 steps, keeps the largest that takes half the steps of the smallest', () => {
    // 100 s: 32 takes 180 steps, 64 148, 128 104, 256 52, 512 18.
    expect(lmSizeForTime(sizes, 100, stepSeconds).hidden).toBe(128);
    // Steps that cost the same whatever the size: the largest.
    expect(lmSizeForTime(sizes, 100, () => 1).hidden).toBe(512);
    expect(lmSizeForTime(sizes, 100, (s) => s.hidden).hidden).toBe(64);
  });

  it('cuts only sizes left open, and says the same rest as without a budget', () => {
    const text = { trainTokens: MOBY, vocab: 82, unit: 'char' as const, batch: 32, bptt: 128 };
    const budget = { seconds: 100, stepSeconds };
    expect(sizeLanguageModel({}, text, budget)).toEqual({ ...sizeLanguageModel({}, text), hidden: 128 });
    expect(sizeLanguageModel({ hidden: 512 }, text, budget)).toMatchObject({ hidden: 512, embed: 64 });
    // Tied, each size has a wider embedding, so a slower step: one size less.
    expect(sizeLanguageModel({ tieWeights: true }, text, budget)).toMatchObject({ hidden: 64, embed: 64 });
  });
});

describe('trainTextLanguageModel with its sizes left open', () => {
  const text = 'It was the best of times, it was the worst of times. '.repeat(60);

  it('sizes the network and the epochs to the text, reports them and records them', async () => {
    const events: LanguageModelEvent[] = [];
    const controller = new AbortController();
    const store = new MemoryStore();
    const r = await trainTextLanguageModel({
      text,
      ngram: 1,
      store,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'model') controller.abort();
      },
    });
    const trainTokens = (events.find((e) => e.type === 'lm-data') as { train: number }).train;
    const vocab = (events.find((e) => e.type === 'lm-data') as { vocabulary: number }).vocabulary;
    const expected = sizeLanguageModel({}, { trainTokens, vocab, unit: 'char', batch: 32, bptt: 128 });
    const model = events.find((e) => e.type === 'model');
    expect(model).toMatchObject({
      embed: expected.embed,
      hidden: expected.hidden,
      epochs: expected.epochs,
      sized: ['embed', 'hidden', 'tieWeights', 'epochs', 'dropout', 'lr', 'vocabSize'],
    });
    expect(r.stopReason).toBe('aborted');
    expect(r.model.config()).toMatchObject({ embedDim: expected.embed, hiddenSize: expected.hidden });
    expect(r.config.training).toMatchObject({
      epochs: expected.epochs,
      dropout: 0.3,
      lr: 0.01,
      sizedToText: ['embed', 'hidden', 'tieWeights', 'epochs', 'dropout', 'lr', 'vocabSize'],
    });
  });

  it('times its steps for a time budget without changing the network it then trains', async () => {
    const firstModel = async (maxSeconds?: number) => {
      const controller = new AbortController();
      const events: LanguageModelEvent[] = [];
      const r = await trainTextLanguageModel({
        text,
        ngram: 1,
        batch: 4,
        bptt: 16,
        ...(maxSeconds ? { maxSeconds } : {}),
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'model') controller.abort();
        },
      });
      return { weights: r.model.stateDict(), model: events.find((e) => e.type === 'model')! };
    };
    const open = await firstModel();
    // A day is time enough for the size the text allows: the probe leaves it, and the seed.
    const timed = await firstModel(86_400);
    expect(timed.model).toMatchObject({
      hidden: (open.model as { hidden: number }).hidden,
      cutForTime: false,
    });
    for (const [name, w] of Object.entries(open.weights)) {
      expect(Array.from(timed.weights[name]!.data as Float32Array)).toEqual(
        Array.from(w.data as Float32Array),
      );
    }
  });

  it('keeps word models to the words seen twice, tied', async () => {
    const words = `ahab queequeg starbuck ${'the whale swims . a ship sails . '.repeat(40)}`;
    const r = await trainTextLanguageModel({ text: words, tokenizer: 'word', epochs: 1, ngram: 1 });
    const tokens = (r.config.vocab as { tokens: string[] }).tokens;
    expect(tokens.slice(2).sort()).toEqual(['.', 'a', 'sails', 'ship', 'swims', 'the', 'whale']);
    expect(r.config.training).toMatchObject({ minFreq: 2, vocabSize: 10_000, tieWeights: true });
    expect(r.model.config()).toMatchObject({ tieWeights: true, embedDim: 32, hiddenSize: 32 });
  });
});
