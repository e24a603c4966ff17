import { expect, it } from 'vitest';
import { AttentionPooling } from '../../src/nn/attention-pooling.js';
import { slice } from '../../src/ops/shape.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { expectClose } from '../nn/fixture.js';

const LENGTHS = Int32Array.from([4, 1, 3]);

function setup(): { pool: AttentionPooling; x: Tensor } {
  manualSeed(9);
  const pool = new AttentionPooling({ inputSize: 3, attentionSize: 5, generator: new Generator(2) });
  // Larger scores than the default initialisation gives, so the softmax is far from uniform.
  for (const p of pool.parameters()) for (let i = 0; i < p.f32.length; i++) p.f32[i]! *= 3;
  return { pool, x: randn([3, 4, 3]) };
}

describeEachBackend('AttentionPooling', () => {
  it('passes finite-difference gradient checks for x and every parameter, with lengths', () => {
    const { pool, x } = setup();
    const params = pool.parameters();
    expect(params.map((p) => p.shape)).toEqual([[5, 3], [5], [1, 5]]);
    gradcheck((input) => pool.forward(input!, LENGTHS), [x, ...params]);
  });

  it('passes the gradient check without lengths', () => {
    const { pool, x } = setup();
    gradcheck((input) => pool.forward(input!), [x, ...pool.parameters()]);
  });

  it('weights only the valid steps: they sum to 1 there and are 0 past each length', () => {
    const { pool, x } = setup();
    const a = noGrad(() => pool.weights(x, LENGTHS)).f32;
    for (let b = 0; b < 3; b++) {
      const row = [...a.subarray(b * 4, b * 4 + 4)];
      expect(row.slice(0, LENGTHS[b]).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      expect(row.slice(LENGTHS[b])).toEqual(new Array(4 - LENGTHS[b]!).fill(0));
    }
    expect(a[4]).toBe(1); // one valid step takes all the weight
    expect(Math.max(...a.subarray(0, 4))).toBeGreaterThan(0.4); // not uniform
  });

  it('ignores whatever the padding holds: each sample pools as if alone and unpadded', () => {
    const { pool, x } = setup();
    const y = noGrad(() => pool.forward(x, LENGTHS)).f32;
    const noisy = x.clone();
    for (let b = 0; b < 3; b++)
      for (let t = LENGTHS[b]!; t < 4; t++) for (let f = 0; f < 3; f++) noisy.f32[(b * 4 + t) * 3 + f] = 1e3;
    expectClose(noGrad(() => pool.forward(noisy, LENGTHS)).f32, [...y], 0, 0, 'with noisy padding');
    for (let b = 0; b < 3; b++) {
      const alone = slice(slice(x, 0, b, b + 1), 1, 0, LENGTHS[b]!);
      expectClose(
        noGrad(() => pool.forward(alone)).f32,
        [...y.subarray(b * 3, b * 3 + 3)],
        1e-6,
        1e-6,
        `sample ${b}`,
      );
    }
  });

  it('validates its arguments', () => {
    expect(() => new AttentionPooling({ inputSize: 0 })).toThrow(/inputSize must be a positive integer/);
    const { pool, x } = setup();
    expect(() => pool.forward(randn([3, 4, 2]))).toThrow(ShapeError);
    expect(() => pool.forward(x, Int32Array.from([1, 2]))).toThrow(/3 values/);
    expect(() => pool.forward(x, Int32Array.from([1, 0, 2]))).toThrow(ValueError);
  });
});
