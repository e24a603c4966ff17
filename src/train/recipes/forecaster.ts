import { firstOrigin } from '../../data/forecast-encoding.js';
import { describeTransform } from '../../data/target-transform.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import { SequenceForecaster } from '../../nn/heads.js';
import { Adam } from '../../optim/adam.js';
import { CosineAnnealingLR, ReduceLROnPlateau } from '../../optim/schedulers.js';
import { ValueError } from '../../tensor/errors.js';
import { manualSeed } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { IntervalModel } from '../baselines/intervals.js';
import type { Batches, FitResult, Task } from '../fit-types.js';
import { resolveMetric } from '../metric-registry.js';
import { evaluate } from '../trainer.js';
import { curvesChart, forecastChart, historyFile } from './charts.js';
import { checkpointing } from './checkpointing.js';
import type { ForecasterEvent, SeriesDataEvent } from './events.js';
import { type Emit, emitter, fitWithEvents } from './fitting.js';
import {
  type ForecasterOptions,
  type ForecasterResult,
  forecasterRunRecord,
  type LrSchedule,
  type ResolvedForecasterOptions,
  resolveForecasterOptions,
} from './forecaster-options.js';
import type { OptionName } from './options.js';
import { type SeriesConfig, seriesConfig } from './series-config.js';
import {
  calibrateOnValidation,
  evaluateSplit,
  type FittedSeries,
  type SplitReport,
  spanOf,
} from './series-evaluation.js';
import {
  checkFinite,
  chooseCalendar,
  inputColumns,
  type Panel,
  readPanel,
  withCalendar,
} from './series-panel.js';
import { planSeries } from './series-plan.js';
import { type PanelSplit, splitPanel } from './series-split.js';
import {
  type ForecastBatch,
  ForecastWindows,
  forecastTask,
  originsIn,
  weightedMse,
} from './series-windows.js';

/** The schedule's description, as reports print it. */
export function scheduleText(s: LrSchedule, epochs: number): string {
  if (s === 'plateau') return 'plateau: the rate halves after 2 epochs without a better validation error';
  if (s === 'cosine') return `cosine: the rate falls along a half cosine to 0 over ${epochs} epochs`;
  return 'constant';
}

/**
 * One season, when the test split holds at least four seasons of rows (so the score rests on
 * several independent forecasts, not on two or three overlapping ones); else one step.
 */
function defaultHorizon(p: Panel, split: PanelSplit): number {
  const testRows = Math.max(...split.members.map((s, i) => p.members[i]!.target.length - s.test));
  return p.period > 1 && testRows >= 4 * p.period ? p.period : 1;
}

/** The series read, split and planned, and the windows the network trains and validates on. */
function prepare(o: ResolvedForecasterOptions, name: OptionName) {
  const panel = readPanel(
    {
      series: o.series,
      target: o.target,
      ...(o.features ? { features: o.features } : {}),
      ...(o.season !== undefined ? { season: o.season } : {}),
      ...(o.dateColumn !== undefined ? { dateColumn: o.dateColumn } : {}),
    },
    name,
  );
  checkFinite(panel);
  const testFrom = o.testFrom !== undefined ? { testFrom: o.testFrom } : {};
  const horizon = o.horizon ?? defaultHorizon(panel, splitPanel(panel, { horizon: 1, ...testFrom }, name));
  const split = splitPanel(panel, { horizon, ...testFrom }, name);
  const calendar = o.calendar
    ? chooseCalendar(
        panel,
        split.members.map((s) => s.val),
      )
    : { features: [], reason: `none (${name('calendar')} false)` };
  withCalendar(panel, calendar.features);
  const plan = planSeries(panel, split.members, { ...o, horizon }, name);
  const first = firstOrigin(plan.spec);
  const h = plan.spec.horizon;
  const train = originsIn(
    split.members.map((s) => ({ from: 0, to: s.val })),
    h,
    first,
  );
  const val = originsIn(
    split.members.map((s) => ({ from: s.val, to: s.test })),
    h,
    first,
  );
  const test = originsIn(
    split.members.map((s, i) => ({ from: s.test, to: panel.members[i]!.target.length })),
    horizon,
    first,
  );
  if (val.origins.length === 0 || test.origins.length === 0) {
    const m = split.members[0]!;
    throw new ValueError(
      `${name('horizon')} ${horizon} is longer than the validation (${m.test - m.val} rows) or test split (${panel.members[0]!.target.length - m.test} rows)`,
    );
  }
  const windows = (at: typeof train) => new ForecastWindows(plan.spec, panel.members, plan.scalings, at);
  return {
    panel,
    split,
    plan,
    horizon,
    calendar: calendar.reason,
    trainDs: windows(train),
    valDs: windows(val),
  };
}

type Prepared = ReturnType<typeof prepare>;

function seriesDataEvent(o: ResolvedForecasterOptions, p: Prepared): SeriesDataEvent {
  const m = p.panel.members[0]!;
  const s = p.split.members[0]!;
  return {
    type: 'series-data',
    rows: p.panel.members.reduce((n, x) => n + x.target.length, 0),
    series: p.panel.members.length,
    columns: inputColumns(p.panel),
    target: o.target,
    train: spanOf(m, 0, s.val),
    val: spanOf(m, s.val, s.test),
    test: spanOf(m, s.test, m.target.length),
    frequency: p.panel.frequency?.reason ?? null,
    season: p.panel.period,
    horizon: p.horizon,
    strategy: o.strategy,
    transform: describeTransform(p.plan.spec.transform),
    transformReason: p.plan.transformReason,
    lookback: p.plan.spec.lookback,
    lookbackReason: p.plan.lookbackReason,
    calendar: [...p.panel.calendar],
    calendarReason: p.calendar,
    schedule: scheduleText(o.lrSchedule, o.epochs),
  };
}

function configOf(o: ResolvedForecasterOptions, p: Prepared, intervals: IntervalModel | null): SeriesConfig {
  const request = {
    source: o.dataName,
    dateColumn: o.dateColumn,
    steps: p.horizon,
    strategy: o.strategy,
    missing: o.missing,
  };
  return seriesConfig(request, p.panel, p.split, p.plan, intervals);
}

function scheduler(o: ResolvedForecasterOptions, optimizer: Adam) {
  if (o.lrSchedule === 'plateau') return new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });
  if (o.lrSchedule === 'cosine') return new CosineAnnealingLR(optimizer, { tMax: o.epochs });
  return undefined;
}

/**
 * The network starts from the transform's baseline: with the output layer at zero, every
 * output decodes to the mean transformed training value (drift for differences, seasonal
 * naive plus the mean seasonal change for seasonal differences, the training mean for
 * levels). Early stopping compares each epoch with this start on the validation split, so a
 * network that learns nothing real (a random walk) ends as the baseline, not as noise.
 */
function startFromBaseline(model: SequenceForecaster): Record<string, Tensor> {
  model.fc.weight.f32.fill(0);
  model.fc.bias?.f32.fill(0);
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
}

/** Trains the network (Adam, the chosen schedule, early stopping), from a checkpoint when resuming. */
async function trainModel(
  o: ResolvedForecasterOptions,
  p: Prepared,
  model: SequenceForecaster,
  emit: Emit<ForecasterEvent>,
): Promise<FitResult> {
  const name = o.cell;
  const panel = p.panel.members.length > 1;
  const start = startFromBaseline(model);
  await emit({ type: 'model', model: name, parameters: model.numParameters() });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const schedule = scheduler(o, optimizer);
  const train = p.trainDs.loader(o.batch, true);
  const series = configOf(o, p, null);
  const saving = await checkpointing(
    o,
    {
      config: { task: 'forecasting', series, data: o.dataName, architecture: model.config() },
      run: forecasterRunRecord(o),
      data: { series },
      targets: { model, optimizer, ...(schedule ? { scheduler: schedule } : {}), dataLoader: train },
      model: name,
      epochs: o.epochs,
    },
    o.optionName ?? ((k) => k),
    emit,
  );
  const task = forecastTask(p.plan.spec, p.panel.members, p.plan.scalings, panel ? p.plan.units : null);
  const metric = panel ? 'mase' : 'mae';
  const val = p.valDs.loader(256, false);
  const fit = await fitWithEvents(
    model,
    name,
    {
      task,
      train,
      val,
      epochs: o.epochs,
      optimizer,
      ...(schedule ? { scheduler: schedule } : {}),
      loss: weightedMse(p.trainDs.stepWeights()),
      clipGradNorm: 1,
      metrics: panel ? { mase: resolveMetric('mae') } : ['mae', 'rmse'],
      earlyStopping: { monitor: panel ? 'valMase' : 'valMae', patience: o.patience, restoreBest: true },
      ...saving,
      ...(o.signal ? { signal: o.signal } : {}),
    },
    emit,
  );
  return keepBetterStart(model, fit, start, await startError(model, start, task, val, metric), metric);
}

/** The validation error of the starting weights (the model's own are put back after). */
async function startError(
  model: SequenceForecaster,
  start: Record<string, Tensor>,
  task: Task<ForecastBatch>,
  val: Batches<ForecastBatch>,
  metric: string,
): Promise<number> {
  const trained = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
  model.loadStateDict(start);
  const ev = await evaluate(model, val, {
    task,
    metrics: metric === 'mase' ? { mase: resolveMetric('mae') } : [metric],
  });
  model.loadStateDict(trained);
  return ev.metrics[metric]!;
}

/** Puts the starting weights back when no epoch beat them on validation (best epoch 0). */
function keepBetterStart(
  model: SequenceForecaster,
  fit: FitResult,
  start: Record<string, Tensor>,
  startValue: number,
  metric: string,
): FitResult {
  const history = fit.history[`val${metric[0]!.toUpperCase()}${metric.slice(1)}`] ?? [];
  const best = fit.bestEpoch === null ? Number.POSITIVE_INFINITY : history[fit.bestEpoch - 1]!;
  if (!(startValue <= best)) return fit;
  model.loadStateDict(start);
  return { ...fit, bestEpoch: 0 };
}

/** Saves the model before anything is scored, so no scoring problem can lose it. */
async function saveModel(
  o: ResolvedForecasterOptions,
  config: ModelConfigInput,
  model: SequenceForecaster,
  fit: FitResult,
) {
  const interrupted = fit.stopReason === 'aborted';
  const trainingState = interrupted
    ? {
        state: {
          interrupted: true,
          stopReason: fit.stopReason,
          epochs: fit.epochs,
          bestEpoch: fit.bestEpoch,
        },
      }
    : undefined;
  return (
    (await o.store?.writeModel('model', {
      config,
      stateDict: model.stateDict(),
      ...(trainingState ? { trainingState } : {}),
    })) ?? null
  );
}

async function saveFiles(o: ResolvedForecasterOptions, fit: FitResult, test: SplitReport, metric: string) {
  const name = o.cell;
  const history = await historyFile(o.store, { [name]: fit.history });
  const f = test.forecasts;
  const charts = [
    ...(await curvesChart(o.store, fit.history, metric, `${name} on ${o.dataName} (${o.target})`)),
    ...(await forecastChart(o.store, 'forecast-test', {
      x: f.x,
      actual: f.actual,
      series: f.predicted,
      ...(f.lower && f.upper
        ? { band: { lower: f.lower, upper: f.upper, label: `${o.level * 100}% interval` } }
        : {}),
      title: `${o.target}: test forecasts${test.horizon > 1 ? ' (first step of each origin)' : ''}`,
      yTitle: o.target,
    })),
  ];
  return [...(history ? [history] : []), ...charts];
}

/**
 * Trains a forecaster (window → RNN/LSTM/GRU → Linear) on one series or a panel of series,
 * beside the standard baselines: reads the dates (frequency, season, calendar features),
 * splits in time, picks the target transform, standardises each series on its training
 * rows, trains with early stopping on the validation split, calibrates prediction intervals
 * on it, saves the model, then scores the model and the baselines on the test split.
 * This is what `kioku train series` runs.
 */
export async function trainForecaster(options: ForecasterOptions): Promise<ForecasterResult> {
  const o = resolveForecasterOptions(options);
  const emit = emitter(o.onEvent);
  manualSeed(o.seed);
  const p = prepare(o, o.optionName ?? ((k: string) => k));
  await emit(seriesDataEvent(o, p));
  const model = new SequenceForecaster({
    inputSize: inputColumns(p.panel).length,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    horizon: p.plan.spec.horizon,
    outputSize: 1,
    dropout: o.dropout,
  });
  const fit = await trainModel(o, p, model, emit);
  const fitted: FittedSeries = {
    model,
    name: o.cell,
    panel: p.panel,
    plan: p.plan,
    splits: p.split.members,
    horizon: p.horizon,
  };
  const { intervals, note } = calibrateOnValidation(fitted, o.level);
  const config: ModelConfigInput = {
    task: 'forecasting',
    series: configOf(o, p, intervals),
    data: o.dataName,
    training: {
      epochs: fit.epochs,
      bestEpoch: fit.bestEpoch,
      stopReason: fit.stopReason,
      seed: o.seed,
      lr: o.lr,
      batch: o.batch,
    },
    architecture: model.config(),
  };
  const modelAt = await saveModel(o, config, model, fit);
  const test = evaluateSplit(fitted, 'test', intervals);
  if (note) test.notes.push(note);
  const files = await saveFiles(o, fit, test, p.panel.members.length > 1 ? 'mase' : 'mae');
  return {
    model,
    name: o.cell,
    config,
    fit,
    histories: { [o.cell]: fit.history },
    intervals,
    test,
    saved: { model: modelAt, files },
  };
}
