import { describe, expect, it } from 'vitest';
import { clamp, pow, square } from '../../src/ops/pointwise.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn, uniform } from '../../src/tensor/random-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(2);

describe('pow, square, clamp', () => {
  it('compute values', () => {
    expect(pow(tensor([2, 3]), 3).tolist()).toEqual([8, 27]);
    expect(square(tensor([-2, 3])).tolist()).toEqual([4, 9]);
    expect(pow(tensor([4, 9]), 0.5).tolist()).toEqual([2, 3]);
    expect(clamp(tensor([-2, 0.5, 3]), -1, 1).tolist()).toEqual([-1, 0.5, 1]);
    expect(clamp(tensor([-2, 3]), 0).tolist()).toEqual([0, 3]);
    expect(clamp(tensor([-2, 3]), null, 0).tolist()).toEqual([-2, 0]);
  });

  it('have correct gradients', () => {
    gradcheck((a) => pow(a, 3), [randn([5], { generator: gen })]);
    gradcheck((a) => pow(a, -1.5), [uniform([5], 0.5, 2, { generator: gen })]);
    gradcheck(square, [randn([2, 3], { generator: gen })]);
    gradcheck((a) => clamp(a, -0.5, 0.5), [randn([10], { generator: gen })]);
    const x = tensor([1, 2], { requiresGrad: true });
    pow(x, 0).backward(tensor([1, 1]));
    expect(x.grad!.tolist()).toEqual([0, 0]);
  });

  it('reject bad bounds and exponents', () => {
    expect(() => clamp(tensor([1]))).toThrow(ValueError);
    expect(() => clamp(tensor([1]), 2, 1)).toThrow(/expected min ≤ max, got min 2 and max 1/);
    expect(() => pow(tensor([1]), Number.NaN)).toThrow(ValueError);
  });
});
