import { type Command, InvalidArgumentError, Option } from 'commander';
import type { MissingPolicy } from '../data/missing.js';

/** Flag parsers and the options several commands share. */

export function int(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    }
    return n;
  };
}

export function num(name: string, min = 0, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got "${value}"`);
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
