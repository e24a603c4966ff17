import { readFileSync } from 'node:fs';
import type { EtsParams, EtsSpec } from '../../src/train/baselines/ets.js';

/** A statsmodels reference fixture written by scripts/fixtures_forecast.py. */
export interface ForecastFixture {
  name: string;
  period: number;
  trainLength: number;
  horizon: number;
  values: number[];
  ets: { spec: EtsSpec; params: EtsParams; sse: number; forecast: number[]; statsmodelsForecast: number[] }[];
  m4: {
    seasonality: { seasonal: boolean; acf?: number; limit?: number };
    seasonalIndex: number[] | null;
    forecasts: Record<'naive' | 'seasonal naive' | 'naive2' | 'ses', number[]>;
    scores: Record<
      'naive' | 'seasonal naive' | 'naive2' | 'ses',
      { smape: number; mase: number; owa: number }
    >;
  };
  stationarity: {
    acf: number[];
    kpss: { statistic: number; lags: number };
    adf: { statistic: number; lags: number; nobs: number; critical5: number };
  };
}

export const FIXTURE_NAMES = ['seattle-temp-max', 'us-births', 'co2', 'sp500'] as const;

export function loadFixture(
  name: (typeof FIXTURE_NAMES)[number],
): ForecastFixture & { train: number[]; rest: number[] } {
  const fx = JSON.parse(
    readFileSync(new URL(`../../fixtures/forecast/${name}.json`, import.meta.url), 'utf8'),
  ) as ForecastFixture;
  return { ...fx, train: fx.values.slice(0, fx.trainLength), rest: fx.values.slice(fx.trainLength) };
}

/** max |a − b| / max(1, max |b|): an error relative to the series' scale. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}
