import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exportTfjs,
  fromKerasWeights,
  importTfjs,
  TfjsFormatError,
  toKerasWeights,
} from '../../src/io/tfjs.js';
import { SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

// @tensorflow/tfjs is a development dependency (pure JS cpu backend), loaded only here.
const tf = await import('@tensorflow/tfjs');
await tf.setBackend('cpu');

const TOL = 1e-5;

async function loadTf(model: Parameters<typeof exportTfjs>[0]) {
  const { modelJson, weightData } = exportTfjs(model);
  const json = JSON.parse(JSON.stringify(modelJson)) as typeof modelJson; // as read from model.json
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as Record<string, never>,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: weightData.slice().buffer,
    }),
  );
}

async function predict(m: Awaited<ReturnType<typeof loadTf>>, x: Tensor): Promise<Float32Array> {
  const input =
    x.dtype === 'int32' ? tf.tensor(Float32Array.from(x.data), [...x.shape]) : tf.tensor(x.f32, [...x.shape]);
  const y = m.predict(input) as InstanceType<typeof tf.Tensor>;
  const data = (await y.data()) as Float32Array;
  input.dispose();
  y.dispose();
  return data;
}

describe('TF.js layers export runs in tf.loadLayersModel with kioku outputs', () => {
  const generator = new Generator(31);
  for (const [name, layer] of [
    ['LSTM', new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true, generator })],
    [
      'LSTM 2 layers bidirectional',
      new LSTM({
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator,
      }),
    ],
    [
      'RNN relu without bias',
      new RNN({
        inputSize: 3,
        hiddenSize: 4,
        nonlinearity: 'relu',
        bias: false,
        batchFirst: true,
        generator,
      }),
    ],
    [
      'RNN tanh 2 layers bidirectional',
      new RNN({
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator,
      }),
    ],
  ] as const) {
    it(`${name} (unpadded input)`, async () => {
      const x = randn([2, 5, 3], { generator });
      const [y] = noGrad(() => layer.forward(x));
      expectClose(await predict(await loadTf(layer), x), y.f32, TOL, 'output');
    });
  }

  it('TextClassifier (LSTM, 2 bidirectional layers, last state): ragged batches through mask_zero', async () => {
    const model = new TextClassifier({
      vocabSize: 25,
      embedDim: 4,
      hiddenSize: 5,
      numLayers: 2,
      bidirectional: true,
      numClasses: 3,
    }).eval();
    const lengths = Int32Array.of(6, 2, 4);
    const ids = new Int32Array(3 * 6);
    for (let b = 0; b < 3; b++)
      for (let t = 0; t < lengths[b]!; t++) ids[b * 6 + t] = 1 + ((b * 7 + t * 3) % 24);
    const x = new Tensor(ids, [3, 6]);
    const logits = noGrad(() => model.forward(x, lengths));
    expectClose(await predict(await loadTf(model), x), logits.f32, TOL, 'logits');
  });

  it('SequenceForecaster (RNN, 2 layers)', async () => {
    const model = new SequenceForecaster({
      inputSize: 2,
      hiddenSize: 4,
      numLayers: 2,
      cell: 'rnn',
      horizon: 3,
    }).eval();
    const x = randn([2, 6, 2], { generator });
    expectClose(
      await predict(await loadTf(model), x),
      noGrad(() => model.forward(x)).f32,
      TOL,
      'predictions',
    );
  });

  it('refuses what TF.js layers cannot express, saying why', () => {
    expect(() => exportTfjs(new GRU({ inputSize: 2, hiddenSize: 2 }))).toThrow(
      /reset_after = false.*cannot represent/,
    );
    expect(() => exportTfjs(new LSTM({ inputSize: 2, hiddenSize: 3, projSize: 1 }))).toThrow(ValueError);
    expect(() => exportTfjs(new TextClassifier({ vocabSize: 5, pooling: 'mean' }))).toThrow(/pooling 'mean'/);
    expect(() => exportTfjs(new TextClassifier({ vocabSize: 5, bagOfWords: true }))).toThrow(
      'exportTfjs: a TextClassifier with a bag-of-words path has no TF.js layers equivalent; export it as ONNX or PyTorch',
    );
    expect(() => exportTfjs({} as unknown as LSTM)).toThrow(/got Object/);
  });
});

/** One step of Keras' GRU (reset_after = true) from Keras-layout weights: z, r, h gate columns. */
function kerasGruStep(x: Float32Array, h: Float32Array, k: Tensor, rk: Tensor, bias: Tensor): Float32Array {
  const H = h.length;
  const G = 3 * H;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const mx = new Float64Array(G);
  const mh = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    mx[j] = bias.f32[j]!;
    mh[j] = bias.f32[G + j]!;
    for (let e = 0; e < x.length; e++) mx[j] += x[e]! * k.f32[e * G + j]!;
    for (let i = 0; i < H; i++) mh[j] += h[i]! * rk.f32[i * G + j]!;
  }
  const out = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    const z = sig(mx[j]! + mh[j]!);
    const r = sig(mx[H + j]! + mh[H + j]!);
    const hh = Math.tanh(mx[2 * H + j]! + r * mh[2 * H + j]!);
    out[j] = z * h[j]! + (1 - z) * hh;
  }
  return out;
}

describe('Keras weights', () => {
  const generator = new Generator(41);

  it("GRU (reset_after = true) weights follow Keras' equations", () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 2, generator });
    const sd = gru.stateDict();
    const keras = toKerasWeights('GRU', {
      weightIh: sd.weight_ih_l0!,
      weightHh: sd.weight_hh_l0!,
      biasIh: sd.bias_ih_l0!,
      biasHh: sd.bias_hh_l0!,
    });
    expect(keras.bias!.shape).toEqual([2, 6]);
    const x = randn([1, 1, 3], { generator });
    const h0 = randn([1, 1, 2], { generator });
    const [, hN] = noGrad(() => gru.forward(x, h0));
    expectClose(
      hN.f32,
      kerasGruStep(x.f32, h0.f32, keras.kernel, keras.recurrentKernel, keras.bias!),
      1e-6,
      'h',
    );
  });

  it('LSTM and GRU weights round-trip; LSTM keeps the sum of its biases', () => {
    for (const kind of ['LSTM', 'GRU', 'RNN'] as const) {
      const G = { LSTM: 12, GRU: 9, RNN: 3 }[kind];
      const w = {
        weightIh: randn([G, 2], { generator }),
        weightHh: randn([G, 3], { generator }),
        biasIh: randn([G], { generator }),
        biasHh: randn([G], { generator }),
      };
      const back = fromKerasWeights(kind, toKerasWeights(kind, w), { resetAfter: true });
      expect(back.weightIh.f32, kind).toEqual(w.weightIh.f32);
      expect(back.weightHh.f32, kind).toEqual(w.weightHh.f32);
      const sum = (a: Tensor, b: Tensor) => Array.from(a.f32, (v, i) => v + b.f32[i]!);
      if (kind === 'GRU') {
        expect(back.biasIh!.f32).toEqual(w.biasIh.f32);
        expect(back.biasHh!.f32).toEqual(w.biasHh.f32);
      } else {
        expectClose(sum(back.biasIh!, back.biasHh!), sum(w.biasIh, w.biasHh), 1e-7, `${kind} bias`);
      }
    }
  });

  it('GRU with reset_after = false is refused with the reason', () => {
    const w = {
      kernel: randn([2, 6], { generator }),
      recurrentKernel: randn([2, 6], { generator }),
      bias: randn([6], { generator }),
    };
    expect(() => fromKerasWeights('GRU', w, { resetAfter: false })).toThrow(
      /reset_after = false.*cannot represent/,
    );
  });
});

describe('importTfjs', () => {
  const generator = new Generator(51);

  it('reads an exported classifier back into an equal kioku model', async () => {
    const model = new TextClassifier({
      vocabSize: 12,
      embedDim: 3,
      hiddenSize: 4,
      numLayers: 2,
      bidirectional: true,
    });
    const { modelJson, weightData } = exportTfjs(model);
    const back = importTfjs(JSON.parse(JSON.stringify(modelJson)), weightData) as TextClassifier;
    expect(back).toBeInstanceOf(TextClassifier);
    const ids = new Tensor(
      Int32Array.from({ length: 10 }, (_, i) => 1 + (i % 11)),
      [2, 5],
    );
    const lengths = Int32Array.of(5, 3);
    expectClose(
      noGrad(() => back.eval().forward(ids, lengths)).f32,
      noGrad(() => model.eval().forward(ids, lengths)).f32,
      TOL,
      'logits',
    );
  });

  it('reads a Keras GRU (reset_after = true) model and refuses reset_after = false', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 2, batchFirst: true, generator });
    const sd = gru.stateDict();
    const k = toKerasWeights('GRU', {
      weightIh: sd.weight_ih_l0!,
      weightHh: sd.weight_hh_l0!,
      biasIh: sd.bias_ih_l0!,
      biasHh: sd.bias_hh_l0!,
    });
    const specs = [
      { name: 'gru/gru_cell/kernel', shape: k.kernel.shape, dtype: 'float32' },
      { name: 'gru/gru_cell/recurrent_kernel', shape: k.recurrentKernel.shape, dtype: 'float32' },
      { name: 'gru/gru_cell/bias', shape: k.bias!.shape, dtype: 'float32' },
    ];
    const data = new Uint8Array(
      new Float32Array([...k.kernel.f32, ...k.recurrentKernel.f32, ...k.bias!.f32]).buffer,
    );
    const layerJson = (resetAfter: boolean, recurrentActivation = 'sigmoid') => ({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'keras',
          layers: [
            {
              class_name: 'GRU',
              config: {
                name: 'gru',
                units: 2,
                activation: 'tanh',
                recurrent_activation: recurrentActivation,
                reset_after: resetAfter,
                return_sequences: true,
              },
            },
          ],
        },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
    });
    const back = importTfjs(layerJson(true), data) as GRU;
    expect(back).toBeInstanceOf(GRU);
    const x = randn([2, 4, 3], { generator });
    expectClose(noGrad(() => back.forward(x)[0]).f32, noGrad(() => gru.forward(x)[0]).f32, TOL, 'output');
    expect(() => importTfjs(layerJson(false), data)).toThrow(TfjsFormatError);
    expect(() => importTfjs(layerJson(false), data)).toThrow(/reset_after = false/);
    expect(() => importTfjs(layerJson(true, 'hard_sigmoid'), data)).toThrow(
      /recurrent_activation must be 'sigmoid'/,
    );
  });

  it('malformed model.json or weight data is a TfjsFormatError', () => {
    const { modelJson, weightData } = exportTfjs(new LSTM({ inputSize: 2, hiddenSize: 2 }));
    const json = JSON.parse(JSON.stringify(modelJson));
    expect(() => importTfjs(json, weightData.subarray(0, weightData.length - 4))).toThrow(
      /"lstm_l0\/bias"\) needs 32 bytes at offset 128, but the weight data has 156/,
    );
    expect(() => importTfjs(json, new Uint8Array([...weightData, 0, 0, 0, 0]))).toThrow(
      /has 164 bytes but the manifest describes 160/,
    );
    expect(() => importTfjs({ ...json, modelTopology: undefined }, weightData)).toThrow(TfjsFormatError);
    expect(() => importTfjs('model', weightData)).toThrow(TfjsFormatError);
    const quantized = JSON.parse(JSON.stringify(modelJson));
    quantized.weightsManifest[0].weights[0].dtype = 'int8';
    expect(() => importTfjs(quantized, weightData)).toThrow(/must be float32, got int8/);
  });
});

describe('importTfjs reads Keras 2 / TF.js and Keras 3 files (fixtures/keras)', () => {
  // Each case is one model in both layouts; expected.json holds what Keras' equations give for
  // its input (TF.js 4.22 on the keras2 files; a float64 Keras GRU for the GRU, which TF.js
  // cannot run). Written by scripts/fixtures_keras.ts.
  const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'keras');
  const load = (name: string, layout: string) =>
    importTfjs(
      JSON.parse(readFileSync(join(dir, name, layout, 'model.json'), 'utf8')),
      new Uint8Array(readFileSync(join(dir, name, layout, 'weights.bin'))),
    );
  const expected = (name: string) =>
    JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as {
      shape: number[];
      input: number[];
      output: number[];
    };

  for (const layout of ['keras2', 'keras3']) {
    it(`${layout}: Embedding → 2 bidirectional LSTMs → Dense is a TextClassifier with Keras' logits`, () => {
      const { shape, input, output } = expected('classifier');
      const model = load('classifier', layout) as TextClassifier;
      expect(model).toBeInstanceOf(TextClassifier);
      const ids = new Tensor(Int32Array.from(input), shape);
      // right-padded with token 0: each length is the count of non-zero ids
      const lengths = Int32Array.from({ length: shape[0]! }, (_, b) =>
        input.slice(b * shape[1]!, (b + 1) * shape[1]!).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0),
      );
      expectClose(noGrad(() => model.eval().forward(ids, lengths)).f32, output, TOL, 'logits');
    });

    it(`${layout}: 2 SimpleRNNs → Dense is a SequenceForecaster with Keras' predictions`, () => {
      const { shape, input, output } = expected('forecaster');
      const model = load('forecaster', layout) as SequenceForecaster;
      expect(model).toBeInstanceOf(SequenceForecaster);
      const x = new Tensor(Float32Array.from(input), shape);
      expectClose(noGrad(() => model.eval().forward(x)).f32, output, TOL, 'predictions');
    });

    it(`${layout}: a GRU (reset_after = true) is a batch-first GRU with Keras' outputs`, () => {
      const { shape, input, output } = expected('gru');
      const layer = load('gru', layout) as GRU;
      expect(layer).toBeInstanceOf(GRU);
      const [y] = noGrad(() => layer.forward(new Tensor(Float32Array.from(input), shape)));
      expectClose(y.f32, output, TOL, 'output');
    });
  }

  it('a Keras 3 InputLayer that disagrees with the first layer is refused, naming both sizes', () => {
    const json = JSON.parse(readFileSync(join(dir, 'gru', 'keras3', 'model.json'), 'utf8'));
    json.modelTopology.model_config.config.layers[0].config.batch_shape = [null, null, 7];
    const weights = new Uint8Array(readFileSync(join(dir, 'gru', 'keras3', 'weights.bin')));
    expect(() => importTfjs(json, weights)).toThrow(
      /the InputLayer gives 7 features, the first recurrent layer takes 3/,
    );
  });
});
