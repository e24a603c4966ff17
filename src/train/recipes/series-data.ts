import { DataLoader } from '../../data/dataloader.js';
import { columnIndices, makeSeries, type TimeSeries } from '../../data/series.js';
import { WindowDataset, type WindowSample } from '../../data/windows.js';
import { ValueError } from '../../tensor/errors.js';
import type { WindowBatch } from '../tasks.js';
import type { Span } from './events.js';

/** A series for a forecaster: its columns, calendar inputs, dates, splits and windows. */

/** Throws unless `series` is a TimeSeries; `name` names it in the message. */
export function checkSeries(series: TimeSeries, name: string): void {
  const s = series as Partial<TimeSeries> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !(s.values instanceof Float32Array) ||
    !Array.isArray(s.columns)
  ) {
    throw new ValueError(`${name} must be a TimeSeries (columns, values, length), got ${String(series)}`);
  }
}

/** Days between two ISO dates (NaN when either does not parse). */
function daysBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 86_400_000;
}

/** The seasonal period for the naive baseline from the spacing of the dates. */
export function defaultSeason(index: readonly string[] | undefined): number {
  if (!index || index.length < 2) return 1;
  const d = daysBetween(index[0]!, index[1]!);
  if (d >= 27 && d <= 32) return 12;
  if (d >= 6 && d <= 8) return 52;
  if (d >= 0.9 && d <= 1.1) return 7;
  return 1;
}

/** The dates after `last`, continuing the spacing of the last two dates. */
export function nextDates(index: readonly string[] | null, steps: number): string[] | null {
  if (!index || index.length < 2) return null;
  const a = index[index.length - 2]!;
  const b = index[index.length - 1]!;
  const d = daysBetween(a, b);
  if (!Number.isFinite(d)) return null;
  const out: string[] = [];
  const base = new Date(Date.parse(b));
  for (let k = 1; k <= steps; k++) {
    const next = new Date(base);
    if (d >= 27 && d <= 32) next.setUTCMonth(base.getUTCMonth() + k);
    else next.setUTCDate(base.getUTCDate() + Math.round(d) * k);
    out.push(next.toISOString().slice(0, 10));
  }
  return out;
}

/** The day-of-year columns `calendar` adds. */
export const CALENDAR = ['day_of_year_sin', 'day_of_year_cos'];

/** Position in the year of an ISO date as (sin, cos), so Dec 31 and Jan 1 are neighbours. */
export function yearPhase(date: string): [number, number] {
  const t = Date.parse(date);
  const start = Date.UTC(new Date(t).getUTCFullYear(), 0, 1);
  const angle = (2 * Math.PI * (t - start)) / (365.25 * 86_400_000);
  return [Math.sin(angle), Math.cos(angle)];
}

/** The series with the two calendar columns appended; `what` names the data and the option in messages. */
export function withCalendar(series: TimeSeries, what: string, calendar: string): TimeSeries {
  const index = series.index;
  if (!index || index.some((d) => !Number.isFinite(Date.parse(d)))) {
    throw new ValueError(`${what}: ${calendar} needs a date column with ISO dates (YYYY-MM-DD)`);
  }
  const F = series.columns.length;
  const values = new Float32Array(series.length * (F + 2));
  for (let r = 0; r < series.length; r++) {
    values.set(series.values.subarray(r * F, (r + 1) * F), r * (F + 2));
    values.set(yearPhase(index[r]!), r * (F + 2) + F);
  }
  return makeSeries([...series.columns, ...CALENDAR], values, {
    index,
    ...(series.source !== undefined ? { source: series.source } : {}),
  });
}

/** The named columns, in that order; `what` names the option in messages. */
export function selectColumns(series: TimeSeries, names: string[], what: string): TimeSeries {
  const idx = columnIndices(series, names, what);
  const F = series.columns.length;
  const values = new Float32Array(series.length * idx.length);
  for (let r = 0; r < series.length; r++) {
    for (let k = 0; k < idx.length; k++) values[r * idx.length + k] = series.values[r * F + idx[k]!]!;
  }
  return makeSeries(names, values, {
    ...(series.index ? { index: series.index } : {}),
    ...(series.source !== undefined ? { source: series.source } : {}),
  });
}

/** Rows [start, end) with their first and last dates. */
export function span(series: TimeSeries, start: number, end: number): Span {
  const dates = series.index;
  return { start, end, from: dates ? dates[start]! : null, to: dates ? dates[end - 1]! : null };
}

export function windows(
  scaled: TimeSeries,
  targetIndex: number,
  lookback: number,
  horizon: number,
  range: { start: number; end: number },
): WindowDataset {
  return new WindowDataset(scaled, { lookback, horizon, targets: [targetIndex], range });
}

export function windowLoader(
  ds: WindowDataset,
  batchSize: number,
  shuffle: boolean,
): DataLoader<WindowSample, WindowBatch> {
  return new DataLoader<WindowSample, WindowBatch>(ds, { batchSize, shuffle });
}

/** The target column of rows [start, end). */
export function targetColumn(
  series: TimeSeries,
  targetIndex: number,
  start: number,
  end: number,
): Float32Array {
  const F = series.columns.length;
  const out = new Float32Array(end - start);
  for (let r = start; r < end; r++) out[r - start] = series.values[r * F + targetIndex]!;
  return out;
}
