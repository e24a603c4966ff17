import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLoader, type TextBatch, type TextExample } from '../data/dataloader.js';
import { ArrayDataset } from '../data/dataset.js';
import { trainValTestSplit } from '../data/split.js';
import { type TokenizerJSON, tokenizerFromJSON, WordTokenizer } from '../data/tokenizers.js';
import { type Truncation, Vocab, type VocabJSON } from '../data/vocab.js';
import type { SpamHeaders } from '../io/datasets/spam.js';
import type { ModelConfig } from '../io/model-config.js';
import { BagOfWordsClassifier, type Cell, type Pooling, TextClassifier } from '../nn/heads.js';
import { CrossEntropyLoss } from '../nn/losses.js';
import { Adam } from '../optim/adam.js';
import { noGrad } from '../tensor/autograd.js';
import { ValueError } from '../tensor/errors.js';
import { Generator, manualSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type ClassificationReport, classificationReport } from '../train/metrics.js';
import { classificationTask, softmaxRows } from '../train/tasks.js';
import { evaluate, type FitResult, fit as fitModel, type History } from '../train/trainer.js';
import { type Reporter, round, table } from './reporter.js';
import { type CheckpointOptions, checkpointing } from './resume.js';
import { loadTextSource } from './sources.js';
import { CliError, loadTextModel, saveHead, writeConfusion, writeCurves } from './store.js';

export interface TextTrainOptions extends CheckpointOptions {
  data: string;
  textCol: string;
  labelCol: string;
  headers: SpamHeaders;
  punctuation: 'strip' | 'keep';
  cell: Cell;
  embed: number;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  pooling: Pooling;
  dropout: number;
  epochs: number;
  batch: number;
  lr: number;
  maxLen: number;
  truncation: Truncation;
  vocabSize: number;
  minFreq: number;
  limit?: number;
  baselines: boolean;
  seed: number;
}

/** What a text model directory stores besides the architecture. */
interface TextModelConfig {
  labels: string[];
  vocab: VocabJSON;
  tokenizer: TokenizerJSON;
  maxLen: number;
  truncation: Truncation;
  /** How spam-assassin e-mails were read (absent: the model was not trained on them). */
  headers?: SpamHeaders;
  /** Training labels per class, for the majority baseline. */
  labelCounts: number[];
}

function subsample<T>(items: T[], limit: number | undefined, seed: number): T[] {
  if (limit === undefined || limit >= items.length) return items;
  const perm = new Generator(seed).permutation(items.length);
  return Array.from(perm.subarray(0, limit), (i) => items[i]!);
}

/** Token ids of a text: tokenized, encoded, cut to maxLen; an empty text becomes one `<unk>`. */
function encoder(
  vocab: Vocab,
  tokenizer: { tokenize(t: string): string[] },
  maxLen: number,
  truncation: Truncation,
) {
  return (text: string): Int32Array => {
    const ids = vocab.encode(tokenizer.tokenize(text), { maxLength: maxLen, truncation });
    return ids.length > 0 ? ids : new Int32Array([vocab.unkId]);
  };
}

function loader(
  items: TextExample[],
  batchSize: number,
  shuffle: boolean,
): DataLoader<TextExample, TextBatch> {
  // Length buckets keep padding (and wasted recurrent steps) low.
  return new DataLoader<TextExample, TextBatch>(new ArrayDataset(items), {
    batchSize,
    shuffle,
    bucketSize: 16,
  });
}

function reportRow(name: string, r: ClassificationReport, positive: number): Array<string | number> {
  return [name, r.accuracy, r.precision[positive]!, r.recall[positive]!, r.f1[positive]!, r.macro.f1];
}

function reportRecord(r: ClassificationReport, labels: string[]): Record<string, unknown> {
  const perClass = Object.fromEntries(
    labels.map((l, i) => [
      l,
      {
        precision: round(r.precision[i]!),
        recall: round(r.recall[i]!),
        f1: round(r.f1[i]!),
        support: r.support[i],
      },
    ]),
  );
  return {
    accuracy: round(r.accuracy),
    macroPrecision: round(r.macro.precision),
    macroRecall: round(r.macro.recall),
    macroF1: round(r.macro.f1),
    perClass,
    confusion: r.confusion,
  };
}

async function predictLabels(
  model: TextClassifier | BagOfWordsClassifier,
  data: DataLoader<TextExample, TextBatch>,
) {
  const ev = await evaluate(model, data, { task: classificationTask() });
  return { yTrue: ev.yTrue, yPred: ev.yPred };
}

/** `kioku train text`: the classifier, its baselines, the test report, the saved model and plots. */
export async function trainText(o: TextTrainOptions, reporter: Reporter): Promise<void> {
  const started = performance.now();
  manualSeed(o.seed);
  const corpus = await loadTextSource(o.data, {
    textCol: o.textCol,
    labelCol: o.labelCol,
    headers: o.headers,
  });
  const labels = corpus.classes;
  const raw = subsample(
    corpus.texts.map((text, i) => ({ text, label: corpus.labels[i]! })),
    o.limit,
    o.seed,
  );
  const split = trainValTestSplit(raw, { val: 0.1, test: 0.1, seed: o.seed, stratify: true });
  const parts = { train: [...split.train], val: [...split.val], test: [...split.test] };
  if (parts.train.length === 0 || parts.val.length === 0 || parts.test.length === 0) {
    throw new ValueError(`--data ${o.data}: ${raw.length} examples are too few for an 80/10/10 split`);
  }
  const tokenizer = new WordTokenizer({ punctuation: o.punctuation });
  const tokenized = parts.train.map((e) => tokenizer.tokenize(e.text));
  const vocab = Vocab.build(tokenized, { maxSize: o.vocabSize, minFreq: o.minFreq });
  const encode = encoder(vocab, tokenizer, o.maxLen, o.truncation);
  const examples = (xs: typeof parts.train): TextExample[] =>
    xs.map((e) => ({ tokens: encode(e.text), label: e.label }));
  const train = examples(parts.train);
  const val = examples(parts.val);
  const test = examples(parts.test);
  const labelCounts = labels.map((_, c) => train.filter((e) => e.label === c).length);
  reporter.note(
    `${raw.length} examples (${labels.join('/')}): train ${train.length}, val ${val.length}, test ${test.length}; vocabulary ${vocab.itos.length} tokens, max length ${o.maxLen}`,
  );
  await reporter.setOut(o.out, { append: o.resume !== undefined && o.resume !== false });
  const binary = labels.length === 2;
  const mainMetric = 'accuracy';
  const metrics = binary ? ['accuracy', 'f1'] : ['accuracy', 'macroF1'];
  const task = classificationTask();

  const model = new TextClassifier({
    vocabSize: vocab.itos.length,
    embedDim: o.embed,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    bidirectional: o.bidirectional,
    dropout: o.dropout,
    pooling: o.pooling,
    numClasses: labels.length,
  });
  const textConfig: TextModelConfig = {
    labels,
    vocab: vocab.toJSON(),
    tokenizer: tokenizer.toJSON(),
    maxLen: o.maxLen,
    truncation: o.truncation,
    ...(o.data === 'spam-assassin' ? { headers: o.headers } : {}),
    labelCounts,
  };
  const configBase = { task: 'classification', ...textConfig, data: o.data };
  const trainLoader = loader(train, o.batch, true);
  const valLoader = loader(val, 128, false);
  const testLoader = loader(test, 128, false);
  const name = `${o.cell}${o.bidirectional ? '-bi' : ''}`;
  reporter.note(`${name}: ${model.numParameters()} parameters`);
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const saving = await checkpointing(
    o,
    { ...configBase, architecture: model.config() },
    { labels, vocab: textConfig.vocab },
    { model, optimizer, dataLoader: trainLoader },
    reporter,
  );
  const result: FitResult = await fitModel(model, {
    task,
    train: trainLoader,
    val: valLoader,
    epochs: o.epochs,
    optimizer,
    loss: new CrossEntropyLoss(),
    clipGradNorm: 5,
    metrics,
    earlyStopping: { monitor: 'valLoss', patience: o.epochs, restoreBest: true },
    ...saving,
    ...(reporter.io.signal ? { signal: reporter.io.signal } : {}),
    callbacks: reporter.callbacks(name, o.epochs, trainLoader.length, mainMetric),
  });
  reporter.close();
  if (result.stopReason === 'aborted')
    reporter.note('training interrupted; evaluating and saving the model as it is');
  await reporter.skipped(result.skippedBatches);
  const histories: Record<string, History> = { [name]: result.history };
  const reports: Array<[string, ClassificationReport]> = [];
  const modelPred = await predictLabels(model, testLoader);
  reports.push([name, classificationReport(modelPred.yTrue, modelPred.yPred, labels.length)]);

  if (o.baselines) {
    const bow = new BagOfWordsClassifier({
      vocabSize: vocab.itos.length,
      embedDim: 64,
      numClasses: labels.length,
    });
    const bowEpochs = Math.max(o.epochs, 5);
    const bowLoader = loader(train, o.batch, true);
    const bowResult = await fitModel(bow, {
      task,
      train: bowLoader,
      val: valLoader,
      epochs: bowEpochs,
      optimizer: new Adam(bow.parameters(), { lr: 1e-2 }),
      loss: new CrossEntropyLoss(),
      metrics,
      earlyStopping: { monitor: 'valLoss', patience: bowEpochs, restoreBest: true },
      ...(reporter.io.signal ? { signal: reporter.io.signal } : {}),
      callbacks: reporter.callbacks('bag-of-words', bowEpochs, bowLoader.length, mainMetric),
    });
    reporter.close();
    if (bowResult.stopReason === 'aborted')
      reporter.note('training interrupted; evaluating and saving the model as it is');
    histories['bag-of-words'] = bowResult.history;
    const p = await predictLabels(bow, testLoader);
    reports.push(['bag-of-words', classificationReport(p.yTrue, p.yPred, labels.length)]);
    await saveHead(join(o.out, 'bag-of-words'), bow, configBase);
  }
  const majority = labelCounts.indexOf(Math.max(...labelCounts));
  const yTest = test.map((e) => e.label);
  reports.push([
    'majority',
    classificationReport(
      yTest,
      yTest.map(() => majority),
      labels.length,
    ),
  ]);

  const modelDir = join(o.out, 'model');
  await saveHead(modelDir, model, {
    ...configBase,
    training: { epochs: result.epochs, bestEpoch: result.bestEpoch, seed: o.seed, lr: o.lr, batch: o.batch },
  });
  for (const [m, r] of reports)
    await reporter.event({ event: 'test', model: m, examples: test.length, ...reportRecord(r, labels) });
  await reporter.writeHistory(histories);
  const plots = [
    ...(await writeCurves(o.out, result.history, mainMetric, `${name} on ${o.data}`)),
    ...(await writeConfusion(o.out, reports[0]![1].confusion, labels, `${name}: test confusion matrix`)),
  ];
  const positive = binary ? 1 : 0;
  const header = [
    'model',
    'accuracy',
    `precision(${labels[positive]})`,
    `recall(${labels[positive]})`,
    `F1(${labels[positive]})`,
    'macro F1',
  ];
  reporter.print(`Test set (${test.length} examples):`);
  reporter.print(
    table(
      header,
      reports.map(([m, r]) => reportRow(m, r, positive)),
    ),
  );
  reporter.print(`Model saved to ${modelDir}; plots: ${plots.filter((p) => p.endsWith('.png')).join(', ')}`);
  await reporter.event({
    event: 'done',
    model: modelDir,
    seconds: round((performance.now() - started) / 1000, 1),
  });
}

interface TextRuntime {
  model: TextClassifier | BagOfWordsClassifier;
  labels: string[];
  encode: (text: string) => Int32Array;
  config: ModelConfig;
}

async function textRuntime(dir: string): Promise<TextRuntime> {
  const { model, config } = await loadTextModel(dir);
  const c = config as unknown as ModelConfig & TextModelConfig;
  if (!Array.isArray(c.labels) || !c.vocab || !c.tokenizer || !Number.isInteger(c.maxLen)) {
    throw new CliError(`"${dir}": config.json lacks the labels, vocab, tokenizer or maxLen of a text model`);
  }
  const vocab = Vocab.fromJSON(c.vocab);
  return {
    model,
    labels: c.labels,
    encode: encoder(vocab, tokenizerFromJSON(c.tokenizer), c.maxLen, c.truncation ?? 'head'),
    config,
  };
}

/** Label and class probabilities for each text, batched. */
export function classify(
  rt: TextRuntime,
  texts: string[],
): Array<{ label: string; probability: number; probabilities: number[] }> {
  const out: Array<{ label: string; probability: number; probabilities: number[] }> = [];
  const k = rt.labels.length;
  for (let s = 0; s < texts.length; s += 64) {
    const ids = texts.slice(s, s + 64).map(rt.encode);
    const lengths = Int32Array.from(ids, (x) => x.length);
    const t = Math.max(...lengths);
    const data = new Int32Array(ids.length * t);
    for (const [i, x] of ids.entries()) data.set(x, i * t);
    const logits = noGrad(() => rt.model.forward(new Tensor(data, [ids.length, t]), lengths));
    const probs = softmaxRows(logits);
    for (let i = 0; i < ids.length; i++) {
      const p = Array.from(probs.subarray(i * k, (i + 1) * k));
      const best = p.indexOf(Math.max(...p));
      out.push({ label: rt.labels[best]!, probability: p[best]!, probabilities: p });
    }
  }
  return out;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValueError('predict: give --text, --file, or pipe texts on stdin (one per line)');
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `kioku predict`: one label and probability per input text. */
export async function predictCommand(
  o: { model: string; text?: string[]; file?: string },
  reporter: Reporter,
): Promise<void> {
  const rt = await textRuntime(o.model);
  let texts: string[];
  if (o.text?.length) texts = o.text;
  else {
    let body: string;
    if (o.file !== undefined) {
      try {
        body = await readFile(o.file, 'utf8');
      } catch (e) {
        throw new ValueError(
          `--file ${o.file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
    } else body = await readStdin();
    texts = body.split(/\r?\n/).filter((l) => l.trim() !== '');
  }
  if (texts.length === 0) throw new ValueError('predict: no texts to classify (the input is empty)');
  const results = classify(rt, texts);
  for (const [i, r] of results.entries()) {
    const probabilities = Object.fromEntries(rt.labels.map((l, j) => [l, round(r.probabilities[j]!)]));
    if (reporter.json)
      reporter.io.stdout.write(
        `${JSON.stringify({ text: texts[i], label: r.label, probability: round(r.probability), probabilities })}\n`,
      );
    else reporter.print(`${r.label}\t${r.probability.toFixed(4)}\t${oneLinePreview(texts[i]!)}`);
  }
}

const oneLinePreview = (t: string): string => {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

/** `kioku eval` for a text model: metrics on a whole dataset beside the majority class. */
export async function evalText(
  o: { model: string; data: string; textCol: string; labelCol: string; limit?: number },
  reporter: Reporter,
): Promise<void> {
  const rt = await textRuntime(o.model);
  // E-mails are read the way the model saw them in training.
  const headers = (rt.config as unknown as TextModelConfig).headers;
  const corpus = await loadTextSource(o.data, { textCol: o.textCol, labelCol: o.labelCol, headers });
  const index = new Map(rt.labels.map((l, i) => [l, i]));
  const unknown = corpus.classes.find((l) => !index.has(l));
  if (unknown !== undefined) {
    throw new ValueError(
      `--data ${o.data}: label "${unknown}" is not one the model knows (${rt.labels.join(', ')})`,
    );
  }
  const items = subsample(
    corpus.texts.map((text, i) => ({ text, label: index.get(corpus.classes[corpus.labels[i]!]!)! })),
    o.limit,
    0,
  );
  const preds = classify(
    rt,
    items.map((e) => e.text),
  );
  const yTrue = items.map((e) => e.label);
  const yPred = preds.map((p) => index.get(p.label)!);
  const k = rt.labels.length;
  const counts = (rt.config as unknown as TextModelConfig).labelCounts ?? [];
  const majority = counts.length === k ? counts.indexOf(Math.max(...counts)) : 0;
  const reports: Array<[string, ClassificationReport]> = [
    ['model', classificationReport(yTrue, yPred, k)],
    [
      'majority',
      classificationReport(
        yTrue,
        yTrue.map(() => majority),
        k,
      ),
    ],
  ];
  for (const [m, r] of reports)
    await reporter.event({ event: 'eval', model: m, examples: items.length, ...reportRecord(r, rt.labels) });
  const positive = k === 2 ? 1 : 0;
  const p = rt.labels[positive];
  reporter.print(`Evaluation on ${o.data} (${items.length} examples):`);
  reporter.print(
    table(
      ['model', 'accuracy', `precision(${p})`, `recall(${p})`, `F1(${p})`, 'macro F1'],
      reports.map(([m, r]) => reportRow(m, r, positive)),
    ),
  );
}
