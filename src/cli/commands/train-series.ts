import { type Command, InvalidArgumentError, Option } from 'commander';
import { DataError, quote } from '../../data/errors.js';
import type { MissingPolicy } from '../../data/missing.js';
import type { SeriesPanel } from '../../data/panel.js';
import type { TimeSeries } from '../../data/series.js';
import { decimalCommaNote } from '../../io/datasets/series.js';
import { trainForecaster } from '../../train/recipes/forecaster.js';
import type { ForecasterOptions, ForecasterResult } from '../../train/recipes/forecaster-options.js';
import {
  FORECASTER_DEFAULTS as D,
  type ForecasterSettings,
  LR_SCHEDULES,
} from '../../train/recipes/forecaster-options.js';
import { TRANSFORM_OPTIONS, type TransformOption } from '../../train/recipes/series-plan.js';
import type { RunStore } from '../../train/recipes/store.js';
import { CliError } from '../models.js';
import {
  type CheckpointFlags,
  checkpointOptions,
  examples,
  int,
  list,
  MISSING_POLICIES,
  num,
} from '../options.js';
import type { Reporter } from '../reporter.js';
import { restoredLine, seriesProgress, splitReport, splitTitle } from '../series-reports.js';
import { dateColumnFor, loadSeriesSource, SERIES_BUILTINS } from '../sources.js';
import { done, trainRunOptions } from '../training.js';

/** `kioku train series`: flags → trainForecaster → progress, the test tables, the saved paths. */

/** The flags with the target settled (named, or the series' one column). */
type SettledFlags = TrainSeriesFlags & { target: string; dateCol: string };

export interface TrainSeriesFlags extends Omit<ForecasterSettings, 'target'>, CheckpointFlags {
  data: string;
  /** Absent: the series' one numeric column. */
  target?: string;
  features?: string[];
  horizon?: number;
  /** Absent: the file's header suggests it (see dateColumnFor). */
  dateCol?: string;
  seriesCol?: string;
  testFrom?: string;
  season?: number;
  missing: MissingPolicy;
}

/** The run's flags, kept in `<out>/command.json` so `kioku resume` can continue it. */
export const COMMAND_FILE = 'command.json';

const ALIASES: Record<string, TransformOption> = {
  diff: 'difference',
  logdiff: 'log-difference',
  'seasonal-diff': 'seasonal-difference',
};

function transformFlag(value: string): TransformOption {
  const t = ALIASES[value] ?? value;
  if (!(TRANSFORM_OPTIONS as readonly string[]).includes(t)) {
    throw new InvalidArgumentError(
      `--transform must be one of ${TRANSFORM_OPTIONS.join(', ')} (or diff, logdiff, seasonal-diff), got "${value}"`,
    );
  }
  return t as TransformOption;
}

/**
 * Default inputs that hold text are left out with a warning (decimal commas shown as they
 * should be written); a text target is refused.
 */
function textColumnsHandler(o: TrainSeriesFlags, reporter: Reporter) {
  return (names: string[], firstValues: string[]): void => {
    const target = o.target === undefined ? -1 : names.indexOf(o.target);
    if (target >= 0) {
      const first = firstValues[target]!;
      const note = decimalCommaNote(first);
      throw new DataError(
        `--target ${quote(names[target]!)} holds text; it must name a numeric column (its first value is ${quote(first)}${note ? `; ${note}` : ''})`,
      );
    }
    const commas = names.flatMap((name, k) => {
      const note = decimalCommaNote(firstValues[k]!);
      return note ? [`${name}'s first value is ${quote(firstValues[k]!)}: ${note}`] : [];
    });
    const why = commas.length > 0 ? ` (${commas.join('; ')})` : '';
    reporter.warn(
      `inputs leave out the text column(s) ${names.join(', ')}${why}; --features names the inputs`,
    );
  };
}

/** The target when --target is left out: the series' one numeric column, else an error naming them. */
function onlyColumn(series: TimeSeries | SeriesPanel): string {
  const columns = 'members' in series ? series.members[0]!.columns : series.columns;
  if (columns.length === 1) return columns[0]!;
  throw new CliError(
    `--target is required: name the column to forecast, one of ${columns.map((c) => quote(c)).join(', ')}`,
  );
}

/** The series `--data` names, with the columns the flags ask for. */
function loadData(o: TrainSeriesFlags & { dateCol: string }, reporter: Reporter) {
  const builtin = o.data === 'stocks' || o.data.startsWith('stocks:') || SERIES_BUILTINS.includes(o.data);
  const csvFlag = o.seriesCol !== undefined ? '--series-col' : o.dateCol !== 'date' ? '--date-col' : null;
  if (builtin && csvFlag) {
    throw new CliError(
      `${csvFlag} names a column of a CSV file; the built-in ${quote(o.data)} has its own dates and series: leave ${csvFlag} out`,
    );
  }
  const wanted = o.features && o.target ? [...new Set([...o.features, o.target])] : undefined;
  return loadSeriesSource(o.data, {
    dateCol: o.dateCol,
    seriesCol: o.seriesCol ?? null,
    missing: o.missing,
    ...(wanted ? { columns: wanted } : {}),
    onTextColumns: textColumnsHandler(o, reporter),
  });
}

/**
 * Writes the run's flags to `<out>/command.json` once, when the run is accepted (a refused run
 * must not replace an unfinished run's flags).
 */
function commandRecorder(o: SettledFlags, store: Pick<RunStore, 'writeFile'>) {
  let recorded = false;
  return async (): Promise<void> => {
    if (recorded) return;
    recorded = true;
    const flags = { ...o, resume: undefined };
    await store.writeFile(COMMAND_FILE, `${JSON.stringify({ command: 'train series', flags }, null, 2)}\n`);
  };
}

/** The restored epoch, the test tables and the saved paths. */
async function report(o: SettledFlags, result: ForecasterResult, reporter: Reporter, metric: string) {
  await restoredLine(reporter, result.fit, metric);
  const t = result.test;
  await splitReport(reporter, 'test', t, splitTitle('Test split', t, o.target));
  const plots = result.saved.files.filter((p) => p.endsWith('.png'));
  reporter.print(`Model saved to ${result.saved.model}; plots: ${plots.join(', ')}`);
}

/** The recipe's options: the flags that are settings, the data, the run's store and checkpoints. */
function recipeOptions(
  o: SettledFlags,
  series: TimeSeries | SeriesPanel,
  run: Awaited<ReturnType<typeof trainRunOptions>>,
  onEvent: ForecasterOptions['onEvent'],
): ForecasterOptions {
  const {
    data,
    dateCol,
    seriesCol,
    testFrom,
    out,
    resume,
    keepCheckpoints,
    checkpointEvery,
    onNonfinite,
    ...settings
  } = o;
  return {
    ...settings,
    series,
    dataName: data,
    dateColumn: dateCol,
    // Seattle's test year is 2015, as in the forecasting examples this data set comes from.
    testFrom: testFrom ?? (data === 'seattle-weather' ? '2015-01-01' : undefined),
    runSettings: { dateCol, ...(seriesCol ? { seriesCol } : {}) },
    ...run,
    ...(onEvent ? { onEvent } : {}),
  };
}

/** Reads the data and trains, reporting as it goes; `o` are the command's flags. */
export async function trainSeries(flags: TrainSeriesFlags, reporter: Reporter): Promise<void> {
  const started = performance.now();
  if (flags.target === undefined && flags.features)
    throw new CliError('--target is required with --features: name the column to forecast');
  const read = { ...flags, dateCol: await dateColumnFor(flags.data, flags.dateCol) };
  const series = await loadData(read, reporter);
  const o = { ...read, target: flags.target ?? onlyColumn(series) };
  const run = await trainRunOptions(o, reporter, `kioku resume ${o.out} continues the run`);
  const record = commandRecorder(o, run.store);
  const metric = { name: 'mae' };
  const result = await trainForecaster(
    recipeOptions(o, series, run, async (e) => {
      if (e.type === 'resumed' || e.type === 'epoch-begin') await record();
      await seriesProgress(reporter, e, metric);
    }),
  );
  await report(o, result, reporter, metric.name);
  await done(reporter, result.saved.model, started);
}

/** Which columns of the data are read, and as what. */
function columnOptions(cmd: Command): Command {
  return cmd
    .option(
      '--features <columns>',
      'input columns besides the target, comma-separated (default: every other numeric column)',
      list,
    )
    .option(
      '--date-col <name>',
      'date column of a CSV file (default: the column named date, datetime, timestamp, time or ds; stored with the model)',
    )
    .option(
      '--series-col <name>',
      'series-id column of a long-format CSV: one global model over every series',
    );
}

/** How the series becomes input windows and forecast targets. */
function windowOptions(cmd: Command): Command {
  return cmd
    .option(
      '--lookback <n>',
      `input steps per window (default: ${D.lookback}, or half the longest window a short series' training split holds)`,
      int('--lookback'),
    )
    .option(
      '--horizon <n>',
      'forecast steps per origin (default: one season, 1 without one)',
      int('--horizon'),
    )
    .addOption(
      new Option('--strategy <how>', 'direct: one output per step; recursive: one step, fed back')
        .choices(['direct', 'recursive'])
        .default(D.strategy),
    )
    .option(
      '--transform <kind>',
      `target transform: ${TRANSFORM_OPTIONS.join(', ')} (auto picks by trend and season tests)`,
      transformFlag,
      D.transform,
    );
}

/** The network's shape. */
function networkOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default(D.cell))
    .option('--hidden <n>', 'hidden size', int('--hidden'), D.hidden)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), D.layers)
    .option(
      '--dropout <p>',
      'dropout before the output layer (and between layers)',
      num('--dropout', 0, 0.99),
      D.dropout,
    );
}

/** The training loop: epochs, early stopping, the optimizer and its schedule. */
function trainingOptions(cmd: Command): Command {
  return cmd
    .option('--epochs <n>', 'most training epochs', int('--epochs'), D.epochs)
    .option(
      '--patience <n>',
      'stop after n epochs without a better validation error',
      int('--patience', 0),
      D.patience,
    )
    .addOption(
      new Option('--lr-schedule <name>', 'learning-rate schedule')
        .choices(LR_SCHEDULES)
        .default(D.lrSchedule),
    )
    .option('--batch <n>', 'batch size', int('--batch'), D.batch)
    .option('--lr <rate>', 'Adam learning rate', num('--lr', 0), D.lr);
}

/** What the dates decide (the test split, the season, calendar inputs) and the intervals' coverage. */
function dateOptions(cmd: Command): Command {
  return cmd
    .option(
      '--test-from <date>',
      'first date of the test split (default: the last 20% of rows, or 2015 for seattle-weather)',
    )
    .option(
      '--season <n>',
      'season length m (default: from the dates: 7 daily, 12 monthly, 52 weekly, 24 hourly)',
      int('--season'),
    )
    .option('--calendar', 'calendar inputs from the dates (the default)', D.calendar)
    .option('--no-calendar', 'no calendar inputs')
    .option('--level <p>', 'coverage of the prediction intervals', num('--level', 0.5, 0.99), D.level);
}

/** Every option of `kioku train series` but --data, --target, --out and the checkpoint flags, in --help's order. */
function seriesOptions(cmd: Command): Command {
  return dateOptions(trainingOptions(networkOptions(windowOptions(columnOptions(cmd)))))
    .addOption(
      new Option(
        '--missing <policy>',
        'missing values (empty cells, NaN, NA): stop with an error, repeat the last value, or drop the row',
      )
        .choices(MISSING_POLICIES)
        .default('error'),
    )
    .option('--seed <n>', 'seed for initialisation and shuffling', int('--seed', 0), D.seed);
}

export function trainSeriesCommand(train: Command, reporter: (cmd: Command) => Reporter): void {
  const cmd = train
    .command('series')
    .description(
      'train a forecaster (window → RNN/LSTM/GRU → Linear) beside naive, seasonal naive, drift, ETS and Naive2',
    )
    .requiredOption(
      '--data <source>',
      'seattle-weather, births, sp500, stocks, stocks:<SYMBOL>, or a .csv file with a date column',
    )
    .option('--target <column>', 'column to forecast (default: the only numeric column, if there is one)');
  seriesOptions(cmd)
    .requiredOption('--out <dir>', 'output directory (model, plots, metrics.jsonl, history.json)')
    .addHelpText(
      'after',
      examples([
        'kioku train series --data seattle-weather --target temp_max --out runs/seattle',
        'kioku train series --data births --target births --out runs/births',
        'kioku train series --data stocks --target price --out runs/stocks   # one model, five symbols',
        'kioku train series --data sales.csv --date-col day --target units --horizon 14 --patience 5 --out runs/sales',
      ]),
    )
    .action(async (opts: TrainSeriesFlags, c: Command) => {
      await trainSeries(opts, reporter(c));
    });
  checkpointOptions(cmd);
}
