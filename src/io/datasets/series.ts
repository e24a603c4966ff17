import { parseDate, unparseableDate } from '../../data/dates.js';
import { DataError, nameList, quote } from '../../data/errors.js';
import { applyMissingPolicy, type MissingPolicy } from '../../data/missing.js';
import { makePanel, type SeriesPanel } from '../../data/panel.js';
import { makeSeries, type TimeSeries } from '../../data/series.js';
import { ValueError } from '../../tensor/errors.js';
import { delimiterFor, headerIndex, readCsv } from './files.js';
import { isJsonTable, readJsonTable } from './json-table.js';

export interface SeriesCsvOptions {
  /**
   * Column of row labels (dates), kept as strings in `index`. Every label must be a date (see
   * `parseDate`) and the dates must increase.
   */
  dateColumn?: string;
  /** Input columns. Default: every column except the date column (and targets). */
  features?: readonly string[];
  /** Columns to predict. Default: none. */
  targets?: readonly string[];
  /** What to do with empty cells and NaN / NA markers. Default 'error'. */
  missing?: MissingPolicy;
  delimiter?: string;
  /**
   * When given, default input columns (no `features` named) whose first value is text, such as
   * a location or a category, are left out and their names passed here (with those first values),
   * instead of failing.
   */
  onTextColumns?: (columns: string[], firstValues: string[]) => void;
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
 * For a cell like "10,5", how to write it (numbers are read with a decimal point); null for
 * anything else.
 */
export function decimalCommaNote(text: string): string | null {
  const t = text.trim();
  return /^[-+]?\d+,\d+$/.test(t) ? `decimal commas are not read: write ${t.replace(',', '.')}` : null;
}

function checkOptions(options: SeriesCsvOptions, caller: string): MissingPolicy {
  const missing = options.missing ?? 'error';
  if (missing !== 'error' && missing !== 'ffill' && missing !== 'drop') {
    throw new ValueError(`${caller}: missing must be 'error', 'ffill' or 'drop', got ${String(missing)}`);
  }
  for (const [name, v] of [
    ['features', options.features],
    ['targets', options.targets],
  ] as const) {
    if (v !== undefined && (!Array.isArray(v) || v.some((c) => typeof c !== 'string'))) {
      throw new ValueError(`${caller}: ${name} must be an array of column names`);
    }
  }
  if (options.onTextColumns !== undefined && typeof options.onTextColumns !== 'function') {
    throw new ValueError(`${caller}: onTextColumns must be a function, got ${typeof options.onTextColumns}`);
  }
  return missing;
}

/** One data row as read: the chosen columns' values, its date label, its id, its line. */
interface CsvRow {
  values: number[];
  /** Source text of each missing value, by column (null when none is missing). */
  missing: Map<number, string> | null;
  label: string | null;
  time: number;
  id: string | null;
  line: number;
  /** A JSON table's record number, where records share a line. */
  record?: number | undefined;
}

/**
 * The rows read, column by column (a million-row file as a million row objects took most of a
 * gigabyte): row r's values are values[r·C, (r+1)·C).
 */
class RowTable {
  readonly values: number[] = [];
  /** Source text of each missing value, by row, then by column. */
  readonly missing = new Map<number, Map<number, string>>();
  readonly labels: string[] = [];
  readonly times: number[] = [];
  readonly ids: string[] = [];
  readonly lines: number[] = [];
  /** JSON tables' record numbers, by row, where records share a line. */
  readonly records = new Map<number, number>();
  /** Default inputs left out because they hold text (a series id among them, perhaps). */
  textColumns: string[] = [];
  length = 0;

  push(row: CsvRow): void {
    const r = this.length++;
    for (const v of row.values) this.values.push(v);
    if (row.missing) this.missing.set(r, row.missing);
    if (row.label !== null) this.labels.push(row.label);
    this.times.push(row.time);
    if (row.id !== null) this.ids.push(row.id);
    this.lines.push(row.line);
    if (row.record !== undefined) this.records.set(r, row.record);
  }

  /** Where row r came from, for an error. */
  where(path: string, r: number, column: string | undefined) {
    return { file: path, line: this.lines[r], record: this.records.get(r), column };
  }
}

/** Names a date column goes by, in order of preference; matched ignoring case. */
const DATE_NAMES = ['date', 'datetime', 'date_time', 'timestamp', 'time', 'ds', 'period'];
/** Columns that hold parts of a date (a file with year, month and day columns has no date column). */
const DATE_PART = /^(year|month|day|date_of_month|day_of_month|hour|minute)$/i;

/** The columns holding parts of a date, when there are two or more of them (else none). */
export function splitDateColumns(header: readonly string[]): string[] {
  const parts = header.filter((h) => DATE_PART.test(h.trim()));
  return parts.length >= 2 ? parts : [];
}
/** Rows read to tell a date column by its values. */
const SNIFFED_ROWS = 20;

/**
 * The date column of a series file when none is named: the first header that a date column goes
 * by (date, datetime, timestamp, time, ds, …); else the first column whose first values are all
 * dates, not all the same (not necessarily increasing: a long-format file starts each series
 * over). A column of years such as 1880, 1881 counts only when named year: any column of 4-digit
 * counts would pass otherwise. Else undefined. The header comes with it.
 */
export async function guessDateColumn(
  path: string,
  delimiter?: string,
): Promise<{ column: string | undefined; header: string[] }> {
  const table = isJsonTable(path) ? readJsonTable(path) : readCsv(path, delimiterFor(path, delimiter));
  let header: string[] | undefined;
  const rows: string[][] = [];
  for await (const row of table) {
    if ('header' in row) {
      header = row.header;
      const named = DATE_NAMES.map((n) => header!.find((h) => h.trim().toLowerCase() === n)).find((h) => h);
      if (named !== undefined) return { column: named, header };
    } else if (rows.push(row.fields) >= SNIFFED_ROWS) break;
  }
  if (!header) return { column: undefined, header: [] };
  if (rows.length < 2 || splitDateColumns(header).length > 0) return { column: undefined, header };
  return {
    column: header.find((name, j) =>
      readsAsDates(
        name,
        rows.map((r) => r[j] ?? ''),
      ),
    ),
    header,
  };
}

/** Whether a column's first values are dates, not merely numbers (see guessDateColumn). */
function readsAsDates(name: string, cells: string[]): boolean {
  const plainNumbers = cells.every((c) => /^\s*-?\d+(\.\d*)?\s*$/.test(c));
  if (plainNumbers && name.trim().toLowerCase() !== 'year') return false;
  const times = cells.map((c) => parseDate(c));
  return times.every((t) => t !== undefined) && times.some((t) => t !== times[0]);
}

/** The date column's index; when the file has none, the error says what it has instead. */
function dateIndex(header: readonly string[], dateColumn: string, path: string): number {
  const lower = dateColumn.toLowerCase();
  if (header.some((h) => h.toLowerCase() === lower)) return headerIndex(header, dateColumn, path, 'date');
  const parts = splitDateColumns(header);
  if (parts.length === 0) return headerIndex(header, dateColumn, path, 'date');
  const hint = `the dates are split over ${nameList(parts)}: kioku reads a date from one column (2015-03-01, 2015-03-01 14:00), so join them into one`;
  throw new DataError(`unknown date column; ${hint}; available columns: ${nameList(header)}`, {
    file: path,
    column: dateColumn,
  });
}

/** The columns read (features, then targets not among them), their roles, and the rows. */
async function readSeriesRows(
  path: string,
  options: SeriesCsvOptions,
  idColumn?: string,
): Promise<{ columns: string[]; features: string[]; targets: string[]; rows: RowTable }> {
  const { dateColumn } = options;
  let columns: string[] = [];
  let features: string[] = [];
  let targets: string[] = [];
  let picks: number[] = [];
  let dateAt = -1;
  let idAt = -1;
  const rows = new RowTable();
  const table = isJsonTable(path)
    ? readJsonTable(path)
    : readCsv(path, delimiterFor(path, options.delimiter));
  for await (const row of table) {
    if ('header' in row) {
      const header = row.header;
      if (dateColumn !== undefined) dateAt = dateIndex(header, dateColumn, path);
      if (idColumn !== undefined) idAt = headerIndex(header, idColumn, path, 'series');
      const special = [dateColumn, idColumn];
      targets = [...(options.targets ?? [])];
      features = [
        ...(options.features ?? header.filter((h) => !special.includes(h) && !targets.includes(h))),
      ];
      columns = [...new Set([...features, ...targets])];
      picks = columns.map((c) => headerIndex(header, c, path, features.includes(c) ? 'feature' : 'target'));
      continue;
    }
    if (rows.length === 0) {
      // The first data row tells which default inputs hold text.
      if (options.features === undefined && options.onTextColumns) {
        const textAt = columns.flatMap((c, k) =>
          !targets.includes(c) && parseCell(row.fields[picks[k]!]!) === null ? [k] : [],
        );
        const text = textAt.map((k) => columns[k]!);
        if (text.length > 0)
          options.onTextColumns(
            text,
            textAt.map((k) => row.fields[picks[k]!]!),
          );
        rows.textColumns = text;
        picks = picks.filter((_, k) => !text.includes(columns[k]!));
        features = features.filter((c) => !text.includes(c));
        columns = columns.filter((c) => !text.includes(c));
      }
      if (columns.length === 0) throw new DataError('no numeric columns to read', { file: path });
    }
    rows.push(parseRow(row, { path, columns, picks, dateAt, dateColumn, idAt }));
  }
  if (rows.length === 0) throw new DataError('no data rows after the header', { file: path });
  return { columns, features, targets, rows };
}

function parseRow(
  row: { fields: string[]; line: number; record?: number | undefined },
  at: { path: string; columns: string[]; picks: number[]; dateAt: number; dateColumn?: string; idAt: number },
): CsvRow {
  const { fields, line, record } = row;
  const values: number[] = [];
  let missing: Map<number, string> | null = null;
  at.picks.forEach((pick, k) => {
    const text = fields[pick]!;
    const v = parseCell(text);
    if (v === null) {
      const beyond = Number.isFinite(Number(text.trim())) ? ' within float32 range' : '';
      const note = decimalCommaNote(text);
      throw new DataError(`expected a number${beyond}, got ${quote(text)}${note ? ` (${note})` : ''}`, {
        file: at.path,
        line,
        record,
        column: at.columns[k],
      });
    }
    if (Number.isNaN(v)) (missing ??= new Map()).set(k, text);
    values.push(v);
  });
  let label: string | null = null;
  let time = Number.NaN;
  if (at.dateAt >= 0) {
    label = fields[at.dateAt]!.trim();
    time = parseDate(label) ?? Number.NaN;
    if (Number.isNaN(time))
      throw new DataError(unparseableDate(label), { file: at.path, line, record, column: at.dateColumn });
  }
  const id = at.idAt >= 0 ? fields[at.idAt]!.trim() : null;
  return { values, missing, label, time, id, line, record };
}

/** Rows `at` of the table as a series with the missing-value policy applied; dates must increase. */
function toSeries(
  path: string,
  columns: string[],
  rows: RowTable,
  at: readonly number[],
  missing: MissingPolicy,
  dateColumn: string | undefined,
): TimeSeries {
  if (dateColumn !== undefined) checkDateOrder(path, rows, at, dateColumn);
  const C = columns.length;
  const values = new Float32Array(at.length * C);
  at.forEach((r, i) => {
    for (let c = 0; c < C; c++) values[i * C + c] = rows.values[r * C + c]!;
  });
  const series = makeSeries(columns, values, {
    ...(dateColumn !== undefined ? { index: at.map((r) => rows.labels[r]!) } : {}),
    lines: Int32Array.from(at, (r) => rows.lines[r]!),
    source: path,
  });
  const cellText = (i: number, c: number) =>
    at[i] === undefined ? undefined : rows.missing.get(at[i]!)?.get(c);
  const record = (i: number) => (at[i] === undefined ? undefined : rows.records.get(at[i]!));
  return applyMissingPolicy(series, missing, { cellText, record });
}

function checkDateOrder(path: string, rows: RowTable, at: readonly number[], dateColumn: string): void {
  for (let i = 1; i < at.length; i++) {
    const [before, r] = [at[i - 1]!, at[i]!];
    if (rows.times[r]! > rows.times[before]!) continue;
    const again = at.slice(0, i).some((earlier) => rows.times[earlier] === rows.times[r]);
    const texts = rows.textColumns;
    const which =
      texts.length === 0
        ? ''
        : `: perhaps ${texts.length === 1 ? 'the text column' : 'one of the text columns'} ${nameList(texts)}`;
    const hint = again
      ? `; a file of several series one after another needs its id column named (--series-col${which})`
      : '';
    throw new DataError(
      `dates must increase, got ${rows.labels[r]} after ${rows.labels[before]}${hint}`,
      rows.where(path, r, dateColumn),
    );
  }
}

/**
 * Loads a time series from a CSV/TSV file with a header row. Columns read are the features
 * followed by the targets not already among them. Errors name the file, line and column: a
 * row with the wrong number of fields, a non-numeric value, an unknown column (listing the
 * available ones), an empty file, a date that does not parse, dates out of order.
 */
export async function loadSeriesCsv(path: string, options: SeriesCsvOptions = {}): Promise<LabeledSeries> {
  const missing = checkOptions(options, 'loadSeriesCsv');
  const { columns, features, targets, rows } = await readSeriesRows(path, options);
  const all = Array.from({ length: rows.length }, (_, r) => r);
  return { ...toSeries(path, columns, rows, all, missing, options.dateColumn), features, targets };
}

/**
 * Loads a long-format CSV/TSV file (one row per series and date, such as vega-datasets'
 * stocks.csv: symbol, date, price) as a panel: one series per value of `seriesColumn`, in the
 * order the ids first appear, each with the other columns as in {@link loadSeriesCsv} and its
 * own dates, which must increase within the series.
 */
export async function loadPanelCsv(
  path: string,
  options: SeriesCsvOptions & { seriesColumn: string },
): Promise<SeriesPanel> {
  const missing = checkOptions(options, 'loadPanelCsv');
  if (typeof options?.seriesColumn !== 'string' || options.seriesColumn === '') {
    throw new ValueError('loadPanelCsv: seriesColumn must name the column of series ids');
  }
  const { columns, rows } = await readSeriesRows(path, options, options.seriesColumn);
  const groups = new Map<string, number[]>();
  for (let r = 0; r < rows.length; r++) {
    const id = rows.ids[r]!;
    if (id === '') throw new DataError('empty series id', rows.where(path, r, options.seriesColumn));
    const list = groups.get(id);
    if (list) list.push(r);
    else groups.set(id, [r]);
  }
  const ids = [...groups.keys()];
  const members = ids.map((id) =>
    toSeries(path, columns, rows, groups.get(id)!, missing, options.dateColumn),
  );
  return makePanel(options.seriesColumn, ids, members);
}
