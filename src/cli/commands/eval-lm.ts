import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { tokenizeLong } from '../../data/lm-corpus.js';
import { splitStream } from '../../data/lm-stream.js';
import { loadMobyDick } from '../../io/datasets/moby-dick.js';
import { ValueError } from '../../tensor/errors.js';
import { evaluateLanguageModel } from '../../train/lm/evaluate.js';
import { openLanguageModel } from '../../train/recipes/language-model-open.js';
import type { EvalSplit } from '../../train/recipes/series-evaluation.js';
import { CliError, openModelDir } from '../models.js';
import { type Reporter, round } from '../reporter.js';
import { warnUnknown } from '../reports.js';

/**
 * `kioku eval` of a language model: its cross-entropy on a text, the whole of it or one part of
 * the in-order 90/5/5 split `kioku train lm` makes (on the training text, `--split test` gives
 * the test score of the training run).
 */

export interface EvalLmFlags {
  model: string;
  data: string;
  split?: EvalSplit;
}

/** Whether `data` names the source a model recorded as its training data (a built-in name or the same path). */
export function isTrainingData(data: string, trainedOn: unknown): boolean {
  return typeof trainedOn === 'string' && (data === trainedOn || resolve(data) === resolve(trainedOn));
}

/** The text of `--data`: a UTF-8 file, or `moby-dick`, the built-in book `kioku train lm` reads by default. */
async function readText(data: string): Promise<string> {
  if (data === 'moby-dick') return loadMobyDick();
  try {
    return await readFile(data, 'utf8');
  } catch (e) {
    throw new ValueError(`--data ${data}: cannot read the file (${(e as Error).message})`);
  }
}

export async function evalLanguageModel(o: EvalLmFlags, reporter: Reporter): Promise<void> {
  const loaded = await openModelDir(o.model);
  const config = loaded.config as unknown as Record<string, unknown>;
  const { model, vocab, tokenizer } = openLanguageModel(config, loaded.tensors, o.model);
  const ids = vocab.encode(tokenizeLong(tokenizer, await readText(o.data)));
  const split = o.split ?? 'all';
  const part = split === 'all' ? ids : splitStream(ids)[split];
  if (part.length < 2) {
    throw new CliError(
      `--data ${o.data}: ${split === 'all' ? 'the text' : `its ${split} part`} holds ${part.length} token(s); scoring needs at least 2`,
    );
  }
  const unknown = part.reduce((n, id) => n + (id === vocab.unkId ? 1 : 0), 0) / part.length;
  warnUnknown(reporter, unknown, o.data, tokenizer.toJSON().type === 'char' ? 'char' : 'lm');
  if (split === 'all' && isTrainingData(o.data, config.data)) {
    reporter.note(
      `${o.data} is the text the model was trained on: its score includes the training part (--split test scores the held-out part)`,
    );
  }
  const s = await evaluateLanguageModel(
    model,
    part,
    reporter.io.signal ? { signal: reporter.io.signal } : {},
  );
  const unit = tokenizer.toJSON().type === 'char' ? 'char' : 'word';
  const per = unit === 'char' ? `${s.bits.toFixed(3)} bits/char` : `perplexity ${s.perplexity.toFixed(1)}`;
  reporter.print(
    `Evaluation on ${o.data}, ${split}: ${s.nats.toFixed(4)} nats/${unit} (${per}) over ${s.tokens} ${unit}s`,
  );
  await reporter.event({
    event: 'eval',
    model: 'model',
    split,
    nats: round(s.nats),
    bits: round(s.bits),
    perplexity: round(s.perplexity),
    tokens: s.tokens,
  });
}
