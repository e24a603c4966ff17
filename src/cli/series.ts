import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLoader } from '../data/dataloader.js';
import type { MissingPolicy } from '../data/missing.js';
import { type ScalerJSON, StandardScaler } from '../data/scalers.js';
import { columnIndices, makeSeries, type TimeSeries } from '../data/series.js';
import { WindowDataset, type WindowSample } from '../data/windows.js';
import { writeFileAtomic } from '../io/atomic-node.js';
import type { ModelConfig } from '../io/model-config.js';
import { type Cell, SequenceForecaster } from '../nn/heads.js';
import { MSELoss } from '../nn/losses.js';
import { Adam } from '../optim/adam.js';
import { ReduceLROnPlateau } from '../optim/schedulers.js';
import { ValueError } from '../tensor/errors.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { mae, mape, mase, rmse, smape } from '../train/metrics.js';
import { regressionTask, type WindowBatch } from '../train/tasks.js';
import { evaluate, fit as fitModel } from '../train/trainer.js';
import { type Reporter, round, table } from './reporter.js';
import { type CheckpointOptions, checkpointing } from './resume.js';
import { loadSeriesSource } from './sources.js';
import { CliError, loadSeriesModel, saveHead, writeCurves, writeForecast } from './store.js';

export interface SeriesTrainOptions extends CheckpointOptions {
  data: string;
  target: string;
  features?: string[];
  dateCol: string;
  lookback: number;
  horizon: number;
  cell: Cell;
  hidden: number;
  layers: number;
  dropout: number;
  epochs: number;
  batch: number;
  lr: number;
  testFrom?: string;
  season?: number;
  calendar: boolean;
  /** Missing values in the data: stop (default), repeat the last value, or drop the row. */
  missing?: MissingPolicy;
  seed: number;
}

/** What a forecaster's model directory stores besides the architecture. */
interface SeriesModelConfig {
  scaler: ScalerJSON;
  series: {
    source: string;
    columns: string[];
    target: string;
    targetIndex: number;
    lookback: number;
    horizon: number;
    season: number;
    /** Day-of-year sine and cosine columns were added from the dates. */
    calendar: boolean;
    /** The --missing policy the model was trained with; absent for 'error'. */
    missing?: MissingPolicy;
    /** The last `lookback` rows of the training data (raw values), for `forecast` without --data. */
    tail: { index: string[] | null; values: number[] };
  };
}

/** Days between two ISO dates (NaN when either does not parse). */
function daysBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 86_400_000;
}

/** The seasonal period for the naive baseline from the spacing of the dates. */
function defaultSeason(index: readonly string[] | undefined): number {
  if (!index || index.length < 2) return 1;
  const d = daysBetween(index[0]!, index[1]!);
  if (d >= 27 && d <= 32) return 12;
  if (d >= 6 && d <= 8) return 52;
  if (d >= 0.9 && d <= 1.1) return 7;
  return 1;
}

/** The dates after `last`, continuing the spacing of the last two dates. */
function nextDates(index: readonly string[] | null, steps: number): string[] | null {
  if (!index || index.length < 2) return null;
  const a = index[index.length - 2]!;
  const b = index[index.length - 1]!;
  const d = daysBetween(a, b);
  if (!Number.isFinite(d)) return null;
  const out: string[] = [];
  const base = new Date(Date.parse(b));
  for (let k = 1; k <= steps; k++) {
    const next = new Date(base);
    if (d >= 27 && d <= 32) next.setUTCMonth(base.getUTCMonth() + k);
    else next.setUTCDate(base.getUTCDate() + Math.round(d) * k);
    out.push(next.toISOString().slice(0, 10));
  }
  return out;
}

const CALENDAR = ['day_of_year_sin', 'day_of_year_cos'];

/** Position in the year of an ISO date as (sin, cos), so Dec 31 and Jan 1 are neighbours. */
function yearPhase(date: string): [number, number] {
  const t = Date.parse(date);
  const start = Date.UTC(new Date(t).getUTCFullYear(), 0, 1);
  const angle = (2 * Math.PI * (t - start)) / (365.25 * 86_400_000);
  return [Math.sin(angle), Math.cos(angle)];
}

/** The series with the two calendar columns appended (needs a date index). */
function withCalendar(series: TimeSeries, what: string): TimeSeries {
  const index = series.index;
  if (!index || index.some((d) => !Number.isFinite(Date.parse(d)))) {
    throw new ValueError(`${what}: --calendar needs a date column with ISO dates (YYYY-MM-DD)`);
  }
  const F = series.columns.length;
  const values = new Float32Array(series.length * (F + 2));
  for (let r = 0; r < series.length; r++) {
    values.set(series.values.subarray(r * F, (r + 1) * F), r * (F + 2));
    values.set(yearPhase(index[r]!), r * (F + 2) + F);
  }
  return makeSeries([...series.columns, ...CALENDAR], values, {
    index,
    ...(series.source !== undefined ? { source: series.source } : {}),
  });
}

function selectColumns(series: TimeSeries, names: string[]): TimeSeries {
  const idx = columnIndices(series, names, '--features');
  const F = series.columns.length;
  const values = new Float32Array(series.length * idx.length);
  for (let r = 0; r < series.length; r++) {
    for (let k = 0; k < idx.length; k++) values[r * idx.length + k] = series.values[r * F + idx[k]!]!;
  }
  return makeSeries(names, values, {
    ...(series.index ? { index: series.index } : {}),
    ...(series.source !== undefined ? { source: series.source } : {}),
  });
}

interface Prepared {
  series: TimeSeries;
  scaled: TimeSeries;
  scaler: StandardScaler;
  targetIndex: number;
  train: { start: number; end: number };
  valStart: number;
  testStart: number;
}

function windowsFor(
  p: Prepared,
  lookback: number,
  horizon: number,
  start: number,
  end: number,
): WindowDataset {
  return new WindowDataset(p.scaled, { lookback, horizon, targets: [p.targetIndex], range: { start, end } });
}

function batches(
  ds: WindowDataset,
  batchSize: number,
  shuffle: boolean,
): DataLoader<WindowSample, WindowBatch> {
  return new DataLoader<WindowSample, WindowBatch>(ds, { batchSize, shuffle });
}

/** Naive forecasts for the target rows of each window: persistence and seasonal-naive (period m). */
function baselines(series: TimeSeries, targetIndex: number, ds: WindowDataset, m: number) {
  const F = series.columns.length;
  const value = (row: number) => series.values[row * F + targetIndex]!;
  const truth: number[] = [];
  const persistence: number[] = [];
  const seasonal: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const first = ds.targetRow(i);
    for (let k = 0; k < ds.horizon; k++) {
      const row = first + k;
      truth.push(value(row));
      persistence.push(value(first - 1));
      // The latest observed value from the same phase of the season.
      const back = m * Math.ceil((k + 1) / m);
      seasonal.push(row - back >= 0 ? value(row - back) : value(first - 1));
    }
  }
  return { truth, persistence, seasonal };
}

function regressionMetrics(yTrue: number[], yPred: number[], trainTarget: Float32Array) {
  return {
    mae: mae(yTrue, yPred),
    rmse: rmse(yTrue, yPred),
    mape: mape(yTrue, yPred),
    smape: smape(yTrue, yPred),
    mase: mase(yTrue, yPred, trainTarget, 1),
  };
}

function targetColumn(series: TimeSeries, targetIndex: number, start: number, end: number): Float32Array {
  const F = series.columns.length;
  const out = new Float32Array(end - start);
  for (let r = start; r < end; r++) out[r - start] = series.values[r * F + targetIndex]!;
  return out;
}

/** `kioku train series`: the forecaster, persistence and seasonal-naive baselines, the saved model and plots. */
export async function trainSeries(o: SeriesTrainOptions, reporter: Reporter): Promise<void> {
  const started = performance.now();
  manualSeed(o.seed);
  const wanted = o.features ? [...new Set([...o.features, o.target])] : undefined;
  const missing = o.missing ?? 'error';
  const raw = await loadSeriesSource(o.data, {
    dateCol: o.dateCol,
    missing,
    ...(wanted ? { columns: wanted } : {}),
  });
  columnIndices(raw, [o.target], '--target');
  const names = o.features ?? [...raw.columns];
  if (!names.includes(o.target)) names.push(o.target);
  if (o.calendar) names.push(...CALENDAR);
  const series = selectColumns(o.calendar ? withCalendar(raw, `--data ${o.data}`) : raw, names);
  const targetIndex = names.indexOf(o.target);
  const n = series.length;

  let testStart: number;
  const testFrom = o.testFrom ?? (o.data === 'seattle-weather' ? '2015-01-01' : undefined);
  if (testFrom !== undefined) {
    if (!series.index) throw new ValueError(`--test-from ${testFrom}: ${o.data} has no date column`);
    if (!Number.isFinite(Date.parse(testFrom)))
      throw new ValueError(`--test-from must be a date (YYYY-MM-DD), got "${testFrom}"`);
    testStart = series.index.findIndex((d) => Date.parse(d) >= Date.parse(testFrom));
    if (testStart <= 0) {
      throw new ValueError(
        `--test-from ${testFrom}: ${testStart < 0 ? 'no rows are on or after it' : 'every row is on or after it, nothing is left to train on'} (data ${series.index[0]} … ${series.index[n - 1]})`,
      );
    }
  } else testStart = n - Math.round(n * 0.2);
  const valStart = testStart - Math.round(testStart * 0.1);
  const need = o.lookback + o.horizon;
  if (need > valStart) {
    throw new ValueError(
      `--lookback ${o.lookback} with --horizon ${o.horizon} needs ${need} training rows, but the series has ${n} rows and its training split ${valStart}`,
    );
  }
  if (n - testStart < o.horizon || testStart - valStart < o.horizon) {
    throw new ValueError(
      `--horizon ${o.horizon} is longer than the validation (${testStart - valStart} rows) or test split (${n - testStart} rows)`,
    );
  }
  const scaler = new StandardScaler().fit(series, { start: 0, end: valStart });
  const p: Prepared = {
    series,
    scaled: scaler.transform(series),
    scaler,
    targetIndex,
    train: { start: 0, end: valStart },
    valStart,
    testStart,
  };
  const season = o.season ?? defaultSeason(series.index);
  const mean = scaler.mean[targetIndex]!;
  const std = scaler.std[targetIndex]!;
  const inverse = (v: Float32Array) => Array.from(v, (x) => x * std + mean);
  const task = regressionTask({ inverse });
  const trainDs = windowsFor(p, o.lookback, o.horizon, 0, valStart);
  const valDs = windowsFor(p, o.lookback, o.horizon, valStart - o.lookback, testStart);
  const testDs = windowsFor(p, o.lookback, o.horizon, testStart - o.lookback, n);
  const dates = series.index;
  const span = (a: number, b: number) => (dates ? `${dates[a]} … ${dates[b - 1]}` : `rows ${a}–${b - 1}`);
  reporter.note(
    `${n} rows, ${names.length} feature(s) [${names.join(', ')}], target ${o.target}: train ${span(0, valStart)}, val ${span(valStart, testStart)}, test ${span(testStart, n)}`,
  );

  const model = new SequenceForecaster({
    inputSize: names.length,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    horizon: o.horizon,
    outputSize: 1,
    dropout: o.dropout,
  });
  const tailStart = n - o.lookback;
  const seriesConfig: SeriesModelConfig = {
    scaler: scaler.toJSON(),
    series: {
      source: o.data,
      columns: names,
      target: o.target,
      targetIndex,
      lookback: o.lookback,
      horizon: o.horizon,
      season,
      calendar: o.calendar,
      ...(missing !== 'error' ? { missing } : {}),
      tail: {
        index: dates ? dates.slice(tailStart) : null,
        values: Array.from(series.values.subarray(tailStart * names.length)),
      },
    },
  };
  const configBase = { task: 'forecasting', ...seriesConfig, data: o.data };
  await reporter.setOut(o.out, { append: o.resume !== undefined && o.resume !== false });
  const trainLoader = batches(trainDs, o.batch, true);
  const name = o.cell;
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });
  // The default policy stays out of the checkpoint's options, as before --missing existed.
  const { missing: _, ...withoutMissing } = o;
  const saving = await checkpointing(
    missing === 'error' ? withoutMissing : o,
    { ...configBase, architecture: model.config() },
    { scaler: seriesConfig.scaler, series: seriesConfig.series },
    { model, optimizer, scheduler, dataLoader: trainLoader },
    reporter,
  );
  const result = await fitModel(model, {
    task,
    train: trainLoader,
    val: batches(valDs, 256, false),
    epochs: o.epochs,
    optimizer,
    scheduler,
    loss: new MSELoss(),
    clipGradNorm: 1,
    metrics: ['mae', 'rmse'],
    earlyStopping: { monitor: 'valMae', patience: o.epochs, restoreBest: true },
    ...saving,
    ...(reporter.io.signal ? { signal: reporter.io.signal } : {}),
    callbacks: reporter.callbacks(name, o.epochs, trainLoader.length, 'mae'),
  });
  reporter.close();
  if (result.stopReason === 'aborted')
    reporter.note('training interrupted; evaluating and saving the model as it is');
  await reporter.skipped(result.skippedBatches);
  const ev = await evaluate(model, batches(testDs, 256, false), { task });
  const base = baselines(series, targetIndex, testDs, season);
  const trainTarget = targetColumn(series, targetIndex, 0, valStart);
  const rows: Array<[string, ReturnType<typeof regressionMetrics>]> = [
    [name, regressionMetrics(ev.yTrue, ev.yPred, trainTarget)],
    ['persistence', regressionMetrics(base.truth, base.persistence, trainTarget)],
    [`seasonal-naive(${season})`, regressionMetrics(base.truth, base.seasonal, trainTarget)],
  ];
  const modelDir = join(o.out, 'model');
  await saveHead(modelDir, model, {
    ...configBase,
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, seed: o.seed, lr: o.lr, batch: o.batch },
  });
  for (const [m, r] of rows) {
    await reporter.event({
      event: 'test',
      model: m,
      windows: testDs.length,
      ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])),
    });
  }
  await reporter.writeHistory({ [name]: result.history });
  // First step of every test window, against its date.
  const h = o.horizon;
  const pick = (xs: number[]) => xs.filter((_, i) => i % h === 0);
  const x = Array.from({ length: testDs.length }, (_, i) =>
    dates ? dates[testDs.targetRow(i)]! : testDs.targetRow(i),
  );
  const plots = [
    ...(await writeCurves(o.out, result.history, 'mae', `${name} on ${o.data} (${o.target})`)),
    ...(await writeForecast(o.out, 'forecast-test', {
      x,
      actual: pick(ev.yTrue),
      series: {
        [name]: pick(ev.yPred),
        persistence: pick(base.persistence),
        [`seasonal-naive(${season})`]: pick(base.seasonal),
      },
      title: `${o.target}: test forecasts${h > 1 ? ' (first step of each window)' : ''}`,
      yTitle: o.target,
    })),
  ];
  reporter.print(`Test set (${testDs.length} windows, ${span(testStart, n)}), ${o.target}:`);
  reporter.print(
    table(
      ['model', 'MAE', 'RMSE', 'MAPE', 'sMAPE', 'MASE'],
      rows.map(([m, r]) => [m, r.mae, r.rmse, r.mape, r.smape, r.mase]),
    ),
  );
  reporter.print(`MAE vs persistence: ${(rows[0]![1].mae / rows[1]![1].mae).toFixed(3)}×`);
  reporter.print(`Model saved to ${modelDir}; plots: ${plots.filter((q) => q.endsWith('.png')).join(', ')}`);
  await reporter.event({
    event: 'done',
    model: modelDir,
    seconds: round((performance.now() - started) / 1000, 1),
  });
}

interface SeriesRuntime {
  model: SequenceForecaster;
  config: ModelConfig & SeriesModelConfig;
  scaler: StandardScaler;
}

async function seriesRuntime(dir: string): Promise<SeriesRuntime> {
  const { model, config } = await loadSeriesModel(dir);
  const c = config as ModelConfig & SeriesModelConfig;
  if (!c.series || !c.scaler || !Array.isArray(c.series.columns)) {
    throw new CliError(`"${dir}": config.json lacks the series settings or scaler of a forecaster`);
  }
  return { model, config: c, scaler: StandardScaler.fromJSON(c.scaler) };
}

/**
 * The series a command reads with --data, restricted to the model's columns. Missing values are
 * handled by `missing`, else as the model was trained.
 */
async function seriesFor(
  rt: SeriesRuntime,
  data: string,
  dateCol: string,
  missing: MissingPolicy | undefined,
): Promise<TimeSeries> {
  const s = rt.config.series;
  const own = s.calendar ? s.columns.filter((c) => !CALENDAR.includes(c)) : s.columns;
  const raw = await loadSeriesSource(data, {
    dateCol,
    columns: own,
    missing: missing ?? s.missing ?? 'error',
  });
  return selectColumns(s.calendar ? withCalendar(raw, `--data ${data}`) : raw, s.columns);
}

/** `kioku forecast`: the next `steps` values after the data's end, as CSV (and a plot with --out). */
export async function forecastCommand(
  o: { model: string; data?: string; steps: number; out?: string; dateCol?: string; missing?: MissingPolicy },
  reporter: Reporter,
): Promise<void> {
  const rt = await seriesRuntime(o.model);
  const s = rt.config.series;
  const F = s.columns.length;
  if (o.missing !== undefined && o.data === undefined) {
    throw new ValueError(
      `--missing ${o.missing} needs --data: without it the forecast continues the training data saved in the model`,
    );
  }
  let values: Float32Array;
  let index: string[] | null;
  if (o.data !== undefined) {
    const series = await seriesFor(rt, o.data, o.dateCol ?? 'date', o.missing);
    if (series.length < s.lookback) {
      throw new ValueError(
        `--data ${o.data}: the model reads ${s.lookback} rows (its lookback), the series has ${series.length}`,
      );
    }
    values = series.values.slice((series.length - s.lookback) * F);
    index = series.index ? series.index.slice(series.length - s.lookback) : null;
  } else {
    values = Float32Array.from(s.tail.values.slice(-s.lookback * F));
    index = s.tail.index ? s.tail.index.slice(-s.lookback) : null;
  }
  const scaled = rt.scaler.transform(new Tensor(values, [s.lookback, F]));
  const window = new Tensor(scaled.f32, [1, s.lookback, F]);
  const dates = nextDates(index, o.steps);
  if (s.calendar && !dates)
    throw new CliError(`"${o.model}": the model uses calendar columns but the data has no dates`);
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  const calendarAt = (k: number, row: Float32Array) => {
    // The new row is the date of step k: its calendar columns are known, not predicted.
    const phase = yearPhase(dates![k]!);
    const [sinCol, cosCol] = CALENDAR.map((c) => s.columns.indexOf(c)) as [number, number];
    const m = rt.scaler.mean;
    const sd = rt.scaler.std;
    row[sinCol] = (phase[0] - m[sinCol]!) / sd[sinCol]!;
    row[cosCol] = (phase[1] - m[cosCol]!) / sd[cosCol]!;
  };
  const out = rt.model.forecast(window, o.steps, {
    targetColumns: [s.targetIndex],
    ...(s.calendar ? { nextInputs: calendarAt } : {}),
  }).f32;
  const forecast = Array.from(out, (v) => v * std + mean);
  const lines = [`step,${dates ? 'date,' : ''}${s.target}`];
  forecast.forEach((v, k) => {
    lines.push(`${k + 1},${dates ? `${dates[k]},` : ''}${round(v, 4)}`);
  });
  if (reporter.json) {
    forecast.forEach((v, k) => {
      reporter.io.stdout.write(
        `${JSON.stringify({ step: k + 1, ...(dates ? { date: dates[k] } : {}), [s.target]: round(v, 4) })}\n`,
      );
    });
  } else reporter.print(lines.join('\n'));
  if (o.out !== undefined) {
    await mkdir(o.out, { recursive: true });
    await writeFileAtomic(join(o.out, 'forecast.csv'), `${lines.join('\n')}\n`);
    const history = Array.from({ length: s.lookback }, (_, r) => values[r * F + s.targetIndex]!);
    const xs: Array<string | number> =
      dates && index
        ? [...index, ...dates]
        : Array.from({ length: s.lookback + o.steps }, (_, i) => i - s.lookback + 1);
    const nan = (k: number) => Array.from({ length: k }, () => Number.NaN);
    // The forecast line starts at the last observation so the two lines join.
    const joined = [...nan(s.lookback - 1), history[s.lookback - 1]!, ...forecast];
    await writeForecast(o.out, 'forecast', {
      x: xs,
      actual: [...history, ...nan(o.steps)],
      series: { forecast: joined },
      title: `${s.target}: ${o.steps}-step forecast`,
      yTitle: s.target,
    });
    reporter.note(`wrote ${join(o.out, 'forecast.csv')} and forecast.svg/png`);
  }
}

/** `kioku eval` for a forecaster: metrics over every window of the data beside the naive baselines. */
export async function evalSeries(
  o: { model: string; data: string; dateCol: string; missing?: MissingPolicy },
  reporter: Reporter,
): Promise<void> {
  const rt = await seriesRuntime(o.model);
  const s = rt.config.series;
  const series = await seriesFor(rt, o.data, o.dateCol, o.missing);
  if (series.length < s.lookback + s.horizon) {
    throw new ValueError(
      `--data ${o.data}: ${series.length} rows are fewer than the model's lookback + horizon (${s.lookback + s.horizon})`,
    );
  }
  const scaled = rt.scaler.transform(series);
  const ds = new WindowDataset(scaled, {
    lookback: s.lookback,
    horizon: s.horizon,
    targets: [s.targetIndex],
  });
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  const task = regressionTask({ inverse: (v) => Array.from(v, (x) => x * std + mean) });
  const ev = await evaluate(rt.model, batches(ds, 256, false), { task });
  const base = baselines(series, s.targetIndex, ds, s.season);
  const all = targetColumn(series, s.targetIndex, 0, series.length);
  const rows: Array<[string, ReturnType<typeof regressionMetrics>]> = [
    ['model', regressionMetrics(ev.yTrue, ev.yPred, all)],
    ['persistence', regressionMetrics(base.truth, base.persistence, all)],
    [`seasonal-naive(${s.season})`, regressionMetrics(base.truth, base.seasonal, all)],
  ];
  for (const [m, r] of rows) {
    await reporter.event({
      event: 'eval',
      model: m,
      windows: ds.length,
      ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])),
    });
  }
  reporter.print(`Evaluation on ${o.data} (${ds.length} windows), ${s.target}:`);
  reporter.print(
    table(
      ['model', 'MAE', 'RMSE', 'MAPE', 'sMAPE', 'MASE'],
      rows.map(([m, r]) => [m, r.mae, r.rmse, r.mape, r.smape, r.mase]),
    ),
  );
}
