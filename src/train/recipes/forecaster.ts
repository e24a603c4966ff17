import type { DataLoader } from '../../data/dataloader.js';
import { StandardScaler } from '../../data/scalers.js';
import { columnIndices, type TimeSeries } from '../../data/series.js';
import type { WindowSample } from '../../data/windows.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import { SequenceForecaster } from '../../nn/heads.js';
import { MSELoss } from '../../nn/losses.js';
import { Adam } from '../../optim/adam.js';
import { ReduceLROnPlateau } from '../../optim/schedulers.js';
import { ValueError } from '../../tensor/errors.js';
import { manualSeed } from '../../tensor/random.js';
import type { FitResult } from '../fit-types.js';
import { regressionTask, type WindowBatch } from '../tasks.js';
import { evaluate } from '../trainer.js';
import { curvesChart, forecastChart, historyFile } from './charts.js';
import { checkpointing } from './checkpointing.js';
import type { ForecasterEvent } from './events.js';
import { type Emit, emitter, fitWithEvents } from './fitting.js';
import {
  type ForecasterOptions,
  type ForecasterResult,
  forecasterRunRecord,
  type ResolvedForecasterOptions,
  resolveForecasterOptions,
} from './forecaster-options.js';
import type { OptionName } from './options.js';
import { naiveForecasts, withBaselines } from './series-baselines.js';
import {
  CALENDAR,
  defaultSeason,
  selectColumns,
  span,
  targetColumn,
  windowLoader,
  windows,
  withCalendar,
} from './series-data.js';

/** The first test row: the first on or after `testFrom`, else the last 20% of rows. */
function testStart(series: TimeSeries, o: ResolvedForecasterOptions, name: OptionName): number {
  const n = series.length;
  const testFrom = o.testFrom;
  if (testFrom === undefined) return n - Math.round(n * 0.2);
  if (!series.index)
    throw new ValueError(`${name('testFrom')} ${testFrom}: ${o.dataName} has no date column`);
  if (!Number.isFinite(Date.parse(testFrom)))
    throw new ValueError(`${name('testFrom')} must be a date (YYYY-MM-DD), got "${testFrom}"`);
  const start = series.index.findIndex((d) => Date.parse(d) >= Date.parse(testFrom));
  if (start <= 0) {
    throw new ValueError(
      `${name('testFrom')} ${testFrom}: ${start < 0 ? 'no rows are on or after it' : 'every row is on or after it, nothing is left to train on'} (data ${series.index[0]} … ${series.index[n - 1]})`,
    );
  }
  return start;
}

/** Training, validation (the last 10% before the test) and test rows, checked against the window. */
function splitRows(series: TimeSeries, o: ResolvedForecasterOptions, name: OptionName) {
  const n = series.length;
  const test = testStart(series, o, name);
  const val = test - Math.round(test * 0.1);
  const need = o.lookback + o.horizon;
  if (need > val) {
    throw new ValueError(
      `${name('lookback')} ${o.lookback} with ${name('horizon')} ${o.horizon} needs ${need} training rows, but the series has ${n} rows and its training split ${val}`,
    );
  }
  if (n - test < o.horizon || test - val < o.horizon) {
    throw new ValueError(
      `${name('horizon')} ${o.horizon} is longer than the validation (${test - val} rows) or test split (${n - test} rows)`,
    );
  }
  return { val, test };
}

/** The series with the model's columns, scaled on the training rows, and its windows. */
function prepareSeries(o: ResolvedForecasterOptions, name: OptionName) {
  const raw = o.series;
  columnIndices(raw, [o.target], name('target'));
  const names = [...(o.features ?? raw.columns)];
  if (!names.includes(o.target)) names.push(o.target);
  if (o.calendar) names.push(...CALENDAR);
  const withDates = o.calendar ? withCalendar(raw, `${name('data')} ${o.dataName}`, name('calendar')) : raw;
  const series = selectColumns(withDates, names, name('features'));
  const targetIndex = names.indexOf(o.target);
  const rows = splitRows(series, o, name);
  const scaler = new StandardScaler().fit(series, { start: 0, end: rows.val });
  const scaled = scaler.transform(series);
  const mean = scaler.mean[targetIndex]!;
  const std = scaler.std[targetIndex]!;
  const task = regressionTask({ inverse: (v) => Array.from(v, (x) => x * std + mean) });
  const n = series.length;
  return {
    series,
    names,
    targetIndex,
    rows,
    scaler,
    season: o.season ?? defaultSeason(series.index),
    task,
    trainDs: windows(scaled, targetIndex, o.lookback, o.horizon, { start: 0, end: rows.val }),
    valDs: windows(scaled, targetIndex, o.lookback, o.horizon, {
      start: rows.val - o.lookback,
      end: rows.test,
    }),
    testDs: windows(scaled, targetIndex, o.lookback, o.horizon, { start: rows.test - o.lookback, end: n }),
  };
}

type Prepared = ReturnType<typeof prepareSeries>;

/** What the model directory stores besides the architecture, in config.json's order. */
function seriesConfig(o: ResolvedForecasterOptions, p: Prepared) {
  const tailStart = p.series.length - o.lookback;
  const dates = p.series.index;
  return {
    task: 'forecasting',
    scaler: p.scaler.toJSON(),
    series: {
      source: o.dataName,
      columns: p.names,
      target: o.target,
      targetIndex: p.targetIndex,
      lookback: o.lookback,
      horizon: o.horizon,
      season: p.season,
      calendar: o.calendar,
      ...(o.missing !== 'error' ? { missing: o.missing } : {}),
      // The last `lookback` rows (raw values), for a forecast that continues the training data.
      tail: {
        index: dates ? dates.slice(tailStart) : null,
        values: Array.from(p.series.values.subarray(tailStart * p.names.length)),
      },
    },
    data: o.dataName,
  };
}

interface SeriesRun {
  o: ResolvedForecasterOptions;
  p: Prepared;
  model: SequenceForecaster;
  name: string;
  configBase: ReturnType<typeof seriesConfig>;
  train: DataLoader<WindowSample, WindowBatch>;
  emit: Emit<ForecasterEvent>;
}

/** The model and the training loader, made in the order the seeded generator expects. */
function setUp(o: ResolvedForecasterOptions, p: Prepared, emit: Emit<ForecasterEvent>): SeriesRun {
  const model = new SequenceForecaster({
    inputSize: p.names.length,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    horizon: o.horizon,
    outputSize: 1,
    dropout: o.dropout,
  });
  const configBase = seriesConfig(o, p);
  return { o, p, model, name: o.cell, configBase, train: windowLoader(p.trainDs, o.batch, true), emit };
}

/** Trains the forecaster (Adam, the rate halved on a plateau), from a checkpoint when resuming. */
async function trainModel(run: SeriesRun): Promise<FitResult> {
  const { o, p, model, name, configBase, emit } = run;
  await emit({ type: 'model', model: name, parameters: model.numParameters() });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });
  const saving = await checkpointing(
    o,
    {
      config: { ...configBase, architecture: model.config() },
      run: forecasterRunRecord(o),
      data: { scaler: configBase.scaler, series: configBase.series },
      targets: { model, optimizer, scheduler, dataLoader: run.train },
      model: name,
      epochs: o.epochs,
    },
    o.optionName ?? ((k) => k),
    emit,
  );
  return fitWithEvents(
    model,
    name,
    {
      task: p.task,
      train: run.train,
      val: windowLoader(p.valDs, 256, false),
      epochs: o.epochs,
      optimizer,
      scheduler,
      loss: new MSELoss(),
      clipGradNorm: 1,
      metrics: ['mae', 'rmse'],
      earlyStopping: { monitor: 'valMae', patience: o.epochs, restoreBest: true },
      ...saving,
      ...(o.signal ? { signal: o.signal } : {}),
    },
    emit,
  );
}

/** The model on the test windows beside persistence and seasonal-naive. */
async function testWithBaselines(run: SeriesRun) {
  const { o, p, name } = run;
  const ds = p.testDs;
  const ev = await evaluate(run.model, windowLoader(ds, 256, false), { task: p.task });
  const naive = naiveForecasts(p.series, p.targetIndex, ds, p.season);
  const trainTarget = targetColumn(p.series, p.targetIndex, 0, p.rows.val);
  const metrics = withBaselines(name, ev, naive, p.season, trainTarget);
  // The first step of every test window, against its date.
  const first = (xs: number[]) => xs.filter((_, i) => i % o.horizon === 0);
  const dates = p.series.index;
  const forecasts = {
    x: Array.from({ length: ds.length }, (_, i) => (dates ? dates[ds.targetRow(i)]! : ds.targetRow(i))),
    actual: first(ev.yTrue),
    predicted: {
      [name]: first(ev.yPred),
      persistence: first(naive.persistence),
      [`seasonal-naive(${p.season})`]: first(naive.seasonal),
    },
  };
  return {
    windows: ds.length,
    span: span(p.series, p.rows.test, p.series.length),
    target: o.target,
    metrics,
    forecasts,
  };
}

/** Saves the model, history.json and the charts; returns the saved config and where things went. */
async function saveSeries(
  run: SeriesRun,
  result: FitResult,
  test: Awaited<ReturnType<typeof testWithBaselines>>,
) {
  const { o, model, name } = run;
  const config: ModelConfigInput = {
    ...run.configBase,
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, seed: o.seed, lr: o.lr, batch: o.batch },
    architecture: model.config(),
  };
  const modelAt = (await o.store?.writeModel('model', { config, stateDict: model.stateDict() })) ?? null;
  const history = await historyFile(o.store, { [name]: result.history });
  const charts = [
    ...(await curvesChart(o.store, result.history, 'mae', `${name} on ${o.dataName} (${o.target})`)),
    ...(await forecastChart(o.store, 'forecast-test', {
      x: test.forecasts.x,
      actual: test.forecasts.actual,
      series: test.forecasts.predicted,
      title: `${o.target}: test forecasts${o.horizon > 1 ? ' (first step of each window)' : ''}`,
      yTitle: o.target,
    })),
  ];
  return { config, saved: { model: modelAt, files: [...(history ? [history] : []), ...charts] } };
}

/**
 * Trains a forecaster (window → RNN/LSTM/GRU → Linear) beside persistence and seasonal-naive:
 * picks the columns (adding calendar inputs), splits the series in time (test from `testFrom`,
 * validation the 10% before it), scales on the training rows, trains with Adam (rate halved on
 * a plateau, best validation MAE kept), reports every model on the test windows, and saves the
 * model, history.json and charts to `store`. This is what `kioku train series` runs.
 */
export async function trainForecaster(options: ForecasterOptions): Promise<ForecasterResult> {
  const o = resolveForecasterOptions(options);
  const name = o.optionName ?? ((k: string) => k);
  const emit = emitter(o.onEvent);
  manualSeed(o.seed);
  const p = prepareSeries(o, name);
  const n = p.series.length;
  await emit({
    type: 'series-data',
    rows: n,
    columns: p.names,
    target: o.target,
    train: span(p.series, 0, p.rows.val),
    val: span(p.series, p.rows.val, p.rows.test),
    test: span(p.series, p.rows.test, n),
  });
  const run = setUp(o, p, emit);
  const result = await trainModel(run);
  const test = await testWithBaselines(run);
  const { config, saved } = await saveSeries(run, result, test);
  return {
    model: run.model,
    name: run.name,
    config,
    fit: result,
    histories: { [run.name]: result.history },
    test,
    saved,
  };
}
