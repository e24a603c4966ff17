import type { Command } from 'commander';
import type { MissingPolicy } from '../../data/missing.js';
import type { SpamHeaders } from '../../io/datasets/spam.js';
import { ValueError } from '../../tensor/errors.js';
import { evaluateForecaster, seriesReadOptions } from '../../train/recipes/series-model.js';
import { evaluateTextClassifier, textReadOptions } from '../../train/recipes/text-model.js';
import { loadSeriesModel, loadTextModel, modelTask } from '../models.js';
import { examples, flagName, int, missingOption } from '../options.js';
import type { Reporter } from '../reporter.js';
import { classificationTable, regressionTable, warnUnknown } from '../reports.js';
import { loadSeriesSource, loadTextSource } from '../sources.js';

/** `kioku eval`: a trained model's scores on a dataset beside its baselines. */

interface EvalFlags {
  model: string;
  data: string;
  textCol: string;
  labelCol: string;
  dateCol: string;
  missing?: MissingPolicy;
  limit?: number;
}

async function evalText(o: EvalFlags, reporter: Reporter): Promise<void> {
  const opened = await loadTextModel(o.model);
  // E-mails are read the way the model saw them in training.
  const headers = textReadOptions(opened).headers as SpamHeaders | undefined;
  const corpus = await loadTextSource(o.data, {
    textCol: o.textCol,
    labelCol: o.labelCol,
    headers,
    warn: (line) => reporter.warn(line),
  });
  const r = evaluateTextClassifier(opened, {
    corpus,
    dataName: o.data,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    optionName: flagName,
  });
  warnUnknown(reporter, r.unknownRate, o.data);
  const labels = opened.config.labels as string[];
  const title = `Evaluation on ${o.data} (${r.examples} examples):`;
  await classificationTable(reporter, 'eval', r.reports, labels, r.examples, title);
}

async function evalSeries(o: EvalFlags, reporter: Reporter): Promise<void> {
  const opened = await loadSeriesModel(o.model);
  const read = seriesReadOptions(opened);
  const series = await loadSeriesSource(o.data, {
    dateCol: o.dateCol,
    columns: read.columns,
    missing: o.missing ?? read.missing,
  });
  const r = await evaluateForecaster(opened, { series, dataName: o.data, optionName: flagName });
  const title = `Evaluation on ${o.data} (${r.windows} windows), ${r.target}:`;
  await regressionTable(reporter, 'eval', r.metrics, r.windows, title);
}

async function evaluate(o: EvalFlags, reporter: Reporter): Promise<void> {
  if ((await modelTask(o.model)) === 'classification') {
    if (o.missing !== undefined) {
      throw new ValueError(
        `--missing ${o.missing} applies to series models; "${o.model}" is a text classifier`,
      );
    }
    await evalText(o, reporter);
  } else await evalSeries(o, reporter);
}

export function evalCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
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
    .action(async (opts: EvalFlags, cmd: Command) => {
      await evaluate(opts, reporter(cmd));
    });
}
