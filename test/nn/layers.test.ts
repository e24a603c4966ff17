import { describe, expect, it } from 'vitest';
import { Dropout } from '../../src/nn/dropout.js';
import { Embedding } from '../../src/nn/embedding.js';
import { fanInAndFanOut, kaimingUniform_, normal_, uniform_, zeros_ } from '../../src/nn/init.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { relu } from '../../src/ops/unary.js';
import { IndexError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { type Tensor, tensor, zeros } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expectClose, loadFixture } from './fixture.js';

interface LinearCase {
  name: string;
  xShape: number[];
  x: number[];
  weight: number[];
  bias: number[] | null;
  y: number[];
  gOut: number[];
  gx: number[];
  gWeight: number[];
  gBias: number[] | null;
}
interface EmbeddingCase {
  name: string;
  paddingIdx: number | null;
  weight: number[];
  indices: number[];
  indexShape: number[];
  y: number[];
  gOut: number[];
  gWeight: number[];
}
const fx = loadFixture<{ linear: LinearCase[]; embedding: EmbeddingCase[] }>('layers.json');

describeEachBackend('Linear matches PyTorch', () => {
  for (const c of fx.linear) {
    it(c.name, () => {
      const lin = new Linear(4, 5, { bias: c.bias !== null });
      lin.weight.f32.set(c.weight);
      if (c.bias) lin.bias!.f32.set(c.bias);
      const x = tensor(Float32Array.from(c.x), { shape: c.xShape, requiresGrad: true });
      const y = lin.forward(x);
      expect(y.shape).toEqual([...c.xShape.slice(0, -1), 5]);
      expectClose(y.f32, c.y, 1e-6, 1e-6, 'y');
      y.backward(tensor(Float32Array.from(c.gOut), { shape: y.shape }));
      expectClose(x.grad!.f32, c.gx, 1e-5, 1e-6, 'gx');
      expectClose(lin.weight.grad!.f32, c.gWeight, 1e-5, 1e-6, 'gWeight');
      if (c.gBias) expectClose(lin.bias!.grad!.f32, c.gBias, 1e-5, 1e-6, 'gBias');
      else expect(lin.bias).toBeNull();
    });
  }

  it('initialises weight and bias from U(−1/√in, 1/√in) with PyTorch names', () => {
    const lin = new Linear(16, 200, { generator: new Generator(3) });
    expect(lin.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [200, 16]],
      ['bias', [200]],
    ]);
    const bound = 1 / Math.sqrt(16);
    for (const t of [lin.weight, lin.bias!]) {
      const d = t.f32;
      const max = d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.95 * bound); // the bound is reached, not a narrower range
    }
    // The same seed gives the same weights.
    const again = new Linear(16, 200, { generator: new Generator(3) });
    expect(Array.from(again.weight.f32)).toEqual(Array.from(lin.weight.f32));
  });

  it('rejects bad sizes and inputs', () => {
    expect(() => new Linear(-1, 2)).toThrow(ValueError);
    expect(() => new Linear(2.5, 2)).toThrow(/inFeatures must be a non-negative integer, got 2.5/);
    expect(() => new Linear(3, 2).forward(zeros([4, 2]))).toThrow(/must end in 3 features/);
  });
});

describeEachBackend('Embedding matches PyTorch', () => {
  for (const c of fx.embedding) {
    it(c.name, () => {
      const emb = new Embedding(7, 3, { paddingIdx: c.paddingIdx });
      emb.weight.f32.set(c.weight);
      const idx = tensor(Int32Array.from(c.indices), { shape: c.indexShape });
      const y = emb.forward(idx);
      expect(y.shape).toEqual([...c.indexShape, 3]);
      expectClose(y.f32, c.y, 1e-6, 0, 'y');
      y.backward(tensor(Float32Array.from(c.gOut), { shape: y.shape }));
      expectClose(emb.weight.grad!.f32, c.gWeight, 1e-5, 1e-6, 'gWeight');
    });
  }

  it('initialises from N(0, 1) with the padding row zeroed, normalising a negative paddingIdx', () => {
    const emb = new Embedding(400, 50, { paddingIdx: -2, generator: new Generator(5) });
    expect(emb.paddingIdx).toBe(398);
    const w = emb.weight.f32;
    expect(Array.from(w.subarray(398 * 50, 399 * 50))).toEqual(new Array(50).fill(0));
    let s = 0;
    let s2 = 0;
    for (const v of w) {
      s += v;
      s2 += v * v;
    }
    const n = w.length - 50;
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('rejects a paddingIdx outside the vocabulary and out-of-range indices', () => {
    expect(() => new Embedding(5, 2, { paddingIdx: 5 })).toThrow(
      /paddingIdx must be an integer in \[-5, 5\), got 5/,
    );
    expect(() => new Embedding(5, 2, { paddingIdx: -6 })).toThrow(ValueError);
    expect(() => new Embedding(5, 2).forward(tensor([1, 5], { dtype: 'int32' }))).toThrow(IndexError);
  });
});

describe('init helpers', () => {
  it('fill in place from the given generator', () => {
    const a = zeros([3, 4]);
    const b = zeros([3, 4]);
    uniform_(a, -2, 3, new Generator(9));
    const g = new Generator(9);
    const expected = Array.from({ length: 12 }, () => Math.fround(g.uniform(-2, 3)));
    expect(Array.from(a.f32)).toEqual(expected);
    normal_(b, 1, 0, new Generator(1));
    expect(Array.from(b.f32)).toEqual(new Array(12).fill(1));
    zeros_(a);
    expect(Array.from(a.f32)).toEqual(new Array(12).fill(0));
  });

  it('kaimingUniform_ uses gain √(2/(1+a²)) on fan-in', () => {
    const w = zeros([10, 6, 2]);
    expect(fanInAndFanOut(w)).toEqual([12, 20]);
    kaimingUniform_(w, 0, new Generator(2));
    const bound = Math.sqrt(2) * Math.sqrt(3 / 12);
    const max = w.f32.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.9 * bound);
    expect(() => uniform_(w, 1, 0)).toThrow(/low ≤ high/);
    expect(() => normal_(w, 0, -1)).toThrow(ValueError);
    expect(() => fanInAndFanOut(zeros([3]))).toThrow(/at least 2 dimensions/);
  });
});

describe('Dropout and Sequential', () => {
  it('Dropout zeroes and rescales in training, is the identity in eval', () => {
    const x = tensor(new Float32Array(1000).fill(1), { shape: [10, 100] });
    const d = new Dropout(0.25, { generator: new Generator(4) });
    const y = d.forward(x).f32;
    let zerosN = 0;
    for (const v of y) {
      if (v === 0) zerosN++;
      else expect(v).toBeCloseTo(1 / 0.75, 6);
    }
    expect(zerosN).toBeGreaterThan(200);
    expect(zerosN).toBeLessThan(300);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(() => new Dropout(1.5)).toThrow(/p must be a probability in \[0, 1\], got 1.5/);
  });

  it('Sequential chains forwards, names children 0, 1, … and propagates train/eval', () => {
    const gen = new Generator(11);
    const l1 = new Linear(3, 4, { generator: gen });
    const l2 = new Linear(4, 2, { generator: gen });
    const act = new (class extends Dropout {
      override forward(x: Tensor): Tensor {
        return relu(super.forward(x));
      }
    })(0.5);
    const seq = new Sequential(l1, act, l2);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    seq.eval();
    expect(act.training).toBe(false);
    const x = tensor([[1, -2, 0.5]]);
    expect(seq.forward(x).tolist()).toEqual(l2.forward(relu(l1.forward(x))).tolist());
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(l2);
    expect(() => seq.at(3)).toThrow(IndexError);
    expect(() => new Sequential(l1, {} as Linear)).toThrow(/argument 1 must be a Module/);
  });
});
