import { describe, expect, it } from 'vitest';
import { Vocab } from '../../src/data/vocab.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { type OpenedModel, predictText } from '../../src/train/recipes/index.js';
import {
  lastStates,
  nativeSegmentCosts,
  planSegments,
  type SegmentCosts,
  segmentPlan,
} from '../../src/train/recipes/serving-segments.js';
import { SEGMENT_MIN_WEIGHTS, textServing } from '../../src/train/recipes/serving-text.js';

/**
 * A batch of texts for a model that reads its last state runs in time segments, the longer texts
 * carrying their state from one segment into the next: the plan weighs calls against padded
 * steps, and the states equal those of one padded forward of the whole batch.
 */

const flat = (call: number, step: number): SegmentCosts => ({ call: () => call, rowStep: () => step });

describe('planSegments', () => {
  const lengths = [30, 20, ...Array<number>(22).fill(12)];

  it('runs the batch as one padded forward when a call costs more than the padding', () => {
    expect(planSegments(lengths, flat(1e6, 1))).toEqual([{ from: 0, to: 30, rows: 24 }]);
  });

  it('cuts at every length when calls are free', () => {
    expect(planSegments(lengths, flat(0, 1))).toEqual([
      { from: 0, to: 12, rows: 24 },
      { from: 12, to: 20, rows: 2 },
      { from: 20, to: 30, rows: 1 },
    ]);
  });

  it('weighs a few rows dearer per step than many, as an unpacked product is', () => {
    // The two long rows' steps 12–20 cost 2·8·10 = 160 apart, 24·8 = 192 padded in the batch.
    const costs: SegmentCosts = { call: () => 50, rowStep: (rows) => (rows > 4 ? 1 : 10) };
    expect(planSegments(lengths, costs)).toEqual([
      { from: 0, to: 20, rows: 24 },
      { from: 20, to: 30, rows: 1 },
    ]);
  });

  it("cuts a frozen layer's batch where packing per call would not pay", () => {
    // The large classifier's 12-word texts: W = 2048·(256 + 512); packing costs 1.5 ms a call unfrozen.
    const mix = [32, 29, 25, 21, 18, 16, 15, 14, 14, 13, ...Array<number>(14).fill(12)];
    const weights = 2048 * 768;
    const unfrozen = planSegments(mix, nativeSegmentCosts(weights));
    const frozen = planSegments(mix, nativeSegmentCosts(weights, true));
    expect(frozen.length).toBeGreaterThan(unfrozen.length);
    const padded = (plan: typeof frozen) => plan.reduce((n, s) => n + (s.to - s.from) * s.rows, 0);
    expect(padded(frozen)).toBeLessThan(padded(unfrozen));
  });

  it('runs a single text in one segment', () => {
    expect(planSegments([7], flat(0, 1))).toEqual([{ from: 0, to: 7, rows: 1 }]);
  });
});

describe('lastStates', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    it(`gives the logits of one padded forward (${cell}, 2 layers)`, () => {
      const model = new TextClassifier({ vocabSize: 50, embedDim: 6, hiddenSize: 5, numLayers: 2, cell });
      model.eval();
      const g = new Generator(7);
      const lengths = [3, 17, 1, 9, 17, 4, 12];
      const encoded = lengths.map((n) => Int32Array.from({ length: n }, () => 1 + (g.nextU32() % 49)));
      const T = Math.max(...lengths);
      const ids = new Int32Array(lengths.length * T);
      for (const [b, e] of encoded.entries()) ids.set(e, b * T);
      const want = noGrad(() =>
        model.forward(new Tensor(ids, [lengths.length, T]), Int32Array.from(lengths)),
      );
      // Free calls: a segment per length, so every text but the shortest carries its state on.
      const top = lastStates(model, encoded, segmentPlan(encoded, flat(0, 1)));
      const got = noGrad(() => model.fc.forward(new Tensor(top, [lengths.length, 5])));
      expect(got.shape).toEqual(want.shape);
      const worst = got.f32.reduce((w, v, i) => Math.max(w, Math.abs(v - want.f32[i]!)), 0);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('textServing', () => {
  const opened = (settings: Partial<ConstructorParameters<typeof TextClassifier>[0]>) => {
    const vocab = Vocab.build([['spam', 'ham', 'eggs']]);
    const model = new TextClassifier({ vocabSize: vocab.size, embedDim: 4, hiddenSize: 3, ...settings });
    model.eval();
    const config = { task: 'classification', labels: ['a', 'b'], vocab: vocab.toJSON(), maxLen: 8 };
    return { model, config, where: 'm' } as unknown as OpenedModel;
  };

  it('keeps sessions only for a model whose last state is all it reads', () => {
    expect(textServing(opened({})).sessionless).toBeNull();
    expect(textServing(opened({ bagOfWords: true })).sessionless).toMatch(/bag of words over the whole text/);
    expect(textServing(opened({ bidirectional: true })).sessionless).toMatch(/from its end/);
  });

  it('classifies a batch as the texts alone: in buckets, with a bag of words, in segments', () => {
    // 4·128·(384 + 128) recurrent weights: the batch runs in segments.
    const wide = { embedDim: 384, hiddenSize: 128 };
    expect(4 * 128 * (384 + 128)).toBeGreaterThanOrEqual(SEGMENT_MIN_WEIGHTS);
    for (const s of [{}, { bagOfWords: true }, wide]) {
      const m = opened(s);
      const serving = textServing(m);
      const texts = ['spam ham eggs spam eggs ham spam', 'eggs', 'ham ham', 'eggs ham'];
      const together = serving.classify(texts.map((t) => serving.encode(t)));
      const alone = texts.map((t) => predictText(m, [t])[0]!);
      expect(together.map((p) => p.label)).toEqual(alone.map((p) => p.label));
      // Equal but for float32 rounding: a product's rows sum in another order in a smaller call.
      together.forEach((p, i) => {
        for (const l of serving.labels)
          expect(p.probabilities[l]).toBeCloseTo(alone[i]!.probabilities[l]!, 6);
      });
    }
  });
});
