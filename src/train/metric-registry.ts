import { ValueError } from '../tensor/errors.js';
import {
  accuracy,
  classificationReport,
  f1Score,
  mae,
  mape,
  mse,
  precision,
  recall,
  rmse,
  smape,
} from './metrics.js';

/** A metric over decoded truth and prediction. */
export type MetricFn = (yTrue: number[], yPred: number[]) => number;

/** Metrics the trainer and the CLI know by name. Binary precision/recall/f1 score class 1. */
export const METRICS: Readonly<Record<string, MetricFn>> = {
  accuracy,
  precision: (t, p) => precision(t, p),
  recall: (t, p) => recall(t, p),
  f1: (t, p) => f1Score(t, p),
  macroF1: (t, p) => classificationReport(t, p).macro.f1,
  mae,
  mse,
  rmse,
  mape,
  smape,
};

export function resolveMetric(name: string): MetricFn {
  const fn = METRICS[name];
  if (!fn)
    throw new ValueError(
      `metrics: unknown metric "${name}", expected one of ${Object.keys(METRICS).join(', ')}`,
    );
  return fn;
}
