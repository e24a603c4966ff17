import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/tensor/errors.js';
import { averageScores, maseScale, scoreForecasts } from '../../src/train/baselines/accuracy.js';
import { naive2 } from '../../src/train/baselines/naive2.js';
import { naive, seasonalNaive } from '../../src/train/baselines/simple.js';
import { FIXTURE_NAMES, loadFixture } from './fixtures.js';

describe('scoreForecasts by hand', () => {
  // Two origins, horizon 2. Errors: [1, −2] and [0, 4].
  const actual = [
    [10, 20],
    [30, 40],
  ];
  const predicted = [
    [9, 22],
    [30, 36],
  ];
  const naive2Rows = [
    [8, 8],
    [28, 28],
  ];
  const train = [1, 3, 2, 6]; // lag-1 changes 2, 1, 4: scale 7/3
  const r = scoreForecasts({ actual, predicted, train, period: 1, naive2: naive2Rows });

  it('pools MAE, RMSE, sMAPE and MASE over all origins and steps', () => {
    expect(r.pooled.mae).toBeCloseTo(7 / 4, 12);
    expect(r.pooled.rmse).toBeCloseTo(Math.sqrt(21 / 4), 12);
    const smape = (200 * (1 / 19 + 2 / 42 + 0 / 60 + 4 / 76)) / 4;
    expect(r.pooled.smape).toBeCloseTo(smape, 12);
    expect(r.pooled.mase).toBeCloseTo(7 / 4 / (7 / 3), 12);
    // Naive2: errors 2, 12, 2, 12 → MAE 7; sMAPE terms 4/18, 24/28, 4/58, 24/68.
    const n2Smape = (200 * (2 / 18 + 12 / 28 + 2 / 58 + 12 / 68)) / 4;
    const n2Mase = 7 / (7 / 3);
    expect(r.pooled.owa).toBeCloseTo(0.5 * (smape / n2Smape + 7 / 4 / (7 / 3) / n2Mase), 12);
    expect(r.pooled.reasons).toEqual({});
  });

  it('scores each horizon step over the origins', () => {
    expect(r.perStep.map((s) => s.mae)).toEqual([0.5, 3]);
    expect(r.perStep[1]!.mase).toBeCloseTo(3 / (7 / 3), 12);
  });

  it('seasonal MASE scales by the in-sample seasonal-naive MAE', () => {
    expect(maseScale([1, 5, 2, 9, 4], 2).scale).toBeCloseTo((1 + 4 + 2) / 3, 12);
  });

  it('throws only on mismatched shapes', () => {
    expect(() => scoreForecasts({ actual, predicted: [[1, 2]], train, period: 1 })).toThrow(
      /predicted has 1 rows, actual has 2/,
    );
    expect(() => scoreForecasts({ actual, predicted: [[1, 2], [3]], train, period: 1 })).toThrow(ShapeError);
  });
});

describe('degenerate data gives undefined metrics with a reason, never an exception', () => {
  it('a constant training series has no MASE scale', () => {
    const r = scoreForecasts({
      actual: [[5, 5]],
      predicted: [[5, 6]],
      train: [5, 5, 5, 5],
      period: 1,
      naive2: [[5, 5]],
    });
    expect(r.pooled.mase).toBeUndefined();
    expect(r.pooled.reasons.mase).toBe(
      "the training series never changes at lag 1, so MASE's scale (the in-sample seasonal-naive MAE) is 0",
    );
    expect(r.pooled.owa).toBeUndefined();
    expect(r.pooled.mae).toBe(0.5);
  });

  it('a training series shorter than a season, NaN forecasts, an exact Naive2 and no Naive2', () => {
    const short = scoreForecasts({ actual: [[1]], predicted: [[2]], train: [1, 2], period: 7 });
    expect(short.pooled.reasons.mase).toBe('the training series has 2 values, MASE needs more than m = 7');
    expect(short.pooled.reasons.owa).toBe('no Naive2 forecasts to compare with');
    const diverged = scoreForecasts({
      actual: [[1, 2]],
      predicted: [[Number.NaN, 2]],
      train: [1, 2, 3],
      period: 1,
    });
    expect(diverged.pooled.mae).toBeUndefined();
    expect(diverged.pooled.reasons.mae).toBe('1 of 2 forecast or actual values are not finite');
    expect(diverged.perStep[1]!.mae).toBe(0);
    const exact = scoreForecasts({
      actual: [[3]],
      predicted: [[4]],
      train: [1, 2, 3],
      period: 1,
      naive2: [[3]],
    });
    expect(exact.pooled.reasons.owa).toBe('Naive2 is exact here, so the ratios are undefined');
    const zeros = scoreForecasts({ actual: [[0]], predicted: [[0]], train: [0, 1], period: 1 });
    expect(zeros.pooled.smape).toBe(0);
    const empty = scoreForecasts({ actual: [], predicted: [], train: [1, 2], period: 1 });
    expect(empty.pooled.mae).toBeUndefined();
    expect(empty.pooled.reasons.mase).toBe(
      'no forecast origins: the evaluated split is shorter than the horizon',
    );
  });
});

describe('M4 definitions on real series (statsmodels fixtures)', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: sMAPE, MASE and OWA of naive, seasonal naive, Naive2 and SES`, () => {
      const fx = loadFixture(name);
      const actual = [fx.rest.slice(0, fx.horizon)];
      const n2 = naive2(fx.train, fx.period).forecast(fx.horizon);
      const ours = {
        naive: naive(fx.train).forecast(fx.horizon),
        'seasonal naive': seasonalNaive(fx.train, fx.period).forecast(fx.horizon),
        naive2: n2,
        ses: Float64Array.from(fx.m4.forecasts.ses),
      };
      for (const [model, forecast] of Object.entries(ours)) {
        const r = scoreForecasts({
          actual,
          predicted: [forecast],
          train: fx.train,
          period: fx.period,
          naive2: [n2],
        });
        const expected = fx.m4.scores[model as keyof typeof ours];
        expect(r.pooled.smape, model).toBeCloseTo(expected.smape, 9);
        expect(r.pooled.mase, model).toBeCloseTo(expected.mase, 9);
        expect(r.pooled.owa, model).toBeCloseTo(expected.owa, 9);
      }
    });
  }
});

describe('averageScores', () => {
  const s = (smape: number, mase: number | undefined) => ({
    mae: 1,
    rmse: 2,
    smape,
    mase,
    owa: undefined,
    reasons: {},
  });
  it('averages metrics over series and forms OWA from the averages, as M4', () => {
    const r = averageScores([
      { model: s(10, 1), naive2: s(20, 2) },
      { model: s(30, 3), naive2: s(20, 2) },
      { model: s(5, undefined), naive2: s(5, 1) },
    ]);
    expect(r.smape).toBe(15);
    expect(r.mase).toBe(2);
    expect(r.reasons.mase).toBe('undefined for 1 of 3 series');
    expect(r.owa).toBeCloseTo(0.5 * (40 / 40 + 4 / 4), 12);
    expect(r.reasons.owa).toBe('undefined for 1 of 3 series');
  });
});
