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

/** The model's outputs for encoded windows (B × L × W), in chunks, without gradients. */
function outputs(
  model: SequenceForecaster,
  spec: EncodingSpec,
  x: Float32Array,
  count: number,
): Float32Array {
  const W = inputWidth(spec);
  const L = spec.lookback;
  const out = new Float32Array(count * spec.horizon);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let b = 0; b < count; b += CHUNK) {
      const n = Math.min(CHUNK, count - b);
      const input = new Tensor(x.slice(b * L * W, (b + n) * L * W), [n, L, W]);
      out.set(noGrad(() => model.forward(input)).f32, b * spec.horizon);
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
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
  const need = spec.lookback + transformContext(spec.transform);
  const size = spec.lookback * inputWidth(spec);
  const forecasts = Array.from(origins, () => new Float64Array(steps).fill(Number.NaN));
  const failed = new Uint8Array(forecasts.length);
  for (let done = 0; done < steps; done += spec.horizon) {
    const x = new Float32Array(forecasts.length * size);
    const histories = forecasts.map((f, i) => {
      const o = origins[i]!;
      const view = done === 0 ? encoderSeries(m) : viewAfter(m, o, done, f, need, future);
      try {
        if (!failed[i]) encodeInputs(spec, scaling, view, done === 0 ? o : need, x, i * size);
      } catch {
        failed[i] = 1;
      }
      return done === 0 ? m.target.subarray(o - need, o) : view.target;
    });
    const out = outputs(model, spec, x, forecasts.length);
    forecasts.forEach((f, i) => {
      const row = out.subarray(i * spec.horizon, (i + 1) * spec.horizon);
      if (failed[i] || !row.every(Number.isFinite)) {
        failed[i] = 1;
        return;
      }
      const values = decodeOutputs(spec, scaling, histories[i]!, row);
      f.set(values.subarray(0, Math.min(spec.horizon, steps - done)), done);
    });
  }
  return forecasts;
}
