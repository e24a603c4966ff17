import { beforeAll, describe, expect, it } from 'vitest';
import type { TextCorpus } from '../../src/data/corpus.js';
import type { TextExample } from '../../src/data/dataloader.js';
import { trainValTestSplit } from '../../src/data/split.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { trainTextClassifier } from '../../src/train/recipes/index.js';
import {
  collateDistilled,
  DistillationLoss,
  distillationTargets,
} from '../../src/train/recipes/text-classifier-distillation.js';

/**
 * Distillation from the bag-of-words teacher: the loss against PyTorch, the teacher's
 * probabilities reaching the loss through the batch, and the teacher's training rows.
 */

// scripts/fixtures_distillation.py: (1 − α)·F.cross_entropy(z, y, label_smoothing=0.1)
// + α·T²·F.cross_entropy(z / T, q), q = softmax(teacher logits / T), α 0.3, T 2.5 (float64).
const Z = [1.5, -0.3, 0.2, 0.1, 0.4, -1.2, -0.7, 2.0, 0.3, 0.0, 0.5, 0.5];
const Y = [0, 1, 1, 2];
const Q = [
  0.571257789495951, 0.25668267079810947, 0.17205953970593954, 0.34675196568986216, 0.33315562664012827,
  0.3200924076700096, 0.21198272070752777, 0.4717762210677908, 0.31624105822468146, 0.3162410582246815,
  0.21198272070752777, 0.4717762210677908,
];
const TORCH_LOSS = 2.4559649910495445;
const TORCH_GRAD = [
  -0.0586439337546073, 0.010008454835851634, 0.048635478918755644, 0.06476640999427144, -0.058054815863175235,
  -0.0067115941310962254, -0.0016814118960718875, -0.010219673414473088, 0.011901085310544984,
  0.030054759908506902, 0.08807826070452121, -0.1181330206130281,
];
const TORCH_HARD = 0.6345741789636302;

const logits = () => new Tensor(Float32Array.from(Z), [4, 3], { requiresGrad: true });
const labels = () => new Tensor(Int32Array.from(Y), [4]);
const loss = new DistillationLoss({ alpha: 0.3, temperature: 2.5, labelSmoothing: 0.1 });

describe('DistillationLoss', () => {
  it("mixes the labels' cross-entropy with T² times the cross-entropy to the batch's teacher, as PyTorch", () => {
    const z = logits();
    const l = loss.forward(z, labels(), { teacher: new Tensor(Float32Array.from(Q), [4, 3]) });
    expect(l.item()).toBeCloseTo(TORCH_LOSS, 5);
    l.backward();
    Array.from(z.grad!.f32).forEach((g, i) => {
      expect(g).toBeCloseTo(TORCH_GRAD[i]!, 6);
    });
  });

  it("is the labels' cross-entropy alone for a batch without a teacher (validation)", () => {
    expect(loss.forward(logits(), labels()).item()).toBeCloseTo(TORCH_HARD, 5);
    expect(loss.forward(logits(), labels(), { labels: labels() }).item()).toBeCloseTo(TORCH_HARD, 5);
  });

  it("batches the teacher's probabilities beside the tokens, row for row", () => {
    const items = [
      { tokens: Int32Array.of(2, 3), label: 0, teacher: Float32Array.of(0.9, 0.1) },
      { tokens: Int32Array.of(4), label: 1, teacher: Float32Array.of(0.2, 0.8) },
    ];
    const b = collateDistilled(items);
    expect(b.teacher.shape).toEqual([2, 2]);
    expect(Array.from(b.teacher.f32)).toEqual([0.9, 0.1, 0.2, 0.8].map(Math.fround));
    expect(Array.from(b.labels.i32)).toEqual([0, 1]);
  });
});

describe('distillationTargets', () => {
  // Each text has a word of its own that names its label, and a word shared by all.
  const rows = (flip: number): TextExample[] =>
    Array.from({ length: 40 }, (_, i) => ({
      tokens: Int32Array.of(2 + i, 42),
      label: (i % 2) ^ (i === flip ? 1 : 0),
    }));
  const settings = { classes: 2, batch: 8, epochs: 5, temperature: 1, seed: 3 };

  it("predicts each fold by a teacher that never trained on it: a row's own label does not move its probabilities", async () => {
    const before = await distillationTargets(rows(-1), 43, { ...settings, folds: 5 });
    const after = await distillationTargets(rows(7), 43, { ...settings, folds: 5 });
    expect(Array.from(after[7]!.teacher)).toEqual(Array.from(before[7]!.teacher));
    // The other folds' teachers did train on row 7.
    expect(after.some((e, i) => e.teacher[0] !== before[i]!.teacher[0])).toBe(true);
  });

  it('in-sample (one fold), a row is predicted by a teacher trained on it', async () => {
    const before = await distillationTargets(rows(-1), 43, { ...settings, folds: 1 });
    const after = await distillationTargets(rows(7), 43, { ...settings, folds: 1 });
    expect(after[7]!.teacher[1]!).toBeLessThan(before[7]!.teacher[1]!);
    // Probabilities at temperature 1 sum to 1.
    expect(before[0]!.teacher[0]! + before[0]!.teacher[1]!).toBeCloseTo(1, 6);
  });
});

describe('trainTextClassifier with distill: bow', () => {
  let corpus: TextCorpus;
  beforeAll(async () => {
    const all = await loadSpamAssassin({ headers: 'from-subject' });
    // Every 30th e-mail: ham and spam (the corpus lists all ham first).
    const picked = Array.from({ length: 200 }, (_, i) => i * 30);
    corpus = {
      texts: picked.map((i) => all.texts[i]!),
      labels: Int32Array.from(picked, (i) => all.labels[i]!),
      classes: all.classes,
    };
  }, 60_000);
  const train = (c: TextCorpus) =>
    trainTextClassifier({
      corpus: c,
      epochs: 2,
      embed: 8,
      hidden: 8,
      vocabSize: 1000,
      maxLen: 32,
      batch: 16,
      baselines: false,
      distill: 'bow',
      distillFolds: 3,
    });
  /** The corpus with the texts of one split of the recipe's (seed 0) replaced, up to `count`. */
  const replaced = (part: 'train' | 'val', count = Number.POSITIVE_INFINITY): TextCorpus => {
    const rows = corpus.texts.map((text, i) => ({ text, label: corpus.labels[i]!, i }));
    const split = trainValTestSplit(rows, { val: 0.1, test: 0.1, seed: 0, stratify: true });
    const texts = [...corpus.texts];
    for (const r of [...split[part]].slice(0, count)) texts[r.i] = 'lorem ipsum dolor sit amet';
    return { ...corpus, texts };
  };

  it('trains its teacher on training texts only: other validation texts leave the training loss as it was', async () => {
    const base = await train(corpus);
    const otherVal = await train(replaced('val'));
    expect(otherVal.fit.history.loss).toEqual(base.fit.history.loss);
    const otherTrain = await train(replaced('train', 10));
    expect(otherTrain.fit.history.loss).not.toEqual(base.fit.history.loss);
    expect(base.config.training).toMatchObject({
      distill: 'bow',
      distillAlpha: 0.5,
      distillTemperature: 2,
      distillFolds: 3,
    });
  }, 120_000);

  it('the soft targets reach the loss: the training loss moves with the weight of the teacher', async () => {
    const at = (distillAlpha: number) =>
      trainTextClassifier({
        corpus,
        epochs: 1,
        embed: 8,
        hidden: 8,
        vocabSize: 1000,
        maxLen: 32,
        batch: 16,
        baselines: false,
        distill: 'bow',
        distillAlpha,
        distillFolds: 3,
      });
    const none = await trainTextClassifier({
      corpus,
      epochs: 1,
      embed: 8,
      hidden: 8,
      vocabSize: 1000,
      maxLen: 32,
      batch: 16,
      baselines: false,
    });
    // α 0 is training on the labels alone, step for step.
    expect((await at(0)).fit.history.loss).toEqual(none.fit.history.loss);
    expect((await at(0.5)).fit.history.loss).not.toEqual(none.fit.history.loss);
  }, 120_000);

  it('refuses a weight outside [0, 1] and an unknown teacher', async () => {
    await expect(trainTextClassifier({ corpus, distillAlpha: 1.5 })).rejects.toThrow(ValueError);
    await expect(trainTextClassifier({ corpus, distill: 'tfidf' as 'bow' })).rejects.toThrow(/distill/);
  });
});
