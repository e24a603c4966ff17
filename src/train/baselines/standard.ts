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
  /** Every exponential smoothing candidate, when the series was long enough to fit them. */
  ets: AutoEtsResult | undefined;
  /** Baselines left out, and why. */
  notes: string[];
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
    ets = autoEts(y, { period });
    baselines.push(etsBaseline(ets.best, y));
    for (const s of ets.skipped) notes.push(`ETS ${s.name} was not tried: ${s.reason}`);
  } else notes.push('exponential smoothing needs 3 training values');
  const n2 = naive2(y, period);
  baselines.push(n2);
  return { baselines, naive2: n2, ets, notes };
}
