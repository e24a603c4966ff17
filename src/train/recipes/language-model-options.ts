import type { Cell } from '../../nn/heads.js';
import type { LanguageModel } from '../../nn/language-model.js';
import { ValueError } from '../../tensor/errors.js';
import type { LmScore } from '../lm/score.js';
import type { LmHistory } from '../lm/train.js';
import type { LmTrainEvent } from '../lm/train-options.js';
import type { ResumedEvent } from './events.js';
import { checkRunOptions, OptionCheck, type RecipeRunOptions } from './options.js';

/** What `kioku train lm` decides, with its defaults. */
export interface LanguageModelSettings {
  /** Characters (default) or lower-cased words and punctuation marks. */
  tokenizer: 'char' | 'word';
  cell: Cell;
  embed: number;
  hidden: number;
  layers: number;
  dropout: number;
  /** Share the output weight with the embedding (needs embed = hidden). */
  tieWeights: boolean;
  /** Parallel streams. */
  batch: number;
  /** Steps per chunk, the truncation length of back-propagation through time. */
  bptt: number;
  /**
   * Adam's rate, decayed by a cosine to a twentieth of it over the run: over all epochs, or over
   * `maxSeconds` when that ends the run first.
   */
  lr: number;
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
  /** Largest vocabulary, `<pad>` and `<unk>` included (word models; 0: no limit). */
  vocabSize: number;
  seed: number;
}

export const LANGUAGE_MODEL_DEFAULTS: LanguageModelSettings = {
  tokenizer: 'char',
  cell: 'lstm',
  embed: 64,
  hidden: 512,
  layers: 1,
  dropout: 0,
  tieWeights: false,
  batch: 32,
  bptt: 128,
  lr: 3e-3,
  epochs: 5,
  maxSeconds: Number.POSITIVE_INFINITY,
  evalEvery: 0,
  ngram: 5,
  vocabSize: 0,
  seed: 0,
};

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
  | { type: 'model'; model: string; parameters: number }
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

/** The options with defaults filled in, every one checked; messages name options by `name`. */
export function resolveLanguageModelOptions(
  options: LanguageModelOptions,
): LanguageModelSettings & LanguageModelOptions {
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
    if (!Number.isInteger(o[k]) || o[k] < 1)
      throw new ValueError(`${name(k)} must be a positive integer, got ${describe(o[k])}`);
  }
  for (const k of NON_NEGATIVE_INTS) {
    if (!Number.isInteger(o[k]) || o[k] < 0)
      throw new ValueError(`${name(k)} must be an integer ≥ 0, got ${describe(o[k])}`);
  }
  if (o.tokenizer !== 'char' && o.tokenizer !== 'word') {
    throw new ValueError(`${name('tokenizer')} must be 'char' or 'word', got ${describe(o.tokenizer)}`);
  }
  if (typeof o.lr !== 'number' || !(o.lr > 0) || !Number.isFinite(o.lr)) {
    throw new ValueError(`${name('lr')} must be a number > 0, got ${describe(o.lr)}`);
  }
  if (typeof o.maxSeconds !== 'number' || !(o.maxSeconds > 0)) {
    throw new ValueError(
      `${name('maxSeconds')} must be a number of seconds > 0, got ${describe(o.maxSeconds)}`,
    );
  }
  if (o.tieWeights && o.embed !== o.hidden) {
    throw new ValueError(
      `${name('tieWeights')} needs ${name('embed')} = ${name('hidden')}, got ${o.embed} and ${o.hidden}`,
    );
  }
  return o as LanguageModelSettings & LanguageModelOptions;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}
