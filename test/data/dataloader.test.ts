import { describe, expect, it } from 'vitest';
import { collateText, DataLoader, defaultCollate, type TextBatch } from '../../src/data/dataloader.js';
import { ArrayDataset, StreamDataset } from '../../src/data/dataset.js';
import { DTypeError, StateDictError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const indices = (n: number) => new ArrayDataset(range(n));
const ids = (items: number[]) => items;

function epochOf<T>(loader: Iterable<T>): T[] {
  return [...loader];
}

describe('DataLoader', () => {
  it('batches in order without shuffling, with and without dropLast', () => {
    expect(epochOf(new DataLoader(indices(7), { batchSize: 3, collateFn: ids }))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6],
    ]);
    const dl = new DataLoader(indices(7), { batchSize: 3, collateFn: ids, dropLast: true });
    expect(dl.length).toBe(2);
    expect(epochOf(dl)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('shuffles deterministically for a seed and differently across epochs', () => {
    const make = (seed: number) =>
      new DataLoader(indices(20), {
        batchSize: 4,
        shuffle: true,
        collateFn: ids,
        generator: new Generator(seed),
      });
    const a = make(1);
    const b = make(1);
    const a1 = epochOf(a).flat();
    const a2 = epochOf(a).flat();
    expect(epochOf(b).flat()).toEqual(a1);
    expect(epochOf(b).flat()).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(epochOf(make(2)).flat()).not.toEqual(a1);
    // Each epoch is a permutation, and it matches the generator's own permutation.
    expect([...a1].sort((x, y) => x - y)).toEqual(range(20));
    expect(a1).toEqual(Array.from(new Generator(1).permutation(20)));
    expect(a.epoch).toBe(2);
  });

  it('resumes an interrupted epoch exactly from its state dict', () => {
    const opts = { batchSize: 3, shuffle: true, collateFn: ids, bucketSize: 2 };
    const sortKey = (i: number) => (i * 7) % 5;
    const ref = new DataLoader(indices(17), { ...opts, sortKey, generator: new Generator(9) });
    const full = [epochOf(ref), epochOf(ref), epochOf(ref)];

    const run = new DataLoader(indices(17), { ...opts, sortKey, generator: new Generator(9) });
    epochOf(run);
    const seen: number[][] = [];
    for (const batch of run) {
      seen.push(batch);
      if (seen.length === 2) break;
    }
    const saved = JSON.parse(JSON.stringify(run.stateDict()));
    expect(saved.epoch).toBe(2);
    expect(saved.position).toBe(2);
    expect(saved.completed).toBe(false);

    const resumed = new DataLoader(indices(17), { ...opts, sortKey, generator: new Generator(12345) });
    resumed.loadStateDict(saved);
    expect([...seen, ...epochOf(resumed)]).toEqual(full[1]);
    expect(epochOf(resumed)).toEqual(full[2]);

    // A state saved at the end of an epoch starts the next one.
    const atEnd = new DataLoader(indices(17), { ...opts, sortKey, generator: new Generator(9) });
    epochOf(atEnd);
    const s2 = atEnd.stateDict();
    expect(s2.completed).toBe(true);
    const next = new DataLoader(indices(17), { ...opts, sortKey, generator: new Generator(0) });
    next.loadStateDict(s2);
    expect(epochOf(next)).toEqual(full[1]);
  });

  it('rejects a state dict from another dataset or batch size', () => {
    const dl = new DataLoader(indices(10), { batchSize: 2, collateFn: ids });
    epochOf(dl);
    const s = dl.stateDict();
    expect(() => new DataLoader(indices(11), { batchSize: 2, collateFn: ids }).loadStateDict(s)).toThrow(
      StateDictError,
    );
    expect(() => new DataLoader(indices(10), { batchSize: 3, collateFn: ids }).loadStateDict(s)).toThrow(
      /batchSize 2/,
    );
  });

  it('bucketing keeps every example exactly once and groups similar lengths', () => {
    const gen = new Generator(3);
    const lens = range(103).map(() => 1 + gen.randint(50));
    const data = new ArrayDataset(
      lens.map((L, i) => ({ tokens: new Int32Array(L).fill(i + 1), label: i % 2 })),
    );
    const waste = (loader: Iterable<TextBatch>): number => {
      let padded = 0;
      let real = 0;
      for (const { inputs, lengths } of loader) {
        padded += inputs.size;
        real += lengths.reduce((s, v) => s + v, 0);
      }
      return 1 - real / padded;
    };
    const dl = new DataLoader(data, {
      batchSize: 8,
      shuffle: true,
      bucketSize: 4,
      generator: new Generator(5),
    });
    const plain = new DataLoader(data, { batchSize: 8, shuffle: true, generator: new Generator(5) });
    // Sorted buckets of 32 waste far less padding than random batches.
    expect(waste(dl)).toBeLessThan(waste(plain) / 2);
    for (let epoch = 0; epoch < 3; epoch++) {
      const seen: number[] = [];
      for (const { inputs, lengths } of dl) {
        const [B, T] = inputs.shape as [number, number];
        for (let b = 0; b < B; b++) {
          seen.push(inputs.i32[b * T]! - 1);
          expect(inputs.i32[b * T + lengths[b]! - 1]).toBe(inputs.i32[b * T]);
        }
      }
      expect(seen.sort((a, b) => a - b)).toEqual(range(103));
    }
  });

  it('bucketing with dropLast drops only the one short batch', () => {
    const dl = new DataLoader(indices(10), {
      batchSize: 3,
      bucketSize: 2,
      dropLast: true,
      shuffle: true,
      sortKey: (i) => -i,
      collateFn: ids,
      generator: new Generator(1),
    });
    const batches = epochOf(dl);
    expect(batches.length).toBe(3);
    expect(batches.every((b) => b.length === 3)).toBe(true);
    expect(new Set(batches.flat()).size).toBe(9);
  });

  it('the default collate pads token items and returns lengths and labels', () => {
    const data = new ArrayDataset([
      { tokens: [5, 6, 7], label: 1 },
      { tokens: new Int32Array([8]), label: 0 },
    ]);
    const [batch] = epochOf(new DataLoader(data, { batchSize: 2 }));
    expect(batch!.inputs.dtype).toBe('int32');
    expect(batch!.inputs.tolist()).toEqual([
      [5, 6, 7],
      [8, 0, 0],
    ]);
    expect(Array.from(batch!.lengths)).toEqual([3, 1]);
    expect(batch!.labels.dtype).toBe('int32');
    expect(Array.from(batch!.labels.i32)).toEqual([1, 0]);
    const tuple = collateText([
      [[1, 2], 3],
      [[4], 2],
    ]);
    expect(tuple.inputs.tolist()).toEqual([
      [1, 2],
      [4, 0],
    ]);
    expect(Array.from(tuple.labels.i32)).toEqual([3, 2]);
    expect(() => collateText([{ tokens: [1], label: 0.5 }])).toThrow(DTypeError);
  });

  it('the default collate stacks tensors key by key', () => {
    const out = defaultCollate([
      { x: tensor([1, 2]), y: 0.5 },
      { x: tensor([3, 4]), y: 1 },
    ]) as { x: { shape: number[]; tolist(): unknown }; y: { dtype: string; tolist(): unknown } };
    expect(out.x.shape).toEqual([2, 2]);
    expect(out.x.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(out.y.dtype).toBe('float32');
    expect(out.y.tolist()).toEqual([0.5, 1]);
    expect(() => defaultCollate([{ x: tensor([1]) }, { x: tensor([1, 2]) }])).toThrow(/shape \(1,\)/);
    expect(() => defaultCollate([Symbol('x')])).toThrow(ValueError);
  });

  it('iterates streams with for await, in order, with bucketing and resume', async () => {
    const stream = new StreamDataset(() => range(10));
    const dl = new DataLoader(stream, { batchSize: 3, collateFn: ids });
    const out: number[][] = [];
    for await (const b of dl) out.push(b);
    expect(out).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    const bucketed = new DataLoader(stream, {
      batchSize: 2,
      bucketSize: 2,
      sortKey: (i) => -i,
      collateFn: ids,
    });
    const bout: number[][] = [];
    for await (const b of bucketed) {
      bout.push(b);
      if (bout.length === 3) break;
    }
    expect(bout).toEqual([
      [3, 2],
      [1, 0],
      [7, 6],
    ]);
    const again = new DataLoader(stream, { batchSize: 2, bucketSize: 2, sortKey: (i) => -i, collateFn: ids });
    again.loadStateDict(bucketed.stateDict());
    const rest: number[][] = [];
    for await (const b of again) rest.push(b);
    expect(rest).toEqual([
      [5, 4],
      [9, 8],
    ]);
    // A finished stream epoch restarts from the beginning.
    const third = new DataLoader(stream, { batchSize: 2, bucketSize: 2, sortKey: (i) => -i, collateFn: ids });
    third.loadStateDict(again.stateDict());
    const next: number[][] = [];
    for await (const b of third) next.push(b);
    expect(next.length).toBe(5);
    expect(third.epoch).toBe(2);
    expect(() => new DataLoader(stream, { shuffle: true })).toThrow(/shuffle needs a map-style/);
    expect(() => dl.length).toThrow(/stream/);
  });

  it('map-style datasets also iterate with for await', async () => {
    const out: number[][] = [];
    for await (const b of new DataLoader(indices(4), { batchSize: 3, collateFn: ids })) out.push(b);
    expect(out).toEqual([[0, 1, 2], [3]]);
  });

  it('validates its options', () => {
    expect(() => new DataLoader(indices(3), { batchSize: 0 })).toThrow(
      /batchSize must be a positive integer, got 0/,
    );
    expect(() => new DataLoader(indices(3), { bucketSize: 1.5 })).toThrow(/bucketSize/);
    expect(() => new DataLoader({} as never)).toThrow(/map-style/);
    expect(() => epochOf(new DataLoader(indices(3), { bucketSize: 2 }))).toThrow(/sortKey/);
  });
});
