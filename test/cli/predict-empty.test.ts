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
});
