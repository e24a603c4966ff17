import { ValueError } from '../tensor/errors.js';
import { DataError } from './errors.js';
import { describe } from './numeric.js';

/**
 * Dates of a series index. A date is kept as its wall-clock time in milliseconds (the
 * written fields read as UTC): calendar features then describe the clock and calendar the
 * data were recorded in, and a UTC offset, when written, is accepted and ignored.
 *
 * Accepted forms (anything else is rejected with its row, so a typo never becomes a date):
 *   2015-03-01, 2015/03/01                  a day
 *   2015-03-01T14:30, 2015-03-01 14:30:05.5 a time (seconds and fraction optional; Z or ±hh:mm ignored)
 *   2015-03                                 a month (its first day)
 *   2015-Q2, 2015Q2                         a quarter (its first day)
 *   2015                                    a year (1 January)
 *   Mar 1 2015, March 1, 2015, 1 Mar 2015   English month names, as vega-datasets writes them
 * Day-first or month-first numeric dates (01/03/2015) are ambiguous and rejected.
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_MS = 86_400_000;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in month 1–12 of `year` (proleptic Gregorian), by arithmetic (every date of a request passes here). */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

const ISO_DAY_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];

/** Whether `s` is YYYY-MM-DD, the commonest form, told without a regular expression. */
function isIsoDay(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  for (const i of ISO_DAY_DIGITS) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The number written by the digits of `s` from `from` to `to`. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil), as Date counts them, without a call into the Date machinery. Unlike
 * Date.UTC, it reads years 0–99 as themselves, not as 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** A valid day in ms (each date of a forecast request passes here twice). */
function buildDay(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day) * DAY_MS;
}

/** The first millisecond of a UTC year (years 0–99 included). */
export function yearStart(year: number): number {
  return daysFromCivil(year, 1, 1) * DAY_MS;
}

function build(year: number, month: number, day: number, h = 0, min = 0, sec = 0): number | undefined {
  const ok =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    h >= 0 &&
    h <= 23 &&
    min >= 0 &&
    min <= 59 &&
    sec >= 0 &&
    sec < 60;
  if (!ok) return undefined;
  return daysFromCivil(year, month, day) * DAY_MS + (h * 60 + min) * 60_000 + Math.round(sec * 1000);
}

/** 1–12 for an English month name or its three-letter abbreviation, 0 otherwise. */
function monthIndex(name: string): number {
  const lower = name.toLowerCase();
  return MONTHS.findIndex((full) => lower === full || lower === full.slice(0, 3)) + 1;
}

const ISO =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses one date in the forms above; undefined when it is not one. */
export function parseDate(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const s = text.trim();
  if (isIsoDay(s)) return buildDay(digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10));
  let m = ISO.exec(s);
  if (m) return build(+m[1]!, +m[3]!, +m[4]!, +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? 0));
  if ((m = /^(\d{4})-(\d{1,2})$/.exec(s))) return build(+m[1]!, +m[2]!, 1);
  if ((m = /^(\d{4})-?Q([1-4])$/i.exec(s))) return build(+m[1]!, 3 * +m[2]! - 2, 1);
  if ((m = /^(\d{4})$/.exec(s))) return build(+m[1]!, 1, 1);
  if ((m = /^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$/.exec(s)))
    return build(+m[3]!, monthIndex(m[1]!), +m[2]!);
  if ((m = /^(\d{1,2}) ([A-Za-z]{3,9})\.?,? (\d{4})$/.exec(s)))
    return build(+m[3]!, monthIndex(m[2]!), +m[1]!);
  return undefined;
}

/** The message for a value that is not a date in one of the accepted forms. */
export function unparseableDate(text: string): string {
  return `unparseable date ${describe(text)}; expected ISO 8601 (2015-03-01, 2015-03-01T14:00, 2015-03), a quarter (2015-Q1), a year, or "Mar 1 2015"`;
}

/**
 * Parses a date column. An unparseable value throws a DataError naming its row: the source
 * line when `lines` is given (as a TimeSeries carries), else the 1-based row number.
 */
export function parseDates(
  index: readonly string[],
  options: { lines?: ArrayLike<number>; file?: string; column?: string } = {},
): Float64Array {
  if (!Array.isArray(index))
    throw new ValueError(`parseDates: index must be an array of strings, got ${describe(index)}`);
  const out = new Float64Array(index.length);
  index.forEach((text, r) => {
    const t = parseDate(text);
    if (t === undefined) {
      const line = options.lines?.[r];
      throw new DataError(`${line === undefined ? `row ${r + 1}: ` : ''}${unparseableDate(text)}`, {
        file: options.file,
        line,
        column: options.column ?? 'date',
      });
    }
    out[r] = t;
  });
  return out;
}

export type Frequency =
  | 'sub-daily'
  | 'hourly'
  | 'daily'
  | 'business-daily'
  | 'weekly'
  | 'monthly'
  | 'quarterly'
  | 'yearly'
  | 'irregular';

export interface FrequencyInfo {
  frequency: Frequency;
  /** Season length m: hourly 24, daily 7, business-daily 5, weekly 52, monthly 12, quarterly 4, otherwise 1. */
  period: number;
  /** The median spacing in milliseconds. */
  step: number;
  reason: string;
}

const STEP_NAMES: [Frequency, number, number, number][] = [
  // name, min and max median gap in days, period
  ['hourly', 1 / 24, 1 / 24, 24],
  ['daily', 1, 1, 7],
  ['weekly', 7, 7, 52],
  ['monthly', 28, 31, 12],
  ['quarterly', 89, 92, 4],
  ['yearly', 365, 366, 1],
];

/**
 * The frequency of strictly increasing times from their median spacing: 1 hour, 1 day
 * (business days when no date falls on a weekend), 7 days, 28–31 days, 89–92 days or
 * 365–366 days; a whole number of minutes that divides a day (15 minutes) is sub-daily with a
 * season of one day. Anything else is irregular, without a season.
 */
export function inferFrequency(times: ArrayLike<number>): FrequencyInfo {
  if (times?.length === undefined || times.length < 2) {
    throw new ValueError(
      `inferFrequency: times needs at least 2 dates, got ${times?.length ?? describe(times)}`,
    );
  }
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (!(gap > 0)) {
      throw new ValueError(`inferFrequency: dates must increase, but row ${i + 1} is not after row ${i}`);
    }
    gaps.push(gap);
  }
  const step = gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
  const days = step / DAY_MS;
  const count = (n: number, unit: string) =>
    `${Number(n.toFixed(2))} ${unit}${Number(n.toFixed(2)) === 1 ? '' : 's'}`;
  const spacing = days >= 1 ? count(days, 'day') : count(days * 1440, 'minute');
  for (const [frequency, lo, hi, period] of STEP_NAMES) {
    if (days >= lo - 1e-9 && days <= hi + 1e-9) {
      if (frequency === 'daily' && noWeekends(times)) {
        return {
          frequency: 'business-daily',
          period: 5,
          step,
          reason: `business days (no date on a weekend)`,
        };
      }
      return {
        frequency,
        period,
        step,
        reason: `${frequency} (median spacing ${spacing}${gapNote(gaps, hi)})`,
      };
    }
  }
  const perDay = DAY_MS / step;
  if (days < 1 && step % 60_000 === 0 && Number.isInteger(perDay)) {
    return {
      frequency: 'sub-daily',
      period: perDay,
      step,
      reason: `sub-daily, ${perDay} per day (median spacing ${spacing}${gapNote(gaps, days)})`,
    };
  }
  return { frequency: 'irregular', period: 1, step, reason: `irregular (median spacing ${spacing})` };
}

/**
 * Says how many spacings (sorted `gaps`, in ms) exceed 1.5 steps of at most `days`: missing dates
 * that a window still reads as consecutive steps. Empty when there are none.
 */
function gapNote(gaps: readonly number[], days: number): string {
  const first = gaps.findIndex((g) => g > 1.5 * days * DAY_MS);
  if (first < 0) return '';
  const longer = gaps.length - first;
  return `; ${longer} of ${gaps.length} spacings are gaps longer than one step, read as one step`;
}

function noWeekends(times: ArrayLike<number>): boolean {
  if (times.length < 10) return false;
  for (let i = 0; i < times.length; i++) {
    const day = new Date(times[i]!).getUTCDay();
    if (day === 0 || day === 6) return false;
  }
  return true;
}

/** Adds months to a time, keeping month-end dates at month ends and clamping other days. */
function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  const monthEnd = day === daysInMonth(y, m + 1);
  const total = y * 12 + m + months;
  const [ty, tm] = [Math.floor(total / 12), total - Math.floor(total / 12) * 12 + 1];
  const last = daysInMonth(ty, tm);
  const timeOfDay = t - Math.floor(t / DAY_MS) * DAY_MS;
  return daysFromCivil(ty, tm, monthEnd ? last : Math.min(day, last)) * DAY_MS + timeOfDay;
}

/** The `count` times after the last one, one step of the frequency apart. */
export function futureTimes(times: ArrayLike<number>, info: FrequencyInfo, count: number): Float64Array {
  if (!Number.isInteger(count) || count < 0)
    throw new ValueError(`futureTimes: count must be an integer ≥ 0, got ${count}`);
  if (!(times?.length > 0)) throw new ValueError('futureTimes: times needs at least one date');
  const out = new Float64Array(count);
  let t = times[times.length - 1]!;
  for (let k = 0; k < count; k++) {
    const months = { monthly: 1, quarterly: 3, yearly: 12 }[info.frequency as string];
    if (months !== undefined) t = addMonths(t, months);
    else if (info.frequency === 'business-daily') {
      do t += DAY_MS;
      while ([0, 6].includes(new Date(t).getUTCDay()));
    } else t += info.step;
    out[k] = t;
  }
  return out;
}

/**
 * ISO 8601 text of a wall-clock time: the date, with the time when `time` is set (by
 * default when the time is not midnight; set it for sub-daily series).
 */
export function formatDate(t: number, options: { time?: boolean } = {}): string {
  const iso = new Date(t).toISOString();
  return (options.time ?? t % DAY_MS !== 0) ? iso.replace(/(:00)?\.000Z$/, '') : iso.slice(0, 10);
}
