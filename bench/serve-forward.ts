/*
 * A served classifier's batched forward alone, outside the server: `tsx bench/serve-forward.ts
 * [model] [batch sizes] [rounds]` (default large, 1,8,24,32, 5) reads the models of bench:serve
 * from KIOKU_BENCH_SERVE_MODELS (trained there first when missing) and classifies the 12-word
 * texts of its workload in batches, as serving runs them (one forward, longest first: the native
 * driver skips finished rows' steps), on a second copy of the model frozen as `kioku serve` runs
 * it (RecurrentBase.freeze: weights packed once) and not frozen, and against length buckets (one
 * forward per bucket, each padded to its longest row, not frozen), in CPU time, interleaved round
 * by round, medians per text. Prints the texts' token lengths and the batches' buckets.
 */
import { cpuUsage } from 'node:process';
import { initBackend } from '../src/backend/native/init.js';
import { loadHead } from '../src/cli/models.js';
import type { TextClassifier } from '../src/nn/heads.js';
import { freezeRecurrentLayers } from '../src/nn/rnn.js';
import { noGrad } from '../src/tensor/autograd.js';
import { trainingStep } from '../src/tensor/step.js';
import { Tensor } from '../src/tensor/tensor.js';
import { lengthBuckets, textServing } from '../src/train/recipes/serving-text.js';
import { softmaxRows } from '../src/train/tasks.js';
import { releaseModels, shortTexts, trainModels } from './serve-setup.js';

const which = (process.argv[2] ?? 'large') as 'seed' | 'large';
const SIZES = (process.argv[3] ?? '1,8,24,32').split(',').map(Number);
const ROUNDS = Number(process.argv[4] ?? 5);

await initBackend();
const m = await trainModels();
const opened = await loadHead(m[which]);
const model = opened.model as TextClassifier;
const serving = textServing(opened);
// The same model opened again and frozen, as `kioku serve` runs it (its copy kept from run to run).
const frozenOpened = await loadHead(m[which]);
freezeRecurrentLayers(frozenOpened.model);
const frozenServing = textServing(frozenOpened);
const encoded = shortTexts(m).map((t) => serving.encode(t));
await releaseModels(m);

const sorted = encoded.map((e) => e.length).sort((a, b) => a - b);
console.log(`${which}: token lengths min ${sorted[0]}, median ${sorted[256]}, max ${sorted[511]}`);

/** As serving ran a batch before: one padded forward per length bucket. */
function byBuckets(batch: Int32Array[]): void {
  for (const bucket of lengthBuckets(batch)) {
    const lengths = Int32Array.from(bucket, (i) => batch[i]!.length);
    const T = lengths[0]!;
    const ids = new Int32Array(bucket.length * T);
    for (const [r, i] of bucket.entries()) ids.set(batch[i]!, r * T);
    trainingStep(() => {
      const p = softmaxRows(noGrad(() => model.forward(new Tensor(ids, [bucket.length, T]), lengths)));
      // The answers, as serving.classify builds them.
      for (let r = 0; r < bucket.length; r++) {
        const probabilities = Object.fromEntries(serving.labels.map((l, j) => [l, p[r * 2 + j]!]));
        answers.push({ label: serving.labels[p[r * 2]! > p[r * 2 + 1]! ? 0 : 1]!, probabilities });
      }
    });
  }
}
const answers: unknown[] = [];

const cpuUs = (f: () => void) => {
  const c = cpuUsage();
  f();
  const d = cpuUsage(c);
  return d.user + d.system;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

for (const B of SIZES) {
  const batches = Array.from({ length: Math.floor(512 / B) }, (_, i) => encoded.slice(i * B, (i + 1) * B));
  const n = Math.min(batches.length, Math.max(4, Math.floor(240 / B)));
  const used = batches.slice(0, n);
  const calls = (f: (b: Int32Array[]) => number) => used.reduce((s, b) => s + f(b), 0) / n;
  const classify = () => {
    for (const b of used) serving.classify(b);
  };
  const modes: Record<string, () => void> = {
    buckets: () => {
      answers.length = 0;
      used.forEach(byBuckets);
    },
    serving: classify,
    frozen: () => {
      for (const b of used) frozenServing.classify(b);
    },
  };
  const run = (name: string) => cpuUs(modes[name]!);
  const runs: Record<string, number[]> = { buckets: [], serving: [], frozen: [] };
  for (const name of Object.keys(modes)) run(name);
  for (let r = 0; r < ROUNDS; r++) {
    const names = Object.keys(modes);
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      runs[name]!.push(run(name) / (n * B));
    }
  }
  const [b, s, f] = ['buckets', 'serving', 'frozen'].map((k) => median(runs[k]!));
  console.log(
    `B=${B}: buckets ${b!.toFixed(0)} µs CPU per text (${calls((x) => lengthBuckets(x).length).toFixed(1)} forwards), one forward longest first ${s!.toFixed(0)}, frozen ${f!.toFixed(0)}: frozen ${(s! / f!).toFixed(2)}× less than unfrozen, ${(b! / f!).toFixed(2)}× less than buckets`,
  );
}
