import { KiokuError } from '../tensor/errors.js';

/** The most characters of one piece of user input (a cell, a flag value, a name) a message quotes. */
export const QUOTE_LIMIT = 80;
/** The most characters a message spends on a list of names (columns, keys, labels). */
const LIST_LIMIT = 200;

/**
 * `text` in double quotes for a message, cut to its first `limit` characters (with its length)
 * when longer: a 200 MB line in a file never ends up whole in an error.
 */
export function quote(text: string, limit = QUOTE_LIMIT): string {
  if (text.length <= limit) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, limit))}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** Names from the input as "a, b, c" for a message, long names cut, long lists cut with a count. */
export function nameList(names: readonly string[]): string {
  const short = (n: string) => (n.length <= QUOTE_LIMIT ? n : `${n.slice(0, QUOTE_LIMIT)}…`);
  let text = '';
  for (const [i, name] of names.entries()) {
    const next = `${i > 0 ? ', ' : ''}${short(name)}`;
    if (text.length + next.length > LIST_LIMIT) return `${text}, … (${names.length} in all)`;
    text += next;
  }
  return text;
}

/** Where in an input file a problem was found. Lines are 1-based, as an editor shows them. */
export interface DataLocation {
  file?: string;
  line?: number;
  /**
   * The 1-based record of a JSON array, given where several records share the line (a
   * minified file is all line 1).
   */
  record?: number | undefined;
  column?: string | number;
}

/**
 * Bad input data (a malformed CSV row, a non-numeric value, an unknown column, an empty file,
 * a missing directory). The message starts with the location; the fields carry it for programs.
 */
export class DataError extends KiokuError {
  override name = 'DataError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly record: number | undefined;
  readonly column: string | number | undefined;

  constructor(message: string, location: DataLocation = {}) {
    super(formatLocation(location) + message);
    this.file = location.file;
    this.line = location.line;
    this.record = location.record;
    this.column = location.column;
  }
}

function formatLocation({ file, line, record, column }: DataLocation): string {
  const parts: string[] = [];
  const ofRecord = record !== undefined ? ` (record ${record})` : '';
  if (file !== undefined) parts.push(line !== undefined ? `${file}:${line}${ofRecord}` : file);
  else if (line !== undefined) parts.push(`line ${line}${ofRecord}`);
  if (column !== undefined)
    parts.push(typeof column === 'number' ? `column ${column}` : `column ${quote(column)}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/** A built-in dataset whose npm package is not installed. */
export class MissingPackageError extends KiokuError {
  override name = 'MissingPackageError';
  readonly packageName: string;

  constructor(packageName: string, purpose: string) {
    super(
      `${purpose} needs the npm package ${packageName}; install it with: npm install --save-dev ${packageName}`,
    );
    this.packageName = packageName;
  }
}
