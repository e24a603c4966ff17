import { describe, expect, it } from 'vitest';
import { embedding } from '../../src/ops/embedding.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(11);
const ids = (values: number[][] | number[]) => tensor(values, { dtype: 'int32' });

describe('embedding', () => {
  const weight = () =>
    tensor([
      [0, 0.5],
      [1, 1.5],
      [2, 2.5],
      [3, 3.5],
    ]);

  it('gathers rows into (..., E)', () => {
    const y = embedding(weight(), ids([[3, 0, 1]]));
    expect(y.shape).toEqual([1, 3, 2]);
    expect(y.tolist()).toEqual([
      [
        [3, 3.5],
        [0, 0.5],
        [1, 1.5],
      ],
    ]);
    const scalarIdx = embedding(weight(), tensor(new Int32Array([2]), { shape: [] }));
    expect(scalarIdx.tolist()).toEqual([2, 2.5]);
  });

  it('accumulates repeated indices and gives the padding row no gradient', () => {
    const w = weight();
    w.requiresGrad = true;
    const y = embedding(w, ids([1, 2, 1, 0, 0]), 0);
    // the padding row is still looked up in the forward pass
    expect(y.tolist()).toEqual([
      [1, 1.5],
      [2, 2.5],
      [1, 1.5],
      [0, 0.5],
      [0, 0.5],
    ]);
    y.backward(
      tensor([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
        [9, 10],
      ]),
    );
    expect(w.grad!.tolist()).toEqual([
      [0, 0],
      [6, 8],
      [3, 4],
      [0, 0],
    ]);
  });

  it('resolves a negative paddingIdx from the end', () => {
    const w = weight();
    w.requiresGrad = true;
    embedding(w, ids([3, 2]), -1).backward(
      tensor([
        [1, 1],
        [1, 1],
      ]),
    );
    expect(w.grad!.tolist()).toEqual([
      [0, 0],
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  it('has correct gradients (finite differences)', () => {
    const idx = ids([
      [4, 1, 1],
      [0, 4, 2],
    ]);
    gradcheck((w) => embedding(w, idx), [randn([5, 3], { generator: gen })]);
  });

  it('copies wide rows exactly', () => {
    const w = randn([7, 70], { generator: gen });
    const y = embedding(w, ids([6, 0, 6, 3]));
    [6, 0, 6, 3].forEach((row, i) => {
      expect(Array.from(y.f32.subarray(i * 70, i * 70 + 70))).toEqual(
        Array.from(w.f32.subarray(row * 70, row * 70 + 70)),
      );
    });
  });

  it('handles an empty batch', () => {
    const w = randn([3, 2], { generator: gen, requiresGrad: true });
    const y = embedding(w, tensor(new Int32Array(0), { shape: [0, 4] }));
    expect(y.shape).toEqual([0, 4, 2]);
  });

  it('rejects out-of-range indices, naming the index, its position and V', () => {
    const call = () =>
      embedding(
        weight(),
        ids([
          [0, 1],
          [2, 7],
        ]),
      );
    expect(call).toThrow(IndexError);
    expect(call).toThrow(/index 7 at position \[1, 1\].*V = 4/);
    expect(() => embedding(weight(), ids([-1]))).toThrow(/index -1 at position \[0\]/);
  });

  it('rejects float indices, a non-2-D weight and a bad paddingIdx', () => {
    expect(() => embedding(weight(), tensor([0, 1]))).toThrow(DTypeError);
    expect(() => embedding(weight(), tensor([0, 1]))).toThrow(/indices must be an int32 tensor, got float32/);
    expect(() => embedding(tensor([1, 2, 3]), ids([0]))).toThrow(ShapeError);
    expect(() => embedding(weight(), ids([0]), 4)).toThrow(ValueError);
    expect(() => embedding(weight(), ids([0]), 4)).toThrow(
      /paddingIdx must be an integer in \[-4, 4\), got 4/,
    );
    expect(() => embedding(weight(), ids([0]), 1.5)).toThrow(ValueError);
  });
});
