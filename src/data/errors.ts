import { KiokuError } from '../tensor/errors.js';

/** Where in an input file a problem was found. Lines are 1-based, as an editor shows them. */
export interface DataLocation {
  file?: string;
  line?: number;
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
  readonly column: string | number | undefined;

  constructor(message: string, location: DataLocation = {}) {
    super(formatLocation(location) + message);
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
  }
}

function formatLocation({ file, line, column }: DataLocation): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(line !== undefined ? `${file}:${line}` : file);
  else if (line !== undefined) parts.push(`line ${line}`);
  if (column !== undefined)
    parts.push(typeof column === 'number' ? `column ${column}` : `column "${column}"`);
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
