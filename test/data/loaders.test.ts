import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVocab, encodeCorpus } from '../../src/data/corpus.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { DataError, MissingPackageError } from '../../src/data/errors.js';
import { WordTokenizer } from '../../src/data/tokenizers.js';
import { packageDir } from '../../src/io/datasets/files.js';
import { loadImdb } from '../../src/io/datasets/imdb.js';
import { loadSeriesCsv, type SeriesCsvOptions } from '../../src/io/datasets/series.js';
import { loadTextFile, streamTextFile } from '../../src/io/datasets/text.js';

const fx = (name: string) => join('fixtures', 'data', name);

async function message(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('text file loaders', () => {
  it('reads CSV with quoted multi-line fields, classes sorted', async () => {
    const c = await loadTextFile(fx('reviews.csv'));
    expect(c.texts).toEqual([
      'A wonderful film, truly moving.',
      'Terrible. I want my money back!',
      'Great cast, "great" script\nand a fine ending.',
      'ひどい映画でした。',
      '最高の映画 🎉',
    ]);
    expect(c.classes).toEqual(['neg', 'pos']);
    expect(Array.from(c.labels)).toEqual([1, 0, 1, 0, 1]);
  });

  it('reads TSV (numeric labels by value) and JSONL, skipping blank lines', async () => {
    const t = await loadTextFile(fx('reviews.tsv'));
    expect([t.texts, t.classes, Array.from(t.labels)]).toEqual([
      ['loved it', 'hated it', 'fine'],
      ['0', '1'],
      [1, 0, 1],
    ]);
    const j = await loadTextFile(fx('reviews.jsonl'));
    expect([j.texts.length, j.classes, Array.from(j.labels)]).toEqual([3, ['ham', 'spam'], [1, 0, 1]]);
    const rows = [];
    for await (const r of streamTextFile(fx('reviews.jsonl'))) rows.push(r.line);
    expect(rows).toEqual([1, 3, 4]);
  });

  it('feeds a tokenizer, a vocabulary and a DataLoader', async () => {
    const c = await loadTextFile(fx('reviews.csv'));
    const tok = new WordTokenizer();
    const vocab = buildVocab(c, tok, { minFreq: 1 });
    expect(vocab.itos.slice(0, 6)).toEqual(['<pad>', '<unk>', 'a', 'great', '映', '画']);
    const ds = encodeCorpus(c, tok, vocab, { maxLength: 4 });
    const [batch] = new DataLoader(ds, { batchSize: 5 });
    expect(Array.from(batch!.lengths)).toEqual([4, 4, 4, 4, 4]);
    expect(vocab.decode(batch!.inputs.i32.subarray(16, 20))).toEqual(['最', '高', 'の', '映']);
  });

  it('names the file, line and column of bad input', async () => {
    expect((await message(loadTextFile(fx('bad-columns.csv')))).message).toBe(
      'fixtures/data/bad-columns.csv:3: expected 2 columns (text, label), got 3',
    );
    const unknown = await message(loadTextFile(fx('reviews.csv'), { labelColumn: 'sentiment' }));
    expect(unknown.message).toBe(
      'fixtures/data/reviews.csv, column "sentiment": unknown label column; available columns: id, text, label',
    );
    expect(unknown.column).toBe('sentiment');
    expect((await message(loadTextFile(fx('empty.csv')))).message).toMatch(/empty\.csv: empty file/);
    expect((await message(loadTextFile(fx('one-class.csv')))).message).toBe(
      'fixtures/data/one-class.csv, column "label": the label column has a single class (pos); a classifier needs at least 2',
    );
    const bad = await message(loadTextFile(fx('bad-json.jsonl')));
    expect([bad.file, bad.line]).toEqual([fx('bad-json.jsonl'), 2]);
    expect((await message(loadTextFile(fx('reviews.tsv'), { classes: ['0'] }))).message).toMatch(
      /reviews\.tsv:2, column "label": label "1" is not one of 0/,
    );
    expect((await message(loadTextFile(fx('nope.csv')))).message).toMatch(/nope\.csv: file not found/);
  });
});

describe('IMDB loader', () => {
  it('reads the aclImdb layout: labels, ratings and ids from file names', async () => {
    const train = await loadImdb('fixtures/imdb-mini');
    expect(train.classes).toEqual(['neg', 'pos']);
    expect(Array.from(train.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(train.ids)).toEqual([3, 4, 10, 0, 1, 12]);
    expect(Array.from(train.ratings)).toEqual([1, 4, 2, 9, 8, 10]);
    expect(train.texts[3]).toBe(
      'A wonderful film. The acting was superb and the story moving.  Highly recommended!',
    );
    const test = await loadImdb('fixtures/imdb-mini', { split: 'test', limitPerClass: 1, stripHtml: false });
    expect([test.texts, Array.from(test.labels)]).toEqual([
      ['Awful, boring, and far too long.', 'A great story with superb acting.'],
      [0, 1],
    ]);
  });

  describe('bad layouts', () => {
    let root = '';
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'imdb-'));
      await mkdir(join(root, 'train', 'pos'), { recursive: true });
      await writeFile(join(root, 'train', 'pos', '0_9.txt'), 'good');
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    it('names the missing folder', async () => {
      const e = await message(loadImdb(root));
      expect(e.message).toBe(
        `${join(root, 'train')}: IMDB train/ folder is missing neg/ (it needs both pos/ and neg/)`,
      );
      expect((await message(loadImdb(root, { split: 'test' }))).message).toMatch(/has no test\/ folder/);
      expect((await message(loadImdb(join(root, 'nothing')))).message).toMatch(/IMDB directory not found/);
      await mkdir(join(root, 'train', 'neg'));
      await writeFile(join(root, 'train', 'neg', 'review.txt'), 'bad');
      expect((await message(loadImdb(root))).file).toBe(join(root, 'train', 'neg', 'review.txt'));
    });
  });
});

describe('time-series CSV loader', () => {
  it('reads dates, features and targets and applies the missing-value policy', async () => {
    const s = await loadSeriesCsv(fx('series.csv'), {
      dateColumn: 'date',
      features: ['rain', 'wind'],
      targets: ['temp'],
      missing: 'ffill',
    });
    expect(s.columns).toEqual(['rain', 'wind', 'temp']);
    expect([s.features, s.targets]).toEqual([['rain', 'wind'], ['temp']]);
    expect(s.index).toEqual(['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04', '2020-01-05']);
    expect(Array.from(s.values)).toEqual(
      Array.from(Float32Array.from([0, 3.1, 5, 1.2, 2, 6.5, 0.4, 4.5, 6.5, 0.4, 1, 4, 0, 2.2, 3.5])),
    );
    const dropped = await loadSeriesCsv(fx('series.csv'), { dateColumn: 'date', missing: 'drop' });
    expect(dropped.index).toEqual(['2020-01-01', '2020-01-02', '2020-01-05']);
    expect(dropped.columns).toEqual(['temp', 'rain', 'wind']);
  });

  it('names the file, line and column of bad input', async () => {
    expect((await message(loadSeriesCsv(fx('series.csv'), { dateColumn: 'date' }))).message).toMatch(
      /^fixtures\/data\/series\.csv:4, column "temp": missing value/,
    );
    expect((await message(loadSeriesCsv(fx('series-bad-number.csv'), { dateColumn: 'date' }))).message).toBe(
      'fixtures/data/series-bad-number.csv:3, column "temp": expected a number, got "warm"',
    );
    expect((await message(loadSeriesCsv(fx('series-bad-columns.csv'), { dateColumn: 'date' }))).message).toBe(
      'fixtures/data/series-bad-columns.csv:3: expected 3 columns (date, temp, rain), got 2',
    );
    expect((await message(loadSeriesCsv(fx('series.csv'), { dateColumn: 'day' }))).message).toBe(
      'fixtures/data/series.csv, column "day": unknown date column; available columns: date, temp, rain, wind',
    );
    expect((await message(loadSeriesCsv(fx('series.csv'), { targets: ['humidity'] }))).column).toBe(
      'humidity',
    );
    expect((await message(loadSeriesCsv(fx('empty.csv')))).message).toMatch(/empty file/);
    expect((await message(loadSeriesCsv(fx('header-only.csv')))).message).toMatch(/no data rows/);
    expect(
      (await message(loadSeriesCsv(fx('series-unordered.csv'), { dateColumn: 'date' }))).message,
    ).toMatch(/:3, column "date": dates must increase, got 2020-01-01 after 2020-01-02$/);
    expect((await message(loadSeriesCsv(fx('series.csv'), { dateColumn: 'Date' }))).message).toMatch(
      /unknown date column; did you mean "date"\? \(names are case-sensitive\)/,
    );
  });

  it('leaves default inputs that hold text out when asked, and says which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kioku-series-'));
    const file = join(dir, 'two-places.csv');
    const rows = ['place,date,temp,sky', 'Oslo,2020-01-01,1.5,rain', 'Oslo,2020-01-02,2.5,sun'];
    await writeFile(file, `${rows.join('\n')}\n`);
    await expect(loadSeriesCsv(file, { dateColumn: 'date' })).rejects.toThrow(
      'column "place": expected a number, got "Oslo"',
    );
    const told: string[][] = [];
    const s = await loadSeriesCsv(file, { dateColumn: 'date', onTextColumns: (names) => told.push(names) });
    expect(told).toEqual([['place', 'sky']]);
    expect(s.columns).toEqual(['temp']);
    expect(Array.from(s.values)).toEqual([1.5, 2.5]);
    const notFunction = { dateColumn: 'date', onTextColumns: 'skip' } as unknown as SeriesCsvOptions;
    await expect(loadSeriesCsv(file, notFunction)).rejects.toThrow(
      'loadSeriesCsv: onTextColumns must be a function, got string',
    );
    const named = loadSeriesCsv(file, { dateColumn: 'date', features: ['sky'], onTextColumns: () => {} });
    await expect(named).rejects.toThrow('column "sky": expected a number, got "rain"');
    await writeFile(file, `${[...rows, 'Rome,2020-01-01,9.5,sun'].join('\n')}\n`);
    await expect(loadSeriesCsv(file, { dateColumn: 'date', onTextColumns: () => {} })).rejects.toThrow(
      'dates must increase, got 2020-01-01 after 2020-01-02; a file of several series one after another needs its id column named (--series-col: perhaps one of the text columns place, sky)',
    );
    await expect(loadSeriesCsv(file, { dateColumn: 'date', features: ['temp'] })).rejects.toThrow(
      /needs its id column named \(--series-col\)$/,
    );
    await rm(dir, { recursive: true });
  });
});

describe('package resolution', () => {
  it('says which package to install when one is missing', () => {
    expect(() => packageDir('@kioku-missing/datasets-none', 'loadNothing')).toThrow(MissingPackageError);
    expect(() => packageDir('@kioku-missing/datasets-none', 'loadNothing')).toThrow(
      'loadNothing needs the npm package @kioku-missing/datasets-none; install it with: npm install --save-dev @kioku-missing/datasets-none',
    );
    expect(packageDir('vega-datasets', 'test')).toMatch(/node_modules\/vega-datasets$/);
  });
});
