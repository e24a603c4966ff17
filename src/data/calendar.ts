import { ValueError } from '../tensor/errors.js';
import { type Frequency, yearStart } from './dates.js';

/**
 * Calendar features for a forecaster's inputs, from wall-clock times (see dates.ts). Each
 * cyclic quantity k of cycle length K becomes two columns, sin(2πk/K) and cos(2πk/K): the
 * pair is continuous across the cycle's end (Sunday sits next to Monday, December next to
 * January), lies in [−1, 1] so it needs no scaling, and is defined for any future date.
 *
 *   hour-of-day   k = hour + minute/60, K = 24
 *   day-of-week   k = 0 (Monday) … 6 (Sunday), K = 7
 *   month         k = 0 (January) … 11, K = 12
 *   day-of-year   k = 0 (1 January) … days − 1, K = 365 or 366
 */
export type CalendarFeature = 'hour-of-day' | 'day-of-week' | 'month' | 'day-of-year';
export const CALENDAR_FEATURES: readonly CalendarFeature[] = [
  'hour-of-day',
  'day-of-week',
  'month',
  'day-of-year',
];

/** What varies within the data's season: hours and weekdays for hourly data, weekdays and the year for daily, … */
export function defaultCalendarFeatures(frequency: Frequency): CalendarFeature[] {
  switch (frequency) {
    case 'sub-daily':
    case 'hourly':
      return ['hour-of-day', 'day-of-week'];
    case 'daily':
    case 'business-daily':
      return ['day-of-week', 'day-of-year'];
    case 'weekly':
      return ['day-of-year'];
    case 'monthly':
    case 'quarterly':
      return ['month'];
    default:
      return [];
  }
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A UTC year's first millisecond and its days, kept from row to row (most rows share a year). */
class YearOf {
  private start = Number.NaN;
  private end = Number.NaN;
  days = 0;

  /** The first millisecond of t's year (its days in `days`). */
  startOf(t: number): number {
    if (!(t >= this.start && t < this.end)) {
      const y = new Date(t).getUTCFullYear();
      this.start = yearStart(y);
      this.end = yearStart(y + 1);
      this.days = (this.end - this.start) / DAY_MS;
    }
    return this.start;
  }
}

/** The hour's phase in [0, 1): hours and minutes of the day, by arithmetic. */
function hourPhase(t: number): number {
  const ms = t - Math.floor(t / DAY_MS) * DAY_MS;
  return (Math.floor(ms / HOUR_MS) + Math.floor((ms % HOUR_MS) / 60_000) / 60) / 24;
}

/** Which whole step k of its cycle time `t` is in (the cycle's length K in `year.days` for day-of-year). */
function stepOf(feature: Exclude<CalendarFeature, 'hour-of-day'>, t: number, year: YearOf): number {
  const day = Math.floor(t / DAY_MS);
  switch (feature) {
    case 'day-of-week':
      // 1 January 1970 was a Thursday (3 counting from Monday).
      return (((day + 3) % 7) + 7) % 7;
    case 'month':
      return new Date(t).getUTCMonth();
    case 'day-of-year':
      return Math.floor((t - year.startOf(t)) / DAY_MS);
  }
}

/**
 * sin and cos of 2π·k/K for every step k of a cycle of K steps (7, 12, 365, 366), computed once
 * by the same expression a row would use: a served forecast encodes its rows per request.
 */
const TURNS = new Map<number, Float64Array>();
function turnsOf(K: number): Float64Array {
  let table = TURNS.get(K);
  if (!table) {
    table = new Float64Array(2 * K);
    for (let k = 0; k < K; k++) {
      const angle = 2 * Math.PI * (k / K);
      table[2 * k] = Math.sin(angle);
      table[2 * k + 1] = Math.cos(angle);
    }
    TURNS.set(K, table);
  }
  return table;
}

/** The cycle length K of a stepped feature at time `t`. */
function cycleOf(feature: Exclude<CalendarFeature, 'hour-of-day'>, t: number, year: YearOf): number {
  if (feature === 'day-of-week') return 7;
  if (feature === 'month') return 12;
  year.startOf(t);
  return year.days;
}

/** (N, 2F) row-major sin/cos columns named `<feature>_sin`, `<feature>_cos`. */
export function calendarFeatures(
  times: ArrayLike<number>,
  features: readonly CalendarFeature[],
): { columns: string[]; values: Float32Array } {
  if (!Array.isArray(features) || features.some((f) => !CALENDAR_FEATURES.includes(f))) {
    throw new ValueError(
      `calendarFeatures: features must be a list of ${CALENDAR_FEATURES.join(', ')}, got ${JSON.stringify(features)}`,
    );
  }
  const F = features.length * 2;
  const values = new Float32Array(times.length * F);
  // A served forecast encodes its rows per request: no Date per row but for months, no sin or cos but for hours.
  const year = new YearOf();
  for (let r = 0; r < times.length; r++) {
    const t = times[r]!;
    if (!Number.isFinite(t))
      throw new ValueError(`calendarFeatures: times[${r}] must be a finite time, got ${t}`);
    for (let j = 0; j < features.length; j++) {
      const feature = features[j]!;
      const at = r * F + 2 * j;
      if (feature === 'hour-of-day') {
        const angle = 2 * Math.PI * hourPhase(t);
        values[at] = Math.sin(angle);
        values[at + 1] = Math.cos(angle);
      } else {
        const turns = turnsOf(cycleOf(feature, t, year));
        const k = stepOf(feature, t, year);
        values[at] = turns[2 * k]!;
        values[at + 1] = turns[2 * k + 1]!;
      }
    }
  }
  return { columns: features.flatMap((f) => [`${f}_sin`, `${f}_cos`]), values };
}
