import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { DataError, MissingPackageError, nameList, quote } from '../../data/errors.js';

/** A parsed data row and the file line it ended on (1-based). */
export interface Row {
  fields: string[];
  line: number;
  /** A JSON table's 1-based record, where several records share the line. */
  record?: number | undefined;
}

/** The delimiter for a file: tab for .tsv/.tab, comma otherwise, unless given. */
export function delimiterFor(path: string, delimiter?: string): string {
  if (delimiter !== undefined) {
    if (typeof delimiter !== 'string' || delimiter.length !== 1) {
      throw new DataError(`delimiter must be one character, got ${JSON.stringify(delimiter)}`, {
        file: path,
      });
    }
    return delimiter;
  }
  const ext = extname(path).toLowerCase();
  return ext === '.tsv' || ext === '.tab' ? '\t' : ',';
}

/** Fails with a DataError naming the file when it does not exist or is not a file. */
export async function checkFile(path: string): Promise<void> {
  if (typeof path !== 'string' || path === '')
    throw new DataError(`path must be a non-empty string, got ${String(path)}`);
  const s = await stat(path).catch(() => null);
  if (s === null) throw new DataError('file not found', { file: path });
  if (!s.isFile()) throw new DataError('not a file', { file: path });
}

/**
 * The longest line (or CSV record) read, in characters: far beyond any real row, and small enough
 * that a file with one huge cell fails at once instead of exhausting memory.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

function lineTooLong(path: string, line: number | undefined, what = 'a line', hint = ''): DataError {
  return new DataError(
    `${what} longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB (${MAX_LINE_CHARS.toLocaleString('en-US')} characters), kioku's limit for one row${hint}`,
    { file: path, line },
  );
}

/**
 * The file's text in chunks, decoded as UTF-8 (a byte-order mark dropped). Bytes that are not
 * UTF-8 (a Latin-1 or Windows-1252 export) are an error naming their line, rather than text
 * silently turned into U+FFFD.
 */
export async function* readUtf8(path: string): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for await (const bytes of createReadStream(path) as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      throw notUtf8(path, line, bytes);
    }
    line += countLineBreaks(text);
    if (text !== '') yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } catch {
    throw notUtf8(path, line, Buffer.alloc(0));
  }
}

/** Whole-file bytes as UTF-8 text (a byte-order mark dropped); not UTF-8 is the error of {@link readUtf8}. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notUtf8(path, 1, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The error for a chunk that is not UTF-8, at the line of its first bad byte (the chunk starts on `line`). */
function notUtf8(path: string, line: number, bytes: Buffer): DataError {
  const lenient = new TextDecoder('utf-8').decode(bytes);
  const bad = lenient.indexOf('\uFFFD');
  const at = line + (bad < 0 ? 0 : countLineBreaks(lenient.slice(0, bad)));
  return new DataError(
    'the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with `iconv -f latin1 -t utf-8`',
    { file: path, line: at },
  );
}

/**
 * The delimiter of a .csv file whose first line has no comma: ';' or a tab when the line has one
 * of them (a spreadsheet's export in a locale that writes decimal commas), else `delimiter`.
 */
async function sniffDelimiter(path: string, delimiter: string): Promise<string> {
  if (delimiter !== ',') return delimiter;
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(64 * 1024), position: 0 });
    const first =
      buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .split(/\r\n?|\n/, 1)[0] ?? '';
    if (first.includes(',')) return delimiter;
    return [';', '\t'].find((d) => first.includes(d)) ?? delimiter;
  } finally {
    await file.close();
  }
}

/**
 * Streams a CSV/TSV file: first the header, then each row, checked against the header's
 * column count. Memory stays bounded by the longest row ({@link MAX_LINE_CHARS} at most),
 * whatever the file size. A comma-delimited file whose header line holds no comma but
 * semicolons (or tabs) is read with those.
 */
export async function* readCsv(
  path: string,
  delimiter: string,
): AsyncGenerator<{ header: string[] } | Row, void, undefined> {
  await checkFile(path);
  const parser = parse({
    delimiter: await sniffDelimiter(path, delimiter),
    info: true,
    relax_column_count: true,
    bom: true,
    skip_empty_lines: true,
    max_record_size: MAX_LINE_CHARS,
  });
  // pipe() does not pass a source's error on: a file that is not UTF-8 fails the parser with it.
  const source = Readable.from(readUtf8(path)).on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (header === null) {
        header = record.map((h) => h.trim());
        yield { header };
        continue;
      }
      if (record.length !== header.length) {
        throw new DataError(`expected ${header.length} columns (${nameList(header)}), got ${record.length}`, {
          file: path,
          line: info.lines,
        });
      }
      yield { fields: record, line: info.lines };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      if (e.code === 'CSV_MAX_RECORD_SIZE') {
        throw lineTooLong(path, line, 'a row', ' (a quote left open runs on to the end of the file)');
      }
      throw new DataError(`malformed CSV (${e.message})`, { file: path, line });
    }
    throw e;
  } finally {
    parser.destroy();
    source.destroy();
  }
  if (header === null) throw new DataError('empty file (no header row)', { file: path });
}

/**
 * Streams the non-blank lines of a text file with their 1-based line numbers (a line ends at
 * \n, \r\n or \r). A line longer than {@link MAX_LINE_CHARS} is an error.
 */
export async function* readLines(
  path: string,
): AsyncGenerator<{ text: string; line: number }, void, undefined> {
  await checkFile(path);
  const stream = readUtf8(path);
  let line = 0;
  let pieces: string[] = [];
  let size = 0;
  // A chunk that ends with \r: a \n starting the next one belongs to the same line break.
  let afterCR = false;
  try {
    for await (const chunk of stream) {
      let from: number = afterCR && chunk.startsWith('\n') ? 1 : 0;
      afterCR = false;
      const breaks = /\r\n?|\n/g;
      breaks.lastIndex = from;
      for (let m = breaks.exec(chunk); m !== null; m = breaks.exec(chunk)) {
        const text = pieces.join('') + chunk.slice(from, m.index);
        pieces = [];
        size = 0;
        line++;
        if (text.length > MAX_LINE_CHARS) throw lineTooLong(path, line);
        if (text.trim() !== '') yield { text, line };
        from = m.index + m[0].length;
        afterCR = m[0] === '\r' && from === chunk.length;
      }
      pieces.push(chunk.slice(from));
      size += chunk.length - from;
      if (size > MAX_LINE_CHARS) throw lineTooLong(path, line + 1);
    }
  } finally {
    await stream.return();
  }
  const last = pieces.join('');
  if (last.trim() !== '') yield { text: last, line: line + 1 };
}

/** The index of a named column in a header, or a DataError listing the available columns. */
export function headerIndex(header: readonly string[], name: string, file: string, role: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    const near = header.filter((h) => h.trim().toLowerCase() === name.trim().toLowerCase());
    const hint = near.length === 1 ? `; did you mean ${quote(near[0]!)}? (names are case-sensitive)` : '';
    throw new DataError(`unknown ${role} column${hint}; available columns: ${nameList(header)}`, {
      file,
      column: name,
    });
  }
  return i;
}

const require = createRequire(import.meta.url);

/**
 * The root directory of an installed package. A missing package fails with a
 * MissingPackageError that says what to install.
 */
export function packageDir(name: string, purpose: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages with an `exports` map hide package.json; walk up from the entry point.
  }
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new MissingPackageError(name, purpose);
  }
  let dir = dirname(entry);
  while (dirname(dir) !== dir) {
    try {
      const pkg = require(join(dir, 'package.json')) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json at this level
    }
    dir = dirname(dir);
  }
  throw new MissingPackageError(name, purpose);
}
