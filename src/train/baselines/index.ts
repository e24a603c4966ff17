// Forecasting baselines and how forecasts are judged: naive, seasonal naive, drift, exponential
// smoothing, Naive2, M4 accuracy metrics, prediction intervals and the comparison with a model.
export {
  averageScores,
  type HorizonScores,
  METRIC_NAMES,
  type MetricName,
  maseScale,
  type ScoreInput,
  type Scores,
  scoreForecasts,
} from './accuracy.js';
export { type AutoEtsResult, autoEts, etsBaseline, MAX_ETS_PERIOD } from './auto-ets.js';
export type { Baseline } from './baseline.js';
export {
  type EtsParams,
  type EtsSpec,
  etsFilter,
  etsForecastOrigins,
  etsName,
  type SeasonKind,
  type TrendKind,
} from './ets.js';
export { type EtsFit, fitEts, PHI_RANGE } from './ets-fit.js';
export {
  applyIntervals,
  calibrateIntervals,
  type IntervalMethod,
  type IntervalModel,
  intervalCoverage,
  normalQuantile,
} from './intervals.js';
export { classicalSeasonalIndices, type Decomposition, type Naive2, naive2 } from './naive2.js';
export { drift, naive, seasonalNaive } from './simple.js';
export { fitStandardBaselines, type StandardBaselines } from './standard.js';
export { type BaselineScores, compareWithBaselines, type Verdict } from './verdict.js';
