import { describe, expect, it } from 'vitest';
import { matmul } from '../src/ops/matmul.js';
import { ValueError } from '../src/tensor/errors.js';
import { randint, randn } from '../src/tensor/random-tensors.js';
import { full, zeros } from '../src/tensor/tensor.js';

describe('oversized tensors', () => {
  it('creation functions throw a ValueError naming the shape and its size, not a RangeError', () => {
    expect(() => zeros([100000, 100000])).toThrow(ValueError);
    expect(() => zeros([100000, 100000])).toThrow(
      /^zeros: a float32 tensor of shape \(100000, 100000\) needs 10000000000 elements \(37\.3 GiB\), more than can be allocated/,
    );
    expect(() => full([1 << 20, 1 << 20], 1)).toThrow(
      /^full: a float32 tensor of shape \(1048576, 1048576\)/,
    );
    expect(() => randn([1 << 20, 1 << 20])).toThrow(/^randn: .*more than can be allocated/);
    expect(() => randint(0, 5, [1 << 20, 1 << 20])).toThrow(/^randint: an int32 tensor of shape/);
  });

  it('an op whose output cannot be allocated throws a ValueError too', () => {
    expect(() => matmul(zeros([100000, 1]), zeros([1, 100000]))).toThrow(ValueError);
  });
});
