import { describe, expect, it } from 'vitest';
import { leastSquaresBox, minimizeBox } from '../../src/train/baselines/optimize.js';

describe('minimizeBox (bounded Nelder–Mead)', () => {
  it('finds the Rosenbrock minimum inside the box', () => {
    const rosen = (x: Float64Array) => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;
    const r = minimizeBox(rosen, [-1, 2], [-2, -2], [2, 3], { maxEvaluations: 4000, restarts: 3 });
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });

  it('stops at the bound when the unconstrained minimum lies outside', () => {
    const f = (x: Float64Array) => (x[0]! - 3) ** 2 + (x[1]! + 1) ** 2;
    const r = minimizeBox(f, [0.5, 0.5], [0, 0], [1, 1]);
    expect(Array.from(r.x, (v) => Number(v.toFixed(8)))).toEqual([1, 0]);
    expect(r.value).toBeCloseTo(5, 10);
  });

  it('treats NaN as +Infinity and respects the evaluation budget', () => {
    let calls = 0;
    const r = minimizeBox(
      (x) => {
        calls++;
        return x[0]! > 0.5 ? Number.NaN : (x[0]! - 0.4) ** 2;
      },
      [0.1],
      [0],
      [1],
      { maxEvaluations: 60 },
    );
    expect(r.x[0]).toBeCloseTo(0.4, 6);
    expect(calls).toBe(r.evaluations);
    expect(calls).toBeLessThanOrEqual(60 + 3);
  });
});

describe('leastSquaresBox (Levenberg–Marquardt)', () => {
  it('fits an exponential decay and keeps a bounded parameter in its box', () => {
    const t = Array.from({ length: 20 }, (_, i) => i / 4);
    const y = t.map((v) => 3 * Math.exp(-0.7 * v));
    const fit = leastSquaresBox(
      (z) => Float64Array.from(t, (v, i) => z[0]! * Math.exp(-z[1]! * v) - y[i]!),
      [1, 0.1],
      [Number.NEGATIVE_INFINITY, 0],
      [Number.POSITIVE_INFINITY, 10],
    );
    expect(fit.x[0]).toBeCloseTo(3, 8);
    expect(fit.x[1]).toBeCloseTo(0.7, 8);
    const capped = leastSquaresBox(
      (z) => Float64Array.from(t, (v, i) => z[0]! * Math.exp(-z[1]! * v) - y[i]!),
      [1, 0.1],
      [Number.NEGATIVE_INFINITY, 0],
      [Number.POSITIVE_INFINITY, 0.5],
    );
    expect(capped.x[1]).toBe(0.5);
  });
});
