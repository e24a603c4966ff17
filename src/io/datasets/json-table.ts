import { readFile, stat } from 'node:fs/promises';
import { DataError } from '../../data/errors.js';
import { describe } from '../../data/numeric.js';
import { checkFile, decodeUtf8, type Row } from './files.js';

/**
 * A .json file holding an array of records (objects), as vega-datasets ships its tables
 * (cars.json, movies.json): read as a table whose columns are the records' keys. JSON has no
 * streaming form here, so the file is read whole, within {@link MAX_JSON_BYTES}.
 */

/** The largest .json file read (it is parsed whole); JSON lines and CSV stream without a limit. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * One record of the array and the file line it starts on; `index`, its 1-based number in the
 * array, is set where another record starts on the same line (every record of a minified file
 * is on line 1).
 */
export interface JsonRecord {
  record: Record<string, unknown>;
  line: number;
  index?: number | undefined;
}

/** Each element's 1-based number where its line is shared with a neighbour, else undefined. */
function sharedLineIndices(lines: readonly number[]): Array<number | undefined> {
  return lines.map((l, i) => (lines[i - 1] === l || lines[i + 1] === l ? i + 1 : undefined));
}

/** The line each element of the top-level array starts on (the text is valid JSON). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (depth === 1 && expectElement && c !== ']') {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return lines;
}

/** A JSON value in a message: "an object", "an array of 3", "null", "1", a quoted string. */
const kind = (v: unknown): string =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? 'an object' : describe(v);

/** The records of a .json file: strict UTF-8, an array of objects, each with its line. */
export async function readJsonRecords(path: string): Promise<JsonRecord[]> {
  await checkFile(path);
  const { size } = await stat(path);
  if (size > MAX_JSON_BYTES) {
    throw new DataError(
      `a .json file is read whole, and this one has ${size.toLocaleString('en-US')} bytes (kioku's limit is ${MAX_JSON_BYTES / 1024 / 1024} MiB); write it as JSON lines (.jsonl) or CSV, which are streamed`,
      { file: path },
    );
  }
  const text = decodeUtf8(await readFile(path), path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DataError(`invalid JSON (${(e as Error).message})`, { file: path });
  }
  if (!Array.isArray(data)) {
    throw new DataError(
      `a .json file must hold an array of records ([{"date": …, "value": …}, …]), got ${kind(data)}; one record per line is a .jsonl file`,
      { file: path },
    );
  }
  if (data.length === 0) throw new DataError('empty array (no records)', { file: path });
  const lines = elementLines(text);
  const indices = sharedLineIndices(lines);
  return data.map((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new DataError(`each element of the array must be a record (an object), got ${kind(record)}`, {
        file: path,
        line: lines[i],
        record: indices[i],
      });
    }
    return { record: record as Record<string, unknown>, line: lines[i]!, index: indices[i] };
  });
}

/** A record's value as a table cell: text as it is, numbers and booleans written out, null empty. */
function cell(value: unknown, path: string, at: JsonRecord, column: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new DataError(`expected a string, number, boolean or null, got ${kind(value)}`, {
    file: path,
    line: at.line,
    record: at.index,
    column,
  });
}

/**
 * A .json array of records as a table, in the shape `readCsv` yields: the header (every key, in
 * order of first appearance), then one row per record. A key a record lacks, or null, is an
 * empty cell (a missing value); a nested object or array is an error naming its line and key.
 */
export async function* readJsonTable(
  path: string,
): AsyncGenerator<{ header: string[] } | Row, void, undefined> {
  const records = await readJsonRecords(path);
  const keys = new Set<string>();
  for (const { record } of records) for (const k of Object.keys(record)) keys.add(k);
  const header = [...keys];
  if (header.length === 0) throw new DataError('the records have no keys', { file: path });
  yield { header };
  for (const at of records) {
    yield { fields: header.map((k) => cell(at.record[k], path, at, k)), line: at.line, record: at.index };
  }
}

/** Whether a path names a .json file (an array of records), by its extension. */
export const isJsonTable = (path: string): boolean => /\.json$/i.test(path);
