import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ValueError } from '../../tensor/errors.js';
import { examples, int } from '../options.js';
import type { Reporter } from '../reporter.js';
import { COMMAND_FILE, type TrainSeriesFlags, trainSeries } from './train-series.js';

/**
 * `kioku resume <out>`: continues an interrupted (or killed) `kioku train series` run from the
 * newest checkpoint in `<out>`, with the flags the run recorded in `<out>/command.json`.
 */

async function recordedFlags(out: string): Promise<TrainSeriesFlags> {
  const path = join(out, COMMAND_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    throw new ValueError(
      `"${out}" holds no ${COMMAND_FILE}: kioku resume continues runs of kioku train series; continue other runs with their train command and --resume`,
    );
  }
  let saved: { command?: unknown; flags?: unknown };
  try {
    saved = JSON.parse(text) as typeof saved;
  } catch {
    throw new ValueError(`${path}: not valid JSON; continue the run with its train command and --resume`);
  }
  if (saved.command !== 'train series' || typeof saved.flags !== 'object' || saved.flags === null) {
    throw new ValueError(
      `${path}: expected {command: "train series", flags}; continue the run with its train command and --resume`,
    );
  }
  return saved.flags as TrainSeriesFlags;
}

async function resume(out: string, o: { epochs?: number }, reporter: Reporter): Promise<void> {
  const flags = await recordedFlags(out);
  await trainSeries(
    { ...flags, out, resume: true, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) },
    reporter,
  );
}

export function resumeCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('resume')
    .description(
      'continue an interrupted kioku train series run from its newest checkpoint, with its own flags',
    )
    .argument('<out>', "the run's output directory (its --out)")
    .option('--epochs <n>', 'train up to this many epochs instead of the recorded number', int('--epochs'))
    .addHelpText('after', examples(['kioku resume runs/seattle', 'kioku resume runs/seattle --epochs 80']))
    .action(async (out: string, opts: { epochs?: number }, cmd: Command) => {
      await resume(out, opts, reporter(cmd));
    });
}
