import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { type AutoEtsResult, autoEts, etsBaseline } from './auto-ets.js';
import type { Baseline } from './baseline.js';
import { type Naive2, naive2 } from './naive2.js';
import { drift, naive, seasonalNaive } from './simple.js';

export interface StandardBaselines {
  /** In report order: naive, seasonal naive (m > 1), drift, the AICc-best ETS, naive2. */
  baselines: Baseline[];
  /** The OWA reference (also in `baselines`). */
  naive2: Naive2;
  /** Every exponential smoothing candidate, and those not tried with why (`ets.skipped`). */
  ets: AutoEtsResult | undefined;
  /** Baselines left out, and why. */
  notes: string[];
}

/**
 * Exponential smoothing is fitted on at most this many of the last training values: its search
 * filters the series some thousand times, and ten thousand values (over a year of hourly data)
 * pin its few parameters down as well as a million.
 */
export const MAX_ETS_ROWS = 10_000;

/** A baseline fitted on series[from, trainLength), forecasting origins of the whole series. */
function fittedOnTail(b: Baseline, from: number, trainLength: number): Baseline {
  return {
    ...b,
    trainLength,
    firstOrigin: from + 1,
    forecastAt: (series, origins, horizon) =>
      b.forecastAt(
        Array.prototype.slice.call(series, from) as number[],
        origins.map((o) => o - from),
        horizon,
      ),
  };
}

/**
 * The baselines printed beside a forecaster, fitted on the training split only. Too short a
 * series leaves a baseline out with a note instead of failing; only non-finite values or a
 * bad period throw.
 */
export function fitStandardBaselines(
  train: ArrayLike<number>,
  options: { period?: number } = {},
): StandardBaselines {
  const y = finiteSeries(train, 'fitStandardBaselines: train', 1);
  const period = checkInteger(options.period ?? 1, 'fitStandardBaselines: period', 1);
  const baselines: Baseline[] = [naive(y)];
  const notes: string[] = [];
  if (period > 1 && y.length >= period) baselines.push(seasonalNaive(y, period));
  else if (period > 1)
    notes.push(`seasonal naive (m=${period}) needs a full season, the training split has ${y.length} values`);
  if (y.length >= 2) baselines.push(drift(y));
  else notes.push('drift needs 2 training values');
  let ets: AutoEtsResult | undefined;
  if (y.length >= 3) {
    const from = Math.max(0, y.length - MAX_ETS_ROWS);
    ets = autoEts(y.subarray(from), { period });
    baselines.push(
      from > 0
        ? fittedOnTail(etsBaseline(ets.best, y.subarray(from)), from, y.length)
        : etsBaseline(ets.best, y),
    );
    if (from > 0)
      notes.push(
        `exponential smoothing is fitted on the last ${MAX_ETS_ROWS} of ${y.length} training values`,
      );
  } else notes.push('exponential smoothing needs 3 training values');
  const n2 = naive2(y, period);
  baselines.push(n2);
  return { baselines, naive2: n2, ets, notes };
}
