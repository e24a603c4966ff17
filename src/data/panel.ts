import { ValueError } from '../tensor/errors.js';
import { describe } from './numeric.js';
import type { TimeSeries } from './series.js';

/**
 * Several series of the same columns, one per id: what a long-format table (a series-id
 * column, a date column, values) holds, such as vega-datasets' stocks.csv with one price
 * series per symbol. One global forecaster learns from all of them.
 */
export interface SeriesPanel {
  /** The id column's name (e.g. 'symbol'). */
  readonly column: string;
  /** Series ids, in the order they first appear. */
  readonly ids: readonly string[];
  /** members[i] is the series of ids[i]; every member has the same columns. */
  readonly members: readonly TimeSeries[];
}

/** Checks and builds a panel: unique ids, one series each, the same columns in every series. */
export function makePanel(
  column: string,
  ids: readonly string[],
  members: readonly TimeSeries[],
): SeriesPanel {
  if (typeof column !== 'string' || column === '') {
    throw new ValueError(`makePanel: column must be a non-empty string, got ${describe(column)}`);
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string' || id === '')) {
    throw new ValueError(
      `makePanel: ids must be a non-empty array of non-empty strings, got ${describe(ids)}`,
    );
  }
  if (new Set(ids).size !== ids.length)
    throw new ValueError(`makePanel: ids must be unique, got ${ids.join(', ')}`);
  if (!Array.isArray(members) || members.length !== ids.length) {
    throw new ValueError(
      `makePanel: members must hold one series per id (${ids.length}), got ${describe(members)}`,
    );
  }
  const columns = members[0]!.columns.join(',');
  members.forEach((m, i) => {
    if (m.columns.join(',') !== columns) {
      throw new ValueError(
        `makePanel: series ${JSON.stringify(ids[i])} has columns ${m.columns.join(', ')}, the first has ${columns.replaceAll(',', ', ')}`,
      );
    }
  });
  return { column, ids: [...ids], members: [...members] };
}

/** Whether a value is a SeriesPanel (rather than one TimeSeries). */
export function isPanel(value: unknown): value is SeriesPanel {
  const p = value as Partial<SeriesPanel> | null;
  return typeof p === 'object' && p !== null && Array.isArray(p.members) && Array.isArray(p.ids);
}
