import { expect, it } from 'vitest';
import { Embedding } from '../../src/nn/embedding.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { add, mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { Generator } from '../../src/tensor/random.js';
import { randint, randn } from '../../src/tensor/random-tensors.js';
import { trainingStep } from '../../src/tensor/step.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// A recurrent layer whose input is an embedding's output records the embedding's weight in the
// input's place, and its backward kernel adds the input gradient into the weight's gradient by
// token (never forming dx). Every gradient must be the plain path's (an input that is not an
// embedding's output, whose dx the embedding's backward scatters), up to the order of the sums over
// repeated tokens: every kind, both directions, two layers, lengths, batch-first and time-major,
// with the padding row and a second use of the embedding's output.

const T = 12;
const B = 9;
const E = 20;
const H = 10;
const V = 15;
const LENGTHS = [12, 5, 0, 12, 7, 1, 12, 3, 9];

type Layer = LSTM | GRU | RNN;

const layers: Array<[string, (batchFirst: boolean) => Layer]> = [
  ['LSTM', (batchFirst) => new LSTM({ ...shape(batchFirst), generator: new Generator(11) })],
  ['GRU', (batchFirst) => new GRU({ ...shape(batchFirst), generator: new Generator(12) })],
  [
    'RNN relu',
    (batchFirst) => new RNN({ ...shape(batchFirst), nonlinearity: 'relu', generator: new Generator(13) }),
  ],
];

function shape(batchFirst: boolean) {
  return { inputSize: E, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst };
}

const bits = (t: Tensor) => Array.from(t.f32);

/** Gradients of every parameter and the embedding's weight after one step, and the layer's first node. */
function gradients(layer: Layer, embedding: Embedding, batchFirst: boolean, plain: boolean) {
  const ids = randint(0, V, batchFirst ? [B, T] : [T, B], { generator: new Generator(4) });
  const weight = randn(batchFirst ? [B, T, 2 * H] : [T, B, 2 * H], { generator: new Generator(6) });
  const alsoX = randn(batchFirst ? [B, T, E] : [T, B, E], { generator: new Generator(7) });
  const params = [...layer.parameters(), embedding.weight];
  for (const p of params) p.grad = null;
  let parents: readonly unknown[] = [];
  trainingStep(() => {
    const x = embedding.forward(ids);
    // mul(x, 1) is x, but not an embedding's output: the plain path.
    const [y] = layer.forward(plain ? mul(x, 1) : x, null, { lengths: LENGTHS });
    parents = sequenceInputs(y);
    add(sum(mul(y, weight)), sum(mul(x, alsoX))).backward();
  });
  return { grads: params.map((p) => bits(p.grad!)), parents };
}

/** The inputs recorded by the recurrent ops behind y (every layer and direction). */
function sequenceInputs(y: Tensor): unknown[] {
  const seen = new Set<unknown>();
  const stack: Tensor[] = [y];
  const found: unknown[] = [];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || !t.gradFn) continue;
    seen.add(t);
    if (/^(lstm|gru|rnn)Sequence$/.test(t.gradFn.name)) found.push(...t.gradFn.inputs);
    stack.push(...(t.gradFn.inputs as Tensor[]));
  }
  return found;
}

describeEachBackend('recurrent layers fed by an embedding', () => {
  for (const batchFirst of [true, false])
    for (const [name, make] of layers)
      it(`${name} (${batchFirst ? 'batch-first' : 'time-major'}): gradients by token are the plain path's`, () => {
        const layer = make(batchFirst);
        const embedding = new Embedding(V, E, { paddingIdx: 2, generator: new Generator(3) });
        const want = gradients(layer, embedding, batchFirst, true);
        const got = gradients(layer, embedding, batchFirst, false);
        // The first layer's two directions recorded the embedding's weight in their input's place.
        expect(got.parents.filter((p) => p === embedding.weight)).toHaveLength(2);
        expect(want.parents).not.toContain(embedding.weight);
        got.grads.forEach((g, i) => {
          const w = want.grads[i]!;
          const scale = Math.max(...w.map(Math.abs));
          expect(scale).toBeGreaterThan(0);
          g.forEach((v, j) => {
            expect(Math.abs(v - w[j]!)).toBeLessThanOrEqual(2e-6 * scale);
          });
        });
        // The padding row takes no gradient.
        expect(got.grads.at(-1)!.slice(2 * E, 3 * E)).toEqual(new Array<number>(E).fill(0));
      });
});
