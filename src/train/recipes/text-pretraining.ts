import type { TextBatch, TextExample } from '../../data/dataloader.js';
import type { TextClassifier } from '../../nn/heads.js';
import { Linear } from '../../nn/linear.js';
import { crossEntropy } from '../../nn/losses.js';
import type { Parameter } from '../../nn/module.js';
import { add } from '../../ops/binary.js';
import { indexSelect, reshape, slice } from '../../ops/shape.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { defaultGenerator } from '../../tensor/random.js';
import { dropGradients, trainingStep } from '../../tensor/step.js';
import { Tensor } from '../../tensor/tensor.js';
import { textLoader } from './text-data.js';

/**
 * ULMFiT-style pre-training of a text classifier's own embedding and recurrent layer as a word
 * language model over its training texts, before it learns the classes. The forward direction's
 * output at step t predicts token t+1 and, in a bidirectional model, the reverse direction's
 * predicts token t−1 (ELMo's two language models in one pass of the classifier's own layer).
 * The softmax is kept cheap: the `words` most frequent vocabulary ids are classes of their own,
 * every other word is one "other word" class. The output layers are thrown away afterwards, so
 * only the initial weights change: the model's format does not.
 */
export interface TextPretrainingOptions {
  /** Optimizer steps (batches of training texts). */
  steps: number;
  /** Vocabulary ids below this are predicted as themselves, the rest as one more class. */
  words: number;
  /** Predict at every this-many-th position of each direction (1: all). */
  every: number;
  batch: number;
  lr: number;
}

/** What pre-training did: batches read, the mean loss of the first and last tenth of those with a target, its time. */
export interface TextPretrainingResult {
  steps: number;
  firstLoss: number;
  lastLoss: number;
  seconds: number;
}

/** The positions (rows of the flattened (B·T, ·) output) a direction predicts at, and their targets. */
export interface NeighbourTargets {
  rows: Tensor;
  targets: Tensor;
}

/**
 * Targets of one direction: the token `shift` steps away within the text (ids ≥ `words` as the
 * class `words`), at every `every`-th position that has one, counting from `offset`; padding
 * never. Predicting at a fraction of the positions keeps the output layer's cost small beside the
 * recurrent layer's, which runs over every token anyway.
 */
export function neighbourTargets(
  batch: TextBatch,
  shift: 1 | -1,
  words: number,
  every = 1,
  offset = 0,
): NeighbourTargets {
  const [b, t] = batch.inputs.shape as [number, number];
  const ids = batch.inputs.data as Int32Array;
  const rows: number[] = [];
  const targets: number[] = [];
  let seen = 0;
  for (let i = 0; i < b; i++) {
    const len = batch.lengths[i]!;
    for (let s = Math.max(0, -shift); s < len - Math.max(0, shift); s++, seen++) {
      if ((seen - offset) % every !== 0) continue;
      const id = ids[i * t + s + shift]!;
      rows.push(i * t + s);
      targets.push(Math.min(id, words));
    }
  }
  return {
    rows: new Tensor(Int32Array.from(rows), [rows.length]),
    targets: new Tensor(Int32Array.from(targets), [targets.length]),
  };
}

/**
 * The summed next- and previous-word losses of one batch, at every `every`-th position; null
 * when no position is picked (a batch of one-word texts).
 */
function languageModelLoss(
  model: TextClassifier,
  heads: Linear[],
  batch: TextBatch,
  words: number,
  every: number,
): Tensor | null {
  const hidden = model.settings.hiddenSize;
  const x = model.embedding.forward(batch.inputs);
  const [out] = model.rnn.forward(x, undefined, { lengths: batch.lengths });
  const [b, t] = batch.inputs.shape as [number, number];
  let loss: Tensor | null = null;
  heads.forEach((head, d) => {
    const offset = Math.floor(defaultGenerator.random() * every);
    const picked = neighbourTargets(batch, d === 0 ? 1 : -1, words, every, offset);
    if (picked.rows.size === 0) return;
    const h = reshape(slice(out, 2, d * hidden, (d + 1) * hidden), [b * t, hidden]);
    const l = crossEntropy(head.forward(indexSelect(h, 0, picked.rows)), picked.targets);
    loss = loss === null ? l : add(loss, l);
  });
  return loss;
}

/**
 * Pre-trains `model`'s embedding and recurrent layer (one layer's output: its top layer) on
 * `train` for `options.steps` batches with Adam and gradient clipping at 5, in place.
 */
export function pretrainTextClassifier(
  model: TextClassifier,
  train: TextExample[],
  options: TextPretrainingOptions,
): TextPretrainingResult {
  const started = performance.now();
  const directions = model.settings.bidirectional ? 2 : 1;
  const classes = Math.min(options.words, model.settings.vocabSize) + 1;
  const heads = Array.from({ length: directions }, () => new Linear(model.settings.hiddenSize, classes));
  const params: Parameter[] = [
    ...model.embedding.parameters(),
    ...model.rnn.parameters(),
    ...heads.flatMap((h) => h.parameters()),
  ];
  const optimizer = new Adam(params, { lr: options.lr });
  const losses: number[] = [];
  let steps = 0;
  model.train();
  while (steps < options.steps) {
    for (const batch of textLoader(train, options.batch, true)) {
      if (steps >= options.steps) break;
      steps++;
      dropGradients(params, () => optimizer.zeroGrad());
      const value = trainingStep(() => {
        const loss = languageModelLoss(model, heads, batch, classes - 1, options.every);
        if (loss === null) return null;
        const v = loss.item();
        loss.backward();
        clipGradNorm(params, 5);
        optimizer.step();
        return v;
      });
      if (value !== null) losses.push(value);
    }
  }
  dropGradients(params, () => optimizer.zeroGrad());
  const tenth = Math.max(1, Math.floor(losses.length / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    steps,
    firstLoss: mean(losses.slice(0, tenth)),
    lastLoss: mean(losses.slice(-tenth)),
    seconds: (performance.now() - started) / 1000,
  };
}
