import { expect, it } from 'vitest';
import { GRU, LSTM } from '../../src/nn/rnn.js';
import { transpose } from '../../src/ops/shape.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// In inference a batch-first layer transposes its input into a pooled buffer it reuses at the
// next call, and makes its batch-first output only when that output is first read. Its outputs
// must be the bits a forward that records gradients gives, whenever they are read, and the
// pooled input of a later call must not reach an earlier call's output. Shapes large enough
// (T·B·E ≥ 16384) for the pool to keep the buffers.

const T = 40;
const B = 24;
const E = 20;
const H = 18;

function layers(): [LSTM, GRU] {
  const generator = new Generator(11);
  const options = { inputSize: E, hiddenSize: H, numLayers: 2, batchFirst: true, generator };
  return [new LSTM(options), new GRU({ ...options, bidirectional: true })];
}

function run(layer: LSTM | GRU, x: Tensor): [Tensor, Tensor] {
  if (layer instanceof LSTM) {
    const [out, [hN]] = layer.forward(x);
    return [out, hN];
  }
  return layer.forward(x);
}

describeEachBackend('batch-first recurrent inference', () => {
  it('gives the recorded forward’s outputs, read late, after other calls', () => {
    const generator = new Generator(5);
    const xs = [randn([B, T, E], { generator }), randn([B, T, E], { generator })];
    for (const layer of layers()) {
      const expected = xs.map((x) => run(layer, x).map((t) => Array.from(t.f32)));
      // Both inferences run before either output is read.
      const got = noGrad(() => xs.map((x) => run(layer, x)));
      got.forEach(([out, hN], i) => {
        expect(out.shape).toEqual([B, T, layer.numDirections * H]);
        expect(out.size).toBe(B * T * layer.numDirections * H);
        expect(Array.from(out.f32)).toEqual(expected[i]![0]);
        expect(Array.from(hN.f32)).toEqual(expected[i]![1]);
      });
    }
  });

  it('gives the time-major layer’s output transposed', () => {
    const [lstm] = layers();
    const timeMajor = new LSTM({ inputSize: E, hiddenSize: H, numLayers: 2 });
    timeMajor.loadStateDict(lstm.stateDict());
    const x = randn([B, T, E], { generator: new Generator(8) });
    const [out] = noGrad(() => lstm.forward(x));
    const [tm] = noGrad(() => timeMajor.forward(transpose(x, 0, 1)));
    expect(Array.from(out.f32)).toEqual(Array.from(transpose(tm, 0, 1).f32));
  });
});
