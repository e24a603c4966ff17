import { ValueError } from '../../tensor/errors.js';
import type { RunStore, StoredCheckpoint } from './store.js';

/** What every training recipe takes besides its own settings, and how options are checked. */

export interface RecipeRunOptions<E> {
  /** Where the model, its files and its checkpoints go; without one nothing is saved. */
  store?: RunStore;
  /**
   * A checkpoint to continue (read from `store.checkpoints` or elsewhere). Its recorded options
   * and data must match this run's.
   */
  resume?: StoredCheckpoint;
  /** Also checkpoint every this many batches inside an epoch (needs `store.checkpoints`). */
  checkpointEvery?: number;
  /** A batch whose loss or gradient is NaN or infinite: stop training (default) or skip the batch. */
  onNonFinite?: 'stop' | 'skip';
  /** Stops training after the current batch; the model is still evaluated and saved. */
  signal?: AbortSignal;
  /** Receives progress as plain objects (they can be posted from a Web Worker); awaited. */
  onEvent?: (event: E) => void | Promise<void>;
  /**
   * How messages name an option: by default its key (`lookback`); a command line passes its
   * flag (`--lookback`).
   */
  optionName?: (option: string) => string;
  /**
   * Settings that decided the result outside the recipe (how the caller read its data), recorded
   * with each checkpoint beside the recipe's own options; a resumed run must match them.
   */
  runSettings?: Record<string, unknown>;
}

export type OptionName = (option: string) => string;

/** The keys of {@link RecipeRunOptions}. */
export const RUN_OPTIONS = [
  'store',
  'resume',
  'checkpointEvery',
  'onNonFinite',
  'signal',
  'onEvent',
  'optionName',
  'runSettings',
] as const;

/** Checks recipe options, naming each one as `name` says. */
export class OptionCheck {
  constructor(readonly name: OptionName) {}

  /** Refuses keys a recipe does not know: a misspelt option would otherwise be ignored. */
  known(options: object, keys: readonly string[]): void {
    const unknown = Object.keys(options).filter((k) => !keys.includes(k));
    if (unknown.length) {
      throw new ValueError(
        `unknown option ${unknown.map((k) => this.name(k)).join(', ')}; the options are ${keys.map(this.name).join(', ')}`,
      );
    }
  }

  int(key: string, value: number | undefined, min: number): void {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new ValueError(`${this.name(key)} must be an integer ≥ ${min}, got ${String(value)}`);
    }
  }

  number(key: string, value: number | undefined, min: number, max = Number.POSITIVE_INFINITY): void {
    if (value !== undefined && !(typeof value === 'number' && value >= min && value <= max)) {
      throw new ValueError(`${this.name(key)} must be a number in [${min}, ${max}], got ${String(value)}`);
    }
  }

  choice<T extends string>(key: string, value: T | undefined, choices: readonly T[]): void {
    if (value !== undefined && !choices.includes(value)) {
      throw new ValueError(
        `${this.name(key)} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
  }

  boolean(key: string, value: boolean | undefined): void {
    if (value !== undefined && typeof value !== 'boolean') {
      throw new ValueError(`${this.name(key)} must be true or false, got ${JSON.stringify(value)}`);
    }
  }

  string(key: string, value: string | undefined): void {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new ValueError(`${this.name(key)} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
}

/** Throws unless a recipe was given an options object. */
export function checkOptionsObject(options: unknown, recipe: string, needs: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValueError(
      `${recipe}: options must be an object with at least ${needs}, got ${String(options)}`,
    );
  }
}

/** Checks the options every training recipe shares. */
export function checkRunOptions<E>(o: RecipeRunOptions<E>, check: OptionCheck): void {
  check.int('checkpointEvery', o.checkpointEvery, 1);
  check.choice('onNonFinite', o.onNonFinite, ['stop', 'skip']);
  if (o.checkpointEvery !== undefined && !o.store?.checkpoints) {
    throw new ValueError(`${check.name('checkpointEvery')} needs a store with checkpoints`);
  }
  if (o.resume !== undefined && (typeof o.resume !== 'object' || o.resume === null)) {
    throw new ValueError(`${check.name('resume')} must be a stored checkpoint, got ${String(o.resume)}`);
  }
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') {
    throw new ValueError(`${check.name('onEvent')} must be a function, got ${typeof o.onEvent}`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new ValueError(`${check.name('signal')} must be an AbortSignal`);
  }
}

/** A recipe's own options: `o` without the keys of {@link RecipeRunOptions}, in `o`'s order. */
export function withoutRunOptions<T extends object>(o: T): Omit<T, (typeof RUN_OPTIONS)[number]> {
  const own = { ...o } as Record<string, unknown>;
  for (const key of RUN_OPTIONS) delete own[key];
  return own as Omit<T, (typeof RUN_OPTIONS)[number]>;
}

/** The options that decided the weights, as a checkpoint records them: defined values only. */
export function definedEntries(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
