import { describe, expect, it } from 'vitest';
import {
  type GateName,
  gateCount,
  gateRows,
  invertOrder,
  permuteBlocks,
  RECURRENT_KINDS,
  recurrentKind,
} from '../../src/backend/recurrent-kinds.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Pre-activations of one step from zero state, per gate, sliced with the table's gateRows. */
function preActivations(layer: RNN | LSTM | GRU, x: Float32Array, h: Float32Array) {
  const sd = layer.stateDict();
  const [wih, whh, bih, bhh] = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map(
    (k) => (sd[k] as Tensor).f32,
  ) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const H = layer.hiddenSize;
  const E = layer.inputSize;
  return (gate: GateName) => {
    const [start, end] = gateRows(layer.mode, gate, H);
    const input: number[] = [];
    const recurrent: number[] = [];
    for (let row = start; row < end; row++) {
      let a = bih[row]!;
      let b = bhh[row]!;
      for (let e = 0; e < E; e++) a += wih[row * E + e]! * x[e]!;
      for (let j = 0; j < H; j++) b += whh[row * H + j]! * h[j]!;
      input.push(a);
      recurrent.push(b);
    }
    return { input, recurrent };
  };
}

describe('the recurrent-kinds table', () => {
  const generator = new Generator(12);
  const x = randn([1, 1, 3], { generator });
  const h0 = randn([1, 1, 4], { generator });

  it("names LSTM gates in PyTorch's packing order: i, f, g, o", () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, generator });
    const c0 = randn([1, 1, 4], { generator });
    const [, [hN, cN]] = noGrad(() => lstm.forward(x, [h0, c0]));
    const z = preActivations(lstm, x.f32, h0.f32);
    const sum = (g: GateName) => z(g).input.map((v, k) => v + z(g).recurrent[k]!);
    const [i, f, g, o] = [
      sum('i').map(sigmoid),
      sum('f').map(sigmoid),
      sum('g').map(Math.tanh),
      sum('o').map(sigmoid),
    ];
    const c = c0.f32.map((cv, k) => f[k]! * cv + i[k]! * g[k]!);
    expect(Array.from(cN.f32)).toEqual(Array.from(c).map((v) => expect.closeTo(v, 5)));
    expect(Array.from(hN.f32)).toEqual(Array.from(c, (v, k) => expect.closeTo(o[k]! * Math.tanh(v), 5)));
  });

  it('names GRU gates r, z, n with b_hn inside the reset product', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4, generator });
    const [, hN] = noGrad(() => gru.forward(x, h0));
    const p = preActivations(gru, x.f32, h0.f32);
    const gate = (g: GateName) => p(g).input.map((v, k) => sigmoid(v + p(g).recurrent[k]!));
    const [r, z] = [gate('r'), gate('z')];
    const n = p('n').input.map((v, k) => Math.tanh(v + r[k]! * p('n').recurrent[k]!));
    const expected = n.map((nv, k) => (1 - z[k]!) * nv + z[k]! * h0.f32[k]!);
    expect(RECURRENT_KINDS.GRU.bias).toBe('gru-reset-after');
    expect(Array.from(hN.f32)).toEqual(expected.map((v) => expect.closeTo(v, 5)));
  });

  it('gives a plain RNN one block and its activation', () => {
    const rnn = new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', generator });
    const [, hN] = noGrad(() => rnn.forward(x, h0));
    const p = preActivations(rnn, x.f32, h0.f32)('h');
    expect(recurrentKind(rnn.mode).activation).toBe('relu');
    expect(Array.from(hN.f32)).toEqual(
      p.input.map((v, k) => expect.closeTo(Math.max(0, v + p.recurrent[k]!), 5)),
    );
  });

  it('gate counts, permutations and their inverses', () => {
    expect(['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'].map((k) => gateCount(k as 'LSTM'))).toEqual([1, 1, 4, 3]);
    // ONNX LSTM i, o, f, c takes PyTorch's blocks 0, 3, 1, 2; Keras GRU z, r, h takes 1, 0, 2
    const blocks = Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3); // four blocks of width 2
    expect(Array.from(permuteBlocks(blocks, RECURRENT_KINDS.LSTM.onnx.order, 2))).toEqual([
      0, 0, 3, 3, 1, 1, 2, 2,
    ]);
    const rows = Float32Array.of(0, 1, 2, 10, 11, 12); // two rows of three blocks of width 1
    const keras = permuteBlocks(rows, RECURRENT_KINDS.GRU.keras.order, 1, 2);
    expect(Array.from(keras)).toEqual([1, 0, 2, 11, 10, 12]);
    for (const info of Object.values(RECURRENT_KINDS)) {
      for (const order of [info.onnx.order, info.keras.order]) {
        const data = Float32Array.from({ length: order.length * 3 }, (_, i) => i);
        const back = permuteBlocks(permuteBlocks(data, order, 3), invertOrder(order), 3);
        expect(Array.from(back)).toEqual(Array.from(data));
      }
    }
  });

  it('refuses an unknown kind or gate, naming it', () => {
    expect(() => recurrentKind('LSTMP' as 'LSTM')).toThrow(ValueError);
    expect(() => recurrentKind('LSTMP' as 'LSTM')).toThrow(/one of RNN_TANH, RNN_RELU, LSTM, GRU, got LSTMP/);
    expect(() => gateRows('GRU', 'f', 4)).toThrow(/GRU has no gate 'f'/);
  });
});
