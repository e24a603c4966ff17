import { ValueError } from '../tensor/errors.js';
import { splitStream } from './lm-stream.js';
import type { Tokenizer } from './tokenizers.js';
import { Vocab, type VocabBuildOptions } from './vocab.js';

/**
 * A text prepared for language modelling: tokenized once, split in order into train,
 * validation and test streams, and encoded with a vocabulary built from the training part only,
 * so validation and test tokens unseen in training count as `<unk>` (as in PTB-style setups).
 */
export interface LmCorpus {
  tokenizer: Tokenizer;
  vocab: Vocab;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Share of the validation and test tokens outside the vocabulary (encoded as `<unk>`). */
  unknownRate: { val: number; test: number };
}

export interface LmCorpusOptions extends Pick<VocabBuildOptions, 'minFreq' | 'maxSize' | 'tieBreak'> {
  tokenizer: Tokenizer;
  /** Fraction of the token stream for validation (default 0.05). */
  val?: number;
  /** Fraction of the token stream for test (default 0.05). */
  test?: number;
}

function unknownShare(ids: Int32Array, unkId: number): number {
  if (ids.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] === unkId) n++;
  return n / ids.length;
}

/**
 * Tokenizes a long text piece by piece, cut after line breaks (no token or grapheme spans
 * one; "\r\n" stays whole): Intl.Segmenter, behind CharTokenizer, slows down quadratically on
 * one long string in Node 20 (100,000 characters take tens of seconds).
 */
export function tokenizeLong(tokenizer: Tokenizer, text: string, pieceSize = 8192): string[] {
  if (!Number.isInteger(pieceSize) || pieceSize < 1) {
    throw new ValueError(`tokenizeLong: pieceSize must be a positive integer, got ${String(pieceSize)}`);
  }
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start + pieceSize);
    end = end < 0 ? text.length : end + 1;
    for (const t of tokenizer.tokenize(text.slice(start, end))) out.push(t);
    start = end;
  }
  return out;
}

/** Tokenizes `text`, splits the stream 90/5/5 (by default) and encodes it. */
export function prepareLmCorpus(text: string, options: LmCorpusOptions): LmCorpus {
  if (typeof text !== 'string') {
    throw new ValueError(
      `prepareLmCorpus: text must be a string, got ${text === null ? 'null' : typeof text}`,
    );
  }
  const { tokenizer, val = 0.05, test = 0.05, ...vocabOptions } = options ?? ({} as LmCorpusOptions);
  if (typeof tokenizer?.tokenize !== 'function') {
    throw new ValueError(
      'prepareLmCorpus: options.tokenizer must be a tokenizer (WordTokenizer, CharTokenizer)',
    );
  }
  const tokens = tokenizeLong(tokenizer, text);
  // Split positions first, on the token stream, so the vocabulary sees the training part only.
  const positions = splitStream(
    Int32Array.from({ length: tokens.length }, (_, i) => i),
    { val, test },
  );
  if (positions.train.length < 2) {
    throw new ValueError(
      `prepareLmCorpus: the text has ${tokens.length} tokens, which leaves ${positions.train.length} for training; a language model needs more text`,
    );
  }
  const part = (p: Int32Array) => tokens.slice(p[0] ?? 0, (p[0] ?? 0) + p.length);
  const trainTokens = part(positions.train);
  const vocab = Vocab.build([trainTokens], vocabOptions);
  const valIds = vocab.encode(part(positions.val));
  const testIds = vocab.encode(part(positions.test));
  return {
    tokenizer,
    vocab,
    train: vocab.encode(trainTokens),
    val: valIds,
    test: testIds,
    unknownRate: { val: unknownShare(valIds, vocab.unkId), test: unknownShare(testIds, vocab.unkId) },
  };
}
