import { ols } from './least-squares.js';
import { checkInteger, finiteSeries, mean } from './numeric.js';

/**
 * Tests that decide how a series should be presented to a forecaster: the autocorrelation
 * seasonality test of the M4 competition, the KPSS level-stationarity test and the augmented
 * Dickey–Fuller unit-root test. Statistics follow statsmodels' `acf`, `kpss` and `adfuller`
 * (checked against them in the tests); decisions are made at the levels stated on each.
 */

/** Sample autocorrelations r_1 … r_maxLag (r_k = Σ (x_t − x̄)(x_{t−k} − x̄) / Σ (x_t − x̄)²). */
export function autocorrelation(values: ArrayLike<number>, maxLag: number): Float64Array {
  const x = finiteSeries(values, 'autocorrelation: values', 2);
  checkInteger(maxLag, 'autocorrelation: maxLag', 1, x.length - 1);
  const mu = mean(x);
  let denom = 0;
  for (let t = 0; t < x.length; t++) denom += (x[t]! - mu) ** 2;
  const r = new Float64Array(maxLag);
  for (let k = 1; k <= maxLag; k++) {
    let s = 0;
    for (let t = k; t < x.length; t++) s += (x[t]! - mu) * (x[t - k]! - mu);
    r[k - 1] = denom === 0 ? Number.NaN : s / denom;
  }
  return r;
}

/**
 * The tests read at most the last this many values: their cost grows with the values times the
 * season (the ADF regression is values × lags, the seasonality test every lag up to the season),
 * and a minutely series of millions of rows with a daily season (m = 1440) took minutes.
 */
export const MAX_TESTED_VALUES = 100_000;

export interface SeasonalityResult {
  seasonal: boolean;
  period: number;
  /** Autocorrelation at lag `period` (NaN when not computed). */
  acf: number;
  /** The 90% limit it is compared with: 1.645 √((1 + 2 Σ_{k<m} r_k²) / n). */
  limit: number;
  reason: string;
}

/**
 * The M4 seasonality test: seasonal when |r_m| exceeds the 90% limit
 * 1.645 · √((1 + 2 Σ_{k=1}^{m−1} r_k²) / n), and only with at least 3 full seasons
 * (the M4 benchmarks' `SeasonalityTest`), on the last {@link MAX_TESTED_VALUES} values. A period
 * below 2 or a constant series is not seasonal.
 */
export function seasonalityTest(values: ArrayLike<number>, period: number): SeasonalityResult {
  const all = finiteSeries(values, 'seasonalityTest: values', 1);
  checkInteger(period, 'seasonalityTest: period', 1);
  const x = all.subarray(Math.max(0, all.length - MAX_TESTED_VALUES));
  const tail = x.length < all.length ? ` (the last ${MAX_TESTED_VALUES.toLocaleString('en-US')} values)` : '';
  const none = (reason: string): SeasonalityResult => ({
    seasonal: false,
    period,
    acf: Number.NaN,
    limit: Number.NaN,
    reason,
  });
  if (period < 2) return none('no season (period 1)');
  if (x.length < 3 * period) return none(`too short for a season of ${period} (needs 3 seasons)`);
  const r = autocorrelation(x, period);
  if (Number.isNaN(r[0])) return none('the series is constant');
  let s = 0;
  for (let k = 0; k < period - 1; k++) s += r[k]! ** 2;
  const limit = (1.645 * Math.sqrt(1 + 2 * s)) / Math.sqrt(x.length);
  const acf = r[period - 1]!;
  const seasonal = Math.abs(acf) > limit;
  return {
    seasonal,
    period,
    acf,
    limit,
    reason: `autocorrelation at lag ${period} is ${fmt(acf)}, ${seasonal ? 'beyond' : 'within'} the 90% limit ±${fmt(limit)}${tail}`,
  };
}

export interface KpssResult {
  statistic: number;
  lags: number;
  /** 5% critical value of the level-stationarity test (Kwiatkowski et al. 1992, table 1). */
  critical: number;
  /** True when stationarity around a constant level is not rejected at 5%. */
  stationary: boolean;
}

/**
 * KPSS test of level stationarity: η = Σ S_t² / (n² σ̂²), S_t the partial sums of x − x̄ and σ̂²
 * the Newey–West long-run variance with Bartlett weights over `lags` lags (default
 * ⌈12 (n/100)^{1/4}⌉, statsmodels' "legacy"). Large η rejects stationarity.
 */
export function kpss(values: ArrayLike<number>, options: { lags?: number } = {}): KpssResult {
  const x = finiteSeries(values, 'kpss: values', 3);
  const n = x.length;
  const lags = options.lags ?? Math.min(Math.ceil(12 * (n / 100) ** 0.25), n - 1);
  checkInteger(lags, 'kpss: lags', 0, n - 1);
  const mu = mean(x);
  const e = x.map((v) => v - mu);
  let sigma = 0;
  for (let t = 0; t < n; t++) sigma += e[t]! ** 2;
  for (let j = 1; j <= lags; j++) {
    let s = 0;
    for (let t = j; t < n; t++) s += e[t]! * e[t - j]!;
    sigma += 2 * s * (1 - j / (lags + 1));
  }
  sigma /= n;
  let partial = 0;
  let eta = 0;
  for (let t = 0; t < n; t++) {
    partial += e[t]!;
    eta += partial ** 2;
  }
  const statistic = sigma > 0 ? eta / (n * n * sigma) : 0;
  return { statistic, lags, critical: 0.463, stationary: statistic < 0.463 };
}

export interface AdfResult {
  /** The t statistic of y_{t−1} in the Dickey–Fuller regression. */
  statistic: number;
  lags: number;
  /** Observations in the regression. */
  nobs: number;
  /** MacKinnon's (2010) 5% critical value for a regression with a constant, at nobs. */
  critical: number;
  /** True when the unit root is not rejected at 5% (the statistic is above the critical value). */
  unitRoot: boolean;
}

/**
 * Augmented Dickey–Fuller test with a constant and a fixed number of lagged differences:
 * Δy_t = c + γ y_{t−1} + Σ_{i=1}^{lags} δ_i Δy_{t−i} + e_t; the statistic is γ̂ / se(γ̂).
 * Returns undefined when the regression cannot be fitted (too short or a constant series).
 */
export function adf(values: ArrayLike<number>, lags: number): AdfResult | undefined {
  const x = finiteSeries(values, 'adf: values', 3);
  checkInteger(lags, 'adf: lags', 0, x.length);
  const nobs = x.length - 1 - lags;
  const k = lags + 2;
  if (nobs <= k) return undefined;
  const design = new Float64Array(nobs * k);
  const target = new Float64Array(nobs);
  for (let r = 0; r < nobs; r++) {
    const t = r + lags + 1;
    target[r] = x[t]! - x[t - 1]!;
    design[r * k] = x[t - 1]!;
    for (let i = 1; i <= lags; i++) design[r * k + i] = x[t - i]! - x[t - i - 1]!;
    design[r * k + lags + 1] = 1;
  }
  const fit = ols(design, target, k);
  if (fit === undefined || !(fit.stderr[0]! > 0)) return undefined;
  const statistic = fit.coef[0]! / fit.stderr[0]!;
  const critical = -2.86154 - 2.8903 / nobs - 4.234 / nobs ** 2 - 40.04 / nobs ** 3;
  return { statistic, lags, nobs, critical, unitRoot: statistic > critical };
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(3)).toString();
}
