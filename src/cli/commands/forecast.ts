import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { MissingPolicy } from '../../data/missing.js';
import { ValueError } from '../../tensor/errors.js';
import {
  type ForecastRow,
  forecastCsv,
  forecastSeries,
  seriesReadOptions,
} from '../../train/recipes/series-model.js';
import { nodeRunStore } from '../../train/run-store-node.js';
import { loadSeriesModel } from '../models.js';
import { examples, flagName, int, missingOption } from '../options.js';
import { type Reporter, round } from '../reporter.js';
import { loadSeriesSource } from '../sources.js';

/** `kioku forecast`: the next `steps` values after the data's end, as CSV (and a plot with --out). */

interface ForecastFlags {
  model: string;
  data?: string;
  steps?: number;
  out?: string;
  dateCol?: string;
  seriesCol?: string;
  missing?: MissingPolicy;
}

/** Says where the prediction intervals end when the forecast runs past the steps they were measured for. */
function noteBandEnd(reporter: Reporter, rows: ForecastRow[]): void {
  const banded = rows.filter((r) => r.lower !== null);
  const last = Math.max(0, ...banded.map((r) => r.step));
  if (banded.length === 0 || !rows.some((r) => r.step > last)) return;
  const span = last === 1 ? 'step 1' : `steps 1-${last}`;
  reporter.note(
    `prediction intervals cover ${span}, the steps the model was trained and measured on; later steps have none (lower and upper empty)`,
  );
}

async function forecast(o: ForecastFlags, reporter: Reporter): Promise<void> {
  const opened = await loadSeriesModel(o.model);
  if (o.missing !== undefined && o.data === undefined) {
    throw new ValueError(
      `--missing ${o.missing} needs --data: without it the forecast continues the training data saved in the model`,
    );
  }
  let series: Awaited<ReturnType<typeof loadSeriesSource>> | undefined;
  if (o.data !== undefined) {
    const read = seriesReadOptions(opened);
    // The model knows its date and series columns; the flags override them.
    series = await loadSeriesSource(o.data, {
      dateCol: o.dateCol ?? read.dateColumn ?? 'date',
      seriesCol: o.seriesCol ?? read.seriesColumn,
      columns: read.columns,
      missing: o.missing ?? read.missing,
    });
  }
  const result = await forecastSeries(opened, {
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(series ? { series, dataName: o.data } : {}),
    ...(o.out !== undefined ? { store: nodeRunStore(o.out, { checkpoints: false }) } : {}),
    optionName: flagName,
  });
  noteBandEnd(reporter, result.rows);
  if (reporter.json) {
    for (const r of result.rows) {
      const band =
        r.lower !== null && r.upper !== null ? { lower: round(r.lower, 4), upper: round(r.upper, 4) } : {};
      const row = {
        ...(r.series !== null ? { series: r.series } : {}),
        step: r.step,
        ...(r.date !== null ? { date: r.date } : {}),
        [result.target]: round(r.value, 4),
        ...band,
      };
      reporter.io.stdout.write(`${JSON.stringify(row)}\n`);
    }
  } else reporter.print(forecastCsv(result));
  if (o.out !== undefined) {
    const charts = result.saved.filter((f) => f.endsWith('.png')).map((f) => basename(f));
    reporter.note(`wrote ${join(o.out, 'forecast.csv')} and ${charts.join(', ')}`);
  }
}

export function forecastCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('forecast')
    .description('forecast the next steps with a trained series model; writes CSV and a plot')
    .requiredOption('--model <dir>', 'model directory written by `kioku train series`')
    .option('--data <source>', 'series to continue (default: the end of the training data)')
    .option(
      '--steps <n>',
      'steps to forecast (default: one season of the data, 1 without one)',
      int('--steps'),
    )
    .option('--out <dir>', 'write forecast.csv and the plots (history, forecast, prediction interval) here')
    .option('--date-col <name>', 'date column of a CSV series (default: as the model was trained)')
    .option(
      '--series-col <name>',
      'series-id column of a long-format CSV (default: as the model was trained)',
    )
    .addOption(missingOption())
    .addHelpText(
      'after',
      examples([
        'kioku forecast --model runs/seattle/model --steps 14 --out runs/seattle/forecast',
        'kioku forecast --model runs/sales/model --data sales-latest.csv --steps 7',
      ]),
    )
    .action(async (opts: ForecastFlags, cmd: Command) => {
      await forecast(opts, reporter(cmd));
    });
}
