import { beforeAll, describe, expect, it } from 'vitest';
import type { TextCorpus } from '../../src/data/corpus.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';
import { modelFromConfig } from '../../src/nn/heads.js';
import { ValueError } from '../../src/tensor/errors.js';
import {
  evaluateTextClassifier,
  MemoryStore,
  predictText,
  type TextClassifierEvent,
  type TextClassifierOptions,
  type TextClassifierResult,
  trainTextClassifier,
} from '../../src/train/recipes/index.js';

/**
 * trainTextClassifier on a 300-e-mail slice of the built-in SpamAssassin data, called as a
 * library: its events, its scores against the baselines, what it saves, and how it stops.
 */

let corpus: TextCorpus;
const small = (more: Partial<TextClassifierOptions> = {}): TextClassifierOptions => ({
  corpus,
  dataName: 'spam-assassin',
  limit: 300,
  epochs: 4,
  embed: 16,
  hidden: 16,
  vocabSize: 2000,
  maxLen: 64,
  batch: 16,
  lr: 0.02,
  ...more,
});

const TEXTS = [
  'Hi Tom, the meeting notes from Tuesday are attached. Can you review section 3 before Friday?',
  'CONGRATULATIONS!!! You have been selected to receive a FREE $1000 gift card. Click here now',
  'I tried the patch on the 2.4.19 kernel and the build fails in drivers/net; log below.',
];

beforeAll(async () => {
  corpus = await loadSpamAssassin({ headers: 'from-subject' });
}, 60_000);

describe('trainTextClassifier', () => {
  let store: MemoryStore;
  let events: TextClassifierEvent[];
  let result: TextClassifierResult;

  beforeAll(async () => {
    store = new MemoryStore({ charts: false });
    events = [];
    result = await trainTextClassifier(small({ store, onEvent: (e) => void events.push(e) }));
  }, 60_000);

  it('reports the data, then every epoch of the model and of the bag-of-words baseline, in order', () => {
    const data = events[0]!;
    expect(data).toEqual({
      type: 'text-data',
      examples: 300,
      classes: ['ham', 'spam'],
      train: 240,
      val: 30,
      test: 30,
      vocabulary: 2000,
      maxLen: 64,
      // A quarter of the held-out words fall outside the 2,000 kept (seeded split: always this share).
      unknownRate: expect.closeTo(0.256063, 6),
      epochs: 4,
    });
    expect(events[1]).toEqual({ type: 'model', model: 'lstm-bi', parameters: result.model.numParameters() });
    const outline = events
      .filter((e) => e.type !== 'batch')
      .slice(2)
      .map((e) => `${e.type} ${'model' in e ? e.model : ''} ${'epoch' in e ? e.epoch : ''}`.trim());
    const epochs = (model: string, n: number) =>
      Array.from({ length: n }, (_, i) => [
        `epoch-begin ${model} ${i + 1}`,
        `epoch ${model} ${i + 1}`,
      ]).flat();
    expect(outline).toEqual([
      ...epochs('lstm-bi', 4),
      'trained lstm-bi',
      // The baseline trains at least five epochs.
      ...epochs('bag-of-words', 5),
      'trained bag-of-words',
      // The TF-IDF regression has no epochs: a line before its fit and one after.
      'baseline tfidf',
      'baseline tfidf',
    ]);
    // 240 training examples in batches of 16: 15 batch events per epoch, numbered within it.
    const batches = events.filter((e) => e.type === 'batch' && e.model === 'lstm-bi' && e.epoch === 2);
    expect(batches.map((e) => (e.type === 'batch' ? e.batch : 0))).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    const epoch = events.find((e) => e.type === 'epoch' && e.model === 'lstm-bi' && e.epoch === 4)!;
    expect(epoch.type === 'epoch' && epoch.logs.valAccuracy).toBe(result.fit.history.valAccuracy![3]);
    expect(events.at(-3)).toMatchObject({ type: 'trained', stopReason: 'completed', epochs: 5 });
    expect(events.at(-1)).toMatchObject({
      type: 'baseline',
      model: 'tfidf',
      stage: 'end',
      detail: expect.stringMatching(/^C (1|10|100) \(validation accuracy \d\.\d{4}\)$/),
    });
  });

  it('sends events a Web Worker can post: plain data that survives structured cloning', () => {
    for (const e of events) expect(structuredClone(e)).toEqual(e);
  });

  it('beats the majority class on the test split, as the bag-of-words baseline does', () => {
    const reports = Object.fromEntries(result.test.reports.map((r) => [r.model, r.report]));
    expect(Object.keys(reports)).toEqual(['lstm-bi', 'bag-of-words', 'tfidf', 'majority']);
    for (const r of Object.values(reports)) {
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(30);
    }
    // The majority baseline says ham for every e-mail: its accuracy is the test split's share of ham.
    const majority = reports.majority!;
    expect(majority.confusion[0]![1]! + majority.confusion[1]![1]!).toBe(0);
    expect(majority.accuracy).toBeCloseTo(majority.support[0]! / 30, 12);
    expect(reports['lstm-bi']!.accuracy).toBeGreaterThan(majority.accuracy + 0.15);
    expect(reports['bag-of-words']!.accuracy).toBeGreaterThan(majority.accuracy + 0.15);
  });

  it('saves the model, the baseline and history.json; the saved model predicts what the returned one does', () => {
    expect(result.saved).toEqual({ model: 'model', baseline: 'bag-of-words', files: ['history.json'] });
    const files = store.models.get('model')!;
    expect(files.config).toEqual(result.config);
    expect(files.config.training).toMatchObject({ epochs: 4, seed: 0, lr: 0.02, batch: 16 });
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    const fromStore = predictText({ model: saved, config: files.config }, TEXTS);
    const fromResult = predictText({ model: result.model, config: result.config }, TEXTS);
    expect(fromStore).toEqual(fromResult);
    for (const p of fromResult) {
      expect(p.probabilities.ham! + p.probabilities.spam!).toBeCloseTo(1, 6);
      expect(p.probability).toBe(Math.max(p.probabilities.ham!, p.probabilities.spam!));
    }
    const history = JSON.parse(store.files.get('history.json') as string);
    expect(history['lstm-bi'].loss).toEqual(result.fit.history.loss);
    expect(Object.keys(history)).toEqual(['lstm-bi', 'bag-of-words']);
  });

  it('evaluates the saved model on labelled texts beside the majority class of its training data', () => {
    const opened = { model: result.model, config: result.config };
    const r = evaluateTextClassifier(opened, { corpus, limit: 50 });
    expect(r.examples).toBe(50);
    expect(r.reports.map((x) => x.model)).toEqual(['model', 'majority']);
    const predicted = r.reports[0]!.report.confusion;
    expect(predicted.flat().reduce((a, b) => a + b, 0)).toBe(50);
    // Training saw more ham than spam (240 e-mails in all): the majority class is ham.
    const [ham, spam] = result.config.labelCounts as number[];
    expect(ham! + spam!).toBe(240);
    expect(ham!).toBeGreaterThan(spam!);
    expect(r.reports[1]!.report.confusion.map((row) => row[1])).toEqual([0, 0]);
  });
});

describe('trainTextClassifier stopped by its signal', () => {
  it('stops after the current batch, then still tests and saves the model as it is', async () => {
    const controller = new AbortController();
    const store = new MemoryStore({ charts: false });
    const events: TextClassifierEvent[] = [];
    const result = await trainTextClassifier(
      small({
        store,
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'batch' && e.epoch === 2 && e.batch === 3) controller.abort();
        },
      }),
    );
    const batches = events.filter((e) => e.type === 'batch');
    expect(batches.at(-1)).toMatchObject({ model: 'lstm-bi', epoch: 2, batch: 3 });
    expect(batches).toHaveLength(15 + 3);
    const trained = events.filter((e) => e.type === 'trained');
    expect(trained).toEqual([
      {
        type: 'trained',
        model: 'lstm-bi',
        stopReason: 'aborted',
        epochs: 1,
        bestEpoch: 1,
        skippedBatches: 0,
      },
      // The baseline starts after the signal: it is tested untrained.
      {
        type: 'trained',
        model: 'bag-of-words',
        stopReason: 'aborted',
        epochs: 0,
        bestEpoch: null,
        skippedBatches: 0,
      },
    ]);
    expect(result.fit.history.loss).toHaveLength(1);
    expect(result.test.reports.map((r) => r.model)).toEqual(['lstm-bi', 'bag-of-words', 'tfidf', 'majority']);
    // Early stopping put back epoch 1's weights, and those were saved.
    const files = store.models.get('model')!;
    expect(files.config.training).toMatchObject({ epochs: 1, bestEpoch: 1 });
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    expect(predictText({ model: saved, config: files.config }, TEXTS)).toEqual(
      predictText({ model: result.model, config: result.config }, TEXTS),
    );
    // The checkpoint after epoch 1 (15 batches) is the only one.
    expect((await store.checkpoints.list()).map((c) => c.step)).toEqual([15]);
  }, 60_000);
});

describe('trainTextClassifier options', () => {
  it('steps a cosine learning-rate schedule once per epoch', async () => {
    const result = await trainTextClassifier(small({ lrSchedule: 'cosine', baselines: false }));
    // Epoch e (0-based) trains at 0.02·(1 + cos(π·e/4))/2.
    const expected = [0, 1, 2, 3].map((e) => (0.02 * (1 + Math.cos((Math.PI * e) / 4))) / 2);
    expect(result.fit.history.lr).toHaveLength(4);
    for (const [e, lr] of result.fit.history.lr!.entries()) expect(lr).toBeCloseTo(expected[e]!, 9);
    await expect(trainTextClassifier(small({ lrSchedule: 'linear' as 'cosine' }))).rejects.toThrow(
      new ValueError('lrSchedule must be one of plateau, cosine, constant, got "linear"'),
    );
  }, 60_000);

  it("meets the same bag-of-words baseline whatever the model; pooling 'max-mean' saves and reloads", async () => {
    const maxRun = await trainTextClassifier(small({ epochs: 2 }));
    const store = new MemoryStore({ charts: false });
    const both = await trainTextClassifier(small({ epochs: 2, pooling: 'max-mean', store }));
    expect(both.config.architecture).toMatchObject({ pooling: 'max-mean' });
    expect(both.model.fc.weight.shape).toEqual([2, 64]);
    const bow = (r: TextClassifierResult) => r.baseline!.stateDict()['fc.weight']!.f32;
    expect(bow(both)).toEqual(bow(maxRun));
    expect(both.histories['bag-of-words']).toEqual(maxRun.histories['bag-of-words']);
    const files = store.models.get('model')!;
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    expect(predictText({ model: saved, config: files.config }, TEXTS)).toEqual(predictText(both, TEXTS));
  }, 60_000);

  it('trains a bag-of-words path with the network; it saves and reloads', async () => {
    const store = new MemoryStore({ charts: false });
    const wide = await trainTextClassifier(small({ epochs: 2, baselines: false, bagOfWords: true, store }));
    expect(wide.config.architecture).toMatchObject({ bagOfWords: true });
    // From its zero start the path has learnt weights of its own.
    expect(wide.model.bag!.weight.f32.some((v) => v !== 0)).toBe(true);
    const files = store.models.get('model')!;
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    expect(predictText({ model: saved, config: files.config }, TEXTS)).toEqual(predictText(wide, TEXTS));
    const plain = await trainTextClassifier(small({ epochs: 2, baselines: false }));
    expect(plain.config.architecture).not.toHaveProperty('bagOfWords');
  }, 90_000);

  it('decays the weights with weightDecay and caps the confidence with labelSmoothing', async () => {
    // Without word dropout (a regulariser of its own, on by default) each effect stands alone.
    const alone = { baselines: false, tokenDropout: 0 };
    const plain = await trainTextClassifier(small(alone));
    const decayed = await trainTextClassifier(small({ ...alone, weightDecay: 0.05 }));
    const smoothed = await trainTextClassifier(small({ ...alone, labelSmoothing: 0.4 }));
    const norm = (r: TextClassifierResult) => Math.hypot(...r.model.embedding.weight.f32);
    expect(norm(decayed)).toBeLessThan(0.8 * norm(plain));
    // Smoothed targets are 0.8 / 0.2: the model's probabilities stay below plain training's.
    const confidence = (r: TextClassifierResult) =>
      Math.max(...predictText(r, TEXTS).map((p) => p.probability));
    expect(confidence(plain)).toBeGreaterThan(0.95);
    expect(confidence(smoothed)).toBeLessThan(0.9);
    // The saved config records them (an exported PyTorch project's train.py reads them there).
    const training = (r: TextClassifierResult) => r.config.training as Record<string, unknown>;
    expect(training(decayed).weightDecay).toBe(0.05);
    expect(training(smoothed).labelSmoothing).toBe(0.4);
    expect('weightDecay' in training(plain) || 'labelSmoothing' in training(plain)).toBe(false);
    await expect(trainTextClassifier(small({ labelSmoothing: 1 }))).rejects.toThrow(
      new ValueError('labelSmoothing must be a number in [0, 0.99], got 1'),
    );
    await expect(trainTextClassifier(small({ weightDecay: -1 }))).rejects.toThrow(/^weightDecay must be/);
  }, 90_000);

  it('refuses bad options with a sentence naming the option, as the caller names it', async () => {
    await expect(trainTextClassifier(small({ epochs: 0 }))).rejects.toThrow(
      new ValueError('epochs must be an integer ≥ 1, got 0'),
    );
    await expect(
      trainTextClassifier(small({ cell: 'transformer' as 'lstm', optionName: (k) => `--${k}` })),
    ).rejects.toThrow(new ValueError('--cell must be one of lstm, gru, rnn, got "transformer"'));
    const oneClass = { texts: ['a', 'b'], labels: Int32Array.of(0, 0), classes: ['ham'] };
    await expect(trainTextClassifier({ corpus: oneClass })).rejects.toThrow(
      /^corpus must be a corpus: texts \(string\[\]\), labels .* and at least 2 classes$/,
    );
    await expect(trainTextClassifier(small({ limit: 5 }))).rejects.toThrow(
      new ValueError('data spam-assassin: 5 examples are too few for an 80/10/10 split'),
    );
    await expect(trainTextClassifier(small({ epoch: 3 } as Partial<TextClassifierOptions>))).rejects.toThrow(
      /^unknown option epoch; the options are corpus, dataName, limit, headers, tokenizer, lowercase, normalize, punctuation, cell, /,
    );
    await expect(trainTextClassifier(small({ checkpointEvery: 2 }))).rejects.toThrow(
      new ValueError('checkpointEvery needs a store with checkpoints'),
    );
  });
});
