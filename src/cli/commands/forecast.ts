import { join } from 'node:path';
import type { Command } from 'commander';
import type { MissingPolicy } from '../../data/missing.js';
import { ValueError } from '../../tensor/errors.js';
import { forecastCsv, forecastSeries, seriesReadOptions } from '../../train/recipes/series-model.js';
import { nodeRunStore } from '../../train/run-store-node.js';
import { loadSeriesModel } from '../models.js';
import { examples, flagName, int, missingOption } from '../options.js';
import { type Reporter, round } from '../reporter.js';
import { loadSeriesSource } from '../sources.js';

/** `kioku forecast`: the next `steps` values after the data's end, as CSV (and a plot with --out). */

interface ForecastFlags {
  model: string;
  data?: string;
  steps: number;
  out?: string;
  dateCol?: string;
  missing?: MissingPolicy;
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
    series = await loadSeriesSource(o.data, {
      dateCol: o.dateCol ?? 'date',
      columns: read.columns,
      missing: o.missing ?? read.missing,
    });
  }
  const result = await forecastSeries(opened, {
    steps: o.steps,
    ...(series ? { series, dataName: o.data } : {}),
    ...(o.out !== undefined ? { store: nodeRunStore(o.out, { checkpoints: false }) } : {}),
    optionName: flagName,
  });
  if (reporter.json) {
    for (const r of result.rows) {
      reporter.io.stdout.write(
        `${JSON.stringify({ step: r.step, ...(r.date !== null ? { date: r.date } : {}), [result.target]: round(r.value, 4) })}\n`,
      );
    }
  } else reporter.print(forecastCsv(result));
  if (o.out !== undefined) reporter.note(`wrote ${join(o.out, 'forecast.csv')} and forecast.svg/png`);
}

export function forecastCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
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
    .action(async (opts: ForecastFlags, cmd: Command) => {
      await forecast(opts, reporter(cmd));
    });
}
