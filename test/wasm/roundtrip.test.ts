import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { backend, setBackend } from '../../src/backend/registry.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { loadWeightsInto } from '../../src/io/model-format.js';
import { modelFromConfig, TextClassifier } from '../../src/nn/heads.js';
import { CrossEntropyLoss } from '../../src/nn/losses.js';
import type { Module } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

// A model trained and saved on the WebAssembly backend, loaded on the native one: the weights come
// back bit for bit, and the native forward gives the WebAssembly forward's logits within float32
// rounding (the two compile the same kernels for different vector widths).

const ready = loadWasmSync() === '' && nativeBackend().addon !== null;
const dir = mkdtempSync(join(tmpdir(), 'kioku-wasm-roundtrip-'));
const previous = backend();
afterAll(() => {
  setBackend(previous);
  rmSync(dir, { recursive: true, force: true });
});

const [B, T, V] = [8, 12, 60];
const gen = new Generator(3);
const ids = tensor(
  Int32Array.from({ length: B * T }, () => 1 + gen.randint(V - 1)),
  { shape: [B, T], dtype: 'int32' },
);
const labels = tensor(
  Int32Array.from({ length: B }, (_, b) => b % 3),
  { shape: [B], dtype: 'int32' },
);
const lengths = Int32Array.from({ length: B }, (_, b) => T - (b % 5));

const logits = (m: TextClassifier) => noGrad(() => m.forward(ids, lengths).f32.slice());
const weights = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.f32]] as const);

describe.skipIf(!ready)('save on WebAssembly, load on native', () => {
  it('gives back the weights bit for bit and the logits within float32 tolerance', async () => {
    setBackend('wasm');
    manualSeed(5);
    const model = new TextClassifier({ vocabSize: V, embedDim: 16, hiddenSize: 24, numClasses: 3 });
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const loss = new CrossEntropyLoss();
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      loss.forward(model.forward(ids, lengths), labels).backward();
      opt.step();
    }
    const onWasm = logits(model);
    await saveModelDir(dir, {
      config: { architecture: model.config(), task: 'classification', labels: ['a', 'b', 'c'] },
      stateDict: model.stateDict(),
    });

    setBackend('native');
    const { config, tensors } = await loadModelDir(dir);
    const restored = modelFromConfig(config.architecture) as TextClassifier;
    loadWeightsInto(restored, tensors, dir);
    expect(weights(restored)).toEqual(weights(model));
    const onNative = logits(restored);
    expect(onNative.length).toBe(B * 3);
    onNative.forEach((v, i) => {
      expect(Math.abs(v - onWasm[i]!), `logit ${i}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)));
    });
    // The weights moved from their initial values: the five steps trained on WebAssembly.
    manualSeed(5);
    const fresh = new TextClassifier({ vocabSize: V, embedDim: 16, hiddenSize: 24, numClasses: 3 });
    expect(weights(fresh)).not.toEqual(weights(model));
  });
});
