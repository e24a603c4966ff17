import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/io/datasets/files.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { kioku, tinyTextTraining } from '../helpers/cli.js';

/**
 * A newcomer's third pass with data nothing was built for (vega-datasets' Iowa electricity by
 * source, …): each refusal says what would work instead.
 */

const vega = (file: string) => join(packageDir('vega-datasets', 'newcomer test'), 'data', file);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-newcomer3-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train series on a short yearly panel (Iowa electricity by source)', () => {
  const iowa = (out: string, ...more: string[]) =>
    kioku(
      'train',
      'series',
      '--data',
      vega('iowa-electricity.csv'),
      '--date-col',
      'year',
      '--series-col',
      'source',
      '--target',
      'net_generation',
      '--hidden',
      '2',
      '--epochs',
      '1',
      '--quiet',
      '--out',
      join(root, out),
      ...more,
    );

  it('shortens the default lookback to fit, and names the largest --lookback that fits one asked for', async () => {
    const r = await iowa('default');
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(await readFile(join(root, 'default', 'model', 'config.json'), 'utf8'));
    expect(config.series.lookback).toBe(5); // half the 10 rows of the longest window that fits
    const asked = await iowa('asked', '--lookback', '30');
    expect(asked.code).toBe(1);
    expect(asked.stderr).toBe(
      'kioku: --lookback 30 with --horizon 1 needs 32 training rows (1 more for the log difference), but the longest training split (source Fossil Fuels) has 12; --lookback 10 is the largest that fits\n',
    );
    expect(existsSync(join(root, 'asked'))).toBe(false);
    const fits = await iowa('fits', '--lookback', '10');
    expect(fits.code, fits.stderr).toBe(0);
  }, 60_000);

  it('names a shorter --horizon when no lookback fits the one asked for', async () => {
    const r = await iowa('long', '--lookback', '8', '--horizon', '4');
    expect(r.stderr).toBe(
      'kioku: --lookback 8 with --horizon 4 needs 13 training rows (1 more for the difference), but the longest training split (source Fossil Fuels) has 5; --horizon 3 with --lookback 4 is the largest that fits\n',
    );
    const fits = await iowa('short', '--lookback', '4', '--horizon', '3');
    expect(fits.code, fits.stderr).toBe(0);
  }, 60_000);
});

describe('kioku train text on a table exported with missing labels and empty texts', () => {
  /** pandas' to_csv of float labels with a missing one: 1.0, 0.0 and NaN; two texts empty. */
  async function exported(): Promise<string> {
    const rows = ['text,label'];
    const words = ['good', 'bad', 'fine', 'poor', 'great', 'awful'];
    for (let i = 0; i < 30; i++) rows.push(`${words[i % 6]} day ${i},${i % 2 === 0 ? '1.0' : '0.0'}`);
    rows.splice(5, 0, 'odd one,NaN', ',1.0');
    rows.splice(12, 0, 'another,nan', '   ,0.0');
    const file = join(root, 'exported.csv');
    await writeFile(file, `${rows.join('\n')}\n`);
    return file;
  }

  it('leaves out the NaN labels instead of training a class "NaN", and names the empty texts', async () => {
    const file = await exported();
    const r = await kioku(...tinyTextTraining(file, join(root, 'text')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes(file))).toEqual([
      `kioku: warning: ${file}: left out 2 row(s) with an empty label or a missing-value marker ("NaN", "nan") (the first at line 6)`,
      `kioku: warning: ${file}: labels normalised (spaces trimmed, numbers written one way): "1.0" → "1" (16 rows), "0.0" → "0" (16 rows)`,
      `kioku: warning: ${file}: 2 text(s) are empty (lines 7, 14); the model reads no input for them, and learns or is scored on a guess`,
    ]);
    const corpus = await loadTextFile(file);
    expect(corpus.classes).toEqual(['0', '1']);
    expect(corpus.texts).toHaveLength(32);
  }, 60_000);

  it('predict --file warns that a .json file is read line by line, as a .csv file is', async () => {
    const file = join(root, 'texts.json');
    await writeFile(file, '[{"text": "good day"}]\n');
    const r = await kioku('predict', '--model', join(root, 'text', 'model'), '--file', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `kioku: warning: --file ${file} is read as one text per line, each whole line a text (a header row and every column included), not as a table\n`,
    );
  });

  it('keeps a class spelled like a marker when the classes are fixed', async () => {
    const file = join(root, 'none.csv');
    await writeFile(file, 'text,label\na,None\nb,some\nc,NA\n');
    const c = await loadTextFile(file, { classes: ['None', 'some'] });
    expect(Array.from(c.labels)).toEqual([0, 1]);
    expect(c.labelChanges.missingMarkers).toEqual(['NA']);
  });

  it('refuses a file whose every label is missing, naming the markers', async () => {
    const file = join(root, 'all-nan.csv');
    await writeFile(file, 'text,label\na,NaN\nb,\n');
    await expect(loadTextFile(file)).rejects.toThrow(
      'every row\'s label is empty or a missing-value marker ("NaN") (2 rows)',
    );
  });
});

describe('vega-datasets tables written as .json arrays of records', () => {
  it('train text reads movies.json: genres as classes, the movies without one left out', async () => {
    const file = vega('movies.json');
    const flags = ['--text-col', 'Title', '--label-col', 'Major Genre'];
    const r = await kioku(...tinyTextTraining(file, join(root, 'movies'), {}, ...flags, '--limit', '400'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `kioku: warning: ${file}: left out 275 row(s) with an empty label (the first at line 2)`,
    );
    const corpus = await loadTextFile(file, { textColumn: 'Title', labelColumn: 'Major Genre' });
    expect(corpus.texts).toHaveLength(3201 - 275);
    expect(corpus.classes).toHaveLength(12);
    expect(corpus.texts).toContain('1776');
  }, 60_000);

  it('train series reads unemployment-across-industries.json as a panel', async () => {
    const r = await kioku(
      'train',
      'series',
      '--data',
      vega('unemployment-across-industries.json'),
      '--date-col',
      'date',
      '--series-col',
      'series',
      '--target',
      'count',
      '--features',
      'count',
      '--lookback',
      '6',
      '--hidden',
      '2',
      '--epochs',
      '1',
      '--out',
      join(root, 'unemployment'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Test split \(14 series, first 2008-03-01T08:00:00\.000Z/m);
  }, 60_000);

  it('a file of another kind is refused naming the formats', async () => {
    const r = await kioku(
      'train',
      'series',
      '--data',
      vega('flights-200k.arrow'),
      '--target',
      'delay',
      '--out',
      join(root, 'arrow'),
    );
    expect(r.stderr).toBe(
      `kioku: --data must be one of seattle-weather, births, sp500, stocks, stocks:AAPL, stocks:AMZN, stocks:GOOG, stocks:IBM, stocks:MSFT or a .csv/.tsv/.json file, got "${vega('flights-200k.arrow')}"\n`,
    );
  });
});
