import { afterAll, describe, expect, it } from 'vitest';
import { backend, setBackend } from '../../src/backend/registry.js';
import { wasmBackend } from '../../src/backend/wasm/index.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { CrossEntropyLoss } from '../../src/nn/losses.js';
import { Adam } from '../../src/optim/adam.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

// Memory is returned: WebAssembly memory never shrinks, so every byte a kernel allocates must be
// freed and the argument arena reused, or a long training run grows without bound. After a few
// warm-up steps the module's memory stays the same size (npm run soak with KIOKU_BACKEND=wasm
// checks the same over 20,000 steps).

const previous = backend();
afterAll(() => setBackend(previous));

describe.skipIf(loadWasmSync() !== '')('WebAssembly memory over a training run', () => {
  it('does not grow after warm-up, with sequences of varying lengths', () => {
    setBackend('wasm');
    manualSeed(0);
    const model = new TextClassifier({ vocabSize: 200, embedDim: 16, hiddenSize: 32, numClasses: 3 });
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const loss = new CrossEntropyLoss();
    const gen = new Generator(1);
    const bytes = () => wasmBackend()!.instance.exports.memory.buffer.byteLength;
    const [B, T] = [8, 16];
    let afterWarmup = 0;
    for (let step = 1; step <= 300; step++) {
      const ids = Int32Array.from({ length: B * T }, () => 1 + gen.randint(199));
      const lengths = Int32Array.from({ length: B }, () => 1 + gen.randint(T));
      const y = Int32Array.from({ length: B }, (_, b) => ids[b * T]! % 3);
      opt.zeroGrad();
      const x = tensor(ids, { shape: [B, T], dtype: 'int32' });
      loss.forward(model.forward(x, lengths), tensor(y, { shape: [B], dtype: 'int32' })).backward();
      opt.step();
      if (step === 20) afterWarmup = bytes();
    }
    expect(afterWarmup).toBeGreaterThan(0);
    expect(bytes()).toBe(afterWarmup);
  });
});
