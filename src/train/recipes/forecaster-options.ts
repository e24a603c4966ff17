import type { MissingPolicy } from '../../data/missing.js';
import { isPanel, type SeriesPanel } from '../../data/panel.js';
import type { TimeSeries } from '../../data/series.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import type { Cell, SequenceForecaster } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import type { IntervalModel } from '../baselines/intervals.js';
import type { FitResult, History } from '../fit-types.js';
import type { ForecasterEvent } from './events.js';
import {
  checkOptionsObject,
  checkRunOptions,
  definedEntries,
  OptionCheck,
  type RecipeRunOptions,
  RUN_OPTIONS,
  withoutRunOptions,
} from './options.js';
import type { SplitReport } from './series-evaluation.js';
import { type Strategy, TRANSFORM_OPTIONS, type TransformOption } from './series-plan.js';

/** What `trainForecaster` takes (with defaults) and returns, and how its options are checked. */

export type LrSchedule = 'plateau' | 'cosine' | 'constant';
export const LR_SCHEDULES: readonly LrSchedule[] = ['plateau', 'cosine', 'constant'];

/** Training settings of `trainForecaster`, each with its default. */
export interface ForecasterSettings {
  /**
   * Input steps per window. Default 30, or, when the longest training split cannot hold a window
   * of 30, half the longest window it can hold (see planSeries).
   */
  lookback: number;
  /** Target transform, stored with the model and inverted on its outputs. Default 'auto'. */
  transform: TransformOption;
  /** 'direct': one output per horizon step; 'recursive': one step, fed back. Default 'direct'. */
  strategy: Strategy;
  /** Recurrent cell. Default 'lstm'. */
  cell: Cell;
  /** Hidden size. Default 64. */
  hidden: number;
  /** Stacked recurrent layers. Default 1. */
  layers: number;
  /** Dropout before the output layer (and between layers). Default 0. */
  dropout: number;
  /** Most training epochs. Default 50. */
  epochs: number;
  /** Stop after this many epochs without a better validation error (the best epoch's weights are kept). Default 8. */
  patience: number;
  /** Learning-rate schedule: halve on a plateau (2 epochs), cosine to 0 over the epochs, or constant. Default 'plateau'. */
  lrSchedule: LrSchedule;
  /** Batch size. Default 32. */
  batch: number;
  /** Adam learning rate. Default 0.003. */
  lr: number;
  /** Calendar inputs from the dates, by their frequency (day of week and of year for daily data, month for monthly…). Default true. */
  calendar: boolean;
  /** Nominal coverage of the prediction intervals. Default 0.8. */
  level: number;
  /** Seed for initialisation and shuffling. Default 0. */
  seed: number;
}

export const FORECASTER_DEFAULTS: Readonly<ForecasterSettings> = Object.freeze({
  lookback: 30,
  transform: 'auto',
  strategy: 'direct',
  cell: 'lstm',
  hidden: 64,
  layers: 1,
  dropout: 0,
  epochs: 50,
  patience: 8,
  lrSchedule: 'plateau',
  batch: 32,
  lr: 3e-3,
  calendar: true,
  level: 0.8,
  seed: 0,
});

export interface ForecasterOptions extends Partial<ForecasterSettings>, RecipeRunOptions<ForecasterEvent> {
  /**
   * The series (from `seattleWeather()`, `loadSeriesCsv()`…) or a panel of series for one
   * global model (from `stocksPanel()`, `loadPanelCsv()`), missing values already handled.
   */
  series: TimeSeries | SeriesPanel;
  /** The column to forecast. */
  target: string;
  /** Input columns besides the target (covariates). Default: every other column. */
  features?: string[];
  /** Forecast steps per origin. Default: one season (1 without a season). */
  horizon?: number;
  /** The data's name: saved in the model's config, used in chart titles and messages. Default 'data'. */
  dataName?: string;
  /** The date column's name, saved so new data is read alike. */
  dateColumn?: string;
  /** First date of the test split. Default: the last 20% of rows. */
  testFrom?: string;
  /** Season length m. Default: from the dates (7 daily, 12 monthly, 52 weekly, 24 hourly…), else 1. */
  season?: number;
  /** The missing-value policy the series was read with; saved so forecasts read new data alike. Default 'error'. */
  missing?: MissingPolicy;
}

export interface ForecasterResult {
  /** The trained forecaster, with the weights of its best validation epoch. */
  model: SequenceForecaster;
  /** Its name in events and reports: the cell. */
  name: string;
  /** The saved config (transform, scaling, columns, split, intervals, the data's tail…). */
  config: ModelConfigInput;
  fit: FitResult;
  histories: Record<string, History>;
  /** The prediction intervals calibrated on the validation split (null when they could not be). */
  intervals: IntervalModel | null;
  /** The model and the baselines on the test split. */
  test: SplitReport;
  /** Where the store put the model and the other files (history, charts). */
  saved: { model: string | null; files: string[] };
}

export type ResolvedForecasterOptions = ForecasterSettings &
  Omit<ForecasterOptions, keyof ForecasterSettings> & {
    dataName: string;
    missing: MissingPolicy;
    /** Whether the lookback is the default, which a short series may shorten. */
    defaultLookback: boolean;
  };

const KNOWN = [
  'series',
  'target',
  'features',
  'horizon',
  'dataName',
  'dateColumn',
  'testFrom',
  'season',
  'missing',
];

export function resolveForecasterOptions(options: ForecasterOptions): ResolvedForecasterOptions {
  checkOptionsObject(options, 'trainForecaster', 'series and target');
  const check = new OptionCheck(options.optionName ?? ((k) => k));
  const o = {
    ...FORECASTER_DEFAULTS,
    ...(definedEntries({ ...options }) as Partial<ForecasterOptions>),
    dataName: options.dataName ?? 'data',
    missing: options.missing ?? 'error',
    defaultLookback: options.lookback === undefined,
  } as ResolvedForecasterOptions;
  check.known(options, [...KNOWN, ...Object.keys(FORECASTER_DEFAULTS), ...RUN_OPTIONS]);
  if (!isPanel(o.series) && (typeof o.series !== 'object' || o.series === null)) {
    throw new ValueError(
      `${check.name('series')} must be a TimeSeries or a SeriesPanel, got ${String(o.series)}`,
    );
  }
  check.string('target', o.target);
  if (o.features !== undefined && !Array.isArray(o.features)) {
    throw new ValueError(`${check.name('features')} must be an array of column names`);
  }
  for (const [key, min] of [
    ['lookback', 1],
    ['horizon', 1],
    ['hidden', 1],
    ['layers', 1],
    ['epochs', 1],
    ['patience', 0],
    ['batch', 1],
    ['seed', 0],
    ['season', 1],
  ] as const)
    check.int(key, o[key], min);
  check.number('dropout', o.dropout, 0, 0.99);
  check.number('lr', o.lr, Number.MIN_VALUE);
  check.number('level', o.level, 0.5, 0.99);
  check.choice('cell', o.cell, ['lstm', 'gru', 'rnn']);
  check.choice('transform', o.transform, TRANSFORM_OPTIONS);
  check.choice('strategy', o.strategy, ['direct', 'recursive']);
  check.choice('lrSchedule', o.lrSchedule, LR_SCHEDULES);
  check.choice('missing', o.missing, ['error', 'ffill', 'drop']);
  check.boolean('calendar', o.calendar);
  for (const key of ['dataName', 'testFrom', 'dateColumn'] as const) check.string(key, o[key]);
  checkRunOptions(o, check);
  return o;
}

/** The options that decide the weights, recorded with every checkpoint; the default policy stays out. */
export function forecasterRunRecord(o: ResolvedForecasterOptions): Record<string, unknown> {
  const { series, dataName, epochs, missing, ...rest } = withoutRunOptions(o);
  return definedEntries({
    data: dataName,
    ...o.runSettings,
    ...rest,
    ...(missing !== 'error' ? { missing } : {}),
  });
}
