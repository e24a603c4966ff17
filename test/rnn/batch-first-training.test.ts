import { expect, it } from 'vitest';
import { Embedding } from '../../src/nn/embedding.js';
import { LSTM } from '../../src/nn/rnn.js';
import { add, mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { transpose } from '../../src/ops/shape.js';
import { Generator } from '../../src/tensor/random.js';
import { randint, randn } from '../../src/tensor/random-tensors.js';
import { trainingStep } from '../../src/tensor/step.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// A batch-first layer makes its batch-first output only when that output is first read, in
// training too. Read inside a training step it must carry the values and the gradient of the
// time-major layer's output transposed; never read, it is released with the step like any other
// output. Fed by an embedding, its time-major input's backward scatters straight into the
// embedding's weight: the gradients must be those of the plain path (an input that is not an
// embedding's output), up to the order of the sums over repeated tokens. Shapes large enough
// (T·B·E ≥ 16384) for the step to pool the buffers.

const T = 40;
const B = 24;
const E = 20;
const H = 18;

function pair(): [LSTM, LSTM] {
  const batchFirst = new LSTM({
    inputSize: E,
    hiddenSize: H,
    batchFirst: true,
    generator: new Generator(11),
  });
  const timeMajor = new LSTM({ inputSize: E, hiddenSize: H });
  timeMajor.loadStateDict(batchFirst.stateDict());
  return [batchFirst, timeMajor];
}

const bits = (t: Tensor) => Array.from(t.f32);

describeEachBackend('batch-first recurrent training', () => {
  it('gives the output and gradients of the time-major layer transposed', () => {
    const [batchFirst, timeMajor] = pair();
    const x = randn([B, T, E], { generator: new Generator(5) });
    const weight = randn([B, T, H], { generator: new Generator(6) });
    let out: number[] = [];
    trainingStep(() => {
      const [y] = batchFirst.forward(x);
      out = bits(y);
      sum(mul(y, weight)).backward();
    });
    const [tm] = timeMajor.forward(transpose(x, 0, 1));
    const y = transpose(tm, 0, 1);
    sum(mul(y, weight)).backward();
    expect(out).toEqual(bits(y));
    const want = timeMajor.parameters();
    batchFirst.parameters().forEach((p, i) => {
      expect(bits(p.grad!)).toEqual(bits(want[i]!.grad!));
    });
  });

  it('releases an output nobody read with its step', () => {
    const [batchFirst] = pair();
    const x = randn([B, T, E], { generator: new Generator(5) });
    const [y] = trainingStep(() => {
      const r = batchFirst.forward(x);
      sum(r[1][0]).backward();
      return r;
    });
    expect(() => y.data).toThrow(/released when its training step ended/);
  });

  it('sends an embedding’s gradient straight to its weight, as the plain path does', () => {
    const [batchFirst] = pair();
    const embedding = new Embedding(30, E, { paddingIdx: 0, generator: new Generator(3) });
    const ids = randint(0, 30, [B, T], { generator: new Generator(4) });
    const weight = randn([B, T, H], { generator: new Generator(6) });
    const alsoX = randn([B, T, E], { generator: new Generator(7) });
    const grads = (plain: boolean) => {
      for (const p of [...batchFirst.parameters(), embedding.weight]) p.grad = null;
      trainingStep(() => {
        const x = embedding.forward(ids);
        // mul(x, 1) is x, but not an embedding's output: the plain path.
        const [y] = batchFirst.forward(plain ? mul(x, 1) : x);
        // x reaches the loss a second way too, through its own backward.
        add(sum(mul(y, weight)), sum(mul(x, alsoX))).backward();
      });
      return [...batchFirst.parameters(), embedding.weight].map((p) => bits(p.grad!));
    };
    const want = grads(true);
    grads(false).forEach((got, i) => {
      const scale = Math.max(...want[i]!.map(Math.abs));
      got.forEach((v, j) => {
        expect(Math.abs(v - want[i]![j]!)).toBeLessThanOrEqual(1e-6 * scale);
      });
    });
    // The padding row takes no gradient.
    const zeros = new Array<number>(E).fill(0);
    expect(want.at(-1)!.slice(0, E)).toEqual(zeros);
    expect(grads(false).at(-1)!.slice(0, E)).toEqual(zeros);
  });
});
