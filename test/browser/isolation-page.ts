/*
 * The page isolation.test.ts serves (bundled by esbuild): loads the WebAssembly backend the way a
 * page does (initWasm, which picks the threaded build only where the page is cross-origin isolated),
 * then trains the seed model a few Adam steps and reports the build it got, its threads, how many
 * tasks the workers ran and a digest of the trained weights. `trainOn(url, flavor)` trains again on
 * another build (switchWasmBuild), for the one-thread comparison in the same page.
 */
import { backend } from '../../src/backend/registry.js';
import {
  initWasm,
  switchWasmBuild,
  type WasmFlavor,
  wasmBackend,
  wasmInfo,
} from '../../src/backend/wasm/index.js';
import { requireWasmApi } from '../../src/backend/wasm/wasm-api.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { Module } from '../../src/nn/module.js';
import { LSTM } from '../../src/nn/rnn.js';
import { reshape } from '../../src/ops/shape.js';
import { Adam } from '../../src/optim/adam.js';
import { Generator } from '../../src/tensor/random.js';
import { randint } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

class Seed extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(generator: Generator) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(5000, 128, { generator }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({ inputSize: 128, hiddenSize: 64, batchFirst: true, generator }),
    );
    this.fc = this.registerModule('fc', new Linear(64, 2, { generator }));
  }

  forward(x: Tensor): Tensor {
    const [, [h]] = this.lstm.forward(this.embedding.forward(x));
    return this.fc.forward(reshape(h, [h.shape[1]!, h.shape[2]!]));
  }
}

/** FNV-1a over the weights' bytes: equal digests, equal bits. */
function digest(model: Module): string {
  let hash = 0x811c9dc5;
  for (const p of model.parameters())
    for (const word of new Uint32Array(p.f32.buffer, p.f32.byteOffset, p.f32.length))
      hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
  return hash.toString(16);
}

/** Three Adam steps of the seed model (batch 32, 200 tokens) from seed 0. */
function train(): { weights: string; workerTasks: number } {
  const generator = new Generator(0);
  const model = new Seed(generator);
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const x = randint(1, 5000, [32, 200], { generator });
  const y = randint(0, 2, [32], { generator });
  for (let step = 0; step < 3; step++) {
    optimizer.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    optimizer.step();
  }
  const tasks = wasmBackend()?.instance.exports.thread_worker_tasks;
  return { weights: digest(model), workerTasks: typeof tasks === 'function' ? tasks() : 0 };
}

const wanted: Array<[WasmFlavor, boolean]> = [];
const chosen = await initWasm((flavor, threaded) => {
  wanted.push([flavor, threaded]);
  return `/wasm/kioku-${flavor}${threaded ? '-threads' : ''}.wasm`;
});
// Workers start in the background: give them a moment to join.
for (let i = 0; i < 100 && (wasmInfo()?.threads ?? 1) < 2 && wanted[0]?.[1]; i++)
  await new Promise((resolve) => setTimeout(resolve, 50));

const page = globalThis as unknown as Record<string, unknown>;
page.report = {
  crossOriginIsolated: page.crossOriginIsolated === true,
  chosen,
  backend: backend(),
  wanted,
  info: wasmInfo(),
  ...train(),
};
page.trainOn = async (url: string, flavor: WasmFlavor) => {
  switchWasmBuild(await requireWasmApi().compile(await (await fetch(url)).arrayBuffer()), flavor);
  return { info: wasmInfo(), ...train() };
};
