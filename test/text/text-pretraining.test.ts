import { describe, expect, it } from 'vitest';
import { collateText } from '../../src/data/dataloader.js';
import { modelFromConfig, TextClassifier } from '../../src/nn/heads.js';
import { manualSeed } from '../../src/tensor/random.js';
import { trainTextClassifier } from '../../src/train/recipes/text-classifier.js';
import { neighbourTargets, pretrainTextClassifier } from '../../src/train/recipes/text-pretraining.js';

/** The language-model pre-training of a text classifier's embedding and recurrent layer. */

describe('neighbourTargets', () => {
  const batch = collateText([
    { tokens: [2, 5, 3], label: 0 },
    { tokens: [4, 6], label: 1 },
  ]);
  const of = (t: { rows: { data: unknown }; targets: { data: unknown } }) => ({
    rows: Array.from(t.rows.data as Int32Array),
    targets: Array.from(t.targets.data as Int32Array),
  });
  it('gives the next token within each text, ids from `words` on as one class, padding never', () => {
    // Rows of the flattened (2·3) output: text 0 at 0–2, text 1 at 3–4 (5 is padding).
    expect(of(neighbourTargets(batch, 1, 5))).toEqual({ rows: [0, 1, 3], targets: [5, 3, 5] });
  });
  it('gives the previous token for the reverse direction', () => {
    expect(of(neighbourTargets(batch, -1, 5))).toEqual({ rows: [1, 2, 4], targets: [2, 5, 4] });
  });
  it('keeps every k-th position from an offset', () => {
    expect(of(neighbourTargets(batch, 1, 5, 2, 1))).toEqual({ rows: [1], targets: [3] });
    expect(of(neighbourTargets(batch, -1, 9, 2, 0))).toEqual({ rows: [1, 4], targets: [2, 4] });
  });
});

/** Texts that cycle through six words from a random start: each word's neighbours are certain. */
function cycles(n: number): Array<{ tokens: Int32Array; label: number }> {
  return Array.from({ length: n }, (_, i) => ({
    tokens: Int32Array.from({ length: 6 + (i % 7) }, (_, t) => 2 + ((i + t) % 6)),
    label: i % 2,
  }));
}

describe('pretrainTextClassifier', () => {
  it('learns both neighbours of every word and leaves the output layer and the format alone', () => {
    manualSeed(3);
    const model = new TextClassifier({ vocabSize: 8, embedDim: 8, hiddenSize: 8, bidirectional: true });
    const keys = Object.keys(model.stateDict());
    const fc = Array.from(model.fc.weight.data);
    const embedding = Array.from(model.embedding.weight.data);
    // Ids 0–5 are classes of their own, 6 and 7 share "other": each neighbour is still certain.
    const r = pretrainTextClassifier(model, cycles(64), {
      steps: 120,
      words: 6,
      every: 2,
      batch: 16,
      lr: 0.01,
    });
    expect(r.steps).toBe(120);
    // Two directions, each starting near ln 7 (7 classes, ids 0–5 and "other").
    expect(r.firstLoss).toBeGreaterThan(3);
    expect(r.lastLoss).toBeLessThan(1);
    expect(Array.from(model.fc.weight.data)).toEqual(fc);
    expect(Array.from(model.embedding.weight.data)).not.toEqual(embedding);
    expect(Object.keys(model.stateDict())).toEqual(keys);
  }, 60_000);
});

describe('pretrainTextClassifier on short texts', () => {
  it('takes no step on a batch with nothing to predict, so its losses stay finite', () => {
    manualSeed(4);
    const model = new TextClassifier({ vocabSize: 8, embedDim: 4, hiddenSize: 4, bidirectional: true });
    // One-word texts have no neighbours; the two-word ones one per direction.
    const texts = Array.from({ length: 16 }, (_, i) => ({
      tokens: Int32Array.from({ length: 1 + (i % 2) }, (_, t) => 2 + ((i + t) % 6)),
      label: i % 2,
    }));
    const r = pretrainTextClassifier(model, texts, { steps: 20, words: 6, every: 2, batch: 2, lr: 0.01 });
    expect(r.steps).toBe(20);
    expect(Number.isFinite(r.firstLoss) && Number.isFinite(r.lastLoss)).toBe(true);
    expect(Number.isFinite(model.embedding.weight.data[0]!)).toBe(true);
  });
});

describe('trainTextClassifier with pretrainSteps', () => {
  it('pre-trains first and saves a model of the usual format', async () => {
    const texts = cycles(120).map((e) => Array.from(e.tokens, (id) => `w${id}`).join(' '));
    const corpus = { texts, labels: Int32Array.from(texts, (_, i) => i % 2), classes: ['a', 'b'] };
    const base = { corpus, epochs: 1, embed: 4, hidden: 4, baselines: false };
    const plain = await trainTextClassifier(base);
    const pre = await trainTextClassifier({ ...base, pretrainSteps: 5 });
    expect(plain.pretraining).toBeNull();
    expect(pre.pretraining?.steps).toBe(5);
    expect(pre.config.architecture).toEqual(plain.config.architecture);
    const loaded = modelFromConfig(pre.config.architecture!);
    loaded.loadStateDict(pre.model.stateDict());
    expect(Object.keys(loaded.stateDict())).toEqual(Object.keys(plain.model.stateDict()));
  }, 60_000);
});
