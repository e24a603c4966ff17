import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { MissingPolicy } from '../data/missing.js';
import { listCheckpoints } from '../io/atomic-node.js';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { NonFiniteError } from '../train/trainer.js';
import { type ExportOptions, exportCommand } from './export.js';
import { infoCommand } from './info.js';
import { type CliIO, Reporter } from './reporter.js';
import { evalSeries, forecastCommand, type SeriesTrainOptions, trainSeries } from './series.js';
import { MISSING_POLICIES } from './sources.js';
import { modelTask } from './store.js';
import { evalText, predictCommand, type TextTrainOptions, trainText } from './text.js';

/** Exit codes: 0 success, 1 a kioku error (bad data, bad model…), 2 bad usage, 3 an unexpected failure. */
export const EXIT = { ok: 0, error: 1, usage: 2, internal: 3 } as const;

function int(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    }
    return n;
  };
}

function num(name: string, min = 0, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got "${value}"`);
    }
    return n;
  };
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

interface GlobalOptions {
  quiet?: boolean;
  json?: boolean;
  debug?: boolean;
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Checkpoint, resume and non-finite options shared by the train commands. */
function checkpointOptions(cmd: Command): Command {
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

/** `--missing` of eval and forecast: unset means the policy the model was trained with. */
function missingOption(): Option {
  return new Option(
    '--missing <policy>',
    'missing values in a CSV series: stop with an error, repeat the last value, or drop the row (default: as the model was trained, else error)',
  ).choices(MISSING_POLICIES);
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
    .option('-q, --quiet', 'print only results: no progress, no per-epoch lines')
    .option('--json', 'write JSON lines (epochs, metrics, predictions) on stdout instead of text')
    .option('--debug', 'show stack traces on errors')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`kioku: ${oneLine(s.replace(/^error: /, ''))}\n`),
    })
    .exitOverride()
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

  train
    .command('text')
    .description(
      'train a text classifier (Embedding → RNN/LSTM/GRU → Linear) beside majority-class and bag-of-words baselines',
    )
    .requiredOption('--data <source>', 'spam-assassin, an aclImdb directory, or a .csv/.tsv/.jsonl file')
    .option('--text-col <name>', 'text column of a CSV/JSONL file', 'text')
    .option('--label-col <name>', 'label column of a CSV/JSONL file', 'label')
    .addOption(
      new Option(
        '--headers <how>',
        'spam-assassin e-mail headers: drop them, keep them, keep the Subject, or keep the From and Subject lines',
      )
        .choices(['strip', 'keep', 'subject', 'from-subject'])
        .default('from-subject'),
    )
    .addOption(
      new Option('--punctuation <how>', 'drop punctuation and symbols, or make each one a token')
        .choices(['strip', 'keep'])
        .default('strip'),
    )
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--embed <n>', 'embedding size', int('--embed'), 128)
    .option('--hidden <n>', 'hidden size', int('--hidden'), 64)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), 1)
    .option('--bidirectional', 'read the text in both directions (the default)', true)
    .option('--no-bidirectional', 'read the text forwards only, as the seed LSTMClassifier does')
    .addOption(
      new Option('--pooling <how>', 'sequence summary fed to the classifier')
        .choices(['last', 'mean', 'max'])
        .default('max'),
    )
    .option(
      '--dropout <p>',
      'dropout before the output layer (and between layers)',
      num('--dropout', 0, 0.99),
      0,
    )
    .option('--epochs <n>', 'training epochs', int('--epochs'), 5)
    .option('--batch <n>', 'batch size', int('--batch'), 32)
    .option('--lr <rate>', 'Adam learning rate', num('--lr', 0), 3e-3)
    .option('--max-len <n>', 'tokens kept per text', int('--max-len'), 256)
    .addOption(
      new Option(
        '--truncation <part>',
        'what a long text keeps: its start, its end, or a quarter start and the end',
      )
        .choices(['head', 'tail', 'headTail'])
        .default('headTail'),
    )
    .option('--vocab-size <n>', 'largest vocabulary, <pad> and <unk> included', int('--vocab-size', 3), 20000)
    .option('--min-freq <n>', 'drop tokens seen fewer times', int('--min-freq'), 1)
    .option('--limit <n>', 'use only the first n examples (after a seeded shuffle)', int('--limit'))
    .option('--no-baselines', 'skip the bag-of-words baseline')
    .option('--seed <n>', 'seed for splits, initialisation and shuffling', int('--seed', 0), 0)
    .requiredOption('--out <dir>', 'output directory (model, plots, metrics.jsonl, history.json)')
    .addHelpText(
      'after',
      examples([
        'kioku train text --data spam-assassin --out runs/spam',
        'kioku train text --data reviews.csv --text-col review --label-col sentiment --cell gru --bidirectional --out runs/reviews',
        'kioku train text --data aclImdb --max-len 400 --epochs 5 --pooling mean --out runs/imdb',
      ]),
    )
    .action(async (opts: TextTrainOptions, cmd: Command) => {
      await trainText(opts, reporter(cmd));
    });

  train
    .command('series')
    .description(
      'train a forecaster (window → RNN/LSTM/GRU → Linear) beside persistence and seasonal-naive baselines',
    )
    .requiredOption(
      '--data <source>',
      'seattle-weather, stocks:<SYMBOL>, births, or a .csv file with a date column',
    )
    .requiredOption('--target <column>', 'column to forecast')
    .option(
      '--features <columns>',
      'input columns, comma-separated (default: every numeric column); the target is always one',
      list,
    )
    .option('--date-col <name>', 'date column of a CSV file', 'date')
    .option('--lookback <n>', 'input steps per window', int('--lookback'), 30)
    .option('--horizon <n>', 'steps predicted per window', int('--horizon'), 1)
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--hidden <n>', 'hidden size', int('--hidden'), 64)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), 1)
    .option(
      '--dropout <p>',
      'dropout before the output layer (and between layers)',
      num('--dropout', 0, 0.99),
      0,
    )
    .option('--epochs <n>', 'training epochs', int('--epochs'), 20)
    .option('--batch <n>', 'batch size', int('--batch'), 32)
    .option('--lr <rate>', 'Adam learning rate', num('--lr', 0), 3e-3)
    .option(
      '--test-from <date>',
      'first date of the test split (default: the last 20% of rows, or 2015 for seattle-weather)',
    )
    .option(
      '--season <n>',
      'period of the seasonal-naive baseline (default: 7 for daily, 12 for monthly data)',
      int('--season'),
    )
    .option('--calendar', 'add day-of-year sine/cosine inputs computed from the dates', false)
    .addOption(
      new Option(
        '--missing <policy>',
        'missing values (empty cells, NaN, NA): stop with an error, repeat the last value, or drop the row',
      )
        .choices(MISSING_POLICIES)
        .default('error'),
    )
    .option('--seed <n>', 'seed for initialisation and shuffling', int('--seed', 0), 0)
    .requiredOption('--out <dir>', 'output directory (model, plots, metrics.jsonl, history.json)')
    .addHelpText(
      'after',
      examples([
        'kioku train series --data seattle-weather --target temp_max --calendar --out runs/seattle',
        'kioku train series --data stocks:GOOG --target GOOG --lookback 12 --out runs/goog',
        'kioku train series --data sales.csv --date-col day --target units --horizon 7 --out runs/sales',
      ]),
    )
    .action(async (opts: SeriesTrainOptions, cmd: Command) => {
      await trainSeries(opts, reporter(cmd));
    });

  for (const cmd of train.commands) checkpointOptions(cmd);

  program
    .command('predict')
    .description('classify texts with a trained text model: label and probability per line')
    .requiredOption('--model <dir>', 'model directory written by `kioku train text`')
    .option('--text <text>', 'a text to classify (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--file <path>', 'a file with one text per line')
    .addHelpText(
      'after',
      examples([
        'kioku predict --model runs/spam/model --text "Meeting moved to 3pm"',
        'kioku predict --model runs/spam/model --file inbox.txt --json',
        'cat inbox.txt | kioku predict --model runs/spam/model',
      ]),
    )
    .action(async (opts: { model: string; text?: string[]; file?: string }, cmd: Command) => {
      await predictCommand(opts, reporter(cmd));
    });

  program
    .command('forecast')
    .description('forecast the next steps with a trained series model; writes CSV and a plot')
    .requiredOption('--model <dir>', 'model directory written by `kioku train series`')
    .option('--data <source>', 'series to continue (default: the end of the training data)')
    .option('--steps <n>', 'steps to forecast', int('--steps'), 7)
    .option('--out <dir>', 'write forecast.csv, forecast.svg and forecast.png here')
    .addOption(missingOption())
    .addHelpText(
      'after',
      examples([
        'kioku forecast --model runs/seattle/model --steps 14 --out runs/seattle/forecast',
        'kioku forecast --model runs/sales/model --data sales-latest.csv --steps 7',
      ]),
    )
    .action(
      async (
        opts: { model: string; data?: string; steps: number; out?: string; missing?: MissingPolicy },
        cmd: Command,
      ) => {
        await forecastCommand(opts, reporter(cmd));
      },
    );

  program
    .command('eval')
    .description('evaluate a trained model on a dataset beside its baselines')
    .requiredOption('--model <dir>', 'model directory written by `kioku train`')
    .requiredOption('--data <source>', 'data in the form the model was trained on')
    .option('--text-col <name>', 'text column of a CSV/JSONL file', 'text')
    .option('--label-col <name>', 'label column of a CSV/JSONL file', 'label')
    .option('--date-col <name>', 'date column of a CSV series', 'date')
    .addOption(missingOption())
    .option('--limit <n>', 'use only the first n examples (after a seeded shuffle)', int('--limit'))
    .addHelpText(
      'after',
      examples([
        'kioku eval --model runs/spam/model --data spam-assassin',
        'kioku eval --model runs/seattle/model --data seattle-weather --json',
      ]),
    )
    .action(
      async (
        opts: {
          model: string;
          data: string;
          textCol: string;
          labelCol: string;
          dateCol: string;
          missing?: MissingPolicy;
          limit?: number;
        },
        cmd: Command,
      ) => {
        const r = reporter(cmd);
        if ((await modelTask(opts.model)) === 'classification') {
          if (opts.missing !== undefined) {
            throw new ValueError(
              `--missing ${opts.missing} applies to series models; "${opts.model}" is a text classifier`,
            );
          }
          await evalText(opts, r);
        } else await evalSeries(opts, r);
      },
    );

  program
    .command('info')
    .description('describe a saved model: architecture, parameters, data settings, training summary')
    .requiredOption('--model <dir>', 'model directory')
    .addHelpText(
      'after',
      examples(['kioku info --model runs/spam/model', 'kioku info --model runs/seattle/model --json']),
    )
    .action(async (opts: { model: string }, cmd: Command) => {
      await infoCommand(opts, reporter(cmd));
    });

  program
    .command('export')
    .description(
      'write a saved model as ONNX, PyTorch (safetensors + model.py) or a TensorFlow.js layers model',
    )
    .requiredOption('--model <dir>', 'model directory written by `kioku train`')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['onnx', 'pytorch', 'tfjs'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'directory to write the exported files into')
    .option('--opset <n>', 'ONNX operator set (onnx only)', int('--opset'))
    .addHelpText(
      'after',
      examples([
        'kioku export --model runs/spam/model --format onnx --out runs/spam/onnx',
        'kioku export --model runs/spam/model --format pytorch --out runs/spam/pytorch',
        'kioku export --model runs/seattle/model --format tfjs --out runs/seattle/tfjs',
      ]),
    )
    .action(async (opts: ExportOptions, cmd: Command) => {
      await exportCommand(opts, reporter(cmd));
    });

  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.showSuggestionAfterError(true);
  }
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/**
 * Runs `kioku` with `argv` (without node and the script) and returns the exit code. Errors
 * become one line on stderr; `--debug` adds the stack.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const program = createProgram(io);
  const debug = argv.includes('--debug');
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
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (e instanceof NonFiniteError) {
      io.stderr.write(`kioku: ${await nonFiniteMessage(e, out)}\n`);
      if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
      return EXIT.error;
    }
    if (e instanceof KiokuError) {
      io.stderr.write(`kioku: ${oneLine(e.message)}\n`);
      if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
      return EXIT.error;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(
      `kioku: unexpected error: ${oneLine(err.message)}${debug ? '' : ' (run with --debug for details)'}\n`,
    );
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return EXIT.internal;
  }
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

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
