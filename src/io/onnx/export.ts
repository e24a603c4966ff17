/**
 * ONNX export of kioku's recurrent layers and heads (no `node:` imports; runs in a browser).
 *
 * Recurrent layers become ONNX LSTM/GRU/RNN nodes, one per layer, in layout 0:
 *   X: (T, B, E) → Y: (T, D, B, H), Y_h: (D, B, H), Y_c: (D, B, H)
 *   W: (D, G, E), R: (D, G, H), B: (D, 2G) = [Wb ‖ Rb] per direction
 * with PyTorch's packed gates reordered to ONNX's (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h with
 * linear_before_reset = 1, which is PyTorch's r ⊙ (W_hn h + b_hn)). Between layers Y is
 * transposed and reshaped to (T, B, D·H), kioku's [forward ‖ backward] layout. Batch and time
 * are dynamic axes.
 */
import { permuteBlocks, type RecurrentKindInfo, recurrentKind } from '../../backend/recurrent-kinds.js';
import type { Embedding } from '../../nn/embedding.js';
import { SequenceForecaster, TextClassifier } from '../../nn/heads.js';
import { LanguageModel } from '../../nn/language-model.js';
import { GRU, LSTM, RNN } from '../../nn/rnn.js';
import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { GraphBuilder } from './graph.js';
import { DataType } from './schema.js';

export type OnnxRecurrent = RNN | LSTM | GRU;
export type OnnxExportable = OnnxRecurrent | TextClassifier | SequenceForecaster | LanguageModel;

export interface OnnxExportOptions {
  /** ONNX operator set, 14 (the first with the recurrent ops' `layout`) to 21; default 17. */
  opset?: number;
  /** Recorded as the model's producer_version. */
  producerVersion?: string;
}

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 14;
export const MAX_OPSET = 21;

/**
 * ONNX releases as [IR version, newest opset] (onnx/docs/Versioning.md): a model records the IR
 * version of the first release that knows its opset, so the oldest runtimes and checkers that can
 * run it accept it.
 */
export const ONNX_RELEASES: ReadonlyArray<readonly [version: string, ir: number, opset: number]> = [
  ['1.9', 7, 14],
  ['1.10', 8, 15],
  ['1.11', 8, 16],
  ['1.12', 8, 17],
  ['1.13', 8, 18],
  ['1.14', 9, 19],
  ['1.15', 9, 20],
  ['1.16', 10, 21],
];

/** The IR version a model of `opset` records. */
export function irVersionFor(opset: number): number {
  const release = ONNX_RELEASES.find(([, , newest]) => newest >= opset);
  if (release === undefined) throw new ValueError(`exportOnnx: no known ONNX release has opset ${opset}`);
  return release[1];
}

/** The table entry of a layer's recurrence. */
function kindOf(rnn: OnnxRecurrent): RecurrentKindInfo {
  return recurrentKind(rnn.mode);
}

/** A PyTorch weight (G·cols values) with its H-row gate blocks in ONNX's order. */
function toOnnxGates(w: Float32Array, info: RecurrentKindInfo, hidden: number, cols: number): Float32Array {
  return permuteBlocks(w, info.onnx.order, hidden * cols);
}

function param(rnn: OnnxRecurrent, name: string): Tensor | null {
  return rnn.stateDict()[name] ?? null;
}

export interface LoweredRecurrent {
  /** (T, B, D·H) */
  y: string;
  /** Per layer: (D, B, H) */
  hN: string[];
  /** Per layer (LSTM only): (D, B, H) */
  cN: string[];
}

/** Graph inputs holding a starting state: h (L·D, B, H) and, for an LSTM, c (L·D, B, H). */
export interface InitialState {
  h: string;
  c?: string;
}

/** Layer l's rows [l·D, (l+1)·D) of a state input. */
function layerState(g: GraphBuilder, state: string, l: number, D: number, name: string): string {
  const at = (v: number, tag: string) => g.int64s(`${name}_${tag}`, [1], [v]);
  return g.op('Slice', [state, at(l * D, 'start'), at((l + 1) * D, 'end'), at(0, 'axis')], name);
}

/**
 * Adds the nodes of a (multi-layer) recurrent layer reading x: (T, B, E) and, when not '',
 * sequence_lens: int32 (B); with `initial`, each layer starts from its rows of that state.
 */
export function lowerRecurrent(
  g: GraphBuilder,
  rnn: OnnxRecurrent,
  x: string,
  seqLens: string,
  prefix: string,
  initial?: InitialState,
): LoweredRecurrent {
  if (rnn.projSize > 0) {
    throw new ValueError(
      `exportOnnx: an LSTM with projSize ${rnn.projSize} cannot be exported, since the ONNX LSTM operator has no projection (weight_hr); use projSize 0`,
    );
  }
  const info = kindOf(rnn);
  const opType = info.onnx.opType;
  const H = rnn.hiddenSize;
  const D = rnn.numDirections;
  const G = info.gates.length * H;
  const attrs: Parameters<GraphBuilder['node']>[3] = {
    hidden_size: { int: H },
    direction: { string: D === 2 ? 'bidirectional' : 'forward' },
    layout: { int: 0 },
  };
  // b_hn inside r ⊙ (W_hn h + b_hn): ONNX calls it linear_before_reset.
  if (info.bias === 'gru-reset-after') attrs.linear_before_reset = { int: 1 };
  if (info.onnx.activations) attrs.activations = { strings: Array(D).fill(info.onnx.activations).flat() };
  const out: LoweredRecurrent = { y: x, hN: [], cN: [] };
  let input = x;
  for (let l = 0; l < rnn.numLayers; l++) {
    const E = l === 0 ? rnn.inputSize : D * H;
    const W = new Float32Array(D * G * E);
    const R = new Float32Array(D * G * H);
    const B = new Float32Array(D * 2 * G);
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      W.set(toOnnxGates(param(rnn, `weight_ih${sfx}`)!.f32, info, H, E), d * G * E);
      R.set(toOnnxGates(param(rnn, `weight_hh${sfx}`)!.f32, info, H, H), d * G * H);
      const bih = param(rnn, `bias_ih${sfx}`);
      const bhh = param(rnn, `bias_hh${sfx}`);
      if (bih && bhh) {
        B.set(toOnnxGates(bih.f32, info, H, 1), d * 2 * G);
        B.set(toOnnxGates(bhh.f32, info, H, 1), d * 2 * G + G);
      }
    }
    const name = `${prefix}_l${l}`;
    const inputs = [
      input,
      g.floats(`${name}_W`, [D, G, E], W),
      g.floats(`${name}_R`, [D, G, H], R),
      g.floats(`${name}_B`, [D, 2 * G], B),
      seqLens,
    ];
    if (initial) {
      inputs.push(layerState(g, initial.h, l, D, `${name}_h0`));
      if (initial.c) inputs.push(layerState(g, initial.c, l, D, `${name}_c0`));
    }
    const outputs = [`${name}_Y`, `${name}_Y_h`];
    if (opType === 'LSTM') outputs.push(`${name}_Y_c`);
    const [y, yh, yc] = g.node(opType, inputs, outputs, attrs);
    out.hN.push(yh!);
    if (yc) out.cN.push(yc);
    // (T, D, B, H) → (T, B, D, H) → (T, B, D·H)
    const yt = g.op('Transpose', [y!], `${name}_Y_tbdh`, { perm: { ints: [0, 2, 1, 3] } });
    input = g.op('Reshape', [yt, g.int64s(`${name}_shape`, [3], [0, 0, -1])], `${name}_out`);
  }
  out.y = input;
  return out;
}

function checkOptions(options: OnnxExportOptions): { opset: number; producerVersion: string } {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(`exportOnnx: options must be an object, got ${String(options)}`);
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ValueError(
      `exportOnnx: opset must be an integer in [${MIN_OPSET}, ${MAX_OPSET}], got ${String(opset)}`,
    );
  }
  return { opset, producerVersion: options.producerVersion ?? '' };
}

/**
 * A bare layer. Inputs X: (T, B, E) ((B, T, E) with batchFirst) float32 and sequence_lens:
 * (B) int32 (use T for unpadded input); outputs Y: (T, B, D·H) ((B, T, D·H)), Y_h: (L·D, B, H)
 * and, for LSTM, Y_c: (L·D, B, H) — kioku's forward outputs, with zeros past each length.
 */
function buildRecurrent(g: GraphBuilder, rnn: OnnxRecurrent): void {
  const E = rnn.inputSize;
  const DH = rnn.numDirections * rnn.hiddenSize;
  const LD = rnn.numLayers * rnn.numDirections;
  const x = g.input('X', DataType.FLOAT, rnn.batchFirst ? ['batch', 'time', E] : ['time', 'batch', E]);
  const lens = g.input('sequence_lens', DataType.INT32, ['batch']);
  g.output('Y', DataType.FLOAT, rnn.batchFirst ? ['batch', 'time', DH] : ['time', 'batch', DH]);
  g.output('Y_h', DataType.FLOAT, [LD, 'batch', rnn.hiddenSize]);
  if (rnn instanceof LSTM) g.output('Y_c', DataType.FLOAT, [LD, 'batch', rnn.hiddenSize]);
  const xt = rnn.batchFirst ? g.op('Transpose', [x], 'X_tbe', { perm: { ints: [1, 0, 2] } }) : x;
  const r = lowerRecurrent(g, rnn, xt, lens, kindOf(rnn).onnx.opType.toLowerCase());
  if (rnn.batchFirst) g.op('Transpose', [r.y], 'Y', { perm: { ints: [1, 0, 2] } });
  else g.op('Identity', [r.y], 'Y');
  const concatStates = (parts: string[], out: string) =>
    parts.length === 1 ? g.op('Identity', parts, out) : g.op('Concat', parts, out, { axis: { int: 0 } });
  concatStates(r.hN, 'Y_h');
  if (rnn instanceof LSTM) concatStates(r.cN, 'Y_c');
}

/** The top layer's final state (D, B, H) → (B, D·H), forward ‖ backward as kioku pools it. */
function lastState(g: GraphBuilder, hTop: string): string {
  const t = g.op('Transpose', [hTop], 'last_bdh', { perm: { ints: [1, 0, 2] } });
  return g.op('Reshape', [t, g.int64s('last_shape', [2], [0, -1])], 'last_state');
}

/**
 * TextClassifier. Inputs input_ids: (B, T) int32, right-padded, and lengths: (B) int32 in
 * [0, T]; output logits: (B, O). A sample of length 0 pools to zeros, as kioku's layers give it
 * (output 0, hN = h0 = 0), so its logits are the head's bias rather than NaN.
 */
function buildClassifier(g: GraphBuilder, model: TextClassifier, opset: number): void {
  const s = model.settings;
  if (s.pooling === 'attention') {
    throw new ValueError(
      "exportOnnx: a TextClassifier with pooling 'attention' is not exported to ONNX yet; export it as PyTorch, or train with pooling 'max', 'max-mean', 'mean' or 'last'",
    );
  }
  const ids = g.input('input_ids', DataType.INT32, ['batch', 'time']);
  const lens = g.input('lengths', DataType.INT32, ['batch']);
  g.output('logits', DataType.FLOAT, ['batch', s.numClasses]);
  const table = g.floats('embedding_weight', [s.vocabSize, s.embedDim], model.embedding.weight.f32);
  const idsT = g.op('Transpose', [ids], 'input_ids_tb', { perm: { ints: [1, 0] } });
  const x = g.op('Gather', [table, idsT], 'embedded', { axis: { int: 0 } }); // (T, B, E)
  const r = lowerRecurrent(g, model.rnn, x, lens, s.cell);
  const pooled =
    s.pooling === 'last'
      ? lastState(g, r.hN[r.hN.length - 1]!)
      : poolSteps(g, s.pooling, r.y, ids, lens, opset);
  if (!model.bag) {
    head(g, model.fc.weight, model.fc.bias, pooled, 'logits');
    return;
  }
  const deep = head(g, model.fc.weight, model.fc.bias, pooled, 'deep_logits');
  g.op('Add', [deep, bagOfWords(g, model.bag, idsT, validSteps(g, ids, lens))], 'logits');
}

/** The bag-of-words path: the mean of the tokens' rows of `bag` (V, O) over the valid steps → (B, O). */
function bagOfWords(g: GraphBuilder, bag: Embedding, idsT: string, steps: ValidSteps): string {
  const table = g.floats('bag_weight', [bag.numEmbeddings, bag.embeddingDim], bag.weight.f32);
  const rows = g.op('Gather', [table, idsT], 'bag_rows', { axis: { int: 0 } }); // (T, B, O)
  return meanSteps(g, rows, steps);
}

/**
 * Mean, max, or both concatenated (max ‖ mean) of y: (T, B, F) over each sample's valid steps
 * → (B, F) or (B, 2F); 0 for a length of 0.
 */
function poolSteps(
  g: GraphBuilder,
  pooling: 'mean' | 'max' | 'max-mean',
  y: string,
  ids: string,
  lens: string,
  opset: number,
): string {
  const steps = validSteps(g, ids, lens);
  if (pooling === 'mean') return meanSteps(g, y, steps);
  if (pooling === 'max') return maxSteps(g, y, steps, opset);
  const both = [maxSteps(g, y, steps, opset), meanSteps(g, y, steps)];
  return g.op('Concat', both, 'max_mean', { axis: { int: 1 } });
}

interface ValidSteps {
  /** (T, B, 1) bool: step t < lengths[b]. */
  valid: string;
  /** lengths as a float column (B, 1). */
  lensCol: string;
}

function validSteps(g: GraphBuilder, ids: string, lens: string): ValidSteps {
  const T = g.op('Gather', [g.op('Shape', [ids], 'ids_shape'), g.int64s('one', [], [1])], 'time_steps');
  const steps = g.op('Range', [g.int64s('zero', [], [0]), T, g.int64s('step', [], [1])], 'steps');
  const stepsCol = g.op('Unsqueeze', [steps, g.int64s('axis1', [1], [1])], 'steps_col'); // (T, 1)
  const lens64 = g.op('Cast', [lens], 'lengths_i64', { to: { int: DataType.INT64 } });
  const valid = g.op(
    'Unsqueeze',
    [g.op('Less', [stepsCol, lens64], 'valid_tb'), g.int64s('axis2', [1], [2])],
    'valid',
  );
  const lensCol = g.op(
    'Unsqueeze',
    [g.op('Cast', [lens], 'lengths_f', { to: { int: DataType.FLOAT } }), g.int64s('axis1b', [1], [1])],
    'lengths_col',
  );
  return { valid, lensCol };
}

function meanSteps(g: GraphBuilder, y: string, { valid, lensCol }: ValidSteps): string {
  const valid01 = g.op('Cast', [valid], 'valid_f', { to: { int: DataType.FLOAT } });
  const masked = g.op('Mul', [y, valid01], 'masked');
  const total = g.op('ReduceSum', [masked, g.int64s('axis0', [1], [0])], 'sum', { keepdims: { int: 0 } });
  // An empty sample sums to 0; dividing by max(length, 1) keeps it 0.
  const count = g.op('Max', [lensCol, g.floats('one_f', [], Float32Array.of(1))], 'count');
  return g.op('Div', [total, count], 'mean');
}

function maxSteps(g: GraphBuilder, y: string, { valid, lensCol }: ValidSteps, opset: number): string {
  const negInf = g.floats('neg_inf', [], Float32Array.of(Number.NEGATIVE_INFINITY));
  const masked = g.op('Where', [valid, y, negInf], 'masked');
  // ReduceMax takes its axes as an input from opset 18, as an attribute before.
  const max =
    opset >= 18
      ? g.op('ReduceMax', [masked, g.int64s('axis0', [1], [0])], 'max_all', { keepdims: { int: 0 } })
      : g.op('ReduceMax', [masked], 'max_all', { axes: { ints: [0] }, keepdims: { int: 0 } });
  // An empty sample's max is −∞: take 0 instead.
  const nonEmpty = g.op('Greater', [lensCol, g.floats('zero_f', [], Float32Array.of(0))], 'non_empty');
  return g.op('Where', [nonEmpty, max, g.floats('zero_max', [], Float32Array.of(0))], 'max');
}

/** fc as Gemm: y = x·Wᵀ + b; returns y's name. */
function head(g: GraphBuilder, weight: Tensor, bias: Tensor | null, x: string, out: string): string {
  const [O, F] = weight.shape as [number, number];
  const inputs = [x, g.floats('fc_weight', [O, F], weight.f32)];
  if (bias) inputs.push(g.floats('fc_bias', [O], bias.f32));
  return g.op('Gemm', inputs, out, { transB: { int: 1 } });
}

/** SequenceForecaster. Input x: (B, T, E) float32; output predictions: (B, horizon·O). */
function buildForecaster(g: GraphBuilder, model: SequenceForecaster): void {
  const s = model.settings;
  const x = g.input('x', DataType.FLOAT, ['batch', 'time', s.inputSize]);
  g.output('predictions', DataType.FLOAT, ['batch', s.horizon * s.outputSize]);
  const xt = g.op('Transpose', [x], 'x_tbe', { perm: { ints: [1, 0, 2] } });
  const r = lowerRecurrent(g, model.rnn, xt, '', s.cell);
  head(g, model.fc.weight, model.fc.bias, lastState(g, r.hN[r.hN.length - 1]!), 'predictions');
}

/**
 * LanguageModel, a step with its state in and out. Inputs input_ids: (B, T) int32 (T = 1 for one
 * token per step), h0: (L, B, H) and, for an LSTM, c0: (L, B, H) (zeros to start); outputs
 * logits: (B, T, V), h_n and c_n to feed back as the next call's h0 and c0.
 */
function buildLanguageModel(g: GraphBuilder, model: LanguageModel): void {
  const s = model.settings;
  const lstm = s.cell === 'lstm';
  const ids = g.input('input_ids', DataType.INT32, ['batch', 'time']);
  const h0 = g.input('h0', DataType.FLOAT, [s.numLayers, 'batch', s.hiddenSize]);
  const c0 = lstm ? g.input('c0', DataType.FLOAT, [s.numLayers, 'batch', s.hiddenSize]) : undefined;
  g.output('logits', DataType.FLOAT, ['batch', 'time', s.vocabSize]);
  g.output('h_n', DataType.FLOAT, [s.numLayers, 'batch', s.hiddenSize]);
  if (lstm) g.output('c_n', DataType.FLOAT, [s.numLayers, 'batch', s.hiddenSize]);
  const table = g.floats('embedding_weight', [s.vocabSize, s.embedDim], model.embedding.weight.f32);
  const idsT = g.op('Transpose', [ids], 'input_ids_tb', { perm: { ints: [1, 0] } });
  const x = g.op('Gather', [table, idsT], 'embedded', { axis: { int: 0 } }); // (T, B, E)
  const r = lowerRecurrent(g, model.rnn, x, '', s.cell, { h: h0, ...(c0 ? { c: c0 } : {}) });
  const y = g.op('Transpose', [r.y], 'y_bth', { perm: { ints: [1, 0, 2] } });
  // logits = y · Wᵀ + b, with Wᵀ stored (H, V)
  const [V, H] = [s.vocabSize, s.hiddenSize];
  const w = model.fc.weight.f32;
  const wT = new Float32Array(H * V);
  for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) wT[h * V + v] = w[v * H + h]!;
  const scores = g.op('MatMul', [y, g.floats('fc_weight_t', [H, V], wT)], 'scores');
  g.op('Add', [scores, g.floats('fc_bias', [V], model.fc.bias!.f32)], 'logits');
  const concat = (parts: string[], out: string) =>
    parts.length === 1 ? g.op('Identity', parts, out) : g.op('Concat', parts, out, { axis: { int: 0 } });
  concat(r.hN, 'h_n');
  if (lstm) concat(r.cN, 'c_n');
}

/**
 * Serializes `model` (an RNN, LSTM or GRU layer, a TextClassifier or a SequenceForecaster) as
 * an ONNX ModelProto. Dropout is left out (inference graph). Throws ValueError for what ONNX
 * cannot express (an LSTM with projSize).
 */
export function exportOnnx(model: OnnxExportable, options: OnnxExportOptions = {}): Uint8Array {
  const { opset, producerVersion } = checkOptions(options);
  const g = new GraphBuilder();
  let graphName: string;
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    buildRecurrent(g, model);
    graphName = kindOf(model).onnx.opType;
  } else if (model instanceof TextClassifier) {
    buildClassifier(g, model, opset);
    graphName = 'TextClassifier';
  } else if (model instanceof SequenceForecaster) {
    buildForecaster(g, model);
    graphName = 'SequenceForecaster';
  } else if (model instanceof LanguageModel) {
    buildLanguageModel(g, model);
    graphName = 'LanguageModel';
  } else {
    const got =
      typeof model === 'object' && model !== null ? (model as object).constructor.name : String(model);
    throw new ValueError(
      `exportOnnx: model must be an RNN, LSTM, GRU, TextClassifier, SequenceForecaster or LanguageModel, got ${got}`,
    );
  }
  return g.encode({
    graphName,
    opset,
    irVersion: irVersionFor(opset),
    producerVersion,
    doc: `kioku ${graphName}`,
  });
}
