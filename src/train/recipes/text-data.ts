import type { TextCorpus } from '../../data/corpus.js';
import { DataLoader, type TextBatch, type TextExample } from '../../data/dataloader.js';
import { ArrayDataset } from '../../data/dataset.js';
import { trainValTestSplit } from '../../data/split.js';
import { CharTokenizer, type Tokenizer, WordTokenizer } from '../../data/tokenizers.js';
import { type Truncation, Vocab } from '../../data/vocab.js';
import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';

/** Text data for a classifier: a seeded subsample, an 80/10/10 split, the vocabulary, token ids. */

/** The first `limit` items after a shuffle seeded with `seed`; all of them without a limit. */
export function subsample<T>(items: T[], limit: number | undefined, seed: number): T[] {
  if (limit === undefined || limit >= items.length) return items;
  const perm = new Generator(seed).permutation(items.length);
  return Array.from(perm.subarray(0, limit), (i) => items[i]!);
}

/** Token ids of a text: tokenized, encoded, cut to maxLen; an empty text becomes one `<unk>`. */
export function encoder(
  vocab: Vocab,
  tokenizer: { tokenize(t: string): string[] },
  maxLen: number,
  truncation: Truncation,
): (text: string) => Int32Array {
  return (text: string): Int32Array => {
    const ids = vocab.encode(tokenizer.tokenize(text), { maxLength: maxLen, truncation });
    return ids.length > 0 ? ids : new Int32Array([vocab.unkId]);
  };
}

export function textLoader(
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

/** Checks that a corpus has texts, class ids and at least two class names. */
export function checkCorpus(corpus: TextCorpus, name: string): void {
  const ok =
    typeof corpus === 'object' &&
    corpus !== null &&
    Array.isArray(corpus.texts) &&
    corpus.labels instanceof Int32Array &&
    corpus.labels.length === corpus.texts.length &&
    Array.isArray(corpus.classes) &&
    corpus.classes.length >= 2 &&
    corpus.labels.every((l) => l >= 0 && l < corpus.classes.length);
  if (!ok) {
    throw new ValueError(
      `${name} must be a corpus: texts (string[]), labels (Int32Array of class ids, one per text) and at least 2 classes`,
    );
  }
}

export interface TextSettings {
  limit?: number;
  seed: number;
  tokenizer: 'word' | 'char';
  lowercase: boolean;
  normalize: boolean;
  punctuation: 'strip' | 'keep';
  vocabSize: number;
  minFreq: number;
  maxLen: number;
  truncation: Truncation;
}

export interface TextData {
  /** Examples kept (after `limit`). */
  size: number;
  tokenizer: Tokenizer;
  vocab: Vocab;
  /** Share of the validation and test tokens that are unknown to the vocabulary. */
  unknownRate: number;
  train: TextExample[];
  val: TextExample[];
  test: TextExample[];
  /** Training examples per class, for the majority baseline. */
  labelCounts: number[];
}

/**
 * Splits the corpus (stratified, seeded), builds the vocabulary on the training split and
 * encodes every split. `where` names the data in messages.
 */
export function prepareText(
  corpus: TextCorpus,
  s: TextSettings,
  where: string,
  optionName: (option: string) => string = (k) => k,
): TextData {
  const raw = subsample(
    corpus.texts.map((text, i) => ({ text, label: corpus.labels[i]! })),
    s.limit,
    s.seed,
  );
  const split = trainValTestSplit(raw, { val: 0.1, test: 0.1, seed: s.seed, stratify: true });
  const parts = { train: [...split.train], val: [...split.val], test: [...split.test] };
  if (parts.train.length === 0 || parts.val.length === 0 || parts.test.length === 0) {
    throw new ValueError(`${where}: ${raw.length} examples are too few for an 80/10/10 split`);
  }
  const tokenizer = makeTokenizer(s);
  const tokenized = parts.train.map((e) => tokenizer.tokenize(e.text));
  const vocab = Vocab.build(tokenized, { maxSize: s.vocabSize, minFreq: s.minFreq });
  const encode = encoder(vocab, tokenizer, s.maxLen, s.truncation);
  const examples = (xs: typeof parts.train): TextExample[] =>
    xs.map((e) => ({ tokens: encode(e.text), label: e.label }));
  const train = examples(parts.train);
  const val = examples(parts.val);
  const test = examples(parts.test);
  const unknownRate = unknownShare([...val, ...test], vocab.unkId);
  if (unknownRate === 1)
    throw new ValueError(allUnknown(`${where}: every validation and test token`, s.tokenizer, optionName));
  return {
    size: raw.length,
    tokenizer,
    vocab,
    unknownRate,
    train,
    val,
    test,
    labelCounts: corpus.classes.map((_, c) => train.filter((e) => e.label === c).length),
  };
}

/** The tokenizer the settings ask for. */
export function makeTokenizer(
  s: Pick<TextSettings, 'tokenizer' | 'lowercase' | 'normalize' | 'punctuation'>,
): Tokenizer {
  const { lowercase, normalize } = s;
  return s.tokenizer === 'char'
    ? new CharTokenizer({ lowercase, normalize })
    : new WordTokenizer({ lowercase, normalize, punctuation: s.punctuation });
}

/** Share of the tokens of `examples` that are `<unk>` (0 when there are none). */
export function unknownShare(examples: readonly { tokens: ArrayLike<number> }[], unkId: number): number {
  let unknown = 0;
  let total = 0;
  for (const { tokens } of examples) {
    total += tokens.length;
    for (let i = 0; i < tokens.length; i++) if (tokens[i] === unkId) unknown++;
  }
  return total === 0 ? 0 : unknown / total;
}

/** Why every token being unknown stops the run, and what to try. */
export function allUnknown(
  what: string,
  tokenizer: string | undefined,
  optionName: (option: string) => string = (k) => k,
): string {
  const hint =
    tokenizer === 'char'
      ? 'the texts share no characters with the training texts'
      : `with the word tokenizer a text written without spaces is one token, seen once; ${optionName('tokenizer')} 'char' reads such texts by their characters`;
  return `${what} is unknown to the vocabulary built from the training texts (${hint})`;
}
