import { ValueError } from '../tensor/errors.js';
import type { TextExample } from './dataloader.js';
import { ArrayDataset } from './dataset.js';
import { DataError } from './errors.js';
import type { Tokenizer } from './tokenizers.js';
import { type EncodeOptions, Vocab, type VocabBuildOptions } from './vocab.js';

/** Labelled texts in memory: labels[i] indexes classes. */
export interface TextCorpus {
  texts: string[];
  labels: Int32Array;
  /** Class names; label k means classes[k]. */
  classes: string[];
  /** Where the texts came from (a file, a directory, a package). */
  source?: string;
}

/**
 * The class list for raw label values: numeric labels sorted by value, others in code-unit
 * order, so the mapping does not depend on the order of the rows.
 */
export function classNames(values: Iterable<string>): string[] {
  const unique = [...new Set(values)];
  const numeric = unique.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}

/** Throws if a classification corpus has fewer than two classes. */
export function checkClasses(classes: readonly string[], location: { file?: string; column?: string }): void {
  if (classes.length < 2) {
    throw new DataError(
      `the label column has ${classes.length === 0 ? 'no values' : `a single class (${classes[0]})`}; a classifier needs at least 2`,
      location,
    );
  }
}

/** A vocabulary built from a corpus's texts with `tokenizer`. */
export function buildVocab(corpus: TextCorpus, tokenizer: Tokenizer, options: VocabBuildOptions = {}): Vocab {
  checkCorpus(corpus, 'buildVocab');
  return Vocab.build(
    (function* () {
      for (const t of corpus.texts) yield tokenizer.tokenize(t);
    })(),
    options,
  );
}

/** Tokenizes and encodes every text into `{tokens, label}` examples for a DataLoader. */
export function encodeCorpus(
  corpus: TextCorpus,
  tokenizer: Tokenizer,
  vocab: Vocab,
  options: EncodeOptions = {},
): ArrayDataset<TextExample> {
  checkCorpus(corpus, 'encodeCorpus');
  return new ArrayDataset(
    corpus.texts.map((text, i) => ({
      tokens: vocab.encode(tokenizer.tokenize(text), options),
      label: corpus.labels[i]!,
    })),
  );
}

function checkCorpus(corpus: TextCorpus, what: string): void {
  if (
    typeof corpus !== 'object' ||
    corpus === null ||
    !Array.isArray(corpus.texts) ||
    !(corpus.labels instanceof Int32Array) ||
    corpus.labels.length !== corpus.texts.length
  ) {
    throw new ValueError(
      `${what}: corpus must have texts (string[]) and labels (Int32Array) of equal length`,
    );
  }
}
