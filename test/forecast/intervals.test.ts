import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/tensor/random.js';
import {
  applyIntervals,
  calibrateIntervals,
  intervalCoverage,
  normalQuantile,
} from '../../src/train/baselines/intervals.js';

const rowsOf = (n: number, h: number, draw: (k: number) => number) =>
  Array.from({ length: n }, () => Array.from({ length: h }, (_, k) => draw(k)));

describe('prediction intervals', () => {
  it('normalQuantile matches tabulated values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('empirical offsets are the split-conformal order statistics', () => {
    // 19 residuals 1…19 at 80%: ranks ⌊20·0.1⌋ = 2 and ⌈20·0.9⌉ = 18.
    const residuals = Array.from({ length: 19 }, (_, i) => [i + 1]);
    const m = calibrateIntervals(residuals, { level: 0.8 });
    expect(m.methods).toEqual(['empirical']);
    expect([m.lower[0], m.upper[0]]).toEqual([2, 18]);
    expect(m.coverage[0]).toBeCloseTo(17 / 19, 12);
    const { lower, upper } = applyIntervals(m, [100]);
    expect([lower[0], upper[0]]).toEqual([102, 118]);
  });

  it('cover about the nominal share of new errors, per step, with widths growing with the step', () => {
    const g = new Generator(7);
    const sd = (k: number) => 1 + k; // errors grow with the horizon step
    const calibration = rowsOf(400, 3, (k) => sd(k) * g.normal());
    const test = rowsOf(4000, 3, (k) => sd(k) * g.normal());
    for (const method of ['empirical', 'normal'] as const) {
      const m = calibrateIntervals(calibration, { level: 0.9, method });
      expect(m.upper[2]! - m.lower[2]!).toBeGreaterThan(2.5 * (m.upper[0]! - m.lower[0]!));
      const zero = test.map(() => [0, 0, 0]);
      const bands = zero.map((f) => applyIntervals(m, f));
      const c = intervalCoverage(
        test,
        bands.map((b) => b.lower),
        bands.map((b) => b.upper),
      );
      for (const share of c.perStep) expect(Math.abs(share - 0.9), method).toBeLessThan(0.03);
      expect(m.notes).toEqual([]);
    }
  });

  it('falls back to the normal approximation on few residuals and flags a poor fit', () => {
    const few = calibrateIntervals(
      rowsOf(10, 1, () => 0).map((r, i) => [r[0]! + i]),
      { level: 0.95 },
    );
    expect(few.methods).toEqual(['normal']);
    expect(few.notes[0]).toBe(
      '10 residuals per step are too few for empirical 95% intervals; using the normal approximation',
    );
    expect(() => calibrateIntervals([[1], [2]], { level: 0.95, method: 'empirical' })).toThrow(
      /empirical 95% intervals need at least 39 residuals per step, got 2/,
    );
    // Heavy tails: 190 tiny errors and 10 huge ones; the normal band (sd ≈ 22) covers all 190 tiny ones.
    const heavy = Array.from({ length: 200 }, (_, i) => [
      i % 20 === 0 ? 100 * (i % 40 === 0 ? 1 : -1) : 0.01 * (i % 7),
    ]);
    const m = calibrateIntervals(heavy, { level: 0.8, method: 'normal' });
    expect(m.notes).toEqual([
      'step 1: the normal approximation covers 95% of the calibration residuals instead of 80%',
    ]);
  });

  it('validates its arguments', () => {
    expect(() => calibrateIntervals([[1], [2]], { level: 1.2 })).toThrow(
      /level must be in \(0, 1\), got 1.2/,
    );
    expect(() => calibrateIntervals([[1], [2, 3]])).toThrow(/residuals\[1\] has 2 values, expected 1/);
    expect(() => calibrateIntervals([[1], [Number.NaN]])).toThrow(
      /residuals\[1\]\[0\] must be finite, got NaN/,
    );
    const m = calibrateIntervals([[1], [2], [3]]);
    expect(() => applyIntervals(m, [1, 2])).toThrow(/calibrated for 1 steps, the forecast has 2/);
  });
});
