import { extname } from 'node:path';
import { checkClasses, classNames, type TextCorpus } from '../../data/corpus.js';
import { StreamDataset } from '../../data/dataset.js';
import { DataError, nameList, quote } from '../../data/errors.js';
import { type LabelChanges, normaliseLabels } from '../../data/labels.js';
import { describe } from '../../data/numeric.js';
import { ValueError } from '../../tensor/errors.js';
import { delimiterFor, headerIndex, readCsv, readLines } from './files.js';
import { readJsonRecords } from './json-table.js';

export interface TextFileOptions {
  /**
   * 'csv', 'tsv', 'jsonl' or 'json' (an array of records, read whole); default from the
   * extension (.jsonl/.ndjson, .json, .tsv/.tab, else csv).
   */
  format?: 'csv' | 'tsv' | 'jsonl' | 'json';
  /** Column (or JSON key) holding the text. Default 'text'. */
  textColumn?: string;
  /** Column (or JSON key) holding the label. Default 'label'. */
  labelColumn?: string;
  /** Field delimiter for csv/tsv (one character). */
  delimiter?: string;
}

/** One row of a labelled text file, label as written in the file (untrimmed). */
export interface TextRow {
  text: string;
  label: string;
  line: number;
  /** A JSON table's record number, where records share a line. */
  record?: number;
}

type Format = NonNullable<TextFileOptions['format']>;

function formatOf(path: string, format: TextFileOptions['format']): Format {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'tsv' && format !== 'jsonl' && format !== 'json') {
      throw new ValueError(`format must be 'csv', 'tsv', 'jsonl' or 'json', got ${String(format)}`);
    }
    return format;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  return ext === '.tsv' || ext === '.tab' ? 'tsv' : 'csv';
}

/**
 * Streams (text, label) rows from a CSV, TSV or JSONL file, one row at a time: a file larger
 * than memory can be tokenized and counted. Each `for await` re-reads the file.
 */
export function streamTextFile(path: string, options: TextFileOptions = {}): StreamDataset<TextRow> {
  const { textColumn = 'text', labelColumn = 'label' } = options;
  const format = formatOf(path, options.format);
  if (typeof textColumn !== 'string' || typeof labelColumn !== 'string') {
    throw new ValueError('streamTextFile: textColumn and labelColumn must be strings');
  }
  if (format === 'jsonl') return new StreamDataset(() => jsonlRows(path, textColumn, labelColumn));
  if (format === 'json') return new StreamDataset(() => jsonRows(path, textColumn, labelColumn));
  const delimiter = delimiterFor(path, options.delimiter ?? (format === 'tsv' ? '\t' : undefined));
  return new StreamDataset(() => csvRows(path, delimiter, textColumn, labelColumn));
}

async function* csvRows(
  path: string,
  delimiter: string,
  textColumn: string,
  labelColumn: string,
): AsyncGenerator<TextRow> {
  let ti = -1;
  let li = -1;
  for await (const row of readCsv(path, delimiter)) {
    if ('header' in row) {
      ti = headerIndex(row.header, textColumn, path, 'text');
      li = headerIndex(row.header, labelColumn, path, 'label');
      continue;
    }
    yield { text: row.fields[ti]!, label: row.fields[li]!, line: row.line };
  }
}

/**
 * The (text, label) of one JSON record: the text a string (in a .json table, where a title like
 * 1776 comes as a number, also a number or boolean written out, as a CSV cell would read), the
 * label a string, number or boolean; null in either is empty (an empty text is kept, an empty
 * label left out).
 */
function recordRow(
  obj: unknown,
  where: { path: string; line: number; record?: number | undefined; table: boolean },
  textColumn: string,
  labelColumn: string,
): TextRow {
  const { path, line, record } = where;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new DataError('each line must be a JSON object', { file: path, line, record });
  }
  const rec = obj as Record<string, unknown>;
  for (const key of [textColumn, labelColumn]) {
    if (!(key in rec)) {
      throw new DataError(`missing key; this record has keys: ${nameList(Object.keys(rec))}`, {
        file: path,
        line,
        record,
        column: key,
      });
    }
  }
  const raw = rec[textColumn] ?? '';
  const value = where.table && (typeof raw === 'number' || typeof raw === 'boolean') ? String(raw) : raw;
  if (typeof value !== 'string') {
    throw new DataError(`text must be a string, got ${describe(value)}`, {
      file: path,
      line,
      record,
      column: textColumn,
    });
  }
  const label = rec[labelColumn] ?? '';
  if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
    throw new DataError(`label must be a string, number or boolean, got ${describe(label)}`, {
      file: path,
      line,
      record,
      column: labelColumn,
    });
  }
  return { text: value, label: String(label), line, ...(record !== undefined ? { record } : {}) };
}

async function* jsonlRows(path: string, textColumn: string, labelColumn: string): AsyncGenerator<TextRow> {
  let any = false;
  for await (const { text, line } of readLines(path)) {
    any = true;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new DataError(`invalid JSON (${(e as Error).message})`, { file: path, line });
    }
    yield recordRow(obj, { path, line, table: false }, textColumn, labelColumn);
  }
  if (!any) throw new DataError('empty file (no JSON lines)', { file: path });
}

async function* jsonRows(path: string, textColumn: string, labelColumn: string): AsyncGenerator<TextRow> {
  for (const { record, line, index } of await readJsonRecords(path)) {
    yield recordRow(record, { path, line, record: index, table: true }, textColumn, labelColumn);
  }
}

/** A labelled text file in memory, with what was done to its labels. */
export interface TextFileCorpus extends TextCorpus {
  /** Labels trimmed or written canonically, and rows left out for an empty or missing label. */
  labelChanges: LabelChanges;
  /** Rows kept whose text is empty or only spaces: their count and the first ten lines. */
  emptyTexts: { rows: number; lines: number[] };
}

function emptyTexts(rows: readonly TextRow[]): TextFileCorpus['emptyTexts'] {
  const empty = rows.filter((r) => r.text.trim() === '');
  return { rows: empty.length, lines: empty.slice(0, 10).map((r) => r.line) };
}

/**
 * Reads a whole labelled text file into memory. Labels are trimmed; when every label is a number
 * they are written canonically ("1.0" and "01" are the class "1"); rows with an empty label are
 * left out. `labelChanges` says what this changed. Classes are the distinct labels (numbers by
 * value, otherwise sorted), unless `classes` fixes them; an unknown label, an empty file or a
 * label column with a single class is an error naming the file (and line). Rows with an empty
 * text are kept and counted (`emptyTexts`): a caller warns about them.
 */
export async function loadTextFile(
  path: string,
  options: TextFileOptions & { classes?: readonly string[] } = {},
): Promise<TextFileCorpus> {
  const fixed = options.classes;
  if (fixed !== undefined && (!Array.isArray(fixed) || fixed.some((c) => typeof c !== 'string'))) {
    throw new ValueError('loadTextFile: classes must be an array of strings');
  }
  const labelColumn = options.labelColumn ?? 'label';
  const read: TextRow[] = [];
  for await (const row of streamTextFile(path, options)) read.push(row);
  if (read.length === 0) throw new DataError('no data rows after the header', { file: path });
  const { rows, labels, changes } = normaliseLabels(read, fixed);
  if (rows.length === 0) {
    const markers = changes.missingMarkers.map((m) => quote(m)).join(', ');
    const what = markers ? `empty or a missing-value marker (${markers})` : 'empty';
    throw new DataError(`every row's label is ${what} (${read.length} rows)`, {
      file: path,
      column: labelColumn,
    });
  }
  if (fixed !== undefined) {
    const i = labels.findIndex((l) => !fixed.includes(l));
    if (i >= 0) {
      throw new DataError(`label ${quote(labels[i]!)} is not one of ${nameList(fixed)}`, {
        file: path,
        line: rows[i]!.line,
        record: rows[i]!.record,
        column: labelColumn,
      });
    }
  }
  const classes = fixed !== undefined ? [...fixed] : classNames(labels);
  checkClasses(fixed !== undefined ? classNames(labels) : classes, { file: path, column: labelColumn });
  const id = new Map(classes.map((c, i) => [c, i]));
  return {
    texts: rows.map((r) => r.text),
    labels: Int32Array.from(labels, (l) => id.get(l)!),
    classes,
    source: path,
    labelChanges: changes,
    emptyTexts: emptyTexts(rows),
  };
}
