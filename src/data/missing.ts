import { ValueError } from '../tensor/errors.js';
import { DataError, type DataLocation, quote } from './errors.js';
import type { TimeSeries } from './series.js';

/**
 * What to do with missing values (NaN; empty cells and markers such as NaN or NA in a CSV):
 * 'error' stops at the first one, naming its line, column and what the cell held; 'ffill'
 * repeats the last observed value of that column (a missing first value is an error: nothing
 * to repeat); 'drop' removes the rows that have any (the series is then no longer evenly spaced).
 */
export type MissingPolicy = 'error' | 'ffill' | 'drop';

export interface MissingPolicyOptions {
  /**
   * The source text of the missing value at (row, column), when the series was read from a
   * file, so that errors tell an empty cell from a literal "NaN" or "NA".
   */
  cellText?: (row: number, column: number) => string | undefined;
  /** The JSON record a row came from, where records share a line (a minified .json file). */
  record?: (row: number) => number | undefined;
}

/** The way out of a missing-value error: accept gaps at all, or drop rows when ffill cannot fill. */
export type MissingRemedy = 'gaps' | 'firstValue';

/** The advice a {@link MissingValueError} ends with, in the words of its reader's interface. */
export type MissingAdvice = Record<MissingRemedy, string>;

const LIBRARY_ADVICE: MissingAdvice = {
  gaps: "choose the missing-value policy 'ffill' or 'drop' to accept gaps",
  firstValue: "'ffill' has no earlier value to repeat, use policy 'drop'",
};

/**
 * A missing value the policy cannot accept: a DataError whose advice names the library's policy
 * option; {@link MissingValueError.withAdvice} restates it for another interface (the CLI's flag).
 */
export class MissingValueError extends DataError {
  constructor(
    readonly fact: string,
    readonly location: DataLocation,
    readonly remedy: MissingRemedy,
    advice: MissingAdvice = LIBRARY_ADVICE,
  ) {
    super(`${fact}; ${advice[remedy]}`, location);
  }

  /** The same error (location, fact) with `advice` in place of the library's. */
  withAdvice(advice: MissingAdvice): MissingValueError {
    return new MissingValueError(this.fact, this.location, this.remedy, advice);
  }
}

/** What a missing value really was: an empty cell, a marker such as "NaN", or a NaN number. */
function describeMissing(text: string | undefined): string {
  if (text === undefined) return 'the value is NaN';
  const t = text.trim();
  if (t === '') return 'the cell is empty';
  if (t.toLowerCase() === 'nan') return `the cell reads ${quote(text)} (not a number)`;
  return `the cell reads ${quote(text)}, a missing-value marker`;
}

export function applyMissingPolicy(
  series: TimeSeries,
  policy: MissingPolicy,
  options: MissingPolicyOptions = {},
): TimeSeries {
  if (policy !== 'error' && policy !== 'ffill' && policy !== 'drop') {
    throw new ValueError(
      `applyMissingPolicy: policy must be 'error', 'ffill' or 'drop', got ${String(policy)}`,
    );
  }
  const { cellText, record } = options;
  if (cellText !== undefined && typeof cellText !== 'function') {
    throw new ValueError(`applyMissingPolicy: options.cellText must be a function, got ${typeof cellText}`);
  }
  if (record !== undefined && typeof record !== 'function') {
    throw new ValueError(`applyMissingPolicy: options.record must be a function, got ${typeof record}`);
  }
  const F = series.columns.length;
  const N = series.length;
  const v = series.values;
  const where = (r: number, c: number) => ({
    file: series.source,
    line: series.lines?.[r],
    record: record?.(r),
    column: series.columns[c],
  });
  if (policy === 'error') {
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i])) {
        const r = Math.floor(i / F);
        const what = describeMissing(cellText?.(r, i % F));
        throw new MissingValueError(`missing value (row ${r}): ${what}`, where(r, i % F), 'gaps');
      }
    }
    return series;
  }
  if (policy === 'ffill') {
    const out = v.slice();
    for (let c = 0; c < F; c++) {
      for (let r = 0; r < N; r++) {
        if (!Number.isNaN(out[r * F + c])) continue;
        if (r === 0) {
          const what = describeMissing(cellText?.(r, c));
          throw new MissingValueError(`missing first value (row 0): ${what}`, where(r, c), 'firstValue');
        }
        out[r * F + c] = out[(r - 1) * F + c]!;
      }
    }
    return { ...series, values: out };
  }
  const keep: number[] = [];
  for (let r = 0; r < N; r++) {
    let ok = true;
    for (let c = 0; c < F; c++) if (Number.isNaN(v[r * F + c])) ok = false;
    if (ok) keep.push(r);
  }
  if (keep.length === N) return series;
  if (keep.length === 0) {
    throw new DataError(`every one of the ${N} rows has a missing value; no rows left after 'drop'`, {
      file: series.source,
    });
  }
  const out = new Float32Array(keep.length * F);
  keep.forEach((r, k) => {
    out.set(v.subarray(r * F, (r + 1) * F), k * F);
  });
  return {
    ...series,
    values: out,
    length: keep.length,
    ...(series.index ? { index: keep.map((r) => series.index![r]!) } : {}),
    ...(series.lines ? { lines: Int32Array.from(keep, (r) => series.lines![r]!) } : {}),
  };
}
