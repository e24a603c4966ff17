import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headSettings } from '../../src/io/model-architecture.js';
import { ModelDirError } from '../../src/io/model-config.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { modelFromFiles, modelToFiles } from '../../src/io/model-format.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { modelFromConfig, POOLINGS, SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { Generator } from '../../src/tensor/random.js';
import { kioku } from '../helpers/cli.js';

/**
 * What loading checks before anything is built from a model directory: config.json's sizes
 * against the weights' shapes and kioku's limits, its fields against each other, and finite weights.
 */

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-model-checks-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const classifier = () => new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3 });

/** Saves a small text classifier into `name`, then rewrites config.json with `patch` applied. */
async function modelWith(name: string, patch: (c: Record<string, unknown>) => void): Promise<string> {
  const dir = join(root, name);
  const m = classifier();
  await saveModelDir(dir, {
    config: { architecture: m.config(), task: 'classification', labels: ['neg', 'pos'] },
    stateDict: m.stateDict(),
  });
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  patch(config);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const arch = (c: Record<string, unknown>) => c.architecture as Record<string, unknown>;

async function rejection(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ModelDirError);
  return e as Error;
}

describe('config.json against the weights, before any module is built', () => {
  it('refuses sizes far beyond the weights (hidden 20000, vocabulary 4 million), naming both files', async () => {
    const hidden = await modelWith('hidden', (c) => (arch(c).hiddenSize = 20000));
    const e = await rejection(loadModelDir(hidden));
    expect(e.message).toBe(
      `${hidden}/config.json: field "architecture" (TextClassifier) does not match the weights in "${hidden}/model.safetensors": ` +
        'lstm.weight_ih_l0 is (12, 4) there, the config needs (80000, 4); lstm.weight_hh_l0 is (12, 3) there, the config needs (80000, 20000); ' +
        'lstm.bias_ih_l0 is (12,) there, the config needs (80000,); lstm.bias_hh_l0 is (12,) there, the config needs (80000,); and 1 more',
    );
    const vocab = await modelWith('vocab', (c) => (arch(c).vocabSize = 4_000_000));
    expect((await rejection(loadModelDir(vocab))).message).toMatch(
      /field "architecture" \(TextClassifier\) does not match the weights in ".*": embedding\.weight is \(10, 4\) there, the config needs \(4000000, 4\)$/,
    );
    // The CLI loads through the same check: one line, exit 1, nothing allocated for the config's sizes.
    const r = await kioku('info', '--model', hidden);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kioku: ${e.message}\n`);
  });

  it("refuses a million layers by kioku's limit, and missing or extra weights by name", async () => {
    const layers = await modelWith('layers', (c) => (arch(c).numLayers = 1_000_000));
    expect((await rejection(loadModelDir(layers))).message).toBe(
      `${layers}/config.json: field "architecture.numLayers" is 1000000, more than kioku's limit of 1024`,
    );
    const two = await modelWith('two-layers', (c) => (arch(c).numLayers = 2));
    expect((await rejection(loadModelDir(two))).message).toMatch(
      /missing: lstm\.weight_ih_l1; lstm\.weight_hh_l1; lstm\.bias_ih_l1; lstm\.bias_hh_l1$/,
    );
    const gru = await modelWith('gru', (c) => (arch(c).cell = 'gru'));
    expect((await rejection(loadModelDir(gru))).message).toMatch(
      /missing: gru\.weight_ih_l0; .*; not in this architecture: lstm\.weight_ih_l0; lstm\.weight_hh_l0; lstm\.bias_ih_l0; lstm\.bias_hh_l0$/,
    );
    const bad = await modelWith('bad-size', (c) => (arch(c).embedDim = 2.5));
    expect((await rejection(loadModelDir(bad))).message).toBe(
      `${bad}/config.json: field "architecture.embedDim" must be a positive integer, got number 2.5`,
    );
  });

  it('knows the weight names and shapes of every head configuration (checked against the modules)', () => {
    const gen = new Generator(3);
    const fail = (m: string) => new Error(m);
    for (let i = 0; i < 30; i++) {
      const cell = (['lstm', 'gru', 'rnn'] as const)[i % 3]!;
      const layers = 1 + gen.randint(3);
      const model =
        i % 2 === 0
          ? new TextClassifier({
              vocabSize: 2 + gen.randint(20),
              embedDim: 1 + gen.randint(6),
              hiddenSize: 1 + gen.randint(6),
              numLayers: layers,
              cell,
              bidirectional: gen.random() < 0.5,
              numClasses: 2 + gen.randint(4),
              pooling: POOLINGS[gen.randint(POOLINGS.length)]!,
              bagOfWords: gen.random() < 0.5,
            })
          : new SequenceForecaster({
              inputSize: 1 + gen.randint(5),
              hiddenSize: 1 + gen.randint(6),
              numLayers: layers,
              cell,
              horizon: 1 + gen.randint(4),
              outputSize: 1 + gen.randint(3),
            });
      const want = new Map(model.namedParameters().map(([name, p]) => [name, [...p.shape]]));
      expect(headSettings(model.config(), fail)!.shapes).toEqual(want);
      expect(modelFromConfig(model.config()).numParameters()).toBe(model.numParameters());
    }
    const bow = modelFromConfig({ type: 'BagOfWordsClassifier', vocabSize: 7, embedDim: 3, numClasses: 4 });
    expect(headSettings(bow.config(), fail)!.shapes).toEqual(
      new Map(bow.namedParameters().map(([name, p]) => [name, [...p.shape]])),
    );
    expect(headSettings({ type: 'MyOwnModel' }, fail)).toBeNull();
  });
});

describe('config.json fields that must agree', () => {
  it('labels and numClasses, vocabulary and vocabSize: errors name config.json and both fields', async () => {
    const labels = await modelWith('labels', (c) => (c.labels = ['neg', 'pos', 'meh']));
    expect((await rejection(loadModelDir(labels))).message).toBe(
      `${labels}/config.json: field "labels" lists 3 labels but field "architecture.numClasses" is 2; they must agree (one output per label)`,
    );
    const tokens = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const vocab = await modelWith('big-vocab', (c) => (c.vocab = { tokens }));
    expect((await rejection(loadModelDir(vocab))).message).toBe(
      `${vocab}/config.json: field "vocab.tokens" holds 12 tokens but field "architecture.vocabSize" is 10; every token id must be below vocabSize`,
    );
    const counts = await modelWith('counts', (c) => (c.labelCounts = [5]));
    expect((await rejection(loadModelDir(counts))).message).toMatch(
      /field "labelCounts" has 1 entries but "labels" lists 2; they must agree$/,
    );
  });

  it("a forecaster's columns, scaler, target index and horizon against its inputSize and horizon", () => {
    const m = new SequenceForecaster({ inputSize: 3, hiddenSize: 2, horizon: 2 });
    const good = {
      architecture: m.config(),
      task: 'forecasting',
      scaler: { type: 'standard', columns: null, shift: [0, 0, 0], scale: [1, 1, 1] },
      series: {
        columns: ['a', 'b', 'y'],
        targetIndex: 2,
        lookback: 2,
        horizon: 2,
        tail: { values: [1, 2, 3, 4, 5, 6] },
      },
    };
    const files = modelToFiles({ config: good, stateDict: m.stateDict() });
    expect(modelFromFiles(files, { source: 'm' }).config.series).toEqual(good.series);
    const broken: Array<[(c: typeof good) => void, string]> = [
      [
        (c) => (c.series.columns = ['a', 'y']),
        'field "series.columns" has 2 entries but field "architecture.inputSize" is 3',
      ],
      [
        (c) => (c.scaler.shift = [0]),
        'field "scaler.shift" has 1 entries but field "architecture.inputSize" is 3',
      ],
      [(c) => (c.series.targetIndex = 3), 'field "series.targetIndex" must be an integer in [0, 3)'],
      [
        (c) => (c.series.horizon = 1),
        'field "series.horizon" is number 1 but field "architecture.horizon" is 2',
      ],
      [
        (c) => (c.series.tail.values = [1]),
        'field "series.tail.values" has 1 entries but "series.lookback" × "architecture.inputSize" is 6',
      ],
    ];
    for (const [patch, message] of broken) {
      const config = structuredClone(good);
      patch(config);
      // Saving refuses such a config as loading does.
      expect(() => modelToFiles({ config, stateDict: m.stateDict() }, 'saveModelDir')).toThrow(
        `saveModelDir: config: ${message}`,
      );
    }
  });
});

describe('non-finite weights', () => {
  it('are refused at load, naming the tensor, where, and the file', async () => {
    const dir = join(root, 'nan');
    const m = classifier();
    const sd = m.stateDict();
    sd['lstm.weight_hh_l0']!.f32[5] = Number.NaN;
    sd['lstm.weight_hh_l0']!.f32[7] = Number.POSITIVE_INFINITY;
    await saveModelDir(dir, { config: { architecture: m.config(), task: 'classification' }, stateDict: sd });
    expect((await rejection(loadModelDir(dir))).message).toBe(
      `${dir}/model.safetensors: tensor "lstm.weight_hh_l0" (12, 3) holds NaN at flat index 5 (2 non-finite values in all); ` +
        'a model with non-finite weights computes NaN: retrain it, or load an earlier checkpoint',
    );
  });

  it('in half precision too, for any architecture', () => {
    const weights = serializeSafetensors({
      w: { dtype: 'F16', shape: [2], data: Uint16Array.of(0x3c00, 0xfc00) },
    });
    const config = new TextEncoder().encode(
      JSON.stringify({
        format: 'kioku-model',
        formatVersion: 1,
        kiokuVersion: '0.1.0',
        architecture: { type: 'Mine' },
        task: 'x',
      }),
    );
    expect(() =>
      modelFromFiles({ 'config.json': config, 'model.safetensors': weights }, { source: 'web' }),
    ).toThrow(
      'web/model.safetensors: tensor "w" (2,) holds -Infinity at flat index 1 (1 non-finite value in all)',
    );
  });
});
