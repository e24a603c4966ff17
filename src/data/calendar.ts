import { ValueError } from '../tensor/errors.js';
import type { Frequency } from './dates.js';

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
      this.start = Date.UTC(y, 0, 1);
      this.end = Date.UTC(y + 1, 0, 1);
      this.days = (this.end - this.start) / DAY_MS;
    }
    return this.start;
  }
}

/** Where time `t` lies in the feature's cycle, in [0, 1): the hour and weekday by arithmetic. */
function phase(feature: CalendarFeature, t: number, year: YearOf): number {
  const day = Math.floor(t / DAY_MS);
  switch (feature) {
    case 'hour-of-day': {
      const ms = t - day * DAY_MS;
      return (Math.floor(ms / HOUR_MS) + Math.floor((ms % HOUR_MS) / 60_000) / 60) / 24;
    }
    case 'day-of-week':
      // 1 January 1970 was a Thursday (3 counting from Monday).
      return ((((day + 3) % 7) + 7) % 7) / 7;
    case 'month':
      return new Date(t).getUTCMonth() / 12;
    case 'day-of-year': {
      const start = year.startOf(t);
      return Math.floor((t - start) / DAY_MS) / year.days;
    }
  }
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
  // A served forecast encodes its rows per request: no Date per row but for months.
  const year = new YearOf();
  for (let r = 0; r < times.length; r++) {
    const t = times[r]!;
    if (!Number.isFinite(t))
      throw new ValueError(`calendarFeatures: times[${r}] must be a finite time, got ${t}`);
    for (let j = 0; j < features.length; j++) {
      const angle = 2 * Math.PI * phase(features[j]!, t, year);
      values[r * F + 2 * j] = Math.sin(angle);
      values[r * F + 2 * j + 1] = Math.cos(angle);
    }
  }
  return { columns: features.flatMap((f) => [`${f}_sin`, `${f}_cos`]), values };
}
