import { describe, expect, it } from 'vitest';
import { detachState, LanguageModel, type LmState } from '../../src/nn/language-model.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { reshape, slice } from '../../src/ops/shape.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../nn/fixture.js';

const V = 9;

function tokens(b: number, t: number, seed: number): Tensor {
  const g = new Generator(seed);
  return new Tensor(
    Int32Array.from({ length: b * t }, () => g.randint(V)),
    [b, t],
  );
}

function loss(model: LanguageModel, inputs: Tensor, targets: Tensor): Tensor {
  const [logits] = model.forward(inputs);
  const n = targets.size;
  return crossEntropy(reshape(logits, [n, V]), reshape(targets, [n]));
}

describe('LanguageModel', () => {
  it('names its parameters like the heads; a tied model has no fc.weight of its own', () => {
    manualSeed(1);
    const untied = new LanguageModel({ vocabSize: V, embedDim: 4, hiddenSize: 6, numLayers: 2 });
    expect(Object.keys(untied.stateDict())).toEqual([
      'embedding.weight',
      ...['l0', 'l1'].flatMap((l) =>
        ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((w) => `lstm.${w}_${l}`),
      ),
      'fc.weight',
      'fc.bias',
    ]);
    const tied = new LanguageModel({ vocabSize: V, hiddenSize: 6, cell: 'gru', tieWeights: true });
    expect(Object.keys(tied.stateDict())).toEqual([
      'embedding.weight',
      'gru.weight_ih_l0',
      'gru.weight_hh_l0',
      'gru.bias_ih_l0',
      'gru.bias_hh_l0',
      'fc.bias',
    ]);
    expect(tied.fc.weight).toBe(tied.embedding.weight);
    expect(tied.config()).toEqual({
      type: 'LanguageModel',
      vocabSize: V,
      embedDim: 6,
      hiddenSize: 6,
      numLayers: 1,
      cell: 'gru',
      dropout: 0,
      tieWeights: true,
    });
    expect(LanguageModel.fromConfig(tied.config()).config()).toEqual(tied.config());
  });

  it('initialises the embedding and output weights from U(-0.1, 0.1) and the output bias at 0', () => {
    manualSeed(2);
    const m = new LanguageModel({ vocabSize: 50, hiddenSize: 8 });
    for (const w of [m.embedding.weight.f32, m.fc.weight.f32]) {
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.09);
    }
    expect([...m.fc.bias!.f32].every((v) => v === 0)).toBe(true);
  });

  it('a tied weight gets the sum of its embedding and output gradients', () => {
    manualSeed(3);
    const tied = new LanguageModel({ vocabSize: V, hiddenSize: 5, tieWeights: true });
    const untied = new LanguageModel({ vocabSize: V, hiddenSize: 5 });
    const weights = { ...tied.stateDict(), 'fc.weight': tied.embedding.weight };
    untied.loadStateDict(weights);
    const [x, y] = [tokens(2, 6, 1), tokens(2, 6, 2)];
    loss(tied, x, y).backward();
    loss(untied, x, y).backward();
    const sum = untied.embedding.weight.grad!.f32.map((g, i) => g + untied.fc.weight.grad!.f32[i]!);
    expectClose(tied.embedding.weight.grad!.f32, [...sum], 1e-5, 1e-7, 'tied gradient');
  });

  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    it(`two chunks with the state carried give the logits of one pass (${cell})`, () => {
      manualSeed(4);
      const m = new LanguageModel({ vocabSize: V, embedDim: 3, hiddenSize: 5, numLayers: 2, cell });
      const x = tokens(3, 8, 5);
      const [whole] = noGrad(() => m.forward(x));
      const [first, state] = noGrad(() => m.forward(slice(x, 1, 0, 5)));
      const [second] = noGrad(() => m.forward(slice(x, 1, 5, 8), detachState(state)));
      expectClose(slice(whole, 1, 0, 5).f32, [...first.f32], 1e-6, 1e-6, 'first chunk');
      expectClose(slice(whole, 1, 5, 8).f32, [...second.f32], 1e-5, 1e-6, 'second chunk');
    });
  }

  it('a detached state is cut from the graph that made it', () => {
    manualSeed(5);
    const m = new LanguageModel({ vocabSize: V, hiddenSize: 4 });
    const [, state] = m.forward(tokens(2, 3, 1));
    const [h, c] = state as readonly [Tensor, Tensor];
    expect(h.requiresGrad && c.requiresGrad).toBe(true);
    const [dh, dc] = detachState(state) as readonly [Tensor, Tensor];
    expect([dh.requiresGrad, dh.gradFn, dc.requiresGrad, dc.gradFn]).toEqual([false, null, false, null]);
    expect([...dh.f32]).toEqual([...h.f32]);
  });

  for (const cell of ['lstm', 'gru'] as const) {
    it(`the streamer gives forward's logits one token at a time (${cell})`, () => {
      manualSeed(6);
      const m = new LanguageModel({
        vocabSize: V,
        embedDim: 4,
        hiddenSize: 6,
        numLayers: 2,
        cell,
        dropout: 0.3,
      });
      expect(() => m.streamer()).toThrow(/call eval\(\) first/);
      m.eval();
      const x = tokens(2, 7, 8);
      const [logits] = noGrad(() => m.forward(x));
      const s = m.streamer({ batch: 2 });
      for (let t = 0; t < 7; t++) {
        const step = s.step([x.i32[t]!, x.i32[7 + t]!]);
        for (let b = 0; b < 2; b++) {
          const want = logits.f32.subarray((b * 7 + t) * V, (b * 7 + t + 1) * V);
          expectClose(step.subarray(b * V, (b + 1) * V), [...want], 1e-5, 1e-5, `t=${t} b=${b}`);
        }
      }
      const [, state] = noGrad(() => m.forward(x));
      const hOf = (st: LmState) => (st instanceof Tensor ? st : st[0]).f32;
      expectClose(hOf(s.state), [...hOf(state)], 1e-5, 1e-6, 'state');
    });
  }

  it('validates its configuration and inputs', () => {
    expect(() => new LanguageModel({ vocabSize: 0 })).toThrow(/vocabSize must be a positive integer/);
    expect(() => new LanguageModel({ vocabSize: 5, embedDim: 3, hiddenSize: 4, tieWeights: true })).toThrow(
      /tieWeights needs embedDim = hiddenSize/,
    );
    expect(() => new LanguageModel({ vocabSize: 5, dropout: 1 })).toThrow(
      /dropout must be a number in \[0, 1\)/,
    );
    expect(() => new LanguageModel({ vocabSize: 5, cell: 'tcn' as never })).toThrow(ValueError);
    const m = new LanguageModel({ vocabSize: 5, hiddenSize: 3 });
    expect(() => m.forward(new Tensor(new Float32Array(4), [2, 2]))).toThrow(DTypeError);
    expect(() => m.forward(new Tensor(new Int32Array(4), [4]))).toThrow(ShapeError);
    m.eval();
    const s = m.streamer();
    expect(() => s.step([5])).toThrow(IndexError);
    expect(() => s.step([1, 2])).toThrow(/needs 1 token id/);
  });
});
