import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BYTE_MUTATIONS,
  checkCase,
  type FuzzCase,
  fuzzCase,
  type Loader,
  type Mutation,
  TREE_MUTATIONS,
  type Tree,
} from './loader-fuzz.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kioku-fuzz-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Damage kinds the slice leaves out (none at present). */
const KNOWN: Partial<Record<Loader, Mutation[]>> = {};

async function runSlice(loader: Loader, count: number) {
  const outcomes = new Map<Mutation, Set<string>>();
  for (let i = 0; i < count; i++) {
    const c = fuzzCase(loader, 2024, i);
    if (KNOWN[loader]?.includes(c.mutation)) continue;
    const seen = outcomes.get(c.mutation) ?? new Set();
    seen.add(await checkCase(c, scratch));
    outcomes.set(c.mutation, seen);
  }
  return outcomes;
}

describe('file loaders under fuzzing', () => {
  for (const loader of ['config', 'model', 'vocab', 'csv', 'jsonl', 'series'] as const) {
    it(`${loader}: 200 seeded broken files load consistently or throw a KiokuError`, async () => {
      const outcomes = await runSlice(loader, 200);
      // Valid files load; every kind of damage is caught at least once.
      expect([...outcomes.get('valid')!]).toEqual(['loaded']);
      for (const m of BYTE_MUTATIONS.filter((x) => x !== 'valid'))
        expect(outcomes.get(m)!.has('rejected')).toBe(true);
      expect([...outcomes.get('empty')!]).toEqual(['rejected']);
    });
  }

  it('imdb: 200 seeded broken directory trees load consistently or throw a KiokuError', async () => {
    const outcomes = await runSlice('imdb', 200);
    for (const m of ['valid', 'non-utf8', 'odd-entries'] as const)
      expect([...outcomes.get(m)!]).toEqual(['loaded']);
    for (const m of ['missing-dir', 'file-for-dir', 'bad-name', 'empty-class'] as const)
      expect([...outcomes.get(m)!]).toEqual(['rejected']);
  });

  it('unreadable reviews and ids past 2^31 − 1 are DataErrors, not raw fs errors or wrapped ids', async () => {
    const imdb = (extra: Tree): FuzzCase => ({
      loader: 'imdb',
      mutation: 'valid',
      ext: '',
      options: { split: 'train' },
      input: new Map([
        ['train', null],
        ['train/neg', null],
        ['train/pos', null],
        ['train/neg/1_2.txt', new TextEncoder().encode('dull')],
        ...extra,
      ]),
    });
    const fine = imdb(new Map([['train/pos/3_9.txt', new TextEncoder().encode('great')]]));
    expect(await checkCase(fine, scratch)).toBe('loaded');
    const dangling = imdb(new Map([['train/pos/3_4.txt', { link: 'nowhere' }]]));
    expect(await checkCase(dangling, scratch)).toBe('rejected');
    const wrapped = imdb(new Map([['train/pos/2147483648_9.txt', new TextEncoder().encode('x')]]));
    expect(await checkCase(wrapped, scratch)).toBe('rejected');
  });
});

describe('loader issues found by fuzzing, fixed', () => {
  const seriesCase = (text: string, options: Record<string, unknown>): FuzzCase => ({
    loader: 'series',
    mutation: 'valid',
    ext: '.csv',
    options,
    input: new TextEncoder().encode(text),
  });

  // A value past float32's range would be stored as Infinity.
  it('series: a value beyond float32 range is a DataError, not Infinity', async () => {
    expect(await checkCase(seriesCase('a,b\n1,2\n1e39,3\n', {}), scratch)).toBe('rejected');
  });

  it("series: 'drop' removing every row is a DataError, not an empty series", async () => {
    expect(await checkCase(seriesCase('a,b\n1,NA\n,3\n', { missing: 'drop' }), scratch)).toBe('rejected');
  });

  // Directories named like reviews, dangling links and ids past 2^31 − 1.
  for (const m of ['dir-for-file', 'dangling-link', 'huge-id'] as const) {
    it(`imdb ${m}: a DataError or a consistent result`, async () => {
      const i = TREE_MUTATIONS.indexOf(m);
      for (let k = 0; k < 4; k++)
        await checkCase(fuzzCase('imdb', 2024, i + k * TREE_MUTATIONS.length), scratch);
    });
  }
});
