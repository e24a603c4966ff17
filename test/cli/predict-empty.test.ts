import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku, tinyTextTraining } from '../helpers/cli.js';

/** `kioku predict` on texts the model cannot read anything in: labelled, with a warning. */

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-predict-empty-'));
  const rows = Array.from({ length: 60 }, (_, i) =>
    i % 2 ? `win a free prize now ${i},spam` : `meeting notes for monday ${i},ham`,
  );
  await writeFile(join(root, 'mail.csv'), `text,label\n${rows.join('\n')}\n`);
  const out = join(root, 'run');
  const r = await kioku(...tinyTextTraining(join(root, 'mail.csv'), out));
  expect(r.code, r.stderr).toBe(0);
  model = join(out, 'model');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('predict on empty input', () => {
  it('warns about an empty text, even with --quiet, and still labels it', async () => {
    const r = await kioku('predict', '--model', model, '--text', '', '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(ham|spam)\t0\.\d{4}\t\n$/);
    expect(r.stderr).toBe(
      'kioku: warning: text 1 is empty or holds no words the model reads; the label given is a guess from no input\n',
    );
  });

  it('names the texts with nothing the tokenizer keeps (spaces, punctuation), and only those', async () => {
    const r = await kioku(
      'predict',
      '--model',
      model,
      '--text',
      'win a prize',
      '--text',
      '  ',
      '--text',
      '?!…',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(4);
    expect(r.stderr).toBe(
      'kioku: warning: 2 texts are empty or hold no words the model reads (texts 2, 3); the label given is a guess from no input\n',
    );
    const fine = await kioku('predict', '--model', model, '--text', 'win a prize');
    expect(fine.stderr).toBe('');
  });

  it('warns about a text whose every word is outside the vocabulary: a guess, as for an empty one', async () => {
    const r = await kioku(
      'predict',
      '--model',
      model,
      '--text',
      'win a prize',
      '--text',
      'réunion lundi matin',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(3);
    expect(r.stderr).toBe(
      'kioku: warning: text 2 holds only words the model never saw in training; the label given is a guess from no input\n',
    );
  });

  it('names the lines of --file, blank lines counted as the file counts them', async () => {
    const file = join(root, 'inbox.txt');
    await writeFile(file, 'win a prize\r\n\r\n  \r\n?!\r\nmeeting notes\r\n...\r\n');
    const r = await kioku('predict', '--model', model, '--file', file);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[2]),
    ).toEqual(['win a prize', '?!', 'meeting notes', '...']);
    expect(r.stderr).toBe(
      'kioku: warning: 2 texts are empty or hold no words the model reads (lines 4, 6); the label given is a guess from no input\n',
    );
  });

  it('refuses a --file that is not UTF-8 at its line, instead of reading U+FFFD', async () => {
    const file = join(root, 'latin1.txt');
    await writeFile(file, Buffer.from('win a prize\nr\u00e9union lundi\n', 'latin1'));
    const r = await kioku('predict', '--model', model, '--file', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${file}:2: the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with \`iconv -f latin1 -t utf-8\`\n`,
    );
  });
});
