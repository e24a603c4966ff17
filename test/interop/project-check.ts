/**
 * kioku's side of the exported-project checks (the test and scripts/verify_pytorch_project.ts):
 * the test split of a text model rebuilt with kioku's own functions, and a model directory's
 * accuracy and loss on it.
 */
import { trainValTestSplit } from '../../src/data/split.js';
import { type TokenizerJSON, tokenizerFromJSON } from '../../src/data/tokenizers.js';
import { type Truncation, Vocab, type VocabJSON } from '../../src/data/vocab.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import type { ModelConfig } from '../../src/io/model-config.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { loadWeightsInto } from '../../src/io/model-format.js';
import { modelFromConfig, type TextClassifier } from '../../src/nn/heads.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { softmaxRows } from '../../src/train/tasks.js';

interface TextConfig extends ModelConfig {
  vocab: VocabJSON;
  tokenizer: TokenizerJSON;
  maxLen: number;
  truncation: Truncation;
}

/** A model directory's text classifier, in eval mode, and its config. */
export async function loadTextClassifier(
  dir: string,
): Promise<{ model: TextClassifier; config: TextConfig }> {
  const { config, tensors } = await loadModelDir(dir);
  const model = modelFromConfig(config.architecture) as TextClassifier;
  loadWeightsInto(model, tensors);
  return { model: model.eval(), config: config as TextConfig };
}

/** Every text's ids as `kioku train text` encodes them with this config. */
export function encoderOf(config: TextConfig): (text: string) => Int32Array {
  const vocab = Vocab.fromJSON(config.vocab);
  const tokenizer = tokenizerFromJSON(config.tokenizer);
  return (text) => {
    const ids = vocab.encode(tokenizer.tokenize(text), {
      maxLength: config.maxLen,
      truncation: config.truncation,
    });
    return ids.length ? ids : Int32Array.of(vocab.unkId);
  };
}

/** The texts and labels of `kioku train text`'s split of a CSV/JSONL file (its --limit and --seed). */
export async function textSplit(path: string, options: { limit?: number | null; seed: number }) {
  const corpus = await loadTextFile(path);
  let items = corpus.texts.map((text, i) => ({ text, label: corpus.labels[i]! }));
  const { limit, seed } = options;
  if (limit != null && limit < items.length) {
    const perm = new Generator(seed).permutation(items.length);
    items = Array.from(perm.subarray(0, limit), (i) => items[i]!);
  }
  const split = trainValTestSplit(items, { val: 0.1, test: 0.1, seed, stratify: true });
  const indices = [split.train, split.val, split.test].map((s) => Array.from(s.indices));
  const [train, val, test] = indices.map((idx) => idx.map((i) => items[i]!));
  return { classes: corpus.classes, items, indices, train: train!, val: val!, test: test! };
}

/** Accuracy and mean cross-entropy of a classifier on labelled ids, in batches of 64. */
export function scoreText(model: TextClassifier, ids: Int32Array[], labels: number[]) {
  let correct = 0;
  let loss = 0;
  for (let s = 0; s < ids.length; s += 64) {
    const batch = ids.slice(s, s + 64);
    const lengths = Int32Array.from(batch, (x) => x.length);
    const T = Math.max(...lengths);
    const data = new Int32Array(batch.length * T);
    for (const [i, x] of batch.entries()) data.set(x, i * T);
    const logits = noGrad(() => model.forward(new Tensor(data, [batch.length, T]), lengths));
    const k = logits.shape[1]!;
    const probs = softmaxRows(logits);
    batch.forEach((_, i) => {
      const p = Array.from(probs.subarray(i * k, (i + 1) * k));
      const y = labels[s + i]!;
      if (p.indexOf(Math.max(...p)) === y) correct++;
      loss -= Math.log(p[y]!);
    });
  }
  return { accuracy: correct / ids.length, loss: loss / ids.length, n: ids.length };
}

/**
 * Python run in an exported project: data.py's subsample, split, encoded ids and rebuilt
 * vocabulary for a text file (argv: project, data, limit or "", seed).
 */
export const PY_TEXT_PIPELINE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import data
config = json.load(open(sys.argv[1] + '/config.json'))
texts, labels, classes = data.load_texts(sys.argv[2])
items = data.subsample(list(zip(texts, labels)), int(sys.argv[3]) if sys.argv[3] else None, int(sys.argv[4]))
train, val, test = data.train_val_test_split([y for _, y in items], 0.1, 0.1, int(sys.argv[4]))
tokenizer = data.tokenizer_from_config(config['tokenizer'])
encode = data.TextEncoder(tokenizer, data.Vocab.from_config(config['vocab']), config['maxLen'], config['truncation'])
vocab = data.Vocab.build((tokenizer.tokenize(items[i][0]) for i in train), int(sys.argv[5]), int(sys.argv[6]))
print(json.dumps({'classes': classes, 'labels': [y for _, y in items], 'ids': [encode(t) for t, _ in items],
                  'split': [train, val, test], 'vocab': vocab.itos}))
`;
