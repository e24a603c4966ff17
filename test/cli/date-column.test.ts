import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku } from '../helpers/cli.js';

/**
 * Without --date-col, a series file's date column is found by its name (date, datetime,
 * timestamp, time, ds, …) or else by its values, kept with the model and read again by forecast.
 */

let root: string;
const isoDay = (i: number) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);

async function series(name: string, header: string, dateOf = (i: number) => isoDay(i)): Promise<string> {
  const path = join(root, name);
  const lines = [header];
  for (let i = 0; i < 120; i++) lines.push(`${dateOf(i)},${(10 + Math.sin(i / 3) + (i % 7)).toFixed(3)}`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

const train = (data: string, out: string) =>
  kioku('train', 'series', '--data', data, '--target', 'load', '--epochs', '1', '--out', out);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-date-col-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the date column of a series file', () => {
  it('is the column named Timestamp when --date-col is left out, and forecast reads it again', async () => {
    const data = await series('ts.csv', 'Timestamp,load');
    const out = join(root, 'run');
    const r = await train(data, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dates: daily \(median spacing 1 day\)/);
    const config = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8'));
    expect(config.series.dateColumn).toBe('Timestamp');
    const f = await kioku('forecast', '--model', join(out, 'model'), '--data', data, '--json');
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout.split('\n')[0]!).date).toBe('2020-04-30');
  });

  it('is the first column of dates when none is named like one (vega-datasets names it month)', async () => {
    const data = await series('when.csv', 'load_id,when,load', (i) => `${1000 + i},${isoDay(i)}`);
    const out = join(root, 'when');
    const r = await train(data, out);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8'));
    expect(config.series.dateColumn).toBe('when');
  });

  it('is a column of years only when it is named year', async () => {
    const years = (i: number) => String(1880 + i);
    const yearly = await series('year.csv', 'Year,load', years);
    const r = await train(yearly, join(root, 'year'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dates: yearly/);
    const counts = await series('count.csv', 'count,load', years);
    const refused = await train(counts, join(root, 'count'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'count.csv: no date column: none is named date, datetime, timestamp, time, ds or period, and none holds dates (',
    );
    expect(refused.stderr).toContain('name it with --date-col; available columns: count, load');
  });
});
