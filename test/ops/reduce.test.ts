import { describe, expect, it } from 'vitest';
import { argmax, argmin, max, mean, min, sum } from '../../src/ops/reduce.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(3);
const r = (...shape: number[]) => randn(shape, { generator: gen });
const x = () =>
  tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);

describe('sum and mean', () => {
  it('reduce along an axis or over everything', () => {
    expect(sum(x()).tolist()).toBe(21);
    expect(sum(x()).shape).toEqual([]);
    expect(sum(x(), 0).tolist()).toEqual([5, 7, 9]);
    expect(sum(x(), -1).tolist()).toEqual([9, 12]);
    expect(sum(x(), 1, true).tolist()).toEqual([[9], [12]]);
    expect(sum(x(), undefined, true).tolist()).toEqual([[21]]);
    expect(mean(x()).item()).toBe(3.5);
    expect(mean(x(), 0).tolist()).toEqual([2.5, 3.5, 4.5]);
    expect(mean(x(), 1, true).tolist()).toEqual([[3], [4]]);
  });

  it('handle empty tensors as PyTorch (sum 0, mean NaN)', () => {
    const e = tensor(new Float32Array(0), { shape: [0, 3] });
    expect(sum(e).item()).toBe(0);
    expect(sum(e, 0).tolist()).toEqual([0, 0, 0]);
    expect(mean(e).item()).toBeNaN();
    expect(sum(e, 1).shape).toEqual([0]);
  });

  it('have correct gradients', () => {
    gradcheck((a) => sum(a), [r(3, 4)]);
    gradcheck((a) => sum(a, 1), [r(2, 3, 4)]);
    gradcheck((a) => sum(a, 0, true), [r(1, 3)]);
    gradcheck((a) => mean(a), [r(2, 5)]);
    gradcheck((a) => mean(a, -1, true), [r(2, 3, 4)]);
    gradcheck((a) => mean(a, 1), [r(4, 1, 2)]);
  });

  it('sum is accurate over many elements', () => {
    const big = tensor(new Float32Array(1_000_000).fill(0.1));
    expect(sum(big).item()).toBeCloseTo(100000, 0);
  });

  it('reject a bad axis', () => {
    expect(() => sum(x(), 2)).toThrow(ValueError);
    expect(() => mean(x(), -3)).toThrow(/axis -3 is out of range for a tensor of rank 2/);
    expect(() => sum(x(), 0.5)).toThrow(ValueError);
  });
});

describe('max, min, argmax', () => {
  it('find extremes with the first index on ties', () => {
    const t = tensor([
      [1, 7, 7],
      [9, 2, 9],
    ]);
    expect(max(t, 1).tolist()).toEqual([7, 9]);
    expect(argmax(t, 1).tolist()).toEqual([1, 0]);
    expect(argmax(t, 1).dtype).toBe('int32');
    expect(max(t, 0, true).tolist()).toEqual([[9, 7, 9]]);
    expect(argmax(t, 0).tolist()).toEqual([1, 0, 1]);
    expect(max(t).item()).toBe(9);
    expect(argmax(t).item()).toBe(3);
    expect(min(t, 1).tolist()).toEqual([1, 2]);
    expect(argmin(t, 0).tolist()).toEqual([0, 1, 0]);
  });

  it('propagate NaN', () => {
    expect(max(tensor([1, Number.NaN, 3])).item()).toBeNaN();
    expect(argmax(tensor([1, Number.NaN, 3])).item()).toBe(1);
  });

  it('send the gradient to the first maximum only', () => {
    const t = tensor([3, 1, 3], { requiresGrad: true });
    max(t, 0).backward();
    expect(t.grad!.tolist()).toEqual([1, 0, 0]);
    gradcheck((a) => max(a, 1), [r(3, 4, 2)]);
    gradcheck((a) => min(a, 0, true), [r(3, 2)]);
    gradcheck((a) => max(a), [r(5)]);
  });

  it('reject an empty dimension', () => {
    expect(() => max(tensor(new Float32Array(0), { shape: [2, 0] }), 1)).toThrow(
      /cannot reduce over an empty dimension/,
    );
  });
});
