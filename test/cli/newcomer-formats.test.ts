import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku, tinyTextTraining } from '../helpers/cli.js';

/**
 * A newcomer's files as spreadsheets and other tools write them (semicolons and decimal commas,
 * Latin-1 bytes), and an export format the model cannot take: each one a run that works or one
 * line saying what to do.
 */

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-newcomer-formats-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A daily series of `n` rows written with `sep` between cells and `point` as the decimal mark. */
async function series(name: string, sep: string, point: string, n = 40): Promise<string> {
  const lines = [`date${sep}y`];
  for (let r = 0; r < n; r++) {
    const date = new Date(Date.UTC(2021, 0, 1 + r)).toISOString().slice(0, 10);
    lines.push(`${date}${sep}${(r % 7) + 1}${point}5`);
  }
  const file = join(root, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const tinySeries = [
  '--target',
  'y',
  '--date-col',
  'date',
  '--lookback',
  '3',
  '--hidden',
  '2',
  '--epochs',
  '1',
];

describe('kioku train series on a semicolon-separated .csv', () => {
  it('trains with decimal points', async () => {
    const file = await series('semi.csv', ';', '.');
    const r = await kioku(
      'train',
      'series',
      '--data',
      file,
      ...tinySeries,
      '--quiet',
      '--out',
      join(root, 'semi'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(root, 'semi', 'model', 'config.json'))).toBe(true);
  }, 60_000);

  it('refuses decimal commas in one line that shows the number written with a point', async () => {
    const file = await series('comma.csv', ';', ',');
    const r = await kioku('train', 'series', '--data', file, ...tinySeries, '--out', join(root, 'comma'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kioku: --target "y" holds text; it must name a numeric column (its first value is "1,5"; decimal commas are not read: write 1.5)\n',
    );
    expect(existsSync(join(root, 'comma'))).toBe(false);
  });
});

describe('kioku train series on an input column written with decimal commas', () => {
  it('leaves it out with a warning that shows the number written with a point', async () => {
    const lines = ['date;y;rain'];
    for (let r = 0; r < 40; r++) {
      const date = new Date(Date.UTC(2021, 0, 1 + r)).toISOString().slice(0, 10);
      lines.push(`${date};${(r % 7) + 1};0,${r % 3}`);
    }
    const file = join(root, 'rain.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const r = await kioku(
      'train',
      'series',
      '--data',
      file,
      ...tinySeries,
      '--quiet',
      '--out',
      join(root, 'rain'),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'kioku: warning: inputs leave out the text column(s) rain (rain\'s first value is "0,0": decimal commas are not read: write 0.0); --features names the inputs\n',
    );
  }, 60_000);
});

describe('kioku train series on a one-row file', () => {
  it('says the data is too short instead of blaming a --test-from nobody passed', async () => {
    const file = await series('onerow.csv', ',', '.', 1);
    const r = await kioku('train', 'series', '--data', file, ...tinySeries, '--out', join(root, 'onerow'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kioku: the data has 1 date(s): the test split (the last 20%, at least --horizon 1 dates) leaves nothing to train on; give it more rows\n',
    );
  }, 60_000);
});

describe('kioku train text on a Latin-1 file', () => {
  it('stops at the first byte that is not UTF-8, naming the line and the conversion', async () => {
    const rows = ['text,label', 'good,pos', 'bad,neg', 'tr\u00e8s bien,pos', 'nul,neg'];
    const file = join(root, 'latin1.csv');
    await writeFile(file, Buffer.from(`${rows.join('\n')}\n`, 'latin1'));
    const r = await kioku(...tinyTextTraining(file, join(root, 'latin1')));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${file}:4: the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with \`iconv -f latin1 -t utf-8\`\n`,
    );
  });
});

describe('kioku train lm on a Latin-1 book', () => {
  it('stops at the first byte that is not UTF-8 instead of training on replacement characters', async () => {
    const file = join(root, 'latin1.txt');
    const out = join(root, 'latin1-lm');
    await writeFile(
      file,
      Buffer.from('Call me Ishmael.\nSome years ago.\nLe caf\u00e9 est ferm\u00e9.\n', 'latin1'),
    );
    const r = await kioku('train', 'lm', '--data', file, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${file}:3: the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with \`iconv -f latin1 -t utf-8\`\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('kioku export --format pytorch-project of a language model', () => {
  it('is refused in terms of the flag, pointing at --format pytorch; nothing is written', async () => {
    const book = join(root, 'book.txt');
    await writeFile(book, 'the cat sat on the mat and the dog sat on the log. '.repeat(40));
    const run = join(root, 'lm');
    const trained = await kioku(
      'train',
      'lm',
      '--data',
      book,
      '--embed',
      '4',
      '--hidden',
      '4',
      '--batch',
      '2',
      '--bptt',
      '8',
      '--epochs',
      '1',
      '--ngram',
      '0',
      '--quiet',
      '--out',
      run,
    );
    expect(trained.code).toBe(0);
    const out = join(root, 'lm-project');
    const r = await kioku(
      'export',
      '--model',
      join(run, 'model'),
      '--format',
      'pytorch-project',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kioku: --format pytorch-project: the project reproduces the training of text classifiers and forecasters only; for a language model, `kioku export --format pytorch` writes a model.py with generate()\n',
    );
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
