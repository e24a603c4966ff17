import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku } from '../helpers/cli.js';

/**
 * A newcomer's files, round 4: the US births of 2000–2014 as the Social Security Administration
 * publishes them (and @stdlib ships them): year, month and day of month in columns of their
 * own, no date column; the same table as one minified .json array.
 */

let dir = '';
const at = (name: string) => join(dir, name);

/** The first 60 days of 2000, as the SSA table writes them. */
const rows = Array.from({ length: 60 }, (_, i) => {
  const d = new Date(Date.UTC(2000, 0, 1 + i));
  return {
    year: 2000,
    month: d.getUTCMonth() + 1,
    date_of_month: d.getUTCDate(),
    day_of_week: ((i + 5) % 7) + 1,
    births: 9000 + ((i * 37) % 500),
  };
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kioku-newcomer4-'));
  const header = 'year,month,date_of_month,day_of_week,births';
  await writeFile(at('births.csv'), `${header}\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`);
  const dated = rows.map((r) => ({
    date: `2000-${String(r.month).padStart(2, '0')}-${String(r.date_of_month).padStart(2, '0')}`,
    births: r.births,
  }));
  dated[41]!.births = 'n/a' as unknown as number;
  await writeFile(at('births.json'), JSON.stringify(dated));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a daily table whose dates are split over year, month and day columns', () => {
  it('train series says the dates must be one column, naming the parts', async () => {
    const r = await kioku(
      'train',
      'series',
      '--data',
      at('births.csv'),
      '--target',
      'births',
      '--out',
      at('run'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${at('births.csv')}, column "date": unknown date column; the dates are split over year, month, date_of_month: kioku reads a date from one column (2015-03-01, 2015-03-01 14:00), so join them into one; available columns: year, month, date_of_month, day_of_week, births\n`,
    );
  });
});

describe('the same births as one minified .json array', () => {
  it('train series names the record of a bad value, not only line 1', async () => {
    const r = await kioku(
      'train',
      'series',
      '--data',
      at('births.json'),
      '--target',
      'births',
      '--out',
      at('run-json'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${at('births.json')}:1 (record 42), column "births": missing value (row 41): the cell reads "n/a", a missing-value marker; pass --missing ffill or --missing drop to accept gaps\n`,
    );
  });
});
