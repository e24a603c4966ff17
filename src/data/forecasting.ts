// The data side of forecasting: target transforms and their automatic choice, stationarity and
// seasonality tests, dates, frequencies and calendar features.
export {
  chooseTransform,
  diagnoseSeries,
  type SeriesDiagnosis,
  type TransformChoice,
} from './auto-transform.js';
export {
  CALENDAR_FEATURES,
  type CalendarFeature,
  calendarFeatures,
  defaultCalendarFeatures,
} from './calendar.js';
export {
  type Frequency,
  type FrequencyInfo,
  formatDate,
  futureTimes,
  inferFrequency,
  parseDate,
  parseDates,
} from './dates.js';
export {
  type AdfResult,
  adf,
  autocorrelation,
  type KpssResult,
  kpss,
  type SeasonalityResult,
  seasonalityTest,
} from './stationarity.js';
export {
  decodeForecast,
  describeTransform,
  encodeTargets,
  encodeWindow,
  parseTargetTransform,
  type TargetTransform,
  TRANSFORM_KINDS,
  type TransformKind,
  transformContext,
} from './target-transform.js';
