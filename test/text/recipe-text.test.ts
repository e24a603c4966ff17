import { describe, expect, it } from 'vitest';
import type { TextCorpus } from '../../src/data/corpus.js';
import { modelFromConfig } from '../../src/nn/heads.js';
import { Generator } from '../../src/tensor/random.js';
import { MemoryStore } from '../../src/train/recipes/store.js';
import { trainTextClassifier } from '../../src/train/recipes/text-classifier.js';
import { evaluateTextClassifier, predictText } from '../../src/train/recipes/text-model.js';

/** The text recipe's tokenizer choice, unknown-token checks, reports, split coverage and attention pooling. */

const gen = new Generator(7);
const word = (letters: string, n: number) =>
  Array.from({ length: n }, () => letters[Math.floor(gen.random() * letters.length)]).join('');

/** Texts of 4–8 words: class 0 says one of "good, fine, great", class 1 one of "bad, poor, awful". */
function sentiment(n: number): TextCorpus {
  const cues = [
    ['good', 'fine', 'great'],
    ['bad', 'poor', 'awful'],
  ];
  const texts: string[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const words = Array.from({ length: 3 + (i % 5) }, () => word('abcdefgh', 3));
    words.splice(i % words.length, 0, cues[label]![i % 3]!);
    texts.push(words.join(' '));
    labels[i] = label;
  }
  return { texts, labels, classes: ['positive', 'negative'] };
}

describe('trainTextClassifier tokenizers', () => {
  it('fails plainly when every held-out token is unknown, and reads the same texts by characters', async () => {
    // Unspaced strings, each seen once: the word tokenizer makes every one a new token.
    const texts = Array.from({ length: 80 }, (_, i) => `${word('aeiou', 3)}${i % 2 ? 'x' : 'z'}${i}`);
    const corpus = { texts, labels: Int32Array.from(texts, (_, i) => i % 2), classes: ['z', 'x'] };
    const base = { corpus, epochs: 1, embed: 4, hidden: 4, baselines: false };
    await expect(trainTextClassifier(base)).rejects.toThrow(
      /^data data: every validation and test token is unknown to the vocabulary built from the training texts \(with the word tokenizer a text written without spaces is one token, seen once; tokenizer 'char' reads such texts by their characters\)$/,
    );
    const result = await trainTextClassifier({ ...base, tokenizer: 'char', lowercase: false });
    expect(result.config.tokenizer).toEqual({
      type: 'char',
      lowercase: false,
      normalize: true,
      stripWhitespace: false,
    });
    // Digits 0–9 and the vowels, x and z all occur in training: nothing held out is unknown.
    const unseen = { texts: ['ÄÖÜ', 'ßß'], labels: Int32Array.of(0, 1), classes: ['z', 'x'] };
    expect(() => evaluateTextClassifier(result, { corpus: unseen })).toThrow(
      /^data data: every token is unknown to the vocabulary built from the training texts \(the texts share no characters/,
    );
    expect(evaluateTextClassifier(result, { corpus }).unknownRate).toBe(0);
  }, 60_000);

  it('reads a model directory saved before the tokenizer was recorded with the word tokenizer', async () => {
    const result = await trainTextClassifier({
      corpus: sentiment(60),
      epochs: 1,
      embed: 4,
      hidden: 4,
      baselines: false,
    });
    const { tokenizer, ...older } = result.config as Record<string, unknown>;
    expect(tokenizer).toEqual({
      type: 'word',
      lowercase: true,
      punctuation: 'strip',
      cjk: 'char',
      normalize: true,
    });
    const texts = ['Good fine day', 'an AWFUL poor thing'];
    expect(predictText({ model: result.model, config: older as typeof result.config }, texts)).toEqual(
      predictText(result, texts),
    );
  }, 60_000);
});

describe('trainTextClassifier reports', () => {
  it('keeps a class too small for the split in training and names it; reports every class', async () => {
    const corpus = sentiment(120);
    const rare = {
      texts: [...corpus.texts, 'rare words here'],
      labels: Int32Array.from([...corpus.labels, 2]),
    };
    const result = await trainTextClassifier({
      corpus: { ...rare, classes: ['positive', 'negative', 'rare'] },
      epochs: 3,
      embed: 8,
      hidden: 8,
      baselines: false,
    });
    expect(result.test.missingClasses).toEqual([{ index: 2, label: 'rare', train: 1, val: 0, test: 0 }]);
    expect(result.config.labelCounts).toEqual([48, 48, 1]);
    const report = result.test.reports[0]!.report;
    expect(report.classes.map((c) => [c.label, c.support])).toEqual([
      ['positive', 6],
      ['negative', 6],
      ['rare', 0],
    ]);
    // Weighted by support: the empty class weighs nothing; macro counts it as a zero.
    const [p, n] = report.classes;
    expect(report.weighted.f1).toBeCloseTo((6 * p!.f1 + 6 * n!.f1) / 12, 12);
    expect(report.macro.f1).toBeCloseTo((p!.f1 + n!.f1) / 3, 12);
  }, 60_000);
});

describe('trainTextClassifier with attention pooling', () => {
  it('learns the cue words, saves the attention weights and reloads to the same predictions', async () => {
    const store = new MemoryStore({ charts: false });
    const result = await trainTextClassifier({
      corpus: sentiment(300),
      pooling: 'attention',
      epochs: 8,
      embed: 16,
      hidden: 16,
      lr: 0.01,
      store,
    });
    expect(result.config.architecture).toMatchObject({ pooling: 'attention' });
    const reports = Object.fromEntries(result.test.reports.map((r) => [r.model, r.report.accuracy]));
    expect(Object.keys(reports)).toEqual(['lstm-bi', 'bag-of-words', 'tfidf', 'majority']);
    expect(reports['lstm-bi']).toBeGreaterThanOrEqual(0.9);
    // Every cue word is seen in training: TF-IDF on words separates the classes exactly.
    expect(reports.tfidf).toBe(1);
    const files = store.models.get('model')!;
    expect(Object.keys(files.stateDict)).toEqual(
      expect.arrayContaining(['attention.proj.weight', 'attention.proj.bias', 'attention.score.weight']),
    );
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    const texts = ['abc good def', 'awful ghe', 'fine', 'hag bad dab cab'];
    expect(predictText({ model: saved, config: files.config }, texts)).toEqual(predictText(result, texts));
    expect(predictText(result, texts).map((p) => p.label)).toEqual([
      'positive',
      'negative',
      'positive',
      'negative',
    ]);
  }, 90_000);
});
