import { parseDate, unparseableDate } from '../data/dates.js';
import { makeSeries, type TimeSeries } from '../data/series.js';
import type { OpenedModel } from '../train/recipes/opened.js';
import {
  type ForecastRow,
  type ForecastServing,
  forecastServing,
  type SeriesState,
} from '../train/recipes/serving-forecast.js';
import { RequestError, shown } from './errors.js';
import {
  type Limits,
  type ModelKind,
  oneItem,
  SESSION_SCHEMA,
  type SessionFlags,
  withinBatch,
} from './kinds.js';
import { inputsByName, readInput, type V2Request, type V2Tensor } from './tensors.js';

/**
 * A forecaster served: v1 `{"history": [...], "dates": [...], "steps": N}` → `{"target",
 * "predictions": [{step, date, value}]}`; v2 inputs `history` (FP32, [B, T, F]) and `dates`
 * (BYTES, [B, T]), parameter `steps` → outputs `forecast` (FP32, [B, steps]) and
 * `forecast_dates`. History rows hold the model's input columns (calendar ones are computed from
 * the dates). A session reads each request's rows as the next stretch of one long series and
 * forecasts from the rows so far.
 */

export interface ForecastItem {
  series: TimeSeries;
  steps: number;
}

/** The model and the server's limits, which every check reads. */
interface Ctx {
  serving: ForecastServing;
  limits: Limits;
}

/** Where a request's fields are, for messages (v1 and v2 name them differently). */
interface Fields {
  history: string;
  dates: string;
}

function stepsOf(
  { serving, limits }: Ctx,
  steps: unknown,
  session: SessionFlags | null,
  field: string,
): number {
  if (steps === undefined) return serving.horizon;
  const n = steps as number;
  const most = session ? serving.horizon : limits.maxSequenceLength;
  if (n > most) {
    const why = session
      ? "a session forecasts from its state, at most the model's horizon"
      : 'this server runs at most --max-sequence-length';
    throw new RequestError(field, `${field} must be at most ${most} (${why}), got ${n}`);
  }
  return n;
}

function datesOf({ serving }: Ctx, dates: readonly string[] | undefined, rows: number, f: Fields) {
  if (dates === undefined) {
    if (serving.calendar) {
      throw new RequestError(
        f.dates,
        `${f.dates} is required: the model reads calendar columns, computed from each row's date`,
      );
    }
    return undefined;
  }
  if (dates.length !== rows) {
    throw new RequestError(
      f.dates,
      `${f.dates} must give one date per history row (${rows}), got ${dates.length}`,
    );
  }
  // Read as the series encoding will read them, so a date it refuses is named here.
  for (let i = 0; i < rows; i++) {
    if (parseDate(dates[i]!) === undefined) {
      throw new RequestError(`${f.dates}[${i}]`, `${f.dates}[${i}]: ${unparseableDate(dates[i]!)}`);
    }
  }
  return [...dates];
}

/** One series to forecast (or a session's next rows), its size checked against the limits. */
function seriesItem(
  ctx: Ctx,
  values: Float32Array,
  dates: readonly string[] | undefined,
  steps: number,
  session: SessionFlags | null,
  f: Fields,
): ForecastItem {
  const { serving, limits } = ctx;
  const rows = values.length / serving.columns.length;
  if (rows > limits.maxSequenceLength) {
    throw new RequestError(
      f.history,
      `${f.history} holds ${rows} rows; this server reads at most ${limits.maxSequenceLength} per request (--max-sequence-length)`,
    );
  }
  if (!session && rows < serving.lookback) {
    throw new RequestError(
      f.history,
      `${f.history} must hold at least ${serving.lookback} rows (the model's lookback and the rows its target transform looks back), got ${rows}`,
    );
  }
  const index = datesOf(ctx, dates, rows, f);
  // A forecast reads the last `lookback` rows: older ones are checked above but not encoded.
  const from = session ? 0 : rows - serving.lookback;
  const F = serving.columns.length;
  const kept = index ? { index: index.slice(from) } : {};
  return { series: makeSeries(serving.columns, values.subarray(from * F), kept), steps };
}

/** v1 history rows: numbers (one column) or arrays of the model's columns. */
function v1Rows({ serving }: Ctx, history: unknown[]): Float32Array {
  const { columns } = serving;
  const F = columns.length;
  const values = new Float32Array(history.length * F);
  // Plain loops: every cell of every request passes here, and the checks are most of its cost.
  for (let r = 0; r < history.length; r++) {
    const row = history[r];
    const cells = typeof row === 'number' && F === 1 ? [row] : row;
    if (!Array.isArray(cells) || cells.length !== F) {
      const what = `${F === 1 ? 'a number or ' : ''}an array of ${F} numbers (${columns.join(', ')})`;
      throw new RequestError(`history[${r}]`, `history[${r}] must be ${what}, got ${shown(row)}`);
    }
    for (let k = 0; k < F; k++) {
      const v: unknown = cells[k];
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
        const cell = `history[${r}][${k}] (${columns[k]})`;
        throw new RequestError(`history[${r}]`, `${cell} must be a finite float32 number, got ${shown(v)}`);
      }
      values[r * F + k] = v;
    }
  }
  return values;
}

/** v2 `history` [B, T, F] (or [B, T] for one column) and `dates` [B, T] → B series. */
function v2Items(ctx: Ctx, request: V2Request, session: SessionFlags | null): ForecastItem[] {
  const { columns } = ctx.serving;
  const F = columns.length;
  const index = inputsByName(request, ['history', 'dates']);
  const ranks = F === 1 ? [2, 3] : [3];
  const h = readInput<number>(request, index, 'history', {
    datatypes: ['FP32', 'FP64'],
    ranks,
    required: true,
  })!;
  if (h.shape.length === 3 && h.shape[2] !== F) {
    const want = `[B, T, ${F}] (columns ${columns.join(', ')})`;
    throw new RequestError(
      `${h.field}.shape`,
      `${h.field}.shape must be ${want}, got [${h.shape.join(', ')}]`,
    );
  }
  const [B, T] = h.shape as [number, number];
  const d = readInput<string>(request, index, 'dates', { datatypes: ['BYTES'], ranks: [2], required: false });
  if (d && (d.shape[0] !== B || d.shape[1] !== T)) {
    const got = `[${d.shape.join(', ')}]`;
    throw new RequestError(
      `${d.field}.shape`,
      `${d.field}.shape must be [${B}, ${T}] like the history's, got ${got}`,
    );
  }
  withinBatch(B, ctx.limits, `${h.field}.shape`);
  oneItem(B, session, `${h.field}.shape`);
  const steps = stepsOf(ctx, request.parameters?.steps, session, 'parameters.steps');
  const values = Float32Array.from(h.data);
  const f = { history: `${h.field}.data`, dates: d ? `${d.field}.data` : 'inputs' };
  return Array.from({ length: B }, (_, b) => {
    const rows = values.subarray(b * T * F, (b + 1) * T * F);
    return seriesItem(ctx, rows, d?.data.slice(b * T, (b + 1) * T), steps, session, f);
  });
}

function v2Outputs(items: ForecastItem[], outs: ForecastRow[][], wanted: Set<string>): V2Tensor[] {
  const shape = [outs.length, items[0]!.steps];
  const tensors: V2Tensor[] = [];
  if (wanted.has('forecast')) {
    tensors.push({
      name: 'forecast',
      datatype: 'FP32',
      shape,
      data: outs.flatMap((rows) => rows.map((r) => r.value)),
    });
  }
  const dated = outs.every((rows) => rows.every((r) => r.date !== null));
  if (wanted.has('forecast_dates') && dated) {
    const data = outs.flatMap((rows) => rows.map((r) => r.date));
    tensors.push({ name: 'forecast_dates', datatype: 'BYTES', shape, data });
  }
  return tensors;
}

export function forecastKind(
  opened: OpenedModel,
  limits: Limits,
): ModelKind<ForecastItem, ForecastRow[], SeriesState> {
  const serving = forecastServing(opened);
  const ctx: Ctx = { serving, limits };
  const { columns, lookback, horizon, calendar, target } = serving;
  return {
    task: 'forecasting',
    inputs: [
      { name: 'history', datatype: 'FP32', shape: [-1, -1, columns.length] },
      { name: 'dates', datatype: 'BYTES', shape: [-1, -1] },
    ],
    outputs: [
      { name: 'forecast', datatype: 'FP32', shape: [-1, -1] },
      { name: 'forecast_dates', datatype: 'BYTES', shape: [-1, -1] },
    ],
    parameters: { target, columns, lookback, horizon, calendar, sessions: true },
    sessionless: null,
    // The windows of a batch's series are rows of the same forwards (each its own scaling).
    batched: true,
    v1Schema: {
      type: 'object',
      additionalProperties: false,
      required: ['history'],
      properties: {
        history: { type: 'array', minItems: 1 },
        dates: { type: 'array', items: { type: 'string' } },
        steps: { type: 'integer', minimum: 1 },
        ...SESSION_SCHEMA,
      },
    },
    v2Parameters: { steps: { type: 'integer', minimum: 1 }, ...SESSION_SCHEMA },
    fromV1(body, session) {
      const steps = stepsOf(ctx, body.steps, session, 'steps');
      const dates = body.dates as string[] | undefined;
      return [
        seriesItem(ctx, v1Rows(ctx, body.history as unknown[]), dates, steps, session, {
          history: 'history',
          dates: 'dates',
        }),
      ];
    },
    fromV2: (request, session) => v2Items(ctx, request, session),
    toV1: (_items, outs) => ({ target, predictions: outs[0] }),
    toV2: v2Outputs,
    run: (items) => serving.forecast(items).map((r) => r.rows),
    step(items, states) {
      const { forecasts, states: next } = serving.step(
        items.map((i) => i.series),
        states,
        items.map((i) => i.steps),
      );
      return { outputs: forecasts, states: next };
    },
  };
}
