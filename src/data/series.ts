import { ShapeError, ValueError } from '../tensor/errors.js';
import { DataError, nameList } from './errors.js';

/**
 * A table of numeric columns over time: `values` is (N, F) row-major, one row per time step.
 * Missing values are NaN until a missing-value policy handles them.
 */
export interface TimeSeries {
  readonly columns: readonly string[];
  /** (N, F) row-major. */
  readonly values: Float32Array;
  /** Number of rows N. */
  readonly length: number;
  /** One label per row (the date column), when the source had one. */
  readonly index?: readonly string[];
  /** The source line of each row, for error messages. */
  readonly lines?: Int32Array;
  /** Where the rows came from (a file path or a package name). */
  readonly source?: string;
}

/** Builds a TimeSeries from row arrays or an (N, F) Float32Array, checking the shapes. */
export function makeSeries(
  columns: readonly string[],
  values: Float32Array | readonly (readonly number[])[],
  extra: { index?: readonly string[]; lines?: Int32Array; source?: string } = {},
): TimeSeries {
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
    throw new ValueError('makeSeries: columns must be a non-empty array of names');
  }
  if (new Set(columns).size !== columns.length) {
    throw new ValueError(`makeSeries: column names must be unique, got ${columns.join(', ')}`);
  }
  const F = columns.length;
  let data: Float32Array;
  if (values instanceof Float32Array) {
    if (values.length % F !== 0) {
      throw new ShapeError(`makeSeries: values has ${values.length} numbers, not a multiple of ${F} columns`);
    }
    data = values;
  } else {
    data = new Float32Array(values.length * F);
    values.forEach((row, r) => {
      if (row.length !== F)
        throw new ShapeError(`makeSeries: row ${r} has ${row.length} values, expected ${F}`);
      data.set(row, r * F);
    });
  }
  const length = data.length / F;
  for (const [name, arr] of [
    ['index', extra.index],
    ['lines', extra.lines],
  ] as const) {
    if (arr !== undefined && arr.length !== length) {
      throw new ShapeError(`makeSeries: ${name} has ${arr.length} entries for ${length} rows`);
    }
  }
  return { columns: [...columns], values: data, length, ...extra };
}

/** Resolves column names or indices to indices; an unknown name lists the available ones. */
export function columnIndices(
  series: Pick<TimeSeries, 'columns' | 'source'>,
  wanted: readonly (string | number)[],
  what: string,
): number[] {
  if (!Array.isArray(wanted) || wanted.length === 0) {
    throw new ValueError(`${what}: expected a non-empty array of column names or indices`);
  }
  return wanted.map((c) => {
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0 || c >= series.columns.length) {
        throw new DataError(`${what}: column index must be in [0, ${series.columns.length}), got ${c}`, {
          file: series.source,
          column: c,
        });
      }
      return c;
    }
    const i = series.columns.indexOf(c);
    if (i < 0) {
      throw new DataError(`${what}: unknown column; available columns: ${nameList(series.columns)}`, {
        file: series.source,
        column: c,
      });
    }
    return i;
  });
}

/** Values of one column. */
export function column(series: TimeSeries, name: string | number): Float32Array {
  const [c] = columnIndices(series, [name], 'column');
  const F = series.columns.length;
  const out = new Float32Array(series.length);
  for (let r = 0; r < series.length; r++) out[r] = series.values[r * F + c!]!;
  return out;
}

/** The rows [start, end) as a new series. */
export function sliceRows(series: TimeSeries, start: number, end: number): TimeSeries {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > series.length || start > end) {
    throw new ValueError(`sliceRows: need 0 ≤ start ≤ end ≤ ${series.length}, got [${start}, ${end})`);
  }
  const F = series.columns.length;
  return {
    columns: series.columns,
    values: series.values.slice(start * F, end * F),
    length: end - start,
    ...(series.index ? { index: series.index.slice(start, end) } : {}),
    ...(series.lines ? { lines: series.lines.slice(start, end) } : {}),
    ...(series.source !== undefined ? { source: series.source } : {}),
  };
}
