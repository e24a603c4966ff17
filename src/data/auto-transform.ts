import { ValueError } from '../tensor/errors.js';
import { checkInteger, finiteSeries } from './numeric.js';
import {
  type AdfResult,
  adf,
  fmt,
  type KpssResult,
  kpss,
  MAX_TESTED_VALUES,
  type SeasonalityResult,
  seasonalityTest,
} from './stationarity.js';
import type { TargetTransform } from './target-transform.js';

/**
 * The `auto` target transform, decided on the training split only:
 *
 * 1. Levels are kept (`none`) when they look stationary: the augmented Dickey–Fuller test
 *    rejects a unit root at 5% (with p = max(m, ⌊4 (n/100)^{1/4}⌋) lagged differences, so a
 *    season's dynamics are absorbed) and KPSS does not reject level stationarity at 5%. Both
 *    must agree because KPSS alone misses random walks on short series and ADF alone misses
 *    slow drifts on long ones.
 * 2. Otherwise the level wanders, and a network fed levels would have to extrapolate beyond
 *    the training range, so the series is differenced:
 *    - `seasonal-difference` (m) when the first differences are seasonal by the M4 90%
 *      autocorrelation test at lag m (differences, because a trend alone inflates the
 *      autocorrelation of the levels at every lag);
 *    - `log-difference` when every value is positive and the level changes by more than a
 *      factor of 2 over the training split (changes then scale with the level, as prices do);
 *    - `difference` otherwise.
 * A constant series keeps `none`; a series too short for the unit-root regression is
 * differenced, the choice that never needs to extrapolate.
 *
 * For several series (one global model) the transform must be shared: levels are kept only
 * when every series is stationary, seasonal differencing needs a majority of seasonal series,
 * and the log only applies when every series is positive.
 */

export interface SeriesDiagnosis {
  n: number;
  constant: boolean;
  adf: AdfResult | undefined;
  kpss: KpssResult | undefined;
  stationary: boolean;
  /** The seasonality test on the first differences (on the levels when stationary). */
  seasonality: SeasonalityResult;
  positive: boolean;
  /** max / min over the training values (NaN unless positive). */
  levelRatio: number;
}

export interface TransformChoice {
  transform: TargetTransform;
  /** One sentence: what was picked and the test results that picked it. */
  reason: string;
  diagnoses: SeriesDiagnosis[];
}

/** The ADF regression's lags follow a season up to a week of hours; beyond, Schwert's rule alone. */
const MAX_SEASONAL_LAGS = 168;

/** Unit-root, stationarity and seasonality tests of one training series. */
export function diagnoseSeries(values: ArrayLike<number>, period: number): SeriesDiagnosis {
  const all = finiteSeries(values, 'diagnoseSeries: values', 1);
  checkInteger(period, 'diagnoseSeries: period', 1);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of all) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const constant = min === max;
  // The tests read the last MAX_TESTED_VALUES: on millions of minutely rows with m = 1440 the
  // ADF regression alone asked for a 5-billion-cell design matrix.
  const y = all.subarray(Math.max(0, all.length - MAX_TESTED_VALUES));
  const n = y.length;
  const schwert = Math.floor(4 * (n / 100) ** 0.25);
  const lags = period <= MAX_SEASONAL_LAGS ? Math.max(period, schwert) : schwert;
  const unitRoot = n >= 3 * (lags + 2) && !constant ? adf(y, lags) : undefined;
  const level = n >= 3 && !constant ? kpss(y) : undefined;
  const stationary = constant || (unitRoot !== undefined && !unitRoot.unitRoot && level?.stationary === true);
  const diffs = stationary || n < 2 ? y : y.subarray(1).map((v, i) => v - y[i]!);
  return {
    n,
    constant,
    adf: unitRoot,
    kpss: level,
    stationary,
    seasonality: seasonalityTest(diffs.length > 0 ? diffs : y, period),
    positive: min > 0,
    levelRatio: min > 0 ? max / min : Number.NaN,
  };
}

function testsText(d: SeriesDiagnosis): string {
  if (d.constant) return 'the training series is constant';
  if (d.adf === undefined) return `${d.n} training values are too few for the unit-root test`;
  const adfText = `ADF ${fmt(d.adf.statistic)} ${d.adf.unitRoot ? '≥' : '<'} ${fmt(d.adf.critical)}`;
  const kpssText = d.kpss ? `KPSS ${fmt(d.kpss.statistic)} ${d.kpss.stationary ? '<' : '≥'} 0.463` : '';
  return `${adfText}, ${kpssText}`;
}

/**
 * Picks the target transform for one training series, or for several series that one global
 * model will share, by the rule above. `period` is the season length m (1: none).
 */
export function chooseTransform(
  train: ArrayLike<number> | readonly ArrayLike<number>[],
  options: { period?: number } = {},
): TransformChoice {
  const period = checkInteger(options.period ?? 1, 'chooseTransform: period', 1);
  const many = Array.isArray(train) && train.length > 0 && typeof train[0] === 'object';
  const list = (many ? train : [train]) as readonly ArrayLike<number>[];
  if (list.length === 0 || list[0]!.length === 0) {
    throw new ValueError('chooseTransform: train must hold at least one value');
  }
  const diagnoses = list.map((s) => diagnoseSeries(s, period));
  const choice = many ? chooseShared(diagnoses, period) : chooseOne(diagnoses[0]!, period);
  return { ...choice, diagnoses };
}

function chooseOne(d: SeriesDiagnosis, period: number): Omit<TransformChoice, 'diagnoses'> {
  const tests = testsText(d);
  if (d.stationary)
    return { transform: { kind: 'none' }, reason: `none: the level looks stationary (${tests})` };
  const wanders = d.adf === undefined ? tests : `the level wanders (${tests})`;
  if (d.seasonality.seasonal) {
    return {
      transform: { kind: 'seasonal-difference', period },
      reason: `seasonal difference (m=${period}): ${wanders} and the differences are seasonal (${d.seasonality.reason})`,
    };
  }
  if (d.positive && d.levelRatio > 2) {
    return {
      transform: { kind: 'log-difference' },
      reason: `log difference: ${wanders} and the level changes ${fmt(d.levelRatio)}-fold, so changes scale with it`,
    };
  }
  return { transform: { kind: 'difference' }, reason: `difference: ${wanders}` };
}

function chooseShared(ds: SeriesDiagnosis[], period: number): Omit<TransformChoice, 'diagnoses'> {
  const count = (f: (d: SeriesDiagnosis) => boolean) => ds.filter(f).length;
  const of = `of ${ds.length} series`;
  const stationary = count((d) => d.stationary);
  if (stationary === ds.length) {
    return {
      transform: { kind: 'none' },
      reason: `none: the level of all ${ds.length} series looks stationary`,
    };
  }
  const wanders = `the level wanders in ${ds.length - stationary} ${of}`;
  const seasonal = count((d) => d.seasonality.seasonal);
  if (seasonal * 2 > ds.length) {
    return {
      transform: { kind: 'seasonal-difference', period },
      reason: `seasonal difference (m=${period}): ${wanders} and ${seasonal} ${of} are seasonal`,
    };
  }
  if (count((d) => d.positive) === ds.length && count((d) => d.levelRatio > 2) > 0) {
    return {
      transform: { kind: 'log-difference' },
      reason: `log difference: ${wanders}, all are positive and ${count((d) => d.levelRatio > 2)} change level more than 2-fold`,
    };
  }
  return { transform: { kind: 'difference' }, reason: `difference: ${wanders}` };
}
