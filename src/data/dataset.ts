import { IndexError, ValueError } from '../tensor/errors.js';

/** A map-style dataset: a known number of examples, each fetched by index (PyTorch `Dataset`). */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/**
 * An iterable-style dataset: examples arrive one by one, possibly from a stream larger than
 * memory. Each `for await` starts a fresh pass.
 */
export interface AsyncIterableDataset<T> {
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

export function isDataset<T>(value: unknown): value is Dataset<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Dataset<T>).get === 'function' &&
    Number.isInteger((value as Dataset<T>).length)
  );
}

export function isAsyncIterableDataset<T>(value: unknown): value is AsyncIterableDataset<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterableDataset<T>)[Symbol.asyncIterator] === 'function'
  );
}

function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new IndexError(`${what}.get: index must be an integer in [0, ${length}), got ${index}`);
  }
}

/** A dataset over an in-memory array. */
export class ArrayDataset<T> implements Dataset<T>, Iterable<T> {
  readonly items: readonly T[];

  constructor(items: readonly T[]) {
    if (!Array.isArray(items)) {
      throw new ValueError(`ArrayDataset: items must be an array, got ${typeof items}`);
    }
    this.items = items;
  }

  get length(): number {
    return this.items.length;
  }

  get(index: number): T {
    checkIndex(index, this.items.length, 'ArrayDataset');
    return this.items[index]!;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}

/** The examples of `dataset` at `indices`, in that order (PyTorch `Subset`). */
export class Subset<T> implements Dataset<T>, Iterable<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    if (!isDataset(dataset))
      throw new ValueError('Subset: dataset must have a length and a get(index) method');
    const idx = Int32Array.from(indices as ArrayLike<number>);
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] !== indices[i] || idx[i]! < 0 || idx[i]! >= dataset.length) {
        throw new IndexError(
          `Subset: indices[${i}] must be an integer in [0, ${dataset.length}), got ${indices[i]}`,
        );
      }
    }
    this.dataset = dataset;
    this.indices = idx;
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    checkIndex(index, this.indices.length, 'Subset');
    return this.dataset.get(this.indices[index]!);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.indices.length; i++) yield this.dataset.get(this.indices[i]!);
  }
}

/** A dataset whose examples are `fn(dataset.get(i), i)`, computed on access. */
export class MappedDataset<S, T> implements Dataset<T>, Iterable<T> {
  constructor(
    readonly source: Dataset<S>,
    private readonly fn: (item: S, index: number) => T,
  ) {
    if (!isDataset(source)) {
      throw new ValueError('MappedDataset: source must have a length and a get(index) method');
    }
    if (typeof fn !== 'function')
      throw new ValueError(`MappedDataset: fn must be a function, got ${typeof fn}`);
  }

  get length(): number {
    return this.source.length;
  }

  get(index: number): T {
    checkIndex(index, this.source.length, 'MappedDataset');
    return this.fn(this.source.get(index), index);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.source.length; i++) yield this.get(i);
  }
}

/**
 * An async-iterable dataset made from a factory that opens a fresh stream for every pass
 * (a file read line by line, a generator over a corpus).
 */
export class StreamDataset<T> implements AsyncIterableDataset<T> {
  constructor(private readonly open: () => AsyncIterable<T> | Iterable<T>) {
    if (typeof open !== 'function') {
      throw new ValueError(
        `StreamDataset: open must be a function returning an iterable, got ${typeof open}`,
      );
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* this.open();
  }

  /** A stream whose examples are `fn(item)`. */
  map<U>(fn: (item: T) => U): StreamDataset<U> {
    const open = this.open;
    return new StreamDataset(async function* () {
      for await (const item of open()) yield fn(item);
    });
  }

  /** Reads the whole stream into memory. */
  async toArray(): Promise<ArrayDataset<T>> {
    const items: T[] = [];
    for await (const item of this.open()) items.push(item);
    return new ArrayDataset(items);
  }
}
