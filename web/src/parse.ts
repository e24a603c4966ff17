import { parse } from 'csv-parse/browser/esm/sync';
import { parseDate } from '../../src/data/dates.js';
import type { PlaygroundData, SeriesData, TextData } from './data-format.js';

/**
 * A dropped file as a playground data set. A CSV/TSV (or a .json array of records, as
 * vega-datasets ships its tables) with a date column is a series of its numeric columns
 * (text columns left out, as the CLI leaves them), forecast on its last one; without dates, one
 * whose columns are all numbers is a series too, and one with a text column and a label column
 * a text classification set; a .txt file holds `label<TAB>text` lines.
 */

const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));
/** A date as the CLI reads one (2015-03-01, 2015/03/01 14:00, Mar 1 2015, …), not a bare number. */
const isDate = (cell: string) => !isNumber(cell) && parseDate(cell.trim()) !== undefined;

function table(text: string, delimiter: string): { header: string[]; rows: string[][] } {
  const records = parse(text, { delimiter, bom: true, skip_empty_lines: true, trim: true }) as string[][];
  if (records.length < 3) throw new Error('the file needs a header row and at least two data rows');
  return { header: records[0]!, rows: records.slice(1) };
}

/** A .json array of records as a table: every key a column, null an empty cell. */
function jsonTable(text: string): { header: string[]; rows: string[][] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  const records = Array.isArray(data) ? data : [];
  if (!records.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
    throw new Error('a .json data set is an array of records ([{"date": …, "value": …}, …])');
  }
  if (records.length < 2) throw new Error('the file needs at least two records');
  const header = [...new Set(records.flatMap((r) => Object.keys(r as object)))];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return { header, rows: records.map((r) => header.map((k) => cell((r as Record<string, unknown>)[k]))) };
}

/** A date that repeats: several series one after another (a long-format file), or none. */
function repeatedDate(rows: string[][], at: number): string | undefined {
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r[at]!)) return r[at]!;
    seen.add(r[at]!);
  }
  return undefined;
}

function asSeries(name: string, header: string[], rows: string[][]): SeriesData | null {
  const at = header.findIndex((_, c) => rows.every((r) => isDate(r[c]!)));
  const dated = at >= 0;
  const columns = header.map((_, c) => c).filter((c) => c !== at);
  const numeric = columns.filter((c) => rows.every((r) => isNumber(r[c]!)));
  // Without dates a text column makes a text data set; with them it is left out of the series.
  if (numeric.length === 0 || (!dated && numeric.length < columns.length)) return null;
  const again = dated ? repeatedDate(rows, at) : undefined;
  if (again !== undefined) {
    throw new Error(
      `the date ${again} appears more than once: several series one after another (a long-format file)? The playground forecasts one series; kioku train series --series-col <column> trains one model on all of them`,
    );
  }
  const text = columns.filter((c) => !numeric.includes(c)).map((c) => header[c]!);
  return {
    kind: 'series',
    name,
    title: `${name} (${rows.length} rows${text.length > 0 ? `; text column${text.length > 1 ? 's' : ''} ${text.join(', ')} left out` : ''})`,
    target: header[numeric.at(-1)!]!,
    columns: numeric.map((c) => header[c]!),
    index: dated ? rows.map((r) => r[at]!) : [],
    rows: rows.map((r) => numeric.map((c) => Number(r[c]))),
  };
}

function asText(name: string, pairs: Array<[label: string, text: string]>, labelColumn = 'label'): TextData {
  const classes = [...new Set(pairs.map(([label]) => label))].sort();
  if (classes.length < 2)
    throw new Error(`a classifier needs at least two labels, the file has ${classes.length}`);
  // A column of names or measurements is not a label: every row would be a class of its own.
  if (classes.length > Math.max(50, pairs.length / 2)) {
    throw new Error(
      `the column read as the label, ${labelColumn}, has ${classes.length} different values in ${pairs.length} rows; name the label column "label" (and the text column "text"), or give a series a date column first`,
    );
  }
  return {
    kind: 'text',
    name,
    title: `${name} (${pairs.length} texts: ${classes.join(', ')})`,
    classes,
    texts: pairs.map(([, text]) => text),
    labels: pairs.map(([label]) => classes.indexOf(label)),
    characters: false,
  };
}

/** The text column is the one with the longest cells; the label column the other one named label, else the next. */
function textColumns(header: string[], rows: string[][]): [label: number, text: number] {
  const length = (c: number) => rows.reduce((sum, r) => sum + (r[c]?.length ?? 0), 0);
  const cols = header.map((_, c) => c);
  const text =
    header.indexOf('text') >= 0 ? header.indexOf('text') : cols.sort((a, b) => length(b) - length(a))[0]!;
  const named = header.findIndex((h, c) => c !== text && /^(label|class|category|target)$/i.test(h));
  return [named >= 0 ? named : cols.find((c) => c !== text)!, text];
}

export async function parseDropped(file: { name: string; text(): Promise<string> }): Promise<PlaygroundData> {
  const name = file.name.replace(/\.[^.]+$/, '');
  const content = await file.text();
  if (/\.txt$/i.test(file.name)) {
    const pairs = content
      .split(/\r?\n/)
      .filter((l) => l.includes('\t'))
      .map((l) => [l.slice(0, l.indexOf('\t')).trim(), l.slice(l.indexOf('\t') + 1)] as [string, string]);
    if (pairs.length < 2) throw new Error('a .txt data set holds one "label<TAB>text" example per line');
    return asText(name, pairs);
  }
  const { header, rows } = /\.json$/i.test(file.name)
    ? jsonTable(content)
    : table(content, /\.tsv$/i.test(file.name) ? '\t' : ',');
  const series = asSeries(name, header, rows);
  if (series) return series;
  const [label, text] = textColumns(header, rows);
  return asText(
    name,
    rows.map((r) => [r[label]!, r[text]!]),
    header[label],
  );
}
