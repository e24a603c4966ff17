import { ShapeError, ValueError } from '../../tensor/errors.js';

/**
 * Prediction intervals from calibration residuals (actual − forecast on the validation split,
 * one row per forecast origin, one column per horizon step), per horizon step:
 *
 *   empirical  the residual quantiles of split conformal prediction: with n residuals, the
 *              lower offset is the ⌊(n+1)·α/2⌋-th smallest and the upper the ⌈(n+1)(1−α/2)⌉-th,
 *              which covers a new residual with probability ≥ 1 − α when residuals are
 *              exchangeable (needs n ≥ 2/α − 1: 19 for 90%, 39 for 95%)
 *   normal     mean ± z·sd of the residuals, checked by the share of calibration residuals it
 *              covers; a share off the level by more than two binomial standard errors is noted
 *   auto       empirical where a step has enough residuals, normal otherwise
 *
 * The model is plain JSON (offsets per step), so it is stored beside a forecaster.
 */

export type IntervalMethod = 'empirical' | 'normal';

export interface IntervalModel {
  /** Nominal coverage 1 − α, e.g. 0.8. */
  level: number;
  /** Method used at each horizon step. */
  methods: IntervalMethod[];
  /** Offsets added to the point forecast, per step. */
  lower: number[];
  upper: number[];
  /** Share of the calibration residuals inside [lower, upper], per step. */
  coverage: number[];
  /** Calibration residuals per step. */
  count: number;
  /** Fallbacks and coverage warnings, as sentences. */
  notes: string[];
}

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new ValueError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

function checkResiduals(residuals: readonly ArrayLike<number>[]): number {
  if (!Array.isArray(residuals) || residuals.length < 2) {
    throw new ValueError(
      `calibrateIntervals: residuals needs at least 2 rows (forecast origins), got ${residuals?.length}`,
    );
  }
  const horizon = residuals[0]?.length ?? 0;
  residuals.forEach((row, i) => {
    if (row?.length !== horizon || horizon < 1) {
      throw new ShapeError(
        `calibrateIntervals: residuals[${i}] has ${row?.length} values, expected ${horizon} (≥ 1)`,
      );
    }
    for (let k = 0; k < horizon; k++) {
      if (!Number.isFinite(row[k])) {
        throw new ValueError(`calibrateIntervals: residuals[${i}][${k}] must be finite, got ${row[k]}`);
      }
    }
  });
  return horizon;
}

function normalOffsets(sorted: Float64Array, level: number): [number, number] {
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const z = normalQuantile(0.5 + level / 2);
  return [mean - z * sd, mean + z * sd];
}

/** Calibrates per-step interval offsets at `level` (default 0.8) from validation residuals. */
export function calibrateIntervals(
  residuals: readonly ArrayLike<number>[],
  options: { level?: number; method?: IntervalMethod | 'auto' } = {},
): IntervalModel {
  const level = options.level ?? 0.8;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new ValueError(`calibrateIntervals: level must be in (0, 1), got ${level}`);
  }
  const method = options.method ?? 'auto';
  if (!['auto', 'empirical', 'normal'].includes(method)) {
    throw new ValueError(
      `calibrateIntervals: method must be 'auto', 'empirical' or 'normal', got ${String(method)}`,
    );
  }
  const horizon = checkResiduals(residuals);
  const n = residuals.length;
  const alpha = 1 - level;
  // The 1e-9 keeps ranks such as 20 × 0.1 from rounding the wrong way in floating point.
  const lo = Math.floor((n + 1) * (alpha / 2) + 1e-9);
  const hi = Math.ceil((n + 1) * (1 - alpha / 2) - 1e-9);
  const enough = lo >= 1 && hi <= n;
  const model: IntervalModel = {
    level,
    methods: [],
    lower: [],
    upper: [],
    coverage: [],
    count: n,
    notes: [],
  };
  if (method === 'empirical' && !enough) {
    throw new ValueError(
      `calibrateIntervals: empirical ${level * 100}% intervals need at least ${Math.ceil(2 / alpha - 1)} residuals per step, got ${n}`,
    );
  }
  if (method === 'auto' && !enough) {
    model.notes.push(
      `${n} residuals per step are too few for empirical ${level * 100}% intervals; using the normal approximation`,
    );
  }
  for (let k = 0; k < horizon; k++) {
    const sorted = Float64Array.from(residuals, (row) => row[k]!).sort();
    const use: IntervalMethod = method === 'normal' || !enough ? 'normal' : 'empirical';
    const [lower, upper] =
      use === 'empirical' ? [sorted[lo - 1]!, sorted[hi - 1]!] : normalOffsets(sorted, level);
    const covered = sorted.filter((e) => e >= lower && e <= upper).length / n;
    if (use === 'normal' && Math.abs(covered - level) > 2 * Math.sqrt((level * (1 - level)) / n)) {
      model.notes.push(
        `step ${k + 1}: the normal approximation covers ${(covered * 100).toFixed(0)}% of the calibration residuals instead of ${(level * 100).toFixed(0)}%`,
      );
    }
    model.methods.push(use);
    model.lower.push(lower);
    model.upper.push(upper);
    model.coverage.push(covered);
  }
  return model;
}

/** The interval around a point forecast of up to the calibrated horizon. */
export function applyIntervals(
  model: IntervalModel,
  forecast: ArrayLike<number>,
): { lower: Float64Array; upper: Float64Array } {
  if (forecast.length > model.lower.length) {
    throw new ShapeError(
      `applyIntervals: the intervals were calibrated for ${model.lower.length} steps, the forecast has ${forecast.length}`,
    );
  }
  return {
    lower: Float64Array.from({ length: forecast.length }, (_, k) => forecast[k]! + model.lower[k]!),
    upper: Float64Array.from({ length: forecast.length }, (_, k) => forecast[k]! + model.upper[k]!),
  };
}

/** Share of actual values inside their intervals, per step and over all steps. */
export function intervalCoverage(
  actual: readonly ArrayLike<number>[],
  lower: readonly ArrayLike<number>[],
  upper: readonly ArrayLike<number>[],
): { perStep: number[]; pooled: number } {
  if (actual.length === 0 || lower.length !== actual.length || upper.length !== actual.length) {
    throw new ShapeError(
      `intervalCoverage: actual, lower and upper need the same non-zero number of rows, got ${actual.length}, ${lower.length}, ${upper.length}`,
    );
  }
  const horizon = actual[0]!.length;
  const hits = new Array<number>(horizon).fill(0);
  actual.forEach((row, i) => {
    if (row.length !== horizon || lower[i]!.length !== horizon || upper[i]!.length !== horizon) {
      throw new ShapeError(
        `intervalCoverage: row ${i} does not have ${horizon} values in actual, lower and upper`,
      );
    }
    for (let k = 0; k < horizon; k++) if (row[k]! >= lower[i]![k]! && row[k]! <= upper[i]![k]!) hits[k]!++;
  });
  const perStep = hits.map((h) => h / actual.length);
  return { perStep, pooled: perStep.reduce((a, b) => a + b, 0) / horizon };
}
