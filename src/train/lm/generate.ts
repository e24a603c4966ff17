import type { Tokenizer } from '../../data/tokenizers.js';
import type { Vocab } from '../../data/vocab.js';
import type { LanguageModel } from '../../nn/language-model.js';
import { ValueError } from '../../tensor/errors.js';
import { defaultGenerator, Generator } from '../../tensor/random.js';
import { checkSampling, type SamplingOptions, sampleLogits } from './sampling.js';
import { yieldToEventLoop } from './score.js';

export interface GenerateOptions extends SamplingOptions {
  /** Token ids read before the first drawn token (at least one). */
  prompt: ArrayLike<number>;
  /** Tokens to draw. */
  length: number;
  /** Seed of a fresh generator; or pass `generator` (default: the default generator). */
  seed?: number;
  generator?: Generator;
  /** Token ids that end the text once drawn (they are yielded). */
  stop?: readonly number[];
  signal?: AbortSignal;
}

function checkGenerate(model: LanguageModel, o: GenerateOptions): { prompt: number[]; generator: Generator } {
  const where = 'generateTokens';
  if (typeof o !== 'object' || o === null)
    throw new ValueError(`${where}: options must be an object with prompt and length`);
  const V = model.settings.vocabSize;
  const prompt = Array.from(o.prompt ?? []);
  if (prompt.length === 0) throw new ValueError(`${where}: prompt must hold at least one token id, got none`);
  const bad = prompt.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= V);
  if (bad >= 0)
    throw new ValueError(`${where}: prompt[${bad}] = ${prompt[bad]} is not a token id in [0, ${V})`);
  if (!Number.isInteger(o.length) || o.length < 0) {
    throw new ValueError(`${where}: length must be an integer ≥ 0, got ${String(o.length)}`);
  }
  if (o.seed !== undefined && o.generator !== undefined)
    throw new ValueError(`${where}: pass seed or generator, not both`);
  const generator = o.generator ?? (o.seed !== undefined ? new Generator(o.seed) : defaultGenerator);
  return { prompt, generator };
}

/**
 * Draws `length` tokens from `model` after reading `prompt`, one at a time: each step feeds the
 * last token through the model's streamer (constant work per token, whatever the text's length)
 * and samples the next from its logits. The model runs in evaluation mode meanwhile.
 */
export async function* generateTokens(
  model: LanguageModel,
  options: GenerateOptions,
): AsyncGenerator<number> {
  const { prompt, generator } = checkGenerate(model, options);
  const sampling = checkSampling('generateTokens', options);
  const stop = new Set(options.stop ?? []);
  const wasTraining = model.training;
  model.eval();
  try {
    const streamer = model.streamer();
    let logits: Float32Array = new Float32Array(0);
    for (const id of prompt) logits = streamer.step([id]);
    for (let n = 0; n < options.length; n++) {
      if (options.signal?.aborted) return;
      const id = sampleLogits(logits, sampling, generator);
      yield id;
      if (stop.has(id)) return;
      if (n + 1 < options.length) logits = streamer.step([id]);
      // Let timers and signals run now and then without slowing every token down.
      if (n % 256 === 255) await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
}

export interface GenerateTextOptions extends Omit<GenerateOptions, 'prompt' | 'exclude' | 'stop'> {
  /** Text read first; it is not repeated in the output. */
  prompt: string;
  /** Tokens never drawn besides `<pad>` and `<unk>`. */
  exclude?: readonly string[];
}

/** The settings of one text generation, all given (the CLI's flags, a served request). */
export type TextGeneration = Required<
  Pick<GenerateTextOptions, 'prompt' | 'length' | 'temperature' | 'topK' | 'topP'>
> &
  Pick<GenerateTextOptions, 'seed'>;

/**
 * Text from a language model trained on `vocab` and `tokenizer`'s tokens: yields each drawn
 * token as the text it adds (a character, or a space and a word for word tokenizers).
 */
export async function* generateText(
  model: LanguageModel,
  vocab: Vocab,
  tokenizer: Tokenizer,
  options: GenerateTextOptions,
): AsyncGenerator<string> {
  if (typeof options?.prompt !== 'string') {
    throw new ValueError(`generateText: prompt must be a string, got ${typeof options?.prompt}`);
  }
  if (vocab.size !== model.settings.vocabSize) {
    throw new ValueError(
      `generateText: the vocabulary has ${vocab.size} tokens but the model predicts ${model.settings.vocabSize}`,
    );
  }
  const prompt = vocab.encode(tokenizer.tokenize(options.prompt));
  if (prompt.length === 0) throw new ValueError('generateText: the prompt has no tokens; give it some text');
  const exclude = [vocab.padId, vocab.unkId, ...(options.exclude ?? []).map((t) => vocab.id(t))];
  const separator = tokenizer.toJSON().type === 'char' ? '' : ' ';
  for await (const id of generateTokens(model, { ...options, prompt, exclude })) {
    yield separator + vocab.token(id);
  }
}
