import { describe, expect, it } from 'vitest';
import { seasonalityTest } from '../../src/data/stationarity.js';
import { Generator } from '../../src/tensor/random.js';
import { showsSeason } from '../../src/train/recipes/series-panel.js';

/** The calendar's season test on minutely data with a daily cycle (m = 1440). */

const m = 1440;

function minutely(days: number, amplitude: number, seed: number): Float64Array {
  const rng = new Generator(seed);
  const y = new Float64Array(days * m);
  let level = 100;
  for (let t = 0; t < y.length; t++) {
    level += 0.05 * rng.normal();
    y[t] = level + amplitude * Math.sin((2 * Math.PI * t) / m) + rng.normal();
  }
  return y;
}

const diffs = (y: Float64Array) => y.subarray(1).map((v, t) => v - y[t]!);

describe('showsSeason', () => {
  it('finds a daily cycle in noisy minutes that minute-to-minute differences hide', () => {
    const y = minutely(20, 10, 3);
    expect(seasonalityTest(diffs(y), m).seasonal).toBe(false);
    expect(showsSeason(y, m)).toBe(true);
  });

  it('finds none in the same noise without the cycle', () => {
    for (const seed of [4, 5, 6]) expect(showsSeason(minutely(20, 0, seed), m)).toBe(false);
  });

  it('tests a short season value by value, as the M4 test does', () => {
    const y = Float64Array.from({ length: 70 }, (_, t) => [1, 5, 3, 2, 8, 4, 6][t % 7]! + 0.1 * t);
    expect(showsSeason(y, 7)).toBe(seasonalityTest(diffs(y), 7).seasonal);
    expect(showsSeason(y, 7)).toBe(true);
    expect(showsSeason(Float64Array.of(1), 7)).toBe(false);
  });
});
