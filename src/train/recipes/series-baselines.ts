import type { TimeSeries } from '../../data/series.js';
import type { WindowDataset } from '../../data/windows.js';
import { mae, mape, mase, rmse, smape } from '../metrics.js';

/** The naive forecasts a forecaster is judged against, and the metrics that judge them. */

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  mape: number;
  smape: number;
  /** MAE over the one-step naive forecast's in-sample MAE. */
  mase: number;
}

/** Metrics of one model (or baseline) on the test windows. */
export interface NamedMetrics {
  model: string;
  metrics: RegressionMetrics;
}

/** MAE, RMSE, MAPE, sMAPE and MASE (scaled by the one-step naive forecast on `trainTarget`). */
export function regressionMetrics(
  yTrue: number[],
  yPred: number[],
  trainTarget: Float32Array,
): RegressionMetrics {
  return {
    mae: mae(yTrue, yPred),
    rmse: rmse(yTrue, yPred),
    mape: mape(yTrue, yPred),
    smape: smape(yTrue, yPred),
    mase: mase(yTrue, yPred, trainTarget, 1),
  };
}

/** Naive forecasts for the target rows of each window: persistence and seasonal-naive (period m). */
export function naiveForecasts(series: TimeSeries, targetIndex: number, ds: WindowDataset, m: number) {
  const F = series.columns.length;
  const value = (row: number) => series.values[row * F + targetIndex]!;
  const truth: number[] = [];
  const persistence: number[] = [];
  const seasonal: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const first = ds.targetRow(i);
    for (let k = 0; k < ds.horizon; k++) {
      const row = first + k;
      truth.push(value(row));
      persistence.push(value(first - 1));
      // The latest observed value from the same phase of the season.
      const back = m * Math.ceil((k + 1) / m);
      seasonal.push(row - back >= 0 ? value(row - back) : value(first - 1));
    }
  }
  return { truth, persistence, seasonal };
}

/** The model's metrics beside persistence's and seasonal-naive's. */
export function withBaselines(
  name: string,
  predicted: { yTrue: number[]; yPred: number[] },
  naive: ReturnType<typeof naiveForecasts>,
  season: number,
  trainTarget: Float32Array,
): NamedMetrics[] {
  return [
    { model: name, metrics: regressionMetrics(predicted.yTrue, predicted.yPred, trainTarget) },
    { model: 'persistence', metrics: regressionMetrics(naive.truth, naive.persistence, trainTarget) },
    {
      model: `seasonal-naive(${season})`,
      metrics: regressionMetrics(naive.truth, naive.seasonal, trainTarget),
    },
  ];
}
