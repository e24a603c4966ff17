import { describe, expect, it } from 'vitest';
import { ArrayDataset, MappedDataset, StreamDataset, Subset } from '../../src/data/dataset.js';
import { DataError } from '../../src/data/errors.js';
import { chronologicalSplit, trainValTestSplit } from '../../src/data/split.js';
import { IndexError, ValueError } from '../../src/tensor/errors.js';

const items = Array.from({ length: 100 }, (_, i) => ({ id: i, label: i < 80 ? 0 : 1 }));

describe('datasets', () => {
  it('ArrayDataset, Subset and MappedDataset index and iterate', () => {
    const ds = new ArrayDataset(['a', 'b', 'c']);
    expect(ds.length).toBe(3);
    expect(ds.get(2)).toBe('c');
    expect(() => ds.get(3)).toThrow(IndexError);
    const sub = new Subset(ds, [2, 0]);
    expect([...sub]).toEqual(['c', 'a']);
    expect(() => new Subset(ds, [5])).toThrow(/indices\[0\] must be an integer in \[0, 3\), got 5/);
    expect([...new MappedDataset(ds, (s, i) => `${s}${i}`)]).toEqual(['a0', 'b1', 'c2']);
  });

  it('StreamDataset opens a fresh pass each time', async () => {
    let opened = 0;
    const s = new StreamDataset(async function* () {
      opened++;
      yield* [1, 2, 3];
    }).map((x) => x * 10);
    expect([...(await s.toArray())]).toEqual([10, 20, 30]);
    expect([...(await s.toArray())]).toEqual([10, 20, 30]);
    expect(opened).toBe(2);
  });
});

describe('trainValTestSplit', () => {
  it('is a seeded partition of all examples', () => {
    const a = trainValTestSplit(items, { val: 0.2, test: 0.1, seed: 4 });
    const b = trainValTestSplit(items, { val: 0.2, test: 0.1, seed: 4 });
    expect([a.train.length, a.val.length, a.test.length]).toEqual([70, 20, 10]);
    expect(Array.from(a.val.indices)).toEqual(Array.from(b.val.indices));
    const c = trainValTestSplit(items, { val: 0.2, test: 0.1, seed: 5 });
    expect(Array.from(c.val.indices)).not.toEqual(Array.from(a.val.indices));
    const all = [...a.train.indices, ...a.val.indices, ...a.test.indices].sort((x, y) => x - y);
    expect(all).toEqual(items.map((x) => x.id));
  });

  it('stratifies by label', () => {
    const s = trainValTestSplit(items, { val: 0.2, test: 0.1, seed: 1, stratify: true });
    const ones = (sub: Subset<{ label: number }>) => [...sub].filter((x) => x.label === 1).length;
    // 80 zeros and 20 ones: val gets 16 + 4, test 8 + 2.
    expect([ones(s.train), ones(s.val), ones(s.test)]).toEqual([14, 4, 2]);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([70, 20, 10]);
    const byFn = trainValTestSplit(items, { test: 0.5, val: 0, seed: 1, stratify: (x) => x.id % 3 });
    expect([...byFn.test].filter((x) => x.id % 3 === 0).length).toBe(17);
  });

  it('rejects a single-class label and bad fractions', () => {
    const one = items.map((x) => ({ ...x, label: 1 }));
    expect(() => trainValTestSplit(one, { stratify: true })).toThrow(DataError);
    expect(() => trainValTestSplit(one, { stratify: true })).toThrow(/single class \(1\)/);
    expect(() => trainValTestSplit(items, { val: 0.6, test: 0.5 })).toThrow(ValueError);
    expect(() => trainValTestSplit(items, { val: -0.1 })).toThrow(
      /val must be a fraction in \[0, 1\), got -0.1/,
    );
  });
});

describe('chronologicalSplit', () => {
  it('keeps time order: train rows precede validation rows precede test rows', () => {
    expect(chronologicalSplit(1461, { val: 0.15, test: 0.15 })).toEqual({
      train: { start: 0, end: 1023 },
      val: { start: 1023, end: 1242 },
      test: { start: 1242, end: 1461 },
    });
    expect(() => chronologicalSplit(-1)).toThrow(ValueError);
  });
});
