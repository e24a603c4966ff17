/**
 * kioku's side of the exported-project checks (the tests and scripts/verify_pytorch_project.ts):
 * the test split of a text model rebuilt with kioku's own functions, and a model directory's
 * accuracy and loss on it; a forecaster's windows.
 */

import { loadSeriesSource } from '../../src/cli/sources.js';
import { firstOrigin } from '../../src/data/forecast-encoding.js';
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
import { readSeriesConfig } from '../../src/train/recipes/series-config.js';
import { readPanel } from '../../src/train/recipes/series-panel.js';
import { planSeries } from '../../src/train/recipes/series-plan.js';
import { applySplit } from '../../src/train/recipes/series-split.js';
import { ForecastWindows, originsIn } from '../../src/train/recipes/series-windows.js';
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

/**
 * kioku's training and validation windows of a forecaster's data, as `kioku train series` builds
 * them: the series read as training read it, split at the recorded dates, the recorded transform
 * and calendar, each member scaled on its training rows.
 */
export async function kiokuSeriesWindows(modelDir: string, data: string) {
  const { config } = await loadModelDir(modelDir);
  const s = readSeriesConfig(config, modelDir);
  const series = await loadSeriesSource(data, {
    dateCol: s.dateColumn ?? 'date',
    seriesCol: s.seriesColumn,
    missing: s.missing ?? 'error',
    columns: [...s.covariates, s.target],
  });
  const name = (k: string) => k;
  const panel = readPanel(
    {
      series,
      target: s.target,
      features: s.covariates,
      season: s.season,
      calendar: s.calendar,
      frequency: s.frequency,
    },
    name,
  );
  const splits = applySplit(panel, s.split.valFrom, s.split.testFrom);
  const plan = planSeries(
    panel,
    splits,
    { transform: s.transform.kind, lookback: s.lookback, horizon: s.horizon, strategy: s.strategy },
    name,
  );
  const first = firstOrigin(plan.spec);
  const windows = (ranges: { from: number; to: number }[]) => {
    const w = new ForecastWindows(
      plan.spec,
      panel.members,
      plan.scalings,
      originsIn(ranges, s.horizon, first),
    );
    return Object.assign(w.encodeAll(), { at: w.at, stepWeights: () => w.stepWeights() });
  };
  return {
    scalings: plan.scalings,
    train: windows(splits.map((m) => ({ from: 0, to: m.val }))),
    val: windows(splits.map((m) => ({ from: m.val, to: m.test }))),
  };
}

/** Python run in an exported forecaster's project: data.py's scaling and windows (argv: project, data). */
export const PY_SERIES_PIPELINE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import data
config = json.load(open(sys.argv[1] + '/config.json'))
d = data.SeriesData(sys.argv[2], config['series'])
out = {'scalings': d.scalings}
for part in ('train', 'val'):
    w = d.windows(part)
    out[part] = {'at': w.at, 'inputs': w.inputs.reshape(-1).tolist(), 'targets': w.targets.reshape(-1).tolist()}
out['stepWeights'] = d.windows('train').step_weights().tolist()
print(json.dumps(out))
`;
