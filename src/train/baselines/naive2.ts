import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { type SeasonalityResult, seasonalityTest } from '../../data/stationarity.js';
import { type Baseline, makeBaseline } from './baseline.js';

/**
 * Naive2, the reference of the M4 competition's OWA: the naive forecast of the seasonally
 * adjusted series, reseasonalised. The series counts as seasonal by the M4 90%
 * autocorrelation test; the seasonal indices come from a classical multiplicative
 * decomposition (R's `decompose`). M4 series are positive; a series with values ≤ 0 uses
 * the additive decomposition instead (adjusted = y − s), and says so.
 */

export interface Decomposition {
  kind: 'multiplicative' | 'additive';
  /** m seasonal indices; index j belongs to the times t with t mod m = j. */
  indices: Float64Array;
}

/**
 * Classical decomposition's seasonal indices: the centred moving average of order m (2×m
 * for even m) as the trend, then the mean ratio (difference) to it at each position of the
 * season, normalised to average 1 (0).
 */
export function classicalSeasonalIndices(
  values: ArrayLike<number>,
  period: number,
  kind: Decomposition['kind'],
): Decomposition {
  checkInteger(period, 'classicalSeasonalIndices: period', 2);
  const y = finiteSeries(values, `classicalSeasonalIndices: values (two seasons of ${period})`, 2 * period);
  const trend = centredMovingAverage(y, period);
  const half = Math.floor(period / 2);
  const sums = new Float64Array(period);
  const counts = new Float64Array(period);
  for (let t = half; t < y.length - half; t++) {
    sums[t % period]! += kind === 'multiplicative' ? y[t]! / trend[t]! : y[t]! - trend[t]!;
    counts[t % period]!++;
  }
  const figure = sums.map((s, j) => s / counts[j]!);
  const avg = figure.reduce((a, b) => a + b, 0) / period;
  return {
    kind,
    indices: figure.map((f) => (kind === 'multiplicative' ? f / avg : f - avg)),
  };
}

/**
 * The centred moving average of order m (2×m for even m: the two ends weigh ½) at every t with a
 * full window, from prefix sums: O(n) where a sum per window was O(n·m), minutes for minutely
 * data with a daily season.
 */
function centredMovingAverage(y: Float64Array, period: number): Float64Array {
  const half = Math.floor(period / 2);
  const prefix = new Float64Array(y.length + 1);
  for (let t = 0; t < y.length; t++) prefix[t + 1] = prefix[t]! + y[t]!;
  const trend = new Float64Array(y.length).fill(Number.NaN);
  for (let t = half; t < y.length - half; t++) {
    let sum = prefix[t + half + 1]! - prefix[t - half]!;
    if (period % 2 === 0) sum -= 0.5 * (y[t - half]! + y[t + half]!);
    trend[t] = sum / period;
  }
  return trend;
}

export interface Naive2 extends Baseline {
  seasonality: SeasonalityResult;
  decomposition: Decomposition | undefined;
}

/** Fits Naive2 on the training series with the season length `period` (1: plain naive). */
export function naive2(train: ArrayLike<number>, period: number): Naive2 {
  checkInteger(period, 'naive2: period', 1);
  const y = finiteSeries(train, 'naive2: train', 1);
  const seasonality = seasonalityTest(y, period);
  const decomposition = seasonality.seasonal
    ? classicalSeasonalIndices(y, period, y.every((v) => v > 0) ? 'multiplicative' : 'additive')
    : undefined;
  const index = decomposition?.indices;
  const mult = decomposition?.kind === 'multiplicative';
  const adjust = (v: number, t: number): number =>
    index ? (mult ? v / index[t % period]! : v - index[t % period]!) : v;
  const restore = (v: number, t: number): number =>
    index ? (mult ? v * index[t % period]! : v + index[t % period]!) : v;
  const params = {
    seasonal: seasonality.seasonal ? (decomposition!.kind as string) : 'none',
    period,
    indices: index ? Array.from(index) : [],
  };
  const base = makeBaseline('naive2', y, params, 1, (h, o, horizon) => {
    const level = adjust(h[o - 1]!, o - 1);
    return Float64Array.from({ length: horizon }, (_, k) => restore(level, o + k));
  });
  return { ...base, seasonality, decomposition };
}
