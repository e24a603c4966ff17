import { DTypeError, ShapeError, StateDictError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, Generator, type GeneratorState } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type AsyncIterableDataset, type Dataset, isAsyncIterableDataset, isDataset } from './dataset.js';
import { padSequence } from './pad.js';

/** A labelled token sequence, the unit of text classification. */
export interface TextExample {
  tokens: Int32Array | readonly number[];
  label: number;
}

/** A batch of padded token sequences. inputs: (B, T) int32, lengths: (B,), labels: (B,) int32. */
export interface TextBatch {
  inputs: Tensor;
  lengths: Int32Array;
  labels: Tensor;
}

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  /** Reshuffle the examples at every epoch with `generator`. */
  shuffle?: boolean;
  /** Drop the last batch when it has fewer than batchSize examples. */
  dropLast?: boolean;
  /** Turns a list of examples into a batch; default {@link defaultCollate}. */
  collateFn?: (items: T[]) => B;
  /**
   * Drives shuffling. Give the loader a generator of its own: its state is part of
   * {@link DataLoader.stateDict}. Default: a new one seeded from the default generator.
   */
  generator?: Generator;
  /**
   * Length bucketing: examples are (shuffled, then) cut into buckets of bucketSize·batchSize,
   * sorted by length inside each bucket, batched, and the batch order shuffled. Batches then
   * hold sequences of similar length and waste little padding.
   */
  bucketSize?: number;
  /** The length used by bucketing; default: the length of `tokens`, `item[0]` or the item. */
  sortKey?: (item: T) => number;
}

/** What {@link DataLoader.stateDict} saves: enough to replay the data order exactly. */
export interface DataLoaderState {
  /** Epochs started so far. */
  epoch: number;
  /** Batches already handed out in the current epoch. */
  position: number;
  /** Whether the current epoch ran to its end. */
  completed: boolean;
  /** The generator's state at the start of the current epoch. */
  generator: GeneratorState;
  numExamples: number | null;
  batchSize: number;
}

/**
 * Batches a dataset (PyTorch `DataLoader`). A map-style dataset is iterated with `for … of`
 * (or `for await`); every pass is a new epoch with a new order when shuffling. An async
 * iterable dataset is iterated with `for await`, in stream order.
 */
export class DataLoader<T, B = TextBatch> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: Dataset<T> | AsyncIterableDataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly bucketSize: number | null;
  private readonly collateFn: (items: T[]) => B;
  private readonly sortKey: ((item: T) => number) | null;
  private readonly generator: Generator;
  private epochCount = 0;
  private position = 0;
  private epochStart: GeneratorState;
  private resumeAt: number | null = null;
  private streamCompleted = false;
  private keys: Float64Array | null = null;

  constructor(dataset: Dataset<T> | AsyncIterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, bucketSize, collateFn, sortKey } = options;
    const mapStyle = isDataset(dataset);
    if (!mapStyle && !isAsyncIterableDataset(dataset)) {
      throw new ValueError(
        'DataLoader: dataset must be map-style (length and get(index)) or async iterable, got ' +
          (dataset === null ? 'null' : typeof dataset),
      );
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (typeof shuffle !== 'boolean')
      throw new ValueError(`DataLoader: shuffle must be a boolean, got ${shuffle}`);
    if (typeof dropLast !== 'boolean') {
      throw new ValueError(`DataLoader: dropLast must be a boolean, got ${dropLast}`);
    }
    if (bucketSize !== undefined && (!Number.isInteger(bucketSize) || bucketSize < 1)) {
      throw new ValueError(`DataLoader: bucketSize must be a positive integer, got ${bucketSize}`);
    }
    if (collateFn !== undefined && typeof collateFn !== 'function') {
      throw new ValueError(`DataLoader: collateFn must be a function, got ${typeof collateFn}`);
    }
    if (sortKey !== undefined && typeof sortKey !== 'function') {
      throw new ValueError(`DataLoader: sortKey must be a function, got ${typeof sortKey}`);
    }
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      throw new ValueError('DataLoader: generator must be a Generator from kioku');
    }
    if (shuffle && !mapStyle) {
      throw new ValueError(
        'DataLoader: shuffle needs a map-style dataset (length and get(index)); a stream is read in order',
      );
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.bucketSize = bucketSize ?? null;
    this.collateFn = collateFn ?? (defaultCollate as unknown as (items: T[]) => B);
    this.sortKey = sortKey ?? null;
    this.generator = options.generator ?? new Generator(shuffle ? defaultGenerator.nextU32() : 0);
    this.epochStart = this.generator.getState();
  }

  /** Batches per epoch (map-style datasets only). */
  get length(): number {
    const n = this.mapDataset('length').length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Epochs started so far (1 during the first pass). */
  get epoch(): number {
    return this.epochCount;
  }

  *[Symbol.iterator](): Iterator<B> {
    const dataset = this.mapDataset('iterate');
    const batches = this.beginEpoch();
    while (this.position < batches.length) {
      const idx = batches[this.position]!;
      const items: T[] = new Array(idx.length);
      for (let i = 0; i < idx.length; i++) items[i] = dataset.get(idx[i]!);
      const batch = this.collateFn(items);
      // Counted before the yield: a checkpoint taken while this batch trains resumes after it.
      this.position++;
      yield batch;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (isDataset<T>(this.dataset)) {
      for (const batch of this) yield batch;
      return;
    }
    const skip = this.resumeAt ?? 0;
    if (this.resumeAt === null) this.epochCount++;
    this.resumeAt = null;
    this.position = 0;
    this.streamCompleted = false;
    let emitted = 0;
    const self = this;
    function* emit(items: T[]): IterableIterator<B> {
      emitted++;
      if (emitted <= skip) {
        self.position = emitted;
        return;
      }
      const batch = self.collateFn(items);
      self.position = emitted;
      yield batch;
    }
    const window = this.batchSize * (this.bucketSize ?? 1);
    let buffer: T[] = [];
    const flush = function* (final: boolean): IterableIterator<B> {
      if (self.bucketSize !== null) {
        const keyed = buffer.map((item) => ({ item, key: self.keyOf(item) }));
        keyed.sort((a, b) => a.key - b.key);
        buffer = keyed.map((k) => k.item);
      }
      for (let s = 0; s < buffer.length; s += self.batchSize) {
        const items = buffer.slice(s, s + self.batchSize);
        if (items.length < self.batchSize && final && self.dropLast) break;
        yield* emit(items);
      }
      buffer = [];
    };
    for await (const item of this.dataset) {
      buffer.push(item);
      if (buffer.length === window) yield* flush(false);
    }
    yield* flush(true);
    this.streamCompleted = true;
  }

  /** The loader's position in the data order, to save in a checkpoint. */
  stateDict(): DataLoaderState {
    return {
      epoch: this.epochCount,
      position: this.position,
      completed: isDataset(this.dataset)
        ? this.epochCount > 0 && this.position >= this.length
        : this.streamCompleted,
      generator: { s: [...this.epochStart.s], spare: this.epochStart.spare },
      numExamples: isDataset(this.dataset) ? this.dataset.length : null,
      batchSize: this.batchSize,
    };
  }

  /**
   * Restores a {@link stateDict}: the next pass continues the saved epoch after its last
   * handed-out batch (or starts the next epoch if that one was finished), with the same order.
   */
  loadStateDict(state: DataLoaderState): void {
    if (typeof state !== 'object' || state === null) {
      throw new StateDictError(`DataLoader.loadStateDict: state must be an object, got ${String(state)}`);
    }
    const { epoch, position, completed, generator, numExamples, batchSize } = state;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(position) || position < 0) {
      throw new StateDictError(
        `DataLoader.loadStateDict: epoch and position must be non-negative integers, got ${epoch} and ${position}`,
      );
    }
    if (batchSize !== this.batchSize) {
      throw new StateDictError(
        `DataLoader.loadStateDict: state was saved with batchSize ${batchSize}, this loader has ${this.batchSize}`,
      );
    }
    const n = isDataset(this.dataset) ? this.dataset.length : null;
    if (numExamples !== n) {
      throw new StateDictError(
        `DataLoader.loadStateDict: state was saved for ${numExamples} examples, this dataset has ${n}`,
      );
    }
    try {
      this.generator.setState(generator);
    } catch (e) {
      throw new StateDictError(`DataLoader.loadStateDict: bad generator state (${(e as Error).message})`);
    }
    this.epochStart = this.generator.getState();
    this.epochCount = epoch;
    this.position = position;
    this.resumeAt = null;
    this.streamCompleted = completed === true;
    if (epoch === 0) return;
    if (completed !== true) {
      this.resumeAt = position;
    } else if (n !== null) {
      this.plan(); // the finished epoch's draws, so the next epoch gets the order it would have had
    }
  }

  private mapDataset(what: string): Dataset<T> {
    if (!isDataset<T>(this.dataset)) {
      throw new ValueError(
        `DataLoader.${what}: the dataset is a stream; iterate it with for await and it has no length`,
      );
    }
    return this.dataset;
  }

  private beginEpoch(): Int32Array[] {
    if (this.resumeAt !== null) {
      const at = this.resumeAt;
      this.resumeAt = null;
      this.generator.setState(this.epochStart);
      const batches = this.plan();
      this.position = Math.min(at, batches.length);
      return batches;
    }
    this.epochStart = this.generator.getState();
    this.epochCount++;
    this.position = 0;
    return this.plan();
  }

  /** The example indices of every batch of one epoch, drawing from the generator. */
  private plan(): Int32Array[] {
    const n = this.mapDataset('plan').length;
    const bs = this.batchSize;
    const order = this.shuffle ? this.generator.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const batches: Int32Array[] = [];
    if (this.bucketSize === null) {
      for (let s = 0; s < n; s += bs) batches.push(order.slice(s, Math.min(s + bs, n)));
    } else {
      const keys = this.sortKeys();
      const span = this.bucketSize * bs;
      for (let s = 0; s < n; s += span) {
        // Array sort is stable: equal lengths keep the shuffled order.
        const bucket = Array.from(order.subarray(s, Math.min(s + span, n))).sort(
          (a, b) => keys[a]! - keys[b]!,
        );
        for (let k = 0; k < bucket.length; k += bs) batches.push(Int32Array.from(bucket.slice(k, k + bs)));
      }
    }
    if (this.dropLast && batches.length > 0 && batches[batches.length - 1]!.length < bs) batches.pop();
    if (this.bucketSize !== null && this.shuffle) {
      const perm = this.generator.permutation(batches.length);
      return Array.from(perm, (i) => batches[i]!);
    }
    return batches;
  }

  private sortKeys(): Float64Array {
    if (this.keys === null) {
      const dataset = this.mapDataset('sortKeys');
      const keys = new Float64Array(dataset.length);
      for (let i = 0; i < keys.length; i++) keys[i] = this.keyOf(dataset.get(i));
      this.keys = keys;
    }
    return this.keys;
  }

  private keyOf(item: T): number {
    const key = this.sortKey ? this.sortKey(item) : defaultLength(item);
    if (typeof key !== 'number' || Number.isNaN(key)) {
      throw new ValueError(`DataLoader: sortKey must return a number, got ${String(key)}`);
    }
    return key;
  }
}

function defaultLength(item: unknown): number {
  const seq = textParts(item)?.tokens ?? item;
  if (seq instanceof Tensor) return seq.shape[0] ?? 1;
  if (Array.isArray(seq) || ArrayBuffer.isView(seq)) return (seq as ArrayLike<unknown>).length;
  throw new ValueError(
    "DataLoader: bucketing needs each example's length; pass sortKey for examples that are not token sequences",
  );
}

function isSequence(v: unknown): v is Int32Array | readonly number[] {
  return v instanceof Int32Array || (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number'));
}

/** The tokens and label of a `{tokens, label}` item or a `[tokens, label]` tuple, else null. */
function textParts(item: unknown): { tokens: Int32Array | readonly number[]; label: unknown } | null {
  if (Array.isArray(item) && item.length === 2 && isSequence(item[0]) && typeof item[1] === 'number') {
    return { tokens: item[0], label: item[1] };
  }
  if (typeof item === 'object' && item !== null && 'tokens' in item && isSequence(item.tokens)) {
    return { tokens: item.tokens, label: (item as { label?: unknown }).label };
  }
  return null;
}

/**
 * Pads `{tokens, label}` items (or `[tokens, label]` tuples) on the right with 0 (`<pad>`).
 * Returns inputs (B, T) int32, lengths (B,) and labels (B,) int32.
 */
export function collateText(
  items: readonly (TextExample | readonly [Int32Array | readonly number[], number])[],
): TextBatch {
  if (!Array.isArray(items) || items.length === 0) {
    throw new ValueError('collateText: items must be a non-empty array');
  }
  const seqs: (Int32Array | readonly number[])[] = [];
  const labels = new Int32Array(items.length);
  items.forEach((item, i) => {
    const parts = textParts(item);
    if (parts === null) {
      throw new ValueError(`collateText: items[${i}] must be {tokens, label} or [tokens, label]`);
    }
    if (typeof parts.label !== 'number' || !Number.isInteger(parts.label)) {
      throw new DTypeError(
        `collateText: items[${i}].label must be an integer class id, got ${String(parts.label)}`,
      );
    }
    seqs.push(parts.tokens);
    labels[i] = parts.label;
  });
  const lengths = Int32Array.from(seqs, (s) => s.length);
  const rows = seqs.map((s) => (s instanceof Int32Array ? s : Int32Array.from(s)));
  const inputs = padSequence(rows, { batchFirst: true });
  return { inputs, lengths, labels: new Tensor(labels, [items.length]) };
}

/**
 * The default batching: text items go through {@link collateText}; tensors of one shape are
 * stacked into (B, …); numbers become a (B,) tensor (int32 when all are integers); arrays and
 * plain objects are collated position by position / key by key (PyTorch `default_collate`).
 */
export function defaultCollate(items: readonly unknown[]): unknown {
  if (!Array.isArray(items) || items.length === 0) {
    throw new ValueError('defaultCollate: items must be a non-empty array');
  }
  return collateAny(items, 'items');
}

function collateAny(items: readonly unknown[], path: string): unknown {
  const first = items[0];
  if (textParts(first) !== null) return collateText(items as TextExample[]);
  if (first instanceof Tensor) {
    items.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.dtype !== first.dtype || t.shape.join() !== first.shape.join()) {
        throw new ShapeError(
          `defaultCollate: ${path}[${i}] must be a ${first.dtype} Tensor of shape ${formatShape(first.shape)} like ${path}[0]` +
            (t instanceof Tensor ? `, got ${t.dtype} ${formatShape(t.shape)}` : ''),
        );
      }
    });
    const size = first.data.length;
    const out =
      first.dtype === 'int32' ? new Int32Array(size * items.length) : new Float32Array(size * items.length);
    for (let i = 0; i < items.length; i++) out.set((items[i] as Tensor).data, i * size);
    return new Tensor(out, [items.length, ...first.shape]);
  }
  if (typeof first === 'number') {
    items.forEach((v, i) => {
      if (typeof v !== 'number')
        throw new ValueError(`defaultCollate: ${path}[${i}] must be a number like ${path}[0]`);
    });
    const nums = items as number[];
    return new Tensor(nums.every(Number.isInteger) ? Int32Array.from(nums) : Float32Array.from(nums), [
      nums.length,
    ]);
  }
  if (Array.isArray(first)) {
    return first.map((_, k) =>
      collateAny(
        items.map((it) => (it as unknown[])[k]),
        `${path}[*][${k}]`,
      ),
    );
  }
  if (typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateAny(
        items.map((it) => (it as Record<string, unknown>)[key]),
        `${path}[*].${key}`,
      );
    }
    return out;
  }
  throw new ValueError(
    `defaultCollate: cannot batch ${path}[0] of type ${first === null ? 'null' : typeof first}; pass a collateFn`,
  );
}
