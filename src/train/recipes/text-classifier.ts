import type { DataLoader, TextBatch, TextExample } from '../../data/dataloader.js';
import type { ModelConfigInput } from '../../io/model-config.js';
import { BagOfWordsClassifier, TextClassifier } from '../../nn/heads.js';
import { CrossEntropyLoss } from '../../nn/losses.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../optim/adam.js';
import { CosineAnnealingLR, ReduceLROnPlateau } from '../../optim/schedulers.js';
import { manualSeed } from '../../tensor/random.js';
import { C_GRID, fitTextBaseline } from '../baselines/text-baselines.js';
import { splitCoverage } from '../class-report.js';
import type { FitResult, History } from '../fit-types.js';
import { classificationTask } from '../tasks.js';
import { evaluate } from '../trainer.js';
import { confusionChart, curvesChart, historyFile } from './charts.js';
import { checkpointing } from './checkpointing.js';
import type { TextClassifierEvent } from './events.js';
import { type Emit, emitter, fitWithEvents } from './fitting.js';
import {
  type NamedReport,
  type ResolvedTextOptions,
  resolveTextOptions,
  sizedEpochs,
  type TextClassifierOptions,
  type TextClassifierResult,
  textRunRecord,
} from './text-classifier-options.js';
import { prepareText, type TextData, textLoader } from './text-data.js';
import { majorityTextReport, type TextReport, textReport } from './text-reports.js';

/**
 * Epochs of the bag-of-words baseline, whatever the model's epochs: it converges in a few (Adam
 * at 0.01) and keeps its best validation epoch.
 */
export const BAG_OF_WORDS_EPOCHS = 5;

/** The test-set report of a classifier. */
async function testReport(
  model: Module,
  test: DataLoader<TextExample, TextBatch>,
  labels: readonly string[],
): Promise<TextReport> {
  const ev = await evaluate(model, test, { task: classificationTask() });
  return textReport(ev.yTrue, ev.yPred, labels);
}

/**
 * The TF-IDF baseline: word (or character) 1- and 2-grams of the tokens the model reads, and an
 * L2 logistic regression fitted by L-BFGS with C chosen on the validation split.
 */
async function tfidfReport(
  d: TextData,
  labels: readonly string[],
  emit: Emit<TextClassifierEvent>,
): Promise<TextReport> {
  const strings = (xs: TextExample[]) => xs.map((e) => Array.from(e.tokens, (id) => d.vocab.itos[id]!));
  const ys = (xs: TextExample[]) => Int32Array.from(xs, (e) => e.label);
  const started = performance.now();
  const detail = `logistic regression on TF-IDF n-grams, ${labels.length} classes, C from ${C_GRID.join(', ')} by validation accuracy`;
  await emit({ type: 'baseline', model: 'tfidf', stage: 'begin', seconds: 0, detail });
  const fit = fitTextBaseline(strings(d.train), ys(d.train), {
    kind: 'tfidf',
    valTokens: strings(d.val),
    valLabels: ys(d.val),
    numClasses: labels.length,
  });
  const seconds = (performance.now() - started) / 1000;
  const chosen = `C ${fit.C} (validation accuracy ${fit.valAccuracy?.toFixed(4)})`;
  await emit({ type: 'baseline', model: 'tfidf', stage: 'end', seconds, detail: chosen });
  return textReport(ys(d.test), fit.predict(strings(d.test)), labels);
}

/** The bag-of-words baseline (mean of embeddings → Linear), trained on the same split. */
async function trainBagOfWords(
  o: ResolvedTextOptions,
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
  const epochs = BAG_OF_WORDS_EPOCHS;
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

/** What the model directory stores besides the architecture, in config.json's order. */
function textConfig(o: ResolvedTextOptions, d: TextData) {
  return {
    task: 'classification',
    labels: o.corpus.classes,
    vocab: d.vocab.toJSON(),
    tokenizer: d.tokenizer.toJSON(),
    maxLen: o.maxLen,
    truncation: o.truncation,
    ...(o.headers !== undefined ? { headers: o.headers } : {}),
    ...(o.dataColumns !== undefined ? { dataColumns: o.dataColumns } : {}),
    labelCounts: d.labelCounts,
    data: o.dataName,
  };
}

/** One run of the recipe: its options, data, model and loaders. */
interface TextRun {
  o: ResolvedTextOptions;
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
function setUp(o: ResolvedTextOptions, d: TextData, emit: Emit<TextClassifierEvent>): TextRun {
  const labels = o.corpus.classes;
  const model = new TextClassifier({
    vocabSize: d.vocab.itos.length,
    embedDim: o.embed,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    bidirectional: o.bidirectional,
    dropout: o.dropout,
    tokenDropout: o.tokenDropout,
    embedDropout: o.embedDropout,
    unkId: d.vocab.unkId,
    pooling: o.pooling,
    numClasses: labels.length,
    bagOfWords: o.bagOfWords,
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

/** The learning-rate schedule `lrSchedule` names, stepped once per epoch; none when constant. */
function scheduler(o: ResolvedTextOptions, optimizer: Adam) {
  if (o.lrSchedule === 'plateau') return new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });
  if (o.lrSchedule === 'cosine') return new CosineAnnealingLR(optimizer, { tMax: o.epochs });
  return undefined;
}

/** Trains the classifier, from a checkpoint when resuming. */
async function trainModel(run: TextRun): Promise<FitResult> {
  const { o, model, name, configBase, emit } = run;
  await emit({ type: 'model', model: name, parameters: model.numParameters() });
  const optimizer = new Adam(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const schedule = scheduler(o, optimizer);
  const saving = await checkpointing(
    o,
    {
      config: { ...configBase, architecture: model.config() },
      run: textRunRecord(o),
      data: { labels: configBase.labels, vocab: configBase.vocab },
      targets: { model, optimizer, ...(schedule ? { scheduler: schedule } : {}), dataLoader: run.train },
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
      ...(schedule ? { scheduler: schedule } : {}),
      loss: new CrossEntropyLoss({ labelSmoothing: o.labelSmoothing }),
      clipGradNorm: 5,
      metrics: run.metrics,
      earlyStopping: { monitor: 'valLoss', patience: o.epochs, restoreBest: true },
      ...saving,
      ...(o.signal ? { signal: o.signal } : {}),
    },
    emit,
  );
}

/**
 * The model's test report, then the baselines': bag-of-words (trained and saved here), TF-IDF
 * logistic regression and majority.
 */
async function testWithBaselines(run: TextRun, history: History) {
  const { o, d } = run;
  const labels = o.corpus.classes;
  const reports: NamedReport[] = [{ model: run.name, report: await testReport(run.model, run.test, labels) }];
  const histories: Record<string, History> = { [run.name]: history };
  let baseline: BagOfWordsClassifier | null = null;
  let baselineAt: string | null = null;
  if (o.baselines) {
    // The baseline starts from the seed's own random state, not from wherever the model's
    // training left it, so every variant of the model meets the same baseline.
    manualSeed(o.seed);
    const b = await trainBagOfWords(o, d, run.val, run.emit, run.metrics);
    baseline = b.bow;
    histories['bag-of-words'] = b.history;
    reports.push({ model: 'bag-of-words', report: await testReport(b.bow, run.test, labels) });
    const files = {
      config: { ...run.configBase, architecture: b.bow.config() },
      stateDict: b.bow.stateDict(),
    };
    baselineAt = (await o.store?.writeModel('bag-of-words', files)) ?? null;
    reports.push({ model: 'tfidf', report: await tfidfReport(d, labels, run.emit) });
  }
  const yTest = d.test.map((e) => e.label);
  reports.push({ model: 'majority', report: majorityTextReport(yTest, d.labelCounts, labels) });
  return { reports, histories, baseline, baselineAt };
}

/** Saves the model, history.json and the charts; returns the saved config and where things went. */
async function saveText(
  run: TextRun,
  result: FitResult,
  tested: Awaited<ReturnType<typeof testWithBaselines>>,
) {
  const { o, model, name } = run;
  const config: ModelConfigInput = {
    ...run.configBase,
    training: {
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      seed: o.seed,
      lr: o.lr,
      batch: o.batch,
      // What else decides the weights, for an exported PyTorch project's train.py.
      ...(o.weightDecay > 0 ? { weightDecay: o.weightDecay } : {}),
      ...(o.labelSmoothing > 0 ? { labelSmoothing: o.labelSmoothing } : {}),
    },
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
  const resolved = resolveTextOptions(options);
  const name = resolved.optionName ?? ((k: string) => k);
  const emit = emitter(resolved.onEvent);
  manualSeed(resolved.seed);
  const d = prepareText(resolved.corpus, resolved, `${name('data')} ${resolved.dataName}`, name);
  const o =
    options.epochs === undefined
      ? { ...resolved, epochs: sizedEpochs(d.train.length, resolved.batch) }
      : resolved;
  await emit({
    type: 'text-data',
    examples: d.size,
    classes: o.corpus.classes,
    train: d.train.length,
    val: d.val.length,
    test: d.test.length,
    vocabulary: d.vocab.itos.length,
    maxLen: o.maxLen,
    unknownRate: d.unknownRate,
    epochs: o.epochs,
  });
  const run = setUp(o, d, emit);
  const result = await trainModel(run);
  const tested = await testWithBaselines(run, result.history);
  const { config, saved } = await saveText(run, result, tested);
  // Returned ready to predict: training mode would keep word dropout on.
  run.model.eval();
  tested.baseline?.eval();
  return {
    model: run.model,
    name: run.name,
    labels: o.corpus.classes,
    config,
    fit: result,
    histories: tested.histories,
    test: {
      examples: d.test.length,
      reports: tested.reports,
      missingClasses: splitCoverage(
        {
          train: d.train.map((e) => e.label),
          val: d.val.map((e) => e.label),
          test: d.test.map((e) => e.label),
        },
        o.corpus.classes,
      ),
    },
    baseline: tested.baseline,
    saved,
  };
}
