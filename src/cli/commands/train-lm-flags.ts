import { type Command, Option } from 'commander';
import { LANGUAGE_MODEL_DEFAULTS as D } from '../../train/recipes/language-model-options.js';
import { examples, int, num } from '../options.js';

/** The flags of `kioku train lm`, in the order `--help` lists them. */

/** The tokens and the network: tokenizer, cell, sizes, dropout, tied weights. */
export function addModelFlags(cmd: Command): void {
  cmd
    .addOption(
      new Option('--tokenizer <unit>', 'characters, or lower-cased words and punctuation marks')
        .choices(['char', 'word'])
        .default(D.tokenizer),
    )
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default(D.cell))
    .option(
      '--embed <n>',
      'embedding size (default: sized to the text with --hidden; 64 beside a given --hidden)',
      int('--embed'),
    )
    .option(
      '--hidden <n>',
      'hidden size (default: sized to the text, 32 to 512, at most 5 weights per training token, and with --minutes to about 1000 steps timed on this machine)',
      int('--hidden'),
    )
    .option('--layers <n>', 'stacked recurrent layers', int('--layers'), D.layers)
    .option(
      '--dropout <p>',
      'dropout on embeddings, between layers and before the output (default: 0.3 for a small text, else 0)',
      num('--dropout', 0, 0.99),
    )
    .option(
      '--tie-weights',
      'share the output weight with the embedding (needs --embed = --hidden; default: words only, when the sizes are open)',
    )
    .option(
      '--no-tie-weights',
      'give the output layer weights of its own (with open sizes, word models tie otherwise)',
    );
}

/** How training runs: streams, chunk length, learning rate, epochs, time, evaluations. */
export function addScheduleFlags(cmd: Command): void {
  cmd
    .option('--batch <n>', 'parallel streams', int('--batch'), D.batch)
    .option('--bptt <n>', 'steps per chunk (truncated back-propagation through time)', int('--bptt'), D.bptt)
    .option(
      '--lr <rate>',
      'Adam learning rate (cosine decay to a twentieth over the epochs, or over --minutes when that ends first; default: 0.01 for a small text, else 0.003)',
      num('--lr', 0),
    )
    .option(
      '--epochs <n>',
      'passes over the training text (default: enough for about 1000 steps, at least 5)',
      int('--epochs'),
    )
    .option(
      '--minutes <m>',
      'the time for the whole command: the learning rate decays over it, training stops in time to evaluate and save',
      num('--minutes', 0),
    )
    .option(
      '--eval-every <n>',
      'also evaluate every n steps (0: at epoch ends only)',
      int('--eval-every', 0),
      D.evalEvery,
    );
}

/** The n-gram baselines, the vocabulary, the seed and where the model goes. */
export function addBaselineAndOutputFlags(cmd: Command): void {
  cmd
    .option('--ngram <n>', 'highest order of the n-gram baselines (0 skips them)', int('--ngram', 0), D.ngram)
    .option(
      '--vocab-size <n>',
      'largest vocabulary, <pad> and <unk> included (0: no limit; default: none for characters, words seen twice or more up to 10000)',
      int('--vocab-size', 0),
    )
    .option('--seed <n>', 'seed for initialisation', int('--seed', 0), D.seed)
    .requiredOption('--out <dir>', 'output directory (model, metrics.jsonl, history.json, checkpoints)');
}

export const TRAIN_LM_EXAMPLES = examples([
  'kioku train lm --out runs/moby --minutes 15',
  'kioku train lm --out runs/moby --minutes 15 --resume',
  'kioku train lm --data book.txt --tokenizer word --hidden 256 --out runs/book',
  'kioku generate --model runs/moby/model --prompt "Call me" --length 500 --seed 1',
]);
