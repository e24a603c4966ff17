import { firstOrigin } from '../../data/forecast-encoding.js';
import { makeSeries, type TimeSeries } from '../../data/series.js';
import { ValueError } from '../../tensor/errors.js';
import type { OpenedModel } from './opened.js';
import { specOf } from './series-config.js';
import {
  type ForecastResult,
  forecastRowsMany,
  type SeriesRuntime,
  seriesReadOptions,
  seriesRuntime,
} from './series-model.js';

/**
 * A forecaster prepared once for many calls, as a server runs it: many series continued in one
 * call, their windows rows of the same forwards (each exactly as `forecastSeries` continues it
 * alone), and sessions — a stream of rows arriving in chunks, forecast after each from the rows
 * so far. A forecaster reads each window relative to its own last values (its target transform
 * and scaling), so a session carries the last rows a forecast needs rather than a recurrent state.
 */

/** What a forecasting session carries: its last rows (the model's columns, row-major) and their dates. */
export interface SeriesState {
  readonly values: Float32Array;
  readonly dates: readonly string[] | null;
}

export type ForecastRow = ForecastResult['rows'][number];

export interface ForecastServing {
  readonly target: string;
  /** The columns a request sends, in order (the model's inputs without the calendar ones). */
  readonly columns: readonly string[];
  /** The rows one forecast reads: the lookback, and the rows its target transform looks back. */
  readonly lookback: number;
  /** The steps the model was trained and scored for. */
  readonly horizon: number;
  /** Whether the model reads calendar columns, which need a date per row. */
  readonly calendar: boolean;
  /** The next `steps` values after each series (at least `lookback` rows), as `forecastSeries`. */
  forecast(requests: readonly { series: TimeSeries; steps: number }[]): ForecastResult[];
  /**
   * Advances B sessions by their chunks (rows of `columns`, dated when the model needs it) from
   * their states (null: a new session) and forecasts steps[b] values after each.
   */
  step(
    chunks: readonly TimeSeries[],
    states: readonly (SeriesState | null)[],
    steps: readonly number[],
  ): { forecasts: ForecastRow[][]; states: SeriesState[] };
}

/** A session's rows so far (at most `keep`), its chunk appended: one buffer of the rows kept, no more. */
function extend(state: SeriesState | null, chunk: TimeSeries, keep: number): SeriesState {
  const F = chunk.columns.length;
  const before = state?.values ?? new Float32Array(0);
  const added = chunk.values.length / F;
  const rows = Math.min(keep, before.length / F + added);
  const values = new Float32Array(rows * F);
  const fromChunk = Math.min(rows, added);
  const fromBefore = rows - fromChunk;
  values.set(before.subarray(before.length - fromBefore * F), 0);
  values.set(chunk.values.subarray(chunk.values.length - fromChunk * F), fromBefore * F);
  if (!chunk.index) return { values, dates: null };
  const earlier = state?.dates ?? [];
  const dates = [...earlier.slice(earlier.length - fromBefore), ...chunk.index.slice(added - fromChunk)];
  return { values, dates };
}

/**
 * The session's rows as a series of at least `need` rows: a session younger than that is padded
 * in front with its first row (and the dates before it), so it forecasts from the first request.
 * A session of `need` rows is read as it is, without a copy.
 */
function sessionSeries(
  rt: SeriesRuntime,
  columns: readonly string[],
  s: SeriesState,
  need: number,
): TimeSeries {
  const F = columns.length;
  const rows = s.values.length / F;
  const pad = Math.max(0, need - rows);
  if (pad === 0) return makeSeries(columns, s.values, s.dates ? { index: s.dates } : {});
  const values = new Float32Array((rows + pad) * F);
  for (let r = 0; r < pad; r++) values.set(s.values.subarray(0, F), r * F);
  values.set(s.values, pad * F);
  let index: string[] | undefined;
  if (s.dates) {
    const step = rt.c.frequency?.step ?? 86_400_000;
    const first = Date.parse(s.dates[0]!);
    const earlier = Array.from({ length: pad }, (_, k) =>
      new Date(first - (pad - k) * step).toISOString().slice(0, s.dates![0]!.length > 10 ? 16 : 10),
    );
    index = [...earlier, ...s.dates];
  }
  return makeSeries(columns, values, index ? { index } : {});
}

/** `opened` (a forecaster of one series) ready to serve; throws a ValueError naming what it lacks. */
export function forecastServing(opened: OpenedModel): ForecastServing {
  const rt = seriesRuntime(opened);
  const { c } = rt;
  if (c.seriesColumn !== null) {
    throw new ValueError(
      `"${rt.where}" forecasts several series (by ${c.seriesColumn}); serving reads one series per request, so serve a model of one series`,
    );
  }
  const columns = seriesReadOptions(opened).columns;
  const need = firstOrigin(specOf(c));
  return {
    target: c.target,
    columns,
    lookback: need,
    horizon: c.steps,
    calendar: c.calendar.length > 0,
    forecast: (requests) => forecastRowsMany(rt, requests),
    step(chunks, states, steps) {
      const next = chunks.map((chunk, b) => extend(states[b] ?? null, chunk, need));
      const requests = next.map((s, b) => ({
        series: sessionSeries(rt, columns, s, need),
        steps: steps[b]!,
      }));
      const forecasts = forecastRowsMany(rt, requests).map((r) => r.rows);
      return { forecasts, states: next };
    },
  };
}
