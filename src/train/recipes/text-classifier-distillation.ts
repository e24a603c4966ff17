import { collateText, DataLoader, type TextBatch, type TextExample } from '../../data/dataloader.js';
import { ArrayDataset } from '../../data/dataset.js';
import { BagOfWordsClassifier } from '../../nn/heads.js';
import { CrossEntropyLoss, crossEntropy } from '../../nn/losses.js';
import { add, logSoftmax, mean, mul, sum } from '../../ops/index.js';
import { Adam } from '../../optim/adam.js';
import { noGrad } from '../../tensor/autograd.js';
import { defaultGenerator, Generator, manualSeed } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { classificationTask, softmaxRows } from '../tasks.js';
import { fit } from '../trainer.js';

/**
 * Knowledge distillation from the bag-of-words model: the recurrent model learns from the labels
 * and from a bag-of-words teacher's class probabilities on its training rows. The teacher is
 * trained on training rows only; cross-fitted (k folds: each fold predicted by a teacher trained
 * on the others), since a teacher's probabilities on its own training rows are near 0 or 1 and
 * say little beyond the labels.
 */

/** A training example with the teacher's class probabilities at the distillation temperature. */
export interface DistilledExample extends TextExample {
  teacher: Float32Array;
}

/** A batch of distilled examples: the teacher's probabilities as (B, C). */
export interface DistilledBatch extends TextBatch {
  teacher: Tensor;
}

export interface TeacherSettings {
  classes: number;
  batch: number;
  /** Epochs of each teacher (the bag-of-words baseline's count). */
  epochs: number;
  /** Folds; 1 predicts the training rows with a teacher trained on all of them (in-sample). */
  folds: number;
  temperature: number;
  seed: number;
}

/** A bag-of-words model (the baseline's) trained on `rows` for a fixed count of epochs, no validation. */
async function fitTeacher(rows: TextExample[], vocabSize: number, s: TeacherSettings) {
  const bow = new BagOfWordsClassifier({ vocabSize, embedDim: 64, numClasses: s.classes });
  await fit(bow, {
    task: classificationTask(),
    train: new DataLoader<TextExample, TextBatch>(new ArrayDataset(rows), {
      batchSize: s.batch,
      shuffle: true,
      bucketSize: 16,
    }),
    epochs: s.epochs,
    optimizer: new Adam(bow.parameters(), { lr: 1e-2 }),
    loss: new CrossEntropyLoss(),
  });
  return bow;
}

/** softmax(logits / T) of the teacher for each row, in order. */
function teacherProbabilities(bow: BagOfWordsClassifier, rows: TextExample[], temperature: number) {
  bow.eval();
  const c = bow.settings.numClasses;
  const out: Float32Array[] = [];
  for (let i = 0; i < rows.length; i += 256) {
    const b = collateText(rows.slice(i, i + 256));
    const probs = noGrad(() => softmaxRows(mul(bow.forward(b.inputs, b.lengths), 1 / temperature)));
    for (let r = 0; r < probs.length / c; r++) out.push(probs.slice(r * c, (r + 1) * c));
  }
  return out;
}

/**
 * The training rows with the teacher's probabilities: fold f (rows at shuffled positions ≡ f
 * mod k) is predicted by a teacher trained on the other folds. Only `train` is ever read. The
 * default generator is left as it was, so the recurrent model starts as it would without a teacher.
 */
export async function distillationTargets(
  train: TextExample[],
  vocabSize: number,
  settings: TeacherSettings,
): Promise<DistilledExample[]> {
  const saved = defaultGenerator.getState();
  try {
    manualSeed(settings.seed);
    const k = settings.folds;
    const order = new Generator(settings.seed).permutation(train.length);
    const foldOf = new Int32Array(train.length);
    order.forEach((row, position) => {
      foldOf[row] = position % k;
    });
    const teacher = new Array<Float32Array>(train.length);
    for (let f = 0; f < k; f++) {
      const held = train.flatMap((_, i) => (foldOf[i] === f ? [i] : []));
      if (held.length === 0) continue;
      const rest = k === 1 ? train : train.filter((_, i) => foldOf[i] !== f);
      const bow = await fitTeacher(rest, vocabSize, settings);
      const probs = teacherProbabilities(
        bow,
        held.map((i) => train[i]!),
        settings.temperature,
      );
      held.forEach((row, j) => {
        teacher[row] = probs[j]!;
      });
    }
    return train.map((e, i) => ({ ...e, teacher: teacher[i]! }));
  } finally {
    defaultGenerator.setState(saved);
  }
}

/** Batches distilled examples: the text batch and the teacher's probabilities beside it. */
export function collateDistilled(items: DistilledExample[]): DistilledBatch {
  const c = items[0]!.teacher.length;
  const teacher = new Float32Array(items.length * c);
  items.forEach((e, i) => {
    teacher.set(e.teacher, i * c);
  });
  return { ...collateText(items), teacher: new Tensor(teacher, [items.length, c]) };
}

export interface DistillationSettings {
  /** Weight of the teacher's term; the labels' cross-entropy gets 1 − alpha. */
  alpha: number;
  temperature: number;
  labelSmoothing: number;
}

/**
 * (1 − α)·CE(z, y) + α·T²·CE(softmax(z / T), q): q the teacher's probabilities at temperature T
 * carried by the batch (Hinton et al., 2015; T² keeps the soft term's gradients at the hard
 * term's scale). A batch without a teacher (validation) gets the labels' cross-entropy alone.
 */
export class DistillationLoss {
  constructor(readonly settings: DistillationSettings) {}

  forward(logits: Tensor, labels: Tensor, batch?: unknown): Tensor {
    const { alpha, temperature: t, labelSmoothing } = this.settings;
    const hard = crossEntropy(logits, labels, { labelSmoothing });
    const teacher = (batch as Partial<DistilledBatch> | undefined)?.teacher;
    if (teacher === undefined) return hard;
    const soft = mean(sum(mul(teacher, logSoftmax(mul(logits, 1 / t), 1)), 1));
    return add(mul(hard, 1 - alpha), mul(soft, -alpha * t * t));
  }
}
