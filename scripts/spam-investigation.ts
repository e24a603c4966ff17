/**
 * Why does the bi-LSTM stay below bag-of-words on SpamAssassin? Measurements on the split of
 * `kioku train text --data spam-assassin` (stratified 80/10/10, seeded), not a test:
 *
 *   npx tsx scripts/spam-investigation.ts --part linear --seeds 0,1,2 --headers from-subject,strip
 *   npx tsx scripts/spam-investigation.ts --part lstm --seeds 0 --variants default,dropout,long
 *
 * linear: TF-IDF 1-2-gram and bag-of-words logistic regressions (C chosen on validation) on the
 *   full e-mails and on what the LSTM reads (256 tokens, first quarter + end, 20,000-word
 *   vocabulary), with and without the From/Subject lines.
 * lstm: the CLI's bi-LSTM (Embedding 20000×128 → bi-LSTM 64 → max pooling → Linear) and
 *   variants, trained as the CLI trains it; test errors compared with the logistic regression's.
 */
import { initBackend } from '../src/backend/native/init.js';
import { DataLoader, type TextBatch, type TextExample } from '../src/data/dataloader.js';
import { ArrayDataset } from '../src/data/dataset.js';
import { trainValTestSplit } from '../src/data/split.js';
import { WordTokenizer } from '../src/data/tokenizers.js';
import { Vocab } from '../src/data/vocab.js';
import { loadSpamAssassin, type SpamHeaders } from '../src/io/datasets/spam.js';
import { AttentionPooling } from '../src/nn/attention-pooling.js';
import { Dropout } from '../src/nn/dropout.js';
import { Embedding } from '../src/nn/embedding.js';
import { BagOfWordsClassifier, type Pooling, TextClassifier } from '../src/nn/heads.js';
import { Linear } from '../src/nn/linear.js';
import { CrossEntropyLoss } from '../src/nn/losses.js';
import { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/rnn.js';
import { Adam } from '../src/optim/adam.js';
import { manualSeed } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { fitTextBaseline, type TextBaselineKind } from '../src/train/baselines/text-baselines.js';
import type { VectorizerOptions } from '../src/train/baselines/vectorizer.js';
import { classificationTask } from '../src/train/tasks.js';
import { evaluate, fit } from '../src/train/trainer.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const part = arg('part', 'linear');
const seeds = arg('seeds', '0').split(',').map(Number);
const variants = arg('variants', 'default').split(',');
const headerList = arg('headers', 'from-subject,strip').split(',') as SpamHeaders[];

interface Example {
  text: string;
  label: number;
  tokens: string[];
}
interface Split {
  train: Example[];
  val: Example[];
  test: Example[];
  vocab: Vocab;
}

const tokenizer = new WordTokenizer({ punctuation: 'strip' });
const corpora = new Map<SpamHeaders, Example[]>();

async function examples(headers: SpamHeaders): Promise<Example[]> {
  let ex = corpora.get(headers);
  if (!ex) {
    const c = await loadSpamAssassin({ headers });
    ex = c.texts.map((text, i) => ({ text, label: c.labels[i]!, tokens: tokenizer.tokenize(text) }));
    corpora.set(headers, ex);
  }
  return ex;
}

/** The CLI's split and vocabulary (seeded, stratified 80/10/10; 20,000 tokens from train). */
async function split(headers: SpamHeaders, seed: number): Promise<Split> {
  manualSeed(seed);
  const s = trainValTestSplit(await examples(headers), { val: 0.1, test: 0.1, seed, stratify: true });
  const train = [...s.train];
  const vocab = Vocab.build(
    train.map((e) => e.tokens),
    { maxSize: 20000 },
  );
  return { train, val: [...s.val], test: [...s.test], vocab };
}

/** What the LSTM reads: 256 tokens (first quarter + end), out-of-vocabulary words as <unk>. */
function asLstmSees(tokens: string[], vocab: Vocab, maxLen: number): string[] {
  return vocab.decode(vocab.encode(tokens, { maxLength: maxLen, truncation: 'headTail' }), {
    skipSpecial: false,
  });
}

function errorsOf(pred: ArrayLike<number>, data: Example[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) if (pred[i] !== data[i]!.label) out.push(i);
  return out;
}

function linearRun(
  kind: TextBaselineKind,
  s: Split,
  view: (e: Example) => string[],
  vectorizer: VectorizerOptions = {},
) {
  const b = fitTextBaseline(
    s.train.map(view),
    Int32Array.from(s.train, (e) => e.label),
    {
      kind,
      vectorizer,
      cGrid: [1, 10, 100, 1000],
      valTokens: s.val.map(view),
      valLabels: Int32Array.from(s.val, (e) => e.label),
    },
  );
  const errors = errorsOf(b.predict(s.test.map(view)), s.test);
  return { C: b.C, val: b.valAccuracy!, test: 1 - errors.length / s.test.length, errors };
}

async function linearPart(): Promise<void> {
  console.log('| headers | input | model | seed | C | val acc | test acc | test errors |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const headers of headerList) {
    for (const seed of seeds) {
      const s = await split(headers, seed);
      const views: Array<[string, (e: Example) => string[]]> = [
        ['full e-mail, all words', (e) => e.tokens],
        ['LSTM input (256 headTail, 20k vocab)', (e) => asLstmSees(e.tokens, s.vocab, 256)],
      ];
      const models: Array<[string, TextBaselineKind, VectorizerOptions]> = [
        ['bag-of-words LR (L2 rows)', 'bag-of-words', {}],
        ['bag-of-words LR (L1 rows: token shares)', 'bag-of-words', { norm: 'l1' }],
        ['tfidf 1-2-gram LR', 'tfidf', {}],
      ];
      for (const [name, view] of views) {
        for (const [model, kind, vectorizer] of models) {
          const r = linearRun(kind, s, view, vectorizer);
          console.log(
            `| ${headers} | ${name} | ${model} | ${seed} | ${r.C} | ${r.val.toFixed(4)} | ${r.test.toFixed(4)} | ${r.errors.length} |`,
          );
        }
      }
    }
  }
}

/** Embedding → bi-LSTM → attention pooling → Linear (the CLI's model with attention pooling). */
class AttentionClassifier extends Module {
  readonly embedding = this.registerModule('embedding', new Embedding(20000, 128, { paddingIdx: 0 }));
  readonly lstm = this.registerModule(
    'lstm',
    new LSTM({ inputSize: 128, hiddenSize: 64, bidirectional: true, batchFirst: true }),
  );
  readonly pool = this.registerModule('pool', new AttentionPooling({ inputSize: 128 }));
  readonly drop = this.registerModule('dropout', new Dropout(0.3));
  readonly fc = this.registerModule('fc', new Linear(128, 2));
  forward(inputs: Tensor, lengths?: Int32Array): Tensor {
    const [out] = this.lstm.forward(this.embedding.forward(inputs), null, lengths ? { lengths } : {});
    return this.fc.forward(this.drop.forward(this.pool.forward(out, lengths)));
  }
}

interface Variant {
  maxLen: number;
  epochs: number;
  lr: number;
  dropout: number;
  pooling: Pooling | 'attention' | 'bag-of-words';
  headers: SpamHeaders;
  weightDecay: number;
}
const BASE: Variant = {
  maxLen: 256,
  epochs: 5,
  lr: 3e-3,
  dropout: 0,
  pooling: 'max',
  headers: 'from-subject',
  weightDecay: 0,
};
const VARIANTS: Record<string, Partial<Variant>> = {
  default: {},
  dropout: { dropout: 0.5 },
  long: { maxLen: 1024 },
  attention: { pooling: 'attention' },
  'lr-1e-3': { lr: 1e-3, epochs: 8 },
  strip: { headers: 'strip' },
  'weight-decay': { weightDecay: 1e-5 },
  // The CLI's bag-of-words baseline: mean of 64-wide embeddings → Linear, Adam 1e-2, no clipping.
  'bow-embed': { pooling: 'bag-of-words', lr: 1e-2 },
};

/** Batches as the CLI makes them; `ordered` keeps the data order (no length buckets) for analysis. */
function loaderOf(
  data: Example[],
  vocab: Vocab,
  maxLen: number,
  batch: number,
  shuffle: boolean,
  ordered = false,
) {
  const items: TextExample[] = data.map((e) => {
    const ids = vocab.encode(e.tokens, { maxLength: maxLen, truncation: 'headTail' });
    return { tokens: ids.length > 0 ? ids : new Int32Array([vocab.unkId]), label: e.label };
  });
  return new DataLoader<TextExample, TextBatch>(new ArrayDataset(items), {
    batchSize: batch,
    shuffle,
    ...(ordered ? {} : { bucketSize: 16 }),
  });
}

/** How the test e-mails the LSTM got wrong look: label, length, truncation, unknown words. */
function describeErrors(errors: number[], s: Split, maxLen: number, linearErrors: number[]): string {
  const both = errors.filter((i) => linearErrors.includes(i)).length;
  const rows = errors.map((i) => {
    const e = s.test[i]!;
    const ids = s.vocab.encode(e.tokens);
    const unk = ids.filter((id) => id === s.vocab.unkId).length;
    return `${e.label === 1 ? 'spam' : 'ham'} ${e.tokens.length} tokens${e.tokens.length > maxLen ? ' (cut)' : ''}, ${((100 * unk) / Math.max(1, ids.length)).toFixed(0)}% unknown`;
  });
  return `${both} of them also wrong for bag-of-words LR; ${rows.join('; ')}`;
}

async function lstmRun(name: string, seed: number): Promise<void> {
  const v = { ...BASE, ...VARIANTS[name] };
  const s = await split(v.headers, seed);
  manualSeed(seed);
  const model =
    v.pooling === 'bag-of-words'
      ? new BagOfWordsClassifier({ vocabSize: s.vocab.size, embedDim: 64 })
      : v.pooling === 'attention'
        ? new AttentionClassifier()
        : new TextClassifier({
            vocabSize: s.vocab.size,
            embedDim: 128,
            hiddenSize: 64,
            bidirectional: true,
            pooling: v.pooling,
            dropout: v.dropout,
          });
  const started = performance.now();
  const task = classificationTask();
  const result = await fit(model, {
    task,
    train: loaderOf(s.train, s.vocab, v.maxLen, 32, true),
    val: loaderOf(s.val, s.vocab, v.maxLen, 128, false),
    epochs: v.epochs,
    optimizer: new Adam(model.parameters(), { lr: v.lr, weightDecay: v.weightDecay }),
    loss: new CrossEntropyLoss(),
    ...(v.pooling === 'bag-of-words' ? {} : { clipGradNorm: 5 }),
    metrics: ['accuracy'],
    earlyStopping: { monitor: 'valLoss', patience: v.epochs, restoreBest: true },
  });
  const seconds = (performance.now() - started) / 1000;
  const ev = await evaluate(model, loaderOf(s.test, s.vocab, v.maxLen, 128, false, true), { task });
  const errors = errorsOf(ev.yPred, s.test);
  const lr = linearRun('bag-of-words', s, (e) => asLstmSees(e.tokens, s.vocab, v.maxLen));
  const h = result.history;
  const fmt = (xs: number[] | undefined) => (xs ?? []).map((x) => x.toFixed(3)).join(' ');
  console.log(
    `${name} seed ${seed}: test acc ${(1 - errors.length / s.test.length).toFixed(4)} (${errors.length} errors; bag-of-words LR on the same input ${lr.errors.length}), best epoch ${result.bestEpoch}, train acc ${fmt(h.accuracy)}, val loss ${fmt(h.valLoss)}, val acc ${fmt(h.valAccuracy)}, ${seconds.toFixed(0)} s`,
  );
  console.log(`  errors: ${describeErrors(errors, s, v.maxLen, lr.errors)}`);
}

console.log(`backend ${initBackend()}, threads ${process.env.KIOKU_NUM_THREADS ?? 'all'}`);
if (part === 'linear') await linearPart();
else for (const name of variants) for (const seed of seeds) await lstmRun(name, seed);
