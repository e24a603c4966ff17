import { ValueError } from '../tensor/errors.js';
import { type CalendarFeature, calendarFeatures } from './calendar.js';
import { checkInteger } from './numeric.js';
import {
  decodeForecast,
  encodeTargets,
  encodeWindow,
  type TargetTransform,
  transformContext,
} from './target-transform.js';

/**
 * How a forecaster's network sees a series. The input window of an origin o (the row of the
 * first forecast step) is rows [o − L, o), one input row per time step:
 *
 *   target      the target transform's value (a difference, a ratio to the window's last
 *               value, …), standardised by the mean and sd of the transformed training values
 *   covariates  each standardised by its own training mean and sd
 *   calendar    sin and cos of each calendar feature of the row's time (already in [−1, 1])
 *
 * The network's H outputs are the next H transformed targets, standardised alike, and
 * `decodeOutputs` undoes both steps. Levels never enter the network, so a forecast may leave
 * the range of the training values (a trend, a random walk) without the network having to
 * extrapolate; the scaling is fitted on the training rows only.
 */

export interface Standardisation {
  mean: number;
  std: number;
}

export interface EncodingSpec {
  /** Input steps L per window. */
  lookback: number;
  /** Transformed targets the network predicts per window. */
  horizon: number;
  transform: TargetTransform;
  /** Covariate columns C. */
  covariates: number;
  calendar: readonly CalendarFeature[];
}

/** One series' standardisation, fitted on its training rows. */
export interface SeriesScaling {
  target: Standardisation;
  covariates: Standardisation[];
}

/**
 * The raw values an encoder reads: the target (N), covariates (N × C, row-major) and the
 * calendar features of each row (N × 2·features, from `calendarRows`).
 */
export interface EncoderSeries {
  target: ArrayLike<number>;
  covariates: ArrayLike<number>;
  calendar: ArrayLike<number>;
}

/** Input features per time step: the target, the covariates, two per calendar feature. */
export function inputWidth(spec: EncodingSpec): number {
  return 1 + spec.covariates + 2 * spec.calendar.length;
}

/** The first origin with a full input window (the transform reads rows before the window). */
export function firstOrigin(spec: EncodingSpec): number {
  return spec.lookback + transformContext(spec.transform);
}

/** Calendar feature rows (N × 2·features) for wall-clock times. */
export function calendarRows(
  features: readonly CalendarFeature[],
  times: ArrayLike<number> | null,
  rows: number,
): Float32Array {
  if (features.length === 0) return new Float32Array(0);
  if (times === null || times.length !== rows) {
    throw new ValueError(`calendar features need one time per row (${rows}), got ${times?.length ?? 'none'}`);
  }
  return calendarFeatures(times, features).values;
}

/** Centre (the mean, unless given) and spread around it of training values. */
function standardise(values: ArrayLike<number>, what: string, centre?: number): Standardisation {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = centre ?? sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  const std = Math.sqrt(sq / values.length);
  if (!Number.isFinite(mean) || !Number.isFinite(std)) {
    throw new ValueError(`${what}: the training values give a non-finite mean or sd`);
  }
  // A constant column carries no information; a unit sd keeps it at 0 instead of dividing by 0.
  return { mean, std: std > 0 ? std : 1 };
}

/**
 * The transformed value of "no change" (a difference of 0, a ratio of 1), the centre of a
 * transformed target, so that a zero output of the network is the naive forecast (seasonal
 * naive for seasonal differences): a network that learns nothing forecasts persistence, the
 * honest bar on a random walk. Levels (`none`) are centred on their training mean.
 */
function noChange(t: TargetTransform): number | undefined {
  if (t.kind === 'none') return undefined;
  return t.kind === 'window' && t.mode === 'ratio' ? 1 : 0;
}

/**
 * Fits the standardisation on the training rows [0, trainEnd): the target's on the
 * transformed targets of every training origin, each covariate's on its values.
 */
export function fitScaling(spec: EncodingSpec, series: EncoderSeries, trainEnd: number): SeriesScaling {
  const first = firstOrigin(spec);
  checkInteger(trainEnd, 'fitScaling: trainEnd', first + 1, series.target.length);
  const t = spec.transform;
  let targets: ArrayLike<number>;
  if (t.kind === 'window') {
    const out: number[] = [];
    for (let o = first; o < trainEnd; o++) out.push(...encodeTargets(t, series.target, o, 1));
    targets = out;
  } else {
    targets = encodeTargets(t, series.target, first, trainEnd - first);
  }
  const C = spec.covariates;
  const covariates = Array.from({ length: C }, (_, c) => {
    const column = Float64Array.from({ length: trainEnd }, (_, r) => series.covariates[r * C + c]!);
    return standardise(column, `covariate ${c}`);
  });
  return { target: standardise(targets, 'target', noChange(t)), covariates };
}

/** Writes the encoded window ending before row `end` into `out` at `offset` (L × width values). */
export function encodeInputs(
  spec: EncodingSpec,
  scaling: SeriesScaling,
  series: EncoderSeries,
  end: number,
  out: Float32Array,
  offset = 0,
): void {
  const L = spec.lookback;
  const C = spec.covariates;
  const K = 2 * spec.calendar.length;
  const F = inputWidth(spec);
  const target = encodeWindow(spec.transform, series.target, end, L);
  const { mean, std } = scaling.target;
  for (let k = 0; k < L; k++) {
    const r = end - L + k;
    const at = offset + k * F;
    out[at] = (target[k]! - mean) / std;
    for (let c = 0; c < C; c++) {
      const s = scaling.covariates[c]!;
      out[at + 1 + c] = (series.covariates[r * C + c]! - s.mean) / s.std;
    }
    for (let j = 0; j < K; j++) out[at + 1 + C + j] = series.calendar[r * K + j]!;
  }
}

/** The standardised transformed targets of rows [end, end + horizon). */
export function encodeOutputs(
  spec: EncodingSpec,
  scaling: SeriesScaling,
  series: EncoderSeries,
  end: number,
): Float32Array {
  const encoded = encodeTargets(spec.transform, series.target, end, spec.horizon);
  const { mean, std } = scaling.target;
  const out = new Float32Array(encoded.length);
  for (let k = 0; k < encoded.length; k++) out[k] = (encoded[k]! - mean) / std;
  return out;
}

/**
 * The network's outputs for the steps after `history` (raw targets up to the origin; the
 * last max(1, context) values are read) as values in the target's units.
 */
export function decodeOutputs(
  spec: EncodingSpec,
  scaling: SeriesScaling,
  history: ArrayLike<number>,
  outputs: ArrayLike<number>,
): Float64Array {
  const { mean, std } = scaling.target;
  const need = Math.max(1, transformContext(spec.transform));
  const tail = Array.prototype.slice.call(history, history.length - need) as number[];
  return decodeForecast(
    spec.transform,
    tail,
    Float64Array.from(outputs, (v) => v * std + mean),
  );
}
