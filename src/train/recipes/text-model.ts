import type { TextCorpus } from '../../data/corpus.js';
import { nameList, quote } from '../../data/errors.js';
import { type TokenizerJSON, tokenizerFromJSON, WordTokenizer } from '../../data/tokenizers.js';
import { type Truncation, Vocab, type VocabJSON } from '../../data/vocab.js';
import { BagOfWordsClassifier, TextClassifier } from '../../nn/heads.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { softmaxRows } from '../tasks.js';
import type { OpenedModel } from './opened.js';
import { checkOptionsObject } from './options.js';
import { checkDataColumns, type NamedReport, type TextDataColumns } from './text-classifier-options.js';
import { allUnknown, checkCorpus, encoder, subsample, unknownShare } from './text-data.js';
import { majorityTextReport, textReport } from './text-reports.js';

/** A trained text classifier put to use: labels for new texts, and its scores on labelled data. */

export interface TextRuntime {
  model: TextClassifier | BagOfWordsClassifier;
  labels: string[];
  encode: (text: string) => Int32Array;
  /** A text's token ids, all of them (no cut to maxLen): a stream read piece by piece. */
  tokens: (text: string) => Int32Array;
  /** Tokens `encode` keeps of a text. */
  maxLen: number;
  /** The id texts' unknown tokens get. */
  unkId: number;
  /** Training examples per class, when the model recorded them. */
  labelCounts: number[];
  headers: string | undefined;
  /** The file columns it was trained from, when not `text` and `label`. */
  dataColumns: TextDataColumns | undefined;
}

export function textRuntime(opened: OpenedModel): TextRuntime {
  const where = opened?.where ?? 'model';
  const { model, config } = opened ?? {};
  if (
    config?.task !== 'classification' ||
    !(model instanceof TextClassifier || model instanceof BagOfWordsClassifier)
  ) {
    throw new ValueError(
      `"${where}" holds a ${String(config?.task)} model; a text classifier (task 'classification') is needed`,
    );
  }
  const c = config as {
    labels?: unknown;
    vocab?: VocabJSON;
    tokenizer?: TokenizerJSON;
    maxLen?: number;
    truncation?: Truncation;
    labelCounts?: number[];
    headers?: string;
    dataColumns?: unknown;
  };
  if (!Array.isArray(c.labels) || !c.vocab || !Number.isInteger(c.maxLen)) {
    throw new ValueError(`"${where}": config.json lacks the labels, vocab or maxLen of a text model`);
  }
  const vocab = Vocab.fromJSON(c.vocab);
  // Models saved before the tokenizer was recorded read words.
  const tokenizer = c.tokenizer ? tokenizerFromJSON(c.tokenizer) : new WordTokenizer();
  return {
    model,
    labels: c.labels as string[],
    encode: encoder(vocab, tokenizer, c.maxLen!, c.truncation ?? 'head'),
    tokens: (text) => vocab.encode(tokenizer.tokenize(text)),
    maxLen: c.maxLen!,
    unkId: vocab.unkId,
    labelCounts: Array.isArray(c.labelCounts) ? c.labelCounts : [],
    headers: c.headers,
    dataColumns:
      c.dataColumns === undefined
        ? undefined
        : checkDataColumns(c.dataColumns, `"${where}": config.json's dataColumns`),
  };
}

export interface TextPrediction {
  label: string;
  /** The label's probability. */
  probability: number;
  /** Every label's probability. */
  probabilities: Record<string, number>;
}

/** Class probabilities of each text, 64 texts per forward. */
export function classify(rt: TextRuntime, texts: string[]): number[][] {
  const out: number[][] = [];
  const k = rt.labels.length;
  for (let s = 0; s < texts.length; s += 64) {
    const ids = texts.slice(s, s + 64).map(rt.encode);
    const lengths = Int32Array.from(ids, (x) => x.length);
    const t = Math.max(...lengths);
    const data = new Int32Array(ids.length * t);
    for (const [i, x] of ids.entries()) data.set(x, i * t);
    const logits = noGrad(() => rt.model.forward(new Tensor(data, [ids.length, t]), lengths));
    const probs = softmaxRows(logits);
    for (let i = 0; i < ids.length; i++) out.push(Array.from(probs.subarray(i * k, (i + 1) * k)));
  }
  return out;
}

/** The label and class probabilities of each text (read as in training: same tokenizer, vocabulary, length). */
export function predictText(opened: OpenedModel, texts: string[]): TextPrediction[] {
  const rt = textRuntime(opened);
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
    throw new ValueError('predictText: texts must be an array of strings');
  }
  return classify(rt, texts).map((p) => {
    const best = p.indexOf(Math.max(...p));
    return {
      label: rt.labels[best]!,
      probability: p[best]!,
      probabilities: Object.fromEntries(rt.labels.map((l, j) => [l, p[j]!])),
    };
  });
}

/**
 * How to read data for this model as it was read in training: `loadSpamAssassin`'s headers, a
 * file's text and label columns.
 */
export function textReadOptions(opened: OpenedModel): { headers?: string; dataColumns?: TextDataColumns } {
  const { headers, dataColumns } = textRuntime(opened);
  return {
    ...(headers === undefined ? {} : { headers }),
    ...(dataColumns === undefined ? {} : { dataColumns }),
  };
}

export interface TextEvaluationOptions {
  /** Labelled texts; every label must be one the model knows. */
  corpus: TextCorpus;
  /** The data's name in messages. Default 'data'. */
  dataName?: string;
  /** Use only this many examples, chosen by a shuffle seeded with 0. Default: all. */
  limit?: number;
  /** How messages name an option (see the training recipes). */
  optionName?: (option: string) => string;
}

export interface TextEvaluation {
  examples: number;
  /** Share of the texts' tokens unknown to the model's vocabulary (kioku warns above 0.2). */
  unknownRate: number;
  reports: NamedReport[];
}

/**
 * The model's accuracy, per-class and macro scores and confusion matrix on a labelled corpus,
 * beside the majority class of its training data. This is what `kioku eval` runs for text.
 * Throws a ValueError when every token of the texts is unknown to the model.
 */
export function evaluateTextClassifier(opened: OpenedModel, options: TextEvaluationOptions): TextEvaluation {
  const rt = textRuntime(opened);
  checkOptionsObject(options, 'evaluateTextClassifier', 'corpus');
  const name = options.optionName ?? ((k: string) => k);
  const { corpus } = options;
  checkCorpus(corpus, name('corpus'));
  const index = new Map(rt.labels.map((l, i) => [l, i]));
  const unknown = corpus.classes.find((l) => !index.has(l));
  if (unknown !== undefined) {
    throw new ValueError(
      `${name('data')} ${options.dataName ?? 'data'}: label ${quote(unknown)} is not one the model knows (${nameList(rt.labels)})`,
    );
  }
  const items = subsample(
    corpus.texts.map((text, i) => ({ text, label: index.get(corpus.classes[corpus.labels[i]!]!)! })),
    options.limit,
    0,
  );
  const encoded = items.map((e) => ({ tokens: rt.encode(e.text) }));
  const unknownRate = unknownShare(encoded, rt.unkId);
  if (unknownRate === 1) {
    const tokenizer = (opened.config.tokenizer as { type?: string } | undefined)?.type;
    throw new ValueError(
      allUnknown(`${name('data')} ${options.dataName ?? 'data'}: every token`, tokenizer, name),
    );
  }
  const yTrue = items.map((e) => e.label);
  const yPred = classify(
    rt,
    items.map((e) => e.text),
  ).map((p) => p.indexOf(Math.max(...p)));
  return {
    examples: items.length,
    unknownRate,
    reports: [
      { model: 'model', report: textReport(yTrue, yPred, rt.labels) },
      { model: 'majority', report: majorityTextReport(yTrue, rt.labelCounts, rt.labels) },
    ],
  };
}
