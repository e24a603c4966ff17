import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/tensor/errors.js';
import { classicalSeasonalIndices, naive2 } from '../../src/train/baselines/naive2.js';
import { drift, naive, seasonalNaive } from '../../src/train/baselines/simple.js';
import { fitStandardBaselines } from '../../src/train/baselines/standard.js';
import { FIXTURE_NAMES, loadFixture, scaledError } from './fixtures.js';

const rows = (r: Float64Array[]) => r.map((x) => Array.from(x));

describe('naive, seasonal naive and drift', () => {
  const train = [3, 5, 4, 8, 6];

  it('forecast by their definitions from the end of training and from later origins', () => {
    expect(Array.from(naive(train).forecast(3))).toEqual([6, 6, 6]);
    expect(Array.from(seasonalNaive(train, 2).forecast(5))).toEqual([8, 6, 8, 6, 8]);
    // slope (6 − 3) / 4 = 0.75
    expect(Array.from(drift(train).forecast(2))).toEqual([6.75, 7.5]);
    const series = [...train, 10, 1];
    expect(rows(naive(train).forecastAt(series, [6, 2], 2))).toEqual([
      [10, 10],
      [5, 5],
    ]);
    expect(rows(seasonalNaive(train, 2).forecastAt(series, [7], 3))).toEqual([[10, 1, 10]]);
    expect(rows(drift(train).forecastAt(series, [7], 1))).toEqual([[1.75]]);
  });

  it('never read values at or after an origin', () => {
    const a = naive(train).forecastAt([...train, 100], [5], 1);
    const b = naive(train).forecastAt([...train, -100], [5], 1);
    expect(rows(a)).toEqual(rows(b));
  });

  it('validate origins, horizon and period with a sentence', () => {
    expect(() => naive(train).forecastAt(train, [6], 1)).toThrow(
      /naive.forecastAt: origins\[0\] must be an integer in \[1, 5\], got 6/,
    );
    expect(() => seasonalNaive(train, 2).forecastAt(train, [1], 1)).toThrow(
      /origins\[0\] must be an integer in \[2, 5\], got 1/,
    );
    expect(() => naive(train).forecast(0)).toThrow(/horizon must be an integer ≥ 1, got 0/);
    expect(() => seasonalNaive(train, 6)).toThrow(/needs at least 6 values, got 5/);
    expect(() => drift([1])).toThrow(ValueError);
  });
});

describe('Naive2 (M4)', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: seasonality test, seasonal indices and forecast match the M4 procedure in statsmodels`, () => {
      const fx = loadFixture(name);
      const n2 = naive2(fx.train, fx.period);
      expect(n2.seasonality.seasonal).toBe(fx.m4.seasonality.seasonal);
      if (fx.m4.seasonality.acf !== undefined) {
        expect(n2.seasonality.acf).toBeCloseTo(fx.m4.seasonality.acf, 12);
        expect(n2.seasonality.limit).toBeCloseTo(fx.m4.seasonality.limit!, 12);
      }
      if (fx.m4.seasonalIndex) {
        expect(scaledError(n2.decomposition!.indices, fx.m4.seasonalIndex)).toBeLessThan(1e-12);
      }
      expect(scaledError(n2.forecast(fx.horizon), fx.m4.forecasts.naive2)).toBeLessThan(1e-12);
    });
  }

  it('classical decomposition by hand: 2×4 moving average, ratios averaged by position, mean 1', () => {
    // y = level 10 × factors [0.5, 1.5, 1, 1]: the moving average is 10 everywhere inside.
    const y = [5, 15, 10, 10, 5, 15, 10, 10, 5, 15, 10, 10];
    expect(Array.from(classicalSeasonalIndices(y, 4, 'multiplicative').indices)).toEqual([0.5, 1.5, 1, 1]);
    expect(Array.from(classicalSeasonalIndices(y, 4, 'additive').indices)).toEqual([-5, 5, 0, 0]);
  });

  it('classical decomposition agrees with a sum per window for odd and even seasons', () => {
    const y = Array.from({ length: 200 }, (_, t) => 50 + 10 * Math.sin(t * 0.9) + ((t * 7919) % 13));
    for (const period of [5, 12]) {
      const half = Math.floor(period / 2);
      const sums = new Float64Array(period);
      const counts = new Float64Array(period);
      for (let t = half; t < y.length - half; t++) {
        let trend = 0;
        for (let i = -half; i <= half; i++)
          trend += (period % 2 === 0 && Math.abs(i) === half ? 0.5 : 1) * y[t + i]!;
        sums[t % period]! += y[t]! / (trend / period);
        counts[t % period]!++;
      }
      const figure = Array.from(sums, (v, j) => v / counts[j]!);
      const avg = figure.reduce((a, b) => a + b) / period;
      const got = classicalSeasonalIndices(y, period, 'multiplicative').indices;
      expect(
        scaledError(
          got,
          figure.map((f) => f / avg),
        ),
      ).toBeLessThan(1e-12);
    }
  });

  it('is the plain naive forecast when the series is not seasonal', () => {
    const n2 = naive2([1, 2, 3, 4, 5, 6, 7], 1);
    expect(n2.seasonality.reason).toBe('no season (period 1)');
    expect(Array.from(n2.forecast(2))).toEqual([7, 7]);
  });
});

describe('fitStandardBaselines', () => {
  it('fits the report set on the training split', () => {
    const fx = loadFixture('sp500');
    const set = fitStandardBaselines(fx.train, { period: 12 });
    expect(set.baselines.map((b) => b.name)).toEqual([
      'naive',
      'seasonal naive (m=12)',
      'drift',
      `ETS: ${set.ets!.best.name}`,
      'naive2',
    ]);
    expect(set.baselines.every((b) => b.trainLength === fx.trainLength)).toBe(true);
  });

  it('leaves out what a short or constant series cannot support, with notes, and never throws', () => {
    const short = fitStandardBaselines([4, 4], { period: 7 });
    expect(short.baselines.map((b) => b.name)).toEqual(['naive', 'drift', 'naive2']);
    expect(short.notes).toEqual([
      'seasonal naive (m=7) needs a full season, the training split has 2 values',
      'exponential smoothing needs 3 training values',
    ]);
    const constant = fitStandardBaselines(new Array(30).fill(2), { period: 7 });
    for (const b of constant.baselines) expect(Array.from(b.forecast(3))).toEqual([2, 2, 2]);
  });

  it('fits and forecasts finite values on awkward series: zeros, three values, a spike, alternation, negatives', () => {
    const awkward = [
      new Array(20).fill(0),
      [1, 2, 3],
      [...new Array(30).fill(1), 1e9, ...new Array(10).fill(1)],
      Array.from({ length: 40 }, (_, t) => (t % 2 === 0 ? 1 : -1)),
      Array.from({ length: 50 }, (_, t) => -100 - t),
    ];
    for (const y of awkward) {
      for (const period of [1, 2, 7]) {
        const set = fitStandardBaselines(y, { period });
        for (const b of set.baselines) {
          expect(b.forecast(2 * period).every(Number.isFinite), `${b.name} on ${y.slice(0, 4)}…`).toBe(true);
        }
      }
    }
  });
});
