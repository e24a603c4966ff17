import type { TextCorpus } from '../../data/corpus.js';
import type { Truncation } from '../../data/vocab.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import {
  type BagOfWordsClassifier,
  type Cell,
  POOLINGS,
  type Pooling,
  type TextClassifier,
} from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import type { ClassCoverage } from '../class-report.js';
import type { FitResult, History } from '../fit-types.js';
import type { TextClassifierEvent } from './events.js';
import { LR_SCHEDULES, type LrSchedule } from './forecaster-options.js';
import {
  checkOptionsObject,
  checkRunOptions,
  definedEntries,
  OptionCheck,
  type RecipeRunOptions,
  RUN_OPTIONS,
  withoutRunOptions,
} from './options.js';
import { checkCorpus } from './text-data.js';
import type { TextReport } from './text-reports.js';

/** What `trainTextClassifier` takes (with defaults) and returns, and how its options are checked. */

/** Training settings of `trainTextClassifier`, each with its default. */
export interface TextClassifierSettings {
  /**
   * Tokens: 'word' (words, the default) or 'char' (one token per character, for short strings
   * written without spaces: names, codes). Saved in the model's config and reapplied wherever it is used.
   */
  tokenizer: 'word' | 'char';
  /** Lower-case the text before tokenizing. Default true. */
  lowercase: boolean;
  /** Apply Unicode NFKC normalisation first (full-width letters, ligatures). Default true. */
  normalize: boolean;
  /** Drop punctuation and symbols, or make each one a token (word tokenizer). Default 'strip'. */
  punctuation: 'strip' | 'keep';
  /** Recurrent cell. Default 'lstm'. */
  cell: Cell;
  /** Embedding size. Default 128. */
  embed: number;
  /** Hidden size. Default 64. */
  hidden: number;
  /** Stacked recurrent layers. Default 1. */
  layers: number;
  /** Read the text in both directions. Default true. */
  bidirectional: boolean;
  /** Sequence summary fed to the classifier. Default 'max'. */
  pooling: Pooling;
  /** Dropout before the output layer (and between layers). Default 0. */
  dropout: number;
  /**
   * A linear bag-of-words path summed into the logits, trained with the rest (wide and deep):
   * what the bag-of-words baseline computes, inside the model. Default false.
   */
  bagOfWords: boolean;
  /**
   * Word dropout while training: each token becomes `<unk>` with this probability, so the model
   * cannot lean on one rare word it has learnt by heart. Default `WORD_TOKEN_DROPOUT` (0.1) with the
   * word tokenizer, 0 with characters (measured: docs/spam-investigation.md).
   */
  tokenDropout: number;
  /** Embedding dropout while training: each word of a batch reads zeros with this probability. Default 0. */
  embedDropout: number;
  /** Target smoothing of the cross-entropy: (1 − ε)·one-hot + ε/classes. Default 0. */
  labelSmoothing: number;
  /** Adam's L2 weight decay (added to every gradient). Default 0. */
  weightDecay: number;
  /**
   * Training epochs (the best validation epoch's weights are kept). Open: 5, or more for a small
   * training set, see {@link sizedEpochs}.
   */
  epochs: number;
  /** Batch size. Default 32. */
  batch: number;
  /** Adam learning rate. Default 0.003. */
  lr: number;
  /**
   * Learning-rate schedule, stepped once per epoch: 'constant', 'cosine' (a half cosine to 0
   * over the epochs) or 'plateau' (halved after 2 epochs without a better validation loss).
   * Default 'constant'.
   */
  lrSchedule: LrSchedule;
  /** Tokens kept per text. Default 256. */
  maxLen: number;
  /** What a long text keeps: its start, its end, or a quarter start and the end. Default 'headTail'. */
  truncation: Truncation;
  /** Largest vocabulary, `<pad>` and `<unk>` included. Default 20000. */
  vocabSize: number;
  /** Drop tokens seen fewer times. Default 1. */
  minFreq: number;
  /** Train the bag-of-words and TF-IDF baselines too. Default true. */
  baselines: boolean;
  /** Seed for the split, initialisation and shuffling. Default 0. */
  seed: number;
}

/** The default `tokenDropout` of word models (character models: 0). */
export const WORD_TOKEN_DROPOUT = 0.1;

/** The defaults; `tokenDropout`'s holds for the word tokenizer (0 with 'char'). */
export const TEXT_CLASSIFIER_DEFAULTS: Readonly<TextClassifierSettings> = Object.freeze({
  tokenizer: 'word',
  lowercase: true,
  normalize: true,
  punctuation: 'strip',
  cell: 'lstm',
  embed: 128,
  hidden: 64,
  layers: 1,
  bidirectional: true,
  pooling: 'max',
  dropout: 0,
  bagOfWords: false,
  tokenDropout: WORD_TOKEN_DROPOUT,
  embedDropout: 0,
  labelSmoothing: 0,
  weightDecay: 0,
  epochs: 5,
  batch: 32,
  lr: 3e-3,
  lrSchedule: 'constant',
  maxLen: 256,
  truncation: 'headTail',
  vocabSize: 20000,
  minFreq: 1,
  baselines: true,
  seed: 0,
});

export interface TextClassifierOptions
  extends Partial<TextClassifierSettings>,
    RecipeRunOptions<TextClassifierEvent> {
  /** The labelled texts, e.g. from `loadSpamAssassin()`, `loadTextFile()` or arrays of your own. */
  corpus: TextCorpus;
  /** The data's name: saved in the model's config (`data`), used in chart titles and messages. Default 'data'. */
  dataName?: string;
  /** Use only this many examples, chosen by a shuffle seeded with `seed`. Default: all. */
  limit?: number;
  /** How e-mail headers were read (`loadSpamAssassin`'s option): saved so evaluation reads e-mails alike. */
  headers?: string;
  /**
   * The columns of a CSV/JSONL file the texts and labels came from, when not `text` and
   * `label`: saved (`dataColumns` in config.json) so evaluation reads such files alike.
   */
  dataColumns?: TextDataColumns;
}

/** Where a file's texts and labels are. */
export interface TextDataColumns {
  text: string;
  label: string;
}

/** Checks a `dataColumns` value (an option, or config.json's field) and returns it. */
export function checkDataColumns(value: unknown, name: string): TextDataColumns {
  const v = value as Partial<TextDataColumns> | null;
  const ok = (s: unknown) => typeof s === 'string' && s !== '';
  if (typeof v !== 'object' || v === null || !ok(v.text) || !ok(v.label)) {
    throw new ValueError(
      `${name} must be {text, label}: the names of the text and label columns, got ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return { text: v.text!, label: v.label! };
}

/** A test-set report of one model. */
export interface NamedReport {
  model: string;
  report: TextReport;
}

export interface TextClassifierResult {
  /** The trained classifier, with the weights of its best validation epoch. */
  model: TextClassifier;
  /** Its name in events and reports: the cell, `-bi` when bidirectional. */
  name: string;
  labels: string[];
  /** The saved config (vocabulary, tokenizer, labels, architecture…): what `predictText` reads. */
  config: ModelConfigInput;
  fit: FitResult;
  /** Per-epoch history of the model and of the bag-of-words baseline. */
  histories: Record<string, History>;
  /**
   * The model, then the baselines, on the test split; and the classes with too few examples to
   * reach validation or test (trained on, but missing from those scores).
   */
  test: { examples: number; reports: NamedReport[]; missingClasses: ClassCoverage[] };
  baseline: BagOfWordsClassifier | null;
  /** Where the store put the model, the baseline and the other files (history, charts). */
  saved: { model: string | null; baseline: string | null; files: string[] };
}

/** The optimizer steps 5 epochs give on SpamAssassin's 4,836 training e-mails in batches of 32. */
export const SIZED_EPOCH_STEPS = 760;
/** The most epochs {@link sizedEpochs} gives a tiny training set. */
export const MAX_SIZED_EPOCHS = 30;

/**
 * Epochs when none are given: 5, or as many as make about {@link SIZED_EPOCH_STEPS} optimizer
 * steps, at most {@link MAX_SIZED_EPOCHS}. A training set of a few hundred texts gets a few
 * dozen steps in 5 epochs, too few to leave the initial weights (the best validation epoch is kept
 * whatever the count).
 */
export function sizedEpochs(trainExamples: number, batch: number): number {
  const stepsPerEpoch = Math.max(1, Math.ceil(trainExamples / batch));
  return Math.min(MAX_SIZED_EPOCHS, Math.max(5, Math.ceil(SIZED_EPOCH_STEPS / stepsPerEpoch)));
}

export type ResolvedTextOptions = TextClassifierSettings &
  Omit<TextClassifierOptions, keyof TextClassifierSettings> & { dataName: string };

export function resolveTextOptions(options: TextClassifierOptions): ResolvedTextOptions {
  checkOptionsObject(options, 'trainTextClassifier', 'corpus');
  const check = new OptionCheck(options.optionName ?? ((k) => k));
  const o = {
    ...TEXT_CLASSIFIER_DEFAULTS,
    ...(definedEntries({ ...options }) as Partial<TextClassifierOptions>),
    dataName: options.dataName ?? 'data',
  } as ResolvedTextOptions;
  if (options.tokenDropout === undefined) o.tokenDropout = o.tokenizer === 'word' ? WORD_TOKEN_DROPOUT : 0;
  check.known(options, [
    'corpus',
    'dataName',
    'limit',
    'headers',
    ...Object.keys(TEXT_CLASSIFIER_DEFAULTS),
    ...RUN_OPTIONS,
    'dataColumns',
  ]);
  checkCorpus(o.corpus, check.name('corpus'));
  for (const [key, min] of [
    ['embed', 1],
    ['hidden', 1],
    ['layers', 1],
    ['epochs', 1],
    ['batch', 1],
    ['maxLen', 1],
    ['vocabSize', 3],
    ['minFreq', 1],
    ['seed', 0],
    ['limit', 1],
  ] as const)
    check.int(key, o[key], min);
  check.number('dropout', o.dropout, 0, 0.99);
  check.number('tokenDropout', o.tokenDropout, 0, 0.99);
  check.number('embedDropout', o.embedDropout, 0, 0.99);
  check.number('lr', o.lr, 0);
  check.number('labelSmoothing', o.labelSmoothing, 0, 0.99);
  check.number('weightDecay', o.weightDecay, 0);
  check.choice('lrSchedule', o.lrSchedule, LR_SCHEDULES);
  check.choice('cell', o.cell, ['lstm', 'gru', 'rnn']);
  check.choice('pooling', o.pooling, POOLINGS);
  check.choice('tokenizer', o.tokenizer, ['word', 'char']);
  check.boolean('lowercase', o.lowercase);
  check.boolean('normalize', o.normalize);
  check.choice('punctuation', o.punctuation, ['strip', 'keep']);
  check.choice('truncation', o.truncation, ['head', 'tail', 'headTail']);
  check.boolean('bidirectional', o.bidirectional);
  check.boolean('bagOfWords', o.bagOfWords);
  check.boolean('baselines', o.baselines);
  check.string('dataName', o.dataName);
  check.string('headers', o.headers);
  if (o.dataColumns !== undefined) checkDataColumns(o.dataColumns, check.name('dataColumns'));
  checkRunOptions(o, check);
  return o as ResolvedTextOptions;
}

/** The options that decide the weights, recorded with every checkpoint. */
export function textRunRecord(o: ResolvedTextOptions): Record<string, unknown> {
  const {
    corpus,
    dataName,
    dataColumns,
    epochs,
    lrSchedule,
    labelSmoothing,
    weightDecay,
    tokenDropout,
    embedDropout,
    bagOfWords,
    ...rest
  } = withoutRunOptions(o);
  // Options at their neutral value are left out, as checkpoints written before they existed left them out.
  const added = {
    ...(lrSchedule === 'constant' ? {} : { lrSchedule }),
    ...(labelSmoothing === 0 ? {} : { labelSmoothing }),
    ...(weightDecay === 0 ? {} : { weightDecay }),
    ...(tokenDropout === 0 ? {} : { tokenDropout }),
    ...(embedDropout === 0 ? {} : { embedDropout }),
    ...(bagOfWords ? { bagOfWords } : {}),
  };
  return definedEntries({ data: dataName, ...o.runSettings, ...rest, ...added });
}
