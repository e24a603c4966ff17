import { describe, expect, it } from 'vitest';
import { addingBatch, trainAdding } from '../../examples/adding-problem.js';
import { Generator } from '../../src/tensor/random.js';

describe('long memory: the adding problem with T = 50', () => {
  it('the constant predictor scores about 1/6', () => {
    const { y } = addingBatch(50, 4000, new Generator(3));
    const v = y.f32;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const mse = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    expect(mse).toBeGreaterThan(0.15);
    expect(mse).toBeLessThan(0.185);
  });

  it('an LSTM learns to carry the two marked values across the sequence (MSE < 0.05)', () => {
    const mse = trainAdding({ T: 50, hiddenSize: 16, batchSize: 32, steps: 900, lr: 1e-2, seed: 1 });
    expect(mse).toBeLessThan(0.05);
  });
});
