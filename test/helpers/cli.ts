import { run } from '../../src/cli/program.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `kioku` CLI in-process (stderr is not a terminal) and captures what it writes. */
export async function kioku(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  });
  return { code, stdout, stderr };
}

/** The JSON objects of a `--json` run's output, one per non-empty line. */
export const jsonLines = (s: string): Array<Record<string, unknown>> =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * `kioku train text` arguments for a tiny model that trains in a moment (one epoch, embed 4,
 * hidden 4 unless `options.hidden` says otherwise, no baselines, quiet), writing to `out`; `more` adds flags.
 */
export function tinyTextTraining(
  data: string,
  out: string,
  options: { hidden?: number } = {},
  ...more: string[]
): string[] {
  const hidden = String(options.hidden ?? 4);
  return [
    'train',
    'text',
    '--data',
    data,
    '--epochs',
    '1',
    '--embed',
    '4',
    '--hidden',
    hidden,
    '--quiet',
    '--no-baselines',
    '--out',
    out,
    ...more,
  ];
}

/**
 * `kioku train series` arguments for a tiny forecaster of column `y` that trains in a moment
 * (lookback 4, hidden 2, one epoch, quiet, unless `options` says otherwise), writing to `out`;
 * `more` adds flags.
 */
export function tinySeriesTraining(
  data: string,
  out: string,
  options: { lookback?: number; hidden?: number; epochs?: number; quiet?: boolean } = {},
  ...more: string[]
): string[] {
  const { lookback = 4, hidden = 2, epochs = 1, quiet = true } = options;
  return [
    'train',
    'series',
    '--data',
    data,
    '--target',
    'y',
    '--lookback',
    String(lookback),
    '--hidden',
    String(hidden),
    '--epochs',
    String(epochs),
    ...(quiet ? ['--quiet'] : []),
    '--out',
    out,
    ...more,
  ];
}
