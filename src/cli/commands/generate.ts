import type { Command } from 'commander';
import type { Vocab } from '../../data/vocab.js';
import { generateText, type TextGeneration } from '../../train/lm/generate.js';
import { openLanguageModel } from '../../train/recipes/language-model-open.js';
import { CliError, openModelDir } from '../models.js';
import { examples, int, num } from '../options.js';
import type { Reporter } from '../reporter.js';

/**
 * `kioku generate`: text from a language model, written to stdout token by token as it is drawn
 * (with --json, one JSON line per token, then one with the whole text).
 */

interface GenerateFlags extends TextGeneration {
  model: string;
}

/** Stops on a prompt with nothing to read; warns about the tokens the model has never seen. */
function checkPrompt(prompt: string, tokens: string[], vocab: Vocab, reporter: Reporter): void {
  if (tokens.length === 0) {
    throw new CliError(`--prompt ${JSON.stringify(prompt)} has no tokens to read; give it some text`);
  }
  const unknown = [...new Set(tokens.filter((t) => !vocab.has(t)))];
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 5).map((t) => JSON.stringify(t));
  const more = unknown.length > shown.length ? ` and ${unknown.length - shown.length} more` : '';
  reporter.warn(
    `--prompt: ${tokens.filter((t) => !vocab.has(t)).length} of its ${tokens.length} tokens are not in the model's vocabulary (${shown.join(', ')}${more}); the model reads each as <unk>`,
  );
}

async function generate(o: GenerateFlags, reporter: Reporter): Promise<void> {
  const loaded = await openModelDir(o.model);
  const config = loaded.config as unknown as Record<string, unknown>;
  if (config.task !== 'language-model') {
    throw new CliError(
      `"${o.model}" holds a ${String(config.task)} model; this command needs a language model (kioku train lm)`,
    );
  }
  const { model, vocab, tokenizer } = openLanguageModel(config, loaded.tensors, o.model);
  checkPrompt(o.prompt, tokenizer.tokenize(o.prompt), vocab, reporter);
  const pieces = generateText(model, vocab, tokenizer, {
    prompt: o.prompt,
    length: o.length,
    temperature: o.temperature,
    topK: o.topK,
    topP: o.topP,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(reporter.io.signal ? { signal: reporter.io.signal } : {}),
  });
  let text = '';
  let tokens = 0;
  if (!reporter.json) reporter.io.stdout.write(o.prompt);
  for await (const piece of pieces) {
    text += piece;
    tokens++;
    if (reporter.json) reporter.io.stdout.write(`${JSON.stringify({ event: 'token', text: piece })}\n`);
    else reporter.io.stdout.write(piece);
  }
  if (!reporter.json) reporter.io.stdout.write('\n');
  await reporter.event({
    event: 'generated',
    model: o.model,
    prompt: o.prompt,
    text,
    tokens,
    seed: o.seed ?? null,
  });
}

export function generateCommand(program: Command, reporter: (cmd: Command) => Reporter): void {
  program
    .command('generate')
    .description('write text from a language model (kioku train lm), token by token as it is drawn')
    .requiredOption('--model <dir>', 'a model directory saved by kioku train lm')
    .requiredOption('--prompt <text>', 'text read before drawing (printed first, not repeated)')
    .option('--length <n>', 'tokens to draw (characters or words)', int('--length', 0), 200)
    .option(
      '--temperature <t>',
      'below 1 sharper, above 1 flatter; 0 always takes the likeliest',
      num('--temperature', 0, 100),
      1,
    )
    .option('--top-k <k>', 'draw among the k likeliest tokens only (0: all)', int('--top-k', 0), 0)
    .option(
      '--top-p <p>',
      'draw among the likeliest tokens holding this much probability (nucleus)',
      num('--top-p', 1e-9, 1),
      1,
    )
    .option('--seed <n>', 'seed of the draws: the same seed gives the same text', int('--seed', 0))
    .addHelpText(
      'after',
      examples([
        'kioku generate --model runs/moby/model --prompt "Call me" --length 500 --temperature 0.8 --top-k 40 --seed 1',
        'kioku --json generate --model runs/moby/model --prompt "The whale" --length 100',
      ]),
    )
    .action(async (opts: GenerateFlags, c: Command) => {
      await generate(opts, reporter(c));
    });
}
