/*
 * What the length buckets of a batch of e-mails cost: `tsx bench/serve-buckets.ts [rounds]`
 * trains the text classifiers of `npm run bench:serve` (the default bidirectional shape and the
 * seed's), cuts 384 SpamAssassin e-mails into batches of 32 (as a busy server's micro-batches)
 * and classifies them with buckets of several spreads (a row shares a bucket with rows at least
 * `spread` of its longest; 0: one bucket per batch, padded to its longest e-mail), in CPU time,
 * spreads interleaved round by round, medians. Prints the buckets per batch, the share of
 * padded steps and the CPU µs per e-mail; one e-mail alone is the unbatched reference.
 */
import { cpuUsage } from 'node:process';
import { initBackend } from '../src/backend/native/init.js';
import { loadSpamAssassin } from '../src/io/datasets/spam.js';
import { noGrad } from '../src/tensor/autograd.js';
import { trainingStep } from '../src/tensor/step.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type OpenedModel, trainTextClassifier } from '../src/train/recipes/index.js';
import { lengthBuckets } from '../src/train/recipes/serving-text.js';
import { type TextRuntime, textRuntime } from '../src/train/recipes/text-model.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const SPREADS = [0, 0.25, 0.5, 0.75];
const BATCH = 32;

await initBackend();
const corpus = await loadSpamAssassin({ headers: 'from-subject' });
const common = { corpus, limit: 300, epochs: 1, baselines: false };
const models: Array<[string, OpenedModel]> = [];
for (const [name, extra] of [
  ['text classifier', {}],
  ['seed classifier', { bidirectional: false, pooling: 'last' as const }],
] as const) {
  const r = await trainTextClassifier({ ...common, ...extra });
  models.push([name, { model: r.model, config: r.config, where: name }]);
}

/** Classifies `encoded` in buckets of `spread`, as serving does; returns the steps run (padded). */
function classify(model: TextRuntime['model'], encoded: Int32Array[], spread: number): number {
  let steps = 0;
  for (const bucket of lengthBuckets(encoded, spread)) {
    const lengths = Int32Array.from(bucket, (i) => encoded[i]!.length);
    const T = lengths[0]!;
    steps += T * bucket.length;
    const ids = new Int32Array(bucket.length * T);
    for (const [r, i] of bucket.entries()) ids.set(encoded[i]!, r * T);
    trainingStep(() => noGrad(() => model.forward(new Tensor(ids, [bucket.length, T]), lengths)));
  }
  return steps;
}

const cpuUs = (f: () => void): number => {
  const t0 = cpuUsage();
  f();
  const t = cpuUsage(t0);
  return t.user + t.system;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const [name, opened] of models) {
  const rt = textRuntime(opened);
  const encoded = corpus.texts.slice(0, 384).map((t) => rt.encode(t));
  const batches = Array.from({ length: encoded.length / BATCH }, (_, b) =>
    encoded.slice(b * BATCH, (b + 1) * BATCH),
  );
  const tokens = encoded.reduce((n, e) => n + e.length, 0);
  const runs = new Map<string, number[]>();
  const add = (k: string, v: number) => runs.set(k, [...(runs.get(k) ?? []), v]);
  for (let round = 0; round < ROUNDS + 1; round++) {
    // Round 0 warms up; the spreads' order turns each round.
    const order = [...SPREADS.slice(round % SPREADS.length), ...SPREADS.slice(0, round % SPREADS.length)];
    for (const spread of order) {
      const us = cpuUs(() => {
        for (const b of batches) classify(rt.model, b, spread);
      });
      if (round > 0) add(String(spread), us / encoded.length);
    }
    const alone = cpuUs(() => {
      for (const e of encoded) classify(rt.model, [e], 1);
    });
    if (round > 0) add('alone', alone / encoded.length);
  }
  process.stdout.write(`\n${name}: ${encoded.length} e-mails, ${tokens} tokens, batches of ${BATCH}\n`);
  for (const spread of SPREADS) {
    const steps = batches.reduce((n, b) => n + classify(rt.model, b, spread), 0);
    const buckets = batches.reduce((n, b) => n + lengthBuckets(b, spread).length, 0) / batches.length;
    process.stdout.write(
      `  spread ${spread}: ${buckets.toFixed(1)} buckets per batch, ${((1 - tokens / steps) * 100).toFixed(0)}% padded steps, ${median(runs.get(String(spread))!).toFixed(0)} µs CPU per e-mail\n`,
    );
  }
  process.stdout.write(`  one e-mail alone: ${median(runs.get('alone')!).toFixed(0)} µs CPU per e-mail\n`);
}
