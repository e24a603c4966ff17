import { type Command, InvalidArgumentError, Option } from 'commander';
import { quote } from '../data/errors.js';
import type { MissingPolicy } from '../data/missing.js';
import { MAX_FORECAST_STEPS } from '../train/recipes/series-model.js';

/** Flag parsers and the options several commands share. */

/**
 * Bounds tighter than a parser's own, by flag: the sizes that decide how much memory a run
 * allocates stop far above any useful model and far below what exhausts memory, and a
 * learning rate must be above 0.
 */
const LIMITS: Record<string, { max?: number; above?: number }> = {
  '--lr': { above: 0 },
  '--hidden': { max: 4096 },
  '--embed': { max: 4096 },
  '--layers': { max: 64 },
  '--vocab-size': { max: 1_048_576 },
  '--max-len': { max: 1_048_576 },
  '--lookback': { max: 1_048_576 },
  '--horizon': { max: 65_536 },
  '--batch': { max: 1_048_576 },
  '--steps': { max: MAX_FORECAST_STEPS },
};

export function int(name: string, min = 1) {
  const max = LIMITS[name]?.max ?? Number.MAX_SAFE_INTEGER;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer ${range}, got ${quote(value)}`);
    }
    return n;
  };
}

export function num(name: string, min = 0, max = Infinity) {
  const above = LIMITS[name]?.above;
  const range = above !== undefined ? `> ${above}` : `in [${min}, ${max}]`;
  return (value: string): number => {
    const n = Number(value);
    const low = above !== undefined ? n <= above : n < min;
    if (value.trim() === '' || !Number.isFinite(n) || low || n > max) {
      throw new InvalidArgumentError(`${name} must be a number ${range}, got ${quote(value)}`);
    }
    return n;
  };
}

export const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Recipe options that a flag of another name sets. */
const FLAGS: Record<string, string> = { store: '--out', onNonFinite: '--on-nonfinite' };

/** The flag that sets a recipe option (`maxLen` → `--max-len`), for the recipes' messages. */
export const flagName = (key: string): string =>
  FLAGS[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export const MISSING_POLICIES: readonly MissingPolicy[] = ['error', 'ffill', 'drop'];

/** Checkpoint, resume and non-finite options shared by the train commands. */
export function checkpointOptions(cmd: Command): Command {
  return cmd
    .option(
      '--resume [dir]',
      'continue from the newest checkpoint in <dir> (default: --out); the other options must match',
    )
    .option('--keep-checkpoints <n>', 'checkpoints kept in <out>/checkpoints', int('--keep-checkpoints'), 2)
    .option(
      '--checkpoint-every <batches>',
      'also checkpoint every n batches inside an epoch',
      int('--checkpoint-every'),
    )
    .addOption(
      new Option(
        '--on-nonfinite <how>',
        'a batch with a NaN/infinite loss or gradient: stop training, or skip the batch',
      )
        .choices(['stop', 'skip'])
        .default('stop'),
    );
}

/** The options of every `kioku train` command that steer checkpoints. */
export interface CheckpointFlags {
  out: string;
  /** true: resume from `--out`; a path: resume from there. */
  resume?: string | boolean;
  keepCheckpoints: number;
  checkpointEvery?: number;
  onNonfinite: 'stop' | 'skip';
}

/** `--missing` of eval and forecast: unset means the policy the model was trained with. */
export function missingOption(): Option {
  return new Option(
    '--missing <policy>',
    'missing values in a CSV series: stop with an error, repeat the last value, or drop the row (default: as the model was trained, else error)',
  ).choices(MISSING_POLICIES);
}
