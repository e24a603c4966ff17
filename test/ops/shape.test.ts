import { describe, expect, it } from 'vitest';
import { mul } from '../../src/ops/binary.js';
import {
  broadcastTo,
  chunk,
  concat,
  flatten,
  gather,
  indexSelect,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from '../../src/ops/shape.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { type Tensor, tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(5);
const r = (...shape: number[]) => randn(shape, { generator: gen });
const ids = (values: unknown) => tensor(values as number[], { dtype: 'int32' });
/** 0, 1, 2, … in `shape`. */
const arange = (...shape: number[]) => {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(
    Float32Array.from({ length: n }, (_, i) => i),
    { shape },
  );
};

describe('reshape, flatten, squeeze, unsqueeze', () => {
  it('reshape keeps row-major order and infers one -1', () => {
    const x = arange(2, 3);
    expect(reshape(x, [3, -1]).tolist()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(reshape(x, [6]).shape).toEqual([6]);
    expect(reshape(tensor([5]), []).shape).toEqual([]);
    gradcheck((a) => mul(reshape(a, [4, -1]), reshape(a, [4, 3])), [r(2, 6)]);
  });

  it('reshape rejects a size mismatch, two -1s and bad sizes', () => {
    expect(() => reshape(arange(2, 3), [4])).toThrow(ShapeError);
    expect(() => reshape(arange(2, 3), [4])).toThrow(/\(4,\) has 4 elements but the tensor \(2, 3\) has 6/);
    expect(() => reshape(arange(2, 3), [-1, -1])).toThrow(ValueError);
    expect(() => reshape(arange(2, 3), [4, -1])).toThrow(/cannot infer the -1/);
    expect(() => reshape(arange(2, 3), [2.5, 2])).toThrow(ValueError);
  });

  it('flatten merges a dimension range', () => {
    expect(flatten(arange(2, 3, 4)).shape).toEqual([24]);
    expect(flatten(arange(2, 3, 4), 1).shape).toEqual([2, 12]);
    expect(flatten(arange(2, 3, 4), 0, 1).shape).toEqual([6, 4]);
    expect(() => flatten(arange(2, 3), 1, 0)).toThrow(ValueError);
  });

  it('squeeze and unsqueeze move size-1 dimensions, with gradients', () => {
    expect(squeeze(arange(1, 3, 1)).shape).toEqual([3]);
    expect(squeeze(arange(1, 3, 1), -1).shape).toEqual([1, 3]);
    expect(unsqueeze(arange(2, 3), -1).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(arange(2, 3), 0).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(arange(2, 3), 1).tolist()).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
    expect(() => squeeze(arange(2, 3), 0)).toThrow(/dimension 0 of shape \(2, 3\) has size 2, expected 1/);
    expect(() => unsqueeze(arange(2, 3), 3)).toThrow(/axis 3 is out of range for a tensor of rank 3/);
    gradcheck((a) => unsqueeze(squeeze(a, 1), 0), [r(3, 1, 2)]);
  });
});

describe('permute and transpose', () => {
  it('reorder dimensions', () => {
    const x = arange(2, 3);
    expect(transpose(x, 0, 1).tolist()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const y = permute(arange(2, 3, 4), [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    // y[k, i, j] = x[i, j, k] = 12i + 4j + k
    expect((y.tolist() as number[][][])[3]![1]![2]).toBe(12 + 8 + 3);
    expect(transpose(arange(2, 3, 4), -1, 0).shape).toEqual([4, 3, 2]);
  });

  it('have correct gradients', () => {
    gradcheck((a) => permute(a, [1, 2, 0]), [r(2, 3, 4)]);
    gradcheck((a) => transpose(a, 0, 1), [r(3, 5)]);
    gradcheck((a) => transpose(a, 0, 2), [r(2, 1, 3)]);
  });

  it('reject bad dims', () => {
    expect(() => permute(arange(2, 3), [0])).toThrow(/must list all 2 dimensions/);
    expect(() => permute(arange(2, 3), [1, 1])).toThrow(/repeat a dimension/);
    expect(() => transpose(arange(2, 3), 0, 2)).toThrow(ValueError);
  });

  it('copy wide contiguous runs exactly', () => {
    const x = r(3, 2, 70);
    const y = transpose(x, 0, 1);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 70; k++) expect(y.f32[(j * 3 + i) * 70 + k]).toBe(x.f32[(i * 2 + j) * 70 + k]);
    gradcheck((a) => transpose(a, 0, 1), [r(2, 3, 65)]);
  });

  it('keep int32 data', () => {
    expect(transpose(ids([[1, 2]]), 0, 1).tolist()).toEqual([[1], [2]]);
  });
});

describe('concat and stack', () => {
  it('concat joins along any axis', () => {
    const a = arange(2, 2);
    const b = tensor([[10], [11]]);
    expect(concat([a, b], 1).tolist()).toEqual([
      [0, 1, 10],
      [2, 3, 11],
    ]);
    expect(concat([a, tensor([[7, 8]])], 0).tolist()).toEqual([
      [0, 1],
      [2, 3],
      [7, 8],
    ]);
    expect(concat([a, tensor([[7, 8]])], -2).shape).toEqual([3, 2]);
    expect(concat([ids([1]), ids([2, 3])]).tolist()).toEqual([1, 2, 3]);
  });

  it('concat copies wide rows exactly', () => {
    const a = r(3, 70);
    const b = r(3, 80);
    const c = concat([a, b], 1);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 150; j++) {
        const v = j < 70 ? a.f32[i * 70 + j] : b.f32[i * 80 + j - 70];
        expect(c.f32[i * 150 + j]).toBe(v);
      }
    }
    expect(Array.from(slice(c, 1, 70).f32)).toEqual(Array.from(b.f32));
  });

  it('concat and stack have correct gradients', () => {
    gradcheck((x, y, z) => concat([x, y, z], 1), [r(2, 3, 2), r(2, 1, 2), r(2, 4, 2)]);
    gradcheck((x, y) => concat([x, y], -1), [r(3, 2), r(3, 3)]);
    gradcheck((x, y) => stack([x, y], 1), [r(2, 3), r(2, 3)]);
    gradcheck((x, y) => stack([x, y], -1), [r(4), r(4)]);
    // an empty piece and size-1 dims
    gradcheck((x, y) => concat([x, y], 1), [r(2, 0), r(2, 3)]);
    gradcheck((x, y) => stack([x, y], 0), [r(1, 1), r(1, 1)]);
    // the same tensor twice accumulates both gradients
    gradcheck((x) => concat([x, x], 0), [r(2, 2)]);
  });

  it('stack adds a new axis', () => {
    const s = stack([tensor([1, 2]), tensor([3, 4]), tensor([5, 6])], 1);
    expect(s.tolist()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    expect(stack([tensor([1, 2])], 0).shape).toEqual([1, 2]);
  });

  it('reject mismatched shapes, dtypes and empty lists', () => {
    expect(() => concat([arange(2, 3), arange(3, 3)], 1)).toThrow(ShapeError);
    expect(() => concat([arange(2, 3), arange(3, 3)], 1)).toThrow(
      /tensor 1 has shape \(3, 3\), which does not match tensor 0 \(2, 3\) outside axis 1/,
    );
    expect(() => concat([arange(2, 3), arange(2)], 0)).toThrow(ShapeError);
    expect(() => concat([arange(2), ids([1])])).toThrow(DTypeError);
    expect(() => concat([])).toThrow(ValueError);
    expect(() => stack([arange(2), arange(3)])).toThrow(/tensor 1 has shape \(3,\) but tensor 0 has \(2,\)/);
    expect(() => stack([arange(2)], 2)).toThrow(ValueError);
  });
});

describe('slice, split, chunk', () => {
  it('slice follows Python slicing', () => {
    const x = arange(5);
    expect(slice(x, 0, 1, 3).tolist()).toEqual([1, 2]);
    expect(slice(x, 0, -2).tolist()).toEqual([3, 4]);
    expect(slice(x, 0, 3, 100).tolist()).toEqual([3, 4]);
    expect(slice(x, 0, 4, 2).tolist()).toEqual([]);
    expect(slice(arange(2, 3), 1, 1, 2).tolist()).toEqual([[1], [4]]);
    expect(() => slice(x, 0, 0.5)).toThrow(ValueError);
    expect(() => slice(x, 1, 0)).toThrow(/axis 1 is out of range/);
  });

  it('split and chunk follow torch.split / torch.chunk', () => {
    const x = arange(5, 2);
    expect(split(x, 2).map((t) => t.shape[0])).toEqual([2, 2, 1]);
    expect(split(x, [1, 4])[1]!.tolist()).toEqual([
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(split(x, 1, 1)[1]!.tolist()).toEqual([[1], [3], [5], [7], [9]]);
    expect(chunk(x, 2).map((t) => t.shape[0])).toEqual([3, 2]);
    expect(chunk(arange(6), 4).map((t) => t.size)).toEqual([2, 2, 2]);
    expect(() => split(x, [1, 1])).toThrow(/add up to 2 but dimension 0 of \(5, 2\) is 5/);
    expect(() => split(x, 0)).toThrow(ValueError);
    expect(() => chunk(x, 0)).toThrow(ValueError);
  });

  it('slices and splits have correct gradients', () => {
    gradcheck((a) => slice(a, 1, 1, 3), [r(2, 4, 3)]);
    const pieces = (a: Tensor) => {
      const [p, q] = split(a, [3, 2], 0);
      return concat([mul(p!, 2), q!], 0);
    };
    gradcheck(pieces, [r(5, 2)]);
    gradcheck((a) => mul(chunk(a, 2, -1)[0]!, chunk(a, 2, -1)[1]!), [r(3, 4)]);
  });
});

describe('indexSelect and gather', () => {
  it('indexSelect picks entries along an axis', () => {
    const x = arange(3, 2);
    expect(indexSelect(x, 0, ids([2, 0, 2])).tolist()).toEqual([
      [4, 5],
      [0, 1],
      [4, 5],
    ]);
    expect(indexSelect(x, 1, ids([1])).tolist()).toEqual([[1], [3], [5]]);
    gradcheck((a) => indexSelect(a, 1, ids([2, 0, 2, 2])), [r(2, 3, 2)]);
  });

  it('gather follows torch.gather', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // torch.gather(x, 1, [[2, 0], [1, 1]]) = [[3, 1], [5, 5]]
    expect(
      gather(
        x,
        1,
        ids([
          [2, 0],
          [1, 1],
        ]),
      ).tolist(),
    ).toEqual([
      [3, 1],
      [5, 5],
    ]);
    // torch.gather(x, 0, [[1, 0, 1]]) = [[4, 2, 6]]
    expect(gather(x, 0, ids([[1, 0, 1]])).tolist()).toEqual([[4, 2, 6]]);
    const idx = ids([
      [[0], [2]],
      [[1], [1]],
    ]);
    gradcheck((a) => gather(a, 1, idx), [r(2, 3, 2)]);
    gradcheck(
      (a) =>
        gather(
          a,
          -1,
          ids([
            [0, 0, 2],
            [1, 2, 2],
          ]),
        ),
      [r(2, 3)],
    );
  });

  it('reject float indices, bad shapes and out-of-range entries', () => {
    const x = arange(2, 3);
    expect(() => indexSelect(x, 0, tensor([0]))).toThrow(DTypeError);
    expect(() => indexSelect(x, 0, ids([[0]]))).toThrow(/index must be 1-D, got shape \(1, 1\)/);
    expect(() => indexSelect(x, 1, ids([0, 3]))).toThrow(IndexError);
    expect(() => indexSelect(x, 1, ids([0, 3]))).toThrow(
      /index 3 at position \[1\] is out of range for dimension 1 of size 3/,
    );
    expect(() => gather(x, 1, tensor([[0]]))).toThrow(/index must be an int32 tensor, got float32/);
    expect(() => gather(x, 1, ids([0]))).toThrow(ShapeError);
    expect(() => gather(x, 1, ids([[0], [0], [0]]))).toThrow(ShapeError);
    expect(() => gather(x, 0, ids([[0, 2]]))).toThrow(/index 2 at position \[0, 1\].*size 2/);
    expect(() => gather(x, 2, ids([[0]]))).toThrow(ValueError);
  });
});

describe('broadcastTo', () => {
  it('repeats size-1 dimensions and sums gradients back', () => {
    expect(broadcastTo(tensor([[1], [2]]), [2, 3]).tolist()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    gradcheck((a) => broadcastTo(a, [2, 3, 4]), [r(3, 1)]);
    expect(() => broadcastTo(arange(2, 3), [3])).toThrow(ShapeError);
  });
});
