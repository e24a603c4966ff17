import type { MissingPolicy } from '../../data/missing.js';
import type { TimeSeries } from '../../data/series.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import type { Cell, SequenceForecaster } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import type { FitResult, History } from '../fit-types.js';
import type { ForecasterEvent, Span } from './events.js';
import {
  checkOptionsObject,
  checkRunOptions,
  definedEntries,
  OptionCheck,
  type RecipeRunOptions,
  RUN_OPTIONS,
} from './options.js';
import type { NamedMetrics } from './series-baselines.js';
import { checkSeries } from './series-data.js';

/** What `trainForecaster` takes (with defaults) and returns, and how its options are checked. */

/** Training settings of `trainForecaster`, each with its default. */
export interface ForecasterSettings {
  /** Input steps per window. Default 30. */
  lookback: number;
  /** Steps predicted per window. Default 1. */
  horizon: number;
  /** Recurrent cell. Default 'lstm'. */
  cell: Cell;
  /** Hidden size. Default 64. */
  hidden: number;
  /** Stacked recurrent layers. Default 1. */
  layers: number;
  /** Dropout before the output layer (and between layers). Default 0. */
  dropout: number;
  /** Training epochs (the best validation MAE's weights are kept; the rate halves on a plateau). Default 20. */
  epochs: number;
  /** Batch size. Default 32. */
  batch: number;
  /** Adam learning rate. Default 0.003. */
  lr: number;
  /** Add day-of-year sine/cosine inputs computed from the dates. Default false. */
  calendar: boolean;
  /** Seed for initialisation and shuffling. Default 0. */
  seed: number;
}

export const FORECASTER_DEFAULTS: Readonly<ForecasterSettings> = Object.freeze({
  lookback: 30,
  horizon: 1,
  cell: 'lstm',
  hidden: 64,
  layers: 1,
  dropout: 0,
  epochs: 20,
  batch: 32,
  lr: 3e-3,
  calendar: false,
  seed: 0,
});

export interface ForecasterOptions extends Partial<ForecasterSettings>, RecipeRunOptions<ForecasterEvent> {
  /** The series, e.g. from `seattleWeather()` or `loadSeriesCsv()`, missing values already handled. */
  series: TimeSeries;
  /** The column to forecast. */
  target: string;
  /** Input columns (the target is always one). Default: every column. */
  features?: string[];
  /** The data's name: saved in the model's config, used in chart titles and messages. Default 'data'. */
  dataName?: string;
  /** First date of the test split. Default: the last 20% of rows. */
  testFrom?: string;
  /** Period of the seasonal-naive baseline. Default: 7 for daily, 52 for weekly, 12 for monthly dates, else 1. */
  season?: number;
  /** The missing-value policy the series was read with; saved so forecasts read new data alike. Default 'error'. */
  missing?: MissingPolicy;
}

export interface ForecasterResult {
  /** The trained forecaster, with the weights of its best validation epoch. */
  model: SequenceForecaster;
  /** Its name in events and reports: the cell. */
  name: string;
  /** The saved config (scaler, columns, target, lookback, the training data's tail…). */
  config: ModelConfigInput;
  fit: FitResult;
  histories: Record<string, History>;
  test: {
    windows: number;
    span: Span;
    target: string;
    /** The model, persistence and seasonal-naive, in the target's units. */
    metrics: NamedMetrics[];
    /** The first step of every test window: its date (or row), the truth and each forecast. */
    forecasts: { x: Array<string | number>; actual: number[]; predicted: Record<string, number[]> };
  };
  /** Where the store put the model and the other files (history, charts). */
  saved: { model: string | null; files: string[] };
}

export type ResolvedForecasterOptions = ForecasterSettings &
  Omit<ForecasterOptions, keyof ForecasterSettings> & { dataName: string; missing: MissingPolicy };

export function resolveForecasterOptions(options: ForecasterOptions): ResolvedForecasterOptions {
  checkOptionsObject(options, 'trainForecaster', 'series and target');
  const check = new OptionCheck(options.optionName ?? ((k) => k));
  const o = {
    ...FORECASTER_DEFAULTS,
    ...(definedEntries({ ...options }) as Partial<ForecasterOptions>),
    dataName: options.dataName ?? 'data',
    missing: options.missing ?? 'error',
  } as ResolvedForecasterOptions;
  check.known(options, [
    'series',
    'target',
    'features',
    'dataName',
    'testFrom',
    'season',
    'missing',
    ...Object.keys(FORECASTER_DEFAULTS),
    ...RUN_OPTIONS,
  ]);
  checkSeries(o.series, check.name('series'));
  check.string('target', o.target);
  if (o.features !== undefined && (!Array.isArray(o.features) || o.features.length === 0)) {
    throw new ValueError(`${check.name('features')} must be a non-empty array of column names`);
  }
  for (const [key, min] of [
    ['lookback', 1],
    ['horizon', 1],
    ['hidden', 1],
    ['layers', 1],
    ['epochs', 1],
    ['batch', 1],
    ['seed', 0],
    ['season', 1],
  ] as const)
    check.int(key, o[key], min);
  check.number('dropout', o.dropout, 0, 0.99);
  check.number('lr', o.lr, 0);
  check.choice('cell', o.cell, ['lstm', 'gru', 'rnn']);
  check.choice('missing', o.missing, ['error', 'ffill', 'drop']);
  check.boolean('calendar', o.calendar);
  check.string('dataName', o.dataName);
  check.string('testFrom', o.testFrom);
  checkRunOptions(o, check);
  return o;
}

/** The options that decide the weights, recorded with every checkpoint; the default policy stays out. */
export function forecasterRunRecord(o: ResolvedForecasterOptions): Record<string, unknown> {
  const {
    series,
    dataName,
    store,
    resume,
    checkpointEvery,
    onNonFinite,
    signal,
    onEvent,
    optionName,
    runSettings,
    epochs,
    missing,
    ...rest
  } = o;
  return definedEntries({
    data: dataName,
    ...runSettings,
    ...rest,
    ...(missing !== 'error' ? { missing } : {}),
  });
}
