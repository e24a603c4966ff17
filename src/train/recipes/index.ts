// Recipes: what `kioku train text`, `kioku train series`, `predict`, `forecast` and `eval` do,
// as platform-neutral functions that report progress as events and save through a store.
export type {
  BaselineEvent,
  BatchEvent,
  EpochBeginEvent,
  EpochEvent,
  ForecasterEvent,
  ModelEvent,
  ResumedEvent,
  SeriesDataEvent,
  Span,
  TextClassifierEvent,
  TextDataEvent,
  TrainedEvent,
  TrainingEvent,
} from './events.js';
export { trainForecaster } from './forecaster.js';
export {
  FORECASTER_DEFAULTS,
  type ForecasterOptions,
  type ForecasterResult,
  type ForecasterSettings,
  LR_SCHEDULES,
  type LrSchedule,
} from './forecaster-options.js';
export {
  type GradientFlowReport,
  type GradientFlowReportOptions,
  gradientFlowReport,
  type InspectTextOptions,
  inspectText,
  type TextInspection,
} from './inspect.js';
export { type InspectSeriesOptions, inspectSeries, type SeriesInspection } from './inspect-series.js';
export { trainTextLanguageModel } from './language-model.js';
export { type OpenedLanguageModel, openLanguageModel } from './language-model-open.js';
export {
  LANGUAGE_MODEL_DEFAULTS,
  type LanguageModelEvent,
  type LanguageModelOptions,
  type LanguageModelResult,
  type LanguageModelSettings,
  type NGramScore,
} from './language-model-options.js';
export type { OpenedModel } from './opened.js';
export type { RecipeRunOptions } from './options.js';
export type { ModelScores } from './series-baselines.js';
export type { SeriesConfig } from './series-config.js';
export { EVAL_SPLITS, type EvalSplit, type SplitReport } from './series-evaluation.js';
export {
  evaluateForecaster,
  type ForecasterEvaluationOptions,
  type ForecastOptions,
  type ForecastResult,
  type ForecastRow,
  forecastCsv,
  forecastSeries,
  MAX_FORECAST_STEPS,
  type SeriesDataOptions,
  seriesReadOptions,
} from './series-model.js';
export { type Strategy, TRANSFORM_OPTIONS, type TransformOption } from './series-plan.js';
export {
  type CheckpointStore,
  MemoryCheckpoints,
  MemoryStore,
  type RunStore,
  type StoredCheckpoint,
} from './store.js';
export { trainTextClassifier } from './text-classifier.js';
export {
  type NamedReport,
  TEXT_CLASSIFIER_DEFAULTS,
  type TextClassifierOptions,
  type TextClassifierResult,
  type TextClassifierSettings,
  WORD_TOKEN_DROPOUT,
} from './text-classifier-options.js';
export {
  evaluateTextClassifier,
  predictText,
  type TextEvaluationOptions,
  type TextPrediction,
  textReadOptions,
} from './text-model.js';
