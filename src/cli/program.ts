import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { listCheckpoints } from '../io/atomic-node.js';
import { kiokuVersion } from '../io/version.js';
import { KiokuError } from '../tensor/errors.js';
import { NonFiniteError } from '../train/non-finite.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { forecastCommand } from './commands/forecast.js';
import { infoCommand } from './commands/info.js';
import { predictCommand } from './commands/predict.js';
import { resumeCommand } from './commands/resume.js';
import { trainSeriesCommand } from './commands/train-series.js';
import { trainTextCommand } from './commands/train-text.js';
import { examples } from './options.js';
import { type CliIO, Reporter } from './reporter.js';

/**
 * Exit codes: 0 success, 1 a kioku error (bad data, bad model…), 2 bad usage, 3 an unexpected
 * failure, 130 interrupted (Ctrl-C: a training run still saved and reported its model).
 */
export const EXIT = { ok: 0, error: 1, usage: 2, internal: 3, interrupted: 130 } as const;

interface GlobalOptions {
  quiet?: boolean;
  json?: boolean;
  debug?: boolean;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Builds the `kioku` command tree; actions report through `io`. */
export function createProgram(io: CliIO): Command {
  const program = new Command('kioku');
  const reporter = (cmd: Command): Reporter => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return new Reporter(io, { quiet: g.quiet ?? false, json: g.json ?? false });
  };
  program
    .description('Train and run recurrent networks (RNN, LSTM, GRU) on text and time series.')
    .version(kiokuVersion(), '-V, --version', 'print the kioku version')
    .option('-q, --quiet', 'print only results: no progress, no per-epoch lines')
    .option('--json', 'write JSON lines (epochs, metrics, predictions) on stdout instead of text')
    .option('--debug', 'show stack traces on errors')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`kioku: ${oneLine(s.replace(/^error: /, ''))}\n`),
    })
    .addHelpText(
      'after',
      examples([
        'kioku train text --data spam-assassin --epochs 3 --out runs/spam',
        'kioku predict --model runs/spam/model --text "WIN a FREE cruise, click now"',
        'kioku train series --data seattle-weather --target temp_max --calendar --out runs/seattle',
        'kioku forecast --model runs/seattle/model --steps 7',
        'kioku info --model runs/spam/model',
      ]),
    );
  const train = program
    .command('train')
    .description('train a model (text classifier or forecaster) and its baselines')
    .addHelpText('after', examples(['kioku train text --help', 'kioku train series --help']));
  trainTextCommand(train, reporter);
  trainSeriesCommand(train, reporter);
  for (const add of [
    predictCommand,
    forecastCommand,
    evalCommand,
    infoCommand,
    exportCommand,
    resumeCommand,
  ]) {
    add(program, reporter);
  }
  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.showSuggestionAfterError(true);
  }
  return program;
}

/** The CLI's line for a NonFiniteError: where the last good weights are, with the run's real paths. */
async function nonFiniteMessage(e: NonFiniteError, out: string | undefined): Promise<string> {
  const what = `the ${e.quantity} became ${e.value} at epoch ${e.epoch}, batch ${e.batch}; training stopped`;
  const advice = '(lower --lr, check the data for NaN/Infinity, or pass --on-nonfinite skip)';
  if (out === undefined) return `${what} ${advice}`;
  const dir = join(out, 'checkpoints');
  const saved = (await listCheckpoints(dir).catch(() => [])).length > 0;
  return saved
    ? `${what}, and the checkpoints in ${dir} keep the last good weights ${advice}`
    : `${what} before the first checkpoint was written to ${dir} ${advice}`;
}

/** One line on stderr for a failed command (with the stack under --debug); returns the exit code. */
async function failure(e: unknown, io: CliIO, debug: boolean, out: string | undefined): Promise<number> {
  if (e instanceof CommanderError) {
    const fine = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code);
    return fine ? EXIT.ok : EXIT.usage;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let line: string;
  let code: number = EXIT.error;
  if (e instanceof NonFiniteError) line = await nonFiniteMessage(e, out);
  else if (e instanceof KiokuError) line = oneLine(e.message);
  else {
    line = `unexpected error: ${oneLine(err.message)}${debug ? '' : ' (run with --debug for details)'}`;
    code = EXIT.internal;
  }
  io.stderr.write(`kioku: ${line}\n`);
  if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
  return code;
}

/**
 * Runs `kioku` with `argv` (without node and the script) and returns the exit code. Errors
 * become one line on stderr; `--debug` adds the stack.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const program = createProgram(io);
  // The --out of the command run, where a train command keeps its checkpoints.
  let out: string | undefined;
  program.hook('preAction', (_program, action) => {
    out = action.opts<{ out?: string }>().out;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return io.signal?.aborted ? EXIT.interrupted : EXIT.ok;
  } catch (e) {
    return failure(e, io, argv.includes('--debug'), out);
  }
}
