import type { Batches } from './fit-types.js';

/** Helpers for the loop's inputs: any iterable or async iterable of batches. */

const schedule: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? globalThis.setImmediate : (fn) => setTimeout(fn, 0);

/** Lets timers, progress bars and abort signals run between batches. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => schedule(resolve));

export function isIterable(x: unknown): x is Batches<unknown> {
  return typeof x === 'object' && x !== null && (Symbol.iterator in x || Symbol.asyncIterator in x);
}

export async function* batchesOf<B>(data: Batches<B>): AsyncGenerator<B> {
  if (Symbol.asyncIterator in data) yield* data as AsyncIterable<B>;
  else yield* data as Iterable<B>;
}

/** Batches per pass when the data knows it (a DataLoader, an array), else null. */
export function lengthOf(data: unknown): number | null {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

export function append(out: number[], values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) out.push(values[i]!);
}
