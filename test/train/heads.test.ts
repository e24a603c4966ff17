import { describe, expect, it } from 'vitest';
import {
  BagOfWordsClassifier,
  modelFromConfig,
  SequenceForecaster,
  TextClassifier,
} from '../../src/nn/heads.js';
import { sum } from '../../src/ops/reduce.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { manualSeed } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';

const seqs = [
  [5, 3, 9, 2],
  [7, 1],
  [4, 4, 8],
];

function padded(): [Tensor, Int32Array] {
  const data = new Int32Array(3 * 4);
  seqs.forEach((s, i) => {
    data.set(s, i * 4);
  });
  return [new Tensor(data, [3, 4]), Int32Array.from(seqs, (s) => s.length)];
}

function closeArrays(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
}

describe('TextClassifier', () => {
  it('has the seed LSTMClassifier parameter names by default', () => {
    manualSeed(0);
    const m = new TextClassifier({ vocabSize: 5000 });
    expect(Object.keys(m.stateDict())).toEqual([
      'embedding.weight',
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'fc.weight',
      'fc.bias',
    ]);
    expect(m.stateDict()['fc.weight']!.shape).toEqual([2, 64]);
    expect(m.stateDict()['embedding.weight']!.shape).toEqual([5000, 128]);
  });

  const variants = [
    { cell: 'lstm', pooling: 'last' },
    { cell: 'gru', pooling: 'mean', bidirectional: true },
    { cell: 'rnn', pooling: 'max', numLayers: 2 },
    { cell: 'lstm', pooling: 'last', bidirectional: true, numLayers: 2 },
    { cell: 'lstm', pooling: 'max-mean', bidirectional: true },
  ] as const;
  for (const v of variants) {
    it(`padding does not leak into the logits (${JSON.stringify(v)})`, () => {
      manualSeed(4);
      const m = new TextClassifier({ vocabSize: 12, embedDim: 5, hiddenSize: 3, numClasses: 3, ...v });
      const [inputs, lengths] = padded();
      const batch = noGrad(() => m.forward(inputs, lengths)).f32;
      seqs.forEach((s, i) => {
        const alone = noGrad(() => m.forward(tensor([s], { dtype: 'int32' }))).f32;
        closeArrays(batch.subarray(i * 3, i * 3 + 3), alone);
      });
    });
  }

  it("pooling 'max-mean' feeds the max and the mean of the same outputs to one linear layer", () => {
    manualSeed(9);
    const both = new TextClassifier({
      vocabSize: 12,
      embedDim: 4,
      hiddenSize: 3,
      bidirectional: true,
      pooling: 'max-mean',
    });
    expect(both.fc.weight.shape).toEqual([2, 12]);
    // The same weights in a 'max' and a 'mean' model, fc split in two halves (the bias once):
    // the max-mean logits are the sum of their logits.
    const halves = (pooling: 'max' | 'mean', from: number, bias: boolean) => {
      const m = new TextClassifier({
        vocabSize: 12,
        embedDim: 4,
        hiddenSize: 3,
        bidirectional: true,
        pooling,
      });
      const sd = both.stateDict();
      const w = new Float32Array(2 * 6);
      for (let o = 0; o < 2; o++)
        w.set(sd['fc.weight']!.f32.subarray(o * 12 + from, o * 12 + from + 6), o * 6);
      m.loadStateDict({
        ...sd,
        'fc.weight': new Tensor(w, [2, 6]),
        'fc.bias': bias ? sd['fc.bias']! : new Tensor(new Float32Array(2), [2]),
      });
      return m;
    };
    const [inputs, lengths] = padded();
    const expected = noGrad(() => halves('max', 0, true).forward(inputs, lengths)).f32.map(
      (v, i) => v + noGrad(() => halves('mean', 6, false).forward(inputs, lengths)).f32[i]!,
    );
    closeArrays(noGrad(() => both.forward(inputs, lengths)).f32, expected);
  });

  it('rebuilds from its config with the same outputs', () => {
    manualSeed(5);
    const m = new TextClassifier({ vocabSize: 12, embedDim: 4, hiddenSize: 3, cell: 'gru', pooling: 'mean' });
    const json = JSON.parse(JSON.stringify(m.config()));
    expect(json).toMatchObject({ type: 'TextClassifier', cell: 'gru', pooling: 'mean', numClasses: 2 });
    const copy = modelFromConfig(json) as TextClassifier;
    copy.loadStateDict(m.stateDict());
    const [inputs, lengths] = padded();
    closeArrays(
      noGrad(() => copy.forward(inputs, lengths)).f32,
      noGrad(() => m.forward(inputs, lengths)).f32,
      0,
    );
  });

  it("bagOfWords adds the mean of the tokens' bag rows over the valid steps to the logits", () => {
    manualSeed(7);
    const m = new TextClassifier({
      vocabSize: 12,
      embedDim: 4,
      hiddenSize: 3,
      numClasses: 3,
      bagOfWords: true,
    });
    expect(Object.keys(m.stateDict()).at(-1)).toBe('bag.weight');
    // It starts at zero, as a linear model does: the same logits as without it.
    const [inputs, lengths] = padded();
    const deep = noGrad(() => m.forward(inputs, lengths)).f32;
    expect(m.bag!.weight.f32.every((v) => v === 0)).toBe(true);
    const bag = m.bag!.weight.f32;
    bag.forEach((_, i) => {
      bag[i] = i >= 3 ? Math.sin(i) : 0;
    });
    const logits = noGrad(() => m.forward(inputs, lengths)).f32;
    seqs.forEach((s, i) => {
      const expected = [0, 1, 2].map(
        (o) => deep[i * 3 + o]! + s.reduce((a, t) => a + bag[t * 3 + o]!, 0) / s.length,
      );
      closeArrays(logits.subarray(i * 3, i * 3 + 3), expected);
    });
  });

  it('bagOfWords is trained: its rows of the tokens read get gradients, the padding row none', () => {
    manualSeed(8);
    const m = new TextClassifier({ vocabSize: 12, embedDim: 4, hiddenSize: 3, bagOfWords: true });
    const [inputs, lengths] = padded();
    sum(m.forward(inputs, lengths)).backward();
    const grad = m.bag!.weight.grad!.f32;
    const read = new Set(seqs.flat());
    for (let t = 0; t < 12; t++) {
      const row = [grad[t * 2]!, grad[t * 2 + 1]!];
      // d(sum of logits)/d(bag[t, o]) is the share of each text that token t makes up.
      const share = seqs.reduce((a, s) => a + s.filter((x) => x === t).length / s.length, 0);
      closeArrays(row, [share, share]);
      expect(row[0] !== 0).toBe(read.has(t) && t !== 0);
    }
  });

  it('saves bagOfWords in its config only when on, so configs written before it load as before', () => {
    expect(new TextClassifier({ vocabSize: 9 }).config()).not.toHaveProperty('bagOfWords');
    const m = new TextClassifier({ vocabSize: 9, embedDim: 2, hiddenSize: 2, bagOfWords: true });
    const json = JSON.parse(JSON.stringify(m.config()));
    expect(json.bagOfWords).toBe(true);
    expect((modelFromConfig(json) as TextClassifier).bag?.weight.shape).toEqual([9, 2]);
    expect(() => new TextClassifier({ vocabSize: 9, bagOfWords: 1 as never })).toThrow(
      /bagOfWords must be a boolean, got 1/,
    );
  });

  it('rejects bad settings and inputs', () => {
    expect(() => new TextClassifier({ vocabSize: 0 })).toThrow(/vocabSize must be a positive integer, got 0/);
    expect(() => new TextClassifier({ vocabSize: 9, cell: 'tcn' as never })).toThrow(
      /cell must be one of lstm, gru, rnn/,
    );
    const m = new TextClassifier({ vocabSize: 9, embedDim: 2, hiddenSize: 2 });
    expect(() => m.forward(tensor([[1, 2]]))).toThrow(/int32/);
    expect(() => m.forward(tensor([[1, 2]], { dtype: 'int32' }), new Int32Array([3]))).toThrow(
      /lengths\[0\]/,
    );
  });
});

describe('BagOfWordsClassifier', () => {
  it('is the mean of the valid embeddings through the linear layer', () => {
    manualSeed(6);
    const m = new BagOfWordsClassifier({ vocabSize: 12, embedDim: 3 });
    const [inputs, lengths] = padded();
    const logits = noGrad(() => m.forward(inputs, lengths)).f32;
    const E = m.embedding.weight.f32;
    const W = m.fc.weight.f32;
    const b = m.fc.bias!.f32;
    seqs.forEach((s, i) => {
      const mean = [0, 1, 2].map((e) => s.reduce((acc, t) => acc + E[t * 3 + e]!, 0) / s.length);
      const expected = [0, 1].map((o) => b[o]! + mean.reduce((acc, v, e) => acc + v * W[o * 3 + e]!, 0));
      closeArrays(logits.subarray(i * 2, i * 2 + 2), expected);
    });
  });
});

describe('SequenceForecaster', () => {
  it('forecasts autoregressively by feeding predictions back', () => {
    manualSeed(7);
    const m = new SequenceForecaster({ inputSize: 2, hiddenSize: 4, horizon: 1, outputSize: 1 });
    const x = randn([2, 5, 2]);
    const out = m.forecast(x, 3, { targetColumns: [1] });
    expect(out.shape).toEqual([2, 3, 1]);
    // By hand: slide the window, writing each prediction into column 1 and carrying column 0.
    const win = x.f32.slice();
    for (let step = 0; step < 3; step++) {
      const pred = noGrad(() => m.forward(new Tensor(win.slice(), [2, 5, 2]))).f32;
      for (let i = 0; i < 2; i++) {
        expect(out.f32[i * 3 + step]).toBeCloseTo(pred[i]!, 6);
        const row = win.slice(i * 10 + 8, i * 10 + 10);
        win.copyWithin(i * 10, i * 10 + 2, i * 10 + 10);
        row[1] = pred[i]!;
        win.set(row, i * 10 + 8);
      }
    }
  });

  it('returns horizon steps from one call and validates', () => {
    manualSeed(8);
    const m = new SequenceForecaster({ inputSize: 3, hiddenSize: 4, horizon: 2, outputSize: 1, cell: 'gru' });
    const x = randn([1, 4, 3]);
    closeArrays(m.forecast(x, 2).f32, noGrad(() => m.forward(x)).f32, 0);
    expect(() => m.forecast(x, 3)).toThrow(/needs targetColumns/);
    expect(() => m.forward(randn([1, 4, 2]))).toThrow(/\(B, T, 3\)/);
    expect(() => SequenceForecaster.fromConfig({ type: 'TextClassifier', inputSize: 1 })).toThrow(ValueError);
    expect(SequenceForecaster.fromConfig(m.config()).config()).toEqual(m.config());
  });
});
