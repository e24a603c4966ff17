import type { MissingPolicy } from '../../data/missing.js';
import { type ScalerJSON, StandardScaler } from '../../data/scalers.js';
import type { TimeSeries } from '../../data/series.js';
import { WindowDataset } from '../../data/windows.js';
import { SequenceForecaster } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { regressionTask } from '../tasks.js';
import { evaluate } from '../trainer.js';
import { forecastChart } from './charts.js';
import type { OpenedModel } from './opened.js';
import { checkOptionsObject } from './options.js';
import { type NamedMetrics, naiveForecasts, withBaselines } from './series-baselines.js';
import {
  CALENDAR,
  checkSeries,
  nextDates,
  selectColumns,
  targetColumn,
  windowLoader,
  withCalendar,
  yearPhase,
} from './series-data.js';
import type { RunStore } from './store.js';

/** A trained forecaster put to use: the next values after a series, and its scores on a series. */

/** The `series` part of a forecaster's config.json. */
export interface SeriesSettings {
  columns: string[];
  target: string;
  targetIndex: number;
  lookback: number;
  horizon: number;
  season: number;
  calendar: boolean;
  missing?: MissingPolicy;
  tail: { index: string[] | null; values: number[] };
}

export interface SeriesRuntime {
  model: SequenceForecaster;
  s: SeriesSettings;
  scaler: StandardScaler;
  where: string;
}

export function seriesRuntime(opened: OpenedModel): SeriesRuntime {
  const where = opened?.where ?? 'model';
  const { model, config } = opened ?? {};
  if (config?.task !== 'forecasting' || !(model instanceof SequenceForecaster)) {
    throw new ValueError(
      `"${where}" holds a ${String(config?.task)} model; a forecaster (task 'forecasting') is needed`,
    );
  }
  const c = config as { series?: SeriesSettings; scaler?: ScalerJSON };
  if (!c.series || !c.scaler || !Array.isArray(c.series.columns)) {
    throw new ValueError(`"${where}": config.json lacks the series settings or scaler of a forecaster`);
  }
  return { model, s: c.series, scaler: StandardScaler.fromJSON(c.scaler), where };
}

/** What to read from new data for this model: its own columns (calendar ones are computed), and the missing-value policy it was trained with. */
export function seriesReadOptions(opened: OpenedModel): { columns: string[]; missing: MissingPolicy } {
  const { s } = seriesRuntime(opened);
  return {
    columns: s.calendar ? s.columns.filter((c) => !CALENDAR.includes(c)) : [...s.columns],
    missing: s.missing ?? 'error',
  };
}

export interface SeriesDataOptions {
  /** The data's name in messages. Default 'data'. */
  dataName?: string;
  /** How messages name an option (see the training recipes). */
  optionName?: (option: string) => string;
}

/** `raw` with the model's columns, calendar ones added from its dates. */
export function modelInputs(rt: SeriesRuntime, raw: TimeSeries, o: SeriesDataOptions): TimeSeries {
  const name = o.optionName ?? ((k: string) => k);
  checkSeries(raw, name('series'));
  const dated = rt.s.calendar
    ? withCalendar(raw, `${name('data')} ${o.dataName ?? 'data'}`, name('calendar'))
    : raw;
  return selectColumns(dated, [...rt.s.columns], name('features'));
}

export interface ForecastOptions extends SeriesDataOptions {
  /** Steps to forecast. */
  steps: number;
  /** The series to continue (its last `lookback` rows are read). Default: the end of the training data. */
  series?: TimeSeries;
  /** Keeps forecast.csv and a chart (the history, then the forecast). */
  store?: RunStore;
}

export interface ForecastResult {
  target: string;
  /** One row per step; dates continue the data's spacing when it has dates. */
  rows: Array<{ step: number; date: string | null; value: number }>;
  /** The window the forecast continues: its dates (or null) and target values. */
  history: { index: string[] | null; values: number[] };
  /** Where the store put forecast.csv and the chart. */
  saved: string[];
}

/** The last `lookback` rows (raw values) and their dates: of `series`, else of the training data. */
export function lastWindow(rt: SeriesRuntime, o: ForecastOptions) {
  const { s } = rt;
  const F = s.columns.length;
  if (o.series === undefined) {
    return {
      values: Float32Array.from(s.tail.values.slice(-s.lookback * F)),
      index: s.tail.index ? s.tail.index.slice(-s.lookback) : null,
    };
  }
  const series = modelInputs(rt, o.series, o);
  if (series.length < s.lookback) {
    const name = o.optionName ?? ((k: string) => k);
    throw new ValueError(
      `${name('data')} ${o.dataName ?? 'data'}: the model reads ${s.lookback} rows (its lookback), the series has ${series.length}`,
    );
  }
  return {
    values: series.values.slice((series.length - s.lookback) * F),
    index: series.index ? series.index.slice(series.length - s.lookback) : null,
  };
}

const round4 = (v: number): number => (Number.isFinite(v) ? Number(v.toFixed(4)) : v);

/** The forecast as CSV: `step,[date,]<target>`, values to 4 decimals. */
export function forecastCsv(result: ForecastResult): string {
  const dated = result.rows.some((r) => r.date !== null);
  const lines = [`step,${dated ? 'date,' : ''}${result.target}`];
  for (const r of result.rows) lines.push(`${r.step},${dated ? `${r.date},` : ''}${round4(r.value)}`);
  return lines.join('\n');
}

/** Fills a future row's calendar columns (scaled): they are known from its date, not predicted. */
export function calendarFiller(rt: SeriesRuntime, dates: string[]) {
  const [sinCol, cosCol] = CALENDAR.map((c) => rt.s.columns.indexOf(c)) as [number, number];
  const m = rt.scaler.mean;
  const sd = rt.scaler.std;
  return (k: number, row: Float32Array) => {
    const phase = yearPhase(dates[k]!);
    row[sinCol] = (phase[0] - m[sinCol]!) / sd[sinCol]!;
    row[cosCol] = (phase[1] - m[cosCol]!) / sd[cosCol]!;
  };
}

async function saveForecast(store: RunStore, result: ForecastResult, steps: number, lookback: number) {
  const csv = await store.writeFile('forecast.csv', `${forecastCsv(result)}\n`);
  const { index, values } = result.history;
  const dates = result.rows.map((r) => r.date);
  const xs: Array<string | number> =
    index && dates[0] !== null
      ? [...index, ...(dates as string[])]
      : Array.from({ length: lookback + steps }, (_, i) => i - lookback + 1);
  const nan = (k: number) => Array.from({ length: k }, () => Number.NaN);
  // The forecast line starts at the last observation so the two lines join.
  const joined = [...nan(lookback - 1), values[lookback - 1]!, ...result.rows.map((r) => r.value)];
  const chart = await forecastChart(store, 'forecast', {
    x: xs,
    actual: [...values, ...nan(steps)],
    series: { forecast: joined },
    title: `${result.target}: ${steps}-step forecast`,
    yTitle: result.target,
  });
  return [csv, ...chart];
}

/** The most steps one forecast runs: far beyond a useful horizon, far below what exhausts memory. */
export const MAX_FORECAST_STEPS = 100_000;

/**
 * The next `steps` values of the target after the end of `series` (or of the training data),
 * fed back autoregressively; calendar inputs come from the continued dates. This is what
 * `kioku forecast` runs.
 */
export async function forecastSeries(opened: OpenedModel, options: ForecastOptions): Promise<ForecastResult> {
  const rt = seriesRuntime(opened);
  const { s } = rt;
  checkOptionsObject(options, 'forecastSeries', 'steps');
  const steps = options.steps;
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > MAX_FORECAST_STEPS) {
    const name = options.optionName ?? ((k: string) => k);
    throw new ValueError(
      `${name('steps')} must be an integer in [1, ${MAX_FORECAST_STEPS}], got ${String(steps)}`,
    );
  }
  const F = s.columns.length;
  const { values, index } = lastWindow(rt, options);
  const scaled = rt.scaler.transform(new Tensor(values, [s.lookback, F]));
  const window = new Tensor(scaled.f32, [1, s.lookback, F]);
  const dates = nextDates(index, steps);
  if (s.calendar && !dates)
    throw new ValueError(`"${rt.where}": the model uses calendar columns but the data has no dates`);
  const out = rt.model.forecast(window, steps, {
    targetColumns: [s.targetIndex],
    ...(s.calendar ? { nextInputs: calendarFiller(rt, dates!) } : {}),
  }).f32;
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  const result: ForecastResult = {
    target: s.target,
    rows: Array.from(out, (v, k) => ({ step: k + 1, date: dates ? dates[k]! : null, value: v * std + mean })),
    history: { index, values: Array.from({ length: s.lookback }, (_, r) => values[r * F + s.targetIndex]!) },
    saved: [],
  };
  if (options.store) result.saved = await saveForecast(options.store, result, steps, s.lookback);
  return result;
}

export interface ForecasterEvaluationOptions extends SeriesDataOptions {
  /** The series to score, read as `seriesReadOptions` says. */
  series: TimeSeries;
}

/**
 * The forecaster's MAE, RMSE, MAPE, sMAPE and MASE over every window of `series`, beside
 * persistence and seasonal-naive. This is what `kioku eval` runs for a forecaster.
 */
export async function evaluateForecaster(
  opened: OpenedModel,
  options: ForecasterEvaluationOptions,
): Promise<{ windows: number; target: string; metrics: NamedMetrics[] }> {
  const rt = seriesRuntime(opened);
  const { s } = rt;
  checkOptionsObject(options, 'evaluateForecaster', 'series');
  const series = modelInputs(rt, options.series, options);
  if (series.length < s.lookback + s.horizon) {
    const name = options.optionName ?? ((k: string) => k);
    throw new ValueError(
      `${name('data')} ${options.dataName ?? 'data'}: ${series.length} rows are fewer than the model's lookback + horizon (${s.lookback + s.horizon})`,
    );
  }
  const ds = new WindowDataset(rt.scaler.transform(series), {
    lookback: s.lookback,
    horizon: s.horizon,
    targets: [s.targetIndex],
  });
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  const task = regressionTask({ inverse: (v) => Array.from(v, (x) => x * std + mean) });
  const ev = await evaluate(rt.model, windowLoader(ds, 256, false), { task });
  const naive = naiveForecasts(series, s.targetIndex, ds, s.season);
  const all = targetColumn(series, s.targetIndex, 0, series.length);
  return { windows: ds.length, target: s.target, metrics: withBaselines('model', ev, naive, s.season, all) };
}
