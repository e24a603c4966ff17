import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRUCell, LSTMCell, RNNCell } from '../../src/nn/cells.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { add, mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { concat, reshape, slice, transpose } from '../../src/ops/shape.js';
import { DTypeError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { type Tensor, tensor, zeros } from '../../src/tensor/tensor.js';

const gen = new Generator(11);
const r = (...shape: number[]) => randn(shape, { generator: gen });

function expectClose(a: ArrayLike<number>, e: ArrayLike<number>, tol: number, what = 'value'): void {
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!))))
      expect.fail(`${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

describe('cells match PyTorch', () => {
  interface CellFixture {
    kind: 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
    x: number[];
    h: number[];
    c?: number[];
    params: Record<string, number[]>;
    gH: number[];
    gC?: number[];
    hOut: number[];
    cOut?: number[];
    grads: Record<string, number[]>;
  }
  const fx = JSON.parse(readFileSync(new URL('../../fixtures/rnn/cells.json', import.meta.url), 'utf8')) as {
    inputSize: number;
    hiddenSize: number;
    B: number;
    cells: CellFixture[];
  };
  const { inputSize, hiddenSize: H, B } = fx;
  for (const cf of fx.cells) {
    it(cf.kind, () => {
      const opts = { inputSize, hiddenSize: H };
      const cell =
        cf.kind === 'lstm'
          ? new LSTMCell(opts)
          : cf.kind === 'gru'
            ? new GRUCell(opts)
            : new RNNCell({ ...opts, nonlinearity: cf.kind === 'rnn_relu' ? 'relu' : 'tanh' });
      expect(Object.keys(cell.stateDict())).toEqual(Object.keys(cf.params));
      for (const [k, p] of cell.namedParameters()) p.f32.set(cf.params[k]!);
      const x = tensor(cf.x, { shape: [B, inputSize], requiresGrad: true });
      const h = tensor(cf.h, { shape: [B, H], requiresGrad: true });
      const gH = tensor(cf.gH, { shape: [B, H] });
      let loss: Tensor;
      const c = cf.c ? tensor(cf.c, { shape: [B, H], requiresGrad: true }) : null;
      if (cell instanceof LSTMCell) {
        const [h1, c1] = cell.forward(x, [h, c!]);
        expectClose(h1.f32, cf.hOut, 1e-5, 'h');
        expectClose(c1.f32, cf.cOut!, 1e-5, 'c');
        loss = add(sum(mul(h1, gH)), sum(mul(c1, tensor(cf.gC!, { shape: [B, H] }))));
      } else {
        const h1 = cell.forward(x, h);
        expectClose(h1.f32, cf.hOut, 1e-5, 'h');
        loss = sum(mul(h1, gH));
      }
      loss.backward();
      expectClose(x.grad!.f32, cf.grads.x!, 1e-4, 'grad x');
      expectClose(h.grad!.f32, cf.grads.h!, 1e-4, 'grad h');
      if (c) expectClose(c.grad!.f32, cf.grads.c!, 1e-4, 'grad c');
      for (const [k, p] of cell.namedParameters()) expectClose(p.grad!.f32, cf.grads[k]!, 1e-4, `grad ${k}`);
    });
  }

  it('take unbatched input and a missing state as zeros', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 2, generator: new Generator(1) });
    const x = r(3);
    const [h, c] = cell.forward(x);
    expect(h.shape).toEqual([2]);
    const [hb, cb] = cell.forward(reshape(x, [1, 3]), [zeros([1, 2]), zeros([1, 2])]);
    expectClose(h.f32, hb.f32, 1e-7);
    expectClose(c.f32, cb.f32, 1e-7);
    expect(() => cell.forward(r(2, 4))).toThrow(/3 features/);
    expect(() => cell.forward(r(2, 3), [r(3, 2), r(2, 2)])).toThrow(ShapeError);
  });
});

describe('parameters', () => {
  it('have PyTorch names, order and shapes', () => {
    const m = new LSTM({ inputSize: 7, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 3 });
    const shapes = Object.entries(m.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`);
    expect(shapes).toEqual([
      'weight_ih_l0:20x7',
      'weight_hh_l0:20x3',
      'bias_ih_l0:20',
      'bias_hh_l0:20',
      'weight_hr_l0:3x5',
      'weight_ih_l0_reverse:20x7',
      'weight_hh_l0_reverse:20x3',
      'bias_ih_l0_reverse:20',
      'bias_hh_l0_reverse:20',
      'weight_hr_l0_reverse:3x5',
      'weight_ih_l1:20x6',
      'weight_hh_l1:20x3',
      'bias_ih_l1:20',
      'bias_hh_l1:20',
      'weight_hr_l1:3x5',
      'weight_ih_l1_reverse:20x6',
      'weight_hh_l1_reverse:20x3',
      'bias_ih_l1_reverse:20',
      'bias_hh_l1_reverse:20',
      'weight_hr_l1_reverse:3x5',
    ]);
    const g = new GRU({ inputSize: 4, hiddenSize: 6, bias: false });
    expect(Object.keys(g.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(g.stateDict().weight_hh_l0!.shape).toEqual([18, 6]);
  });

  it('are drawn from U(−1/√H, 1/√H) by the given generator, reproducibly', () => {
    const a = new RNN({ inputSize: 3, hiddenSize: 16, generator: new Generator(5) });
    const b = new RNN({ inputSize: 3, hiddenSize: 16, generator: new Generator(5) });
    const c = new RNN({ inputSize: 3, hiddenSize: 16, generator: new Generator(6) });
    const va = a.parameters().flatMap((p) => Array.from(p.f32));
    expect(va).toEqual(b.parameters().flatMap((p) => Array.from(p.f32)));
    expect(va).not.toEqual(c.parameters().flatMap((p) => Array.from(p.f32)));
    // First value: the generator's first uniform draw mapped to [−0.25, 0.25).
    expect(va[0]).toBeCloseTo(new Generator(5).uniform(-0.25, 0.25), 6);
    expect(Math.max(...va.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...va.map(Math.abs))).toBeGreaterThan(0.2);
  });
});

describe('input validation', () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true });
  it('rejects a wrong input rank or feature size, naming the shapes', () => {
    expect(() => lstm.forward(r(2, 3, 3, 1))).toThrow(ShapeError);
    expect(() => lstm.forward(r(3))).toThrow(/3-D \(B, T, E\) or unbatched 2-D \(T, E\), got shape \(3,\)/);
    expect(() => lstm.forward(r(5, 4))).toThrow(/3 features/);
    expect(() => lstm.forward(r(2, 5, 4))).toThrow(/3 features.*\(2, 5, 4\)/);
  });
  it('rejects initial states of the wrong shape', () => {
    expect(() => lstm.forward(r(2, 5, 3), [r(2, 2, 4), r(2, 2, 4)])).not.toThrow();
    expect(() => lstm.forward(r(2, 5, 3), [r(1, 2, 4), r(2, 2, 4)])).toThrow(
      /h0 must have shape \(2, 2, 4\).*got \(1, 2, 4\)/,
    );
    expect(() => lstm.forward(r(2, 5, 3), [r(2, 2, 4), r(2, 3, 4)])).toThrow(
      /c0 must have shape \(2, 2, 4\)/,
    );
    const gru = new GRU({ inputSize: 3, hiddenSize: 4 });
    expect(() => gru.forward(r(5, 2, 3), r(2, 4))).toThrow(ShapeError);
  });
  it('rejects bad lengths', () => {
    const x = r(2, 5, 3);
    expect(() => lstm.forward(x, null, { lengths: [5, 6] })).toThrow(ValueError);
    expect(() => lstm.forward(x, null, { lengths: [5, 6] })).toThrow(/entry 1 is 6, outside \[0, 5\]/);
    expect(() => lstm.forward(x, null, { lengths: [5, -1] })).toThrow(/outside/);
    expect(() => lstm.forward(x, null, { lengths: [5, 2, 1] })).toThrow(/one length per sample \(2\), got 3/);
    expect(() => lstm.forward(x, null, { lengths: [5, 2.5] })).toThrow(/must be an integer, got 2.5/);
    expect(() => lstm.forward(x, null, { lengths: tensor([[5, 2]], { dtype: 'int32' }) })).toThrow(
      /1-D tensor/,
    );
    expect(() => lstm.forward(x, null, { lengths: tensor([5, 2], { dtype: 'int32' }) })).not.toThrow();
  });
  it('rejects bad options', () => {
    expect(() => new LSTM({ inputSize: 0, hiddenSize: 4 })).toThrow(
      /inputSize must be a positive integer, got 0/,
    );
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 4 })).toThrow(/projSize/);
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: 1 as unknown as boolean })).toThrow(
      /batchFirst must be a boolean, got 1/,
    );
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4, dropout: 1.5, numLayers: 2 })).toThrow(/dropout/);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4, dropout: 0.5 })).toThrow(/numLayers = 1/);
    expect(() => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'sigmoid' as 'tanh' })).toThrow(
      /nonlinearity/,
    );
    expect(() => lstm.forward(tensor([[[1, 2, 3]]], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});

describe('unbatched input', () => {
  it('(T, E) with states (L·D, R) is a batch of one', () => {
    const m = new LSTM({
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      generator: new Generator(13),
    });
    const x = r(5, 3);
    const h0 = r(4, 2);
    const c0 = r(4, 4);
    const [out, [hN, cN]] = m.forward(x, [h0, c0]);
    expect(out.shape).toEqual([5, 4]);
    expect(hN.shape).toEqual([4, 2]);
    const [ob, [hb, cb]] = m.forward(reshape(x, [5, 1, 3]), [reshape(h0, [4, 1, 2]), reshape(c0, [4, 1, 4])]);
    expect(Array.from(out.f32)).toEqual(Array.from(ob.f32));
    expect(Array.from(hN.f32)).toEqual(Array.from(hb.f32));
    expect(Array.from(cN.f32)).toEqual(Array.from(cb.f32));
    expect(() => m.forward(x, [r(4, 1, 2), c0])).toThrow(/h0 must have shape \(4, 2\)/);
  });
});

describe('lengths', () => {
  for (const Layer of [RNN, LSTM, GRU]) {
    it(`${Layer.name}: a ragged batch equals each sample run alone on its own prefix`, () => {
      const m = new Layer({
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator: new Generator(3),
      });
      const x = r(3, 6, 3);
      const lengths = [6, 2, 4];
      const run = (inp: Tensor, lens: number[] | null): [Tensor, Tensor] => {
        const [out, state] = m.forward(inp, null, { lengths: lens }) as [Tensor, Tensor | [Tensor, Tensor]];
        return [out, Array.isArray(state) ? state[0] : state];
      };
      const [out, hN] = run(x, lengths);
      lengths.forEach((len, b) => {
        const xb = slice(slice(x, 0, b, b + 1), 1, 0, len);
        const [ob, hb] = run(xb, null);
        expectClose(slice(slice(out, 0, b, b + 1), 1, 0, len).f32, ob.f32, 1e-5, `output of sample ${b}`);
        expect(Array.from(slice(slice(out, 0, b, b + 1), 1, len).f32).every((v) => v === 0)).toBe(true);
        expectClose(slice(hN, 1, b, b + 1).f32, hb.f32, 1e-5, `hN of sample ${b}`);
      });
    });
  }

  it('a length-0 sample keeps its initial state and outputs zeros', () => {
    const m = new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true, generator: new Generator(4) });
    const h0 = r(2, 2, 3);
    const c0 = r(2, 2, 3);
    const [out, [hN, cN]] = m.forward(r(4, 2, 2), [h0, c0], { lengths: [0, 4] });
    for (let d = 0; d < 2; d++) {
      expect(Array.from(slice(slice(hN, 0, d, d + 1), 1, 0, 1).f32)).toEqual(
        Array.from(slice(slice(h0, 0, d, d + 1), 1, 0, 1).f32),
      );
      expect(Array.from(slice(slice(cN, 0, d, d + 1), 1, 0, 1).f32)).toEqual(
        Array.from(slice(slice(c0, 0, d, d + 1), 1, 0, 1).f32),
      );
    }
    expect(Array.from(slice(out, 1, 0, 1).f32).every((v) => v === 0)).toBe(true);
  });
});

describe('stateful streaming', () => {
  it("chunks carrying (h, c) give the full sequence's outputs and final state", () => {
    const m = new LSTM({
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 2,
      batchFirst: true,
      generator: new Generator(8),
    });
    const x = r(2, 12, 3);
    const [full, [hFull, cFull]] = m.forward(x);
    let state: [Tensor, Tensor] | null = null;
    const outs: Tensor[] = [];
    for (const [a, b] of [
      [0, 5],
      [5, 6],
      [6, 12],
    ] as const) {
      const [out, [h, c]] = m.forward(slice(x, 1, a, b), state);
      outs.push(out);
      state = [h.detach(), c.detach()];
    }
    expectClose(concat(outs, 1).f32, full.f32, 1e-6, 'output');
    expectClose(state![0].f32, hFull.f32, 1e-6, 'h');
    expectClose(state![1].f32, cFull.f32, 1e-6, 'c');
  });

  it('detaching between chunks truncates backpropagation at the chunk boundary', () => {
    const m = new GRU({ inputSize: 2, hiddenSize: 3, generator: new Generator(9) });
    const x1 = r(4, 1, 2);
    x1.requiresGrad = true;
    const x2 = r(4, 1, 2);
    const [, h1] = m.forward(x1);
    const carried = h1.detach();
    const [out2] = m.forward(x2, carried);
    sum(out2).backward();
    expect(x1.grad).toBeNull();
    const gradsTbptt = m.parameters().map((p) => Array.from(p.grad!.f32));
    // The same as a fresh run of chunk 2 from a leaf initial state with those values.
    m.zeroGrad();
    const [out2b] = m.forward(x2, carried.clone());
    sum(out2b).backward();
    for (const [i, p] of m.parameters().entries()) expectClose(p.grad!.f32, gradsTbptt[i]!, 1e-7, 'grad');
  });
});

describe('dropout between layers', () => {
  it('is off in eval mode and feeds zeros to the next layer with p = 1 in training', () => {
    const m = new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 1, generator: new Generator(2) });
    const plain = new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, generator: new Generator(2) });
    const x = r(5, 2, 3);
    m.eval();
    expect(Array.from(m.forward(x)[0].f32)).toEqual(Array.from(plain.forward(x)[0].f32));
    m.train();
    const [out] = m.forward(x);
    // Layer 1 sees zeros: h' = tanh(b_ih + b_hh + h·W_hhᵀ), checked against a one-layer RNN with layer 1's weights.
    const second = new RNN({ inputSize: 4, hiddenSize: 4 });
    const sd = m.stateDict();
    second.loadStateDict(
      Object.fromEntries(Object.entries(second.stateDict()).map(([k]) => [k, sd[k.replace('l0', 'l1')]!])),
    );
    expectClose(out.f32, second.forward(zeros([5, 2, 4]))[0].f32, 1e-6, 'output');
  });

  it('draws its mask from the layer generator, so a seed reproduces it', () => {
    const make = () =>
      new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 3, dropout: 0.5, generator: new Generator(21) });
    const x = r(4, 2, 3);
    const a = make().forward(x)[0];
    const b = make().forward(x)[0];
    expect(Array.from(a.f32)).toEqual(Array.from(b.f32));
    const e = make().eval().forward(x)[0];
    expect(Array.from(a.f32)).not.toEqual(Array.from(e.f32));
  });
});

describe('batchFirst', () => {
  it('is the time-major result transposed', () => {
    const tm = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, generator: new Generator(12) });
    const bf = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, batchFirst: true });
    bf.loadStateDict(tm.stateDict());
    const x = r(5, 2, 3);
    const [o1, h1] = tm.forward(x, null, { lengths: [5, 3] });
    const [o2, h2] = bf.forward(transpose(x, 0, 1), null, { lengths: [5, 3] });
    expect(Array.from(transpose(o2, 0, 1).f32)).toEqual(Array.from(o1.f32));
    expect(Array.from(h2.f32)).toEqual(Array.from(h1.f32));
  });
});

describe('backward', () => {
  it('can run twice over the same graph (saved buffers are left intact)', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, generator: new Generator(31) });
    const x = r(5, 2, 3);
    x.requiresGrad = true;
    const [out, [hN, cN]] = m.forward(x, null, { lengths: [5, 3] });
    const loss = add(add(sum(mul(out, out)), sum(hN)), sum(cN));
    loss.backward();
    const once = [x, ...m.parameters()].map((p) => Array.from(p.grad!.f32));
    loss.backward();
    for (const [i, p] of [x, ...m.parameters()].entries()) {
      expectClose(
        p.grad!.f32,
        once[i]!.map((v) => 2 * v),
        1e-6,
        `grad ${i}`,
      );
    }
  });
});
