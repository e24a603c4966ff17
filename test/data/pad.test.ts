import { describe, expect, it } from 'vitest';
import { padSequence } from '../../src/data/pad.js';
import { DTypeError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('padSequence', () => {
  const seqs = [[1, 2, 3], [4], [5, 6]];

  it('pads (T, B) by default like PyTorch', () => {
    const out = padSequence(seqs);
    expect(out.shape).toEqual([3, 3]);
    expect(out.dtype).toBe('int32');
    // torch.nn.utils.rnn.pad_sequence([t([1,2,3]), t([4]), t([5,6])])
    expect(out.tolist()).toEqual([
      [1, 4, 5],
      [2, 0, 6],
      [3, 0, 0],
    ]);
  });

  it('pads (B, T) with batchFirst, on the right or the left, with a padding value', () => {
    expect(padSequence(seqs, { batchFirst: true, paddingValue: -1 }).tolist()).toEqual([
      [1, 2, 3],
      [4, -1, -1],
      [5, 6, -1],
    ]);
    expect(padSequence(seqs, { batchFirst: true, side: 'left' }).tolist()).toEqual([
      [1, 2, 3],
      [0, 0, 4],
      [0, 5, 6],
    ]);
    expect(padSequence(seqs, { side: 'left' }).tolist()).toEqual([
      [1, 0, 0],
      [2, 0, 5],
      [3, 4, 6],
    ]);
  });

  it('keeps trailing dimensions and the float dtype of tensors', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5, 6]]);
    const out = padSequence([a, b], { batchFirst: true, paddingValue: 0.5 });
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.tolist()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [0.5, 0.5],
      ],
    ]);
    const tb = padSequence([a, b]);
    expect(tb.shape).toEqual([2, 2, 2]);
    expect(tb.tolist()).toEqual([
      [
        [1, 2],
        [5, 6],
      ],
      [
        [3, 4],
        [0, 0],
      ],
    ]);
  });

  it('keeps int32 for Int32Arrays and int32 tensors, and handles empty sequences', () => {
    const out = padSequence([new Int32Array([7, 8]), new Int32Array(0)], { batchFirst: true });
    expect(out.dtype).toBe('int32');
    expect(out.tolist()).toEqual([
      [7, 8],
      [0, 0],
    ]);
    const t = padSequence([tensor([1, 2], { dtype: 'int32' }), tensor([3], { dtype: 'int32' })]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.i32)).toEqual([1, 3, 2, 0]);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => padSequence([])).toThrow(ValueError);
    expect(() => padSequence([[1.5]])).toThrow(DTypeError);
    expect(() => padSequence([[1]], { paddingValue: 0.5 })).toThrow(DTypeError);
    expect(() => padSequence([[1]], { side: 'middle' as 'left' })).toThrow(/side must be/);
    expect(() => padSequence([tensor([[1, 2]]), tensor([[1, 2, 3]])])).toThrow(ShapeError);
    expect(() => padSequence([tensor([1]), tensor([1], { dtype: 'int32' })])).toThrow(DTypeError);
  });
});
