import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { kioku, tinyTextTraining } from '../helpers/cli.js';

/**
 * Label hygiene on real files: labels are trimmed, "1", "1.0" and "01" are one class when every
 * label is a number, rows with an empty label are left out, and what was changed is reported
 * (by loadTextFile, and as warnings by `kioku train text`).
 */

let root: string;
const file = (name: string) => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-labels-'));
  const rows = Array.from({ length: 40 }, (_, i) => {
    const label =
      i === 5 || i === 9 ? '' : i % 2 ? (i % 4 === 1 ? ' spam' : 'spam') : i % 4 === 0 ? 'ham ' : 'ham';
    return `${i % 2 ? 'win a prize' : 'lunch at noon'} ${i},${label}`;
  });
  await writeFile(file('mail.csv'), `text,label\n${rows.join('\n')}\n`);
  const numeric = [1, '1.0', '01', 0, ' 0', '0.0', '1', '0'];
  await writeFile(
    file('numbers.jsonl'),
    `${numeric.map((label, i) => JSON.stringify({ text: `text ${i}`, label })).join('\n')}\n`,
  );
  await writeFile(file('mixed.csv'), 'text,label\na,1\nb,1.0\nc,x\n');
  await writeFile(file('long.csv'), 'text,label\na,12345678901234567890\nb,12345678901234567891\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('labels of a text file', () => {
  it('are trimmed, and rows with an empty label left out and counted', async () => {
    const c = await loadTextFile(file('mail.csv'));
    expect(c.classes).toEqual(['ham', 'spam']);
    expect(c.texts).toHaveLength(38);
    expect(c.texts).not.toContain('win a prize 5');
    expect(Array.from(c.labels.slice(0, 4))).toEqual([0, 1, 0, 1]);
    expect(c.labelChanges).toEqual({
      renamed: [
        { from: 'ham ', to: 'ham', rows: 10 },
        { from: ' spam', to: 'spam', rows: 8 },
      ],
      emptyRows: 2,
      missingMarkers: [],
      firstEmptyLine: 7,
    });
  });

  it('written as numbers are one class per value when every label is a number', async () => {
    const c = await loadTextFile(file('numbers.jsonl'));
    expect(c.classes).toEqual(['0', '1']);
    expect(Array.from(c.labels)).toEqual([1, 1, 1, 0, 0, 0, 1, 0]);
    expect(c.labelChanges.renamed).toEqual([
      { from: '1.0', to: '1', rows: 1 },
      { from: '01', to: '1', rows: 1 },
      { from: ' 0', to: '0', rows: 1 },
      { from: '0.0', to: '0', rows: 1 },
    ]);
    const fixed = await loadTextFile(file('numbers.jsonl'), { classes: ['0.0', '1.0'] });
    expect(fixed.classes).toEqual(['0.0', '1.0']);
    expect(Array.from(fixed.labels)).toEqual([1, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('stay as written when some label is not a number, or a number is longer than a float64 holds', async () => {
    const mixed = await loadTextFile(file('mixed.csv'));
    expect(mixed.classes).toEqual(['1', '1.0', 'x']);
    expect(mixed.labelChanges.renamed).toEqual([]);
    const long = await loadTextFile(file('long.csv'));
    expect(long.classes).toEqual(['12345678901234567890', '12345678901234567891']);
  });

  it('kioku train text warns about what it changed and trains on the cleaned labels', async () => {
    const out = join(root, 'run');
    const r = await kioku(...tinyTextTraining(file('mail.csv'), out));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      [
        `kioku: warning: ${file('mail.csv')}: left out 2 row(s) with an empty label (the first at line 7)`,
        `kioku: warning: ${file('mail.csv')}: labels normalised (spaces trimmed, numbers written one way): "ham " → "ham" (10 rows), " spam" → "spam" (8 rows)`,
        'kioku: warning: 25.0% of the validation and test tokens are unknown to the vocabulary (a larger --vocab-size or a lower --min-freq may help; texts without spaces read better with --tokenizer char)',
        '',
      ].join('\n'),
    );
    const config = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8')) as {
      labels: string[];
    };
    expect(config.labels).toEqual(['ham', 'spam']);
  });
});
