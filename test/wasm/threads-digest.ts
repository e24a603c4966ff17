/*
 * Run by threads.test.ts in a child Node, once with KIOKU_NUM_THREADS=1 (the one-thread build) and
 * once with 2 (the threaded build, after its worker is running): prints as JSON the build, its
 * threads, and a digest of the bytes of every result: large GEMMs that the threaded build splits
 * (A's blocks, C's columns; transposed operands, accumulation), every recurrent kernel fixture, and
 * the weights after Adam steps of the seed classifier and of a two-layer bidirectional GRU.
 */
import { createHash } from 'node:crypto';
import { kernelFor, setBackend } from '../../src/backend/registry.js';
import { wasmBackend, wasmInfo } from '../../src/backend/wasm/index.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { GRU, LSTM } from '../../src/nn/rnn.js';
import { reshape } from '../../src/ops/shape.js';
import { Adam } from '../../src/optim/adam.js';
import { Generator } from '../../src/tensor/random.js';
import { randint, randn } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { loadKernelCases, recurrentKernels, runGemm, runRecurrent } from '../backend/kernel-fixtures.js';

const reason = loadWasmSync();
if (reason !== '') throw new Error(reason);
setBackend('wasm');
const want = Number(process.env.KIOKU_NUM_THREADS);
for (let waited = 0; wasmInfo()!.threads < want && waited < 20_000; waited += 20)
  await new Promise((resolve) => setTimeout(resolve, 20));

const digests: Record<string, string> = {};
const digest = (name: string, arrays: ArrayLike<number>[]) => {
  const hash = createHash('sha256');
  for (const a of arrays) hash.update(new Uint8Array(Float32Array.from(a).buffer));
  digests[name] = hash.digest('hex').slice(0, 16);
};
const k = <K extends Parameters<typeof kernelFor>[0]>(name: K) => kernelFor(name, 'wasm')!;

// [m, n, k, transA, transB, accumulate]: A's blocks split (m ≥ 128), or C's columns (m < 128).
const SHAPES: [number, number, number, boolean, boolean, boolean][] = [
  [6400, 256, 128, false, true, false],
  [512, 512, 512, false, false, true],
  [256, 128, 3200, true, false, true],
  [100, 700, 96, false, false, false],
  [37, 1000, 200, true, true, true],
];
const gen = new Generator(1);
for (const [m, n, kk, ta, tb, acc] of SHAPES) {
  const a = randn([m * kk], { generator: gen }).data as Float32Array;
  const b = randn([kk * n], { generator: gen }).data as Float32Array;
  const c = randn([m * n], { generator: gen }).data.slice() as Float32Array;
  k('gemm')(ta, tb, m, n, kk, a, 0, ta ? m : kk, b, 0, tb ? kk : n, c, 0, n, acc);
  digest(`gemm ${m}x${n}x${kk}${ta ? ' ta' : ''}${tb ? ' tb' : ''}${acc ? ' acc' : ''}`, [c]);
}

for (const c of loadKernelCases()) {
  if (c.kind === 'gemm') {
    digest(c.name, [runGemm(c, k('gemm'))]);
    continue;
  }
  digest(c.name, Object.values(runRecurrent(c, recurrentKernels(k))));
}

/** Adam steps of `forward`'s model on (x, y); the digest of every parameter after them. */
function train(name: string, params: Tensor[], forward: () => Tensor, y: Tensor, steps: number): void {
  const opt = new Adam(params, { lr: 1e-3 });
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    crossEntropy(forward(), y).backward();
    opt.step();
  }
  digest(
    name,
    params.map((p) => p.data as Float32Array),
  );
}

{
  // The seed classifier: Embedding(5000, 128) → LSTM(128, 64) → Linear(64, 2) on h_n, B 32, T 200.
  const generator = new Generator(0);
  const embedding = new Embedding(5000, 128, { generator });
  const lstm = new LSTM({ inputSize: 128, hiddenSize: 64, batchFirst: true, generator });
  const fc = new Linear(64, 2, { generator });
  const x = randint(1, 5000, [32, 200], { generator });
  const y = randint(0, 2, [32], { generator });
  const forward = () => {
    const [, [hN]] = lstm.forward(embedding.forward(x));
    return fc.forward(reshape(hN, [32, 64]));
  };
  train(
    'seed classifier, 3 Adam steps',
    [embedding, lstm, fc].flatMap((m) => m.parameters()),
    forward,
    y,
    3,
  );
}
{
  // A two-layer bidirectional GRU classifying every step: (B 24, T 60, 96) → (24·60, 160) → 3.
  const generator = new Generator(2);
  const gru = new GRU({
    inputSize: 96,
    hiddenSize: 80,
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    generator,
  });
  const fc = new Linear(160, 3, { generator });
  const x = randn([24, 60, 96], { generator });
  const y = randint(0, 3, [24 * 60], { generator });
  const forward = () => fc.forward(reshape(gru.forward(x)[0], [24 * 60, 160]));
  train(
    'bidirectional GRU, 3 Adam steps',
    [gru, fc].flatMap((m) => m.parameters()),
    forward,
    y,
    3,
  );
}
const workerTasks = wasmBackend()!.instance.exports.thread_worker_tasks?.() ?? 0;
console.log(JSON.stringify({ info: wasmInfo(), workerTasks, digests }));
