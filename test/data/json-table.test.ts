import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { MAX_JSON_BYTES } from '../../src/io/datasets/json-table.js';
import { loadPanelCsv, loadSeriesCsv } from '../../src/io/datasets/series.js';
import { loadTextFile } from '../../src/io/datasets/text.js';

// A .json array of records (vega-datasets' cars.json, movies.json) read as a table, with the
// columns, missing values and errors of a CSV file.

let dir = '';
const at = (name: string) => join(dir, name);

const pretty = (records: unknown) => `${JSON.stringify(records, null, 2)}\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kioku-json-table-'));
  await writeFile(
    at('series.json'),
    pretty([
      { date: '2020-01-01', value: 1.5, place: 'Oslo' },
      { date: '2020-01-02', value: 2.5, place: 'Oslo' },
      { date: '2020-01-03', value: null, place: 'Oslo' },
      { date: '2020-01-04', value: 4, place: 'Oslo' },
    ]),
  );
  await writeFile(
    at('panel.json'),
    JSON.stringify([
      { id: 'a', date: '2020-01-01', y: 1 },
      { id: 'a', date: '2020-01-02', y: 2 },
      { id: 'b', date: '2020-01-01', y: 10 },
      { id: 'b', date: '2020-01-02', y: 20 },
    ]),
  );
  await writeFile(
    at('text.json'),
    pretty([
      { title: 'Jaws', genre: 'Thriller' },
      { title: 1776, genre: 'Musical' },
      { title: 'Up', genre: null },
      { title: null, genre: 'Drama' },
      { title: 'Heat', genre: 'Thriller' },
    ]),
  );
  await writeFile(at('object.json'), '{"date": "2020-01-01", "value": 1}\n');
  await writeFile(
    at('nested.json'),
    pretty([
      { date: '2020-01-01', value: 1 },
      { date: '2020-01-02', value: [2] },
    ]),
  );
  await writeFile(at('scalars.json'), '[\n  1,\n  2\n]\n');
  await writeFile(at('broken.json'), '[{"date": "2020-01-01", "value": 1},\n');
  await writeFile(at('latin1.json'), Buffer.from('[{"text": "na\u00efve", "label": "a"}]\n', 'latin1'));
  await writeFile(at('huge.json'), '');
  await truncate(at('huge.json'), MAX_JSON_BYTES + 1);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function message(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return (e as DataError).message.replace(dir, '<dir>');
}

describe('a .json array of records', () => {
  it('is a series: numbers read, null a missing value (with its line), text columns left out', async () => {
    const texts: string[] = [];
    const opts = { dateColumn: 'date', onTextColumns: (c: string[]) => texts.push(...c) };
    expect(await message(loadSeriesCsv(at('series.json'), opts))).toBe(
      "<dir>/series.json:12, column \"value\": missing value (row 2): the cell is empty; choose the missing-value policy 'ffill' or 'drop' to accept gaps",
    );
    const s = await loadSeriesCsv(at('series.json'), { ...opts, missing: 'ffill' });
    expect(Array.from(s.values)).toEqual([1.5, 2.5, 2.5, 4]);
    expect(s.index).toEqual(['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04']);
    expect(texts).toEqual(['place', 'place']);
  });

  it('is a panel with a series column', async () => {
    const p = await loadPanelCsv(at('panel.json'), { dateColumn: 'date', seriesColumn: 'id' });
    expect(p.ids).toEqual(['a', 'b']);
    expect(p.members.map((s) => Array.from(s.values))).toEqual([
      [1, 2],
      [10, 20],
    ]);
  });

  it('is a labelled text file: a number as a title, null texts empty, null labels left out', async () => {
    const c = await loadTextFile(at('text.json'), { textColumn: 'title', labelColumn: 'genre' });
    expect(c.texts).toEqual(['Jaws', '1776', '', 'Heat']);
    expect(c.classes).toEqual(['Drama', 'Musical', 'Thriller']);
    expect(c.labelChanges.emptyRows).toBe(1);
    expect(c.labelChanges.firstEmptyLine).toBe(10);
    expect(c.emptyTexts).toEqual({ rows: 1, lines: [14] });
  });

  it('refuses what is not an array of flat records, naming the line', async () => {
    const read = (name: string) => message(loadSeriesCsv(at(name), { dateColumn: 'date' }));
    expect(await read('object.json')).toBe(
      '<dir>/object.json: a .json file must hold an array of records ([{"date": …, "value": …}, …]), got an object; one record per line is a .jsonl file',
    );
    expect(await read('nested.json')).toBe(
      '<dir>/nested.json:6, column "value": expected a string, number, boolean or null, got an array of 1',
    );
    expect(await read('scalars.json')).toBe(
      '<dir>/scalars.json:2: each element of the array must be a record (an object), got 1',
    );
    expect(await read('broken.json')).toMatch(/^<dir>\/broken\.json: invalid JSON \(/);
  });

  it('is strict UTF-8 and has a size limit', async () => {
    expect(await message(loadTextFile(at('latin1.json')))).toBe(
      '<dir>/latin1.json:1: the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with `iconv -f latin1 -t utf-8`',
    );
    expect(await message(loadSeriesCsv(at('huge.json')))).toBe(
      `<dir>/huge.json: a .json file is read whole, and this one has ${(MAX_JSON_BYTES + 1).toLocaleString('en-US')} bytes (kioku's limit is 256 MiB); write it as JSON lines (.jsonl) or CSV, which are streamed`,
    );
  });

  it('names the record as well as the line where records share a line (a minified file)', async () => {
    const write = (name: string, records: unknown) => writeFile(at(name), JSON.stringify(records));
    await write('min-value.json', [
      { date: '2020-01-01', v: 1 },
      { date: '2020-01-02', v: 2 },
      { date: '2020-01-03', v: 'x' },
    ]);
    await write('min-date.json', [
      { date: '2020-01-01', v: 1 },
      { date: 'soon', v: 2 },
    ]);
    await write('min-order.json', [
      { date: '2020-01-02', v: 1 },
      { date: '2020-01-01', v: 2 },
    ]);
    await write('min-nested.json', [{ date: '2020-01-01', v: [1] }]);
    await write('min-scalar.json', [{ date: '2020-01-01', v: 1 }, 7]);
    await write('min-text.json', [
      { text: 'a', label: 'x' },
      { text: 'b', label: ['y'] },
    ]);
    const series = (name: string) => message(loadSeriesCsv(at(name), { dateColumn: 'date' }));
    expect(await series('min-value.json')).toBe(
      '<dir>/min-value.json:1 (record 3), column "v": expected a number, got "x"',
    );
    expect(await series('min-date.json')).toMatch(/^<dir>\/min-date\.json:1 \(record 2\), column "date": /);
    expect(await series('min-order.json')).toMatch(
      /^<dir>\/min-order\.json:1 \(record 2\), column "date": dates must increase/,
    );
    // One record alone on its line needs no number.
    expect(await series('min-nested.json')).toBe(
      '<dir>/min-nested.json:1, column "v": expected a string, number, boolean or null, got an array of 1',
    );
    expect(await series('min-scalar.json')).toBe(
      '<dir>/min-scalar.json:1 (record 2): each element of the array must be a record (an object), got 7',
    );
    expect(await message(loadTextFile(at('min-text.json')))).toBe(
      '<dir>/min-text.json:1 (record 2), column "label": label must be a string, number or boolean, got an array of 1',
    );
    const e = await loadSeriesCsv(at('min-value.json'), { dateColumn: 'date' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect([(e as DataError).line, (e as DataError).record]).toEqual([1, 3]);
  });
});
