import { describe, expect, it } from 'vitest';
import { maskedFill, sequenceMask, where } from '../../src/ops/mask.js';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(8);
const r = (...shape: number[]) => randn(shape, { generator: gen });

describe('sequenceMask', () => {
  it('marks t < length', () => {
    expect(sequenceMask([2, 0, 3], 4).tolist()).toEqual([
      [1, 1, 0, 0],
      [0, 0, 0, 0],
      [1, 1, 1, 0],
    ]);
    expect(sequenceMask(new Int32Array([1, 2])).tolist()).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(sequenceMask([], 3).shape).toEqual([0, 3]);
  });

  it('rejects bad lengths, naming the position', () => {
    expect(() => sequenceMask([1, 5], 4)).toThrow(ValueError);
    expect(() => sequenceMask([1, 5], 4)).toThrow(/lengths\[1\] must be an integer in \[0, 4\].*got 5/);
    expect(() => sequenceMask([1, -1], 4)).toThrow(/lengths\[1\].*got -1/);
    expect(() => sequenceMask([1.5], 4)).toThrow(/lengths\[0\].*got 1.5/);
    expect(() => sequenceMask([1], -1)).toThrow(/maxLen must be a non-negative integer/);
  });
});

describe('maskedFill', () => {
  it('fills where the broadcast mask is set and blocks the gradient there', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const mask = sequenceMask([2, 1], 3);
    const y = maskedFill(x, mask, -1);
    expect(y.tolist()).toEqual([
      [-1, -1, 3],
      [-1, 5, 6],
    ]);
    y.backward(
      tensor([
        [1, 1, 1],
        [1, 1, 1],
      ]),
    );
    expect(x.grad!.tolist()).toEqual([
      [0, 0, 1],
      [0, 1, 1],
    ]);
    // int32 mask broadcast along rows
    expect(maskedFill(tensor([[1, 2]]), tensor([0, 1], { dtype: 'int32' }), 9).tolist()).toEqual([[1, 9]]);
    gradcheck((a) => maskedFill(a, tensor([[1], [0]]), Number.NEGATIVE_INFINITY), [r(2, 3)]);
  });

  it('rejects a mask that would enlarge x', () => {
    expect(() => maskedFill(r(3), tensor([[1, 0, 1]]), 0)).toThrow(ShapeError);
    expect(() => maskedFill(r(3), tensor([1, 0]), 0)).toThrow(/\(3,\) and \(2,\) cannot be broadcast/);
  });
});

describe('where', () => {
  it('selects between broadcast operands with correct gradients', () => {
    const cond = tensor([
      [1, 0],
      [0, 1],
    ]);
    expect(where(cond, tensor([10, 20]), 0).tolist()).toEqual([
      [10, 0],
      [0, 20],
    ]);
    gradcheck((a, b) => where(cond, a, b), [r(2, 1), r(2, 2)]);
    gradcheck((a, b) => where(cond, a, b), [r(2, 2), r()]);
  });
});
