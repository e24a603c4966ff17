import { type Command, Option } from 'commander';
import type { MissingPolicy } from '../../data/missing.js';
import type { ForecasterEvent } from '../../train/recipes/events.js';
import { trainForecaster } from '../../train/recipes/forecaster.js';
import { FORECASTER_DEFAULTS as D, type ForecasterSettings } from '../../train/recipes/forecaster-options.js';
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
import { regressionTable } from '../reports.js';
import { loadSeriesSource } from '../sources.js';
import { done, spanText, trainRunOptions } from '../training.js';

/** `kioku train series`: flags → trainForecaster → progress, the test table, the saved paths. */

interface TrainSeriesFlags extends ForecasterSettings, CheckpointFlags {
  data: string;
  target: string;
  features?: string[];
  dateCol: string;
  testFrom?: string;
  season?: number;
  missing: MissingPolicy;
}

function seriesEvent(reporter: Reporter, e: ForecasterEvent): Promise<void> | void {
  if (e.type === 'series-data') {
    reporter.note(
      `${e.rows} rows, ${e.columns.length} feature(s) [${e.columns.join(', ')}], target ${e.target}: train ${spanText(e.train)}, val ${spanText(e.val)}, test ${spanText(e.test)}`,
    );
  } else return reporter.training(e, 'mae');
}

async function trainSeries(o: TrainSeriesFlags, reporter: Reporter): Promise<void> {
  const started = performance.now();
  const wanted = o.features ? [...new Set([...o.features, o.target])] : undefined;
  const series = await loadSeriesSource(o.data, {
    dateCol: o.dateCol,
    missing: o.missing,
    ...(wanted ? { columns: wanted } : {}),
  });
  const { data, dateCol, testFrom, out, resume, keepCheckpoints, checkpointEvery, onNonfinite, ...settings } =
    o;
  const result = await trainForecaster({
    ...settings,
    series,
    dataName: data,
    // Seattle's test year is 2015, as in the forecasting examples this data set comes from.
    testFrom: testFrom ?? (data === 'seattle-weather' ? '2015-01-01' : undefined),
    runSettings: { dateCol },
    ...(await trainRunOptions(o, reporter)),
    onEvent: (e) => seriesEvent(reporter, e),
  });
  const t = result.test;
  await regressionTable(
    reporter,
    'test',
    t.metrics,
    t.windows,
    `Test set (${t.windows} windows, ${spanText(t.span)}), ${t.target}:`,
  );
  reporter.print(
    `MAE vs persistence: ${(t.metrics[0]!.metrics.mae / t.metrics[1]!.metrics.mae).toFixed(3)}×`,
  );
  const plots = result.saved.files.filter((p) => p.endsWith('.png'));
  reporter.print(`Model saved to ${result.saved.model}; plots: ${plots.join(', ')}`);
  await done(reporter, result.saved.model, started);
}

export function trainSeriesCommand(train: Command, reporter: (cmd: Command) => Reporter): void {
  const cmd = train
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
    .option('--lookback <n>', 'input steps per window', int('--lookback'), D.lookback)
    .option('--horizon <n>', 'steps predicted per window', int('--horizon'), D.horizon)
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default(D.cell))
    .option('--hidden <n>', 'hidden size', int('--hidden'), D.hidden)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), D.layers)
    .option(
      '--dropout <p>',
      'dropout before the output layer (and between layers)',
      num('--dropout', 0, 0.99),
      D.dropout,
    )
    .option('--epochs <n>', 'training epochs', int('--epochs'), D.epochs)
    .option('--batch <n>', 'batch size', int('--batch'), D.batch)
    .option('--lr <rate>', 'Adam learning rate', num('--lr', 0), D.lr)
    .option(
      '--test-from <date>',
      'first date of the test split (default: the last 20% of rows, or 2015 for seattle-weather)',
    )
    .option(
      '--season <n>',
      'period of the seasonal-naive baseline (default: 7 for daily, 12 for monthly data)',
      int('--season'),
    )
    .option('--calendar', 'add day-of-year sine/cosine inputs computed from the dates', D.calendar)
    .addOption(
      new Option(
        '--missing <policy>',
        'missing values (empty cells, NaN, NA): stop with an error, repeat the last value, or drop the row',
      )
        .choices(MISSING_POLICIES)
        .default('error'),
    )
    .option('--seed <n>', 'seed for initialisation and shuffling', int('--seed', 0), D.seed)
    .requiredOption('--out <dir>', 'output directory (model, plots, metrics.jsonl, history.json)')
    .addHelpText(
      'after',
      examples([
        'kioku train series --data seattle-weather --target temp_max --calendar --out runs/seattle',
        'kioku train series --data stocks:GOOG --target GOOG --lookback 12 --out runs/goog',
        'kioku train series --data sales.csv --date-col day --target units --horizon 7 --out runs/sales',
      ]),
    )
    .action(async (opts: TrainSeriesFlags, c: Command) => {
      await trainSeries(opts, reporter(c));
    });
  checkpointOptions(cmd);
}
