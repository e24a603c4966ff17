/**
 * The seed notebook's LSTM sentiment classifier, in kioku.
 *
 * Embedding (5000 × 128) → LSTM (128 → 64, batch-first) → Linear (64 → 2) on the last layer's
 * h_n, trained on dummy IMDB-style reviews (random token ids, label 0 = negative, 1 = positive)
 * with CrossEntropyLoss and Adam (lr 1e-3) for 3 epochs.
 *
 * One difference from the notebook: the batch's lengths go to the LSTM, so h_n is the state
 * after each review's last real token, not after the padding.
 *
 * Run: npx tsx examples/seed-lstm-classifier.ts
 */
import { DataLoader } from '../src/data/dataloader.js';
import type { Dataset } from '../src/data/dataset.js';
import { padSequence } from '../src/data/pad.js';
import { Embedding } from '../src/nn/embedding.js';
import { Linear } from '../src/nn/linear.js';
import { CrossEntropyLoss } from '../src/nn/losses.js';
import { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/rnn.js';
import { argmax } from '../src/ops/reduce.js';
import { reshape, slice } from '../src/ops/shape.js';
import { Adam } from '../src/optim/adam.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { randint } from '../src/tensor/random-tensors.js';
import { type Tensor, tensor } from '../src/tensor/tensor.js';

export class LSTMClassifier extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(
    vocabSize: number,
    embedDim: number,
    hiddenDim: number,
    outputDim: number,
    generator?: Generator,
  ) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embedDim, { generator }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({ inputSize: embedDim, hiddenSize: hiddenDim, batchFirst: true, generator }),
    );
    this.fc = this.registerModule('fc', new Linear(hiddenDim, outputDim, { generator }));
  }

  /** x: (B, T) token ids, lengths: (B) → logits (B, 2). */
  forward(x: Tensor, lengths?: Int32Array): Tensor {
    const embedded = this.embedding.forward(x);
    const [, [hN]] = this.lstm.forward(embedded, null, { lengths });
    // h_n[-1]: the last layer's final state, (B, H).
    const L = hN.shape[0]!;
    const last = reshape(slice(hN, 0, L - 1, L), [hN.shape[1]!, hN.shape[2]!]);
    return this.fc.forward(last);
  }
}

/** (encoded text, label) pairs, as the notebook's IMDBDataset. */
class IMDBDataset implements Dataset<[Tensor, number]> {
  constructor(private readonly dataList: Array<[Tensor, number]>) {}

  get length(): number {
    return this.dataList.length;
  }

  get(idx: number): [Tensor, number] {
    return this.dataList[idx]!;
  }
}

interface Batch {
  texts: Tensor;
  lengths: Int32Array;
  labels: Tensor;
}

function collateFn(batch: Array<[Tensor, number]>): Batch {
  const texts = batch.map(([t]) => t);
  return {
    // Pad with 0 to the longest review in the batch.
    texts: padSequence(texts, { batchFirst: true, paddingValue: 0 }),
    lengths: Int32Array.from(texts, (t) => t.shape[0]!),
    labels: tensor(
      batch.map(([, label]) => label),
      { dtype: 'int32' },
    ),
  };
}

export interface SeedOptions {
  numEpochs?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** Trains the classifier; returns the last batch's loss of every epoch, as the notebook prints. */
export function main(options: SeedOptions = {}): number[] {
  const numEpochs = options.numEpochs ?? 3;
  const log = options.log ?? console.log;
  const generator = new Generator(options.seed ?? 0);
  const review = (len: number) => randint(0, 5000, [len], { generator });
  // Dummy IMDB reviews (token-id lists).
  const dummyTrainData: Array<[Tensor, number]> = [
    [review(200), 0], // length 200, 0: negative
    [review(150), 1], // length 150, 1: positive
  ];
  const dummyTestData: Array<[Tensor, number]> = [
    [review(200), 1],
    [review(100), 0],
  ];
  const trainLoader = new DataLoader(new IMDBDataset(dummyTrainData), {
    batchSize: 2,
    shuffle: true,
    collateFn,
    generator,
  });
  const testLoader = new DataLoader(new IMDBDataset(dummyTestData), {
    batchSize: 2,
    shuffle: false,
    collateFn,
  });

  const model = new LSTMClassifier(5000, 128, 64, 2, generator);
  const criterion = new CrossEntropyLoss();
  const optimizer = new Adam(model.parameters(), { lr: 0.001 });

  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    model.train();
    let loss: Tensor | null = null;
    for (const { texts, lengths, labels } of trainLoader) {
      optimizer.zeroGrad();
      const outputs = model.forward(texts, lengths);
      loss = criterion.forward(outputs, labels);
      loss.backward();
      optimizer.step();
    }
    losses.push(loss!.item());
    log(`Epoch ${epoch + 1}/${numEpochs}, Loss: ${loss!.item().toFixed(4)}`);
  }

  // The notebook stops here; the held-out reviews show how the (random) data generalises.
  model.eval();
  let correct = 0;
  noGrad(() => {
    for (const { texts, lengths, labels } of testLoader) {
      const predicted = argmax(model.forward(texts, lengths), 1).data;
      labels.data.forEach((label, i) => {
        if (predicted[i] === label) correct++;
      });
    }
  });
  log(`Test accuracy: ${correct}/${dummyTestData.length}`);
  return losses;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
