import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { Command, type Option } from 'commander';
import type { DirLock } from '../io/run-lock-node.js';
import { kiokuVersion } from '../io/version.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { forecastCommand } from './commands/forecast.js';
import { generateCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { infoCommand } from './commands/info.js';
import { inspectCommand } from './commands/inspect.js';
import { predictCommand } from './commands/predict.js';
import { resumeCommand } from './commands/resume.js';
import { serveCommand } from './commands/serve.js';
import { trainLmCommand } from './commands/train-lm.js';
import { trainSeriesCommand } from './commands/train-series.js';
import { trainTextCommand } from './commands/train-text.js';
import { EXIT, failure, oneLine } from './failure.js';
import { examples } from './options.js';
import { lockOut } from './out-lock.js';
import { type CliIO, Reporter } from './reporter.js';

export { EXIT } from './failure.js';

interface GlobalOptions {
  quiet?: boolean;
  json?: boolean;
  debug?: boolean;
}

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
        'kioku train lm --out runs/moby --minutes 15',
        'kioku generate --model runs/moby/model --prompt "Call me" --length 500 --seed 1',
      ]),
    );
  const train = program
    .command('train')
    .description('train a model (text classifier, forecaster or language model) and its baselines')
    .addHelpText(
      'after',
      examples(['kioku train text --help', 'kioku train series --help', 'kioku train lm --help']),
    );
  trainTextCommand(train, reporter);
  trainSeriesCommand(train, reporter);
  trainLmCommand(train, reporter);
  for (const add of [
    predictCommand,
    forecastCommand,
    generateCommand,
    evalCommand,
    infoCommand,
    exportCommand,
    resumeCommand,
    importCommand,
  ]) {
    add(program, reporter);
  }
  serveCommand(program, reporter);
  inspectCommand(program, reporter);
  const required = new Map<Command, Option[]>();
  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.showSuggestionAfterError(true);
    required.set(cmd, deferRequired(cmd));
  }
  program.hook('preAction', (_program, action) => checkRequired(action, required.get(action) ?? []));
  return program;
}

/**
 * Commander checks required options before unknown ones, so a misspelt required flag would read
 * "required option not specified". The check moves to a preAction hook, which runs after the
 * unknown-option check: a misspelling gets "unknown option '--modle' (Did you mean --model?)".
 */
function deferRequired(cmd: Command): Option[] {
  const required = cmd.options.filter((o) => o.mandatory);
  for (const o of required) o.mandatory = false;
  return required;
}

function checkRequired(cmd: Command, required: readonly Option[]): void {
  const missing = required.find((o) => cmd.getOptionValue(o.attributeName()) === undefined);
  if (missing) {
    cmd.error(`error: required option '${missing.flags}' not specified`, {
      code: 'commander.missingMandatoryOptionValue',
    });
  }
}

/**
 * Runs `kioku` with `argv` (without node and the script) and returns the exit code. Errors
 * become one line on stderr; `--debug` adds the stack.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const program = createProgram(io);
  // The --out of the command run (where a train command keeps its checkpoints), locked for the run.
  let out: string | undefined;
  let lock: DirLock | undefined;
  let outIsNew = false;
  program.hook('preAction', async (_program, action) => {
    out = action.opts<{ out?: string }>().out;
    outIsNew = out !== undefined && !existsSync(out);
    if (out !== undefined) lock = await lockOut(out, action, io);
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
  } finally {
    await lock?.release();
    // A command that failed before writing anything leaves no empty --out behind (rmdir only
    // removes an empty directory).
    if (outIsNew && out !== undefined) await rmdir(out).catch(() => {});
  }
}
