import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { type Baseline, makeBaseline } from './baseline.js';

/**
 * The three benchmarks every forecast should beat: naive (persistence: the last value),
 * seasonal naive (the value one season earlier) and drift (the last value plus the average
 * change over the training series, the slope of the line through its first and last values).
 */

/** Persistence: every step repeats the last observed value. */
export function naive(train: ArrayLike<number>): Baseline {
  const y = finiteSeries(train, 'naive: train', 1);
  return makeBaseline('naive', y, {}, 1, (h, o, horizon) => new Float64Array(horizon).fill(h[o - 1]!));
}

/** Step k repeats the value one season before it: y[o − m + ((k − 1) mod m)]. */
export function seasonalNaive(train: ArrayLike<number>, period: number): Baseline {
  checkInteger(period, 'seasonalNaive: period', 1);
  const y = finiteSeries(train, `seasonalNaive: train (a season of ${period})`, period);
  return makeBaseline(`seasonal naive (m=${period})`, y, { period }, period, (h, o, horizon) =>
    Float64Array.from({ length: horizon }, (_, k) => h[o - period + (k % period)]!),
  );
}

/**
 * The last value plus k times the training slope (y[n−1] − y[0]) / (n − 1). The slope stays
 * the training one at later origins, so nothing after the training split is fitted.
 */
export function drift(train: ArrayLike<number>): Baseline {
  const y = finiteSeries(train, 'drift: train', 2);
  const slope = (y[y.length - 1]! - y[0]!) / (y.length - 1);
  return makeBaseline('drift', y, { slope }, 1, (h, o, horizon) =>
    Float64Array.from({ length: horizon }, (_, k) => h[o - 1]! + (k + 1) * slope),
  );
}
