import { chooseTransform } from '../../data/auto-transform.js';
import {
  type EncodingSpec,
  firstOrigin,
  fitScaling,
  type SeriesScaling,
} from '../../data/forecast-encoding.js';
import { describeTransform, type TargetTransform, type TransformKind } from '../../data/target-transform.js';
import { ValueError } from '../../tensor/errors.js';
import { maseScale } from '../baselines/accuracy.js';
import type { OptionName } from './options.js';
import { encoderSeries, memberName, type Panel } from './series-panel.js';
import { type MemberSplit, splitPanel } from './series-split.js';

/**
 * How a forecaster reads its series: the target transform (`auto` picks it from the training
 * split, see `chooseTransform`), the encoding and each member's standardisation, fitted on its
 * training rows.
 */

export type TransformOption = 'auto' | TransformKind;
export const TRANSFORM_OPTIONS: readonly TransformOption[] = [
  'auto',
  'none',
  'difference',
  'log-difference',
  'seasonal-difference',
  'window',
];
export type Strategy = 'direct' | 'recursive';

export interface SeriesPlan {
  spec: EncodingSpec;
  /** What the transform is and why it was picked. */
  transformReason: string;
  /** Why the lookback is shorter than asked for (a default too long for a short series), or null. */
  lookbackReason: string | null;
  scalings: SeriesScaling[];
  /**
   * Each member's unit for pooled metrics and intervals: MASE's scale (the in-sample
   * seasonal-naive MAE), else the training values' sd, else 1.
   */
  units: number[];
}

export interface PlanRequest {
  transform: TransformOption;
  lookback: number;
  /** Whether `lookback` is a default that may shrink to fit a short series. */
  defaultLookback?: boolean;
  /** Forecast steps per origin. */
  horizon: number;
  strategy: Strategy;
  /** The test split's first date, when given (the split a shorter horizon would make needs it). */
  testFrom?: string | undefined;
}

function trainingTargets(p: Panel, splits: MemberSplit[]): Float64Array[] {
  return p.members.map((m, i) => m.target.subarray(0, splits[i]!.val)).filter((t) => t.length > 0);
}

/** The transform asked for (or picked by `auto`) and the sentence that says why. */
function pickTransform(p: Panel, splits: MemberSplit[], o: PlanRequest, name: OptionName) {
  const train = trainingTargets(p, splits);
  if (o.transform === 'auto') {
    const choice = chooseTransform(train.length === 1 ? train[0]! : train, { period: p.period });
    return { transform: choice.transform, reason: choice.reason };
  }
  const asked = `chosen with ${name('transform')}`;
  const positive = p.members.every((m) => m.target.every((v) => v > 0));
  let transform: TargetTransform;
  if (o.transform === 'seasonal-difference') {
    if (p.period < 2) {
      throw new ValueError(
        `${name('transform')} seasonal-difference needs a season: the data has none, pass ${name('season')}`,
      );
    }
    transform = { kind: 'seasonal-difference', period: p.period };
  } else if (o.transform === 'window') {
    transform = { kind: 'window', mode: positive ? 'ratio' : 'offset' };
  } else {
    if (o.transform === 'log-difference' && !positive) {
      throw new ValueError(
        `${name('transform')} log-difference needs positive values; ${p.target} has values ≤ 0`,
      );
    }
    transform = { kind: o.transform } as TargetTransform;
  }
  return { transform, reason: `${describeTransform(transform)}: ${asked}` };
}

function unitOf(target: Float64Array, period: number): number {
  const scale = maseScale(target, Math.min(period, Math.max(1, target.length - 1))).scale;
  if (scale !== undefined) return scale;
  let sum = 0;
  for (const v of target) sum += v;
  const mean = sum / target.length;
  const sd = Math.sqrt(target.reduce((s, v) => s + (v - mean) ** 2, 0) / target.length);
  return sd > 0 ? sd : 1;
}

/** The longest training split, in rows, of the split a forecast horizon `h` makes. */
function longestTraining(p: Panel, o: PlanRequest, h: number, name: OptionName): number {
  const testFrom = o.testFrom !== undefined ? { testFrom: o.testFrom } : {};
  return Math.max(...splitPanel(p, { horizon: h, ...testFrom }, name).members.map((s) => s.val));
}

/** The longest lookback with which `rows` training rows hold one window of `spec`'s horizon. */
function largestLookback(spec: EncodingSpec, rows: number): number {
  return rows - (firstOrigin(spec) - spec.lookback) - spec.horizon;
}

/**
 * What would fit instead: the largest lookback with this horizon, else the largest horizon
 * (with the largest lookback it leaves room for), else nothing.
 */
function whatFits(p: Panel, spec: EncodingSpec, o: PlanRequest, longest: number, name: OptionName): string {
  const context = firstOrigin(spec) - spec.lookback;
  const lookback = largestLookback(spec, longest);
  if (lookback >= 1) return `; ${name('lookback')} ${lookback} is the largest that fits`;
  for (let h = o.horizon - 1; h >= 1; h--) {
    const room = longestTraining(p, o, h, name) - context - (o.strategy === 'direct' ? h : 1);
    if (room >= 1)
      return `; ${name('horizon')} ${h} with ${name('lookback')} ${room} is the largest that fits`;
  }
  return '; no window fits: the series needs more rows';
}

/**
 * A default lookback too long for the training split becomes half the longest window that fits
 * (so the longest split still holds about as many windows as a window has rows); else it stays.
 */
function fittedLookback(splits: MemberSplit[], spec: EncodingSpec, o: PlanRequest) {
  const longest = Math.max(...splits.map((s) => s.val));
  const room = largestLookback(spec, longest);
  if (!o.defaultLookback || room >= spec.lookback || room < 2)
    return { lookback: spec.lookback, reason: null };
  const lookback = Math.floor(room / 2);
  const reason = `${lookback}: a window of ${spec.lookback} (the default) does not fit the ${longest} training rows of the longest series`;
  return { lookback, reason };
}

/** Throws unless the training split holds at least one window (the message names what would fit). */
function checkTraining(
  p: Panel,
  splits: MemberSplit[],
  spec: EncodingSpec,
  o: PlanRequest,
  name: OptionName,
): void {
  const need = firstOrigin(spec) + spec.horizon;
  if (splits.some((s) => s.val >= need)) return;
  const what = `${name('lookback')} ${o.lookback} with ${name('horizon')} ${o.horizon}`;
  const longest = Math.max(...splits.map((s) => s.val));
  const member = p.members[splits.findIndex((s) => s.val === longest)]!;
  const where =
    p.members.length === 1
      ? `the series has ${member.target.length} rows and its training split ${longest}`
      : `the longest training split (${memberName(member, p)}) has ${longest}`;
  const context = need - o.lookback - spec.horizon;
  const after = context > 0 ? ` (${context} more for the ${describeTransform(spec.transform)})` : '';
  const fits = whatFits(p, spec, o, longest, name);
  throw new ValueError(`${what} needs ${need} training rows${after}, but ${where}${fits}`);
}

/** The transform, encoding and standardisation for a split panel; throws when it cannot train. */
export function planSeries(p: Panel, splits: MemberSplit[], o: PlanRequest, name: OptionName): SeriesPlan {
  const { transform, reason } = pickTransform(p, splits, o, name);
  const spec: EncodingSpec = {
    lookback: o.lookback,
    horizon: o.strategy === 'direct' ? o.horizon : 1,
    transform,
    covariates: p.covariates.length,
    calendar: p.calendar,
  };
  const fitted = fittedLookback(splits, spec, o);
  spec.lookback = fitted.lookback;
  checkTraining(p, splits, spec, o, name);
  const first = firstOrigin(spec);
  const scalings = p.members.map((m, i) => {
    // A member too short to train on is scaled on all its rows before the test split.
    const end = splits[i]!.val > first ? splits[i]!.val : Math.max(first + 1, splits[i]!.test);
    return fitScaling(spec, encoderSeries(m), Math.min(end, m.target.length));
  });
  const units = p.members.map((m, i) => unitOf(m.target.subarray(0, Math.max(2, splits[i]!.val)), p.period));
  return { spec, transformReason: reason, lookbackReason: fitted.reason, scalings, units };
}
