import { parse } from 'csv-parse/browser/esm/sync';
import type { PlaygroundData, SeriesData, TextData } from './data-format.js';

/**
 * A dropped file as a playground data set. A CSV/TSV whose columns are numbers (after an optional
 * date column) is a series, forecast on its last column; one with a text column and a label
 * column is a text classification set; a .txt file holds `label<TAB>text` lines.
 */

const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));
const isDate = (cell: string) => /^\d{4}-\d{2}-\d{2}/.test(cell) && Number.isFinite(Date.parse(cell));

function table(text: string, delimiter: string): { header: string[]; rows: string[][] } {
  const records = parse(text, { delimiter, bom: true, skip_empty_lines: true, trim: true }) as string[][];
  if (records.length < 3) throw new Error('the file needs a header row and at least two data rows');
  return { header: records[0]!, rows: records.slice(1) };
}

function asSeries(name: string, header: string[], rows: string[][]): SeriesData | null {
  const dated = rows.every((r) => isDate(r[0]!));
  const numeric = header.map((_, c) => c).filter((c) => !(dated && c === 0));
  if (numeric.length === 0 || !rows.every((r) => numeric.every((c) => isNumber(r[c]!)))) return null;
  return {
    kind: 'series',
    name,
    title: `${name} (${rows.length} rows)`,
    target: header[numeric.at(-1)!]!,
    columns: numeric.map((c) => header[c]!),
    index: dated ? rows.map((r) => r[0]!) : [],
    rows: rows.map((r) => numeric.map((c) => Number(r[c]))),
  };
}

function asText(name: string, pairs: Array<[label: string, text: string]>): TextData {
  const classes = [...new Set(pairs.map(([label]) => label))].sort();
  if (classes.length < 2)
    throw new Error(`a classifier needs at least two labels, the file has ${classes.length}`);
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
  const { header, rows } = table(content, /\.tsv$/i.test(file.name) ? '\t' : ',');
  const series = asSeries(name, header, rows);
  if (series) return series;
  const [label, text] = textColumns(header, rows);
  return asText(
    name,
    rows.map((r) => [r[label]!, r[text]!]),
  );
}
