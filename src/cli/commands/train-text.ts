import { type Command, Option } from 'commander';
import { DataError } from '../../data/errors.js';
import type { SpamHeaders } from '../../io/datasets/spam.js';
import { POOLINGS } from '../../nn/heads.js';
import { describeCoverage } from '../../train/class-report.js';
import type { BaselineEvent, TextClassifierEvent } from '../../train/recipes/events.js';
import { LR_SCHEDULES } from '../../train/recipes/forecaster-options.js';
import { trainTextClassifier } from '../../train/recipes/text-classifier.js';
import {
  TEXT_CLASSIFIER_DEFAULTS as D,
  MAX_SIZED_EPOCHS,
  SIZED_EPOCH_STEPS,
  type TextClassifierSettings,
  WORD_TOKEN_DROPOUT,
} from '../../train/recipes/text-classifier-options.js';
import { type CheckpointFlags, checkpointOptions, examples, int, num } from '../options.js';
import { type Reporter, round } from '../reporter.js';
import { classificationTable, warnUnknown } from '../reports.js';
import { loadTextSource } from '../sources.js';
import { done, trainRunOptions } from '../training.js';

/** `kioku train text`: flags → trainTextClassifier → progress, the test table, the saved paths. */

interface TrainTextFlags extends TextClassifierSettings, CheckpointFlags {
  data: string;
  textCol: string;
  labelCol: string;
  headers: SpamHeaders;
  limit?: number;
}

function textEvent(
  reporter: Reporter,
  e: TextClassifierEvent,
  tokens: 'word' | 'char',
): Promise<void> | void {
  if (e.type === 'text-data') {
    reporter.note(
      `${e.examples} examples (${e.classes.join('/')}): train ${e.train}, val ${e.val}, test ${e.test}; vocabulary ${e.vocabulary} tokens, max length ${e.maxLen}, ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}`,
    );
    warnUnknown(reporter, e.unknownRate, 'validation and test', tokens);
  } else if (e.type === 'model') reporter.note(`${e.model}: ${e.parameters} parameters`);
  else if (e.type === 'baseline') return baselineLine(reporter, e);
  else return reporter.training(e, 'accuracy');
}

/** A line before and after a baseline that trains without epochs, and its JSON record. */
async function baselineLine(reporter: Reporter, e: BaselineEvent): Promise<void> {
  if (e.stage === 'begin') return reporter.note(`${e.model}: fitting ${e.detail}`);
  reporter.note(`${e.model}: ${e.detail}, ${e.seconds.toFixed(1)} s`);
  await reporter.event({ event: 'baseline', model: e.model, fitted: e.detail, seconds: round(e.seconds) });
}

async function trainText(o: TrainTextFlags, reporter: Reporter): Promise<void> {
  const started = performance.now();
  const spam = o.data === 'spam-assassin';
  const corpus = await withColumnFlags(
    o,
    loadTextSource(o.data, {
      textCol: o.textCol,
      labelCol: o.labelCol,
      headers: o.headers,
      warn: (line) => reporter.warn(line),
    }),
  );
  const customColumns = o.textCol !== 'text' || o.labelCol !== 'label';
  const {
    data,
    textCol,
    labelCol,
    headers,
    out,
    resume,
    keepCheckpoints,
    checkpointEvery,
    onNonfinite,
    ...settings
  } = o;
  const result = await trainTextClassifier({
    ...settings,
    corpus,
    dataName: data,
    // The header policy is kept with models of e-mails, so eval reads them the same way.
    ...(spam ? { headers } : {}),
    runSettings: { textCol, labelCol },
    // Kept with the model, so eval reads files of the same shape without the flags.
    ...(customColumns ? { dataColumns: { text: textCol, label: labelCol } } : {}),
    ...(await trainRunOptions(o, reporter)),
    onEvent: (e) => textEvent(reporter, e, o.tokenizer),
  });
  await classificationTable(
    reporter,
    'test',
    result.test.reports,
    result.labels,
    result.test.examples,
    `Test set (${result.test.examples} examples):`,
  );
  const missing = describeCoverage(result.test.missingClasses);
  if (missing) reporter.note(`${missing}; they were kept in training`);
  const plots = result.saved.files.filter((p) => p.endsWith('.png'));
  reporter.print(`Model saved to ${result.saved.model}; plots: ${plots.join(', ')}`);
  await done(reporter, result.saved.model, started);
}

/** A file's missing text or label column (a CSV header, a JSONL key), with the flag that names another. */
export async function withColumnFlags<T>(
  flags: { textCol: string; labelCol: string },
  loading: Promise<T>,
): Promise<T> {
  try {
    return await loading;
  } catch (e) {
    if (!(e instanceof DataError) || !/unknown (text|label) column|missing key/.test(e.message)) throw e;
    const role = e.column === flags.textCol ? 'text' : e.column === flags.labelCol ? 'label' : null;
    if (role === null) throw e;
    e.message = `${e.message} (--${role}-col names the ${role} column, default "${role}")`;
    throw e;
  }
}

/** Where the texts come from and how their e-mail headers are read. */
function dataFlags(cmd: Command): Command {
  return cmd
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
    .option('--limit <n>', 'use only the first n examples (after a seeded shuffle)', int('--limit'));
}

/** How a text becomes tokens, and how many of them are kept. */
function tokenFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--tokenizer <kind>',
        'tokens: words, or characters (for short strings written without spaces)',
      )
        .choices(['word', 'char'])
        .default(D.tokenizer),
    )
    .option('--no-lowercase', 'keep the case of letters (lower-cased by default)')
    .option('--no-normalize', 'skip Unicode NFKC normalisation (full-width letters, ligatures)')
    .addOption(
      new Option(
        '--punctuation <how>',
        'drop punctuation and symbols, or make each one a token (word tokenizer)',
      )
        .choices(['strip', 'keep'])
        .default(D.punctuation),
    )
    .option('--max-len <n>', 'tokens kept per text', int('--max-len'), D.maxLen)
    .addOption(
      new Option(
        '--truncation <part>',
        'what a long text keeps: its start, its end, or a quarter start and the end',
      )
        .choices(['head', 'tail', 'headTail'])
        .default(D.truncation),
    )
    .option(
      '--vocab-size <n>',
      'largest vocabulary, <pad> and <unk> included',
      int('--vocab-size', 3),
      D.vocabSize,
    )
    .option('--min-freq <n>', 'drop tokens seen fewer times', int('--min-freq'), D.minFreq);
}

/** The network: cell, sizes, directions, pooling, dropout. */
function modelFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default(D.cell))
    .option('--embed <n>', 'embedding size', int('--embed'), D.embed)
    .option('--hidden <n>', 'hidden size', int('--hidden'), D.hidden)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), D.layers)
    .option('--bidirectional', 'read the text in both directions (the default)', D.bidirectional)
    .option('--no-bidirectional', 'read the text forwards only, as the seed LSTMClassifier does')
    .addOption(
      new Option(
        '--pooling <how>',
        'sequence summary fed to the classifier (max-mean: both side by side; attention: learned weights over the valid steps)',
      )
        .choices([...POOLINGS])
        .default(D.pooling),
    )
    .option(
      '--dropout <p>',
      'dropout before the output layer (and between layers)',
      num('--dropout', 0, 0.99),
      D.dropout,
    )
    .option(
      '--bag-of-words',
      'add a linear bag-of-words path to the logits, trained with the network (wide and deep)',
      D.bagOfWords,
    )
    .option('--no-bag-of-words', 'the network alone, without the bag-of-words path')
    .option(
      '--token-dropout <p>',
      `word dropout while training: each token becomes <unk> with this probability, so no rare word decides alone (default: ${WORD_TOKEN_DROPOUT} with --tokenizer word, 0 with char)`,
      num('--token-dropout', 0, 0.99),
    );
}

/** The optimisation: epochs, batch, learning rate and its schedule, baselines, seed. */
function trainingFlags(cmd: Command): Command {
  return cmd
    .option(
      '--epochs <n>',
      `training epochs (default: 5, or about ${SIZED_EPOCH_STEPS} optimizer steps for a small training set, at most ${MAX_SIZED_EPOCHS} epochs)`,
      int('--epochs'),
    )
    .option('--batch <n>', 'batch size', int('--batch'), D.batch)
    .option('--lr <rate>', 'Adam learning rate', num('--lr', 0), D.lr)
    .option('--weight-decay <w>', "Adam's L2 weight decay", num('--weight-decay', 0), D.weightDecay)
    .option(
      '--label-smoothing <e>',
      'smooth the targets: (1 − e)·one-hot + e/classes',
      num('--label-smoothing', 0, 0.99),
      D.labelSmoothing,
    )
    .addOption(
      new Option('--lr-schedule <name>', 'learning-rate schedule, stepped once per epoch')
        .choices(LR_SCHEDULES)
        .default(D.lrSchedule),
    )
    .option('--no-baselines', 'skip the bag-of-words and TF-IDF baselines')
    .option('--seed <n>', 'seed for splits, initialisation and shuffling', int('--seed', 0), D.seed);
}

export function trainTextCommand(train: Command, reporter: (cmd: Command) => Reporter): void {
  const cmd = train
    .command('text')
    .description(
      'train a text classifier (Embedding → RNN/LSTM/GRU → Linear) beside majority-class and bag-of-words baselines',
    );
  for (const flags of [dataFlags, tokenFlags, modelFlags, trainingFlags]) flags(cmd);
  cmd
    .requiredOption('--out <dir>', 'output directory (model, plots, metrics.jsonl, history.json)')
    .addHelpText(
      'after',
      examples([
        'kioku train text --data spam-assassin --out runs/spam',
        'kioku train text --data reviews.csv --text-col review --label-col sentiment --cell gru --bidirectional --out runs/reviews',
        'kioku train text --data aclImdb --max-len 400 --epochs 5 --pooling mean --out runs/imdb',
        'kioku train text --data names.csv --tokenizer char --max-len 20 --epochs 10 --out runs/names',
      ]),
    )
    .action(async (opts: TrainTextFlags, c: Command) => {
      await trainText(opts, reporter(c));
    });
  checkpointOptions(cmd);
}
