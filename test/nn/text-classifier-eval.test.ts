import { expect, it } from 'vitest';
import { type Pooling, TextClassifier } from '../../src/nn/heads.js';
import { LSTM } from '../../src/nn/rnn.js';
import { maskedPool } from '../../src/ops/masked-pool.js';
import { concat, reshape, slice } from '../../src/ops/shape.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { randint } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// In evaluation a TextClassifier gathers its embedding rows in time order and runs its layer
// time-major; the logits must be the bits of the batch-first pass its parts give (embedding →
// batch-first layer → pooling → fc), for every cell and pooling, with and without lengths.

const B = 6;
const T = 11;

function batchFirstLogits(model: TextClassifier, ids: Tensor, lengths: Int32Array): Tensor {
  const s = model.settings;
  const x = model.embedding.forward(ids);
  const opts = { lengths };
  const rnn = model.rnn;
  const [out, hN] =
    rnn instanceof LSTM ? (([o, [h]]) => [o, h])(rnn.forward(x, null, opts)) : rnn.forward(x, null, opts);
  let pooled: Tensor;
  if (s.pooling === 'last') {
    const D = s.bidirectional ? 2 : 1;
    const tops = Array.from({ length: D }, (_, d) => {
      const k = (s.numLayers - 1) * D + d;
      return reshape(slice(hN, 0, k, k + 1), [B, s.hiddenSize]);
    });
    pooled = D === 1 ? tops[0]! : concat(tops, 1);
  } else if (s.pooling === 'mean') pooled = maskedPool(out, lengths, 'mean');
  else if (s.pooling === 'max') pooled = maskedPool(out, lengths, 'max');
  else if (s.pooling === 'max-mean')
    pooled = concat([maskedPool(out, lengths, 'max'), maskedPool(out, lengths, 'mean')], 1);
  else pooled = model.attention!.forward(out, lengths);
  return model.fc.forward(pooled);
}

describeEachBackend('TextClassifier in evaluation', () => {
  it('gives the batch-first pass’s logits', () => {
    const generator = new Generator(4);
    const ids = randint(0, 40, [B, T], { generator });
    const lengths = new Int32Array([11, 3, 7, 1, 11, 5]);
    const poolings: Pooling[] = ['last', 'mean', 'max', 'max-mean', 'attention'];
    for (const cell of ['lstm', 'gru', 'rnn'] as const)
      for (const pooling of poolings) {
        const bidirectional = pooling !== 'mean';
        const model = new TextClassifier({
          vocabSize: 40,
          embedDim: 7,
          hiddenSize: 5,
          numLayers: 2,
          cell,
          bidirectional,
          pooling,
        });
        model.eval();
        for (const given of [undefined, lengths]) {
          const lens = given ?? new Int32Array(B).fill(T);
          const expected = noGrad(() => batchFirstLogits(model, ids, lens));
          const got = model.forward(ids, given);
          expect(Array.from(got.f32), `${cell} ${pooling}`).toEqual(Array.from(expected.f32));
        }
      }
  });
});
