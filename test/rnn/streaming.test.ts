import { expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { DTypeError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { type Tensor, tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// The streamer runs T = 1 kernels where forward runs the whole sequence: equal up to float32
// rounding of sums taken in another order.
function expectClose(a: ArrayLike<number>, e: ArrayLike<number>, what: string, tol = 1e-5): void {
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!))))
      expect.fail(`${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

type Layer = LSTM | GRU | RNN;

interface Case {
  name: string;
  make: (generator: Generator) => Layer;
}

const E = 6;
const CASES: Case[] = [
  { name: 'LSTM, 1 layer', make: (g) => new LSTM({ inputSize: E, hiddenSize: 5, generator: g }) },
  {
    name: 'LSTM, 2 layers',
    make: (g) => new LSTM({ inputSize: E, hiddenSize: 20, numLayers: 2, generator: g }),
  },
  {
    name: 'LSTM, 2 layers, projSize 3',
    make: (g) => new LSTM({ inputSize: E, hiddenSize: 7, numLayers: 2, projSize: 3, generator: g }),
  },
  {
    name: 'LSTM without bias',
    make: (g) => new LSTM({ inputSize: E, hiddenSize: 4, bias: false, generator: g }),
  },
  { name: 'GRU, 1 layer', make: (g) => new GRU({ inputSize: E, hiddenSize: 5, generator: g }) },
  {
    name: 'GRU, 2 layers',
    make: (g) => new GRU({ inputSize: E, hiddenSize: 17, numLayers: 2, generator: g }),
  },
  { name: 'RNN tanh, 1 layer', make: (g) => new RNN({ inputSize: E, hiddenSize: 5, generator: g }) },
  {
    name: 'RNN relu, 2 layers',
    make: (g) => new RNN({ inputSize: E, hiddenSize: 9, numLayers: 2, nonlinearity: 'relu', generator: g }),
  },
];

/** forward over the whole sequence: output (T, B, R) and the final state as streamer.state has it. */
function forwardAll(layer: Layer, x: Tensor, state: Tensor | [Tensor, Tensor] | null) {
  if (layer instanceof LSTM) {
    const [out, [h, c]] = layer.forward(x, state as [Tensor, Tensor] | null);
    return { out: out.f32, h: h.f32, c: c.f32 };
  }
  const [out, h] = layer.forward(x, state as Tensor | null);
  return { out: out.f32, h: h.f32, c: null };
}

/** Steps x (T, B, E) through a fresh streamer; outputs concatenated as (T, B, R). */
function streamAll(layer: Layer, x: Tensor, B: number, state: Tensor | [Tensor, Tensor] | null) {
  const s = layer.streamer({ batch: B });
  if (state) (s.reset as (st: Tensor | [Tensor, Tensor]) => void)(state);
  const T = x.shape[0]!;
  const R = s.outputSize;
  const out = new Float32Array(T * B * R);
  for (let t = 0; t < T; t++) out.set(s.step(x.f32.subarray(t * B * E, (t + 1) * B * E)), t * B * R);
  const st = s.state;
  return Array.isArray(st) ? { out, h: st[0].f32, c: st[1].f32 } : { out, h: (st as Tensor).f32, c: null };
}

function initialState(layer: Layer, B: number, g: Generator): Tensor | [Tensor, Tensor] {
  const L = layer.numLayers;
  const h = randn([L, B, layer.outputSize], { generator: g });
  return layer instanceof LSTM ? [h, randn([L, B, layer.hiddenSize], { generator: g })] : h;
}

describeEachBackend('streamer steps match forward over the whole sequence', () => {
  CASES.forEach((c, i) => {
    for (const B of [1, 3]) {
      it(`${c.name}, batch ${B}, from zeros and from a given state`, () => {
        const g = new Generator(100 + i);
        const layer = c.make(g).eval();
        const x = randn([5, B, E], { generator: g });
        const want = forwardAll(layer, x, null);
        const got = streamAll(layer, x, B, null);
        expectClose(got.out, want.out, 'output');
        expectClose(got.h, want.h, 'h');
        if (want.c) expectClose(got.c!, want.c, 'c');

        const s0 = initialState(layer, B, g);
        const want0 = forwardAll(layer, x, s0);
        const got0 = streamAll(layer, x, B, s0);
        expectClose(got0.out, want0.out, 'output from a given state');
        expectClose(got0.h, want0.h, 'h from a given state');
        if (want0.c) expectClose(got0.c!, want0.c, 'c from a given state');
      });
    }
  });

  it('reset() starts over from zeros and a Tensor input equals its Float32Array', () => {
    const layer = new LSTM({ inputSize: E, hiddenSize: 8, numLayers: 2, generator: new Generator(7) });
    const x = randn([3, 2, E], { generator: new Generator(8) });
    const s = layer.streamer({ batch: 2 });
    const first = [0, 1, 2].map((t) => s.step(x.f32.subarray(t * 2 * E, (t + 1) * 2 * E)).slice());
    s.reset();
    expect(s.state[0].f32.every((v) => v === 0)).toBe(true);
    for (let t = 0; t < 3; t++) {
      const xt = tensor(x.f32.slice(t * 2 * E, (t + 1) * 2 * E), { shape: [2, E] });
      expect(Array.from(s.step(xt))).toEqual(Array.from(first[t]!));
    }
    // Parameters are read at every step: an update in place shows in the next step.
    const before = s.step(x.f32.subarray(0, 2 * E)).slice();
    s.reset();
    s.step(x.f32.subarray(0, 2 * E));
    s.reset();
    layer.parameters()[0]!.f32.fill(0);
    expect(Array.from(s.step(x.f32.subarray(0, 2 * E)))).not.toEqual(Array.from(before));
  });

  it('an unbatched (E) Tensor steps a batch of one', () => {
    const layer = new GRU({ inputSize: E, hiddenSize: 4, generator: new Generator(9) });
    const x = randn([E], { generator: new Generator(10) });
    const a = layer.streamer().step(x).slice();
    const b = layer.streamer().step(x.f32);
    expect(Array.from(a)).toEqual(Array.from(b));
    const [out] = layer.eval().forward(tensor(x.f32, { shape: [1, 1, E] }));
    expectClose(a, out.f32, 'output');
  });
});

it('streamer rejects bad options, inputs and states with errors that name them', () => {
  const g = new Generator(3);
  const lstm = new LSTM({ inputSize: 4, hiddenSize: 3, numLayers: 2, generator: g });
  expect(() => new LSTM({ inputSize: 4, hiddenSize: 3, bidirectional: true }).streamer()).toThrow(
    /bidirectional layer cannot stream/,
  );
  expect(() => new GRU({ inputSize: 4, hiddenSize: 3, bidirectional: true }).streamer()).toThrow(ValueError);
  expect(() => lstm.streamer({ batch: 0 })).toThrow(/batch must be a positive integer, got 0/);
  expect(() => lstm.streamer({ batch: 1.5 })).toThrow(ValueError);
  expect(() => lstm.streamer(null as unknown as { batch: number })).toThrow(/options must be an object/);
  const s = lstm.streamer({ batch: 2 });
  expect(() => s.step(new Float32Array(7))).toThrow(ShapeError);
  expect(() => s.step(new Float32Array(7))).toThrow(/x must hold batch·inputSize = 2·4 = 8 values, got 7/);
  expect(() => s.step(tensor([1, 2, 3, 4]))).toThrow(
    /x must have shape \(batch, inputSize\) = \(2, 4\), got \(4,\)/,
  );
  expect(() => s.step(tensor([[1, 2, 3, 4]], { dtype: 'int32' }))).toThrow(DTypeError);
  expect(() => s.step([1, 2] as unknown as Float32Array)).toThrow(/x must be a Float32Array or a Tensor/);
  expect(() => s.reset(randn([2, 2, 3], { generator: g }) as unknown as [Tensor, Tensor])).toThrow(
    /state must be a pair \[h, c\]/,
  );
  const h = randn([2, 2, 3], { generator: g });
  expect(() => s.reset([h, randn([1, 2, 3], { generator: g })])).toThrow(
    /state c must have shape \(2, 2, 3\) \(layers, batch, features\), got \(1, 2, 3\)/,
  );
  expect(() => new RNN({ inputSize: 4, hiddenSize: 3 }).streamer().reset(randn([1, 2, 3]))).toThrow(
    /state must have shape \(1, 1, 3\)/,
  );
  // Inter-layer dropout is a training-time operation a step does not apply.
  const dropped = new GRU({ inputSize: 4, hiddenSize: 3, numLayers: 2, dropout: 0.5, generator: g });
  expect(() => dropped.streamer()).toThrow(/training mode with dropout 0.5.*call eval\(\) first/);
  const ds = dropped.eval().streamer();
  dropped.train();
  expect(() => ds.step(new Float32Array(4))).toThrow(/call eval\(\) first/);
});
