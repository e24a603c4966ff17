import { describe, expect, it } from 'vitest';
import { embedding } from '../src/ops/embedding.js';
import { matmul } from '../src/ops/matmul.js';
import { ValueError } from '../src/tensor/errors.js';
import { randint, randn } from '../src/tensor/random-tensors.js';
import { full, Tensor, zeros } from '../src/tensor/tensor.js';

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

  it('an output allocated without its zero fill throws the same ValueError', () => {
    // embedding writes every element of its output, so it asks for memory without the fill.
    const weight = zeros([2, 100000]);
    const indices = new Tensor(new Int32Array(100000), [100000]);
    expect(() => embedding(weight, indices)).toThrow(
      /^output: a float32 tensor of shape \(10000000000,\) needs 10000000000 elements/,
    );
  });
});

describe('outputs allocated without a zero fill', () => {
  it('hold exactly what the op wrote, with no stale values from freed memory', () => {
    // Fill the allocator's free memory with non-zero values, then gather zero rows over it.
    for (let i = 0; i < 8; i++) new Float32Array(1 << 18).fill(7);
    const weight = zeros([3, 1 << 10]);
    const out = embedding(weight, new Tensor(new Int32Array([0, 1, 2, 1]), [4])).f32;
    expect(out.length).toBe(4 << 10);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(out.byteOffset).toBe(0);
  });
});
