import { ValueError } from '../../tensor/errors.js';
import type { Scores } from './accuracy.js';

/**
 * How a forecaster compares with its baselines, in words a report prints. The metric is MASE,
 * or MAE where MASE is undefined (a constant training series). The model "loses" to a
 * baseline when its error is more than `tolerance` (5%) above the baseline's; then one
 * warning names the best baseline and says what to try, chosen by which baseline won:
 *
 *   naive or drift (a random walk)   persistence is the honest bar: predict changes
 *                                    (difference / log-difference transform) or add covariates
 *   seasonal naive, seasonal ETS     seasonal differencing, a window of two seasons, calendar features
 *   trended ETS                      differencing, so the trend does not leave the training range
 *   any other                        longer training, early stopping, a larger window or network
 *
 * Within the tolerance of a naive/drift winner, the summary says the model matches
 * persistence, which on a random walk is the most that can be expected.
 */

export interface BaselineScores {
  name: string;
  scores: Scores;
}

export interface Verdict {
  metric: 'mase' | 'mae';
  /** The baseline with the lowest error. */
  best: { name: string; value: number } | undefined;
  /** model error / best baseline error. */
  ratio: number | undefined;
  /** Baselines the model loses to by more than the tolerance, best first. */
  losesTo: { name: string; ratio: number }[];
  /** One line for the report. */
  summary: string;
  /** Set when the model loses to the best baseline by more than the tolerance. */
  warning: string | undefined;
}

function suggestion(best: string, transform: string | undefined, calendar: boolean): string {
  const differenced = transform !== undefined && transform !== 'none';
  if (best === 'naive' || best === 'drift') {
    return differenced
      ? 'the series behaves like a random walk, where persistence is the honest bar; add informative covariates (--features) or use the naive forecast'
      : 'the series behaves like a random walk, where persistence is the honest bar; try --transform difference (or log-difference) so the network predicts changes';
  }
  if (best.startsWith('seasonal naive') || /Holt-Winters/.test(best)) {
    // Only what the model did not use already.
    const tries = [
      ...(transform === 'seasonal-difference' ? [] : ['--transform seasonal-difference']),
      'a --lookback of at least two seasons',
      ...(calendar ? [] : ['calendar features (--date-col)']),
    ];
    if (tries.length === 1) tries.push('a larger --hidden');
    const last = tries.pop()!;
    return `try ${tries.join(', ')}${tries.length > 1 ? ',' : ''} or ${last}`;
  }
  if (/Holt/.test(best) && !differenced) {
    return 'try --transform difference, so the trend does not push inputs outside the training range';
  }
  return 'try more epochs with --patience, a longer --lookback, or a larger --hidden';
}

const pct = (r: number): string => `${Math.abs((r - 1) * 100).toFixed(1)}%`;

/**
 * Compares a model's scores with baselines'. `transform` is the target transform the model
 * used (its kind) and `calendar` whether it had calendar features, to tailor the advice.
 */
export function compareWithBaselines(
  model: Scores,
  baselines: readonly BaselineScores[],
  options: { tolerance?: number; transform?: string; calendar?: boolean } = {},
): Verdict {
  const tolerance = options.tolerance ?? 0.05;
  if (!(tolerance >= 0))
    throw new ValueError(`compareWithBaselines: tolerance must be ≥ 0, got ${tolerance}`);
  if (!Array.isArray(baselines)) throw new ValueError('compareWithBaselines: baselines must be an array');
  const metric =
    model.mase !== undefined && baselines.some((b) => b.scores.mase !== undefined) ? 'mase' : 'mae';
  const value = model[metric];
  const ranked = baselines
    .filter((b) => b.scores[metric] !== undefined)
    .map((b) => ({ name: b.name, value: b.scores[metric]! }))
    .sort((a, b) => a.value - b.value);
  const best = ranked[0];
  if (value === undefined || best === undefined) {
    const why =
      value === undefined
        ? `the model's ${metric.toUpperCase()} is undefined`
        : 'no baseline could be scored';
    return {
      metric,
      best,
      ratio: undefined,
      losesTo: [],
      summary: `no comparison: ${why}`,
      warning: undefined,
    };
  }
  const ratioTo = (v: number): number => (v === 0 ? (value === 0 ? 1 : Number.POSITIVE_INFINITY) : value / v);
  const ratio = ratioTo(best.value);
  const losesTo = ranked
    .map((b) => ({ name: b.name, ratio: ratioTo(b.value) }))
    .filter((b) => b.ratio > 1 + tolerance);
  const label = metric.toUpperCase();
  const persistence = best.name === 'naive' || best.name === 'drift';
  let summary: string;
  // A baseline without error (a constant test split under persistence): no ratio says anything.
  if (best.value === 0)
    summary =
      value === 0
        ? `the network and ${best.name} are both exact on ${label}: the test split holds nothing to forecast (a constant series?)`
        : `the network loses to ${best.name}, which is exact on ${label} (a constant series?)`;
  else if (ratio < 1 - tolerance)
    summary = `the network beats the best baseline (${best.name}) by ${pct(ratio)} on ${label}`;
  else if (ratio <= 1 + tolerance)
    summary = persistence
      ? `the network matches persistence (${best.name}) within ${pct(1 + tolerance)} on ${label}: on a random walk that is the bar`
      : `the network is within ${pct(1 + tolerance)} of the best baseline (${best.name}) on ${label}`;
  else summary = `the network loses to ${best.name} by ${pct(ratio)} on ${label}`;
  const warning =
    ratio > 1 + tolerance
      ? `${summary} (${fmt(value)} vs ${fmt(best.value)}): ${best.value === 0 ? `${best.name} already forecasts it without error` : suggestion(best.name, options.transform, options.calendar ?? false)}`
      : undefined;
  return { metric, best, ratio, losesTo, summary, warning };
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3);
}
