import { DataError, quote } from '../../data/errors.js';
import { applyMissingPolicy, type MissingPolicy } from '../../data/missing.js';
import { makeSeries, type TimeSeries } from '../../data/series.js';
import { ValueError } from '../../tensor/errors.js';
import { delimiterFor, headerIndex, readCsv } from './files.js';

export interface SeriesCsvOptions {
  /** Column of row labels (dates), kept as strings in `index`; rows must be in time order. */
  dateColumn?: string;
  /** Input columns. Default: every column except the date column (and targets). */
  features?: readonly string[];
  /** Columns to predict. Default: none. */
  targets?: readonly string[];
  /** What to do with empty cells and NaN / NA markers. Default 'error'. */
  missing?: MissingPolicy;
  delimiter?: string;
}

/** A loaded series with the roles of its columns. */
export interface LabeledSeries extends TimeSeries {
  features: string[];
  targets: string[];
}

const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null', 'none']);

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Parses a numeric cell: a number, NaN for a missing marker, or null when not numeric or
 * beyond float32's range (it would be stored as Infinity).
 */
function parseCell(text: string): number | null {
  const t = text.trim();
  if (MISSING.has(t.toLowerCase())) return Number.NaN;
  const v = Number(t);
  return Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX ? v : null;
}

/**
 * Loads a time series from a CSV/TSV file with a header row. Columns read are the features
 * followed by the targets not already among them. Errors name the file, line and column: a
 * row with the wrong number of fields, a non-numeric value, an unknown column (listing the
 * available ones), an empty file, dates out of order.
 */
export async function loadSeriesCsv(path: string, options: SeriesCsvOptions = {}): Promise<LabeledSeries> {
  const { dateColumn, missing = 'error' } = options;
  if (missing !== 'error' && missing !== 'ffill' && missing !== 'drop') {
    throw new ValueError(`loadSeriesCsv: missing must be 'error', 'ffill' or 'drop', got ${String(missing)}`);
  }
  for (const [name, v] of [
    ['features', options.features],
    ['targets', options.targets],
  ] as const) {
    if (v !== undefined && (!Array.isArray(v) || v.some((c) => typeof c !== 'string'))) {
      throw new ValueError(`loadSeriesCsv: ${name} must be an array of column names`);
    }
  }
  const delimiter = delimiterFor(path, options.delimiter);
  let columns: string[] = [];
  let features: string[] = [];
  let targets: string[] = [];
  let picks: number[] = [];
  let dateAt = -1;
  const values: number[] = [];
  const index: string[] = [];
  const lines: number[] = [];
  // The source text of each missing value, by its place in `values`, for the policy's errors.
  const missingText = new Map<number, string>();
  let lastTime = Number.NEGATIVE_INFINITY;
  for await (const row of readCsv(path, delimiter)) {
    if ('header' in row) {
      const header = row.header;
      if (dateColumn !== undefined) dateAt = headerIndex(header, dateColumn, path, 'date');
      targets = [...(options.targets ?? [])];
      features = [...(options.features ?? header.filter((h) => h !== dateColumn && !targets.includes(h)))];
      columns = [...new Set([...features, ...targets])];
      if (columns.length === 0) throw new DataError('no numeric columns to read', { file: path });
      picks = columns.map((c) => headerIndex(header, c, path, features.includes(c) ? 'feature' : 'target'));
      continue;
    }
    const { fields, line } = row;
    for (let k = 0; k < picks.length; k++) {
      const v = parseCell(fields[picks[k]!]!);
      if (v === null) {
        const beyond = Number.isFinite(Number(fields[picks[k]!]!.trim())) ? ' within float32 range' : '';
        throw new DataError(`expected a number${beyond}, got ${quote(fields[picks[k]!]!)}`, {
          file: path,
          line,
          column: columns[k],
        });
      }
      if (Number.isNaN(v)) missingText.set(values.length, fields[picks[k]!]!);
      values.push(v);
    }
    if (dateAt >= 0) {
      const label = fields[dateAt]!.trim();
      const time = Date.parse(label);
      if (!Number.isNaN(time)) {
        if (time <= lastTime) {
          throw new DataError(`dates must increase, got ${label} after ${index[index.length - 1]}`, {
            file: path,
            line,
            column: dateColumn,
          });
        }
        lastTime = time;
      }
      index.push(label);
    }
    lines.push(line);
  }
  if (lines.length === 0) throw new DataError('no data rows after the header', { file: path });
  const series = makeSeries(columns, Float32Array.from(values), {
    ...(dateAt >= 0 ? { index } : {}),
    lines: Int32Array.from(lines),
    source: path,
  });
  const F = columns.length;
  const cellText = (r: number, c: number) => missingText.get(r * F + c);
  return { ...applyMissingPolicy(series, missing, { cellText }), features, targets };
}
