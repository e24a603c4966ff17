import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku } from '../helpers/cli.js';

/**
 * Without --date-col, a series file's date column is found by its name (date, datetime,
 * timestamp, time, ds, …), kept with the model and read again by forecast.
 */

let root: string;

async function series(name: string, header: string): Promise<string> {
  const path = join(root, name);
  const lines = [header];
  for (let i = 0; i < 120; i++) {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    lines.push(`${date},${(10 + Math.sin(i / 3) + (i % 7)).toFixed(3)}`);
  }
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

  it('is still asked for by name when no column is named like a date', async () => {
    const data = await series('when.csv', 'when,load');
    const r = await train(data, join(root, 'x'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('column "date": unknown date column; available columns: when, load');
  });
});
