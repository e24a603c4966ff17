import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax } from '../../src/ops/softmax.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';

const gen = new Generator(21);
const r = (...shape: number[]) => randn(shape, { generator: gen });

function expectClose(actual: unknown, expected: number[], tol = 1e-6): void {
  const a = (actual as number[]).flat(3) as number[];
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    expect(Math.abs(v - expected[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(expected[i]!)));
  });
}

describe('softmax and logSoftmax', () => {
  it('match hand-computed values', () => {
    const e1 = Math.exp(1);
    const e2 = Math.exp(2);
    const z = 1 + e1 + e2;
    expectClose(softmax(tensor([0, 1, 2])).tolist(), [1 / z, e1 / z, e2 / z]);
    expectClose(logSoftmax(tensor([0, 1, 2])).tolist(), [-Math.log(z), 1 - Math.log(z), 2 - Math.log(z)]);
    // along axis 0 of a (2, 2): columns normalise
    const s = 1 / (1 + Math.exp(1));
    expectClose(
      softmax(
        tensor([
          [0, 3],
          [1, 3],
        ]),
        0,
      ).tolist(),
      [s, 0.5, 1 - s, 0.5],
    );
  });

  it('are stable for large logits', () => {
    expectClose(softmax(tensor([1000, 1000, -1000])).tolist(), [0.5, 0.5, 0]);
    expectClose(logSoftmax(tensor([1000, 0])).tolist(), [0, -1000]);
    expectClose(logSoftmax(tensor([-1e4, -1e4])).tolist(), [-Math.LN2, -Math.LN2]);
    // −∞ (a masked position) gets probability 0
    expectClose(softmax(tensor([0, Number.NEGATIVE_INFINITY])).tolist(), [1, 0]);
  });

  it('have correct gradients along every axis', () => {
    gradcheck((a) => softmax(a), [r(3, 5)]);
    gradcheck((a) => softmax(a, 1), [r(2, 3, 4)]);
    gradcheck((a) => softmax(a, 0), [r(3, 2)]);
    gradcheck((a) => logSoftmax(a), [r(4, 3)]);
    gradcheck((a) => logSoftmax(a, -2), [r(2, 3, 2)]);
    gradcheck((a) => logSoftmax(a, 0), [r(1, 3)]);
  });

  it('handle an empty batch and a single class', () => {
    expect(softmax(r(0, 3)).shape).toEqual([0, 3]);
    expect(softmax(tensor([[5], [-2]])).tolist()).toEqual([[1], [1]]);
    expect(logSoftmax(tensor([[5], [-2]])).tolist()).toEqual([[0], [0]]);
    gradcheck((a) => logSoftmax(a), [r(3, 1)]);
  });

  it('reject a bad axis', () => {
    expect(() => softmax(r(2, 3), 2)).toThrow(ValueError);
    expect(() => logSoftmax(r(2, 3), -3)).toThrow(/logSoftmax: axis -3 is out of range/);
  });
});
