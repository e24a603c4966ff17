/**
 * TensorFlow.js / Keras interop: export to a TF.js layers model (model.json + weights.bin) that
 * `tf.loadLayersModel` runs, and import of Keras/TF.js recurrent weights into kioku.
 *
 * Keras keeps one matrix per kind of input, transposed relative to PyTorch:
 *   kernel: (E, G) = W_ihᵀ, recurrent_kernel: (H, G) = W_hhᵀ
 *   LSTM  gates i, f, c, o (PyTorch's i, f, g, o), bias (G) = b_ih + b_hh
 *   GRU   gates z, r, h (PyTorch's r, z, n); with reset_after = true the bias is (2, G):
 *         [input bias; recurrent bias] and r multiplies (U_h·h + b_hh_h), PyTorch's form
 *   SimpleRNN bias (H) = b_ih + b_hh
 * The recurrent activation must be sigmoid (TF.js defaults to hard_sigmoid), so it is written
 * explicitly.
 *
 * Limits of the export: TF.js models are batch-first and take no per-sample lengths. A bare layer
 * matches kioku on unpadded (equal-length) input. A TextClassifier whose paddingIdx is 0 exports
 * its embedding with mask_zero = true, so right-padded batches (token 0 = padding, never inside a
 * sequence) give kioku's results with lengths = the number of non-padding tokens. TF.js 4's GRU
 * supports only reset_after = false, which cannot represent PyTorch's GRU, so GRU models are
 * refused (export them as ONNX); GRU weights with reset_after = true still import.
 */
import {
  invertOrder,
  kindOfLayer,
  permuteBlocks,
  RECURRENT_KINDS,
  type RecurrentKindInfo,
  type RecurrentLayerName,
} from '../backend/recurrent-kinds.js';
import { SequenceForecaster, TextClassifier } from '../nn/heads.js';
import { GRU, LSTM, RNN } from '../nn/rnn.js';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { modelKind } from './model-kind.js';

/** A model.json or weight set that is malformed or describes something kioku cannot load. */
export class TfjsFormatError extends KiokuError {
  override name = 'TfjsFormatError';
}

/** The recurrent layer class a weight set belongs to (its layout does not depend on the RNN's activation). */
export type RecurrentKind = RecurrentLayerName;
export type TfjsExportable = RNN | LSTM | GRU | TextClassifier | SequenceForecaster;

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

/** PyTorch-layout weights of one layer and direction. */
export interface TorchRecurrentWeights {
  weightIh: Tensor; // (G, E)
  weightHh: Tensor; // (G, H)
  biasIh: Tensor | null; // (G)
  biasHh: Tensor | null; // (G)
}

/** Keras-layout weights of one recurrent layer (one direction). */
export interface KerasRecurrentWeights {
  kernel: Tensor; // (E, G)
  recurrentKernel: Tensor; // (H, G)
  /** (G), or (2, G) for a GRU with reset_after = true; null without biases. */
  bias: Tensor | null;
}

/** The table entry of a layer class; throws a ValueError naming `where` for anything else. */
function kindInfo(where: string, kind: RecurrentKind): RecurrentKindInfo {
  if (kind !== 'LSTM' && kind !== 'GRU' && kind !== 'RNN') {
    throw new ValueError(`${where}: kind must be LSTM, GRU or RNN, got ${String(kind)}`);
  }
  return RECURRENT_KINDS[kindOfLayer(kind)];
}

/** Reorders the H-wide gate blocks of each of `rows` rows from PyTorch's order to Keras'. */
function toKerasGates(data: Float32Array, info: RecurrentKindInfo, rows: number, H: number): Float32Array {
  return permuteBlocks(data, info.keras.order, H, rows);
}

/** Reorders the H-wide gate blocks of each of `rows` rows from Keras' order to PyTorch's. */
function fromKerasGates(data: Float32Array, info: RecurrentKindInfo, rows: number, H: number): Float32Array {
  return permuteBlocks(data, invertOrder(info.keras.order), H, rows);
}

/** (R, C) → (C, R). */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function checkMatrix(what: string, t: unknown, shape: readonly number[]): Tensor {
  if (!(t instanceof Tensor) || t.dtype !== 'float32') {
    throw new ValueError(`${what} must be a float32 Tensor, got ${t instanceof Tensor ? t.dtype : typeof t}`);
  }
  if (t.ndim !== shape.length || t.shape.some((d, i) => shape[i]! >= 0 && d !== shape[i])) {
    const want = `(${shape.map((d) => (d < 0 ? '?' : d)).join(', ')})`;
    throw new ValueError(`${what} must have shape ${want}, got (${t.shape.join(', ')})`);
  }
  return t;
}

/** PyTorch-layout weights of one direction → Keras layout (GRU with reset_after = true). */
export function toKerasWeights(kind: RecurrentKind, w: TorchRecurrentWeights): KerasRecurrentWeights {
  const info = kindInfo('toKerasWeights', kind);
  const gates = info.gates.length;
  const ih = checkMatrix('toKerasWeights: weightIh', w.weightIh, [-1, -1]);
  const [G, E] = ih.shape as [number, number];
  const H = G / gates;
  if (!Number.isInteger(H))
    throw new ValueError(`toKerasWeights: weightIh rows (${G}) must be ${gates}·H for ${kind}`);
  checkMatrix('toKerasWeights: weightHh', w.weightHh, [G, H]);
  if ((w.biasIh === null) !== (w.biasHh === null)) {
    throw new ValueError('toKerasWeights: give both biasIh and biasHh, or neither');
  }
  const kernel = new Tensor(toKerasGates(transpose2d(ih.f32, G, E), info, E, H), [E, G]);
  const recurrentKernel = new Tensor(toKerasGates(transpose2d(w.weightHh.f32, G, H), info, H, H), [H, G]);
  if (w.biasIh === null) return { kernel, recurrentKernel, bias: null };
  const bih = checkMatrix('toKerasWeights: biasIh', w.biasIh, [G]).f32;
  const bhh = checkMatrix('toKerasWeights: biasHh', w.biasHh, [G]).f32;
  if (info.keras.bias === 'split') {
    const b = new Float32Array(2 * G);
    b.set(bih);
    b.set(bhh, G);
    return { kernel, recurrentKernel, bias: new Tensor(toKerasGates(b, info, 2, H), [2, G]) };
  }
  return {
    kernel,
    recurrentKernel,
    bias: new Tensor(
      bih.map((v, i) => v + bhh[i]!),
      [G],
    ),
  };
}

/**
 * Keras-layout weights of one direction → PyTorch layout. LSTM and SimpleRNN biases become
 * bias_ih (bias_hh = 0: only the sum matters). A GRU needs reset_after = true: Keras' other form
 * applies the reset gate before the recurrent matrix, r ⊙ h, which PyTorch's GRU cannot express.
 */
export function fromKerasWeights(
  kind: RecurrentKind,
  w: KerasRecurrentWeights,
  options: { resetAfter?: boolean } = {},
): TorchRecurrentWeights {
  const info = kindInfo('fromKerasWeights', kind);
  const gates = info.gates.length;
  if (info.keras.bias === 'split' && options.resetAfter === false) {
    throw new ValueError(
      'fromKerasWeights: a GRU with reset_after = false computes tanh(W·x + U·(r ⊙ h) + b), which PyTorch and kioku (r ⊙ (U·h + b_hn)) cannot represent; retrain it in Keras with reset_after = true',
    );
  }
  const k = checkMatrix('fromKerasWeights: kernel', w.kernel, [-1, -1]);
  const [E, G] = k.shape as [number, number];
  const H = G / gates;
  if (!Number.isInteger(H))
    throw new ValueError(`fromKerasWeights: kernel columns (${G}) must be ${gates}·H for ${kind}`);
  checkMatrix('fromKerasWeights: recurrentKernel', w.recurrentKernel, [H, G]);
  const weightIh = new Tensor(transpose2d(fromKerasGates(k.f32, info, E, H), E, G), [G, E]);
  const weightHh = new Tensor(transpose2d(fromKerasGates(w.recurrentKernel.f32, info, H, H), H, G), [G, H]);
  if (w.bias === null) return { weightIh, weightHh, biasIh: null, biasHh: null };
  if (info.keras.bias === 'split') {
    const split = checkMatrix('fromKerasWeights: bias (GRU, reset_after)', w.bias, [2, G]);
    const b = fromKerasGates(split.f32, info, 2, H);
    return {
      weightIh,
      weightHh,
      biasIh: new Tensor(b.slice(0, G), [G]),
      biasHh: new Tensor(b.slice(G), [G]),
    };
  }
  const b = checkMatrix('fromKerasWeights: bias', w.bias, [G]);
  return {
    weightIh,
    weightHh,
    biasIh: new Tensor(b.f32.slice(), [G]),
    biasHh: new Tensor(new Float32Array(G), [G]),
  };
}

// ---------------------------------------------------------------- export

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** The model.json of a TF.js layers model. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: unknown[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

export interface TfjsArtifacts {
  modelJson: TfjsModelJson;
  /** weights.bin: the weights of `modelJson.weightsManifest[0].weights`, in order, float32 LE. */
  weightData: Uint8Array;
}

class Weights {
  readonly specs: WeightSpec[] = [];
  private readonly parts: Float32Array[] = [];

  add(name: string, t: Tensor): void {
    this.specs.push({ name, shape: [...t.shape], dtype: 'float32' });
    this.parts.push(t.f32);
  }

  bytes(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total * 4);
    const view = new DataView(out.buffer);
    let i = 0;
    for (const p of this.parts) for (const v of p) view.setFloat32(4 * i++, v, true);
    return out;
  }
}

function recurrentKind(rnn: RNN | LSTM | GRU): RecurrentKind {
  return RECURRENT_KINDS[rnn.mode].layer;
}

function checkExportable(rnn: RNN | LSTM | GRU): void {
  if (rnn instanceof GRU) {
    throw new ValueError(
      "exportTfjs: TF.js 4's GRU layer supports only reset_after = false (reset gate before the recurrent matrix), which cannot represent kioku's (PyTorch's) GRU; export GRU models as ONNX or PyTorch",
    );
  }
  if (rnn instanceof LSTM && rnn.projSize > 0) {
    throw new ValueError(
      `exportTfjs: an LSTM with projSize ${rnn.projSize} has no TF.js equivalent; use projSize 0`,
    );
  }
}

/**
 * Layer configs and weights of a kioku recurrent stack: one (Bidirectional-wrapped) Keras layer
 * per kioku layer; all return sequences except the last when `lastReturnsSequence` is false.
 */
function recurrentLayers(
  rnn: RNN | LSTM,
  weights: Weights,
  lastReturnsSequence: boolean,
  batchInputShape: Array<number | null> | null,
): unknown[] {
  const kind = recurrentKind(rnn);
  const className = kindInfo('exportTfjs', kind).keras.className;
  const sd = rnn.stateDict();
  const layers: unknown[] = [];
  for (let l = 0; l < rnn.numLayers; l++) {
    const name = `${kind.toLowerCase()}_l${l}`;
    const config: Record<string, unknown> = {
      name,
      trainable: true,
      dtype: 'float32',
      units: rnn.hiddenSize,
      activation: RECURRENT_KINDS[rnn.mode].activation,
      use_bias: rnn.bias,
      return_sequences: lastReturnsSequence || l < rnn.numLayers - 1,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      dropout: 0,
      recurrent_dropout: 0,
    };
    if (kind === 'LSTM') {
      config.recurrent_activation = 'sigmoid';
      config.unit_forget_bias = false;
    }
    const directions = rnn.bidirectional ? ['forward', 'backward'] : [''];
    directions.forEach((dir, d) => {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const k = toKerasWeights(kind, {
        weightIh: sd[`weight_ih${sfx}`]!,
        weightHh: sd[`weight_hh${sfx}`]!,
        biasIh: sd[`bias_ih${sfx}`] ?? null,
        biasHh: sd[`bias_hh${sfx}`] ?? null,
      });
      const prefix = rnn.bidirectional ? `bidirectional_l${l}/${dir}_${name}` : name;
      weights.add(`${prefix}/kernel`, k.kernel);
      weights.add(`${prefix}/recurrent_kernel`, k.recurrentKernel);
      if (k.bias) weights.add(`${prefix}/bias`, k.bias);
    });
    const first = l === 0 && batchInputShape ? { batch_input_shape: batchInputShape } : {};
    if (rnn.bidirectional) {
      layers.push({
        class_name: 'Bidirectional',
        config: {
          name: `bidirectional_l${l}`,
          trainable: true,
          merge_mode: 'concat',
          layer: { class_name: className, config },
          ...first,
        },
      });
    } else {
      layers.push({ class_name: className, config: { ...config, ...first } });
    }
  }
  return layers;
}

function dense(fcWeight: Tensor, fcBias: Tensor | null, weights: Weights): unknown {
  const [O, F] = fcWeight.shape as [number, number];
  weights.add('fc/kernel', new Tensor(transpose2d(fcWeight.f32, O, F), [F, O]));
  if (fcBias) weights.add('fc/bias', fcBias);
  return {
    class_name: 'Dense',
    config: {
      name: 'fc',
      trainable: true,
      dtype: 'float32',
      units: O,
      activation: 'linear',
      use_bias: fcBias !== null,
    },
  };
}

/**
 * A TF.js layers model of `model`: an LSTM or RNN layer (input (B, T, E) → sequence output
 * (B, T, D·H)), a TextClassifier with pooling 'last' (input ids (B, T) → logits (B, O)) or a
 * SequenceForecaster (x (B, T, E) → (B, horizon·O)). Dropout is left out (inference model).
 */
export function exportTfjs(model: TfjsExportable): TfjsArtifacts {
  const weights = new Weights();
  let layers: unknown[];
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    checkExportable(model);
    layers = recurrentLayers(model as RNN | LSTM, weights, true, [null, null, model.inputSize]);
  } else if (model instanceof TextClassifier) {
    const s = model.settings;
    checkExportable(model.rnn);
    if (model.bag) {
      throw new ValueError(
        'exportTfjs: a TextClassifier with a bag-of-words path has no TF.js layers equivalent; export it as ONNX or PyTorch',
      );
    }
    if (s.pooling !== 'last') {
      throw new ValueError(
        `exportTfjs: a TextClassifier with pooling '${s.pooling}' has no TF.js layers equivalent over padded batches; use pooling 'last', or export as ONNX`,
      );
    }
    weights.add('embedding/embeddings', model.embedding.weight);
    layers = [
      {
        class_name: 'Embedding',
        config: {
          name: 'embedding',
          trainable: true,
          dtype: 'float32',
          input_dim: s.vocabSize,
          output_dim: s.embedDim,
          mask_zero: model.embedding.paddingIdx === 0,
          batch_input_shape: [null, null],
        },
      },
      ...recurrentLayers(model.rnn as RNN | LSTM, weights, false, null),
      dense(model.fc.weight, model.fc.bias, weights),
    ];
  } else if (model instanceof SequenceForecaster) {
    checkExportable(model.rnn);
    layers = [
      ...recurrentLayers(model.rnn as RNN | LSTM, weights, false, [null, null, model.settings.inputSize]),
      dense(model.fc.weight, model.fc.bias, weights),
    ];
  } else {
    throw new ValueError(
      `exportTfjs: model must be an RNN, LSTM, TextClassifier or SequenceForecaster, got ${modelKind(model)}`,
    );
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'kioku',
      convertedBy: null,
      modelTopology: {
        class_name: 'Sequential',
        config: { name: modelKind(model), layers },
        keras_version: 'tfjs-layers 4.22.0',
        backend: 'tensor_flow.js',
      },
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: weights.specs }],
    },
    weightData: weights.bytes(),
  };
}

/** model.json and weights.bin as file contents. */
export function tfjsFiles(model: TfjsExportable): Record<string, Uint8Array | string> {
  const { modelJson, weightData } = exportTfjs(model);
  return { [TFJS_MODEL_FILE]: `${JSON.stringify(modelJson)}\n`, [TFJS_WEIGHTS_FILE]: weightData };
}

// ---------------------------------------------------------------- import

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(message: string): never {
  throw new TfjsFormatError(`importTfjs: ${message}`);
}

/** Manifest weights by name, read from `weightData` in manifest order (float32 only). */
function readWeights(manifest: unknown, weightData: Uint8Array): Map<string, Tensor> {
  if (!Array.isArray(manifest))
    fail(`weightsManifest must be a list of weight groups, got ${typeof manifest}`);
  const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  const out = new Map<string, Tensor>();
  let offset = 0;
  manifest.forEach((group, gi) => {
    if (!isObject(group) || !Array.isArray(group.weights))
      fail(`weightsManifest[${gi}] must have a "weights" list`);
    for (const [wi, spec] of group.weights.entries()) {
      const where = `weightsManifest[${gi}].weights[${wi}]`;
      if (!isObject(spec) || typeof spec.name !== 'string') fail(`${where} must have a string "name"`);
      if (spec.dtype !== 'float32')
        fail(`${where} ("${spec.name}") must be float32, got ${String(spec.dtype)}`);
      if (spec.quantization !== undefined)
        fail(`${where} ("${spec.name}") is quantized; only float32 weights are read`);
      const shape = spec.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        fail(`${where} ("${spec.name}") must have a shape of non-negative integers`);
      }
      const count = (shape as number[]).reduce((a, d) => a * d, 1);
      if (!Number.isSafeInteger(count) || offset + count * 4 > weightData.byteLength) {
        fail(
          `${where} ("${spec.name}") needs ${count * 4} bytes at offset ${offset}, but the weight data has ${weightData.byteLength}`,
        );
      }
      if (out.has(spec.name)) fail(`${where}: the name "${spec.name}" appears twice`);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
      offset += count * 4;
      out.set(spec.name, new Tensor(data, shape as number[]));
    }
  });
  if (offset !== weightData.byteLength) {
    fail(`the weight data has ${weightData.byteLength} bytes but the manifest describes ${offset}`);
  }
  return out;
}

/** Keras layer class → kioku layer class. */
const RECURRENT_CLASSES: ReadonlyMap<string, RecurrentKind> = new Map(
  (['LSTM', 'GRU', 'RNN'] as const).map((layer) => [kindInfo('importTfjs', layer).keras.className, layer]),
);

interface ParsedRecurrent {
  kind: RecurrentKind;
  units: number;
  bidirectional: boolean;
  returnSequences: boolean;
  useBias: boolean;
  nonlinearity: 'tanh' | 'relu';
  resetAfter: boolean;
  /** Weight-name prefix per direction. */
  prefixes: string[];
}

function parseRecurrent(layer: Json, index: number): ParsedRecurrent {
  const where = `layer ${index} (${String(layer.class_name)})`;
  let inner = layer;
  let bidirectional = false;
  const outer = isObject(layer.config) ? layer.config : fail(`${where} has no config`);
  if (layer.class_name === 'Bidirectional') {
    bidirectional = true;
    if ((outer.merge_mode ?? 'concat') !== 'concat') {
      fail(
        `${where}: merge_mode must be 'concat' (kioku concatenates directions), got ${String(outer.merge_mode)}`,
      );
    }
    inner = isObject(outer.layer) ? outer.layer : fail(`${where} has no wrapped layer`);
  }
  const kind = RECURRENT_CLASSES.get(String(inner.class_name));
  if (!kind) fail(`${where}: expected LSTM, GRU or SimpleRNN, got ${String(inner.class_name)}`);
  const c = isObject(inner.config) ? inner.config : fail(`${where} has no config`);
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1)
    fail(`${where}: units must be a positive integer, got ${String(units)}`);
  const activation = c.activation ?? 'tanh';
  if (kind === 'RNN' ? activation !== 'tanh' && activation !== 'relu' : activation !== 'tanh') {
    fail(
      `${where}: activation '${String(activation)}' has no kioku equivalent (tanh${kind === 'RNN' ? ' or relu' : ''})`,
    );
  }
  if (kind !== 'RNN' && c.recurrent_activation !== 'sigmoid') {
    fail(
      `${where}: recurrent_activation must be 'sigmoid' (PyTorch's gates), got '${String(c.recurrent_activation ?? 'hard_sigmoid (the TF.js default)')}'`,
    );
  }
  if (c.go_backwards === true)
    fail(`${where}: go_backwards = true is not supported outside a Bidirectional wrapper`);
  const resetAfter = c.reset_after === true;
  if (kind === 'GRU' && !resetAfter) {
    fail(
      `${where}: a GRU with reset_after = false computes tanh(W·x + U·(r ⊙ h) + b), which kioku's (PyTorch's) GRU, r ⊙ (U·h + b_hn), cannot represent; retrain it with reset_after = true`,
    );
  }
  const name = String(bidirectional ? outer.name : c.name);
  return {
    kind,
    units: units as number,
    bidirectional,
    returnSequences: c.return_sequences === true,
    useBias: c.use_bias !== false,
    nonlinearity: activation as 'tanh' | 'relu',
    resetAfter,
    prefixes: bidirectional ? [`${name}/forward`, `${name}/backward`] : [`${name}/`],
  };
}

/**
 * A model's weights by manifest name. Keras 3 (through tensorflowjs_converter) prefixes every
 * name with the model's name ("sequential/lstm/lstm_cell/kernel"); Keras 2 and TF.js do not
 * ("lstm/lstm_cell/kernel"). Lookups accept both.
 */
interface WeightSet {
  tensors: Map<string, Tensor>;
  /** The model's name, or null when the topology has none. */
  model: string | null;
}

/** The weights under `prefix` whose last name segment is `leaf` (exactly one, or none if optional). */
function pick(weights: WeightSet, prefix: string, leaf: string, optional = false): Tensor | null {
  const scoped = weights.model === null ? null : `${weights.model}/${prefix}`;
  const found = [...weights.tensors].filter(
    ([n]) =>
      (n.startsWith(prefix) || (scoped !== null && n.startsWith(scoped))) && n.split('/').pop() === leaf,
  );
  if (found.length === 1) return found[0]![1];
  if (found.length === 0 && optional) return null;
  return fail(
    `expected one weight named "${prefix}…/${leaf}", found ${found.length}${found.length ? `: ${found.map(([n]) => n).join(', ')}` : ''}`,
  );
}

/** kioku state-dict entries of one recurrent layer l (all directions). */
function recurrentState(
  weights: WeightSet,
  p: ParsedRecurrent,
  l: number,
  out: Record<string, Tensor>,
): number {
  let inputSize = 0;
  p.prefixes.forEach((prefix, d) => {
    const kernel = pick(weights, prefix, 'kernel')!;
    const t = fromKerasWeights(
      p.kind,
      {
        kernel,
        recurrentKernel: pick(weights, prefix, 'recurrent_kernel')!,
        bias: p.useBias ? pick(weights, prefix, 'bias') : null,
      },
      { resetAfter: p.resetAfter },
    );
    if (t.weightHh.shape[1] !== p.units)
      fail(`${prefix}: recurrent_kernel has ${t.weightHh.shape[1]} rows, units is ${p.units}`);
    inputSize = kernel.shape[0]!;
    const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
    out[`weight_ih${sfx}`] = t.weightIh;
    out[`weight_hh${sfx}`] = t.weightHh;
    if (t.biasIh && t.biasHh) {
      out[`bias_ih${sfx}`] = t.biasIh;
      out[`bias_hh${sfx}`] = t.biasHh;
    }
  });
  return inputSize;
}

function prefixed(prefix: string, sd: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [`${prefix}.${k}`, v]));
}

/** The layer list and name of a Sequential model.json topology. */
function readTopology(modelJson: Json): { layers: Json[]; model: string | null } {
  const topology = isObject(modelJson.modelTopology)
    ? modelJson.modelTopology
    : fail('modelTopology is missing');
  // tensorflowjs_converter nests Keras' model_config; TF.js writes the topology directly.
  const top = isObject(topology.model_config) ? topology.model_config : topology;
  if (top.class_name !== 'Sequential') fail(`only Sequential models are read, got ${String(top.class_name)}`);
  const config = top.config;
  const layers = Array.isArray(config)
    ? config
    : isObject(config) && Array.isArray(config.layers)
      ? config.layers
      : fail('the Sequential config has no layer list');
  if (!layers.every(isObject)) fail('every layer must be an object');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : null;
  return { layers: layers as Json[], model: name };
}

/** A model's layers by role: [InputLayer] [Embedding] recurrent… [Dense]. */
interface Stack {
  /** The declared input's last dimension (features per step), when an InputLayer gives it. */
  inputFeatures: number | null;
  embedding: Json | null;
  recurrent: ParsedRecurrent[];
  dense: Json | null;
}

/** The declared batch shape of an InputLayer: Keras 3 writes batch_shape, Keras 2 batch_input_shape. */
function inputFeatures(layer: Json): number | null {
  const c = isObject(layer.config) ? layer.config : fail('the InputLayer has no config');
  const shape = c.batch_shape ?? c.batch_input_shape;
  if (!Array.isArray(shape)) fail('the InputLayer has neither batch_shape nor batch_input_shape');
  const last = shape[shape.length - 1];
  return Number.isInteger(last) ? (last as number) : null;
}

function splitStack(list: Json[]): Stack {
  let i = 0;
  const features = list[0]?.class_name === 'InputLayer' ? inputFeatures(list[i++]!) : null;
  const embedding = list[i]?.class_name === 'Embedding' ? list[i++]! : null;
  const recurrent: ParsedRecurrent[] = [];
  while (i < list.length && list[i]!.class_name !== 'Dense') recurrent.push(parseRecurrent(list[i]!, i++));
  const dense = i < list.length ? list[i++]! : null;
  if (i < list.length)
    fail(
      `layer ${i} (${String(list[i]!.class_name)}) follows the Dense layer; only one Dense head is supported`,
    );
  if (recurrent.length === 0) fail('the model has no LSTM, GRU or SimpleRNN layer');
  const first = recurrent[0]!;
  recurrent.forEach((r, l) => {
    const same =
      r.kind === first.kind &&
      r.units === first.units &&
      r.bidirectional === first.bidirectional &&
      r.useBias === first.useBias &&
      r.nonlinearity === first.nonlinearity;
    if (!same)
      fail(
        `recurrent layer ${l} differs from layer 0 in class, units, direction, bias or activation; kioku stacks identical layers`,
      );
    if (l < recurrent.length - 1 && !r.returnSequences)
      fail(`recurrent layer ${l} must return sequences to feed layer ${l + 1}`);
  });
  return { inputFeatures: embedding ? null : features, embedding, recurrent, dense };
}

/** The recurrent stack's kioku state dict and its input size. */
function stackState(weights: WeightSet, stack: Stack): { state: Record<string, Tensor>; inputSize: number } {
  const state: Record<string, Tensor> = {};
  let inputSize = 0;
  stack.recurrent.forEach((r, l) => {
    const e = recurrentState(weights, r, l, state);
    if (l === 0) inputSize = e;
  });
  if (stack.inputFeatures !== null && stack.inputFeatures !== inputSize)
    fail(
      `the InputLayer gives ${stack.inputFeatures} features, the first recurrent layer takes ${inputSize}`,
    );
  return { state, inputSize };
}

/**
 * Loads a TF.js / Keras Sequential model (model.json content and its concatenated weight data)
 * into the equivalent kioku model, weights included:
 *   recurrent layers only                       → LSTM / GRU / RNN (batchFirst)
 *   Embedding → recurrent layers → Dense        → TextClassifier (pooling 'last')
 *   recurrent layers → Dense                    → SequenceForecaster (horizon = Dense units)
 * Recurrent layers are LSTM, GRU (reset_after = true) or SimpleRNN, optionally in a
 * Bidirectional wrapper with merge_mode 'concat', all of one class and width, with sigmoid
 * recurrent activations. Keras 2 / TF.js and Keras 3 files both load: a leading InputLayer
 * (batch_input_shape or batch_shape) and weight names under the model's name are accepted.
 * Anything else throws TfjsFormatError naming the layer.
 */
export function importTfjs(
  modelJson: unknown,
  weightData: Uint8Array,
): RNN | LSTM | GRU | TextClassifier | SequenceForecaster {
  if (!isObject(modelJson)) fail(`modelJson must be the parsed model.json object, got ${typeof modelJson}`);
  if (!(weightData instanceof Uint8Array)) fail(`weightData must be a Uint8Array, got ${typeof weightData}`);
  const { layers, model } = readTopology(modelJson);
  const weights: WeightSet = { tensors: readWeights(modelJson.weightsManifest, weightData), model };
  const stack = splitStack(layers);
  const { state, inputSize } = stackState(weights, stack);
  if (stack.dense) return headModel(weights, stack, state, inputSize);
  if (stack.embedding) fail('an Embedding model needs a Dense head to be a TextClassifier');
  const first = stack.recurrent[0]!;
  const options = {
    inputSize,
    hiddenSize: first.units,
    numLayers: stack.recurrent.length,
    bidirectional: first.bidirectional,
    batchFirst: true,
    bias: first.useBias,
  };
  const layer =
    first.kind === 'LSTM'
      ? new LSTM(options)
      : first.kind === 'GRU'
        ? new GRU(options)
        : new RNN({ ...options, nonlinearity: first.nonlinearity });
  layer.loadStateDict(state);
  return layer;
}

/** The Dense head as kioku's fc state dict, checked against F recurrent features. */
function denseState(weights: WeightSet, dense: Json, F: number): Record<string, Tensor> {
  const dc = isObject(dense.config) ? dense.config : fail('the Dense layer has no config');
  if ((dc.activation ?? 'linear') !== 'linear') {
    fail(
      `the Dense activation must be 'linear' (kioku's heads output logits or values), got '${String(dc.activation)}'`,
    );
  }
  const denseName = String(dc.name);
  const kernel = pick(weights, `${denseName}/`, 'kernel')!;
  const [inFeatures, O] = kernel.shape as [number, number];
  if (inFeatures !== F) fail(`the Dense kernel takes ${inFeatures} features, the recurrent layers give ${F}`);
  return {
    weight: new Tensor(transpose2d(kernel.f32, F, O), [O, F]),
    bias:
      dc.use_bias === false ? new Tensor(new Float32Array(O), [O]) : pick(weights, `${denseName}/`, 'bias')!,
  };
}

/** kioku's heads always have recurrent biases: a bias-free Keras stack gets zero biases. */
function withBiases(
  state: Record<string, Tensor>,
  first: ParsedRecurrent,
  numLayers: number,
): Record<string, Tensor> {
  if (first.useBias) return state;
  const G = kindInfo('importTfjs', first.kind).gates.length * first.units;
  for (let l = 0; l < numLayers; l++) {
    for (let d = 0; d < (first.bidirectional ? 2 : 1); d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      state[`bias_ih${sfx}`] = new Tensor(new Float32Array(G), [G]);
      state[`bias_hh${sfx}`] = new Tensor(new Float32Array(G), [G]);
    }
  }
  return state;
}

/** A TextClassifier (with an Embedding) or a SequenceForecaster (without). */
function headModel(
  weights: WeightSet,
  stack: Stack,
  state: Record<string, Tensor>,
  inputSize: number,
): TextClassifier | SequenceForecaster {
  const first = stack.recurrent[0]!;
  const last = stack.recurrent[stack.recurrent.length - 1]!;
  if (last.returnSequences)
    fail('the last recurrent layer must not return sequences when a Dense head follows');
  if (first.nonlinearity !== 'tanh')
    fail("kioku's heads use tanh recurrent layers; a relu SimpleRNN imports only as a bare layer");
  const H = first.units;
  const numLayers = stack.recurrent.length;
  const { bidirectional } = first;
  const fc = denseState(weights, stack.dense!, H * (bidirectional ? 2 : 1));
  const O = fc.weight!.shape[0]!;
  const cell = first.kind.toLowerCase() as 'lstm' | 'gru' | 'rnn';
  const recurrentState = prefixed(cell, withBiases(state, first, numLayers));
  if (stack.embedding) {
    const ec = isObject(stack.embedding.config)
      ? stack.embedding.config
      : fail('the Embedding layer has no config');
    const table = pick(weights, `${String(ec.name)}/`, 'embeddings')!;
    const [V, E] = table.shape as [number, number];
    if (E !== inputSize)
      fail(`the Embedding gives ${E} features, the first recurrent layer takes ${inputSize}`);
    if (O < 2) fail(`a TextClassifier needs at least 2 classes, the Dense layer has ${O} units`);
    const model = new TextClassifier({
      vocabSize: V,
      embedDim: E,
      hiddenSize: H,
      numLayers,
      cell,
      bidirectional,
      pooling: 'last',
      numClasses: O,
    });
    model.loadStateDict({ 'embedding.weight': table, ...recurrentState, ...prefixed('fc', fc) });
    return model;
  }
  if (bidirectional) fail('a SequenceForecaster is unidirectional; this model has a Bidirectional layer');
  const model = new SequenceForecaster({
    inputSize,
    hiddenSize: H,
    numLayers,
    cell,
    horizon: O,
    outputSize: 1,
  });
  model.loadStateDict({ ...recurrentState, ...prefixed('fc', fc) });
  return model;
}
