import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CsvError, parse } from 'csv-parse';
import { DataError, MissingPackageError } from '../../data/errors.js';

/** A parsed data row and the file line it ended on (1-based). */
export interface Row {
  fields: string[];
  line: number;
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
 * Streams a CSV/TSV file: first the header, then each row, checked against the header's
 * column count. Memory stays bounded by the longest row, whatever the file size.
 */
export async function* readCsv(
  path: string,
  delimiter: string,
): AsyncGenerator<{ header: string[] } | Row, void, undefined> {
  await checkFile(path);
  const parser = createReadStream(path).pipe(
    parse({ delimiter, info: true, relax_column_count: true, bom: true, skip_empty_lines: true }),
  );
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
        throw new DataError(
          `expected ${header.length} columns (${header.join(', ')}), got ${record.length}`,
          {
            file: path,
            line: info.lines,
          },
        );
      }
      yield { fields: record, line: info.lines };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw new DataError(`malformed CSV (${e.message})`, { file: path, line });
    }
    throw e;
  } finally {
    parser.destroy();
  }
  if (header === null) throw new DataError('empty file (no header row)', { file: path });
}

/** Streams the non-blank lines of a text file with their 1-based line numbers. */
export async function* readLines(
  path: string,
): AsyncGenerator<{ text: string; line: number }, void, undefined> {
  await checkFile(path);
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() !== '') yield { text, line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The index of a named column in a header, or a DataError listing the available columns. */
export function headerIndex(header: readonly string[], name: string, file: string, role: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    throw new DataError(`unknown ${role} column; available columns: ${header.join(', ')}`, {
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
