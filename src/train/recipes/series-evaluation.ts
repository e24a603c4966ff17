import { firstOrigin } from '../../data/forecast-encoding.js';
import type { SequenceForecaster } from '../../nn/heads.js';
import type { Scores } from '../baselines/accuracy.js';
import { calibrateIntervals, type IntervalModel } from '../baselines/intervals.js';
import type { Verdict } from '../baselines/verdict.js';
import type { Span } from './events.js';
import { type MemberForecasts, type ModelScores, scoreWithBaselines } from './series-baselines.js';
import { type Member, memberName, type Panel } from './series-panel.js';
import type { SeriesPlan } from './series-plan.js';
import { forecastFrom } from './series-predict.js';
import type { MemberSplit } from './series-split.js';

/**
 * A trained forecaster judged on one split of its series: its forecasts from every origin of
 * the split whose `horizon` steps lie inside it, scored beside the baselines, with the
 * coverage of its prediction intervals; and the intervals themselves, calibrated on the
 * validation split.
 */

export type EvalSplit = 'train' | 'val' | 'test' | 'all';
export const EVAL_SPLITS: readonly EvalSplit[] = ['test', 'val', 'train', 'all'];

/** A trained forecaster with its data: what scoring and calibrating need. */
export interface FittedSeries {
  model: SequenceForecaster;
  /** Its name in reports (the cell). */
  name: string;
  panel: Panel;
  plan: SeriesPlan;
  splits: MemberSplit[];
  /** Forecast steps per origin. */
  horizon: number;
}

export interface SplitReport {
  split: EvalSplit;
  horizon: number;
  /** Forecast origins over all members. */
  origins: number;
  /** The rows of the first member's split, with their dates. */
  span: Span;
  members: Array<{ name: string; origins: number }>;
  /** The model first, then the baselines. */
  models: ModelScores[];
  verdict: Verdict;
  randomWalk: boolean;
  /** Share of the actual values inside the prediction intervals. */
  coverage: { level: number; pooled: number; perStep: number[] } | null;
  notes: string[];
  /** The first member's first forecast step of its last 2,000 origins: date (or row), truth, forecasts. */
  forecasts: {
    x: Array<string | number>;
    actual: number[];
    predicted: Record<string, number[]>;
    lower?: number[];
    upper?: number[];
  };
}

/** Rows [from, to) of each member that a split covers. */
function ranges(f: FittedSeries, split: EvalSplit): Array<{ from: number; to: number }> {
  return f.splits.map((s, i) => {
    const n = f.panel.members[i]!.target.length;
    const bounds = { train: [0, s.val], val: [s.val, s.test], test: [s.test, n], all: [0, n] }[split];
    return { from: bounds[0]!, to: bounds[1]! };
  });
}

/**
 * Forecast values a split scores at most: beyond, every k-th origin is scored. A minutely series
 * of millions of rows with a daily horizon (1440 steps) asked for billions of forecasts, held
 * at once, where evenly spaced origins measure the same errors.
 */
export const MAX_SCORED_VALUES = 4_000_000;

/** The first origin of a member: a full window, and a season before it. */
function firstOriginOf(f: FittedSeries): number {
  return Math.max(firstOrigin(f.plan.spec), f.panel.period);
}

/** Every origin of a member in [from, to) with every step inside, from its first one on, `stride` apart. */
function originsOf(f: FittedSeries, range: { from: number; to: number }, stride = 1): number[] {
  const out: number[] = [];
  for (let o = Math.max(range.from, firstOriginOf(f)); o + f.horizon <= range.to; o += stride) out.push(o);
  return out;
}

/** The spacing of the scored origins: 1, or what keeps origins × horizon within MAX_SCORED_VALUES. */
function strideOf(f: FittedSeries, split: EvalSplit): { stride: number; origins: number } {
  const first = firstOriginOf(f);
  const origins = ranges(f, split).reduce(
    (n, { from, to }) => n + Math.max(0, to - f.horizon + 1 - Math.max(from, first)),
    0,
  );
  return { stride: Math.max(1, Math.ceil((origins * f.horizon) / MAX_SCORED_VALUES)), origins };
}

export function spanOf(m: Member, start: number, end: number): Span {
  const dates = m.index;
  return {
    start,
    end,
    from: dates ? (dates[start] ?? null) : null,
    to: dates ? (dates[end - 1] ?? null) : null,
  };
}

/** Forecasts of every member from its origins in `split`, `stride` apart. */
function forecastSplit(f: FittedSeries, split: EvalSplit, stride = strideOf(f, split).stride) {
  return ranges(f, split).map((range, i) => {
    const m = f.panel.members[i]!;
    const origins = originsOf(f, range, stride);
    const model = forecastFrom(f.model, f.plan.spec, f.plan.scalings[i]!, m, origins, f.horizon);
    return { target: m.target, trainEnd: f.splits[i]!.val, origins, model };
  });
}

/**
 * Calibrates `level` prediction intervals on the validation forecasts (residuals in each
 * member's unit); null with the reason when they cannot be.
 */
export function calibrateOnValidation(
  f: FittedSeries,
  level: number,
): { intervals: IntervalModel | null; note?: string } {
  const residuals: Float64Array[] = [];
  forecastSplit(f, 'val').forEach((mf, i) => {
    // One buffer per member, a view per origin: a long validation split has many origins.
    const H = f.horizon;
    const all = new Float64Array(mf.origins.length * H);
    mf.origins.forEach((o, r) => {
      const row = all.subarray(r * H, (r + 1) * H);
      mf.model[r]!.forEach((v, k) => {
        row[k] = (mf.target[o + k]! - v) / f.plan.units[i]!;
      });
      residuals.push(row);
    });
  });
  try {
    return { intervals: calibrateIntervals(residuals, { level }) };
  } catch (e) {
    return { intervals: null, note: `no prediction intervals: ${(e as Error).message}` };
  }
}

/**
 * Share of the actual values inside the intervals around the forecasts (each member's bounds in
 * its unit), counted origin by origin: what `intervalCoverage` gives for every origin's
 * `applyIntervals` rows, without holding two bound rows per origin of a long split.
 */
function coverageOf(f: FittedSeries, intervals: IntervalModel, forecasts: MemberForecasts[]) {
  const H = f.horizon;
  const hits = new Array<number>(H).fill(0);
  let rows = 0;
  forecasts.forEach((mf, i) => {
    const unit = f.plan.units[i]!;
    const lower = intervals.lower.map((v) => v * unit);
    const upper = intervals.upper.map((v) => v * unit);
    mf.origins.forEach((o, r) => {
      const forecast = mf.model[r]!;
      for (let k = 0; k < H; k++) {
        const y = mf.target[o + k]!;
        if (y >= forecast[k]! + lower[k]! && y <= forecast[k]! + upper[k]!) hits[k]!++;
      }
      rows++;
    });
  });
  if (rows === 0) return null;
  const perStep = hits.map((h) => h / rows);
  return { level: intervals.level, perStep, pooled: perStep.reduce((a, b) => a + b, 0) / H };
}

/**
 * Origins a forecast chart shows at most (the last ones): a chart of every hourly origin of a
 * long series took longer to draw than the scoring, and a point per pixel is all it can show.
 */
export const CHART_ORIGINS = 2000;

/**
 * The first scored member's first steps (of its last {@link CHART_ORIGINS} origins), with naive
 * (and seasonal naive) beside the model.
 */
function chartData(f: FittedSeries, forecasts: MemberForecasts[], intervals: IntervalModel | null) {
  const i = Math.max(
    0,
    forecasts.findIndex((mf) => mf.origins.length > 0),
  );
  const all = forecasts[i]!;
  const from = Math.max(0, all.origins.length - CHART_ORIGINS);
  const mf = { ...all, origins: all.origins.slice(from), model: all.model.slice(from) };
  const m = f.panel.members[i]!;
  const y = mf.target;
  const p = f.panel.period;
  const first = (rows: Float64Array[]) => rows.map((r) => r[0]!);
  const predicted: Record<string, number[]> = {
    [f.name]: first(mf.model),
    naive: mf.origins.map((o) => y[o - 1]!),
    ...(p > 1 ? { [`seasonal naive (m=${p})`]: mf.origins.map((o) => y[o - p]!) } : {}),
  };
  const unit = f.plan.units[i]!;
  return {
    x: mf.origins.map((o) => m.index?.[o] ?? o),
    actual: mf.origins.map((o) => y[o]!),
    predicted,
    ...(intervals
      ? {
          lower: first(mf.model).map((v) => v + intervals.lower[0]! * unit),
          upper: first(mf.model).map((v) => v + intervals.upper[0]! * unit),
        }
      : {}),
  };
}

/** The model and the baselines on `split`, with interval coverage when `intervals` are given. */
export function evaluateSplit(
  f: FittedSeries,
  split: EvalSplit,
  intervals: IntervalModel | null,
): SplitReport {
  const { stride, origins } = strideOf(f, split);
  const forecasts = forecastSplit(f, split, stride);
  const scored = scoreWithBaselines(f.name, forecasts, {
    period: f.panel.period,
    horizon: f.horizon,
    transform: f.plan.spec.transform.kind,
    calendar: f.plan.spec.calendar.length > 0,
  });
  const bounds = ranges(f, split);
  const i = Math.max(
    0,
    forecasts.findIndex((mf) => mf.origins.length > 0),
  );
  return {
    split,
    horizon: f.horizon,
    origins: forecasts.reduce((n, mf) => n + mf.origins.length, 0),
    span: spanOf(f.panel.members[i]!, bounds[i]!.from, bounds[i]!.to),
    members: forecasts.map((mf, k) => ({
      name: memberName(f.panel.members[k]!, f.panel),
      origins: mf.origins.length,
    })),
    ...scored,
    notes: stride > 1 ? [...scored.notes, thinnedNote(stride, origins, f.horizon)] : scored.notes,
    coverage: intervals ? coverageOf(f, intervals, forecasts) : null,
    forecasts: chartData(f, forecasts, intervals),
  };
}

function thinnedNote(stride: number, origins: number, horizon: number): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `1 in ${n(stride)} of the split's ${n(origins)} origins is scored, so origins × ${n(horizon)} steps stay within ${n(MAX_SCORED_VALUES)} forecasts`;
}

/** The pooled scores of the model in a report. */
export function modelScores(r: SplitReport): Scores {
  return r.models[0]!.pooled;
}
