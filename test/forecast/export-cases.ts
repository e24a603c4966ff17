import { makePanel, type SeriesPanel } from '../../src/data/panel.js';
import { makeSeries, type TimeSeries } from '../../src/data/series.js';
import type { ForecasterOptions } from '../../src/train/recipes/forecaster-options.js';

/**
 * The forecasters of fixtures/forecast/export (written by scripts/fixtures_forecaster_export.ts):
 * each transform kind, covariates, calendar features, a panel, both strategies, dates and none.
 * A query is what the exported model.py's `Forecaster.forecast` is asked (no target: from the
 * end of the training data); kioku's `forecastSeries` must answer the same.
 */

export interface ExportQuery {
  steps: number;
  series?: string;
  target?: number[];
  covariates?: number[][];
  dates?: string[];
}

export interface ExportCase {
  name: string;
  options: ForecasterOptions;
  queries: ExportQuery[];
}

const day = (i: number) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
const month = (i: number) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
/** A deterministic wiggle in [−1, 1]. */
const wiggle = (i: number) => Math.sin(i * 12.9898 + 78.233) * 0.5 + Math.sin(i * 4.1414) * 0.5;

/** 240 days: a trend, a weekly cycle and a covariate that moves the target. */
function dailySales(): TimeSeries {
  const rows = Array.from({ length: 240 }, (_, i) => {
    const promo = Math.max(0, wiggle(3 * i));
    return [50 + 0.2 * i + 6 * Math.sin((2 * Math.PI * i) / 7) + 4 * promo + wiggle(i), promo];
  });
  return makeSeries(['sales', 'promo'], rows, { index: rows.map((_, i) => day(i)) });
}

/** Three positive random walks, monthly, on scales 1, 10 and 100. */
function prices(): SeriesPanel {
  const walk = (scale: number, seed: number) => {
    const v = [scale * 20];
    for (let i = 1; i < 96; i++) v.push(v[i - 1]! * (1 + 0.01 + 0.04 * wiggle(i * seed)));
    return makeSeries(
      ['price'],
      v.map((x) => [x]),
      { index: v.map((_, i) => month(i)) },
    );
  };
  return makePanel('symbol', ['A', 'B', 'C'], [walk(1, 1), walk(10, 2), walk(100, 3)]);
}

/** 150 undated steps of a level that rises and falls. */
function undated(): TimeSeries {
  return makeSeries(
    ['y'],
    Array.from({ length: 150 }, (_, i) => [100 + 30 * Math.sin(i / 20) + 2 * wiggle(i)]),
  );
}

const tiny = { hidden: 6, epochs: 3, batch: 16, seed: 1 };

export const EXPORT_CASES: ExportCase[] = [
  {
    name: 'seasonal-calendar-covariate',
    options: {
      ...tiny,
      series: dailySales(),
      target: 'sales',
      lookback: 14,
      transform: 'seasonal-difference',
      calendar: true,
    },
    queries: [
      { steps: 7 },
      {
        steps: 9,
        target: Array.from(
          dailySales()
            .values.filter((_, i) => i % 2 === 0)
            .slice(100, 140),
        ),
        covariates: Array.from({ length: 40 }, (_, r) => [dailySales().values[(100 + r) * 2 + 1]!]),
        dates: Array.from({ length: 40 }, (_, r) => day(100 + r)),
      },
    ],
  },
  {
    name: 'panel-log-difference-recursive',
    options: {
      ...tiny,
      series: prices(),
      target: 'price',
      lookback: 12,
      transform: 'log-difference',
      strategy: 'recursive',
      horizon: 3,
    },
    queries: [
      { steps: 4, series: 'A' },
      { steps: 4, series: 'C' },
    ],
  },
  {
    name: 'window-undated',
    options: { ...tiny, series: undated(), target: 'y', lookback: 10, transform: 'window', horizon: 2 },
    queries: [{ steps: 2 }, { steps: 5, target: Array.from(undated().values.slice(20, 45)) }],
  },
];
