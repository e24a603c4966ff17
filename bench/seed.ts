import { Embedding } from '../src/nn/embedding.js';
import { Linear } from '../src/nn/linear.js';
import { crossEntropy } from '../src/nn/losses.js';
import { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/rnn.js';
import { reshape } from '../src/ops/shape.js';
import { Adam } from '../src/optim/adam.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { randint, randn } from '../src/tensor/random-tensors.js';
import { dropGradients, trainingStep } from '../src/tensor/step.js';
import type { Tensor } from '../src/tensor/tensor.js';

/**
 * The seed's LSTMClassifier: Embedding(V, E) → LSTM(E, H, batch_first) → Linear(H, 2) on h_n[−1];
 * without the embedding (vocab 0) the input is already (B, T, E) features.
 */
class SeedClassifier extends Module {
  readonly embedding: Embedding | null;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(vocab: number, embed: number, hidden: number, generator: Generator) {
    super();
    this.embedding = vocab > 0 ? new Embedding(vocab, embed, { generator }) : null;
    this.lstm = new LSTM({ inputSize: embed, hiddenSize: hidden, batchFirst: true, generator });
    this.fc = new Linear(hidden, 2, { generator });
    if (this.embedding) this.registerModule('embedding', this.embedding);
    this.registerModule('lstm', this.lstm);
    this.registerModule('fc', this.fc);
  }

  forward(x: Tensor): Tensor {
    const [, [hN]] = this.lstm.forward(this.embedding ? this.embedding.forward(x) : x);
    // x: (B, T) → hN: (1, B, H) → logits (B, 2)
    return this.fc.forward(reshape(hN, [hN.shape[1]!, hN.shape[2]!]));
  }
}

export interface SeedWorkload {
  trainStep(): void;
  infer(): void;
}

/**
 * vocab 5000, embed 128, hidden 64, batch B, T tokens; Adam(lr 1e-3) with cross-entropy. With
 * `embedding` false the model starts at the LSTM and reads random (B, T, 128) features.
 */
export function seedWorkload(B = 32, T = 200, embedding = true): SeedWorkload {
  const generator = new Generator(0);
  const model = new SeedClassifier(embedding ? 5000 : 0, 128, 64, generator);
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-3 });
  const x = embedding ? randint(1, 5000, [B, T], { generator }) : randn([B, T, 128], { generator });
  const y = randint(0, 2, [B], { generator });
  return {
    // As fit runs a step: the dropped gradients and the step's tensors are reused next step.
    trainStep() {
      dropGradients(params, () => opt.zeroGrad());
      trainingStep(() => {
        crossEntropy(model.forward(x), y).backward();
        opt.step();
      });
    },
    infer() {
      noGrad(() => model.forward(x));
    },
  };
}
