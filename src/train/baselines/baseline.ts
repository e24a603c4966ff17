import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { ValueError } from '../../tensor/errors.js';

/**
 * A forecasting baseline fitted on a training series. `forecastAt` forecasts from later
 * origins too, with the parameters fixed at their training values and only the observed
 * history updating the forecast, so a baseline is scored on the validation or test split
 * exactly as a network that reads the recent window.
 */
export interface Baseline {
  /** What a report prints: "naive", "seasonal naive (m=7)", "ETS: Holt damped", … */
  readonly name: string;
  /** Length of the training series it was fitted on. */
  readonly trainLength: number;
  /**
   * The first origin it forecasts from, when later than its minimum history: a model fitted
   * on the training series' last rows has no states before them.
   */
  readonly firstOrigin?: number;
  /** The fitted parameters, JSON-serialisable, for reports and saved models. */
  readonly params: Readonly<Record<string, number | number[] | string>>;
  /**
   * Row i forecasts series[origins[i], origins[i] + horizon) from series[0, origins[i]) only.
   * `series` must begin with the training series; values at or after an origin are not read.
   */
  forecastAt(series: ArrayLike<number>, origins: readonly number[], horizon: number): Float64Array[];
  /** The `horizon` values after the training series. */
  forecast(horizon: number): Float64Array;
}

/** Checks forecastAt's arguments; returns the series as float64 up to the last origin. */
export function checkOrigins(
  what: string,
  series: ArrayLike<number>,
  origins: readonly number[],
  horizon: number,
  minOrigin: number,
): Float64Array {
  checkInteger(horizon, `${what}: horizon`, 1);
  if (!Array.isArray(origins)) throw new ValueError(`${what}: origins must be an array of integers`);
  const length = series?.length;
  if (typeof length !== 'number') throw new ValueError(`${what}: series must be an array of numbers`);
  let last = 0;
  origins.forEach((o, i) => {
    checkInteger(o, `${what}: origins[${i}]`, minOrigin, length);
    last = Math.max(last, o);
  });
  return finiteSeries(Array.prototype.slice.call(series, 0, last) as number[], `${what}: series`, 0);
}

type ForecastOne = (history: Float64Array, origin: number, horizon: number) => Float64Array;
type ForecastMany = (history: Float64Array, origins: readonly number[], horizon: number) => Float64Array[];

/**
 * Builds a Baseline from a per-origin forecast function over the float64 history, or from
 * `forecastMany`, which serves every origin at once (a filter run once over the series
 * instead of once per origin).
 */
export function makeBaseline(
  name: string,
  train: Float64Array,
  params: Record<string, number | number[] | string>,
  minOrigin: number,
  forecastOne: ForecastOne,
  forecastMany: ForecastMany = (h, origins, horizon) => origins.map((o) => forecastOne(h, o, horizon)),
): Baseline {
  const forecastAt = (series: ArrayLike<number>, origins: readonly number[], horizon: number) => {
    const history = checkOrigins(`${name}.forecastAt`, series, origins, horizon, minOrigin);
    return forecastMany(history, origins, horizon);
  };
  return {
    name,
    trainLength: train.length,
    params,
    forecastAt,
    forecast: (horizon) => forecastAt(train, [train.length], horizon)[0]!,
  };
}
