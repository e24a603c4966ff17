/*
 * Writes fixtures/keras/<case>/{keras2,keras3}/{model.json,weights.bin} and expected.json: one
 * model per case in the two layouts importTfjs reads, and the outputs Keras' own equations give.
 *
 * - keras2: the TF.js / Keras 2 layout (tensorflowjs_converter before Keras 3, tf.loadLayersModel):
 *   the first layer carries batch_input_shape, weight names start at the layer ("lstm/…").
 * - keras3: what tensorflowjs_converter writes for Keras 3: a leading InputLayer with batch_shape,
 *   Keras 3 layer configs (module, registered_name, DTypePolicy objects) and weight names under
 *   the model's name ("sequential/lstm/lstm_cell/kernel").
 *
 * Expected outputs: TF.js 4.22 running the keras2 files (classifier, forecaster), and a float64
 * Keras GRU (reset_after = true) step written from Keras' equations (gru, which TF.js cannot run).
 * Run: npx tsx scripts/fixtures_keras.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { exportTfjs, type TfjsModelJson, toKerasWeights } from '../src/io/tfjs.js';
import { SequenceForecaster, TextClassifier } from '../src/nn/heads.js';
import { GRU } from '../src/nn/rnn.js';
import { Generator, manualSeed } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import type { Tensor } from '../src/tensor/tensor.js';

type Json = Record<string, unknown>;
interface Spec {
  name: string;
  shape: number[];
  dtype: 'float32';
}
interface Files {
  modelJson: Json;
  weightData: Uint8Array;
}

const OUT = join(import.meta.dirname, '..', 'fixtures', 'keras');
const policy = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

/** A Keras 3 layer entry: its class, its config with a DTypePolicy, and Keras 3's bookkeeping. */
function keras3Layer(className: string, config: Json): Json {
  const { batch_input_shape: _, ...rest } = config;
  return {
    module: 'keras.layers',
    class_name: className,
    config: { ...rest, dtype: policy },
    registered_name: null,
  };
}

/** Renames the layers and weights of TF.js-layout files the way Keras 3 names them. */
function toKeras3(files: Files, inputShape: Array<number | null>, rename: Record<string, string>): Files {
  const topology = (files.modelJson as unknown as TfjsModelJson).modelTopology;
  const renameLayer = (layer: Json): Json => {
    const config = { ...(layer.config as Json) };
    config.name = rename[String(config.name)] ?? config.name;
    if (layer.class_name === 'Bidirectional') {
      const inner = config.layer as Json;
      const innerConfig = inner.config as Json;
      const innerName = rename[String(innerConfig.name)] ?? innerConfig.name;
      config.layer = keras3Layer(String(inner.class_name), { ...innerConfig, name: innerName });
    }
    return keras3Layer(String(layer.class_name), config);
  };
  const input = {
    class_name: 'InputLayer',
    config: { batch_shape: inputShape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' },
  };
  const specs = (files.modelJson.weightsManifest as Array<{ weights: Spec[] }>)[0]!.weights;
  const weights = specs.map((w) => ({ ...w, name: `sequential/${renameWeight(w.name, rename)}` }));
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v3.10.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '3.10.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          trainable: true,
          dtype: policy,
          layers: [input, ...topology.config.layers.map((l) => renameLayer(l as Json))],
          build_input_shape: inputShape,
        },
      },
    },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  return { modelJson, weightData: files.weightData };
}

/** "bidirectional_l0/forward_lstm_l0/kernel" → "bidirectional/forward_lstm/lstm_cell/kernel". */
function renameWeight(name: string, rename: Record<string, string>): string {
  const parts = name.split('/');
  const leaf = parts.pop()!;
  const scopes = parts.map((p) => rename[p] ?? p);
  const cell = /(lstm|gru|simple_rnn)/.exec(scopes[scopes.length - 1]!)?.[1];
  return [...scopes, ...(cell ? [`${cell}_cell`] : []), leaf].join('/');
}

function write(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(files.modelJson, null, 1)}\n`);
  writeFileSync(join(dir, 'weights.bin'), files.weightData);
}

async function tfjsPredict(files: Files, input: Float32Array, shape: number[]): Promise<number[]> {
  const json = files.modelJson as unknown as TfjsModelJson;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as Record<string, never>,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: files.weightData.slice().buffer,
    }),
  );
  const y = model.predict(tf.tensor(input, shape)) as InstanceType<typeof tf.Tensor>;
  return Array.from((await y.data()) as Float32Array);
}

function writeCase(
  name: string,
  k2: Files,
  k3: Files,
  input: number[],
  shape: number[],
  output: number[],
): void {
  write(join(OUT, name, 'keras2'), k2);
  write(join(OUT, name, 'keras3'), k3);
  writeFileSync(join(OUT, name, 'expected.json'), `${JSON.stringify({ shape, input, output })}\n`);
}

async function classifier(): Promise<void> {
  manualSeed(7);
  const model = new TextClassifier({
    vocabSize: 12,
    embedDim: 3,
    hiddenSize: 4,
    numLayers: 2,
    bidirectional: true,
    numClasses: 3,
  });
  const k2 = exportTfjs(model) as unknown as Files;
  const rename = {
    embedding: 'embedding',
    bidirectional_l0: 'bidirectional',
    bidirectional_l1: 'bidirectional_1',
    forward_lstm_l0: 'forward_lstm',
    backward_lstm_l0: 'backward_lstm',
    forward_lstm_l1: 'forward_lstm_1',
    backward_lstm_l1: 'backward_lstm_1',
    lstm_l0: 'lstm',
    lstm_l1: 'lstm_1',
    fc: 'dense',
  };
  const k3 = toKeras3(k2, [null, null], rename);
  // right-padded with 0 (mask_zero): lengths 5, 3, 1
  const ids = [3, 7, 1, 11, 5, 2, 9, 4, 0, 0, 6, 0, 0, 0, 0];
  const output = await tfjsPredict(k2, Float32Array.from(ids), [3, 5]);
  writeCase('classifier', k2, k3, ids, [3, 5], output);
}

async function forecaster(): Promise<void> {
  manualSeed(8);
  const model = new SequenceForecaster({
    inputSize: 2,
    hiddenSize: 4,
    numLayers: 2,
    cell: 'rnn',
    horizon: 3,
  });
  const k2 = exportTfjs(model) as unknown as Files;
  const rename = { rnn_l0: 'simple_rnn', rnn_l1: 'simple_rnn_1', fc: 'dense' };
  const k3 = toKeras3(k2, [null, null, 2], rename);
  const x = randn([2, 6, 2], { generator: new Generator(9) });
  const output = await tfjsPredict(k2, x.f32, [2, 6, 2]);
  writeCase('forecaster', k2, k3, Array.from(x.f32), [2, 6, 2], output);
}

/** Keras' GRU with reset_after = true, in float64: z, r, h column blocks; bias (2, G). */
function kerasGru(
  x: Float32Array,
  T: number,
  B: number,
  E: number,
  k: Tensor,
  rk: Tensor,
  bias: Tensor,
): number[] {
  const H = rk.shape[0]!;
  const G = 3 * H;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const out: number[] = [];
  const h = Array.from({ length: B }, () => new Float64Array(H));
  const steps: number[][][] = Array.from({ length: B }, () => []);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const mx = new Float64Array(G);
      const mh = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        mx[j] = bias.f32[j]!;
        mh[j] = bias.f32[G + j]!;
        for (let e = 0; e < E; e++) mx[j] += x[(b * T + t) * E + e]! * k.f32[e * G + j]!;
        for (let i = 0; i < H; i++) mh[j] += h[b]![i]! * rk.f32[i * G + j]!;
      }
      const next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const z = sig(mx[j]! + mh[j]!);
        const r = sig(mx[H + j]! + mh[H + j]!);
        const candidate = Math.tanh(mx[2 * H + j]! + r * mh[2 * H + j]!);
        next[j] = z * h[b]![j]! + (1 - z) * candidate;
      }
      h[b] = next;
      steps[b]!.push(Array.from(next));
    }
  }
  for (const s of steps) for (const v of s) out.push(...v);
  return out;
}

function gruFiles(name: string, k: Tensor, rk: Tensor, bias: Tensor, keras3: boolean): Files {
  const data = new Uint8Array((k.f32.length + rk.f32.length + bias.f32.length) * 4);
  const view = new DataView(data.buffer);
  let i = 0;
  for (const t of [k, rk, bias]) for (const v of t.f32) view.setFloat32(4 * i++, v, true);
  const config: Json = {
    name,
    trainable: true,
    units: rk.shape[0],
    activation: 'tanh',
    recurrent_activation: 'sigmoid',
    use_bias: true,
    return_sequences: true,
    return_state: false,
    go_backwards: false,
    stateful: false,
    unroll: false,
    reset_after: true,
    dropout: 0,
    recurrent_dropout: 0,
  };
  const scope = keras3 ? `sequential/${name}/gru_cell` : `${name}/gru_cell`;
  const weights = [
    { name: `${scope}/kernel`, shape: [...k.shape], dtype: 'float32' },
    { name: `${scope}/recurrent_kernel`, shape: [...rk.shape], dtype: 'float32' },
    { name: `${scope}/bias`, shape: [...bias.shape], dtype: 'float32' },
  ];
  const E = k.shape[0]!;
  const layers = keras3
    ? [
        {
          class_name: 'InputLayer',
          config: { batch_shape: [null, null, E], dtype: 'float32', name: 'input_layer' },
        },
        keras3Layer('GRU', config),
      ]
    : [{ class_name: 'GRU', config: { ...config, batch_input_shape: [null, null, E], dtype: 'float32' } }];
  const topology = { class_name: 'Sequential', config: { name: 'sequential', layers } };
  const modelJson = {
    format: 'layers-model',
    generatedBy: keras3 ? 'keras v3.10.0' : 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: keras3 ? '3.10.0' : '2.15.0',
      backend: 'tensorflow',
      model_config: topology,
    },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  return { modelJson, weightData: data };
}

function gru(): void {
  const layer = new GRU({ inputSize: 3, hiddenSize: 4, generator: new Generator(10) });
  const sd = layer.stateDict();
  const w = toKerasWeights('GRU', {
    weightIh: sd.weight_ih_l0!,
    weightHh: sd.weight_hh_l0!,
    biasIh: sd.bias_ih_l0!,
    biasHh: sd.bias_hh_l0!,
  });
  const x = randn([2, 5, 3], { generator: new Generator(11) });
  const output = kerasGru(x.f32, 5, 2, 3, w.kernel, w.recurrentKernel, w.bias!);
  const k2 = gruFiles('gru', w.kernel, w.recurrentKernel, w.bias!, false);
  const k3 = gruFiles('gru', w.kernel, w.recurrentKernel, w.bias!, true);
  writeCase('gru', k2, k3, Array.from(x.f32), [2, 5, 3], output);
}

await tf.setBackend('cpu');
await classifier();
await forecaster();
gru();
console.log(`wrote ${OUT}`);
