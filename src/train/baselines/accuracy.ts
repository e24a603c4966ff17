import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { ShapeError, ValueError } from '../../tensor/errors.js';

/**
 * Forecast accuracy as the M4 competition defines it, per horizon step and pooled over all
 * steps and origins:
 *
 *   sMAPE = mean 200 |y − ŷ| / (|y| + |ŷ|)                      (percent, 0–200)
 *   MASE  = mean |y − ŷ| / scale, scale = mean_{t ≥ m} |y_t − y_{t−m}| on the training series
 *   OWA   = ½ (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)         (below 1 beats Naive2)
 *
 * plus MAE and RMSE. Degenerate data never throws: a metric that cannot be computed is
 * undefined and `reasons` says why (a constant training series has MASE scale 0; a diverged
 * model forecasts NaN). Mismatched shapes are programming errors and do throw. A step
 * where both y and ŷ are 0 adds 0 to sMAPE (M4 leaves 0/0 undefined; its data had no zeros).
 */

export type MetricName = 'mae' | 'rmse' | 'smape' | 'mase' | 'owa';
export const METRIC_NAMES: readonly MetricName[] = ['mae', 'rmse', 'smape', 'mase', 'owa'];

export interface Scores {
  mae: number | undefined;
  rmse: number | undefined;
  /** Percent, 0–200. */
  smape: number | undefined;
  mase: number | undefined;
  owa: number | undefined;
  /** Why each undefined metric is undefined. */
  reasons: Partial<Record<MetricName, string>>;
}

export interface HorizonScores {
  /** Over every origin and step. */
  pooled: Scores;
  /** perStep[k]: over every origin at step k + 1. */
  perStep: Scores[];
}

export interface ScoreInput {
  /** Row i: the true values after origin i (H each). */
  actual: readonly ArrayLike<number>[];
  /** Row i: the forecasts for the same values. */
  predicted: readonly ArrayLike<number>[];
  /** The training series (the MASE scale). */
  train: ArrayLike<number>;
  /** Season length m of the MASE scale (1: persistence). */
  period: number;
  /** Naive2's forecasts for the same origins; OWA is undefined without them. */
  naive2?: readonly ArrayLike<number>[];
}

/** The in-sample mean absolute change at lag m, or the reason it cannot scale MASE. */
export function maseScale(train: ArrayLike<number>, period: number): { scale?: number; reason?: string } {
  checkInteger(period, 'maseScale: period', 1);
  const n = train.length;
  if (n <= period)
    return { reason: `the training series has ${n} values, MASE needs more than m = ${period}` };
  let s = 0;
  for (let t = period; t < n; t++) s += Math.abs(train[t]! - train[t - period]!);
  const scale = s / (n - period);
  if (!Number.isFinite(scale)) return { reason: 'the training series has non-finite values' };
  if (scale === 0) {
    return {
      reason: `the training series never changes at lag ${period}, so MASE's scale (the in-sample seasonal-naive MAE) is 0`,
    };
  }
  return { scale };
}

interface Sums {
  abs: number;
  sq: number;
  smape: number;
  count: number;
  bad: number;
}

const noSums = (): Sums => ({ abs: 0, sq: 0, smape: 0, count: 0, bad: 0 });

function add(sums: Sums, y: number, f: number): void {
  if (!Number.isFinite(y) || !Number.isFinite(f)) {
    sums.bad++;
    return;
  }
  const e = Math.abs(y - f);
  const denom = Math.abs(y) + Math.abs(f);
  sums.abs += e;
  sums.sq += e * e;
  sums.smape += denom === 0 ? 0 : (200 * e) / denom;
  sums.count++;
}

/** Running sums over every step (pooled) and per step, in origin order. */
class HorizonSums {
  readonly pooled = noSums();
  readonly perStep: Sums[];

  constructor(horizon: number) {
    this.perStep = Array.from({ length: horizon }, noSums);
  }

  add(actual: readonly ArrayLike<number>[], predicted: readonly ArrayLike<number>[]): void {
    actual.forEach((row, i) => {
      for (let k = 0; k < row.length; k++) {
        add(this.pooled, row[k]!, predicted[i]![k]!);
        add(this.perStep[k]!, row[k]!, predicted[i]![k]!);
      }
    });
  }
}

function scoresOf(model: Sums, scale: { scale?: number; reason?: string }, naive2?: Sums): Scores {
  const reasons: Partial<Record<MetricName, string>> = {};
  if (model.bad > 0) {
    const why = `${model.bad} of ${model.bad + model.count} forecast or actual values are not finite`;
    for (const m of METRIC_NAMES) reasons[m] = why;
    return { mae: undefined, rmse: undefined, smape: undefined, mase: undefined, owa: undefined, reasons };
  }
  const mae = model.abs / model.count;
  const smape = model.smape / model.count;
  const mase = scale.scale === undefined ? undefined : mae / scale.scale;
  if (mase === undefined) reasons.mase = scale.reason!;
  let owa: number | undefined;
  if (naive2 === undefined) reasons.owa = 'no Naive2 forecasts to compare with';
  else if (mase === undefined) reasons.owa = `MASE is undefined: ${scale.reason}`;
  else if (naive2.bad > 0) reasons.owa = 'Naive2 forecasts are not finite';
  else if (naive2.smape === 0 || naive2.abs === 0)
    reasons.owa = 'Naive2 is exact here, so the ratios are undefined';
  else
    owa = 0.5 * (smape / (naive2.smape / naive2.count) + mase / (naive2.abs / naive2.count / scale.scale!));
  return { mae, rmse: Math.sqrt(model.sq / model.count), smape, mase, owa, reasons };
}

function checkRows(name: string, rows: readonly ArrayLike<number>[], origins: number, horizon: number): void {
  if (!Array.isArray(rows)) throw new ValueError(`scoreForecasts: ${name} must be an array of rows`);
  if (rows.length !== origins) {
    throw new ShapeError(`scoreForecasts: ${name} has ${rows.length} rows, actual has ${origins}`);
  }
  rows.forEach((row, i) => {
    if (row?.length !== horizon) {
      throw new ShapeError(`scoreForecasts: ${name}[${i}] has ${row?.length} values, expected ${horizon}`);
    }
  });
}

function noOrigins(): HorizonScores {
  const why = 'no forecast origins: the evaluated split is shorter than the horizon';
  const reasons = Object.fromEntries(METRIC_NAMES.map((m) => [m, why]));
  return {
    pooled: { mae: undefined, rmse: undefined, smape: undefined, mase: undefined, owa: undefined, reasons },
    perStep: [],
  };
}

/**
 * {@link scoreForecasts} over origins given a block at a time (a long series' forecasts need
 * not all be held at once); the scores equal those of every block passed in one call.
 */
export class ForecastScorer {
  private readonly scale: { scale?: number; reason?: string };
  private readonly model: HorizonSums;
  private readonly naive2: HorizonSums | undefined;
  private origins = 0;

  /** `withNaive2`: every block brings Naive2's forecasts, for OWA. */
  constructor(
    train: ArrayLike<number>,
    period: number,
    readonly horizon: number,
    withNaive2: boolean,
  ) {
    this.scale = maseScale(finiteSeries(train, 'scoreForecasts: train', 1), period);
    checkInteger(horizon, 'ForecastScorer: horizon', 1);
    this.model = new HorizonSums(horizon);
    this.naive2 = withNaive2 ? new HorizonSums(horizon) : undefined;
  }

  /** Adds a block of origins: `actual`, `predicted` (and `naive2`) rows of `horizon` values. */
  add(block: Pick<ScoreInput, 'actual' | 'predicted' | 'naive2'>): void {
    const { actual, predicted, naive2 } = block;
    if (!Array.isArray(actual))
      throw new ValueError('scoreForecasts: actual must be an array of rows (one per origin)');
    checkRows('actual', actual, actual.length, this.horizon);
    checkRows('predicted', predicted, actual.length, this.horizon);
    if ((naive2 !== undefined) !== (this.naive2 !== undefined)) {
      throw new ValueError(
        `scoreForecasts: naive2 rows must be given ${this.naive2 ? 'with every' : 'with no'} block`,
      );
    }
    if (naive2 !== undefined) checkRows('naive2', naive2, actual.length, this.horizon);
    this.model.add(actual, predicted);
    if (naive2 !== undefined) this.naive2!.add(actual, naive2);
    this.origins += actual.length;
  }

  scores(): HorizonScores {
    if (this.origins === 0) return noOrigins();
    const { model, naive2, scale } = this;
    return {
      pooled: scoresOf(model.pooled, scale, naive2?.pooled),
      perStep: model.perStep.map((sums, k) => scoresOf(sums, scale, naive2?.perStep[k])),
    };
  }
}

/** M4 metrics of `predicted` against `actual`, per horizon step and pooled. */
export function scoreForecasts(input: ScoreInput): HorizonScores {
  const { actual, predicted, naive2 } = input;
  if (!Array.isArray(actual))
    throw new ValueError('scoreForecasts: actual must be an array of rows (one per origin)');
  const train = finiteSeries(input.train, 'scoreForecasts: train', 1);
  if (actual.length === 0) {
    maseScale(train, input.period);
    return noOrigins();
  }
  const horizon = actual[0]!.length;
  if (!(horizon >= 1)) throw new ShapeError('scoreForecasts: actual rows must have at least one value');
  const scorer = new ForecastScorer(train, input.period, horizon, naive2 !== undefined);
  scorer.add({ actual, predicted, ...(naive2 !== undefined ? { naive2 } : {}) });
  return scorer.scores();
}

/**
 * Scores of several series (a global model) combined as M4 combines series: the mean of
 * each metric over the series where it is defined, and OWA from the mean sMAPE and MASE of
 * the model and of Naive2 over the series where all four are defined. Left-out series are
 * counted in `reasons`.
 */
export function averageScores(series: readonly { model: Scores; naive2?: Scores }[]): Scores {
  if (!Array.isArray(series) || series.length === 0) {
    throw new ValueError('averageScores: series must be a non-empty array of { model, naive2 } scores');
  }
  const reasons: Partial<Record<MetricName, string>> = {};
  const meanOf = (values: (number | undefined)[], name: MetricName): number | undefined => {
    const defined = values.filter((v): v is number => v !== undefined);
    if (defined.length < values.length) {
      reasons[name] = `undefined for ${values.length - defined.length} of ${values.length} series`;
    }
    return defined.length === 0 ? undefined : defined.reduce((a, b) => a + b, 0) / defined.length;
  };
  const [mae, rmse, smape, mase] = (['mae', 'rmse', 'smape', 'mase'] as const).map((name) =>
    meanOf(
      series.map((s) => s.model[name]),
      name,
    ),
  );
  const complete = series.filter(
    (s) => s.model.smape !== undefined && s.model.mase !== undefined && s.naive2?.smape && s.naive2?.mase,
  );
  let owa: number | undefined;
  if (complete.length < series.length) {
    reasons.owa = `undefined for ${series.length - complete.length} of ${series.length} series`;
  }
  if (complete.length > 0) {
    const total = (pick: (s: (typeof series)[number]) => number) => complete.reduce((a, s) => a + pick(s), 0);
    owa =
      0.5 *
      (total((s) => s.model.smape!) / total((s) => s.naive2!.smape!) +
        total((s) => s.model.mase!) / total((s) => s.naive2!.mase!));
  }
  return { mae, rmse, smape, mase, owa, reasons };
}
