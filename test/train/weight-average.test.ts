import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { ValueError } from '../../src/tensor/errors.js';
import { EpochWeightAverage } from '../../src/train/weight-average.js';

/** Sets every weight and bias of `layer` to `value`. */
function fill(layer: Linear, value: number): void {
  for (const p of layer.parameters()) p.f32.fill(value);
}

describe('EpochWeightAverage', () => {
  it('writes the mean of the last `count` recorded weights into the model', () => {
    const layer = new Linear(3, 2);
    const average = new EpochWeightAverage(layer, 3);
    for (const value of [10, 1, 2, 6]) {
      fill(layer, value);
      average.record();
    }
    expect(average.recorded).toBe(3);
    fill(layer, -5);
    average.apply();
    // The first copy (10) fell out: (1 + 2 + 6) / 3.
    expect(Array.from(layer.weight.f32)).toEqual(Array(6).fill(3));
    expect(Array.from(layer.bias!.f32)).toEqual([3, 3]);
  });

  it('averages element by element, and copies rather than aliases the weights', () => {
    const layer = new Linear(2, 1, { bias: false });
    const average = new EpochWeightAverage(layer, 2);
    layer.weight.f32.set([1, 4]);
    average.record();
    layer.weight.f32.set([3, -2]);
    average.record();
    layer.weight.f32.set([100, 100]);
    average.apply();
    expect(Array.from(layer.weight.f32)).toEqual([2, 1]);
  });

  it('leaves the model as it is when nothing was recorded, and rejects a count below 1', () => {
    const layer = new Linear(2, 1);
    fill(layer, 0.5);
    new EpochWeightAverage(layer, 2).apply();
    expect(Array.from(layer.weight.f32)).toEqual([0.5, 0.5]);
    expect(() => new EpochWeightAverage(layer, 0)).toThrow(ValueError);
    expect(() => new EpochWeightAverage(layer, 1.5)).toThrow(/count must be an integer >= 1, got 1.5/);
  });
});
