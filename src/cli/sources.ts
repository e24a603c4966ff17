import { stat } from 'node:fs/promises';
import type { TextCorpus } from '../data/corpus.js';
import { DataError, nameList, quote } from '../data/errors.js';
import type { LabelChanges } from '../data/labels.js';
import { type MissingAdvice, type MissingPolicy, MissingValueError } from '../data/missing.js';
import type { SeriesPanel } from '../data/panel.js';
import type { TimeSeries } from '../data/series.js';
import { builtinSeriesData, STOCK_SYMBOLS } from '../io/datasets/builtin.js';
import { loadImdb } from '../io/datasets/imdb.js';
import { guessDateColumn, loadPanelCsv, loadSeriesCsv, splitDateColumns } from '../io/datasets/series.js';
import { loadSpamAssassin, type SpamHeaders } from '../io/datasets/spam.js';
import { loadTextFile } from '../io/datasets/text.js';
import { ValueError } from '../tensor/errors.js';

/** Resolves a `--data` argument to a corpus or a series: a built-in name, a directory, or a file. */

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** What loading a labelled file did to its labels, as lines for the user (none when nothing changed). */
export function labelChangeLines(file: string, c: LabelChanges): string[] {
  const lines: string[] = [];
  if (c.emptyRows > 0) {
    const first = c.firstEmptyLine !== null ? ` (the first at line ${c.firstEmptyLine})` : '';
    const markers = c.missingMarkers.map((m) => quote(m)).join(', ');
    const what = markers ? `an empty label or a missing-value marker (${markers})` : 'an empty label';
    lines.push(`${file}: left out ${c.emptyRows} row(s) with ${what}${first}`);
  }
  if (c.renamed.length > 0) {
    const shown = c.renamed
      .slice(0, 5)
      .map((r) => `${quote(r.from)} → ${quote(r.to)} (${r.rows} row${r.rows === 1 ? '' : 's'})`);
    if (c.renamed.length > 5) shown.push(`and ${c.renamed.length - 5} more`);
    lines.push(`${file}: labels normalised (spaces trimmed, numbers written one way): ${shown.join(', ')}`);
  }
  return lines;
}

export async function loadTextSource(
  data: string,
  options: {
    textCol: string;
    labelCol: string;
    headers?: SpamHeaders;
    /** Told what was done to the labels of a file (rows left out, labels normalised). */
    warn?: (line: string) => void;
  },
): Promise<TextCorpus> {
  if (data === 'spam-assassin') return loadSpamAssassin({ headers: options.headers ?? 'from-subject' });
  if (await isDirectory(data)) return loadImdb(data);
  if (!/\.(csv|tsv|tab|jsonl|ndjson|json)$/i.test(data)) {
    throw new ValueError(
      `--data must be spam-assassin, an aclImdb directory, or a .csv/.tsv/.jsonl/.json file, got ${quote(data)}`,
    );
  }
  const corpus = await loadTextFile(data, { textColumn: options.textCol, labelColumn: options.labelCol });
  for (const line of labelChangeLines(data, corpus.labelChanges)) options.warn?.(line);
  const empty = corpus.emptyTexts;
  if (empty.rows > 0) {
    const more = empty.rows > empty.lines.length ? ', …' : '';
    const where = `line${empty.rows === 1 ? '' : 's'} ${empty.lines.join(', ')}${more}`;
    options.warn?.(
      `${data}: ${empty.rows} text(s) are empty (${where}); the model reads no input for them, and learns or is scored on a guess`,
    );
  }
  return corpus;
}

export const SERIES_BUILTINS = [
  'seattle-weather',
  'births',
  'sp500',
  'stocks',
  ...STOCK_SYMBOLS.map((s) => `stocks:${s}`),
];

/** Missing-value advice in terms of the flag that sets the policy on the command line. */
const CLI_ADVICE: MissingAdvice = {
  gaps: 'pass --missing ffill or --missing drop to accept gaps',
  firstValue: "'ffill' has no earlier value to repeat, use --missing drop",
};

export interface SeriesSourceOptions {
  dateCol: string;
  /** The id column of a long-format CSV: one series per id (a panel). */
  seriesCol?: string | null;
  columns?: readonly string[];
  missing?: MissingPolicy;
  /** Told the default input columns left out because they hold text. */
  onTextColumns?: (columns: string[], firstValues: string[]) => void;
}

const SERIES_FILE = /\.(csv|tsv|tab|json)$/i;

/**
 * The date column: the one `--date-col` names, else the one a series file's header or first
 * values suggest (see guessDateColumn). A file with neither is refused with its columns; a file
 * split into year, month and day columns gets 'date', whose absence reading explains. Built-in
 * series keep 'date'.
 */
export async function dateColumnFor(data: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (!SERIES_FILE.test(data)) return 'date';
  let guess: Awaited<ReturnType<typeof guessDateColumn>>;
  try {
    guess = await guessDateColumn(data);
  } catch {
    return 'date'; // reading the series reports what is wrong with the file
  }
  if (guess.column !== undefined) return guess.column;
  if (guess.header.length === 0 || splitDateColumns(guess.header).length > 0) return 'date';
  throw new DataError(
    `no date column: none is named date, datetime, timestamp, time, ds or period, and none holds dates (2015-03-01, 2015-03-01 14:00, 2015-03, 2015-Q1) in its first rows; name it with --date-col; available columns: ${nameList(guess.header)}`,
    { file: data },
  );
}

/**
 * A series `--data` names: a built-in one ('stocks' is the five symbols as one panel), a CSV
 * file, or a long-format CSV file read as a panel with `seriesCol`.
 */
export async function loadSeriesSource(
  data: string,
  options: SeriesSourceOptions,
): Promise<TimeSeries | SeriesPanel> {
  const missing = options.missing ?? 'error';
  try {
    const builtin = await builtinSeriesData(data, missing);
    if (builtin) return builtin;
    if (await isDirectory(data)) {
      throw new ValueError(
        `--data ${quote(data)} is a directory; a series comes from one .csv/.tsv/.json file, or one of ${SERIES_BUILTINS.join(', ')}`,
      );
    }
    if (!SERIES_FILE.test(data)) {
      throw new ValueError(
        `--data must be one of ${SERIES_BUILTINS.join(', ')} or a .csv/.tsv/.json file, got ${quote(data)}`,
      );
    }
    const read = {
      dateColumn: options.dateCol,
      missing,
      ...(options.columns ? { features: options.columns } : {}),
      ...(options.onTextColumns ? { onTextColumns: options.onTextColumns } : {}),
    };
    return options.seriesCol
      ? await loadPanelCsv(data, { ...read, seriesColumn: options.seriesCol })
      : await loadSeriesCsv(data, read);
  } catch (e) {
    throw e instanceof MissingValueError ? e.withAdvice(CLI_ADVICE) : e;
  }
}
