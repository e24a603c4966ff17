/**
 * Memory soak: npx tsx scripts/soak.ts [steps=20000] [batch=16] [seqLen=24]
 * Trains a small TextClassifier (Embedding → LSTM → Linear) with Adam and CrossEntropyLoss on
 * random token batches, printing RSS every 1,000 steps. The growth after warm-up (RSS at the end
 * minus RSS after the first 1,000 steps) must stay under 50 MB; exits 1 otherwise. On the
 * WebAssembly backend (KIOKU_BACKEND=wasm) the module's linear memory, which never shrinks, must
 * not grow at all after warm-up.
 */
import { initBackend } from '../src/backend/native/init.js';
import { wasmBackend } from '../src/backend/wasm/index.js';
import { TextClassifier } from '../src/nn/heads.js';
import { CrossEntropyLoss } from '../src/nn/losses.js';
import { Adam } from '../src/optim/adam.js';
import { Generator, manualSeed } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';

const LIMIT_MB = 50;
const WARMUP = 1000;
const steps = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 16);
const seqLen = Number(process.argv[4] ?? 24);
for (const [name, v] of [
  ['steps', steps],
  ['batch', batch],
  ['seqLen', seqLen],
] as const) {
  if (!Number.isSafeInteger(v) || v < 1) {
    console.error(
      `usage: npx tsx scripts/soak.ts [steps] [batch] [seqLen]; ${name} must be a positive integer`,
    );
    process.exit(2);
  }
}
if (steps <= WARMUP) {
  console.error(`steps must exceed the ${WARMUP} warm-up steps, got ${steps}`);
  process.exit(2);
}

const backend = initBackend();
manualSeed(0);
const vocabSize = 500;
const model = new TextClassifier({ vocabSize, embedDim: 32, hiddenSize: 48, numClasses: 3 });
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const lossFn = new CrossEntropyLoss();
const gen = new Generator(1);

const mb = (bytes: number) => bytes / 2 ** 20;
const rss = () => mb(process.memoryUsage().rss);
const wasmMemory = () =>
  backend === 'wasm' ? mb(wasmBackend()!.instance.exports.memory.buffer.byteLength) : 0;
let wasmBaseline = 0;
console.log(
  `backend ${backend}; ${model.numParameters()} parameters; batch ${batch}, length ${seqLen}, ${steps} steps`,
);

const ids = new Int32Array(batch * seqLen);
const lengths = new Int32Array(batch);
const labels = new Int32Array(batch);
let baseline = 0;
let peak = 0;
let loss = 0;
const start = performance.now();
for (let step = 1; step <= steps; step++) {
  for (let i = 0; i < ids.length; i++) ids[i] = 1 + gen.randint(vocabSize - 1);
  for (let b = 0; b < batch; b++) {
    lengths[b] = 1 + gen.randint(seqLen);
    labels[b] = ids[b * seqLen]! % 3; // learnable: the class is set by the first token
    for (let t = lengths[b]!; t < seqLen; t++) ids[b * seqLen + t] = 0;
  }
  const x = tensor(ids.slice(), { shape: [batch, seqLen], dtype: 'int32' });
  const y = tensor(labels.slice(), { shape: [batch], dtype: 'int32' });
  optimizer.zeroGrad();
  const out = lossFn.forward(model.forward(x, lengths.slice()), y);
  out.backward();
  optimizer.step();
  loss += out.item();
  if (step % 1000 === 0) {
    const now = rss();
    peak = Math.max(peak, now);
    if (step === WARMUP) [baseline, wasmBaseline] = [now, wasmMemory()];
    const secs = (performance.now() - start) / 1000;
    const linear = backend === 'wasm' ? `  wasm memory ${wasmMemory().toFixed(1)} MB` : '';
    console.log(
      `step ${String(step).padStart(6)}  rss ${now.toFixed(1)} MB${linear}  loss ${(loss / 1000).toFixed(4)}  ${secs.toFixed(0)} s`,
    );
    loss = 0;
  }
}
const end = rss();
const growth = end - baseline;
console.log(
  `RSS after warm-up ${baseline.toFixed(1)} MB, at the end ${end.toFixed(1)} MB, peak ${peak.toFixed(1)} MB: growth ${growth.toFixed(1)} MB (limit ${LIMIT_MB} MB)`,
);
if (wasmMemory() > wasmBaseline) {
  console.error(
    `WebAssembly memory grew from ${wasmBaseline.toFixed(1)} to ${wasmMemory().toFixed(1)} MB after warm-up`,
  );
  process.exit(1);
}
if (growth >= LIMIT_MB) {
  console.error(`memory grew by ${growth.toFixed(1)} MB after warm-up`);
  process.exit(1);
}
