import {
  decodeOutputs,
  type EncoderSeries,
  type EncodingSpec,
  encodeInputs,
  inputWidth,
  type SeriesScaling,
} from '../../data/forecast-encoding.js';
import { transformContext } from '../../data/target-transform.js';
import type { SequenceForecaster } from '../../nn/heads.js';
import { noGrad } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';
import { encoderSeries, type Member } from './series-panel.js';

/**
 * A trained forecaster's forecasts from given origins, in the target's units. The network
 * predicts `spec.horizon` steps per call; longer forecasts feed its decoded forecasts back as
 * the next window's target values (a recursive model predicts one step per call). Beyond the
 * origin, covariates are unknown and keep their last observed value; calendar features are
 * known from the dates (`future` holds those of the rows after the data).
 */

const CHUNK = 256;

/** The model's outputs for encoded windows (B × L × W), without gradients. */
function outputs(
  model: SequenceForecaster,
  spec: EncodingSpec,
  x: Float32Array,
  count: number,
): Float32Array {
  const input = new Tensor(x, [count, spec.lookback, inputWidth(spec)]);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => model.forward(input)).f32;
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The rows [o + done − need, o + done) of a member as an encoder reads them after `done`
 * forecast steps from origin o: forecasts in place of the target from o on, the covariates of
 * row o − 1 held, the calendar rows of the data and then of `future`.
 */
function viewAfter(
  m: Member,
  o: number,
  done: number,
  forecast: Float64Array,
  need: number,
  future: Float32Array,
): EncoderSeries {
  const C = m.covariates.length / m.target.length;
  const K = m.calendar.length / m.target.length;
  const N = m.target.length;
  const target = new Float64Array(need);
  const covariates = new Float64Array(need * C);
  const calendar = new Float32Array(need * K);
  for (let k = 0; k < need; k++) {
    const r = o + done - need + k;
    target[k] = r < o ? m.target[r]! : forecast[r - o]!;
    covariates.set(m.covariates.subarray(Math.min(r, o - 1) * C, (Math.min(r, o - 1) + 1) * C), k * C);
    calendar.set(
      r < N ? m.calendar.subarray(r * K, (r + 1) * K) : future.subarray((r - N) * K, (r - N + 1) * K),
      k * K,
    );
  }
  return { target, covariates, calendar };
}

/** Forecasts to compute for one member: `steps` values after each of its origins. */
export interface ForecastTask {
  member: Member;
  scaling: SeriesScaling;
  origins: ArrayLike<number>;
  steps: number;
  /** Calendar rows after the data's end (for steps beyond it). */
  future?: Float32Array;
}

/** One window's forecast in progress: which task and origin, and its values so far. */
interface Row {
  task: ForecastTask;
  origin: number;
  values: Float64Array;
  failed: boolean;
}

/** The encoded windows of `rows` after `done` steps (B × L × W), and the raw targets each decodes from. */
function encodeRows(spec: EncodingSpec, rows: Row[], done: number) {
  const need = spec.lookback + transformContext(spec.transform);
  const size = spec.lookback * inputWidth(spec);
  const x = new Float32Array(rows.length * size);
  const histories = rows.map((row, i) => {
    const { member: m, scaling, future } = row.task;
    const o = row.origin;
    const view =
      done === 0 ? encoderSeries(m) : viewAfter(m, o, done, row.values, need, future ?? new Float32Array(0));
    try {
      if (!row.failed) encodeInputs(spec, scaling, view, done === 0 ? o : need, x, i * size);
    } catch {
      row.failed = true;
    }
    return done === 0 ? m.target.subarray(o - need, o) : view.target;
  });
  return { x, histories };
}

/** Runs the network on `rows` after `done` steps and writes their next decoded steps. */
function stepRows(model: SequenceForecaster, spec: EncodingSpec, rows: Row[], done: number): void {
  const { x, histories } = encodeRows(spec, rows, done);
  const out = outputs(model, spec, x, rows.length);
  rows.forEach((row, i) => {
    const y = out.subarray(i * spec.horizon, (i + 1) * spec.horizon);
    if (row.failed || !y.every(Number.isFinite)) {
      row.failed = true;
      return;
    }
    const values = decodeOutputs(spec, row.task.scaling, histories[i]!, y);
    row.values.set(values.subarray(0, Math.min(spec.horizon, row.task.steps - done)), done);
  });
}

/**
 * The forecasts of several members at once (each task's origins, each its own scaling and
 * steps), {@link CHUNK} windows per forward: what `forecastFrom` computes for each task
 * alone. A row leaves the batch once its steps are done. Each task's rows are views of one
 * buffer (origins × steps), and only one chunk of windows is encoded at a time.
 */
export function forecastMany(
  model: SequenceForecaster,
  spec: EncodingSpec,
  tasks: readonly ForecastTask[],
): Float64Array[][] {
  const all: Row[][] = tasks.map((task) => {
    const flat = new Float64Array(task.origins.length * task.steps).fill(Number.NaN);
    return Array.from(task.origins, (origin, i) => ({
      task,
      origin,
      values: flat.subarray(i * task.steps, (i + 1) * task.steps),
      failed: false,
    }));
  });
  const most = Math.max(0, ...tasks.map((t) => t.steps));
  for (let done = 0; done < most; done += spec.horizon) {
    const rows = all.flat().filter((r) => !r.failed && r.task.steps > done);
    for (let b = 0; b < rows.length; b += CHUNK) stepRows(model, spec, rows.slice(b, b + CHUNK), done);
  }
  return all.map((rows) => rows.map((r) => r.values));
}

/**
 * `steps` forecasts after each origin of member `m` (rows [o, o + steps)); NaN from the step
 * where the network's outputs stop being finite or cannot be fed back (a window ratio
 * anchored at 0). `future` holds calendar rows after the data's end.
 */
export function forecastFrom(
  model: SequenceForecaster,
  spec: EncodingSpec,
  scaling: SeriesScaling,
  m: Member,
  origins: ArrayLike<number>,
  steps: number,
  future: Float32Array = new Float32Array(0),
): Float64Array[] {
  return forecastMany(model, spec, [{ member: m, scaling, origins, steps, future }])[0]!;
}
