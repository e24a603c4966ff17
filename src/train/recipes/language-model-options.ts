import type { Cell } from '../../nn/heads.js';
import type { LanguageModel } from '../../nn/language-model.js';
import { ValueError } from '../../tensor/errors.js';
import type { LmScore } from '../lm/score.js';
import type { LmHistory } from '../lm/train.js';
import type { LmTrainEvent } from '../lm/train-options.js';
import type { ResumedEvent } from './events.js';
import { checkRunOptions, OptionCheck, type RecipeRunOptions } from './options.js';

/**
 * What `kioku train lm` decides. The {@link SizedToText} settings, left open, are sized to the
 * text (`train/lm/sizing.ts`); the others have {@link LANGUAGE_MODEL_DEFAULTS}.
 */
export interface LanguageModelSettings {
  /** Characters (default) or lower-cased words and punctuation marks. */
  tokenizer: 'char' | 'word';
  cell: Cell;
  /** Open: 64 (at most the hidden size) for characters, the hidden size for words. */
  embed: number;
  /** Open: the largest of 32 to 512 with at most 5 weights per training token. */
  hidden: number;
  layers: number;
  /** Open: 0.3 for a text read more than 5 times in about 1,000 steps (a small one), else 0. */
  dropout: number;
  /** Share the output weight with the embedding (needs embed = hidden). Open: words only. */
  tieWeights: boolean;
  /** Parallel streams. */
  batch: number;
  /** Steps per chunk, the truncation length of back-propagation through time. */
  bptt: number;
  /**
   * Adam's rate, decayed by a cosine to a twentieth of it over the run: over all epochs, or over
   * `maxSeconds` when that ends the run first. Open: 1e-2 for a small text (see dropout), else 3e-3.
   */
  lr: number;
  /** Open: enough for about 1,000 steps, 5 at least (Moby Dick's characters: 5). */
  epochs: number;
  /**
   * The time for the whole run, baselines, training and evaluations (default: none): training
   * stops early enough for the closing evaluations on the validation and test parts.
   */
  maxSeconds: number;
  /** Also evaluate every this many steps (0: at epoch ends only). */
  evalEvery: number;
  /** Highest order of the Kneser-Ney n-gram baselines (0 skips them). */
  ngram: number;
  /**
   * Largest vocabulary, `<pad>` and `<unk>` included (0: no limit). Open: no limit for
   * characters; for words, those seen twice or more in the training part, at most 10,000.
   */
  vocabSize: number;
  seed: number;
}

/** The settings that, left open, are sized to the text. */
export type SizedToText = 'embed' | 'hidden' | 'tieWeights' | 'epochs' | 'dropout' | 'lr' | 'vocabSize';

export const LANGUAGE_MODEL_DEFAULTS: Omit<LanguageModelSettings, SizedToText> = {
  tokenizer: 'char',
  cell: 'lstm',
  layers: 1,
  batch: 32,
  bptt: 128,
  maxSeconds: Number.POSITIVE_INFINITY,
  evalEvery: 0,
  ngram: 5,
  seed: 0,
};

/** The resolved options: the sized settings stay undefined until the text is read. */
export type ResolvedLanguageModelOptions = Omit<LanguageModelSettings, SizedToText> &
  Partial<Pick<LanguageModelSettings, SizedToText>> &
  LanguageModelOptions;

export interface LanguageModelOptions
  extends Partial<LanguageModelSettings>,
    Pick<
      RecipeRunOptions<LanguageModelEvent>,
      'store' | 'signal' | 'onEvent' | 'optionName' | 'resume' | 'checkpointEvery' | 'onNonFinite'
    > {
  /** The text to learn (a book: it is split 90/5/5 in order). */
  text: string;
  /** Its name, recorded in the model's config (a file name, "moby-dick"). */
  dataName?: string;
}

/** Progress of {@link trainTextLanguageModel}, as plain objects. */
export type LanguageModelEvent =
  | {
      type: 'lm-data';
      train: number;
      val: number;
      test: number;
      vocabulary: number;
      unit: 'char' | 'word';
      unknownRate: { val: number; test: number };
    }
  | { type: 'ngram'; order: number; val: LmScore; test: LmScore }
  | {
      type: 'model';
      model: string;
      parameters: number;
      embed: number;
      hidden: number;
      epochs: number;
      /** The settings sized to the text (those left open). */
      sized: SizedToText[];
      /** Whether the time budget (`maxSeconds`), timed on this machine, made the network smaller. */
      cutForTime: boolean;
    }
  | { type: 'lm-step'; epoch: number; step: number; stepsPerEpoch: number; loss: number; seconds: number }
  | (Omit<Extract<LmTrainEvent, { type: 'eval' }>, 'type'> & { type: 'lm-eval' })
  | (Omit<ResumedEvent, 'history'> & { history: LmHistory; step: number });

export interface NGramScore {
  order: number;
  val: LmScore;
  test: LmScore;
}

export interface LanguageModelResult {
  model: LanguageModel;
  config: Record<string, unknown>;
  history: LmHistory;
  /** The network's scores (the best validation weights, kept). */
  val: LmScore;
  test: LmScore;
  ngrams: NGramScore[];
  /** The n-gram baseline with the lowest validation loss, or null without baselines. */
  bestNgram: NGramScore | null;
  /** Whether the network's validation loss is below every baseline's. */
  beatsBaselines: boolean | null;
  stopReason: 'completed' | 'time' | 'aborted';
  steps: number;
  tokens: number;
  seconds: number;
  saved: { model: string | null };
}

const INTS = ['embed', 'hidden', 'layers', 'batch', 'bptt', 'epochs'] as const;
const NON_NEGATIVE_INTS = ['evalEvery', 'ngram', 'vocabSize', 'seed'] as const;

/**
 * The options with defaults filled in, every one checked; messages name options by `name`. The
 * settings sized to the text stay open (`sizeToText` fills them once the text is tokenized).
 */
export function resolveLanguageModelOptions(options: LanguageModelOptions): ResolvedLanguageModelOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError('trainTextLanguageModel: options must be an object with at least text');
  }
  const name = options.optionName ?? ((k: string) => k);
  const o = { ...LANGUAGE_MODEL_DEFAULTS, ...dropUndefined(options) };
  checkRunOptions(o, new OptionCheck(name));
  if (typeof o.text !== 'string' || o.text.length === 0) {
    throw new ValueError(`${name('text')} must be a non-empty string, got ${describe(o.text)}`);
  }
  for (const k of INTS) {
    if (o[k] === undefined && SIZED.has(k)) continue;
    if (!Number.isInteger(o[k]) || (o[k] as number) < 1)
      throw new ValueError(`${name(k)} must be a positive integer, got ${describe(o[k])}`);
  }
  for (const k of NON_NEGATIVE_INTS) {
    if (o[k] === undefined && SIZED.has(k)) continue;
    if (!Number.isInteger(o[k]) || (o[k] as number) < 0)
      throw new ValueError(`${name(k)} must be an integer ≥ 0, got ${describe(o[k])}`);
  }
  if (o.tokenizer !== 'char' && o.tokenizer !== 'word') {
    throw new ValueError(`${name('tokenizer')} must be 'char' or 'word', got ${describe(o.tokenizer)}`);
  }
  if (o.dropout !== undefined && !(typeof o.dropout === 'number' && o.dropout >= 0 && o.dropout < 1)) {
    throw new ValueError(`${name('dropout')} must be a number in [0, 1), got ${describe(o.dropout)}`);
  }
  if (o.lr !== undefined && (typeof o.lr !== 'number' || !(o.lr > 0) || !Number.isFinite(o.lr))) {
    throw new ValueError(`${name('lr')} must be a number > 0, got ${describe(o.lr)}`);
  }
  if (typeof o.maxSeconds !== 'number' || !(o.maxSeconds > 0)) {
    throw new ValueError(
      `${name('maxSeconds')} must be a number of seconds > 0, got ${describe(o.maxSeconds)}`,
    );
  }
  if (o.tieWeights !== undefined && typeof o.tieWeights !== 'boolean') {
    throw new ValueError(`${name('tieWeights')} must be true or false, got ${describe(o.tieWeights)}`);
  }
  // With one of the two sizes open, tying sets it to the other.
  if (o.tieWeights && o.embed !== undefined && o.hidden !== undefined && o.embed !== o.hidden) {
    throw new ValueError(
      `${name('tieWeights')} needs ${name('embed')} = ${name('hidden')}, got ${o.embed} and ${o.hidden}`,
    );
  }
  return o as ResolvedLanguageModelOptions;
}

const SIZED: ReadonlySet<string> = new Set<SizedToText>([
  'embed',
  'hidden',
  'tieWeights',
  'epochs',
  'vocabSize',
]);

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}
