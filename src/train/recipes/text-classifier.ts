import type { TextCorpus } from '../../data/corpus.js';
import type { DataLoader, TextBatch, TextExample } from '../../data/dataloader.js';
import type { Truncation } from '../../data/vocab.js';
import { BagOfWordsClassifier, type Cell, type Pooling, TextClassifier } from '../../nn/heads.js';
import { CrossEntropyLoss } from '../../nn/losses.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../optim/adam.js';
import { manualSeed } from '../../tensor/random.js';
import type { FitResult, History } from '../fit-types.js';
import { type ClassificationReport, classificationReport } from '../metrics.js';
import { classificationTask } from '../tasks.js';
import { evaluate } from '../trainer.js';
import { confusionChart, curvesChart, historyFile } from './charts.js';
import { checkpointing } from './checkpointing.js';
import type { TextClassifierEvent } from './events.js';
import { type Emit, emitter, fitWithEvents } from './fitting.js';
import {
  checkOptionsObject,
  checkRunOptions,
  definedEntries,
  OptionCheck,
  type RecipeRunOptions,
  RUN_OPTIONS,
} from './options.js';
import type { ModelConfigFields } from './store.js';
import { checkCorpus, prepareText, type TextData, textLoader } from './text-data.js';

/** Training settings of {@link trainTextClassifier}, each with its default. */
export interface TextClassifierSettings {
  /** Drop punctuation and symbols, or make each one a token. Default 'strip'. */
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
  /** Training epochs (the best validation epoch's weights are kept). Default 5. */
  epochs: number;
  /** Batch size. Default 32. */
  batch: number;
  /** Adam learning rate. Default 0.003. */
  lr: number;
  /** Tokens kept per text. Default 256. */
  maxLen: number;
  /** What a long text keeps: its start, its end, or a quarter start and the end. Default 'headTail'. */
  truncation: Truncation;
  /** Largest vocabulary, `<pad>` and `<unk>` included. Default 20000. */
  vocabSize: number;
  /** Drop tokens seen fewer times. Default 1. */
  minFreq: number;
  /** Train the bag-of-words baseline too. Default true. */
  baselines: boolean;
  /** Seed for the split, initialisation and shuffling. Default 0. */
  seed: number;
}

export const TEXT_CLASSIFIER_DEFAULTS: Readonly<TextClassifierSettings> = Object.freeze({
  punctuation: 'strip',
  cell: 'lstm',
  embed: 128,
  hidden: 64,
  layers: 1,
  bidirectional: true,
  pooling: 'max',
  dropout: 0,
  epochs: 5,
  batch: 32,
  lr: 3e-3,
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
}

/** A test-set report of one model. */
export interface NamedReport {
  model: string;
  report: ClassificationReport;
}

export interface TextClassifierResult {
  /** The trained classifier, with the weights of its best validation epoch. */
  model: TextClassifier;
  /** Its name in events and reports: the cell, `-bi` when bidirectional. */
  name: string;
  labels: string[];
  /** The saved config (vocabulary, tokenizer, labels, architecture…): what `predictText` reads. */
  config: ModelConfigFields;
  fit: FitResult;
  /** Per-epoch history of the model and of the bag-of-words baseline. */
  histories: Record<string, History>;
  /** The model, then the baselines, on the test split. */
  test: { examples: number; reports: NamedReport[] };
  baseline: BagOfWordsClassifier | null;
  /** Where the store put the model, the baseline and the other files (history, charts). */
  saved: { model: string | null; baseline: string | null; files: string[] };
}

type Resolved = TextClassifierSettings &
  Omit<TextClassifierOptions, keyof TextClassifierSettings> & { dataName: string };

function resolve(options: TextClassifierOptions): Resolved {
  checkOptionsObject(options, 'trainTextClassifier', 'corpus');
  const check = new OptionCheck(options.optionName ?? ((k) => k));
  const o = {
    ...TEXT_CLASSIFIER_DEFAULTS,
    ...(definedEntries({ ...options }) as Partial<TextClassifierOptions>),
    dataName: options.dataName ?? 'data',
  } as Resolved;
  check.known(options, [
    'corpus',
    'dataName',
    'limit',
    'headers',
    ...Object.keys(TEXT_CLASSIFIER_DEFAULTS),
    ...RUN_OPTIONS,
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
  check.number('lr', o.lr, 0);
  check.choice('cell', o.cell, ['lstm', 'gru', 'rnn']);
  check.choice('pooling', o.pooling, ['last', 'mean', 'max']);
  check.choice('punctuation', o.punctuation, ['strip', 'keep']);
  check.choice('truncation', o.truncation, ['head', 'tail', 'headTail']);
  check.boolean('bidirectional', o.bidirectional);
  check.boolean('baselines', o.baselines);
  check.string('dataName', o.dataName);
  check.string('headers', o.headers);
  checkRunOptions(o, check);
  return o as Resolved;
}

/** The options that decide the weights, recorded with every checkpoint. */
function runRecord(o: Resolved): Record<string, unknown> {
  const {
    corpus,
    dataName,
    store,
    resume,
    checkpointEvery,
    onNonFinite,
    signal,
    onEvent,
    optionName,
    runSettings,
    epochs,
    ...rest
  } = o;
  return definedEntries({ data: dataName, ...runSettings, ...rest });
}

/** The test-set report of a classifier. */
async function testReport(model: Module, test: DataLoader<TextExample, TextBatch>, classes: number) {
  const ev = await evaluate(model, test, { task: classificationTask() });
  return classificationReport(ev.yTrue, ev.yPred, classes);
}

/** The bag-of-words baseline (mean of embeddings → Linear), trained on the same split. */
async function trainBagOfWords(
  o: Resolved,
  d: TextData,
  val: DataLoader<TextExample, TextBatch>,
  emit: Emit<TextClassifierEvent>,
  metrics: string[],
) {
  const bow = new BagOfWordsClassifier({
    vocabSize: d.vocab.itos.length,
    embedDim: 64,
    numClasses: o.corpus.classes.length,
  });
  const epochs = Math.max(o.epochs, 5);
  const train = textLoader(d.train, o.batch, true);
  const result = await fitWithEvents(
    bow,
    'bag-of-words',
    {
      task: classificationTask(),
      train,
      val,
      epochs,
      optimizer: new Adam(bow.parameters(), { lr: 1e-2 }),
      loss: new CrossEntropyLoss(),
      metrics,
      earlyStopping: { monitor: 'valLoss', patience: epochs, restoreBest: true },
      ...(o.signal ? { signal: o.signal } : {}),
    },
    emit,
  );
  return { bow, history: result.history };
}

/** The majority-class baseline's report: every test example gets the commonest training class. */
function majorityReport(d: TextData, classes: number): ClassificationReport {
  const majority = d.labelCounts.indexOf(Math.max(...d.labelCounts));
  const yTest = d.test.map((e) => e.label);
  return classificationReport(
    yTest,
    yTest.map(() => majority),
    classes,
  );
}

/** What the model directory stores besides the architecture, in config.json's order. */
function textConfig(o: Resolved, d: TextData) {
  return {
    task: 'classification',
    labels: o.corpus.classes,
    vocab: d.vocab.toJSON(),
    tokenizer: d.tokenizer.toJSON(),
    maxLen: o.maxLen,
    truncation: o.truncation,
    ...(o.headers !== undefined ? { headers: o.headers } : {}),
    labelCounts: d.labelCounts,
    data: o.dataName,
  };
}

/** One run of the recipe: its options, data, model and loaders. */
interface TextRun {
  o: Resolved;
  d: TextData;
  model: TextClassifier;
  name: string;
  configBase: ReturnType<typeof textConfig>;
  train: DataLoader<TextExample, TextBatch>;
  val: DataLoader<TextExample, TextBatch>;
  test: DataLoader<TextExample, TextBatch>;
  metrics: string[];
  emit: Emit<TextClassifierEvent>;
}

/** The model and the loaders, made in the order the seeded generator expects. */
function setUp(o: Resolved, d: TextData, emit: Emit<TextClassifierEvent>): TextRun {
  const labels = o.corpus.classes;
  const model = new TextClassifier({
    vocabSize: d.vocab.itos.length,
    embedDim: o.embed,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    bidirectional: o.bidirectional,
    dropout: o.dropout,
    pooling: o.pooling,
    numClasses: labels.length,
  });
  return {
    o,
    d,
    model,
    name: `${o.cell}${o.bidirectional ? '-bi' : ''}`,
    configBase: textConfig(o, d),
    train: textLoader(d.train, o.batch, true),
    val: textLoader(d.val, 128, false),
    test: textLoader(d.test, 128, false),
    metrics: labels.length === 2 ? ['accuracy', 'f1'] : ['accuracy', 'macroF1'],
    emit,
  };
}

/** Trains the classifier, from a checkpoint when resuming. */
async function trainModel(run: TextRun): Promise<FitResult> {
  const { o, model, name, configBase, emit } = run;
  await emit({ type: 'model', model: name, parameters: model.numParameters() });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const saving = await checkpointing(
    o,
    {
      config: { ...configBase, architecture: model.config() },
      run: runRecord(o),
      data: { labels: configBase.labels, vocab: configBase.vocab },
      targets: { model, optimizer, dataLoader: run.train },
      model: name,
      epochs: o.epochs,
    },
    o.optionName ?? ((k) => k),
    emit,
  );
  return fitWithEvents(
    model,
    name,
    {
      task: classificationTask(),
      train: run.train,
      val: run.val,
      epochs: o.epochs,
      optimizer,
      loss: new CrossEntropyLoss(),
      clipGradNorm: 5,
      metrics: run.metrics,
      earlyStopping: { monitor: 'valLoss', patience: o.epochs, restoreBest: true },
      ...saving,
      ...(o.signal ? { signal: o.signal } : {}),
    },
    emit,
  );
}

/** The model's test report, then the baselines': bag-of-words (trained and saved here) and majority. */
async function testWithBaselines(run: TextRun, history: History) {
  const { o, d } = run;
  const k = o.corpus.classes.length;
  const reports: NamedReport[] = [{ model: run.name, report: await testReport(run.model, run.test, k) }];
  const histories: Record<string, History> = { [run.name]: history };
  let baseline: BagOfWordsClassifier | null = null;
  let baselineAt: string | null = null;
  if (o.baselines) {
    const b = await trainBagOfWords(o, d, run.val, run.emit, run.metrics);
    baseline = b.bow;
    histories['bag-of-words'] = b.history;
    reports.push({ model: 'bag-of-words', report: await testReport(b.bow, run.test, k) });
    const files = {
      config: { ...run.configBase, architecture: b.bow.config() },
      stateDict: b.bow.stateDict(),
    };
    baselineAt = (await o.store?.writeModel('bag-of-words', files)) ?? null;
  }
  reports.push({ model: 'majority', report: majorityReport(d, k) });
  return { reports, histories, baseline, baselineAt };
}

/** Saves the model, history.json and the charts; returns the saved config and where things went. */
async function saveText(
  run: TextRun,
  result: FitResult,
  tested: Awaited<ReturnType<typeof testWithBaselines>>,
) {
  const { o, model, name } = run;
  const config: ModelConfigFields = {
    ...run.configBase,
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, seed: o.seed, lr: o.lr, batch: o.batch },
    architecture: model.config(),
  };
  const modelAt = (await o.store?.writeModel('model', { config, stateDict: model.stateDict() })) ?? null;
  const history = await historyFile(o.store, tested.histories);
  const charts = [
    ...(await curvesChart(o.store, result.history, 'accuracy', `${name} on ${o.dataName}`)),
    ...(await confusionChart(
      o.store,
      tested.reports[0]!.report.confusion,
      o.corpus.classes,
      `${name}: test confusion matrix`,
    )),
  ];
  const saved = {
    model: modelAt,
    baseline: tested.baselineAt,
    files: [...(history ? [history] : []), ...charts],
  };
  return { config, saved };
}

/**
 * Trains a text classifier (Embedding → RNN/LSTM/GRU → pooling → Linear) beside a majority-class
 * and a bag-of-words baseline: splits the corpus 80/10/10 (stratified, seeded), builds the
 * vocabulary on the training split, trains with Adam keeping the best validation epoch, reports
 * every model on the test split, and saves the model, the baseline, history.json and charts to
 * `store`. This is what `kioku train text` runs.
 */
export async function trainTextClassifier(options: TextClassifierOptions): Promise<TextClassifierResult> {
  const o = resolve(options);
  const name = o.optionName ?? ((k: string) => k);
  const emit = emitter(o.onEvent);
  manualSeed(o.seed);
  const d = prepareText(o.corpus, o, `${name('data')} ${o.dataName}`);
  await emit({
    type: 'text-data',
    examples: d.size,
    classes: o.corpus.classes,
    train: d.train.length,
    val: d.val.length,
    test: d.test.length,
    vocabulary: d.vocab.itos.length,
    maxLen: o.maxLen,
  });
  const run = setUp(o, d, emit);
  const result = await trainModel(run);
  const tested = await testWithBaselines(run, result.history);
  const { config, saved } = await saveText(run, result, tested);
  return {
    model: run.model,
    name: run.name,
    labels: o.corpus.classes,
    config,
    fit: result,
    histories: tested.histories,
    test: { examples: d.test.length, reports: tested.reports },
    baseline: tested.baseline,
    saved,
  };
}
