import { type CalendarFeature, defaultCalendarFeatures } from '../../data/calendar.js';
import { type FrequencyInfo, inferFrequency, parseDates } from '../../data/dates.js';
import { calendarRows, type EncoderSeries } from '../../data/forecast-encoding.js';
import { isPanel, type SeriesPanel } from '../../data/panel.js';
import { columnIndices, type TimeSeries } from '../../data/series.js';
import { seasonalityTest } from '../../data/stationarity.js';
import { ValueError } from '../../tensor/errors.js';
import type { OptionName } from './options.js';

/**
 * A forecaster's data as its recipes read it: one or more series (a panel's members), each
 * with its target and covariates as float64, its dates, and the calendar features of each row.
 * The frequency of the dates gives the season m and the default calendar features.
 */

export interface Member {
  /** The series id in a panel; null for a single series. */
  id: string | null;
  /** Raw target values (N). */
  target: Float64Array;
  /** Raw covariates (N × C, row-major). */
  covariates: Float64Array;
  /** Calendar features of each row (N × 2·features). */
  calendar: Float32Array<ArrayBufferLike>;
  /** Dates as wall-clock milliseconds, or null without a date column. */
  times: Float64Array | null;
  index: readonly string[] | null;
}

export interface Panel {
  members: Member[];
  /** The id column of a panel; null for a single series. */
  seriesColumn: string | null;
  target: string;
  covariates: string[];
  /** From the dates; null without dates. */
  frequency: FrequencyInfo | null;
  /** Season length m (`season`, else from the frequency, else 1). */
  period: number;
  calendar: CalendarFeature[];
}

export interface PanelRequest {
  series: TimeSeries | SeriesPanel;
  target: string;
  /** Input columns besides the target; default: every other column. */
  features?: readonly string[];
  season?: number;
  /** Calendar features read from the dates (see `chooseCalendar` and `withCalendar`). Default none. */
  calendar?: readonly CalendarFeature[];
  /** The frequency to assume (a saved model's), instead of inferring it from the dates. */
  frequency?: FrequencyInfo | null;
  /** The date column's name, for messages. */
  dateColumn?: string;
}

/** Throws unless `series` is a TimeSeries; `name` names it in the message. */
function checkSeries(series: unknown, name: string): void {
  const s = series as { values?: unknown; columns?: unknown } | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !(s.values instanceof Float32Array) ||
    !Array.isArray(s.columns)
  ) {
    throw new ValueError(`${name} must be a TimeSeries (columns, values, length), got ${String(series)}`);
  }
}

/** The encoder's view of a member. */
export function encoderSeries(m: Member): EncoderSeries {
  return { target: m.target, covariates: m.covariates, calendar: m.calendar };
}

function columnOf(s: TimeSeries, index: number): Float64Array {
  const F = s.columns.length;
  return Float64Array.from({ length: s.length }, (_, r) => s.values[r * F + index]!);
}

function rowsOf(s: TimeSeries, indices: number[]): Float64Array {
  const F = s.columns.length;
  const C = indices.length;
  const out = new Float64Array(s.length * C);
  for (let r = 0; r < s.length; r++)
    for (let c = 0; c < C; c++) out[r * C + c] = s.values[r * F + indices[c]!]!;
  return out;
}

function datesOf(s: TimeSeries, dateColumn: string | undefined): Float64Array | null {
  if (!s.index) return null;
  return parseDates(s.index, {
    ...(s.lines ? { lines: s.lines } : {}),
    ...(s.source !== undefined ? { file: s.source } : {}),
    column: dateColumn ?? 'date',
  });
}

/** The frequency of the dates of the longest member (a panel's members share it). */
function frequencyOf(times: (Float64Array | null)[]): FrequencyInfo | null {
  const longest = times.reduce<Float64Array | null>(
    (a, t) => (t && (!a || t.length > a.length) ? t : a),
    null,
  );
  return longest && longest.length >= 2 ? inferFrequency(longest) : null;
}

/** Reads the series (or a panel's members) into a Panel; `name` names options in messages. */
export function readPanel(r: PanelRequest, name: OptionName): Panel {
  const panel = isPanel(r.series) ? r.series : null;
  const list = panel ? panel.members : [r.series as TimeSeries];
  list.forEach((s, i) => {
    checkSeries(s, panel ? `${name('series')}.members[${i}]` : name('series'));
  });
  const first = list[0]!;
  const [targetIndex] = columnIndices(first, [r.target], name('target'));
  const covariates = (r.features ?? first.columns).filter((c) => c !== r.target);
  const covIndex = covariates.length ? columnIndices(first, covariates, name('features')) : [];
  const times = list.map((s) => datesOf(s, r.dateColumn));
  const frequency = r.frequency !== undefined ? r.frequency : frequencyOf(times);
  const period = r.season ?? frequency?.period ?? 1;
  const members = list.map((s, i) => ({
    id: panel ? panel.ids[i]! : null,
    target: columnOf(s, targetIndex!),
    covariates: rowsOf(s, covIndex),
    calendar: new Float32Array(0),
    times: times[i]!,
    index: s.index ?? null,
  }));
  const p: Panel = {
    members,
    seriesColumn: panel ? panel.column : null,
    target: r.target,
    covariates,
    frequency,
    period,
    calendar: [],
  };
  return withCalendar(p, r.calendar ?? []);
}

/** The panel with calendar features computed from each member's dates. */
export function withCalendar(p: Panel, features: readonly CalendarFeature[]): Panel {
  if (features.length > 0 && p.members.some((m) => m.times === null)) {
    throw new ValueError(
      `the model reads calendar features (${features.join(', ')}) from the dates, but the data has no date column`,
    );
  }
  p.calendar = [...features];
  for (const m of p.members) m.calendar = calendarRows(features, m.times, m.target.length);
  return p;
}

/**
 * The calendar features the dates' frequency suggests (day of week and of year for daily
 * data, month for monthly…), except those the training rows show no rhythm of: weather has no
 * weekly rhythm and prices no monthly one, and an input without information only adds noise.
 * The feature that varies within the season (day of week for daily data, month for monthly,
 * hour of day for hourly) counts when the first differences pass the M4 seasonality test at
 * lag m (see showsSeason); the day of week of sub-daily data when daily means pass it at lag 7
 * (see showsWeek: a week of hours is a multiple of the daily cycle, which would pass for it).
 * A panel counts a rhythm shown by most members. Returns the features and a sentence for reports.
 */
export function chooseCalendar(
  p: Panel,
  trainEnds: readonly number[],
): { features: CalendarFeature[]; reason: string } {
  if (!p.frequency) return { features: [], reason: 'no dates' };
  const all = defaultCalendarFeatures(p.frequency.frequency);
  if (all.length === 0) return { features: [], reason: `none for ${p.frequency.frequency} dates` };
  const shown = (test: (y: Float64Array) => boolean) =>
    p.members.filter((m, i) => test(m.target.subarray(0, trainEnds[i]))).length * 2 > p.members.length;
  const perDay = rowsPerDay(p.frequency);
  const left: string[] = [];
  const features = all.filter((feature, j) => {
    if (j === 0 && !shown((y) => showsSeason(y, p.period))) {
      left.push(`${feature} left out: the training rows show no season of ${p.period}`);
      return false;
    }
    if (j > 0 && feature === 'day-of-week' && perDay > 1 && !shown((y) => showsWeek(y, perDay))) {
      left.push(`${feature} left out: the training rows' daily means show no weekly season`);
      return false;
    }
    return true;
  });
  const why = left.length ? ` (${left.join('; ')})` : '';
  return { features, reason: features.length ? `${features.join(', ')}${why}` : `none${why}` };
}

/** Rows per day of sub-daily dates whose spacing divides a day, else 1. */
function rowsPerDay(f: FrequencyInfo): number {
  const n = 86_400_000 / f.step;
  return Number.isInteger(n) && n > 1 ? n : 1;
}

/** Variance ratio past which the day-of-week means of showsWeek count (about F(6, 21)'s 1% point). */
const WEEKLY_F = 4;

/**
 * Whether the means of whole days of `y` (rowsPerDay values each) show a weekly rhythm: after a
 * centred 7-day moving average is taken out, the means of each weekday must differ by more than
 * chance (one-way analysis of variance, F > 4, at least 4 weeks). The M4 test on differences
 * does not do here: daily means are smooth, and the differences of any smooth curve correlate
 * at lag 7 as at every short lag.
 */
export function showsWeek(y: Float64Array, rowsPerDay: number): boolean {
  if (Math.floor(y.length / rowsPerDay) < 34) return false;
  const means = binMeans(y, rowsPerDay);
  const days = means.length;
  const rest = new Float64Array(days - 6);
  for (let t = 3; t < days - 3; t++) {
    let sum = 0;
    for (let k = -3; k <= 3; k++) sum += means[t + k]!;
    rest[t - 3] = means[t]! - sum / 7;
  }
  return weekdayF(rest) > WEEKLY_F;
}

/** The one-way ANOVA F statistic of values grouped by index modulo 7. */
function weekdayF(v: Float64Array): number {
  const sum = new Float64Array(7);
  const count = new Float64Array(7);
  let total = 0;
  v.forEach((x, t) => {
    sum[t % 7]! += x;
    count[t % 7]! += 1;
    total += x;
  });
  const mean = total / v.length;
  let between = 0;
  for (let g = 0; g < 7; g++) between += count[g]! * (sum[g]! / count[g]! - mean) ** 2;
  let within = 0;
  v.forEach((x, t) => {
    within += (x - sum[t % 7]! / count[t % 7]!) ** 2;
  });
  return within > 0 ? between / 6 / (within / (v.length - 7)) : between > 0 ? Number.POSITIVE_INFINITY : 0;
}

/** The most points per season the calendar's test reads: a longer season is read as averages. */
const MAX_TESTED_SEASON = 48;

/**
 * Whether the first differences of `y` pass the M4 seasonality test at lag `period`. A long
 * season (1440 minutes a day) is tested on averages of consecutive values, at most
 * MAX_TESTED_SEASON per season: minute-to-minute differences of a smooth daily cycle are far
 * smaller than the noise, where differences of half-hourly averages show it.
 */
export function showsSeason(y: Float64Array, period: number): boolean {
  let bin = 1;
  while (period / bin > MAX_TESTED_SEASON || period % bin !== 0) bin++;
  const means = binMeans(y, bin);
  if (means.length < 2) return false;
  return seasonalityTest(
    means.subarray(1).map((v, t) => v - means[t]!),
    period / bin,
  ).seasonal;
}

/** Means of consecutive whole bins of `bin` values (a partial last bin left out). */
function binMeans(y: Float64Array, bin: number): Float64Array {
  const means = new Float64Array(Math.floor(y.length / bin));
  for (let t = 0; t < means.length * bin; t++) means[Math.floor(t / bin)]! += y[t]! / bin;
  return means;
}

/** Names of the network's input columns: the target, the covariates, each calendar sin/cos. */
export function inputColumns(p: Panel): string[] {
  return [p.target, ...p.covariates, ...p.calendar.flatMap((f) => [`${f}_sin`, `${f}_cos`])];
}

/** A member's label in messages and reports. */
export function memberName(m: Member, p: Panel): string {
  return m.id === null ? p.target : `${p.seriesColumn} ${m.id}`;
}

/** Throws unless every value is finite (a missing-value policy has run). */
export function checkFinite(p: Panel): void {
  for (const m of p.members) {
    for (const [what, values, width] of [
      ['the target', m.target, 1],
      ['a covariate', m.covariates, p.covariates.length],
    ] as const) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new ValueError(
          `${memberName(m, p)}: row ${Math.floor(bad / width)} of ${what} is ${values[bad]}; apply a missing-value policy first`,
        );
      }
    }
  }
}
