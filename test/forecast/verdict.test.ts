import { describe, expect, it } from 'vitest';
import type { Scores } from '../../src/train/baselines/accuracy.js';
import { compareWithBaselines } from '../../src/train/baselines/verdict.js';

const scores = (mase: number | undefined, mae = 1): Scores => ({
  mae,
  rmse: mae,
  smape: 10,
  mase,
  owa: undefined,
  reasons: mase === undefined ? { mase: 'constant' } : {},
});

describe('compareWithBaselines', () => {
  const baselines = [
    { name: 'naive', scores: scores(1) },
    { name: 'seasonal naive (m=7)', scores: scores(0.8) },
    { name: 'ETS: Holt-Winters additive (m=7, no trend)', scores: scores(0.7) },
  ];

  it('warns when the network loses to the best baseline by more than 5%, with advice for that baseline', () => {
    const v = compareWithBaselines(scores(0.8), baselines);
    expect(v.best).toEqual({ name: 'ETS: Holt-Winters additive (m=7, no trend)', value: 0.7 });
    expect(v.ratio).toBeCloseTo(0.8 / 0.7, 12);
    expect(v.losesTo.map((b) => b.name)).toEqual(['ETS: Holt-Winters additive (m=7, no trend)']);
    expect(v.warning).toBe(
      'the network loses to ETS: Holt-Winters additive (m=7, no trend) by 14.3% on MASE (0.800 vs 0.700): try --transform seasonal-difference, a --lookback of at least two seasons, or calendar features (--date-col)',
    );
    const used = compareWithBaselines(scores(0.8), baselines, {
      transform: 'seasonal-difference',
      calendar: true,
    });
    expect(used.warning).toMatch(
      /\(0\.800 vs 0\.700\): try a --lookback of at least two seasons or a larger --hidden$/,
    );
    const calendarOnly = compareWithBaselines(scores(0.8), baselines, { transform: 'none', calendar: true });
    expect(calendarOnly.warning).toMatch(
      /: try --transform seasonal-difference or a --lookback of at least two seasons$/,
    );
  });

  it('stays quiet within 5% and says when the network wins', () => {
    expect(compareWithBaselines(scores(0.735), baselines).warning).toBeUndefined();
    expect(compareWithBaselines(scores(0.735), baselines).summary).toBe(
      'the network is within 5.0% of the best baseline (ETS: Holt-Winters additive (m=7, no trend)) on MASE',
    );
    expect(compareWithBaselines(scores(0.5), baselines).summary).toBe(
      'the network beats the best baseline (ETS: Holt-Winters additive (m=7, no trend)) by 28.6% on MASE',
    );
  });

  it('on a random walk, matching persistence is the bar; losing to it suggests predicting changes', () => {
    const walk = [
      { name: 'naive', scores: scores(1) },
      { name: 'drift', scores: scores(1.02) },
    ];
    expect(compareWithBaselines(scores(1.03), walk).summary).toBe(
      'the network matches persistence (naive) within 5.0% on MASE: on a random walk that is the bar',
    );
    expect(compareWithBaselines(scores(2.6), walk, { transform: 'none' }).warning).toMatch(
      /loses to naive by 160\.0% on MASE \(2\.60 vs 1\.00\): the series behaves like a random walk, .* try --transform difference/,
    );
    expect(compareWithBaselines(scores(1.2), walk, { transform: 'difference' }).warning).toMatch(
      /add informative covariates \(--features\) or use the naive forecast$/,
    );
  });

  it('falls back to MAE when MASE is undefined, and reports when nothing compares', () => {
    const v = compareWithBaselines(scores(undefined, 3), [{ name: 'naive', scores: scores(undefined, 2) }]);
    expect(v.metric).toBe('mae');
    expect(v.warning).toMatch(/^the network loses to naive by 50\.0% on MAE/);
    expect(compareWithBaselines(scores(1), []).summary).toBe('no comparison: no baseline could be scored');
  });
  it('says a baseline is exact instead of quoting a ratio to zero (a constant test split)', () => {
    const exact = [{ name: 'naive', scores: scores(undefined, 0) }];
    const tie = compareWithBaselines(scores(undefined, 0), exact);
    expect(tie.summary).toBe(
      'the network and naive are both exact on MAE: the test split holds nothing to forecast (a constant series?)',
    );
    expect(tie.warning).toBeUndefined();
    const loss = compareWithBaselines(scores(undefined, 0.25), exact);
    expect(loss.summary).toBe('the network loses to naive, which is exact on MAE (a constant series?)');
    expect(loss.warning).toBe(
      'the network loses to naive, which is exact on MAE (a constant series?) (0.250 vs 0.00): naive already forecasts it without error',
    );
  });
});
