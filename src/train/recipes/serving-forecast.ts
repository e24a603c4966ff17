import type { TimeSeries } from '../../data/series.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { OpenedModel } from './opened.js';
import { nextDates } from './series-data.js';
import {
  calendarFiller,
  type ForecastResult,
  lastWindow,
  modelInputs,
  type SeriesRuntime,
  seriesReadOptions,
  seriesRuntime,
} from './series-model.js';
import { advance, padSteps, type RecurrentState } from './serving-state.js';

/**
 * A forecaster prepared once for many calls, as a server runs it: many series continued in one
 * batch (what `forecastSeries` computes for each), and sessions — a stream of rows arriving in
 * chunks, the recurrent state carried from one chunk to the next, forecast after each.
 */

/** What a forecasting session carries: the recurrent state and its last two dates (for the next ones). */
export interface SeriesState {
  readonly rnn: RecurrentState;
  readonly dates: readonly string[];
}

export type ForecastRow = ForecastResult['rows'][number];

export interface ForecastServing {
  readonly target: string;
  /** The columns a request sends, in order (the model's inputs without the calendar ones). */
  readonly columns: readonly string[];
  readonly lookback: number;
  readonly horizon: number;
  /** Whether the model reads calendar columns, which need a date per row. */
  readonly calendar: boolean;
  /** The next `steps` values after each series (at least `lookback` rows), as `forecastSeries`. */
  forecast(requests: readonly { series: TimeSeries; steps: number }[]): ForecastResult[];
  /**
   * Advances B sessions by their chunks (rows of `columns`, dated when the model needs it) from
   * their states (null: a new session) and forecasts steps[b] ≤ horizon values after each.
   */
  step(
    chunks: readonly TimeSeries[],
    states: readonly (SeriesState | null)[],
    steps: readonly number[],
  ): { forecasts: ForecastRow[][]; states: SeriesState[] };
}

/** (B, lookback, F) scaled windows and the dates that follow each, `steps` of them. */
function windows(
  rt: SeriesRuntime,
  requests: readonly { series: TimeSeries; steps: number }[],
  steps: number,
) {
  const { lookback, columns } = rt.s;
  const F = columns.length;
  const x = new Float32Array(requests.length * lookback * F);
  const wins = requests.map((r, i) => {
    const w = lastWindow(rt, { steps: r.steps, series: r.series });
    x.set(rt.scaler.transform(new Tensor(w.values, [lookback, F])).f32, i * lookback * F);
    return { ...w, next: nextDates(w.index, steps) };
  });
  if (rt.s.calendar && wins.some((w) => !w.next)) {
    throw new ValueError(`"${rt.where}": the model uses calendar columns but the data has no dates`);
  }
  return { x: new Tensor(x, [requests.length, lookback, F]), wins };
}

function forecastMany(rt: SeriesRuntime, requests: readonly { series: TimeSeries; steps: number }[]) {
  const { s } = rt;
  const F = s.columns.length;
  const steps = Math.max(...requests.map((r) => r.steps));
  const { x, wins } = windows(rt, requests, steps);
  const fillers = s.calendar ? wins.map((w) => calendarFiller(rt, w.next!)) : null;
  const out = rt.model.forecast(x, steps, {
    targetColumns: [s.targetIndex],
    ...(fillers ? { nextInputs: (k: number, row: Float32Array, i: number) => fillers[i]!(k, row) } : {}),
  }).f32;
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  return requests.map((r, i): ForecastResult => {
    const w = wins[i]!;
    return {
      target: s.target,
      rows: Array.from({ length: r.steps }, (_, k) => ({
        step: k + 1,
        date: w.next ? w.next[k]! : null,
        value: out[i * steps + k]! * std + mean,
      })),
      history: {
        index: w.index,
        values: Array.from({ length: s.lookback }, (_, j) => w.values[j * F + s.targetIndex]!),
      },
      saved: [],
    };
  });
}

function stepMany(
  rt: SeriesRuntime,
  chunks: readonly TimeSeries[],
  states: readonly (SeriesState | null)[],
  steps: readonly number[],
) {
  const { s, model } = rt;
  const F = s.columns.length;
  const rows = chunks.map((c) => {
    const series = modelInputs(rt, c, {});
    return rt.scaler.transform(new Tensor(series.values, [series.length, F])).f32;
  });
  const { x, T, lengths } = padSteps(rows, F);
  const next = advance(
    model.rnn,
    new Tensor(x, [chunks.length, T, F]),
    lengths,
    states.map((st) => st?.rnn ?? null),
  );
  const H = model.settings.hiddenSize;
  const out = noGrad(() => model.fc.forward(new Tensor(next.top, [chunks.length, H]))).f32;
  const O = model.settings.outputSize;
  const mean = rt.scaler.mean[s.targetIndex]!;
  const std = rt.scaler.std[s.targetIndex]!;
  const dates = chunks.map((c, b) => [...(states[b]?.dates ?? []), ...(c.index ?? [])].slice(-2));
  const forecasts = chunks.map((_, b) => {
    const following = nextDates(dates[b]!, steps[b]!);
    return Array.from({ length: steps[b]! }, (_, k) => ({
      step: k + 1,
      date: following ? following[k]! : null,
      value: out[(b * s.horizon + k) * O]! * std + mean,
    }));
  });
  return { forecasts, states: next.states.map((rnn, b) => ({ rnn, dates: dates[b]! })) };
}

/** `opened` (a forecaster) ready to serve; throws a ValueError naming what its config lacks. */
export function forecastServing(opened: OpenedModel): ForecastServing {
  const rt = seriesRuntime(opened);
  const { s } = rt;
  return {
    target: s.target,
    columns: seriesReadOptions(opened).columns,
    lookback: s.lookback,
    horizon: s.horizon,
    calendar: s.calendar,
    forecast: (requests) => forecastMany(rt, requests),
    step: (chunks, states, steps) => stepMany(rt, chunks, states, steps),
  };
}
