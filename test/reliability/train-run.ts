/**
 * A small, fully seeded training run shared by the isolation tests and their worker: the model
 * is built from `seed` and batches come from its own Generator, so nothing depends on what
 * else runs in the process. Returns the final weights in stateDict order, as one array.
 */
import { TextClassifier } from '../../src/nn/heads.js';
import { CrossEntropyLoss } from '../../src/nn/losses.js';
import { Adam } from '../../src/optim/adam.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

export interface RunOptions {
  seed: number;
  steps: number;
  cell?: 'lstm' | 'gru';
  /** Awaited between steps, so that other work can run in between. */
  pause?: () => Promise<void>;
}

const B = 6; // batch
const T = 9; // longest sequence
const V = 40; // vocabulary

export async function trainRun({ seed, steps, cell = 'lstm', pause }: RunOptions): Promise<Float32Array> {
  manualSeed(seed); // the model's initial weights; nothing later reads the default generator
  const model = new TextClassifier({ vocabSize: V, embedDim: 8, hiddenSize: 12, numClasses: 3, cell });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const loss = new CrossEntropyLoss();
  const gen = new Generator(seed + 1000);
  for (let step = 0; step < steps; step++) {
    const ids = new Int32Array(B * T);
    const lengths = new Int32Array(B);
    const labels = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      lengths[b] = 1 + gen.randint(T);
      for (let t = 0; t < lengths[b]!; t++) ids[b * T + t] = 1 + gen.randint(V - 1);
      labels[b] = ids[b * T]! % 3;
    }
    optimizer.zeroGrad();
    const out = loss.forward(
      model.forward(tensor(ids, { shape: [B, T], dtype: 'int32' }), lengths),
      tensor(labels, { shape: [B], dtype: 'int32' }),
    );
    out.backward();
    optimizer.step();
    if (pause) await pause();
  }
  const weights = Object.values(model.stateDict()).map((t) => t.f32);
  const all = new Float32Array(weights.reduce((n, w) => n + w.length, 0));
  let at = 0;
  for (const w of weights) {
    all.set(w, at);
    at += w.length;
  }
  return all;
}
