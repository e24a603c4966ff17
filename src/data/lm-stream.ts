import { DTypeError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { chronologicalSplit } from './split.js';

/*
 * Language-model data: one token stream, split in order, cut into B parallel streams and read
 * in chunks of `bptt` steps, as PyTorch's word_language_model example (`batchify`, `get_batch`).
 *
 * PyTorch keeps the batchified stream time-major, (N, B); kioku keeps it batch-first, (B, N):
 * row b is the b-th contiguous slice of the stream, so data[b·N + i] is PyTorch's data[i][b].
 */

/** The stream cut in order: the first tokens train, the next validate, the last test. */
export interface StreamSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** B parallel streams of N tokens each, row-major (B, N). */
export interface BatchedStream {
  readonly data: Int32Array;
  /** Streams (B). */
  readonly batch: number;
  /** Tokens per stream (N). */
  readonly length: number;
}

/** One training chunk: inputs (B, T) and targets (B, T), the inputs shifted one step ahead. */
export interface LmChunk {
  inputs: Tensor;
  targets: Tensor;
  /** Position of the chunk's first input in each stream. */
  start: number;
}

function checkIds(where: string, ids: unknown): Int32Array {
  if (!(ids instanceof Int32Array)) {
    throw new DTypeError(
      `${where}: ids must be an Int32Array of token ids, got ${ids === null ? 'null' : typeof ids}`,
    );
  }
  return ids;
}

function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/**
 * Splits a token stream without shuffling: the first 1 − val − test of it trains, the next
 * `val` validates and the last `test` tests (defaults 0.05 each). The parts are views of `ids`.
 */
export function splitStream(ids: Int32Array, options: { val?: number; test?: number } = {}): StreamSplit {
  checkIds('splitStream', ids);
  const { val = 0.05, test = 0.05 } = options;
  const r = chronologicalSplit(ids.length, { val, test });
  return {
    train: ids.subarray(r.train.start, r.train.end),
    val: ids.subarray(r.val.start, r.val.end),
    test: ids.subarray(r.test.start, r.test.end),
  };
}

/**
 * Cuts `ids` into `batch` contiguous streams of ⌊len / batch⌋ tokens (the remainder is dropped,
 * as PyTorch's `batchify`). Each stream needs at least 2 tokens: one input and its target.
 */
export function batchify(ids: Int32Array, batch: number): BatchedStream {
  checkIds('batchify', ids);
  positiveInt('batchify', 'batch', batch);
  const length = Math.floor(ids.length / batch);
  if (length < 2) {
    throw new ValueError(
      `batchify: ${ids.length} tokens make streams of ${length} token(s) for batch ${batch}; each stream needs at least 2 (lower the batch or use more text)`,
    );
  }
  return { data: ids.slice(0, length * batch), batch, length };
}

/** Chunks of at most `bptt` steps in one pass: ⌈(N − 1) / bptt⌉. */
export function chunkCount(stream: BatchedStream, bptt: number): number {
  positiveInt('chunkCount', 'bptt', bptt);
  return Math.ceil((stream.length - 1) / bptt);
}

/**
 * The chunk starting at step `start`: inputs[b, t] = stream b at start + t, targets[b, t] = the
 * token after it; T = min(bptt, N − 1 − start), so the last chunk may be shorter.
 */
export function lmChunk(stream: BatchedStream, start: number, bptt: number): LmChunk {
  positiveInt('lmChunk', 'bptt', bptt);
  const { data, batch: B, length: N } = stream;
  if (!Number.isInteger(start) || start < 0 || start >= N - 1) {
    throw new ValueError(`lmChunk: start must be an integer in [0, ${N - 1}), got ${start}`);
  }
  const T = Math.min(bptt, N - 1 - start);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = b * N + start;
    inputs.set(data.subarray(row, row + T), b * T);
    targets.set(data.subarray(row + 1, row + 1 + T), b * T);
  }
  return { inputs: new Tensor(inputs, [B, T]), targets: new Tensor(targets, [B, T]), start };
}

/** Every chunk of one pass over the streams, in order. */
export function* lmChunks(stream: BatchedStream, bptt: number): Generator<LmChunk> {
  positiveInt('lmChunks', 'bptt', bptt);
  for (let start = 0; start < stream.length - 1; start += bptt) yield lmChunk(stream, start, bptt);
}
