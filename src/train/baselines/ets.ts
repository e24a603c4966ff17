/**
 * Exponential smoothing (SES, Holt, damped Holt, additive and multiplicative Holt–Winters) in
 * the Holt–Winters form of Hyndman & Athanasopoulos that statsmodels' `ExponentialSmoothing`
 * uses, so fitted parameters can be compared with it. With ŷ_t the one-step forecast,
 * T = ℓ_{t−1} + φ b_{t−1} and s = s_{t−m}:
 *
 *   additive season:        ŷ_t = T + s,   ℓ_t = α (y_t − s) + (1 − α) T,  s_t = γ (y_t − T) + (1 − γ) s
 *   multiplicative season:  ŷ_t = T · s,   ℓ_t = α y_t / s + (1 − α) T,    s_t = γ y_t / T + (1 − γ) s
 *   no season:              ŷ_t = T,       ℓ_t = α y_t + (1 − α) T
 *   trend:                  b_t = β (ℓ_t − ℓ_{t−1}) + (1 − β) φ b_{t−1}   (φ = 1 undamped; b ≡ 0 without trend)
 *
 * The h-step forecast is ℓ_n + (φ + … + φ^h) b_n combined with the latest seasonal of the
 * target's position. `level`, `slope` and `seasonals` are the states before the first value
 * (`seasonals[j]` serves y_j).
 */

export type TrendKind = 'none' | 'additive' | 'damped';
export type SeasonKind = 'none' | 'additive' | 'multiplicative';

export interface EtsSpec {
  trend: TrendKind;
  season: SeasonKind;
  /** Season length m; 1 when there is no season. */
  period: number;
}

export interface EtsParams {
  alpha: number;
  /** Trend smoothing (0 without a trend). */
  beta: number;
  /** Seasonal smoothing (0 without a season). */
  gamma: number;
  /** Damping (1 unless the trend is damped). */
  phi: number;
  level: number;
  slope: number;
  /** m initial seasonal states (empty without a season). */
  seasonals: number[];
}

/** The states after filtering: level, slope and the seasonal ring indexed by time mod m. */
interface State {
  level: number;
  slope: number;
  ring: Float64Array;
  /** Values consumed so far. */
  t: number;
}

export function etsName(spec: EtsSpec): string {
  const trend = { none: '', additive: ' additive trend', damped: ' damped trend' }[spec.trend];
  if (spec.season === 'none')
    return spec.trend === 'none' ? 'SES' : spec.trend === 'damped' ? 'Holt damped' : 'Holt';
  return `Holt-Winters ${spec.season === 'additive' ? 'additive' : 'multiplicative'} (m=${spec.period}${trend ? `,${trend}` : ', no trend'})`;
}

function initialState(spec: EtsSpec, p: EtsParams): State {
  const ring = new Float64Array(Math.max(1, spec.period));
  if (spec.season !== 'none') ring.set(p.seasonals);
  return { level: p.level, slope: spec.trend === 'none' ? 0 : p.slope, ring, t: 0 };
}

/**
 * Runs the recursions over y[from, to), updating `state`; returns the sum of squared one-step
 * errors (Infinity once a multiplicative denominator stops being positive and finite).
 * `fitted`, when given, receives each one-step forecast at its time index.
 */
function advance(
  spec: EtsSpec,
  p: EtsParams,
  state: State,
  y: ArrayLike<number>,
  to: number,
  fitted?: Float64Array,
): number {
  const { alpha, beta, gamma } = p;
  const phi = spec.trend === 'damped' ? p.phi : 1;
  const m = state.ring.length;
  const mult = spec.season === 'multiplicative';
  const seasonal = spec.season !== 'none';
  const trended = spec.trend !== 'none';
  let { level, slope } = state;
  const ring = state.ring;
  let sse = 0;
  for (let t = state.t; t < to; t++) {
    const j = t % m;
    const s = ring[j]!;
    const base = level + phi * slope;
    const yhat = !seasonal ? base : mult ? base * s : base + s;
    const v = y[t]!;
    sse += (v - yhat) ** 2;
    if (fitted) fitted[t] = yhat;
    let next: number;
    if (mult) {
      if (!(s > 0 && base > 0)) return Number.POSITIVE_INFINITY;
      next = (alpha * v) / s + (1 - alpha) * base;
      ring[j] = (gamma * v) / base + (1 - gamma) * s;
    } else {
      next = alpha * (v - s) + (1 - alpha) * base;
      if (seasonal) ring[j] = gamma * (v - base) + (1 - gamma) * s;
    }
    if (trended) slope = beta * (next - level) + (1 - beta) * phi * slope;
    level = next;
  }
  state.level = level;
  state.slope = slope;
  state.t = to;
  return Number.isFinite(sse) ? sse : Number.POSITIVE_INFINITY;
}

/** One-step forecasts over y and their sum of squared errors. */
export function etsFilter(
  spec: EtsSpec,
  p: EtsParams,
  y: ArrayLike<number>,
  fitted?: Float64Array,
): { sse: number } {
  return { sse: advance(spec, p, initialState(spec, p), y, y.length, fitted) };
}

function forecastFromState(spec: EtsSpec, p: EtsParams, state: State, horizon: number): Float64Array {
  const phi = spec.trend === 'damped' ? p.phi : 1;
  const out = new Float64Array(horizon);
  let damp = 0;
  let power = 1;
  for (let k = 1; k <= horizon; k++) {
    power *= phi;
    damp += power;
    const base = state.level + damp * state.slope;
    const s = state.ring[(state.t + k - 1) % state.ring.length]!;
    out[k - 1] = spec.season === 'none' ? base : spec.season === 'multiplicative' ? base * s : base + s;
  }
  return out;
}

/**
 * Forecasts `horizon` values after each origin: row i predicts series[origins[i] …
 * origins[i] + horizon) from the states after filtering series[0, origins[i]). One pass over
 * the series serves every origin.
 */
export function etsForecastOrigins(
  spec: EtsSpec,
  p: EtsParams,
  series: ArrayLike<number>,
  origins: readonly number[],
  horizon: number,
): Float64Array[] {
  const order = origins.map((_, i) => i).sort((a, b) => origins[a]! - origins[b]!);
  const state = initialState(spec, p);
  const out: Float64Array[] = new Array(origins.length);
  for (const i of order) {
    advance(spec, p, state, series, origins[i]!);
    out[i] = forecastFromState(spec, p, state, horizon);
  }
  return out;
}
