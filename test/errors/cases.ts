import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLoader } from '../../src/data/dataloader.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { MAX_LINE_CHARS } from '../../src/io/datasets/files.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { loadWeightsInto } from '../../src/io/model-format.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { readSafetensors } from '../../src/io/safetensors-node.js';
import { Embedding } from '../../src/nn/embedding.js';
import { SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy, mseLoss } from '../../src/nn/losses.js';
import { LSTM } from '../../src/nn/rnn.js';
import { matmul } from '../../src/ops/matmul.js';
import { SGD } from '../../src/optim/sgd.js';
import { tensor, zeros } from '../../src/tensor/tensor.js';
import { readCheckpoint } from '../../src/train/checkpoint-node.js';
import { regressionTask } from '../../src/train/tasks.js';
import { fit as fitModel } from '../../src/train/trainer.js';
import { runKioku } from '../cli/cli-process.js';
import { type CliResult, kioku, tinyTextTraining } from '../helpers/cli.js';

/**
 * The bad inputs of the README's table: each row runs one wrong call of the API or the CLI.
 * API rows throw; CLI rows return the exit code and what `kioku` printed.
 */

export interface Case {
  /** What is wrong, as the table says it. */
  input: string;
  /** The call, as the table shows it. */
  call: string;
  /** Throws (API) or returns the CLI's result. */
  run: (dir: string) => Promise<CliResult | undefined>;
}

const api =
  (fn: (dir: string) => unknown) =>
  async (dir: string): Promise<undefined> => {
    await fn(dir);
    return undefined;
  };

/** Bad files the rows read, written into `dir`. */
export async function writeInputs(dir: string): Promise<void> {
  const w = (name: string, body: string) => writeFile(join(dir, name), body);
  await w('unclosed.csv', 'text,label\n"free money,spam\nhello,ham\n');
  await w('bad.jsonl', '{"text": "hi", "label": "ham"}\n{"text": "oops", \n');
  await w('nolabel.csv', 'text,kind\nhello,ham\nbuy now,spam\n');
  await w('header-only.csv', 'text,label\n');
  await w(
    'one-class.csv',
    `text,label\n${Array.from({ length: 40 }, (_, i) => `message number ${i},ham`).join('\n')}\n`,
  );
  const days = (n: number, value: (i: number) => string) =>
    `date,y\n${Array.from({ length: n }, (_, i) => `${new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10)},${value(i)}`).join('\n')}\n`;
  await w(
    'series-gap.csv',
    days(60, (i) => (i === 17 ? '' : String(i % 7))),
  );
  await w(
    'series-nan.csv',
    days(60, (i) => (i === 17 ? 'NaN' : String(i % 7))),
  );
  await w(
    'series-na.csv',
    days(60, (i) => (i === 17 ? 'NA' : String(i % 7))),
  );
  await w(
    'series-nan-first.csv',
    days(60, (i) => (i === 0 ? 'nan' : String(i % 7))),
  );
  await w(
    'series-inf.csv',
    days(60, (i) => (i === 17 ? 'Infinity' : String(i % 7))),
  );
  await w(
    'series-text.csv',
    days(60, (i) => (i === 17 ? 'high' : String(i % 7))),
  );
  await w(
    'series-short.csv',
    days(12, (i) => String(i % 7)),
  );
  await w('series-bad-date.csv', days(60, (i) => String(i % 7)).replace('2020-01-18', '2020-01-32'));
  await w(
    'series-ok.csv',
    days(120, (i) => String((i % 7) + Math.sin(i))),
  );
  await w(
    'series-no-date.csv',
    `step,y\n${Array.from({ length: 60 }, (_, i) => `${i},${i % 7}`).join('\n')}\n`,
  );
  await w('data.txt', 'hello\n');
  // One cell (one JSON line) just over kioku's limit for a row.
  const huge = 'x'.repeat(MAX_LINE_CHARS + 1);
  await w('huge-cell.csv', `text,label\n"${huge}",ham\nhello,spam\n`);
  await w('huge-line.jsonl', `{"text": "hi", "label": "ham"}\n{"text": "${huge}", "label": "spam"}\n`);
  await w(
    'long-cell.csv',
    days(60, (i) => (i === 17 ? 'x'.repeat(5000) : String(i % 7))),
  );
  await w('empty-labels.csv', 'text,label\nhello,\nbuy now, \n');
  await mkdir(join(dir, 'busy'), { recursive: true });
  await w(
    'busy/.kioku-lock',
    JSON.stringify({ pid: 4242, host: 'build-server', started: '2026-01-02T03:04:05.000Z' }),
  );
  // A directory the CLI, run as another user when the tests run as root, may not write into.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'read-only'), { mode: 0o555 });
  await chmod(join(dir, 'read-only'), 0o555);
  await mkdir(join(dir, 'empty-dir'), { recursive: true });
  await mkdir(join(dir, 'no-weights'), { recursive: true });
  await w(
    'no-weights/config.json',
    JSON.stringify({
      format: 'kioku-model',
      formatVersion: 1,
      kiokuVersion: '0.1.0',
      architecture: { type: 'Linear' },
      task: 'x',
    }),
  );
  await mkdir(join(dir, 'bad-json'), { recursive: true });
  await w('bad-json/config.json', '{"format": "kioku-model",');
  await w('bad-json/model.safetensors', '');
  await mkdir(join(dir, 'future'), { recursive: true });
  await w(
    'future/config.json',
    JSON.stringify({
      format: 'kioku-model',
      formatVersion: 99,
      kiokuVersion: '9.0.0',
      architecture: { type: 'Linear' },
      task: 'x',
    }),
  );
  await w('future/model.safetensors', '');
  // A text classifier's config with the weights of a bigger one.
  const small = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3, numClasses: 2 });
  const big = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 5, numClasses: 2 });
  await saveModelDir(join(dir, 'text-model'), {
    config: { architecture: small.config(), task: 'classification' },
    stateDict: small.stateDict(),
  });
  await saveModelDir(join(dir, 'mismatch'), {
    config: { architecture: small.config(), task: 'classification' },
    stateDict: big.stateDict(),
  });
  await writeBrokenModels(dir, small);
  // A training run's --out: the model is in its model/ folder.
  await saveModelDir(join(dir, 'run-out', 'model'), {
    config: { architecture: small.config(), task: 'classification' },
    stateDict: small.stateDict(),
  });
  const forecaster = new SequenceForecaster({ inputSize: 1, hiddenSize: 2, horizon: 1 });
  await saveModelDir(join(dir, 'forecaster'), {
    config: { architecture: forecaster.config(), task: 'forecasting' },
    stateDict: forecaster.stateDict(),
  });
}

/** Model directories broken one way each: config.json edited, weights replaced, files swapped for links. */
async function writeBrokenModels(dir: string, model: TextClassifier): Promise<void> {
  const broken = async (name: string, patch: (config: Record<string, unknown>) => void) => {
    const sd = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
    if (name === 'nan-weights') sd['fc.weight']!.f32[3] = Number.NaN;
    await saveModelDir(join(dir, name), {
      config: { architecture: model.config(), task: 'classification', labels: ['ham', 'spam'] },
      stateDict: sd,
      trainingState: { state: { epoch: 1 } },
    });
    const path = join(dir, name, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    patch(config);
    await writeFile(path, JSON.stringify(config));
  };
  const arch = (c: Record<string, unknown>) => c.architecture as Record<string, unknown>;
  await broken('huge-config', (c) => (arch(c).hiddenSize = 20000));
  await broken('million-layers', (c) => (arch(c).numLayers = 1_000_000));
  await broken('label-count', (c) => (c.labels = ['ham', 'spam', 'eggs']));
  await broken('big-vocab', (c) => (c.vocab = { tokens: Array.from({ length: 12 }, (_, i) => `w${i}`) }));
  await broken('nan-weights', () => {});
  await broken('bad-state', () => {});
  await writeFile(join(dir, 'bad-state', 'training-state.json'), '{"epoch": 1, "rng": {"s": [1, 2');
  await broken('bad-fields', () => {});
  await writeFile(join(dir, 'bad-fields', 'training-state.json'), '{"epoch": 1, "history": {"loss": "x"}}');
  const pt = join(import.meta.dirname, '../../fixtures/safetensors/linear-zip.pt');
  await copyFile(pt, join(dir, 'model.pt'));
  await copyFile(join(import.meta.dirname, '../../fixtures/torch/evil_os_system.pt'), join(dir, 'evil.pt'));
  await broken('torch-save', () => {});
  await copyFile(pt, join(dir, 'torch-save', 'model.safetensors'));
  await broken('dev-zero', () => {});
  await rm(join(dir, 'dev-zero', 'model.safetensors'));
  await symlink('/dev/zero', join(dir, 'dev-zero', 'model.safetensors'));
  await broken('fifo', () => {});
  await rm(join(dir, 'fifo', 'model.safetensors'));
  execFileSync('mkfifo', [join(dir, 'fifo', 'model.safetensors')]);
}

const seq = (d: string, ...more: string[]) => [
  'train',
  'series',
  '--data',
  join(d, 'series-ok.csv'),
  '--target',
  'y',
  '--epochs',
  '1',
  '--hidden',
  '2',
  '--lookback',
  '4',
  '--quiet',
  '--out',
  join(d, 'out'),
  ...more,
];
const text = (d: string, data: string, ...more: string[]) =>
  tinyTextTraining(data, join(d, 'out'), {}, ...more);
const task = regressionTask();

export const CASES: Case[] = [
  // Tensors and layers
  {
    input: 'data length ≠ shape',
    call: 'tensor([1, 2, 3], { shape: [2, 2] })',
    run: api(() => tensor([1, 2, 3], { shape: [2, 2] })),
  },
  {
    input: 'matmul inner sizes differ',
    call: 'matmul(zeros([2, 3]), zeros([4, 5]))',
    run: api(() => matmul(zeros([2, 3]), zeros([4, 5]))),
  },
  {
    input: 'int32 view of a float tensor',
    call: 'zeros([2]).i32',
    run: api(() => zeros([2]).i32),
  },
  {
    input: 'LSTM input of rank 4',
    call: 'new LSTM({inputSize: 3, hiddenSize: 2}).forward(zeros([1, 2, 3, 1]))',
    run: api(() => new LSTM({ inputSize: 3, hiddenSize: 2 }).forward(zeros([1, 2, 3, 1]))),
  },
  {
    input: 'LSTM input features ≠ inputSize',
    call: 'new LSTM({inputSize: 3, hiddenSize: 2}).forward(zeros([5, 1, 4]))',
    run: api(() => new LSTM({ inputSize: 3, hiddenSize: 2 }).forward(zeros([5, 1, 4]))),
  },
  {
    input: 'hidden size 0',
    call: 'new LSTM({inputSize: 3, hiddenSize: 0})',
    run: api(() => new LSTM({ inputSize: 3, hiddenSize: 0 })),
  },
  {
    input: 'token id ≥ vocabulary size',
    call: "new Embedding(5, 2).forward(tensor([[1, 5]], { dtype: 'int32' }))",
    run: api(() => new Embedding(5, 2).forward(tensor([[1, 5]], { dtype: 'int32' }))),
  },
  {
    input: 'negative token id',
    call: "new Embedding(5, 2).forward(tensor([[-1]], { dtype: 'int32' }))",
    run: api(() => new Embedding(5, 2).forward(tensor([[-1]], { dtype: 'int32' }))),
  },
  {
    input: 'float token ids',
    call: 'new Embedding(5, 2).forward(tensor([[1, 2]]))',
    run: api(() => new Embedding(5, 2).forward(tensor([[1, 2]]))),
  },
  {
    input: 'lengths longer than the batch',
    call: 'classifier.forward(ids (2, 3), Int32Array.of(3, 2, 1))',
    run: api(() =>
      new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3, numClasses: 2 }).forward(
        tensor(
          [
            [1, 2, 3],
            [4, 5, 0],
          ],
          { dtype: 'int32' },
        ),
        Int32Array.of(3, 2, 1),
      ),
    ),
  },
  {
    input: 'a length longer than T',
    call: 'classifier.forward(ids (2, 3), Int32Array.of(4, 2))',
    run: api(() =>
      new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3, numClasses: 2 }).forward(
        tensor(
          [
            [1, 2, 3],
            [4, 5, 0],
          ],
          { dtype: 'int32' },
        ),
        Int32Array.of(4, 2),
      ),
    ),
  },
  {
    input: 'class id ≥ number of classes',
    call: "crossEntropy(zeros([2, 3]), tensor([0, 3], { dtype: 'int32' }))",
    run: api(() => crossEntropy(zeros([2, 3]), tensor([0, 3], { dtype: 'int32' }))),
  },
  {
    input: 'loss shapes differ',
    call: 'mseLoss(zeros([2, 1]), zeros([3, 1]))',
    run: api(() => mseLoss(zeros([2, 1]), zeros([3, 1]))),
  },
  // Data
  {
    input: 'batch size 0',
    call: 'new DataLoader(new ArrayDataset([1]), { batchSize: 0 })',
    run: api(() => new DataLoader(new ArrayDataset([1]), { batchSize: 0 })),
  },
  {
    input: 'CSV with an unclosed quote',
    call: "loadTextFile('unclosed.csv')",
    run: api((d) => loadTextFile(join(d, 'unclosed.csv'))),
  },
  {
    input: 'JSONL with a broken line',
    call: "loadTextFile('bad.jsonl')",
    run: api((d) => loadTextFile(join(d, 'bad.jsonl'))),
  },
  {
    input: 'label column missing',
    call: "loadTextFile('nolabel.csv')",
    run: api((d) => loadTextFile(join(d, 'nolabel.csv'))),
  },
  {
    input: 'empty dataset (header only)',
    call: "loadTextFile('header-only.csv')",
    run: api((d) => loadTextFile(join(d, 'header-only.csv'))),
  },
  {
    input: 'a CSV cell longer than 16 MiB',
    call: "loadTextFile('huge-cell.csv')",
    run: api((d) => loadTextFile(join(d, 'huge-cell.csv'))),
  },
  {
    input: 'a JSONL line longer than 16 MiB',
    call: "loadTextFile('huge-line.jsonl')",
    run: api((d) => loadTextFile(join(d, 'huge-line.jsonl'))),
  },
  {
    input: 'every label empty',
    call: "loadTextFile('empty-labels.csv')",
    run: api((d) => loadTextFile(join(d, 'empty-labels.csv'))),
  },
  {
    input: 'NaN first value under ffill',
    call: "loadSeriesCsv('series-nan-first.csv', { dateColumn: 'date', missing: 'ffill' })",
    run: api((d) => loadSeriesCsv(join(d, 'series-nan-first.csv'), { dateColumn: 'date', missing: 'ffill' })),
  },
  // Training
  {
    input: 'epochs 0',
    call: 'fit(model, { …, epochs: 0 })',
    run: api(() => {
      const m = new Linear(1, 1);
      return fitModel(m, {
        task,
        train: [],
        epochs: 0,
        optimizer: new SGD(m.parameters(), { lr: 0.1 }),
        loss: mseLoss,
      });
    }),
  },
  {
    input: 'no training batches',
    call: 'fit(model, { …, train: [] })',
    run: api(() => {
      const m = new Linear(1, 1);
      return fitModel(m, {
        task,
        train: [],
        epochs: 1,
        optimizer: new SGD(m.parameters(), { lr: 0.1 }),
        loss: mseLoss,
      });
    }),
  },
  {
    input: 'NaN in the data (loss becomes NaN)',
    call: 'fit(model, { …, train: [{inputs: [[NaN]], …}] })',
    run: api(() => {
      const m = new Linear(1, 1);
      return fitModel(m, {
        task,
        train: [{ inputs: tensor([[Number.NaN]]), targets: tensor([[1]]) }],
        epochs: 1,
        optimizer: new SGD(m.parameters(), { lr: 0.1 }),
        loss: mseLoss,
      });
    }),
  },
  // Model directories
  {
    input: 'model directory does not exist',
    call: "loadModelDir('missing')",
    run: api((d) => loadModelDir(join(d, 'missing'))),
  },
  {
    input: 'model.safetensors missing',
    call: "loadModelDir('no-weights')",
    run: api((d) => loadModelDir(join(d, 'no-weights'))),
  },
  {
    input: 'config.json is not valid JSON',
    call: "loadModelDir('bad-json')",
    run: api((d) => loadModelDir(join(d, 'bad-json'))),
  },
  {
    input: 'model from a newer kioku',
    call: "loadModelDir('future')",
    run: api((d) => loadModelDir(join(d, 'future'))),
  },
  {
    input: 'safetensors bytes are garbage',
    call: 'parseSafetensors(Uint8Array.of(1, 2, 3))',
    run: api(() => parseSafetensors(Uint8Array.of(1, 2, 3))),
  },
  {
    input: 'config and weights disagree',
    call: 'loadWeightsInto(new Linear(2, 2), { weight: zeros([3, 2]) })',
    run: api(() => loadWeightsInto(new Linear(2, 2), { weight: zeros([3, 2]) })),
  },
  {
    input: 'config sizes far beyond the weights (hidden 20000)',
    call: "loadModelDir('huge-config')",
    run: api((d) => loadModelDir(join(d, 'huge-config'))),
  },
  {
    input: 'a million layers in config.json',
    call: "loadModelDir('million-layers')",
    run: api((d) => loadModelDir(join(d, 'million-layers'))),
  },
  {
    input: 'more labels than numClasses',
    call: "loadModelDir('label-count')",
    run: api((d) => loadModelDir(join(d, 'label-count'))),
  },
  {
    input: 'vocabulary larger than vocabSize',
    call: "loadModelDir('big-vocab')",
    run: api((d) => loadModelDir(join(d, 'big-vocab'))),
  },
  {
    input: 'NaN in the weights',
    call: "loadModelDir('nan-weights')",
    run: api((d) => loadModelDir(join(d, 'nan-weights'))),
  },
  {
    input: 'training-state.json cut short',
    call: "loadModelDir('bad-state')",
    run: api((d) => loadModelDir(join(d, 'bad-state'))),
  },
  {
    input: 'training-state.json with a field of the wrong kind',
    call: "readCheckpoint('bad-fields')",
    run: api((d) => readCheckpoint(join(d, 'bad-fields'))),
  },
  {
    input: 'model.safetensors links to /dev/zero',
    call: "loadModelDir('dev-zero')",
    run: api((d) => loadModelDir(join(d, 'dev-zero'))),
  },
  {
    input: 'model.safetensors is a FIFO',
    call: "loadModelDir('fifo')",
    run: api((d) => loadModelDir(join(d, 'fifo'))),
  },
  {
    input: 'a torch.save file given as safetensors',
    call: "readSafetensors('model.pt')",
    run: api((d) => readSafetensors(join(d, 'model.pt'))),
  },
  // The command line
  { input: 'no arguments', call: 'kioku', run: () => kioku() },
  { input: 'unknown command', call: 'kioku trian', run: () => kioku('trian') },
  {
    input: 'unknown flag',
    call: 'kioku info --model m --colour',
    run: () => kioku('info', '--model', 'm', '--colour'),
  },
  {
    input: 'required option missing',
    call: 'kioku train series --data births',
    run: () => kioku('train', 'series', '--data', 'births'),
  },
  {
    input: 'not a number',
    call: 'kioku train series … --epochs three',
    run: (d) => kioku(...seq(d, '--epochs', 'three')),
  },
  {
    input: 'invalid choice',
    call: 'kioku train series … --cell transformer',
    run: (d) => kioku(...seq(d, '--cell', 'transformer')),
  },
  {
    input: 'unknown data source',
    call: 'kioku train text --data data.txt …',
    run: (d) => kioku(...text(d, join(d, 'data.txt'))),
  },
  {
    input: 'data file missing',
    call: 'kioku train text --data missing.csv …',
    run: (d) => kioku(...text(d, join(d, 'missing.csv'))),
  },
  {
    input: 'one class only',
    call: 'kioku train text --data one-class.csv …',
    run: (d) => kioku(...text(d, join(d, 'one-class.csv'))),
  },
  {
    input: 'too few examples to split',
    call: 'kioku train text --data nolabel.csv --label-col kind …',
    run: (d) => kioku(...text(d, join(d, 'nolabel.csv'), '--label-col', 'kind')),
  },
  {
    input: 'empty cell in a series',
    call: 'kioku train series --data series-gap.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-gap.csv') : a))),
  },
  {
    input: 'NaN in a series',
    call: 'kioku train series --data series-nan.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-nan.csv') : a))),
  },
  {
    input: 'NA marker in a series',
    call: 'kioku train series --data series-na.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-na.csv') : a))),
  },
  {
    input: 'Infinity in a series',
    call: 'kioku train series --data series-inf.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-inf.csv') : a))),
  },
  {
    input: 'text in a numeric column',
    call: 'kioku train series --data series-text.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-text.csv') : a))),
  },
  {
    input: 'unknown target column',
    call: 'kioku train series … --target rain',
    run: (d) => kioku(...seq(d).map((a) => (a === 'y' ? 'rain' : a))),
  },
  {
    input: 'series shorter than lookback + horizon',
    call: 'kioku train series --data series-short.csv … --lookback 30',
    run: (d) =>
      kioku(
        ...seq(d, '--lookback', '30').map((a) =>
          a.endsWith('series-ok.csv') ? join(d, 'series-short.csv') : a,
        ),
      ),
  },
  {
    input: 'not a model directory',
    call: 'kioku info --model empty-dir',
    run: (d) => kioku('info', '--model', join(d, 'empty-dir')),
  },
  {
    input: 'config/weights mismatch',
    call: 'kioku predict --model mismatch --text hi',
    run: (d) => kioku('predict', '--model', join(d, 'mismatch'), '--text', 'hi'),
  },
  {
    input: 'a torch.save file as the weights',
    call: 'kioku info --model torch-save',
    run: (d) => kioku('info', '--model', join(d, 'torch-save')),
  },
  {
    input: 'text model given to forecast',
    call: 'kioku forecast --model text-model',
    run: (d) => kioku('forecast', '--model', join(d, 'text-model')),
  },
  {
    input: '--resume with no checkpoint',
    call: 'kioku train series … --resume empty-dir',
    run: (d) => kioku(...seq(d, '--resume', join(d, 'empty-dir'))),
  },
  {
    input: 'unknown missing-value policy',
    call: 'kioku train series … --missing zero',
    run: (d) => kioku(...seq(d, '--missing', 'zero')),
  },
  {
    input: 'export into the model directory',
    call: 'kioku export --model text-model --format pytorch --out text-model',
    run: (d) =>
      kioku(
        'export',
        '--model',
        join(d, 'text-model'),
        '--format',
        'pytorch',
        '--out',
        join(d, 'text-model'),
      ),
  },
  {
    input: 'a misspelt required flag',
    call: 'kioku predict --modle text-model --text hi',
    run: (d) => kioku('predict', '--modle', join(d, 'text-model'), '--text', 'hi'),
  },
  {
    input: 'learning rate 0',
    call: 'kioku train series … --lr 0',
    run: (d) => kioku(...seq(d, '--lr', '0')),
  },
  {
    input: 'negative learning rate',
    call: 'kioku train series … --lr -1',
    run: (d) => kioku(...seq(d, '--lr', '-1')),
  },
  {
    input: 'zero epochs',
    call: 'kioku train series … --epochs 0',
    run: (d) => kioku(...seq(d, '--epochs', '0')),
  },
  {
    input: 'a hidden size beyond memory',
    call: 'kioku train series … --hidden 1e9',
    run: (d) => kioku(...seq(d, '--hidden', '1e9')),
  },
  {
    input: 'a billion forecast steps',
    call: 'kioku forecast --model m --steps 1e9',
    run: () => kioku('forecast', '--model', 'm', '--steps', '1e9'),
  },
  {
    input: 'a 5,000-character cell in an error',
    call: 'kioku train series --data long-cell.csv …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'long-cell.csv') : a))),
  },
  {
    input: 'training-state.json cut short, resumed',
    call: 'kioku train series … --resume bad-state',
    run: (d) => kioku(...seq(d, '--resume', join(d, 'bad-state'))),
  },
  {
    input: 'training-state.json with a wrong field, resumed',
    call: 'kioku train series … --resume bad-fields',
    run: (d) => kioku(...seq(d, '--resume', join(d, 'bad-fields'))),
  },
  {
    input: '--out in use by another run',
    call: 'kioku train series … --out busy',
    run: (d) => kioku(...seq(d).map((a) => (a === join(d, 'out') ? join(d, 'busy') : a))),
  },
  {
    input: '--out where kioku may not write',
    call: 'kioku train series … --out read-only/out',
    // As root, permissions do not apply: the CLI runs as nobody (uid 65534).
    run: async (d) => {
      const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const argv = seq(d).map((a) => (a === join(d, 'out') ? join(d, 'read-only', 'out') : a));
      const r = await runKioku(argv, asOther);
      return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  },
  {
    input: 'unparseable date in a series',
    call: 'kioku train series --data series-bad-date.csv …',
    run: (d) =>
      kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-bad-date.csv') : a))),
  },
  {
    input: 'a pickle that would call os.system, imported',
    call: 'kioku import evil.pt --model text-model --out imported',
    run: (d) =>
      kioku('import', join(d, 'evil.pt'), '--model', join(d, 'text-model'), '--out', join(d, 'imported')),
  },
  {
    input: "another model's state_dict, imported",
    call: 'kioku import model.pt --model text-model --out imported',
    run: (d) =>
      kioku('import', join(d, 'model.pt'), '--model', join(d, 'text-model'), '--out', join(d, 'imported')),
  },
  {
    input: 'a directory as series data',
    call: 'kioku train series --data empty-dir …',
    run: (d) => kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'empty-dir') : a))),
  },
  {
    input: "a training run's --out as --model",
    call: 'kioku predict --model run-out --text hi',
    run: (d) => kioku('predict', '--model', join(d, 'run-out'), '--text', 'hi'),
  },
  {
    input: "--limit for a forecaster's project",
    call: 'kioku export --model forecaster --format pytorch-project --limit 5 --out project',
    run: (d) =>
      kioku(
        'export',
        '--model',
        join(d, 'forecaster'),
        '--format',
        'pytorch-project',
        '--limit',
        '5',
        '--out',
        join(d, 'project'),
      ),
  },
  {
    input: '--date-col with a built-in series',
    call: 'kioku train series --data births --date-col day …',
    run: (d) =>
      kioku(...seq(d, '--date-col', 'day').map((a) => (a.endsWith('series-ok.csv') ? 'births' : a))),
  },
  {
    input: "a training run's --out as generate's --model",
    call: 'kioku generate --model run-out --prompt hi',
    run: (d) => kioku('generate', '--model', join(d, 'run-out'), '--prompt', 'hi'),
  },
  {
    input: 'unknown --features column of a built-in series',
    call: 'kioku train series --data sp500 --target price --features rain …',
    run: (d) =>
      kioku(
        ...seq(d, '--features', 'rain').map((a) =>
          a.endsWith('series-ok.csv') ? 'sp500' : a === 'y' ? 'price' : a,
        ),
      ),
  },
  {
    input: 'a series file without a date column',
    call: 'kioku train series --data series-no-date.csv …',
    run: (d) =>
      kioku(...seq(d).map((a) => (a.endsWith('series-ok.csv') ? join(d, 'series-no-date.csv') : a))),
  },
];
