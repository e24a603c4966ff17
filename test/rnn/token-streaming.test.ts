import { expect, it } from 'vitest';
import { LanguageModel } from '../../src/nn/language-model.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { TOKEN_TABLE_MAX_BYTES, TOKEN_TABLE_MIN_INPUT } from '../../src/nn/streaming.js';
import { reshape } from '../../src/ops/shape.js';
import { SGD } from '../../src/optim/sgd.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { IndexError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// A token step at batch 1 adds a kept input product W_ih·E[v] + b_ih instead of computing W_ih·x
// in the fused step: the same sums in another order, equal within float32 rounding.
function expectClose(a: ArrayLike<number>, e: ArrayLike<number>, what: string, tol = 2e-6): void {
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!))))
      expect.fail(`${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

type Layer = LSTM | GRU | RNN;
// Input products are kept from this many input features on.
const E = TOKEN_TABLE_MIN_INPUT;
const V = 11;
const CASES: { name: string; make: (g: Generator) => Layer }[] = [
  { name: 'LSTM', make: (g) => new LSTM({ inputSize: E, hiddenSize: 5, generator: g }) },
  {
    name: 'LSTM, 2 layers, projSize 3',
    make: (g) => new LSTM({ inputSize: E, hiddenSize: 7, numLayers: 2, projSize: 3, generator: g }),
  },
  {
    name: 'LSTM without bias',
    make: (g) => new LSTM({ inputSize: E, hiddenSize: 4, bias: false, generator: g }),
  },
  {
    name: 'GRU, 2 layers',
    make: (g) => new GRU({ inputSize: E, hiddenSize: 9, numLayers: 2, generator: g }),
  },
  { name: 'RNN tanh', make: (g) => new RNN({ inputSize: E, hiddenSize: 5, generator: g }) },
  {
    name: 'RNN relu, 2 layers',
    make: (g) => new RNN({ inputSize: E, hiddenSize: 8, numLayers: 2, nonlinearity: 'relu', generator: g }),
  },
];

// Tokens with repeats, so that kept input products are used again.
const IDS = [3, 0, 3, 10, 7, 3, 0, 0, 5, 10];

function startState(layer: Layer, B: number, g: Generator): Tensor | [Tensor, Tensor] {
  const h = randn([layer.numLayers, B, layer.outputSize], { generator: g });
  return layer instanceof LSTM ? [h, randn([layer.numLayers, B, layer.hiddenSize], { generator: g })] : h;
}

function stateValues(st: Tensor | readonly [Tensor, Tensor]): number[] {
  return st instanceof Tensor ? [...st.f32] : [...st[0].f32, ...st[1].f32];
}

describeEachBackend('token steps match steps on the embedding rows', () => {
  for (const c of CASES) {
    for (const B of [1, 2]) {
      it(`${c.name}, batch ${B}, state carried over ${IDS.length} tokens`, () => {
        const g = new Generator(21);
        const layer = c.make(g).eval();
        const embedding = randn([V, E], { generator: g });
        const start = startState(layer, B, g);
        const plain = layer.streamer({ batch: B });
        const tokens = layer.streamer({ batch: B });
        (plain.reset as (s: unknown) => void)(start);
        (tokens.reset as (s: unknown) => void)(start);
        for (let t = 0; t < IDS.length; t++) {
          const ids = Array.from({ length: B }, (_, b) => IDS[(t + 3 * b) % IDS.length]!);
          const x = new Float32Array(B * E);
          for (const [b, id] of ids.entries()) x.set(embedding.f32.subarray(id * E, (id + 1) * E), b * E);
          expectClose(tokens.stepTokens(ids, embedding), plain.step(x), `${c.name} t=${t}`);
        }
        expectClose(stateValues(tokens.state), stateValues(plain.state), 'state');
      });
    }
  }

  it('a streamer stepping on another embedding keeps that embedding’s products', () => {
    const g = new Generator(22);
    const lstm = new LSTM({ inputSize: E, hiddenSize: 5, generator: g }).eval();
    const embeddings = [randn([V, E], { generator: g }), randn([V, E], { generator: g })];
    const plain = lstm.streamer();
    const tokens = lstm.streamer();
    // Back and forth, so that each switch makes the other embedding's products anew.
    for (const [t, which] of [0, 1, 1, 0, 1].entries()) {
      const embedding = embeddings[which]!;
      const id = IDS[t]!;
      const x = embedding.f32.slice(id * E, (id + 1) * E);
      expectClose(tokens.stepTokens([id], embedding), plain.step(x), `embedding ${which} t=${t}`);
    }
  });

  it('a language model streamer made after an optimizer step gives the new weights’ logits', () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const m = new LanguageModel({ vocabSize: V, embedDim: E, hiddenSize: 6, numLayers: 2, cell });
      const inputs = new Tensor(Int32Array.from(IDS), [1, IDS.length]);
      const opt = new SGD(m.parameters(), { lr: 0.5 });
      const [logits] = m.forward(inputs);
      const targets = new Tensor(Int32Array.from(IDS.map((id) => (id + 1) % V)), [IDS.length]);
      crossEntropy(reshape(logits, [IDS.length, V]), targets).backward();
      opt.step();
      m.eval();
      const [fresh] = noGrad(() => m.forward(inputs));
      const s = m.streamer();
      for (let t = 0; t < IDS.length; t++) {
        const want = fresh.f32.subarray(t * V, (t + 1) * V);
        expectClose(s.step([IDS[t]!]), want, `${cell} t=${t}`, 1e-5);
      }
    }
  });
});

it('stepTokens rejects bad ids and embeddings with errors that name them', () => {
  const lstm = new LSTM({ inputSize: E, hiddenSize: 3, generator: new Generator(1) }).eval();
  const s = lstm.streamer();
  const embedding = randn([V, E], { generator: new Generator(2) });
  expect(() => s.stepTokens([V], embedding)).toThrow(IndexError);
  expect(() => s.stepTokens([1.5], embedding)).toThrow(/token id 1.5 \(sample 0\) is outside/);
  expect(() => s.stepTokens([1, 2], embedding)).toThrow(
    /needs 1 token id\(s\), one per sample, got an array of length 2/,
  );
  expect(() => s.stepTokens([1], randn([V, E + 1]))).toThrow(ShapeError);
  expect(() => s.stepTokens([1], new Float32Array(V * E) as never)).toThrow(ValueError);
});

it('a streamer keeps no input products past its memory bound, nor for narrow inputs', () => {
  // Without kept products a token step is a step on the embedding row: the same bits.
  const H = 256;
  const big = Math.floor(TOKEN_TABLE_MAX_BYTES / (4 * 4 * H)) + 1;
  for (const [rows, width] of [
    [big, E],
    [V, E - 1],
  ] as const) {
    const lstm = new LSTM({ inputSize: width, hiddenSize: H, generator: new Generator(3) }).eval();
    const embedding = randn([rows, width], { generator: new Generator(4) });
    const s = lstm.streamer();
    const plain = lstm.streamer();
    for (const id of [0, rows - 1, 0]) {
      const x = embedding.f32.slice(id * width, (id + 1) * width);
      expect([...s.stepTokens([id], embedding)], `${rows} rows of ${width}, id ${id}`).toEqual([
        ...plain.step(x),
      ]);
    }
  }
});
