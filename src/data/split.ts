import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { ArrayDataset, type Dataset, isDataset, Subset } from './dataset.js';
import { DataError } from './errors.js';

export interface SplitOptions<T> {
  /** Fraction of examples for validation, in [0, 1). Default 0.1. */
  val?: number;
  /** Fraction of examples for test, in [0, 1). Default 0.1. */
  test?: number;
  /** Seed for a fresh generator; or pass `generator`. Default: the default generator. */
  seed?: number;
  generator?: Generator;
  /**
   * Keep each class's share equal in every split. `true` reads `item.label` (or `item[1]`);
   * a function returns the class of an item.
   */
  stratify?: boolean | ((item: T, index: number) => string | number);
}

export interface Splits<T> {
  train: Subset<T>;
  val: Subset<T>;
  test: Subset<T>;
}

function checkFractions(val: number, test: number, what: string): void {
  for (const [name, v] of [
    ['val', val],
    ['test', test],
  ] as const) {
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
      throw new ValueError(`${what}: ${name} must be a fraction in [0, 1), got ${v}`);
    }
  }
  if (val + test >= 1) {
    throw new ValueError(`${what}: val + test must be below 1 so training keeps examples, got ${val + test}`);
  }
}

/**
 * Randomly splits examples into train / validation / test subsets. Sizes are round(n·val)
 * and round(n·test) (per class when stratified); the rest is training. Each subset's order
 * is shuffled too, so classes interleave.
 */
export function trainValTestSplit<T>(
  data: Dataset<T> | readonly T[],
  options: SplitOptions<T> = {},
): Splits<T> {
  const { val = 0.1, test = 0.1, stratify = false } = options;
  checkFractions(val, test, 'trainValTestSplit');
  const dataset = Array.isArray(data) ? new ArrayDataset(data as readonly T[]) : (data as Dataset<T>);
  if (!isDataset(dataset)) {
    throw new ValueError('trainValTestSplit: data must be an array or a dataset with length and get(index)');
  }
  if (options.seed !== undefined && options.generator !== undefined) {
    throw new ValueError('trainValTestSplit: pass seed or generator, not both');
  }
  const gen =
    options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator);
  const n = dataset.length;
  const groups: number[][] = [];
  if (stratify === false) {
    groups.push(Array.from({ length: n }, (_, i) => i));
  } else {
    const labelOf = typeof stratify === 'function' ? stratify : defaultLabel;
    const byClass = new Map<string | number, number[]>();
    for (let i = 0; i < n; i++) {
      const label = labelOf(dataset.get(i), i);
      if (typeof label !== 'number' && typeof label !== 'string') {
        throw new DataError(
          `trainValTestSplit: stratify needs a number or string label, example ${i} has ${String(label)}`,
          { column: 'label' },
        );
      }
      let g = byClass.get(label);
      if (g === undefined) byClass.set(label, (g = []));
      g.push(i);
    }
    if (byClass.size < 2) {
      throw new DataError(
        `trainValTestSplit: stratify found a single class (${[...byClass.keys()].join(', ') || 'none'}); a classifier needs at least 2`,
        { column: 'label' },
      );
    }
    groups.push(...byClass.values());
  }
  const parts: number[][] = [[], [], []];
  for (const g of groups) {
    const perm = gen.permutation(g.length);
    const nTest = Math.round(g.length * test);
    const nVal = Math.round(g.length * val);
    perm.forEach((p, k) => {
      parts[k < nTest ? 2 : k < nTest + nVal ? 1 : 0]!.push(g[p]!);
    });
  }
  const [train, valIdx, testIdx] = parts.map((idx) => {
    const perm = gen.permutation(idx.length);
    return Int32Array.from(perm, (p) => idx[p]!);
  });
  return {
    train: new Subset(dataset, train!),
    val: new Subset(dataset, valIdx!),
    test: new Subset(dataset, testIdx!),
  };
}

function defaultLabel(item: unknown): string | number {
  if (Array.isArray(item)) return item[1] as string | number;
  if (typeof item === 'object' && item !== null && 'label' in item) return item.label as string | number;
  throw new ValueError(
    'trainValTestSplit: stratify: true needs items with a label field or [x, label] tuples',
  );
}

/** A half-open row range [start, end). */
export interface RowRange {
  start: number;
  end: number;
}

export interface ChronologicalSplit {
  train: RowRange;
  val: RowRange;
  test: RowRange;
}

/**
 * Splits n time-ordered rows without shuffling: the first rows train, the next validate, the
 * last test, so no split sees rows later than the ones it is evaluated on.
 */
export function chronologicalSplit(
  n: number,
  options: { val?: number; test?: number } = {},
): ChronologicalSplit {
  const { val = 0.1, test = 0.1 } = options;
  if (!Number.isInteger(n) || n < 0)
    throw new ValueError(`chronologicalSplit: n must be a non-negative integer, got ${n}`);
  checkFractions(val, test, 'chronologicalSplit');
  const nTest = Math.round(n * test);
  const nVal = Math.round(n * val);
  const a = n - nTest - nVal;
  return { train: { start: 0, end: a }, val: { start: a, end: a + nVal }, test: { start: a + nVal, end: n } };
}
