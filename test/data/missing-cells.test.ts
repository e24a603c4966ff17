import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { applyMissingPolicy } from '../../src/data/missing.js';
import { makeSeries } from '../../src/data/series.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';

/**
 * A series CSV's gaps: an empty cell, a literal NaN and a marker such as NA are all missing
 * values for the policies, and the errors say which one the file held, where.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kioku-missing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(name: string, cell: string, row = 2): Promise<string> {
  const rows = ['date,a,b'];
  for (let i = 0; i < 5; i++) rows.push(`2020-01-0${i + 1},${i === row ? cell : i + 1},${10 * (i + 1)}`);
  const path = join(dir, name);
  await writeFile(path, `${rows.join('\n')}\n`);
  return path;
}

async function failure(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

const hint = "; choose the missing-value policy 'ffill' or 'drop' to accept gaps";

describe('missing cells in a series CSV', () => {
  it.each([
    ['empty', '', 'the cell is empty'],
    ['blank', '  ', 'the cell is empty'],
    ['NaN', 'NaN', 'the cell reads "NaN" (not a number)'],
    ['nan', ' nan', 'the cell reads " nan" (not a number)'],
    ['NA', 'NA', 'the cell reads "NA", a missing-value marker'],
    ['null', 'null', 'the cell reads "null", a missing-value marker'],
  ])('%s: names the file, line, column, row and what the cell held', async (name, cell, what) => {
    const path = await csv(`${name}.csv`, cell);
    const e = await failure(loadSeriesCsv(path, { dateColumn: 'date' }));
    expect(e.message).toBe(`${path}:4, column "a": missing value (row 2): ${what}${hint}`);
    expect([e.file, e.line, e.column]).toEqual([path, 4, 'a']);
  });

  it('tells non-numeric text apart from a missing value', async () => {
    const path = await csv('text.csv', 'n/a?');
    expect((await failure(loadSeriesCsv(path, { dateColumn: 'date' }))).message).toBe(
      `${path}:4, column "a": expected a number, got "n/a?"`,
    );
  });

  it("fills or drops a literal NaN like an empty cell, and names a first one 'ffill' cannot fill", async () => {
    const path = await csv('fill.csv', 'NaN');
    const filled = await loadSeriesCsv(path, { dateColumn: 'date', missing: 'ffill' });
    expect(Array.from(filled.values)).toEqual([1, 10, 2, 20, 2, 30, 4, 40, 5, 50]);
    const dropped = await loadSeriesCsv(path, { dateColumn: 'date', missing: 'drop' });
    expect(dropped.index).toEqual(['2020-01-01', '2020-01-02', '2020-01-04', '2020-01-05']);
    const first = await csv('first.csv', '', 0);
    expect((await failure(loadSeriesCsv(first, { dateColumn: 'date', missing: 'ffill' }))).message).toBe(
      `${first}:2, column "a": missing first value (row 0): the cell is empty; 'ffill' has no earlier value to repeat, use policy 'drop'`,
    );
  });

  it('calls a NaN of a series built in memory a NaN value', () => {
    const s = makeSeries(['a'], [[1], [Number.NaN]], { source: 'mem', lines: Int32Array.of(7, 8) });
    expect(() => applyMissingPolicy(s, 'error')).toThrow(
      `mem:8, column "a": missing value (row 1): the value is NaN${hint}`,
    );
    expect(() => applyMissingPolicy(s, 'error', { cellText: 'x' as never })).toThrow(
      'applyMissingPolicy: options.cellText must be a function, got string',
    );
  });
});
