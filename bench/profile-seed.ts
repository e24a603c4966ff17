/*
 * The seed model's training step in a loop on the native backend, for a profiler:
 * `perf record -F 999 -g -D 4000 -- node --import tsx bench/profile-seed.ts [threads] [steps]`
 * (-D skips start-up and the warm-up steps). With a third argument `stream`, the loop runs `steps`
 * batch-1 steps of an LSTM(128, 64) streamer instead (add --perf-basic-prof to node to name the
 * JavaScript frames); with `tokens`, the same streamer's `stepTokens` on random ids of a 5000-row
 * embedding (every kept input product made first); with `infer`, `steps` seed inferences (no
 * gradient). Prints nothing.
 */
import { nativeBackend } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/registry.js';
import { LSTM } from '../src/nn/rnn.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import { seedWorkload } from './seed.js';

const { addon, reason } = nativeBackend();
if (!addon) {
  process.stderr.write(`bench/profile-seed: the native addon is unavailable (${reason})\n`);
  process.exit(1);
}
setBackend('native');
addon.init(Number(process.argv[2] ?? 1));
const steps = Number(process.argv[3] ?? 120);
if (process.argv[4] === 'stream') {
  const lstm = new LSTM({ inputSize: 128, hiddenSize: 64, generator: new Generator(3) }).eval();
  const streamer = lstm.streamer({ batch: 1 });
  const x = new Float32Array(128).fill(0.1);
  for (let i = 0; i < steps; i++) streamer.step(x);
} else if (process.argv[4] === 'tokens') {
  const lstm = new LSTM({ inputSize: 128, hiddenSize: 64, generator: new Generator(3) }).eval();
  const streamer = lstm.streamer({ batch: 1 });
  const V = 5000;
  const embedding = randn([V, 128], { generator: new Generator(4) });
  const ids = Array.from({ length: 4096 }, (_, i) => (i * 2654435761) % V);
  for (let v = 0; v < V; v++) streamer.stepTokens([v], embedding);
  const id = [0];
  for (let i = 0; i < steps; i++) {
    id[0] = ids[i & 4095]!;
    streamer.stepTokens(id, embedding);
  }
} else if (process.argv[4] === 'infer') {
  const workload = seedWorkload(32, 200);
  for (let i = 0; i < 5; i++) workload.infer();
  for (let i = 0; i < steps; i++) workload.infer();
} else {
  const workload = seedWorkload(32, 200);
  for (let i = 0; i < 5; i++) workload.trainStep();
  for (let i = 0; i < steps; i++) workload.trainStep();
}
