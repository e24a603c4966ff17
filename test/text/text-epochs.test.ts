import { describe, expect, it } from 'vitest';
import type { TextCorpus } from '../../src/data/corpus.js';
import { trainTextClassifier } from '../../src/train/recipes/text-classifier.js';
import { sizedEpochs } from '../../src/train/recipes/text-classifier-options.js';

/** Epochs when none are given: 5, or enough optimizer steps for a small training set. */

describe('sizedEpochs', () => {
  it('keeps 5 epochs where they already give about 760 steps (SpamAssassin, first names)', () => {
    expect(sizedEpochs(4836, 32)).toBe(5); // 152 steps an epoch
    expect(sizedEpochs(6406, 32)).toBe(5);
  });

  it('gives a small training set more epochs, a tiny one at most 30', () => {
    expect(sizedEpochs(2832, 32)).toBe(9); // 89 steps an epoch: 801 steps
    expect(sizedEpochs(1000, 32)).toBe(24);
    expect(sizedEpochs(146, 32)).toBe(30); // 5 steps an epoch
    expect(sizedEpochs(1, 32)).toBe(30);
  });

  it('counts steps, so a smaller batch needs fewer epochs', () => {
    expect(sizedEpochs(2832, 8)).toBe(5); // 354 steps an epoch
  });
});

describe('trainTextClassifier without epochs', () => {
  const corpus: TextCorpus = {
    texts: Array.from({ length: 40 }, (_, i) => (i % 2 ? `win a prize ${i}` : `meeting notes ${i}`)),
    labels: Int32Array.from({ length: 40 }, (_, i) => i % 2),
    classes: ['ham', 'spam'],
  };
  const tiny = { corpus, embed: 4, hidden: 4, vocabSize: 50, maxLen: 8, baselines: false };

  it('sizes them to the training split and says so; given epochs stay as given', async () => {
    const sized: unknown[] = [];
    const r = await trainTextClassifier({ ...tiny, onEvent: (e) => void sized.push(e) });
    expect(sized[0]).toMatchObject({ type: 'text-data', train: 32, epochs: 30 });
    expect(r.fit.history.loss).toHaveLength(30);
    const given: unknown[] = [];
    await trainTextClassifier({ ...tiny, epochs: 2, onEvent: (e) => void given.push(e) });
    expect(given[0]).toMatchObject({ type: 'text-data', epochs: 2 });
  });
});
