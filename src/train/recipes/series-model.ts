import { formatDate, futureTimes } from '../../data/dates.js';
import { calendarRows, firstOrigin } from '../../data/forecast-encoding.js';
import type { MissingPolicy } from '../../data/missing.js';
import { isPanel, makePanel, type SeriesPanel } from '../../data/panel.js';
import { makeSeries, type TimeSeries } from '../../data/series.js';
import { SequenceForecaster } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import { forecastChart } from './charts.js';
import type { OpenedModel } from './opened.js';
import { checkOptionsObject } from './options.js';
import { type MemberConfig, readSeriesConfig, type SeriesConfig, specOf } from './series-config.js';
import { EVAL_SPLITS, type EvalSplit, evaluateSplit, type SplitReport } from './series-evaluation.js';
import { checkFinite, type Member, type Panel, readPanel } from './series-panel.js';
import { type ForecastTask, forecastMany } from './series-predict.js';
import { applySplit } from './series-split.js';
import type { RunStore } from './store.js';

/** A trained forecaster put to use: the next values after a series, and its scores on a series. */

export interface SeriesRuntime {
  model: SequenceForecaster;
  c: SeriesConfig;
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
  return { model, c: readSeriesConfig(config, where), where };
}

/** What to read from new data for this model: its columns, date and series columns, and missing-value policy. */
export function seriesReadOptions(opened: OpenedModel): {
  columns: string[];
  missing: MissingPolicy;
  dateColumn: string | null;
  seriesColumn: string | null;
} {
  const { c } = seriesRuntime(opened);
  return {
    columns: [c.target, ...c.covariates],
    missing: c.missing ?? 'error',
    dateColumn: c.dateColumn,
    seriesColumn: c.seriesColumn,
  };
}

export interface SeriesDataOptions {
  /** The data's name in messages. Default 'data'. */
  dataName?: string;
  /** How messages name an option (see the training recipes). */
  optionName?: (option: string) => string;
}

/** The saved tails as the data: each series' last rows from training. */
function tailData(c: SeriesConfig): TimeSeries | SeriesPanel {
  const columns = [c.target, ...c.covariates];
  const members = c.members.map((m) => {
    const rows = m.tail.target.map((v, r) => [
      v,
      ...m.tail.covariates.slice(r * c.covariates.length, (r + 1) * c.covariates.length),
    ]);
    return makeSeries(columns, rows, m.tail.index ? { index: m.tail.index } : {});
  });
  return c.seriesColumn === null
    ? members[0]!
    : makePanel(
        c.seriesColumn,
        c.members.map((m) => m.id!),
        members,
      );
}

/** The data read as the model reads it, each member with the saved settings of its series. */
export function modelPanel(rt: SeriesRuntime, data: TimeSeries | SeriesPanel, o: SeriesDataOptions) {
  const name = o.optionName ?? ((k: string) => k);
  const { c } = rt;
  const what = `${name('data')} ${o.dataName ?? 'data'}`;
  if (isPanel(data) !== (c.seriesColumn !== null)) {
    throw new ValueError(
      c.seriesColumn !== null
        ? `${what}: "${rt.where}" forecasts several series; the data needs its series column "${c.seriesColumn}"`
        : `${what}: "${rt.where}" forecasts one series, the data holds several`,
    );
  }
  const panel: Panel = readPanel(
    {
      series: data,
      target: c.target,
      features: c.covariates,
      season: c.season,
      calendar: c.calendar,
      frequency: c.frequency,
    },
    name,
  );
  checkFinite(panel);
  const configs: MemberConfig[] = panel.members.map((m) => {
    const found = c.members.find((x) => x.id === m.id);
    if (!found) {
      throw new ValueError(
        `${what}: series ${JSON.stringify(m.id)} is not one "${rt.where}" was trained on (${c.members.map((x) => x.id).join(', ')})`,
      );
    }
    return found;
  });
  return { panel, configs };
}

export interface ForecastOptions extends SeriesDataOptions {
  /** Steps to forecast. Default: one season (1 without a season). */
  steps?: number;
  /** The series (or panel) to continue. Default: the end of the training data. */
  series?: TimeSeries | SeriesPanel;
  /** Keeps forecast.csv and a chart per series (the history, then the forecast and its interval). */
  store?: RunStore;
}

export interface ForecastRow {
  /** The series id (null for a single series). */
  series: string | null;
  step: number;
  /** Continues the data's dates at its frequency; null without dates. */
  date: string | null;
  value: number;
  /** The prediction interval, for the steps it was calibrated for (else null). */
  lower: number | null;
  upper: number | null;
}

export interface ForecastResult {
  target: string;
  /** Nominal coverage of the intervals, or null without intervals. */
  level: number | null;
  rows: ForecastRow[];
  /** The rows each forecast continues: per series, its dates (or null) and target values. */
  histories: Array<{ series: string | null; index: string[] | null; values: number[] }>;
  /** Where the store put forecast.csv and the charts. */
  saved: string[];
}

function checkSteps(steps: unknown, name: (k: string) => string): number {
  if (!Number.isSafeInteger(steps) || (steps as number) < 1 || (steps as number) > MAX_FORECAST_STEPS) {
    throw new ValueError(
      `${name('steps')} must be an integer in [1, ${MAX_FORECAST_STEPS}], got ${String(steps)}`,
    );
  }
  return steps as number;
}

/** A member's forecast from the end of its data, prepared: its task and the dates after it. */
interface MemberPlan {
  member: Member;
  config: MemberConfig;
  times: Float64Array | number[] | null;
  task: ForecastTask;
}

function planMember(rt: SeriesRuntime, m: Member, mc: MemberConfig, steps: number): MemberPlan {
  const { c } = rt;
  const times = m.times && c.frequency ? futureTimes(m.times, c.frequency, steps) : null;
  const future = calendarRows(c.calendar, times, steps);
  const task = { member: m, scaling: mc.scaling, origins: [m.target.length], steps, future };
  return { member: m, config: mc, times, task };
}

/** A member's forecast rows, from its forecast values. */
function memberRows(rt: SeriesRuntime, p: MemberPlan, values: Float64Array): ForecastRow[] {
  const { c } = rt;
  const time = c.frequency ? c.frequency.step % 86_400_000 !== 0 : false;
  return Array.from(values, (value, k) => {
    const band = c.intervals && k < c.intervals.lower.length;
    return {
      series: p.member.id,
      step: k + 1,
      date: p.times ? formatDate(p.times[k]!, { time }) : null,
      value,
      lower: band ? value + c.intervals!.lower[k]! * p.config.unit : null,
      upper: band ? value + c.intervals!.upper[k]! * p.config.unit : null,
    };
  });
}

const round4 = (v: number | null): string =>
  v === null ? '' : Number.isFinite(v) ? String(Number(v.toFixed(4))) : String(v);

/** The forecast as CSV: `[series,]step,[date,]<target>[,lower,upper]`, values to 4 decimals. */
export function forecastCsv(result: ForecastResult): string {
  const panel = result.rows.some((r) => r.series !== null);
  const dated = result.rows.some((r) => r.date !== null);
  const band = result.level !== null;
  const head = [
    ...(panel ? ['series'] : []),
    'step',
    ...(dated ? ['date'] : []),
    result.target,
    ...(band ? ['lower', 'upper'] : []),
  ];
  const lines = [head.join(',')];
  for (const r of result.rows) {
    const cells = [
      ...(panel ? [r.series] : []),
      r.step,
      ...(dated ? [r.date] : []),
      round4(r.value),
      ...(band ? [round4(r.lower), round4(r.upper)] : []),
    ];
    lines.push(cells.join(','));
  }
  return lines.join('\n');
}

async function saveForecast(store: RunStore, result: ForecastResult, steps: number): Promise<string[]> {
  const saved = [await store.writeFile('forecast.csv', `${forecastCsv(result)}\n`)];
  for (const h of result.histories) {
    const rows = result.rows.filter((r) => r.series === h.series);
    const n = h.values.length;
    const nan = (k: number) => Array.from({ length: k }, () => Number.NaN);
    const dated = h.index !== null && rows[0]?.date !== null;
    const x: Array<string | number> = dated
      ? [...h.index!, ...rows.map((r) => r.date!)]
      : Array.from({ length: n + steps }, (_, i) => i - n + 1);
    const chart = await forecastChart(
      store,
      h.series === null ? 'forecast' : `forecast-${h.series.replace(/[^\w-]/g, '_')}`,
      {
        x,
        actual: [...h.values, ...nan(steps)],
        // The forecast starts at the last observation so the two lines join.
        series: { forecast: [...nan(n - 1), h.values[n - 1]!, ...rows.map((r) => r.value)] },
        ...(result.level !== null
          ? {
              band: {
                lower: [...nan(n), ...rows.map((r) => r.lower ?? Number.NaN)],
                upper: [...nan(n), ...rows.map((r) => r.upper ?? Number.NaN)],
                label: `${result.level * 100}% interval`,
              },
            }
          : {}),
        title: `${result.target}${h.series === null ? '' : ` (${h.series})`}: ${steps}-step forecast`,
        yTitle: result.target,
      },
    );
    saved.push(...chart);
  }
  return saved;
}

/** The most steps one forecast runs: far beyond a useful horizon, far below what exhausts memory. */
export const MAX_FORECAST_STEPS = 100_000;

/** A forecast's members, read and checked, planned; nothing computed yet. */
function planForecast(rt: SeriesRuntime, options: ForecastOptions): MemberPlan[] {
  const name = options.optionName ?? ((k: string) => k);
  const steps = checkSteps(options.steps ?? rt.c.season, name);
  const { panel, configs } = modelPanel(rt, options.series ?? tailData(rt.c), options);
  const need = firstOrigin(specOf(rt.c));
  panel.members.forEach((m) => {
    if (m.target.length < need) {
      throw new ValueError(
        `${name('data')} ${options.dataName ?? 'data'}: the model reads ${need} rows (its lookback and transform), the series${m.id === null ? '' : ` ${m.id}`} has ${m.target.length}`,
      );
    }
  });
  return panel.members.map((m, i) => planMember(rt, m, configs[i]!, steps));
}

/** A request's result from its members' forecast values. */
function resultOf(rt: SeriesRuntime, members: MemberPlan[], values: Float64Array[]): ForecastResult {
  return {
    target: rt.c.target,
    level: rt.c.intervals?.level ?? null,
    rows: members.flatMap((p, i) => memberRows(rt, p, values[i]!)),
    histories: members.map(({ member: m }) => ({
      series: m.id,
      index: m.index ? m.index.slice(-rt.c.lookback) : null,
      values: Array.from(m.target.subarray(-rt.c.lookback)),
    })),
    saved: [],
  };
}

/**
 * The forecasts (rows and histories) of several requests' series, or of the saved tails, computed
 * together: every member of every request a row of the same forwards. Each result is what the
 * request alone gets, to float32 rounding (a row's products may sum in another order in a batch);
 * nothing is saved.
 */
export function forecastRowsMany(rt: SeriesRuntime, requests: readonly ForecastOptions[]): ForecastResult[] {
  const plans = requests.map((options) => planForecast(rt, options));
  const values = forecastMany(
    rt.model,
    specOf(rt.c),
    plans.flat().map((p) => p.task),
  );
  let at = 0;
  return plans.map((members) =>
    resultOf(
      rt,
      members,
      members.map(() => values[at++]![0]!),
    ),
  );
}

/**
 * The forecast (rows and histories) of `options.series`, or of the saved tails; nothing saved.
 * Each member of a panel runs in forwards of its own.
 */
export function forecastRows(rt: SeriesRuntime, options: ForecastOptions = {}): ForecastResult {
  const members = planForecast(rt, options);
  const spec = specOf(rt.c);
  const values = members.map((p) => forecastMany(rt.model, spec, [p.task])[0]![0]!);
  return resultOf(rt, members, values);
}

/**
 * The next `steps` values of the target after the end of `series` (or of the training data),
 * for every series of the model, with prediction intervals for the steps they were
 * calibrated for. This is what `kioku forecast` runs.
 */
export async function forecastSeries(
  opened: OpenedModel,
  options: ForecastOptions = {},
): Promise<ForecastResult> {
  const rt = seriesRuntime(opened);
  checkOptionsObject(options, 'forecastSeries', 'nothing');
  const result = forecastRows(rt, options);
  if (options.store)
    result.saved = await saveForecast(options.store, result, result.rows.length / result.histories.length);
  return result;
}

export interface ForecasterEvaluationOptions extends SeriesDataOptions {
  /** The series to score, read as `seriesReadOptions` says. */
  series: TimeSeries | SeriesPanel;
  /** Which rows to score, split as in training (at the saved dates). Default 'test'. */
  split?: EvalSplit;
}

/**
 * The forecaster and the standard baselines on one split of `series` (split at the dates of
 * training), with the M4 metrics per step and pooled and the intervals' coverage. This is
 * what `kioku eval` runs for a forecaster.
 */
export async function evaluateForecaster(
  opened: OpenedModel,
  options: ForecasterEvaluationOptions,
): Promise<SplitReport> {
  const rt = seriesRuntime(opened);
  checkOptionsObject(options, 'evaluateForecaster', 'series');
  const name = options.optionName ?? ((k: string) => k);
  const split = options.split ?? 'test';
  if (!EVAL_SPLITS.includes(split)) {
    throw new ValueError(
      `${name('split')} must be one of ${EVAL_SPLITS.join(', ')}, got ${JSON.stringify(split)}`,
    );
  }
  const { panel, configs } = modelPanel(rt, options.series, options);
  const { c } = rt;
  const plan = {
    spec: specOf(c),
    transformReason: c.transformReason,
    lookbackReason: null,
    scalings: configs.map((m) => m.scaling),
    units: configs.map((m) => m.unit),
  };
  const splits = applySplit(panel, c.split.valFrom, c.split.testFrom);
  const cell = rt.model.settings.cell;
  const report = evaluateSplit(
    { model: rt.model, name: cell, panel, plan, splits, horizon: c.steps },
    split,
    c.intervals,
  );
  if (report.origins === 0) {
    throw new ValueError(
      `${name('split')} ${split}: ${name('data')} ${options.dataName ?? 'data'} has no forecast origin there (the model forecasts ${c.steps} step(s) after ${c.lookback} rows, split at ${JSON.stringify(c.split)})`,
    );
  }
  return report;
}
