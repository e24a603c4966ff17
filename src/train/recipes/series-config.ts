import { CALENDAR_FEATURES, type CalendarFeature } from '../../data/calendar.js';
import type { FrequencyInfo } from '../../data/dates.js';
import type { EncodingSpec, SeriesScaling } from '../../data/forecast-encoding.js';
import type { MissingPolicy } from '../../data/missing.js';
import { parseTargetTransform, type TargetTransform, transformContext } from '../../data/target-transform.js';
import { ValueError } from '../../tensor/errors.js';
import type { IntervalModel } from '../baselines/intervals.js';
import { inputColumns, type Panel } from './series-panel.js';
import type { SeriesPlan, Strategy } from './series-plan.js';
import type { PanelSplit, SplitPoint } from './series-split.js';

/**
 * The `series` part of a forecaster's config.json: everything, besides the weights, that turns
 * raw values into forecasts exactly as in training: the columns, the target transform, each
 * series' standardisation, the calendar features, the split, the calibrated intervals, and the
 * last rows of each series (a forecast with no data continues them). Plain JSON, so other
 * tools (the exported model.py) apply the same formulas.
 */

export interface MemberConfig {
  /** The series id (null for a single series). */
  id: string | null;
  scaling: SeriesScaling;
  /** Unit of pooled metrics and intervals (MASE's scale on the training rows). */
  unit: number;
  /** The last lookback + context rows: dates (or null), target, covariates (row-major). */
  tail: { index: string[] | null; target: number[]; covariates: number[] };
}

export interface SeriesConfig {
  source: string;
  target: string;
  covariates: string[];
  calendar: CalendarFeature[];
  /** The network's input columns: target, covariates, calendar sin/cos. */
  columns: string[];
  targetIndex: 0;
  lookback: number;
  /** The network's outputs per window (1 for a recursive model). */
  horizon: number;
  /** Forecast steps per origin the model was trained and scored for. */
  steps: number;
  strategy: Strategy;
  season: number;
  frequency: FrequencyInfo | null;
  dateColumn: string | null;
  seriesColumn: string | null;
  transform: TargetTransform;
  transformReason: string;
  split: { valFrom: SplitPoint; testFrom: SplitPoint };
  missing?: MissingPolicy;
  intervals: IntervalModel | null;
  members: MemberConfig[];
}

export interface ConfigRequest {
  source: string;
  dateColumn: string | undefined;
  steps: number;
  strategy: Strategy;
  missing: MissingPolicy;
}

/** The series config of a trained forecaster. */
export function seriesConfig(
  r: ConfigRequest,
  p: Panel,
  split: PanelSplit,
  plan: SeriesPlan,
  intervals: IntervalModel | null,
): SeriesConfig {
  const { spec } = plan;
  const keep = spec.lookback + transformContext(spec.transform);
  const C = p.covariates.length;
  return {
    source: r.source,
    target: p.target,
    covariates: p.covariates,
    calendar: [...p.calendar],
    columns: inputColumns(p),
    targetIndex: 0,
    lookback: spec.lookback,
    horizon: spec.horizon,
    steps: r.steps,
    strategy: r.strategy,
    season: p.period,
    frequency: p.frequency,
    dateColumn: p.members[0]!.index ? (r.dateColumn ?? null) : null,
    seriesColumn: p.seriesColumn,
    transform: spec.transform,
    transformReason: plan.transformReason,
    split: { valFrom: split.valFrom, testFrom: split.testFrom },
    ...(r.missing !== 'error' ? { missing: r.missing } : {}),
    intervals,
    members: p.members.map((m, i) => {
      const from = Math.max(0, m.target.length - keep);
      return {
        id: m.id,
        scaling: plan.scalings[i]!,
        unit: plan.units[i]!,
        tail: {
          index: m.index ? m.index.slice(from) : null,
          target: Array.from(m.target.subarray(from)),
          covariates: Array.from(m.covariates.subarray(from * C)),
        },
      };
    }),
  };
}

/** The encoding a saved config describes. */
export function specOf(c: SeriesConfig): EncodingSpec {
  return {
    lookback: c.lookback,
    horizon: c.horizon,
    transform: c.transform,
    covariates: c.covariates.length,
    calendar: c.calendar,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function checkMember(
  m: unknown,
  i: number,
  c: Record<string, unknown>,
  fail: (m: string) => ValueError,
): void {
  const at = `series.members[${i}]`;
  if (!isObject(m) || !isObject(m.scaling) || !isObject(m.tail))
    throw fail(`${at} must hold scaling and tail`);
  const s = m.scaling as Record<string, unknown>;
  const target = s.target as Record<string, unknown> | undefined;
  if (
    !isObject(target) ||
    typeof target.mean !== 'number' ||
    !(typeof target.std === 'number' && target.std > 0)
  ) {
    throw fail(`${at}.scaling.target must be {mean, std > 0}`);
  }
  const covariates = (c.covariates as string[]).length;
  if (!Array.isArray(s.covariates) || s.covariates.length !== covariates) {
    throw fail(`${at}.scaling.covariates must hold ${covariates} entries`);
  }
  const t = m.tail as Record<string, unknown>;
  if (
    !isNumbers(t.target) ||
    !isNumbers(t.covariates) ||
    t.covariates.length !== t.target.length * covariates
  ) {
    throw fail(`${at}.tail must hold target values and ${covariates} covariate(s) per row`);
  }
  if (!(typeof m.unit === 'number' && m.unit > 0)) throw fail(`${at}.unit must be a positive number`);
}

/**
 * The series config of a saved forecaster, checked; `where` names the model in messages. A
 * forecaster saved by an earlier kioku (no target transform) is refused with advice.
 */
export function readSeriesConfig(config: Record<string, unknown>, where: string): SeriesConfig {
  const fail = (m: string) => new ValueError(`"${where}": config.json field ${m}`);
  const c = config.series;
  if (!isObject(c)) throw fail('"series" is missing: this is not a forecaster');
  if (c.transform === undefined || c.members === undefined) {
    throw new ValueError(
      `"${where}" was saved by an earlier kioku forecaster (no target transform or per-series scaling in config.json); retrain it with kioku train series`,
    );
  }
  const transform = parseTargetTransform(c.transform, `"${where}": config.json field series.transform`);
  if (
    !isStrings(c.covariates) ||
    !isStrings(c.calendar) ||
    !c.calendar.every((f) => CALENDAR_FEATURES.includes(f as CalendarFeature))
  ) {
    throw fail('series.covariates and series.calendar must be lists of names');
  }
  for (const key of ['lookback', 'horizon', 'steps', 'season'] as const) {
    if (!(Number.isSafeInteger(c[key]) && (c[key] as number) >= 1))
      throw fail(`series.${key} must be a positive integer`);
  }
  if (!Array.isArray(c.members) || c.members.length === 0) throw fail('series.members must list the series');
  c.members.forEach((m, i) => {
    checkMember(m, i, c, fail);
  });
  return { ...(c as unknown as SeriesConfig), transform };
}
