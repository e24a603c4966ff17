import { type Command, Option } from 'commander';
import type { MissingPolicy } from '../../data/missing.js';
import type { SpamHeaders } from '../../io/datasets/spam.js';
import { ValueError } from '../../tensor/errors.js';
import { EVAL_SPLITS, type EvalSplit } from '../../train/recipes/series-evaluation.js';
import { evaluateForecaster, seriesReadOptions } from '../../train/recipes/series-model.js';
import { evaluateTextClassifier, textReadOptions } from '../../train/recipes/text-model.js';
import { loadSeriesModel, loadTextModel, modelTask } from '../models.js';
import { examples, flagName, int, missingOption } from '../options.js';
import type { Reporter } from '../reporter.js';
import { classificationTable, warnUnknown } from '../reports.js';
import { splitReport, splitTitle } from '../series-reports.js';
import { loadSeriesSource, loadTextSource } from '../sources.js';
import { evalLanguageModel, isTrainingData } from './eval-lm.js';
import { withColumnFlags } from './train-text.js';

/** `kioku eval`: a trained model's scores on a dataset beside its baselines. */

interface EvalFlags {
  model: string;
  data: string;
  textCol?: string;
  labelCol?: string;
  dateCol?: string;
  seriesCol?: string;
  split?: EvalSplit;
  missing?: MissingPolicy;
  limit?: number;
}

async function evalText(o: EvalFlags, reporter: Reporter): Promise<void> {
  const opened = await loadTextModel(o.model);
  // E-mails and files are read the way the model saw them in training; the flags override the columns.
  const read = textReadOptions(opened);
  const columns = {
    textCol: o.textCol ?? read.dataColumns?.text ?? 'text',
    labelCol: o.labelCol ?? read.dataColumns?.label ?? 'label',
  };
  const corpus = await withColumnFlags(
    columns,
    loadTextSource(o.data, {
      ...columns,
      headers: read.headers as SpamHeaders | undefined,
      warn: (line) => reporter.warn(line),
    }),
  );
  const r = evaluateTextClassifier(opened, {
    corpus,
    dataName: o.data,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    optionName: flagName,
  });
  const tokens = (opened.config.tokenizer as { type?: string } | undefined)?.type;
  warnUnknown(reporter, r.unknownRate, o.data, tokens === 'char' ? 'char' : 'word');
  if (isTrainingData(o.data, opened.config.data)) {
    reporter.note(
      `${o.data} is the data the model was trained on: these scores include its training examples (the held-out test scores are in the training run's report)`,
    );
  }
  const labels = opened.config.labels as string[];
  const title = `Evaluation on ${o.data} (${r.examples} examples):`;
  await classificationTable(reporter, 'eval', r.reports, labels, r.examples, title);
}

async function evalSeries(o: EvalFlags, reporter: Reporter): Promise<void> {
  const opened = await loadSeriesModel(o.model);
  const read = seriesReadOptions(opened);
  // The model knows its date and series columns; the flags override them.
  const series = await loadSeriesSource(o.data, {
    dateCol: o.dateCol ?? read.dateColumn ?? 'date',
    seriesCol: o.seriesCol ?? read.seriesColumn,
    columns: read.columns,
    missing: o.missing ?? read.missing,
  });
  const split = o.split ?? 'test';
  const r = await evaluateForecaster(opened, { series, split, dataName: o.data, optionName: flagName });
  const title = splitTitle(`Evaluation on ${o.data}, ${split} split`, r, read.columns[0]!);
  await splitReport(reporter, 'eval', r, title);
}

/** Refuses the first of `flags` that was given, with `why` after its name and value. */
function refuseFlags(flags: readonly (readonly [string, unknown])[], why: string): void {
  const given = flags.find(([, value]) => value !== undefined);
  if (given) throw new ValueError(`${given[0]} ${given[1]} ${why}`);
}

async function evaluate(o: EvalFlags, reporter: Reporter): Promise<void> {
  const task = await modelTask(o.model);
  if (task === 'language-model') {
    const flags = [
      ['--missing', o.missing],
      ['--series-col', o.seriesCol],
      ['--limit', o.limit],
    ] as const;
    refuseFlags(flags, `does not apply to "${o.model}", a language model`);
    await evalLanguageModel(o, reporter);
  } else if (task === 'classification') {
    const flags = [
      ['--missing', o.missing],
      ['--split', o.split],
      ['--series-col', o.seriesCol],
    ] as const;
    refuseFlags(flags, `applies to series models; "${o.model}" is a text classifier`);
    await evalText(o, reporter);
  } else await evalSeries(o, reporter);
}

export function evalCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('eval')
    .description('evaluate a trained model on a dataset beside its baselines')
    .requiredOption('--model <dir>', 'model directory written by `kioku train`')
    .requiredOption('--data <source>', 'data in the form the model was trained on')
    .option(
      '--text-col <name>',
      'text column of a CSV/JSONL file (default: as the model was trained, else text)',
    )
    .option(
      '--label-col <name>',
      'label column of a CSV/JSONL file (default: as the model was trained, else label)',
    )
    .option('--date-col <name>', 'date column of a CSV series (default: as the model was trained)')
    .option(
      '--series-col <name>',
      'series-id column of a long-format CSV (default: as the model was trained)',
    )
    .addOption(
      new Option(
        '--split <split>',
        'series: the rows to score, split at the dates of training (default: test); language models: the part of the 90/5/5 split (default: all)',
      ).choices(EVAL_SPLITS),
    )
    .addOption(missingOption())
    .option('--limit <n>', 'use only the first n examples (after a seeded shuffle)', int('--limit'))
    .addHelpText(
      'after',
      examples([
        'kioku eval --model runs/spam/model --data spam-assassin',
        'kioku eval --model runs/seattle/model --data seattle-weather --json',
        'kioku eval --model runs/seattle/model --data seattle-weather --split val',
        'kioku eval --model runs/moby/model --data moby-dick --split test',
      ]),
    )
    .action(async (opts: EvalFlags, cmd: Command) => {
      await evaluate(opts, reporter(cmd));
    });
}
