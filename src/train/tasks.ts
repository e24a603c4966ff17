import type { Module } from '../nn/module.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Task } from './trainer.js';

/** A padded batch of token ids. inputs: (B, T) int32, lengths: (B,), labels: (B,) int32. */
export interface LabelledSequences {
  inputs: Tensor;
  lengths: Int32Array;
  labels: Tensor;
}

/** A model taking padded token ids and per-sample lengths, returning logits (B, O). */
export interface SequenceClassifierModel extends Module {
  forward(inputs: Tensor, lengths?: Int32Array): Tensor;
}

/** A batch of windows. inputs: (B, T, E) float32, targets: (B, O) float32. */
export interface WindowBatch {
  inputs: Tensor;
  targets: Tensor;
}

/** A model mapping windows (B, T, E) to outputs shaped like the targets. */
export interface WindowModel extends Module {
  forward(inputs: Tensor): Tensor;
}

/** Index of the largest value in each row of logits (B, O). */
export function argmaxRows(logits: Tensor): Int32Array {
  if (logits.ndim !== 2)
    throw new ShapeError(`argmaxRows: logits must be (B, O), got ${formatShape(logits.shape)}`);
  const [rows, cols] = logits.shape as [number, number];
  const d = logits.f32;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (d[r * cols + c]! > d[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Row-wise softmax of logits (B, O) as plain numbers (no graph). */
export function softmaxRows(logits: Tensor): Float32Array {
  const [rows, cols] = logits.shape as [number, number];
  const d = logits.f32;
  const out = new Float32Array(d.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, d[r * cols + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += out[r * cols + c] = Math.exp(d[r * cols + c]! - m);
    for (let c = 0; c < cols; c++) out[r * cols + c]! /= s;
  }
  return out;
}

/** Text classification: logits from (inputs, lengths), cross-entropy on labels, argmax predictions. */
export function classificationTask(): Task<LabelledSequences> {
  return {
    forward: (model, batch) => (model as SequenceClassifierModel).forward(batch.inputs, batch.lengths),
    target: (batch) => batch.labels,
    decode: argmaxRows,
    decodeTarget: (batch) => batch.labels.i32,
    tokens: (batch) => batch.lengths.reduce((a, b) => a + b, 0),
  };
}

export interface RegressionTaskOptions {
  /**
   * Maps values from the model's (scaled) space back to the data's units before metrics,
   * e.g. a fitted scaler's inverse for the target column.
   */
  inverse?: (values: Float32Array) => ArrayLike<number>;
}

/** Regression on windows: outputs shaped like the targets; metrics in the data's units. */
export function regressionTask(options: RegressionTaskOptions = {}): Task<WindowBatch> {
  const inverse = options.inverse ?? ((v: Float32Array) => v);
  if (typeof inverse !== 'function') {
    throw new ValueError(`regressionTask: inverse must be a function, got ${typeof options.inverse}`);
  }
  return {
    forward: (model, batch) => (model as WindowModel).forward(batch.inputs),
    target: (batch) => batch.targets,
    decode: (output) => inverse(output.f32),
    decodeTarget: (batch) => inverse(batch.targets.f32),
    tokens: (batch) => batch.inputs.shape[0]! * batch.inputs.shape[1]!,
  };
}
